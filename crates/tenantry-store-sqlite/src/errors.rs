//! SQLite errors in core's terms.

use tenantry_core::Error;

/// Unique indexes and what a clash on each means to a client.
const UNIQUE_MESSAGES: &[(&str, &str)] = &[
    (
        "users.email_norm",
        "a user with this email address already exists",
    ),
    ("users.username_norm", "this username is already taken"),
    (
        "accounts.external_id",
        "external_id is already used by another account of this tenant",
    ),
    (
        "devices.serial",
        "a device with this serial number already exists in this tenant",
    ),
];

pub(crate) fn db(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(db) => {
            if db.is_unique_violation() {
                let message = db.message();
                let text = UNIQUE_MESSAGES
                    .iter()
                    .find(|(needle, _)| message.contains(needle))
                    .map_or("conflicts with an existing record", |(_, text)| text);
                return Error::conflict(text);
            }
            if db.is_check_violation() {
                // The schema's CHECKs back up rules the services already enforce; reaching one
                // means a race or a bug, and the transaction has been rolled back.
                return Error::conflict("the change conflicts with a concurrent change; retry");
            }
            // SQLITE_BUSY (5) / SQLITE_LOCKED (6): the write lock stayed taken past the timeout.
            match db.code().as_deref() {
                Some("5") | Some("6") | Some("517") => {
                    Error::Unavailable(format!("database busy: {e}"))
                }
                _ => Error::internal(e),
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            Error::Unavailable(e.to_string())
        }
        _ => Error::internal(e),
    }
}
