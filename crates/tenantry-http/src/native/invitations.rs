//! Invitations: invite someone by email to an account with a role; list, resend and revoke
//! invitations; and accept one with the token from its mail (no login needed: the token is the
//! proof).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tenantry_core::error::FieldCollector;
use tenantry_core::model::{AccountId, Invitation, InvitationId};
use tenantry_core::services::users::CreateUser;
use tenantry_core::values::{Email, Password, Text, TextLimit};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::auth::request_id;
use super::dto::{RoleDto, UserDto, optional};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery, Authenticated};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 19,
    "account_id": 42,
    "tenant_id": 7,
    "user_id": 63,
    "email": "bob@acme.example",
    "role": "user",
    "status": "pending",
    "created": "2024-06-10T08:15:00Z",
    "expires": "2024-06-17T08:15:00Z",
    "accepted": null,
    "revoked": null
}))]
pub struct InvitationDto {
    pub id: i64,
    pub account_id: i64,
    pub tenant_id: i64,
    /// The invited user, created password-less with the invitation.
    pub user_id: i64,
    pub email: String,
    pub role: RoleDto,
    /// `pending`, `accepted`, `revoked` or `expired`.
    #[schema(example = "pending")]
    pub status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub accepted: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked: Option<OffsetDateTime>,
}

impl InvitationDto {
    fn new(invitation: Invitation, now: OffsetDateTime) -> Self {
        let status = if invitation.accepted.is_some() {
            "accepted"
        } else if invitation.revoked.is_some() {
            "revoked"
        } else if invitation.expires <= now {
            "expired"
        } else {
            "pending"
        };
        InvitationDto {
            id: invitation.id.get(),
            account_id: invitation.account_id.get(),
            tenant_id: invitation.tenant_id.get(),
            user_id: invitation.user_id.get(),
            email: invitation.email,
            role: invitation.role.into(),
            status,
            created: invitation.created,
            expires: invitation.expires,
            accepted: invitation.accepted,
            revoked: invitation.revoked,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "bob@acme.example",
    "role": "user",
    "first_name": "Bob",
    "last_name": "Marsh"
}))]
pub struct InviteBody {
    #[schema(example = "bob@acme.example")]
    pub email: String,
    /// At most your own role. Default `user`.
    pub role: Option<RoleDto>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl InviteBody {
    fn into_command(self) -> Result<CreateUser, ApiError> {
        let name = |s: &str| Text::parse(s, TextLimit::PERSON_NAME);
        let mut f = FieldCollector::new();
        let email = f.take("email", Email::parse(&self.email));
        let first_name = f.take("first_name", optional(self.first_name.as_deref(), name));
        let last_name = f.take("last_name", optional(self.last_name.as_deref(), name));
        let command = f.finish_with(|| {
            Some(CreateUser {
                email: email?,
                username: None,
                first_name: first_name?,
                last_name: last_name?,
                role: self.role.unwrap_or(RoleDto::User).into(),
                password: None,
                preferences: None,
                terms_agreed: false,
            })
        })?;
        Ok(command)
    }
}

#[utoipa::path(
    post,
    path = "/api/accounts/{id}/invitations",
    tag = "invitations",
    summary = "Invite someone to an account",
    description = "Creates a password-less user with the role and mails them a link to choose a \
                   password (which also verifies their address). A password-less user already \
                   in this account is invited again. Needs \"Add Users\" over the account and a \
                   rank at least the role's. The invitation and its mail are written in one \
                   transaction; the mail is delivered in the background, with retries.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    request_body = InviteBody,
    responses(
        (status = 201, description = "Invited", body = InvitationDto),
        (status = 403, description = "Missing permission, or the role outranks you", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 409, description = "A user with this address exists already", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    )
)]
pub async fn invite(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(account_id): AppPath<i64>,
    AppJson(body): AppJson<InviteBody>,
) -> ApiResult<(StatusCode, Json<InvitationDto>)> {
    let command = body.into_command()?;
    let invitation = app
        .services
        .invitations
        .invite(&caller, AccountId(account_id), command)
        .await?;
    let dto = InvitationDto::new(invitation, app.services.now());
    Ok((StatusCode::CREATED, Json(dto)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InvitationsQuery {
    /// Only invitations that can still be accepted (default false).
    pub pending: Option<bool>,
    /// The next page: invitations with a smaller id than this (the last id of a page).
    pub before: Option<i64>,
    /// 1 to 500, default 100.
    pub limit: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/accounts/{id}/invitations",
    tag = "invitations",
    summary = "List the invitations of an account and the accounts below it",
    description = "Newest first. Needs \"View Users\" over the account.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id"), InvitationsQuery),
    responses(
        (status = 200, description = "Invitations", body = [InvitationDto]),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
    )
)]
pub async fn list_invitations(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(account_id): AppPath<i64>,
    AppQuery(query): AppQuery<InvitationsQuery>,
) -> ApiResult<Json<Vec<InvitationDto>>> {
    let invitations = app
        .services
        .invitations
        .list(
            &caller,
            AccountId(account_id),
            query.pending.unwrap_or(false),
            query.before.map(InvitationId),
            query.limit.unwrap_or(100),
        )
        .await?;
    let now = app.services.now();
    let dtos = invitations
        .into_iter()
        .map(|i| InvitationDto::new(i, now))
        .collect();
    Ok(Json(dtos))
}

