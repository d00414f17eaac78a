//! Errors as Cloud Elements sends them: `{"requestId", "message"}` with 400 (a bad or missing
//! parameter), 401 (missing or invalid secrets, or not the organization administrator on
//! `/accounts`), 403 (another organization's record, or a role you may not grant), 404, 405,
//! 409 (already exists), 415 (not JSON). `requestId` is 24 hex digits, as the vendor's are.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tenantry_core::Error;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    request_id: String,
    message: String,
}

#[derive(Debug)]
pub struct CeError {
    status: StatusCode,
    message: String,
}

impl CeError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// A fresh request id in the vendor's style (a Mongo ObjectId: 24 hex digits).
fn request_id() -> String {
    tenantry_core::auth::secret::random_key()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl From<Error> for CeError {
    fn from(error: Error) -> Self {
        match error {
            Error::NotFound(resource) => Self::not_found(format!("No {resource} found")),
            Error::OutOfScope(resource) => {
                Self::forbidden(format!("The {resource} belongs to another organization"))
            }
            Error::Invalid { message, .. } => Self::bad_request(message),
            Error::Conflict(message) => Self::conflict(message),
            Error::Unauthenticated(message) => Self::unauthorized(message),
            Error::Forbidden(message) => Self::forbidden(message),
            Error::RateLimited { retry_after } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many attempts; retry in {retry_after} seconds"),
            ),
            Error::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The service is temporarily unavailable",
                )
            }
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
            }
        }
    }
}

impl IntoResponse for CeError {
    fn into_response(self) -> Response {
        let body = Body {
            request_id: request_id(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

pub type CeResult<T> = Result<T, CeError>;

pub async fn not_found() -> CeError {
    CeError::not_found("No such resource")
}

pub async fn method_not_allowed() -> CeError {
    CeError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "The method is not allowed for this resource",
    )
}
