//! Errors in the Laravel style ControlByWeb's service answers with: `{"message": …}`, plus
//! `errors` (field → list of messages) on 422.
//!
//! An account the caller may not reach answers 403 whether or not it exists, so account ids
//! cannot be probed; a missing user or token inside a reachable account answers 404.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tenantry_core::{Error, Resource};

pub const UNAUTHENTICATED: &str = "Unauthenticated.";
pub const UNAUTHORIZED: &str = "This action is unauthorized.";

#[derive(Debug)]
pub struct CbwError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl CbwError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "message": message.into() }),
            retry_after: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, UNAUTHENTICATED)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// A 422 naming the fields at fault (if any), each with its messages.
    pub fn invalid(message: impl Into<String>, fields: BTreeMap<String, String>) -> Self {
        if fields.is_empty() {
            return Self::new(StatusCode::UNPROCESSABLE_ENTITY, message);
        }
        let errors: BTreeMap<String, Vec<String>> =
            fields.into_iter().map(|(k, v)| (k, vec![v])).collect();
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({ "message": message.into(), "errors": errors }),
            retry_after: None,
        }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::invalid(
            format!("The {field} field {message}."),
            BTreeMap::from([(field.to_owned(), format!("The {field} field {message}."))]),
        )
    }

    /// An OAuth error of the token endpoint: `{"error", "message"}`.
    pub fn oauth(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": error, "message": message.into() }),
            retry_after: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<Error> for CbwError {
    fn from(error: Error) -> Self {
        match error {
            Error::NotFound(Resource::Account) | Error::OutOfScope(Resource::Account) => {
                Self::new(StatusCode::FORBIDDEN, UNAUTHORIZED)
            }
            // A user or token of another tenant answers like one that does not exist.
            Error::NotFound(_) | Error::OutOfScope(_) => {
                Self::new(StatusCode::NOT_FOUND, "Not found")
            }
            Error::Invalid { message, fields } => Self::invalid(message, fields),
            Error::Conflict(message) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, message),
            Error::Unauthenticated(_) => Self::unauthenticated(),
            Error::Forbidden(message) => Self::new(StatusCode::FORBIDDEN, message),
            Error::RateLimited { retry_after } => {
                let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
                error.retry_after = Some(retry_after);
                error
            }
            Error::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service temporarily unavailable.",
                )
            }
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Server Error")
            }
        }
    }
}

impl IntoResponse for CbwError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub type CbwResult<T> = Result<T, CbwError>;

pub async fn not_found() -> CbwError {
    CbwError::new(StatusCode::NOT_FOUND, "Not found")
}

pub async fn method_not_allowed() -> CbwError {
    CbwError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "The method is not supported for this route.",
    )
}
