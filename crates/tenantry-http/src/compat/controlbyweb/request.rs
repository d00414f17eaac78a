//! What every ControlByWeb call starts with: the caller from `Authorization: Bearer …`, the
//! request's fields (form-encoded as the vendor's examples send them, or JSON as third-party
//! clients do), and the lenient field types of a PHP service: numbers and booleans may arrive
//! as strings, booleans as `1`/`0`/`true`/`false`. Unknown fields are ignored, as Laravel does.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde_json::Value;
use tenantry_core::auth::Caller;

use super::error::{CbwError, CbwResult};
use crate::extract::{bearer_token, request_id};
use crate::state::AppState;

pub struct CbwCaller(pub Caller);

impl FromRequestParts<AppState> for CbwCaller {
    type Rejection = CbwError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> CbwResult<Self> {
        let token = bearer_token(parts).ok_or_else(CbwError::unauthenticated)?;
        let caller = state
            .services
            .auth
            .authenticate(token, request_id(parts))
            .await
            .map_err(|error| match error {
                tenantry_core::Error::Unauthenticated(_) => CbwError::unauthenticated(),
                other => CbwError::from(other),
            })?;
        Ok(CbwCaller(caller))
    }
}

/// The request id, for audit records of calls made without a caller (the token endpoint).
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(request_id(parts)))
    }
}

/// The request's fields, from a form-encoded or JSON body (an empty body has none).
#[derive(Debug, Default)]
pub struct Fields(BTreeMap<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = CbwError;

    async fn from_request(req: Request, state: &S) -> CbwResult<Self> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.to_ascii_lowercase())
            .unwrap_or_default();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| CbwError::new(e.status(), e.body_text()))?;
        Fields::parse(&content_type, &bytes)
    }
}

impl Fields {
    fn parse(content_type: &str, body: &[u8]) -> CbwResult<Fields> {
        let trimmed = body.trim_ascii();
        if trimmed.is_empty() {
            return Ok(Fields::default());
        }
        let json = content_type.starts_with("application/json")
            || content_type.contains("+json")
            || (!content_type.starts_with("application/x-www-form-urlencoded")
                && trimmed.first() == Some(&b'{'));
        if json {
            return match serde_json::from_slice::<Value>(trimmed) {
                Ok(Value::Object(map)) => Ok(Fields(map.into_iter().collect())),
                Ok(_) => Err(CbwError::bad_request(
                    "The request body must be a JSON object.",
                )),
                Err(e) => Err(CbwError::bad_request(format!("Malformed JSON: {e}"))),
            };
        }
        if !content_type.is_empty()
            && !content_type.starts_with("application/x-www-form-urlencoded")
        {
            return Err(CbwError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send fields form-encoded or as a JSON object.",
            ));
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(trimmed)
            .map_err(|e| CbwError::bad_request(format!("Malformed form body: {e}")))?;
        Ok(Fields(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ))
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|v| !v.is_null())
    }

    /// Whether any field other than `allowed` is present (and not null).
    pub fn any_except(&self, allowed: &[&str]) -> bool {
        self.0
            .iter()
            .any(|(name, value)| !value.is_null() && !allowed.contains(&name.as_str()))
    }

    /// A text field; numbers are taken as their decimal text.
    pub fn text(&self, name: &str) -> CbwResult<Option<String>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(CbwError::invalid_field(name, "must be a string")),
        }
    }

    pub fn required_text(&self, name: &str) -> CbwResult<String> {
        self.text(name)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| CbwError::invalid_field(name, "is required"))
    }

    /// An integer field, as a number or as decimal text.
    pub fn int(&self, name: &str) -> CbwResult<Option<i64>> {
        let invalid = || CbwError::invalid_field(name, "must be an integer");
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(invalid),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    /// A boolean field: `true`/`false`, `1`/`0`, as JSON or text (PHP's accepted forms).
    pub fn boolean(&self, name: &str) -> CbwResult<Option<bool>> {
        let invalid = || CbwError::invalid_field(name, "must be true or false");
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(invalid()),
            },
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "on" | "yes" => Ok(Some(true)),
                "0" | "false" | "off" | "no" | "" => Ok(Some(false)),
                _ => Err(invalid()),
            },
            Some(_) => Err(invalid()),
        }
    }
}

/// The path parameters; a path that cannot be read (say, invalid percent-encoding) matches no
/// route, answered in Laravel's shape like any other.
pub struct CbwPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for CbwPath<T> {
    type Rejection = CbwError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> CbwResult<Self> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| CbwPath(value))
            .map_err(|_| CbwError::new(axum::http::StatusCode::NOT_FOUND, "Not found"))
    }
}

/// An id from the path; anything but a positive integer matches no route, as in Laravel.
pub fn path_id(raw: &str) -> CbwResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| CbwError::new(axum::http::StatusCode::NOT_FOUND, "Not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_and_json_bodies_give_the_same_fields() {
        let form = Fields::parse(
            "application/x-www-form-urlencoded",
            b"account_name=ABC+Co&device_seats=5&suspended=false",
        )
        .unwrap();
        let json = Fields::parse(
            "application/json",
            br#"{"account_name":"ABC Co","device_seats":5,"suspended":false}"#,
        )
        .unwrap();
        for fields in [&form, &json] {
            assert_eq!(fields.text("account_name").unwrap().unwrap(), "ABC Co");
            assert_eq!(fields.int("device_seats").unwrap(), Some(5));
            assert_eq!(fields.boolean("suspended").unwrap(), Some(false));
            assert_eq!(fields.int("missing").unwrap(), None);
        }
        let sniffed = Fields::parse("", br#"{"suspended":"1"}"#).unwrap();
        assert_eq!(sniffed.boolean("suspended").unwrap(), Some(true));
        assert!(Fields::parse("", b"").unwrap().0.is_empty());
    }

    #[test]
    fn wrong_types_and_bodies_are_refused() {
        let fields = Fields::parse("application/json", br#"{"n":"x","b":2,"t":[1]}"#).unwrap();
        assert_eq!(fields.int("n").unwrap_err().status(), 422);
        assert_eq!(fields.boolean("b").unwrap_err().status(), 422);
        assert_eq!(fields.text("t").unwrap_err().status(), 422);
        assert_eq!(fields.required_text("absent").unwrap_err().status(), 422);
        assert_eq!(
            Fields::parse("application/json", b"[1]")
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            Fields::parse("application/json", b"{")
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            Fields::parse("text/xml", b"<a/>").unwrap_err().status(),
            415
        );
        assert_eq!(path_id("0").unwrap_err().status(), 404);
        assert_eq!(path_id("abc").unwrap_err().status(), 404);
        assert_eq!(path_id("12").unwrap(), 12);
    }
}
