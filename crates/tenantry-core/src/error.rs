//! The error taxonomy shared by every layer.
//!
//! Core distinguishes "does not exist" ([`Error::NotFound`]) from "exists, but outside the
//! caller's subtree" ([`Error::OutOfScope`]); each HTTP surface decides how much of that to reveal.

use std::collections::BTreeMap;
use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of record an error is about; used in messages such as "account not found".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Account,
    User,
    Device,
    Session,
    ApiToken,
    CertificateToken,
    SeatToken,
    Role,
    Invitation,
    Mail,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Account => "account",
            Resource::User => "user",
            Resource::Device => "device",
            Resource::Session => "session",
            Resource::ApiToken => "API token",
            Resource::CertificateToken => "certificate token",
            Resource::SeatToken => "device seat token",
            Resource::Role => "role",
            Resource::Invitation => "invitation",
            Resource::Mail => "mail",
        })
    }
}

/// Field-level validation problems: field name → what is wrong with it.
pub type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(Resource),
    /// The record exists but lies outside the caller's account subtree.
    #[error("{0} not found")]
    OutOfScope(Resource),
    /// A uniqueness or state conflict, e.g. a duplicate email or an account that still has children.
    #[error("{0}")]
    Conflict(String),
    /// The request is well-formed but breaks a rule (bad field values, too few free seats, …).
    #[error("{message}")]
    Invalid {
        message: String,
        fields: FieldErrors,
    },
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated and in scope, but the caller's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts from this client; retry after this many seconds.
    #[error("too many attempts; retry in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// The database cannot be reached right now; worth retrying later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; logged with the request id, never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
            fields: FieldErrors::new(),
        }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), message.clone());
        Error::Invalid {
            message: format!("{field}: {message}"),
            fields,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict(message.into())
    }

    pub fn internal(message: impl fmt::Display) -> Self {
        Error::Internal(message.to_string())
    }
}

/// Collects field errors while a whole request body is parsed, so the client learns about every
/// bad field at once instead of one per round trip.
#[derive(Debug, Default)]
pub struct FieldCollector {
    fields: FieldErrors,
}

impl FieldCollector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of `result` under `field` and returns its value, if any.
    pub fn take<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.fields.insert(field.to_owned(), message);
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields.insert(field.to_owned(), message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// With no errors recorded, builds the result from the values [`FieldCollector::take`]
    /// returned (use `?` on them inside `build`); otherwise one `Invalid` naming every field.
    pub fn finish_with<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T> {
        self.finish()?;
        // Every `take` without a recorded error returned a value, so `build` cannot miss one.
        build().ok_or_else(|| Error::internal("a parsed field went missing"))
    }

    /// `Ok(())` when nothing was recorded, otherwise one `Invalid` error naming every field.
    pub fn finish(self) -> Result<()> {
        if self.fields.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = self.fields.keys().map(String::as_str).collect();
        Err(Error::Invalid {
            message: format!("invalid fields: {}", names.join(", ")),
            fields: self.fields,
        })
    }
}
