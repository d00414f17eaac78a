//! Sessions: login, refresh, logout; who am I; changing one's own password.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tenantry_core::auth::{Permission, Principal};
use tenantry_core::error::FieldCollector;
use tenantry_core::services::auth::{IssuedTokens, Me};
use tenantry_core::values::Password;
use utoipa::ToSchema;

use super::dto::{AccountDto, UserDto, account_example, user_example};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, Authenticated, LoginOrigin};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ann@acme.example", "password": "correct horse battery staple"}))]
pub struct LoginBody {
    #[schema(example = "ann@acme.example")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "tnt_rt_kVb7HRfQvmkyEByN6aDpczoKzDRw-h-Q9oFVjMk-euY"}))]
pub struct RefreshBody {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "tnt_at_7U37Uao8_POxwSFWzeHNX6FTXzV89kJEPMNpMwCnX_I",
    "refresh_token": "tnt_rt_kVb7HRfQvmkyEByN6aDpczoKzDRw-h-Q9oFVjMk-euY",
    "token_type": "Bearer",
    "expires_in": 3600
}))]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Trade for a new pair at `/api/auth/refresh`; works once.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 3600)]
    pub expires_in: i64,
}

impl From<IssuedTokens> for TokenResponse {
    fn from(tokens: IssuedTokens) -> Self {
        TokenResponse {
            access_token: tokens.access_token.expose().to_owned(),
            refresh_token: tokens.refresh_token.expose().to_owned(),
            token_type: "Bearer",
            expires_in: tokens.expires_in,
        }
    }
}

pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    summary = "Log in with email and password",
    description = "Answers the same 401 for an unknown email and a wrong password.",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Bad credentials, or the user or account is not active", body = ErrorBody),
        (status = 422, description = "Malformed body", body = ErrorBody),
    )
)]
pub async fn login(
    State(app): State<AppState>,
    LoginOrigin(origin): LoginOrigin,
    AppJson(body): AppJson<LoginBody>,
) -> ApiResult<Json<TokenResponse>> {
    let tokens = app
        .services
        .auth
        .login_from(&body.email, &body.password, &origin)
        .await?;
    Ok(Json(tokens.into()))
}

#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "auth",
    summary = "Trade a refresh token for new tokens",
    description = "Both old tokens stop working; a refresh token works once.",
    request_body = RefreshBody,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Unknown, used or expired refresh token", body = ErrorBody),
    )
)]
pub async fn refresh(
    State(app): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<RefreshBody>,
) -> ApiResult<Json<TokenResponse>> {
    let tokens = app
        .services
        .auth
        .refresh(&body.refresh_token, request_id(&headers))
        .await?;
    Ok(Json(tokens.into()))
}

#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    summary = "End the current session",
    description = "The session's access and refresh tokens stop working on every server at once.",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Service tokens are revoked, not logged out", body = ErrorBody),
    )
)]
pub async fn logout(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<StatusCode> {
    app.services.auth.logout(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "name": "provisioning"}))]
pub struct ServiceTokenInfo {
    pub id: i64,
    pub name: String,
}

/// The caller: a user with their account, or a service token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "kind": "user",
    "user": user_example(),
    "account": account_example(),
    "service_token": null,
    "permissions": [
        "View Accounts", "Add Accounts", "Edit Accounts", "Delete Accounts",
        "View Users", "Add Users", "Edit Users", "Delete Users",
        "View Devices", "Add Devices", "Edit Devices", "Delete Devices",
        "Manage Tokens", "View Audit"
    ]
}))]
pub struct MeResponse {
    /// `user` or `service`.
    pub kind: &'static str,
    pub user: Option<UserDto>,
    pub account: Option<AccountDto>,
    pub service_token: Option<ServiceTokenInfo>,
    /// The permissions the caller holds over its account subtree (a service token: all).
    pub permissions: Vec<&'static str>,
}

#[utoipa::path(
    get,
    path = "/api/me",
    tag = "auth",
    summary = "Who am I",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    )
)]
pub async fn me(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<MeResponse>> {
    let permissions = match &caller.principal {
        Principal::User(user) => user.role.permissions(),
        Principal::Service(_) => Permission::ALL,
    };
    let permissions = permissions.iter().map(|p| p.as_str()).collect();
    let response = match app.services.auth.me(&caller).await? {
        Me::User { user, account } => MeResponse {
            kind: "user",
            user: Some((*user).into()),
            account: Some((*account).into()),
            service_token: None,
            permissions,
        },
        Me::Service(token) => MeResponse {
            kind: "service",
            user: None,
            account: None,
            service_token: Some(ServiceTokenInfo {
                id: token.id.get(),
                name: token.name,
            }),
            permissions,
        },
    };
    Ok(Json(response))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "current_password": "correct horse battery staple",
    "new_password": "purple otter juggles seven lanterns"
}))]
pub struct ChangePasswordBody {
    pub current_password: String,
    /// 8 to 1024 bytes.
    pub new_password: String,
}

#[utoipa::path(
    post,
    path = "/api/me/password",
    tag = "auth",
    summary = "Change your own password",
    description = "Needs the current password. Every other session of the user ends.",
    security(("bearer" = [])),
    request_body = ChangePasswordBody,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Service tokens have no password", body = ErrorBody),
        (status = 422, description = "Wrong current password or unacceptable new one", body = ErrorBody),
    )
)]
pub async fn change_password(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppJson(body): AppJson<ChangePasswordBody>,
) -> ApiResult<StatusCode> {
    let mut fields = FieldCollector::new();
    let current = fields.take(
        "current_password",
        Password::candidate(&body.current_password),
    );
    let new = fields.take("new_password", Password::parse(&body.new_password));
    let (current, new) = fields.finish_with(|| Some((current?, new?)))?;
    app.services
        .users
        .change_own_password(&caller, &current, &new)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
