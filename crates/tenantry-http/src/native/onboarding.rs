//! Sign-up, email verification and password reset. The endpoints that take an email address
//! answer `202` whether or not it is registered, so they cannot be used to probe for accounts.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tenantry_core::error::FieldCollector;
use tenantry_core::values::{Email, Password, Text, TextLimit};
use utoipa::ToSchema;

use super::auth::request_id;
use super::dto::{UserDto, optional};
use super::invitations::TokenPasswordBody;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, Authenticated};
use crate::state::AppState;

/// The answer to requests whose outcome is only told by mail.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"message": "If the address can receive it, a mail is on its way."}))]
pub struct Accepted {
    #[schema(example = "If the address can receive it, a mail is on its way.")]
    pub message: &'static str,
}

const CHECK_MAIL: Accepted = Accepted {
    message: "If the address can receive it, a mail is on its way.",
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "ann@acme.example",
    "password": "correct horse battery staple",
    "organization": "Acme Robotics"
}))]
pub struct SignUpBody {
    #[schema(example = "ann@acme.example")]
    pub email: String,
    /// 8 to 1024 bytes.
    pub password: String,
    /// The new tenant's name; default the email address.
    pub organization: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/auth/signup",
    tag = "auth",
    summary = "Sign up: a tenant of your own",
    description = "A new address gets a tenant named after it (or `organization`) with itself as \
                   owner, and a mail to verify the address; it can log in at once. A registered \
                   address gets a password-reset mail instead, and the same answer, so sign-up \
                   reveals nothing about who is registered. 403 when sign-up is disabled.",
    request_body = SignUpBody,
    responses(
        (status = 202, description = "Check your mail", body = Accepted),
        (status = 403, description = "Sign-up is disabled on this installation", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    )
)]
pub async fn sign_up(
    State(app): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<SignUpBody>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let mut f = FieldCollector::new();
    let email = f.take("email", Email::parse(&body.email));
    let password = f.take("password", Password::parse(&body.password));
    let organization = f.take(
        "organization",
        optional(body.organization.as_deref(), |s| {
            Text::parse(s, TextLimit::NAME)
        }),
    );
    let (email, password, organization) =
        f.finish_with(|| Some((email?, password?, organization?)))?;
    app.services
        .onboarding
        .sign_up_quietly(&email, &password, organization, request_id(&headers))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(CHECK_MAIL)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "tnt_ve_tJMvioBR1A1LYlVb6t2GOiq7z7DNYttW22P_tmwwjZo"}))]
pub struct TokenBody {
    /// The token from the mail's link.
    pub token: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/verify-email",
    tag = "auth",
    summary = "Verify an email address",
    description = "With the token from a verification mail; it works once.",
    request_body = TokenBody,
    responses(
        (status = 200, description = "Verified; the user", body = UserDto),
        (status = 422, description = "Invalid, used or expired token", body = ErrorBody),
    )
)]
pub async fn verify_email(
    State(app): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<TokenBody>,
) -> ApiResult<Json<UserDto>> {
    let user = app
        .services
        .onboarding
        .verify_email(&body.token, request_id(&headers))
        .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(
    post,
    path = "/api/me/verification",
    tag = "auth",
    summary = "Mail me a new verification link",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued", body = Accepted),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Service tokens have no address", body = ErrorBody),
        (status = 409, description = "The address is verified already", body = ErrorBody),
    )
)]
pub async fn request_verification(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    app.services
        .onboarding
        .request_verification(&caller)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(CHECK_MAIL)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ann@acme.example"}))]
pub struct ForgotPasswordBody {
    #[schema(example = "ann@acme.example")]
    pub email: String,
}

#[utoipa::path(
    post,
    path = "/api/auth/password/forgot",
    tag = "auth",
    summary = "Ask for a password-reset mail",
    description = "Answers 202 whether or not the address is registered. A new link replaces \
                   earlier ones; it works once and expires after an hour by default.",
    request_body = ForgotPasswordBody,
    responses(
        (status = 202, description = "Check your mail", body = Accepted),
        (status = 422, description = "Not an email address", body = ErrorBody),
    )
)]
pub async fn forgot_password(
    State(app): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<ForgotPasswordBody>,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let mut f = FieldCollector::new();
    let email = f.take("email", Email::parse(&body.email));
    let email = f.finish_with(|| email)?;
    app.services
        .onboarding
        .forgot_password(&email, request_id(&headers))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(CHECK_MAIL)))
}

#[utoipa::path(
    post,
    path = "/api/auth/password/reset",
    tag = "auth",
    summary = "Set a new password with a reset token",
    description = "Ends every session of the user, lifts a lockout, and marks the address \
                   verified. The token works once.",
    request_body(content = TokenPasswordBody, example = json!({
        "token": "tnt_pr_oAPFK1SL_eO_QzOEyP5aMAmIdA28P5IJKvLT03nKi6k",
        "password": "purple otter juggles seven lanterns"
    })),
    responses(
        (status = 204, description = "Changed; log in with the new password"),
        (status = 422, description = "Invalid, used or expired token; unacceptable password", body = ErrorBody),
    )
)]
pub async fn reset_password(
    State(app): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<TokenPasswordBody>,
) -> ApiResult<StatusCode> {
    let password = body.password()?;
    app.services
        .onboarding
        .reset_password(&body.token, &password, request_id(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
