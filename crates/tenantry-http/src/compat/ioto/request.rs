//! What every Ioto call starts with: the caller from the `Authorization` header (a raw token, or
//! `Bearer <token>`), a JSON body read leniently (any content type, empty means `{}`, unknown
//! properties ignored, as Ioto's own service does), and the role checks of its docs: an
//! endpoint's minimum role, and fields that only a higher role may use.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use tenantry_core::auth::{Caller, Role};

use super::error::{IotoError, IotoResult};
use crate::state::AppState;

/// Marks the `/tok/…` routes, which only a CloudAPI (service owner) token may use.
#[derive(Debug, Clone, Copy)]
pub struct TokPrefix;

pub struct IotoCaller(pub Caller);

impl FromRequestParts<AppState> for IotoCaller {
    type Rejection = IotoError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> IotoResult<Self> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| IotoError::forbidden("Missing Authorization header"))?;
        let token = match header.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => header,
        };
        let request_id = crate::extract::request_id(parts);
        let caller = state
            .services
            .auth
            .authenticate(token, request_id)
            .await
            .map_err(|_| IotoError::forbidden("Authentication failed"))?;
        if parts.extensions.get::<TokPrefix>().is_some() && !caller.principal.is_service() {
            return Err(IotoError::forbidden(
                "The /tok API requires a CloudAPI token",
            ));
        }
        Ok(IotoCaller(caller))
    }
}

/// A JSON body, read whatever its content type; an empty body is `{}`.
pub struct IotoBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for IotoBody<T> {
    type Rejection = IotoError;

    async fn from_request(req: Request, state: &S) -> IotoResult<Self> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| IotoError::new(e.status(), e.body_text()))?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(IotoBody)
            .map_err(|e| IotoError::bad_request(format!("Invalid request body: {e}")))
    }
}

/// An id as Ioto clients send it: a string (`"42"`) or a number.
pub fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        Some(Raw::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(Raw::Text(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a valid id"))),
    }
}

/// The endpoint's minimum role (a CloudAPI token is an owner).
pub fn require_role(caller: &Caller, role: Role) -> IotoResult<()> {
    if caller.principal.rank() >= role.rank() {
        Ok(())
    } else {
        Err(IotoError::forbidden(format!(
            "This request requires the {role} role"
        )))
    }
}

/// A field marked with a role in the docs may only be used by callers with that role.
pub fn require_field_role(
    caller: &Caller,
    present: bool,
    field: &str,
    role: Role,
) -> IotoResult<()> {
    if present && caller.principal.rank() < role.rank() {
        return Err(IotoError::forbidden(format!(
            "The \"{field}\" property requires the {role} role"
        )));
    }
    Ok(())
}
