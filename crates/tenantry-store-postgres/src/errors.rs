//! PostgreSQL errors in core's terms.
//!
//! Inside a transaction, work returns [`StoreError`], which keeps the raw database error so the
//! retry loop can tell a transient failure (deadlock, serialization failure) from a real one.

use tenantry_core::Error;

/// Unique constraints and what a clash on each means to a client.
const UNIQUE_MESSAGES: &[(&str, &str)] = &[
    (
        "users_email_norm",
        "a user with this email address already exists",
    ),
    ("users_username_norm", "this username is already taken"),
    (
        "accounts_tenant_external_id",
        "external_id is already used by another account of this tenant",
    ),
    (
        "devices_tenant_serial",
        "a device with this serial number already exists in this tenant",
    ),
];

/// SQLSTATEs worth retrying: serialization_failure and deadlock_detected.
const TRANSIENT: &[&str] = &["40001", "40P01"];

#[derive(Debug)]
pub(crate) enum StoreError {
    Db(sqlx::Error),
    Core(Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(e)
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        StoreError::Core(e)
    }
}

impl StoreError {
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(db)) => db
                .code()
                .is_some_and(|code| TRANSIENT.contains(&code.as_ref())),
            _ => false,
        }
    }

    pub(crate) fn into_core(self) -> Error {
        match self {
            StoreError::Core(e) => e,
            StoreError::Db(e) => db(e),
        }
    }
}

pub(crate) fn db(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(db) => {
            if db.is_unique_violation() {
                let text = db
                    .constraint()
                    .and_then(|name| UNIQUE_MESSAGES.iter().find(|(c, _)| *c == name))
                    .map_or("conflicts with an existing record", |(_, text)| text);
                return Error::conflict(text);
            }
            if db.is_foreign_key_violation() {
                return Error::conflict(
                    "a record this change refers to was deleted concurrently; retry",
                );
            }
            if db.is_check_violation() {
                // The schema's CHECKs back up rules the services already enforce; reaching one
                // means a race the locks should have prevented, and nothing was written.
                return Error::conflict("the change conflicts with a concurrent change; retry");
            }
            match db.code().as_deref() {
                // query_canceled: the statement timeout fired.
                Some("57014") => Error::Unavailable(format!("statement timed out: {e}")),
                // Connection exceptions, server shutdown, too many connections, transient
                // failures that outlived their retries.
                Some(code)
                    if code.starts_with("08")
                        || code.starts_with("57P")
                        || code == "53300"
                        || TRANSIENT.contains(&code) =>
                {
                    Error::Unavailable(e.to_string())
                }
                _ => Error::internal(e),
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => Error::Unavailable(e.to_string()),
        _ => Error::internal(e),
    }
}
