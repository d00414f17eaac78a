//! JSON shapes shared by the native endpoints.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use tenantry_core::auth::Role;
use tenantry_core::model::{Account, AccountStatus, AuditRecord, Device, User, UserStatus};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Deserialises a field that distinguishes "absent" (`None`) from `null` (`Some(None)`), for
/// PATCH bodies where `null` clears a value. Use with `#[serde(default)]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Defines a list endpoint's query parameters: the ones every list takes (`filter`, `q`, `sort`,
/// `limit`, `cursor`, `count`) plus its own. Unknown parameters are refused.
macro_rules! list_query {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// A SCIM filter (RFC 7644 §3.4.2.2) over the listed records' fields, e.g.
            /// `email sw "ann" and status eq "active"`.
            pub filter: Option<String>,
            /// Free text, matched case-insensitively anywhere in the searchable fields
            /// (accounts: name, email, external_id; users: email, username, names).
            pub q: Option<String>,
            /// The field to sort by, `-` in front for descending; ties go by id.
            pub sort: Option<String>,
            /// Page size, 1–1000 (default 50).
            pub limit: Option<u32>,
            /// The `next_cursor` of the previous page (valid for the same filter, q and sort).
            pub cursor: Option<String>,
            /// Also return `total`: exact up to 10,000, "at least 10,000" beyond.
            pub count: Option<bool>,
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl $name {
            pub fn list_params(&self) -> tenantry_core::query::NativeListParams<'_> {
                tenantry_core::query::NativeListParams {
                    filter: self.filter.as_deref(),
                    q: self.q.as_deref(),
                    sort: self.sort.as_deref(),
                    limit: self.limit,
                    cursor: self.cursor.as_deref(),
                    count: self.count,
                }
            }
        }
    };
}
pub(crate) use list_query;