#[utoipa::path(
    get,
    path = "/api/invitations/{id}",
    tag = "invitations",
    summary = "Get an invitation",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Invitation id")),
    responses(
        (status = 200, description = "The invitation", body = InvitationDto),
        (status = 404, description = "No such invitation (or not yours)", body = ErrorBody),
    )
)]
pub async fn get_invitation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<InvitationDto>> {
    let invitation = app
        .services
        .invitations
        .get(&caller, InvitationId(id))
        .await?;
    Ok(Json(InvitationDto::new(invitation, app.services.now())))
}

#[utoipa::path(
    delete,
    path = "/api/invitations/{id}",
    tag = "invitations",
    summary = "Revoke an invitation",
    description = "Its link stops working. The invited user stays, without a password; delete \
                   them separately if wanted.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Invitation id")),
    responses(
        (status = 200, description = "Revoked", body = InvitationDto, example = json!({
            "id": 19,
            "account_id": 42,
            "tenant_id": 7,
            "user_id": 63,
            "email": "bob@acme.example",
            "role": "user",
            "status": "revoked",
            "created": "2024-06-10T08:15:00Z",
            "expires": "2024-06-17T08:15:00Z",
            "accepted": null,
            "revoked": "2024-06-11T10:20:00Z"
        })),
        (status = 404, description = "No such invitation (or not yours)", body = ErrorBody),
        (status = 409, description = "Accepted already", body = ErrorBody),
    )
)]
pub async fn revoke_invitation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<InvitationDto>> {
    let invitation = app
        .services
        .invitations
        .revoke(&caller, InvitationId(id))
        .await?;
    Ok(Json(InvitationDto::new(invitation, app.services.now())))
}

#[utoipa::path(
    post,
    path = "/api/invitations/{id}/resend",
    tag = "invitations",
    summary = "Send an invitation again",
    description = "Mails a new link with a fresh expiry; the previous link stops working.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Invitation id")),
    responses(
        (status = 200, description = "Queued again", body = InvitationDto),
        (status = 404, description = "No such invitation (or not yours)", body = ErrorBody),
        (status = 409, description = "Accepted or revoked", body = ErrorBody),
    )
)]
pub async fn resend_invitation(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<InvitationDto>> {
    let invitation = app
        .services
        .invitations
        .resend(&caller, InvitationId(id))
        .await?;
    Ok(Json(InvitationDto::new(invitation, app.services.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "token": "tnt_iv_awHj2Dk5KBgZjFwu3rbOLOHrPp-PX1D8K5Dha1jj0po",
    "password": "correct horse battery staple"
}))]
pub struct TokenPasswordBody {
    /// The token from the mail's link.
    pub token: String,
    /// 8 to 1024 bytes.
    pub password: String,
}

impl TokenPasswordBody {
    pub(crate) fn password(&self) -> Result<Password, ApiError> {
        let mut f = FieldCollector::new();
        let password = f.take("password", Password::parse(&self.password));
        Ok(f.finish_with(|| password)?)
    }
}

#[utoipa::path(
    post,
    path = "/api/invitations/accept",
    tag = "invitations",
    summary = "Accept an invitation",
    description = "With the token from the invitation mail: sets the user's password and marks \
                   their address verified. The token works once. Then log in as usual.",
    request_body = TokenPasswordBody,
    responses(
        (status = 200, description = "Accepted; the user", body = UserDto),
        (status = 422, description = "Invalid, used, revoked or expired token; unacceptable password", body = ErrorBody),
    )
)]
pub async fn accept_invitation(
    State(app): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<TokenPasswordBody>,
) -> ApiResult<Json<UserDto>> {
    let password = body.password()?;
    let user = app
        .services
        .invitations
        .accept(&body.token, &password, request_id(&headers))
        .await?;
    Ok(Json(user.into()))
}
