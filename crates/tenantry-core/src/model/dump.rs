//! What `tenantry export` writes and `tenantry import` reads: the rows of every table that
//! holds lasting state, column by column, in an order where every row comes after the rows it
//! refers to. The same list drives both stores, so a dump from SQLite loads into PostgreSQL
//! and back.
//!
//! Left out on purpose: sessions (everyone signs in again), the mail outbox and mailed-link
//! tokens (a migration is no time to resend mail), login-failure counters per address.

use serde_json::{Map, Value};

/// The dump format's version, written in every dump's header.
pub const FORMAT: i64 = 1;

/// One row: column name → value, as JSON.
pub type DumpRow = Map<String, Value>;

/// How a column's values are written in a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Int,
    Text,
    Bool,
    /// A point in time: RFC 3339, UTC, microseconds.
    Time,
    /// Binary (hashes, nonces, keys): standard base64.
    Bytes,
    /// A JSON document, written as itself.
    Json,
}

/// How a table's rows are narrowed to one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantScope {
    /// The table has a `tenant_id` column.
    Column,
    /// Through `account_id`: the account's tenant.
    Account,
    /// Through `user_id`: the user's tenant.
    User,
    /// Installation-wide (service tokens, keys): only in a whole-service dump.
    Installation,
}

#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    /// The integer primary key rows are read in order of, page by page; `None` for small
    /// tables read whole.
    pub key: Option<&'static str>,
    /// The columns that identify a row (its primary key), to find it in the target.
    pub identity: &'static [&'static str],
    pub scope: TenantScope,
    pub columns: &'static [(&'static str, ColumnType)],
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<ColumnType> {
        self.columns
            .iter()
            .find_map(|(column, kind)| (*column == name).then_some(*kind))
    }
}

use ColumnType::{Bool, Bytes, Int, Json, Text, Time};

/// Every table a dump holds, each after those it refers to.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "installation_secrets",
        key: None,
        identity: &["name"],
        scope: TenantScope::Installation,
        columns: &[("name", Text), ("secret", Bytes), ("created_at", Time)],
    },
    TableSpec {
        name: "accounts",
        // Ids grow, and a parent is made before its children: id order puts parents first.
        key: Some("id"),
        identity: &["id"],
        scope: TenantScope::Column,
        columns: &[
            ("id", Int),
            ("tenant_id", Int),
            ("parent_id", Int),
            ("path", Text),
            ("name", Text),
            ("name_norm", Text),
            ("email", Text),
            ("email_norm", Text),
            ("description", Text),
            ("external_id", Text),
            ("search_text", Text),
            ("status", Text),
            ("device_seats", Int),
            ("used_devices", Int),
            ("children_seats", Int),
            ("created_at", Time),
            ("updated_at", Time),
            ("activity_at", Time),
            ("log_retention", Int),
        ],
    },
    TableSpec {
        name: "users",
        key: Some("id"),
        identity: &["id"],
        scope: TenantScope::Column,
        columns: &[
            ("id", Int),
            ("tenant_id", Int),
            ("account_id", Int),
            ("account_path", Text),
            ("email", Text),
            ("email_norm", Text),
            ("username", Text),
            ("username_norm", Text),
            ("first_name", Text),
            ("first_name_norm", Text),
            ("last_name", Text),
            ("last_name_norm", Text),
            ("search_text", Text),
            ("role", Text),
            ("status", Text),
            ("email_verified", Bool),
            ("password_hash", Text),
            ("last_login_at", Time),
            ("preferences", Json),
            ("created_at", Time),
            ("updated_at", Time),
            ("email_verified_at", Time),
            ("terms_agreed_at", Time),
            ("failed_logins", Int),
            ("locked_until", Time),
        ],
    },
    TableSpec {
        name: "devices",
        key: Some("id"),
        identity: &["id"],
        scope: TenantScope::Column,
        columns: &[
            ("id", Int),
            ("tenant_id", Int),
            ("account_id", Int),
            ("account_path", Text),
            ("name", Text),
            ("name_norm", Text),
            ("serial", Text),
            ("is_test", Bool),
            ("created_at", Time),
            ("is_cell", Bool),
            ("connected", Bool),
        ],
    },
    TableSpec {
        name: "account_roles",
        key: None,
        identity: &["account_id", "role_key"],
        scope: TenantScope::Account,
        columns: &[
            ("account_id", Int),
            ("role_key", Text),
            ("granted_at", Time),
        ],
    },
    TableSpec {
        name: "organization_secrets",
        key: Some("account_id"),
        identity: &["account_id"],
        scope: TenantScope::Account,
        columns: &[
            ("account_id", Int),
            ("nonce", Bytes),
            ("secret_hash", Bytes),
            ("created_at", Time),
        ],
    },
    TableSpec {
        name: "user_secrets",
        key: Some("user_id"),
        identity: &["user_id"],
        scope: TenantScope::User,
        columns: &[
            ("user_id", Int),
            ("nonce", Bytes),
            ("secret_hash", Bytes),
            ("created_at", Time),
        ],
    },
    TableSpec {
        name: "api_tokens",
        key: Some("id"),
        identity: &["id"],
        scope: TenantScope::Installation,
        columns: &[
            ("id", Int),
            ("name", Text),
            ("token_hash", Bytes),
            ("created_at", Time),
            ("expires_at", Time),
            ("revoked_at", Time),
        ],
    },
    TableSpec {
        name: "certificate_tokens",
        key: Some("id"),
        identity: &["id"],
        scope: TenantScope::Column,
        columns: &[
            ("id", Int),
            ("tenant_id", Int),
            ("account_id", Int),
            ("token_hash", Bytes),
            ("nonce", Bytes),
            ("created_at", Time),
            ("expires_at", Time),
        ],
    },
    TableSpec {
        name: "seat_tokens",
        key: Some("id"),
        identity: &["id"],
        scope: TenantScope::Installation,
        columns: &[
            ("id", Int),
            ("token_hash", Bytes),
            ("seats", Int),
            ("created_at", Time),
            ("expires_at", Time),
            ("redeemed_by_account", Int),
            ("redeemed_at", Time),
        ],
    },
    TableSpec {
        name: "invitations",
        key: Some("id"),
        identity: &["id"],
        scope: TenantScope::Column,
        columns: &[
            ("id", Int),
            ("tenant_id", Int),
            ("account_id", Int),
            ("account_path", Text),
            ("user_id", Int),
            ("email", Text),
            ("role", Text),
            ("token_hash", Bytes),
            ("created_at", Time),
            ("expires_at", Time),
            ("accepted_at", Time),
            ("revoked_at", Time),
        ],
    },
    TableSpec {
        name: "audit_log",
        key: Some("id"),
        identity: &["id"],
        scope: TenantScope::Column,
        columns: &[
            ("id", Int),
            ("tenant_id", Int),
            ("account_path", Text),
            ("actor", Text),
            ("action", Text),
            ("target_type", Text),
            ("target_id", Int),
            ("request_id", Text),
            ("details", Json),
            ("at", Time),
        ],
    },
];

