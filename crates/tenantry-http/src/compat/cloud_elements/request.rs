//! What every Cloud Elements call starts with: the caller from
//! `Authorization: User <user secret>, Organization <organization secret>` (an `Element …` part,
//! which hub calls add, is ignored here), JSON bodies (a literal `null` is an empty body), and
//! ids that, when not positive integers, match nothing (404, as the vendor answers `-1`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tenantry_core::auth::{Caller, Role};

use super::error::{CeError, CeResult};
use crate::extract::request_id;
use crate::state::AppState;

const BAD_HEADER: &str =
    "Send Authorization: User <user secret>, Organization <organization secret>";

/// The two secrets of an `Authorization` header, if it has that form.
pub fn secrets(header: &str) -> Option<(&str, &str)> {
    let mut user = None;
    let mut organization = None;
    for part in header.split(',') {
        let (scheme, value) = part.trim().split_once(char::is_whitespace)?;
        let value = value.trim();
        if scheme.eq_ignore_ascii_case("user") {
            user = Some(value);
        } else if scheme.eq_ignore_ascii_case("organization") {
            organization = Some(value);
        } else if !scheme.eq_ignore_ascii_case("element") {
            return None;
        }
    }
    Some((user?, organization?))
}

pub struct CeCaller(pub Caller);

impl FromRequestParts<AppState> for CeCaller {
    type Rejection = CeError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> CeResult<Self> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| CeError::unauthorized(BAD_HEADER))?;
        let (user, organization) =
            secrets(header).ok_or_else(|| CeError::unauthorized(BAD_HEADER))?;
        let caller = state
            .services
            .secrets
            .authenticate(user, organization, request_id(parts))
            .await?;
        Ok(CeCaller(caller))
    }
}

/// Whether the caller is their organization's administrator: an owner in its Default account
/// (the root), which is who signed the organization up.
pub fn is_organization_admin(caller: &Caller) -> bool {
    caller
        .principal
        .as_user()
        .is_some_and(|u| u.account_id == u.tenant_id && u.role == Role::Owner)
}

/// `/accounts` belongs to the organization administrator; anyone else gets 401, as the
/// vendor documents ("even a user that you add to the default account").
pub fn require_organization_admin(caller: &Caller) -> CeResult<()> {
    if is_organization_admin(caller) {
        Ok(())
    } else {
        Err(CeError::unauthorized(
            "Only the organization administrator may manage accounts",
        ))
    }
}

/// A JSON body read as `T`. An empty body or a literal `null` reads as `{}`; another content
/// type than JSON is 415.
pub struct CeJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CeJson<T> {
    type Rejection = CeError;

    async fn from_request(req: Request, state: &S) -> CeResult<Self> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| {
                let v = v.to_ascii_lowercase();
                v.starts_with("application/json") || v.contains("+json")
            });
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| CeError::new(e.status(), e.body_text()))?;
        let trimmed = bytes.trim_ascii();
        if !json && !trimmed.is_empty() {
            return Err(CeError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be application/json",
            ));
        }
        let value: Value = if trimmed.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(trimmed)
                .map_err(|e| CeError::bad_request(format!("Malformed JSON: {e}")))?
        };
        let value = if value.is_null() {
            Value::Object(Default::default())
        } else {
            value
        };
        serde_json::from_value(value)
            .map(CeJson)
            .map_err(|e| CeError::bad_request(format!("Invalid request body: {e}")))
    }
}

/// Query parameters; unreadable ones are a bad request.
pub struct CeQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for CeQuery<T> {
    type Rejection = CeError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> CeResult<Self> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| CeQuery(value))
            .map_err(|e| CeError::bad_request(format!("Invalid query: {}", e.body_text())))
    }
}

/// Path parameters; unreadable ones match nothing.
pub struct CePath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for CePath<T> {
    type Rejection = CeError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> CeResult<Self> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| CePath(value))
            .map_err(|_| CeError::not_found("No such resource"))
    }
}

/// An id from the path: anything but a positive integer is a record that does not exist.
pub fn path_id(raw: &str, what: &str) -> CeResult<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| CeError::not_found(format!("No {what} found")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_headers_are_read_as_the_vendor_writes_them() {
        assert_eq!(
            secrets("User abc=, Organization 0f0f"),
            Some(("abc=", "0f0f"))
        );
        assert_eq!(
            secrets("organization 0f0f,user abc=, Element xyz"),
            Some(("abc=", "0f0f"))
        );
        assert_eq!(secrets("Bearer abc"), None);
        assert_eq!(secrets("User abc="), None);
        assert_eq!(secrets("User abc=, Organization"), None);
        assert_eq!(secrets(""), None);
    }
}
