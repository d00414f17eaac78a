//! Rows as SQLite returns them, and their conversion into core records. The `*_columns!` macros
//! expand to string literals so every query stays a `&'static str` built with `concat!`.

use serde_json::{Map, Value};
use sqlx::FromRow;
use tenantry_core::auth::TokenHash;
use tenantry_core::model::{
    Account, AccountId, AccountPath, ApiToken, ApiTokenId, AuditId, AuditRecord, Device, DeviceId,
    Session, SessionId, User, UserId,
};
use tenantry_core::values::Preferences;
use tenantry_core::{Error, Result};

use crate::timestamps::{from_db, from_db_opt};

macro_rules! account_columns {
    () => {
        "id, tenant_id, parent_id, path, name, email, description, external_id, status, \
         device_seats, used_devices, children_seats, log_retention, created_at, updated_at, \
         activity_at"
    };
}
pub(crate) use account_columns;

macro_rules! user_columns {
    () => {
        "id, tenant_id, account_id, account_path, email, username, first_name, last_name, role, \
         status, email_verified, email_verified_at, terms_agreed_at, \
         password_hash IS NOT NULL AS has_password, last_login_at, locked_until, preferences, \
         created_at, updated_at"
    };
}
pub(crate) use user_columns;

macro_rules! device_columns {
    () => {
        "id, tenant_id, account_id, account_path, name, serial, is_test, is_cell, connected, \
         created_at"
    };
}
pub(crate) use device_columns;

macro_rules! audit_columns {
    () => {
        "id, tenant_id, account_path, actor, action, target_type, target_id, request_id, \
         details, at"
    };
}
pub(crate) use audit_columns;

fn parse<T: std::str::FromStr>(what: &str, raw: &str) -> Result<T> {
    raw.parse()
        .map_err(|_| Error::internal(format!("unexpected stored {what}: {raw:?}")))
}

#[derive(FromRow)]
pub(crate) struct AccountRow {
    id: i64,
    tenant_id: i64,
    parent_id: Option<i64>,
    path: String,
    name: String,
    email: Option<String>,
    description: Option<String>,
    external_id: Option<String>,
    status: String,
    device_seats: i64,
    used_devices: i64,
    children_seats: i64,
    log_retention: i64,
    created_at: i64,
    updated_at: i64,
    activity_at: i64,
}

impl AccountRow {
    /// The columns of `account_columns!()`, in that order from column `first`, of a row read
    /// through rusqlite (`point_reads`).
    pub(crate) fn from_by_key(
        row: &rusqlite::Row<'_>,
        first: usize,
    ) -> rusqlite::Result<AccountRow> {
        Ok(AccountRow {
            id: row.get(first)?,
            tenant_id: row.get(first + 1)?,
            parent_id: row.get(first + 2)?,
            path: row.get(first + 3)?,
            name: row.get(first + 4)?,
            email: row.get(first + 5)?,
            description: row.get(first + 6)?,
            external_id: row.get(first + 7)?,
            status: row.get(first + 8)?,
            device_seats: row.get(first + 9)?,
            used_devices: row.get(first + 10)?,
            children_seats: row.get(first + 11)?,
            log_retention: row.get(first + 12)?,
            created_at: row.get(first + 13)?,
            updated_at: row.get(first + 14)?,
            activity_at: row.get(first + 15)?,
        })
    }
}

impl TryFrom<AccountRow> for Account {
    type Error = Error;