/// A count that stops at 10,000.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"value": 137, "exact": true}))]
pub struct TotalDto {
    pub value: u64,
    /// False when counting stopped at the cap: there are at least `value` records.
    pub exact: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RoleDto {
    User,
    Admin,
    Owner,
}

impl From<RoleDto> for Role {
    fn from(role: RoleDto) -> Role {
        match role {
            RoleDto::User => Role::User,
            RoleDto::Admin => Role::Admin,
            RoleDto::Owner => Role::Owner,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> RoleDto {
        match role {
            Role::User => RoleDto::User,
            Role::Admin => RoleDto::Admin,
            Role::Owner => RoleDto::Owner,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatusDto {
    Active,
    Suspended,
    Deactivated,
}

impl From<AccountStatusDto> for AccountStatus {
    fn from(status: AccountStatusDto) -> AccountStatus {
        match status {
            AccountStatusDto::Active => AccountStatus::Active,
            AccountStatusDto::Suspended => AccountStatus::Suspended,
            AccountStatusDto::Deactivated => AccountStatus::Deactivated,
        }
    }
}

impl From<AccountStatus> for AccountStatusDto {
    fn from(status: AccountStatus) -> AccountStatusDto {
        match status {
            AccountStatus::Active => AccountStatusDto::Active,
            AccountStatus::Suspended => AccountStatusDto::Suspended,
            AccountStatus::Deactivated => AccountStatusDto::Deactivated,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UserStatusDto {
    Active,
    Disabled,
}

impl From<UserStatusDto> for UserStatus {
    fn from(status: UserStatusDto) -> UserStatus {
        match status {
            UserStatusDto::Active => UserStatus::Active,
            UserStatusDto::Disabled => UserStatus::Disabled,
        }
    }
}

impl From<UserStatus> for UserStatusDto {
    fn from(status: UserStatus) -> UserStatusDto {
        match status {
            UserStatus::Active => UserStatusDto::Active,
            UserStatus::Disabled => UserStatusDto::Disabled,
        }
    }
}

/// An account. `free_seats = device_seats − used_devices − children_seats`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = account_example)]
pub struct AccountDto {
    pub id: i64,
    /// `null` for a root account (a tenant).
    pub parent_id: Option<i64>,
    /// The id of the root account of this account's tree.
    pub tenant_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub status: AccountStatusDto,
    /// Seats allocated to this account.
    pub device_seats: i64,
    /// Seats taken by this account's non-test devices.
    pub used_devices: i64,
    /// Seats handed down to direct child accounts.
    pub children_seats: i64,
    pub free_seats: i64,
    /// How long the account's device logs are kept, as a level (ControlByWeb's `logging`).
    pub log_retention: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
    /// The last login of one of its users, or its creation.
    #[serde(with = "time::serde::rfc3339")]
    pub activity: OffsetDateTime,
}

/// The example of [`AccountDto`] in the OpenAPI document, also embedded by the types that
/// contain an account: a child account, below its tenant (account 7).
pub(crate) fn account_example() -> Value {
    json!({
        "id": 42,
        "parent_id": 7,
        "tenant_id": 7,
        "name": "Acme Robotics",
        "email": "robotics@acme.example",
        "description": "Warehouse robots, Berlin site",
        "external_id": "ACME-ROB-01",
        "status": "active",
        "device_seats": 25,
        "used_devices": 12,
        "children_seats": 5,
        "free_seats": 8,
        "log_retention": 1,
        "created": "2024-03-18T09:30:00Z",
        "updated": "2024-06-02T14:05:11Z",
        "activity": "2024-06-10T07:48:32Z"
    })
}

impl From<Account> for AccountDto {
    fn from(a: Account) -> Self {
        AccountDto {
            free_seats: a.free_seats(),
            id: a.id.get(),
            parent_id: a.parent_id.map(|p| p.get()),
            tenant_id: a.tenant_id.get(),
            name: a.name,
            email: a.email,
            description: a.description,
            external_id: a.external_id,
            status: a.status.into(),
            device_seats: a.device_seats,
            used_devices: a.used_devices,
            children_seats: a.children_seats,
            log_retention: a.log_retention,
            created: a.created,
            updated: a.updated,
            activity: a.activity,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = user_example)]
pub struct UserDto {
    pub id: i64,
    pub account_id: i64,
    pub tenant_id: i64,
    pub email: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: RoleDto,
    pub status: UserStatusDto,
    pub email_verified: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub email_verified_at: Option<OffsetDateTime>,
    /// When the user agreed to the terms of service, if they have.
    #[serde(with = "time::serde::rfc3339::option")]
    pub terms_agreed_at: Option<OffsetDateTime>,
    /// False for a user created without a password, who cannot log in yet.
    pub has_password: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login: Option<OffsetDateTime>,
    /// Locked out of logging in until then, after repeated wrong passwords.
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
    #[schema(value_type = Object)]
    pub preferences: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated: OffsetDateTime,
}

/// The example of [`UserDto`] in the OpenAPI document: an admin of the example account.
pub(crate) fn user_example() -> Value {
    json!({
        "id": 58,
        "account_id": 42,
        "tenant_id": 7,
        "email": "ann@acme.example",
        "username": "ann.lee",
        "first_name": "Ann",
        "last_name": "Lee",
        "role": "admin",
        "status": "active",
        "email_verified": true,
        "email_verified_at": "2024-03-18T09:41:27Z",
        "terms_agreed_at": "2024-03-18T09:41:27Z",
        "has_password": true,
        "last_login": "2024-06-10T07:48:32Z",
        "locked_until": null,
        "preferences": {"language": "en", "timezone": "Europe/Berlin"},
        "created": "2024-03-18T09:35:02Z",
        "updated": "2024-05-21T16:02:09Z"
    })
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        UserDto {
            id: u.id.get(),
            account_id: u.account_id.get(),
            tenant_id: u.tenant_id.get(),
            email: u.email,
            username: u.username,
            first_name: u.first_name,
            last_name: u.last_name,
            role: u.role.into(),
            status: u.status.into(),
            email_verified: u.email_verified,
            email_verified_at: u.email_verified_at,
            terms_agreed_at: u.terms_agreed_at,
            has_password: u.has_password,
            last_login: u.last_login,
            locked_until: u.locked_until,
            preferences: Value::Object(u.preferences.as_map().clone()),
            created: u.created,
            updated: u.updated,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = device_example)]
pub struct DeviceDto {
    pub id: i64,
    pub account_id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub serial: String,
    /// Test devices occupy no seat.
    pub is_test: bool,
    /// A cellular device.
    pub is_cell: bool,
    /// Whether the device is connected right now, as last reported.
    pub connected: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// The example of [`DeviceDto`] in the OpenAPI document.
pub(crate) fn device_example() -> Value {
    json!({
        "id": 311,
        "account_id": 42,
        "tenant_id": 7,
        "name": "Boiler room sensor",
        "serial": "SN-000123",
        "is_test": false,
        "is_cell": false,
        "connected": true,
        "created": "2024-04-02T11:20:45Z"
    })
}

impl From<Device> for DeviceDto {
    fn from(d: Device) -> Self {
        DeviceDto {
            id: d.id.get(),
            account_id: d.account_id.get(),
            tenant_id: d.tenant_id.get(),
            name: d.name,
            serial: d.serial,
            is_test: d.is_test,
            is_cell: d.is_cell,
            connected: d.connected,
            created: d.created,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = audit_example)]
pub struct AuditDto {
    pub id: i64,
    /// `null` for installation-wide events such as service-token creation.
    pub tenant_id: Option<i64>,
    /// `user:<id>`, `token:<id>` or `cli`.
    pub actor: String,
    /// E.g. `account.create`, `user.role.set`, `user.login`.
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    pub request_id: Option<String>,
    /// What changed, where the action records it; `null` otherwise.
    #[schema(value_type = Option<Object>)]
    pub details: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The example of [`AuditDto`] in the OpenAPI document: the example user made another an admin.
pub(crate) fn audit_example() -> Value {
    json!({
        "id": 9051,
        "tenant_id": 7,
        "actor": "user:58",
        "action": "user.role.set",
        "target_type": "user",
        "target_id": 61,
        "request_id": "58e66658-1f39-4314-b5c4-0ff56525eae8",
        "details": {"from": "user", "to": "admin"},
        "at": "2024-06-10T08:02:13Z"
    })
}

impl From<AuditRecord> for AuditDto {
    fn from(r: AuditRecord) -> Self {
        AuditDto {
            id: r.id.get(),
            tenant_id: r.tenant_id.map(|t| t.get()),
            actor: r.actor,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            request_id: r.request_id,
            details: r.details,
            at: r.at,
        }
    }
}

/// The example page of the OpenAPI document around a record type's example, with a cursor
/// shaped like a real one.
fn page_example(item: Value) -> Value {
    json!({
        "data": [item],
        "next_cursor": "eyJrIjp7Im4iOjQyfSwiaSI6NDIsInEiOiJONHJfaUdwZnlFOTEifQ.\
                        YB0IkMsVpZDE1Ni0RGKvMHdf_OtES8i4ur7sgACNx-g",
        "total": {"value": 137, "exact": true}
    })
}

/// Defines a concrete page type `{"data": [...], "next_cursor": ...}` per record type, so each
/// appears in the OpenAPI document under its own name, with an example page around the record
/// type's example (the function `$example`).
macro_rules! page_type {
    ($name:ident, $item:ty, $example:ident) => {
        #[derive(Debug, Serialize, ToSchema)]
        #[schema(example = json!(page_example($example())))]
        pub struct $name {
            pub data: Vec<$item>,
            /// Pass as `cursor` to get the next page; `null` on the last page.
            pub next_cursor: Option<String>,
            /// Present when `count=true` was asked for.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub total: Option<TotalDto>,
        }

        impl $crate::list_json::Records for $name {
            fn records(&self) -> usize {
                self.data.len()
            }
        }

        impl<T: Into<$item>> From<tenantry_core::query::ListPage<T>> for $name {
            fn from(page: tenantry_core::query::ListPage<T>) -> Self {
                $name {
                    data: page.items.into_iter().map(Into::into).collect(),
                    next_cursor: page.next_cursor,
                    total: page.total.map(|t| TotalDto {
                        value: t.value,
                        exact: t.exact,
                    }),
                }
            }
        }
    };
}

page_type!(AccountPage, AccountDto, account_example);
page_type!(UserPage, UserDto, user_example);
page_type!(DevicePage, DeviceDto, device_example);
page_type!(AuditPage, AuditDto, audit_example);

/// Parses an optional field: absent stays `None`, present must parse.
pub fn optional<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    raw.map(parse).transpose()
}

/// Parses a PATCH field: absent stays `None`, `null` or `""` becomes `Some(None)` (clear it),
/// anything else must parse.
pub fn clearable<T>(
    raw: Option<Option<&str>>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<Option<T>>, String> {
    match raw {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(Some(s)) => parse(s).map(|v| Some(Some(v))),
    }
}

/// Borrows a PATCH field for [`clearable`].
pub fn opt_ref(value: &Option<Option<String>>) -> Option<Option<&str>> {
    value.as_ref().map(|inner| inner.as_deref())
}
