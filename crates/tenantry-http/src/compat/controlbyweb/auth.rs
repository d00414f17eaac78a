//! `POST /v1/auth/token`: OAuth 2.0 password and refresh-token grants, form or JSON. Access
//! tokens live 24 hours, as the vendor documents; the answer carries the user, their account
//! and their permissions, so a client needs no second call.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use tenantry_core::auth::Permission;
use tenantry_core::model::AccountStatus;
use tenantry_core::services::auth::{IssuedTokens, account_not_active};
use time::Duration;

use super::error::{CbwError, CbwResult};
use super::records::{AccountRecord, AccountRecords, UserRecord};
use super::request::Fields;
use crate::extract::LoginOrigin;
use crate::state::AppState;

/// How long an access token from this surface lives.
pub const ACCESS_TOKEN_TTL: Duration = Duration::hours(24);

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub token_type: &'static str,
    pub expires_in: i64,
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: i64,
    pub user: UserRecord,
    pub account: AccountRecord,
    pub permissions: Vec<&'static str>,
    pub all_permissions: Vec<&'static str>,
}

fn invalid_request(message: &str) -> CbwError {
    CbwError::oauth(StatusCode::BAD_REQUEST, "invalid_request", message)
}

/// Login failures in OAuth's words; a suspended (or deactivated) account says so, but only to
/// a caller who knew the password.
fn refused(error: tenantry_core::Error, what: &str) -> CbwError {
    match error {
        tenantry_core::Error::Unauthenticated(message) => {
            for status in [AccountStatus::Suspended, AccountStatus::Deactivated] {
                if message == account_not_active(status) {
                    let word = if status == AccountStatus::Suspended {
                        "Account suspended"
                    } else {
                        "Account deactivated"
                    };
                    return CbwError::new(StatusCode::UNAUTHORIZED, word);
                }
            }
            CbwError::oauth(StatusCode::UNAUTHORIZED, "invalid_grant", what)
        }
        tenantry_core::Error::Invalid { message, .. } => invalid_request(&message),
        other => other.into(),
    }
}

pub async fn token(
    State(app): State<AppState>,
    LoginOrigin(origin): LoginOrigin,
    fields: Fields,
) -> CbwResult<Json<TokenResponse>> {
    let grant = fields.text("grant_type")?.unwrap_or_default();
    let issued = match grant.as_str() {
        "password" => {
            let (Some(username), Some(password)) =
                (fields.text("username")?, fields.text("password")?)
            else {
                return Err(invalid_request(
                    "The password grant needs username and password.",
                ));
            };
            app.services
                .auth
                .login_for(&username, &password, ACCESS_TOKEN_TTL, &origin)
                .await
                .map_err(|e| refused(e, "The user credentials were incorrect."))?
        }
        "refresh_token" => {
            let Some(refresh_token) = fields.text("refresh_token")? else {
                return Err(invalid_request(
                    "The refresh_token grant needs a refresh_token.",
                ));
            };
            app.services
                .auth
                .refresh_for(&refresh_token, ACCESS_TOKEN_TTL, origin.request_id.clone())
                .await
                .map_err(|e| refused(e, "The refresh token is invalid."))?
        }
        "" => return Err(invalid_request("The grant_type is required.")),
        _ => {
            return Err(CbwError::oauth(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only the password and refresh_token grants are supported.",
            ));
        }
    };
    respond(&app, issued).await.map(Json)
}

async fn respond(app: &AppState, issued: IssuedTokens) -> CbwResult<TokenResponse> {
    // The new token itself reads the user's account, so the answer shows exactly what the
    // token may see.
    let caller = app
        .services
        .auth
        .authenticate(issued.access_token.expose(), None)
        .await?;
    let user = issued.user;
    let mut accounts = AccountRecords::new(app, &caller);
    let account = accounts.record(user.account_id).await?;
    Ok(TokenResponse {
        token_type: "Bearer",
        expires_in: issued.expires_in,
        access_token: issued.access_token.expose().to_owned(),
        refresh_token: issued.refresh_token.expose().to_owned(),
        user_id: user.id.get(),
        user: UserRecord::new(&user, Some(account.account_name.clone())),
        account,
        permissions: user.role.permissions().iter().map(|p| p.as_str()).collect(),
        all_permissions: Permission::ALL.iter().map(|p| p.as_str()).collect(),
    })
}
