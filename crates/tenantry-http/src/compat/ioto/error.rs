//! Errors as Ioto sends them: a status and a `text/plain` message. Authentication and role
//! failures are both 403; a record outside the caller's reach is "not found", like a missing one.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tenantry_core::{Error, Resource};

#[derive(Debug)]
pub struct IotoError {
    status: StatusCode,
    message: String,
}

impl IotoError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
}

fn missing(resource: Resource) -> String {
    match resource {
        Resource::Account => "Cannot find account".to_owned(),
        Resource::User => "Cannot find user".to_owned(),
        other => format!("Cannot find {other}"),
    }
}

impl From<Error> for IotoError {
    fn from(error: Error) -> Self {
        match error {
            Error::NotFound(r) | Error::OutOfScope(r) => {
                Self::new(StatusCode::NOT_FOUND, missing(r))
            }
            Error::Invalid { message, .. } => Self::bad_request(message),
            Error::Conflict(message) => Self::bad_request(message),
            Error::Unauthenticated(message) => Self::forbidden(message),
            Error::Forbidden(message) => Self::forbidden(message),
            Error::RateLimited { retry_after } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many attempts; retry in {retry_after} seconds"),
            ),
            Error::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service temporarily unavailable",
                )
            }
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal service error")
            }
        }
    }
}

impl IntoResponse for IotoError {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.message,
        )
            .into_response()
    }
}

pub type IotoResult<T> = Result<T, IotoError>;

pub async fn method_not_allowed() -> IotoError {
    IotoError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Ioto API calls are POST requests",
    )
}

pub async fn unknown_api() -> IotoError {
    IotoError::new(StatusCode::NOT_FOUND, "Unknown API")
}
