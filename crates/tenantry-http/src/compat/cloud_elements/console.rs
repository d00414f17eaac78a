//! How Cloud Elements clients obtain their secrets: the console's form login
//! (`POST /elements/j_spring_security_check` with `j_username` and `j_password`), which sets a
//! session cookie, then `GET /elements/api-v1/ui/getSecrets` with that cookie, answering
//! `{"user": <user secret>, "company": <organization secret>}`.
//!
//! The session is an ordinary Tenantry session: the cookie holds its access token, and
//! everything that ends a session (logout elsewhere, a password change, suspension) ends it.

use axum::Form;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::error::{CeError, CeResult};
use crate::extract::LoginOrigin;
use crate::state::AppState;

const COOKIE: &str = "JSESSIONID";

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    j_username: String,
    #[serde(default)]
    j_password: String,
}

pub async fn login(
    State(app): State<AppState>,
    LoginOrigin(origin): LoginOrigin,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> CeResult<Response> {
    let Form(form) = form.map_err(|e| CeError::bad_request(e.body_text()))?;
    let tokens = app
        .services
        .auth
        .login_from(&form.j_username, &form.j_password, &origin)
        .await
        .map_err(|e| match e {
            tenantry_core::Error::Invalid { .. } | tenantry_core::Error::Unauthenticated(_) => {
                CeError::unauthorized("Bad credentials")
            }
            other => other.into(),
        })?;
    // Behind a TLS-terminating proxy the cookie must never travel in clear.
    let secure = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let cookie = format!(
        "{COOKIE}={}; Path=/compat/cloud-elements; Max-Age={}; HttpOnly; SameSite=Strict{}",
        tokens.access_token.expose(),
        tokens.expires_in,
        if secure { "; Secure" } else { "" }
    );
    let cookie = HeaderValue::from_str(&cookie)
        .map_err(|_| tenantry_core::Error::internal("a session cookie that is not a header"))?;
    Ok((StatusCode::OK, [(header::SET_COOKIE, cookie)]).into_response())
}

/// The session's access token from the `Cookie` header.
fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
}

#[derive(Debug, Serialize)]
pub struct Secrets {
    user: String,
    company: String,
}

pub async fn secrets(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> CeResult<impl IntoResponse> {
    let token = session_token(&headers)
        .ok_or_else(|| CeError::unauthorized("Log in through the console first"))?;
    let caller = app
        .services
        .auth
        .authenticate(token, crate::extract::request_id_of(&headers))
        .await?;
    let (user, company) = app.services.secrets.own_secrets(&caller).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(Secrets { user, company }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; JSESSIONID=tnt_at_abc ; x=1"),
        );
        assert_eq!(session_token(&headers), Some("tnt_at_abc"));
        assert_eq!(session_token(&HeaderMap::new()), None);
    }
}
