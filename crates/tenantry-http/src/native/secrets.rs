//! Cloud Elements' standing credentials, rotated here: a user's secret and an organization's
//! (a root account's) secret. The new secret is in the answer; the old one stops working at
//! once.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use tenantry_core::model::{AccountId, UserId};
use utoipa::ToSchema;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppPath, Authenticated};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"secret": "+onquEJrTpEr0+foFZwwAn3msCt5s3gN0qVlwK7Zv10="}))]
pub struct SecretDto {
    /// The new secret, for `Authorization: User …, Organization …` on the Cloud Elements API.
    pub secret: String,
}

#[utoipa::path(
    post,
    path = "/api/users/{id}/secret/rotate",
    tag = "users",
    summary = "Rotate a user's secret",
    description = "Yourself, or with \"Edit Users\" over the user and a rank at least theirs.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The new secret", body = SecretDto),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such user (or not yours)", body = ErrorBody),
    )
)]
pub async fn rotate_user_secret(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<SecretDto>> {
    let secret = app
        .services
        .secrets
        .rotate_user_secret(&caller, UserId(id))
        .await?;
    Ok(Json(SecretDto { secret }))
}

#[utoipa::path(
    post,
    path = "/api/accounts/{id}/organization-secret/rotate",
    tag = "accounts",
    summary = "Rotate an organization's secret",
    description = "For a root account; its owners, or a service owner token.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Root account id")),
    responses(
        (status = 200, description = "The new secret", body = SecretDto,
         example = json!({"secret": "333a7e2915f073b054c0bcae9610355a"})),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 422, description = "Not a root account", body = ErrorBody),
    )
)]
pub async fn rotate_organization_secret(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<SecretDto>> {
    let secret = app
        .services
        .secrets
        .rotate_organization_secret(&caller, AccountId(id))
        .await?;
    Ok(Json(SecretDto { secret }))
}