/// The table named so in [`TABLES`].
pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

/// A JSON value of a dump as a column's value, or why it cannot be: what every store's import
/// checks before binding anything.
pub fn check_value(kind: ColumnType, value: &Value) -> std::result::Result<(), &'static str> {
    let fits = match (kind, value) {
        (_, Value::Null) => true,
        (ColumnType::Int, Value::Number(n)) => n.is_i64(),
        (ColumnType::Text, Value::String(_)) => true,
        (ColumnType::Bool, Value::Bool(_)) => true,
        (ColumnType::Time, Value::String(s)) => parse_time(s).is_some(),
        (ColumnType::Bytes, Value::String(s)) => decode_bytes(s).is_some(),
        (ColumnType::Json, _) => true,
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(match kind {
            ColumnType::Int => "an integer",
            ColumnType::Text => "a string",
            ColumnType::Bool => "true or false",
            ColumnType::Time => "an RFC 3339 time",
            ColumnType::Bytes => "base64",
            ColumnType::Json => "JSON",
        })
    }
}

/// Writes a time as dumps do.
pub fn format_time(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A time as dumps write it; one that RFC 3339 cannot write back in UTC is not one.
pub fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(crate::clock::rfc3339_utc)
}

pub fn encode_bytes(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn decode_bytes(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// Whether two rows of `table` hold the same values (times compared as instants, so any RFC
/// 3339 spelling of the same moment matches).
pub fn same_row(table: &TableSpec, a: &DumpRow, b: &DumpRow) -> bool {
    table.columns.iter().all(|(column, kind)| {
        let (x, y) = (&a[*column], &b[*column]);
        match (kind, x, y) {
            (ColumnType::Time, Value::String(x), Value::String(y)) => {
                parse_time(x) == parse_time(y)
            }
            _ => x == y,
        }
    })
}

/// The rows of a batch that the target does not have yet, given the rows it has under the
/// same identities. A row the target holds with other values is an error: the dump and the
/// target disagree, and loading on would attach this dump's rows to someone else's records.
pub fn new_rows<'a>(
    table: &TableSpec,
    rows: &'a [DumpRow],
    existing: &[DumpRow],
) -> std::result::Result<Vec<&'a DumpRow>, String> {
    let there: std::collections::HashMap<String, &DumpRow> = existing
        .iter()
        .map(|row| (identity(table, row), row))
        .collect();
    let mut new = Vec::with_capacity(rows.len());
    for row in rows {
        let id = identity(table, row);
        match there.get(&id) {
            None => new.push(row),
            Some(there) if same_row(table, row, there) => {}
            Some(_) => {
                return Err(format!(
                    "{} {id} is already there with other values: this database is not the one \
                     the dump came from, nor an earlier import of it",
                    table.name,
                ));
            }
        }
    }
    Ok(new)
}

/// A row's identity as text (`42`, or `7/"admin"`), to find it among others.
pub fn identity(table: &TableSpec, row: &DumpRow) -> String {
    let parts: Vec<String> = table
        .identity
        .iter()
        .map(|c| row.get(*c).map_or_else(String::new, Value::to_string))
        .collect();
    parts.join("/")
}

/// Checks a whole row against its table: every column present (null where empty), none else,
/// each of its type.
pub fn check_row(table: &TableSpec, row: &DumpRow) -> std::result::Result<(), String> {
    for (column, kind) in table.columns {
        let value = row
            .get(*column)
            .ok_or_else(|| format!("{}: no column {column}", table.name))?;
        check_value(*kind, value)
            .map_err(|want| format!("{}.{column} must be {want}, not {value}", table.name))?;
    }
    if let Some(extra) = row.keys().find(|k| table.column(k).is_none()) {
        return Err(format!("{}: unknown column {extra}", table.name));
    }
    Ok(())
}