    fn try_from(row: AccountRow) -> Result<Account> {
        Ok(Account {
            id: AccountId(row.id),
            tenant_id: AccountId(row.tenant_id),
            parent_id: row.parent_id.map(AccountId),
            path: AccountPath::from_stored(row.path),
            name: row.name,
            email: row.email,
            description: row.description,
            external_id: row.external_id,
            status: parse("account status", &row.status)?,
            device_seats: row.device_seats,
            used_devices: row.used_devices,
            children_seats: row.children_seats,
            log_retention: row.log_retention,
            created: from_db(row.created_at)?,
            updated: from_db(row.updated_at)?,
            activity: from_db(row.activity_at)?,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct UserRow {
    id: i64,
    tenant_id: i64,
    account_id: i64,
    account_path: String,
    email: String,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    role: String,
    status: String,
    email_verified: bool,
    email_verified_at: Option<i64>,
    terms_agreed_at: Option<i64>,
    has_password: bool,
    last_login_at: Option<i64>,
    locked_until: Option<i64>,
    preferences: String,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    /// The columns of `user_columns!()`, in that order from column `first`, of a row read
    /// through rusqlite (`point_reads`).
    pub(crate) fn from_by_key(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<UserRow> {
        Ok(UserRow {
            id: row.get(first)?,
            tenant_id: row.get(first + 1)?,
            account_id: row.get(first + 2)?,
            account_path: row.get(first + 3)?,
            email: row.get(first + 4)?,
            username: row.get(first + 5)?,
            first_name: row.get(first + 6)?,
            last_name: row.get(first + 7)?,
            role: row.get(first + 8)?,
            status: row.get(first + 9)?,
            email_verified: row.get(first + 10)?,
            email_verified_at: row.get(first + 11)?,
            terms_agreed_at: row.get(first + 12)?,
            has_password: row.get(first + 13)?,
            last_login_at: row.get(first + 14)?,
            locked_until: row.get(first + 15)?,
            preferences: row.get(first + 16)?,
            created_at: row.get(first + 17)?,
            updated_at: row.get(first + 18)?,
        })
    }
}

/// How many columns `user_columns!()` names.
pub(crate) const USER_COLUMNS: usize = 19;

impl TryFrom<UserRow> for User {
    type Error = Error;

    fn try_from(row: UserRow) -> Result<User> {
        let preferences: Map<String, Value> = serde_json::from_str(&row.preferences)
            .map_err(|e| Error::internal(format!("stored preferences are not an object: {e}")))?;
        Ok(User {
            id: UserId(row.id),
            account_id: AccountId(row.account_id),
            tenant_id: AccountId(row.tenant_id),
            account_path: AccountPath::from_stored(row.account_path),
            email: row.email,
            username: row.username,
            first_name: row.first_name,
            last_name: row.last_name,
            role: parse("role", &row.role)?,
            status: parse("user status", &row.status)?,
            email_verified: row.email_verified,
            email_verified_at: from_db_opt(row.email_verified_at)?,
            terms_agreed_at: from_db_opt(row.terms_agreed_at)?,
            has_password: row.has_password,
            last_login: from_db_opt(row.last_login_at)?,
            locked_until: from_db_opt(row.locked_until)?,
            preferences: Preferences::from_stored(preferences),
            created: from_db(row.created_at)?,
            updated: from_db(row.updated_at)?,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct DeviceRow {
    id: i64,
    tenant_id: i64,
    account_id: i64,
    account_path: String,
    name: String,
    serial: String,
    is_test: bool,
    is_cell: bool,
    connected: bool,
    created_at: i64,
}

impl TryFrom<DeviceRow> for Device {
    type Error = Error;

    fn try_from(row: DeviceRow) -> Result<Device> {
        Ok(Device {
            id: DeviceId(row.id),
            account_id: AccountId(row.account_id),
            tenant_id: AccountId(row.tenant_id),
            account_path: AccountPath::from_stored(row.account_path),
            name: row.name,
            serial: row.serial,
            is_test: row.is_test,
            is_cell: row.is_cell,
            connected: row.connected,
            created: from_db(row.created_at)?,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct SessionRow {
    id: i64,
    user_id: i64,
    account_id: i64,
    tenant_id: i64,
    account_path: String,
    role: String,
    user_status: String,
    account_status: String,
    access_hash: Vec<u8>,
    access_expires_at: i64,
    refresh_expires_at: i64,
}

impl TryFrom<SessionRow> for Session {
    type Error = Error;

    fn try_from(row: SessionRow) -> Result<Session> {
        Ok(Session {
            id: SessionId(row.id),
            user_id: UserId(row.user_id),
            account_id: AccountId(row.account_id),
            tenant_id: AccountId(row.tenant_id),
            account_path: AccountPath::from_stored(row.account_path),
            role: parse("role", &row.role)?,
            user_status: parse("user status", &row.user_status)?,
            account_status: parse("account status", &row.account_status)?,
            access_hash: TokenHash::from_bytes(&row.access_hash)
                .ok_or_else(|| Error::internal("stored access hash has the wrong length"))?,
            access_expires: from_db(row.access_expires_at)?,
            refresh_expires: from_db(row.refresh_expires_at)?,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct ApiTokenRow {
    id: i64,
    name: String,
    token_hash: Vec<u8>,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl ApiTokenRow {
    pub(crate) fn into_token(self) -> Result<(ApiToken, TokenHash)> {
        let hash = TokenHash::from_bytes(&self.token_hash)
            .ok_or_else(|| Error::internal("stored token hash has the wrong length"))?;
        let token = ApiToken {
            id: ApiTokenId(self.id),
            name: self.name,
            created: from_db(self.created_at)?,
            expires: from_db_opt(self.expires_at)?,
            revoked: from_db_opt(self.revoked_at)?,
        };
        Ok((token, hash))
    }
}

#[derive(FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    tenant_id: Option<i64>,
    account_path: Option<String>,
    actor: String,
    action: String,
    target_type: String,
    target_id: Option<i64>,
    request_id: Option<String>,
    details: String,
    at: i64,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = Error;

    fn try_from(row: AuditRow) -> Result<AuditRecord> {
        Ok(AuditRecord {
            id: AuditId(row.id),
            tenant_id: row.tenant_id.map(AccountId),
            account_path: row.account_path.map(AccountPath::from_stored),
            actor: row.actor,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            request_id: row.request_id,
            details: serde_json::from_str(&row.details).unwrap_or(Value::Null),
            at: from_db(row.at)?,
        })
    }
}

/// Converts every row, failing on the first that does not convert.
pub(crate) fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>>
where
    T: TryFrom<R, Error = Error>,
{
    // Sized once: a `Result` collect cannot tell how many rows will convert, so it would grow
    // the list step by step.
    let mut converted = Vec::with_capacity(rows.len());
    for row in rows {
        converted.push(T::try_from(row)?);
    }
    Ok(converted)
}

/// Fails with `Forbidden` if any of these stored roles ranks above `max_role`.
pub(crate) fn check_roles_at_most(
    roles: &[String],
    max_role: tenantry_core::auth::Role,
) -> Result<()> {
    for raw in roles {
        let role: tenantry_core::auth::Role = parse("role", raw)?;
        if role.rank() > max_role.rank() {
            return Err(Error::forbidden(format!(
                "the account has a user with the role \"{role}\", which outranks you"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn user_columns_counts_the_columns_the_macro_names() {
        // `USER_COLUMNS` is where a user's account starts in a joined row; it must move with
        // the macro.
        assert_eq!(user_columns!().split(',').count(), super::USER_COLUMNS);
    }
}
