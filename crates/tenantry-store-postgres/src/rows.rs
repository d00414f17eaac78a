//! Rows as PostgreSQL returns them, and their conversion into core records. The `*_columns!`
//! macros expand to string literals so every query stays a `&'static str` built with `concat!`.

use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, Row};
use tenantry_core::auth::TokenHash;
use tenantry_core::model::{
    Account, AccountId, AccountPath, ApiToken, ApiTokenId, AuditId, AuditRecord, Device, DeviceId,
    Session, SessionId, User, UserId,
};
use tenantry_core::values::Preferences;
use tenantry_core::{Error, Result};
use time::OffsetDateTime;

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

fn hash(what: &str, bytes: &[u8]) -> Result<TokenHash> {
    TokenHash::from_bytes(bytes)
        .ok_or_else(|| Error::internal(format!("stored {what} has the wrong length")))
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
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    activity_at: OffsetDateTime,
}

impl AccountRow {
    /// An account's columns from `first` on, in `account_columns!` order, read by position:
    /// for rows that also carry another record's columns, whose names clash with these.
    pub(crate) fn at(row: &PgRow, first: usize) -> sqlx::Result<AccountRow> {
        let column = |n: usize| first + n;
        Ok(AccountRow {
            id: row.try_get(column(0))?,
            tenant_id: row.try_get(column(1))?,
            parent_id: row.try_get(column(2))?,
            path: row.try_get(column(3))?,
            name: row.try_get(column(4))?,
            email: row.try_get(column(5))?,
            description: row.try_get(column(6))?,
            external_id: row.try_get(column(7))?,
            status: row.try_get(column(8))?,
            device_seats: row.try_get(column(9))?,
            used_devices: row.try_get(column(10))?,
            children_seats: row.try_get(column(11))?,
            log_retention: row.try_get(column(12))?,
            created_at: row.try_get(column(13))?,
            updated_at: row.try_get(column(14))?,
            activity_at: row.try_get(column(15))?,
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
            created: row.created_at,
            updated: row.updated_at,
            activity: row.activity_at,
        })
    }
}

/// A user's row as `user_columns!` selects it. Read by position, not by name: a page of 51
/// users is 969 columns, and each name is a hash lookup.
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
    email_verified_at: Option<OffsetDateTime>,
    terms_agreed_at: Option<OffsetDateTime>,
    has_password: bool,
    last_login_at: Option<OffsetDateTime>,
    locked_until: Option<OffsetDateTime>,
    preferences: Value,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

/// How many columns `user_columns!` names.
pub(crate) const USER_COLUMNS: usize = 19;

impl UserRow {
    /// A user's columns from `first` on, in `user_columns!` order, read by position: for rows
    /// that also carry another record's columns, whose names clash with these.
    pub(crate) fn at(row: &PgRow, first: usize) -> sqlx::Result<UserRow> {
        let column = |n: usize| first + n;
        Ok(UserRow {
            id: row.try_get(column(0))?,
            tenant_id: row.try_get(column(1))?,
            account_id: row.try_get(column(2))?,
            account_path: row.try_get(column(3))?,
            email: row.try_get(column(4))?,
            username: row.try_get(column(5))?,
            first_name: row.try_get(column(6))?,
            last_name: row.try_get(column(7))?,
            role: row.try_get(column(8))?,
            status: row.try_get(column(9))?,
            email_verified: row.try_get(column(10))?,
            email_verified_at: row.try_get(column(11))?,
            terms_agreed_at: row.try_get(column(12))?,
            has_password: row.try_get(column(13))?,
            last_login_at: row.try_get(column(14))?,
            locked_until: row.try_get(column(15))?,
            preferences: row.try_get(column(16))?,
            created_at: row.try_get(column(17))?,
            updated_at: row.try_get(column(18))?,
        })
    }
}

impl<'r> FromRow<'r, PgRow> for UserRow {
    /// The columns `user_columns!` names, first and in its order.
    fn from_row(row: &'r PgRow) -> sqlx::Result<UserRow> {
        UserRow::at(row, 0)
    }
}

impl TryFrom<UserRow> for User {
    type Error = Error;

    fn try_from(row: UserRow) -> Result<User> {
        let Value::Object(preferences) = row.preferences else {
            return Err(Error::internal("stored preferences are not an object"));
        };
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
            email_verified_at: row.email_verified_at,
            terms_agreed_at: row.terms_agreed_at,
            has_password: row.has_password,
            last_login: row.last_login_at,
            locked_until: row.locked_until,
            preferences: Preferences::from_stored(preferences),
            created: row.created_at,
            updated: row.updated_at,
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
    created_at: OffsetDateTime,
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
            created: row.created_at,
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
    access_expires_at: OffsetDateTime,
    refresh_expires_at: OffsetDateTime,
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
            access_hash: hash("access hash", &row.access_hash)?,
            access_expires: row.access_expires_at,
            refresh_expires: row.refresh_expires_at,
        })
    }
}

#[derive(FromRow)]
pub(crate) struct ApiTokenRow {
    id: i64,
    name: String,
    token_hash: Vec<u8>,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
}

impl ApiTokenRow {
    pub(crate) fn into_token(self) -> Result<(ApiToken, TokenHash)> {
        let token_hash = hash("token hash", &self.token_hash)?;
        let token = ApiToken {
            id: ApiTokenId(self.id),
            name: self.name,
            created: self.created_at,
            expires: self.expires_at,
            revoked: self.revoked_at,
        };
        Ok((token, token_hash))
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
    details: Value,
    at: OffsetDateTime,
}

impl From<AuditRow> for AuditRecord {
    fn from(row: AuditRow) -> AuditRecord {
        AuditRecord {
            id: AuditId(row.id),
            tenant_id: row.tenant_id.map(AccountId),
            account_path: row.account_path.map(AccountPath::from_stored),
            actor: row.actor,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            request_id: row.request_id,
            details: row.details,
            at: row.at,
        }
    }
}

/// Converts every row, failing on the first that does not convert.
pub(crate) fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>>
where
    T: TryFrom<R, Error = Error>,
{
    rows.into_iter().map(T::try_from).collect()
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
    /// `UserRow::at` finds the account's columns after this many of the user's.
    #[test]
    fn user_columns_counts_the_user_columns() {
        assert_eq!(user_columns!().split(',').count(), super::USER_COLUMNS);
    }
}
