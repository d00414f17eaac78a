//! Cloud Elements' account and user records, field for field as the seed's examples: camelCase,
//! dates as `YYYY-MM-DD`, ids as numbers, the legacy boolean flags, and no field sent as `null`
//! (a field without a value is left out).

use serde::Serialize;
use serde_json::{Map, Value};
use tenantry_core::model::{Account, AccountStatus, User, UserStatus};
use time::OffsetDateTime;
use time::macros::format_description;

use super::roles::RoleRecord;

/// A date as the vendor writes it.
pub fn date(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub active: bool,
    pub company_id: i64,
    pub created_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub default_account: bool,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl From<&Account> for AccountRecord {
    fn from(account: &Account) -> Self {
        AccountRecord {
            id: account.id.get(),
            name: account.name.clone(),
            description: account.description.clone(),
            active: account.status == AccountStatus::Active,
            company_id: account.tenant_id.get(),
            created_date: date(account.created),
            external_id: account.external_id.clone(),
            default_account: account.is_root(),
            kind: if account.is_root() {
                "Default"
            } else {
                "CompanyAccount"
            },
        }
    }
}

/// The address fields a user may carry (they "do not appear in Cloud Elements"; kept in the
/// user's preferences under `address`).
pub const ADDRESS_FIELDS: &[&str] = &[
    "city",
    "country",
    "phone",
    "postalCode",
    "stateProvince",
    "street1",
    "street2",
];

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub id: i64,
    pub created_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    pub email: String,
    pub active: bool,
    pub account_expired: bool,
    pub account_locked: bool,
    pub credentials_expired: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<RoleRecord>>,
    /// Shown on creation, and to a caller who proves the user's password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// A placeholder, only in the answer that changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<&'static str>,
    pub last_login_date: String,
    pub email_valid: bool,
    pub account_non_expired: bool,
    pub credentials_non_expired: bool,
    pub account_non_locked: bool,
    pub enabled: bool,
    pub full_name: String,
    #[serde(flatten)]
    pub address: Map<String, Value>,
}

impl From<&User> for UserRecord {
    fn from(user: &User) -> Self {
        let active = user.status == UserStatus::Active;
        let full_name = [user.first_name.as_deref(), user.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let address = match user.preferences.as_map().get("address") {
            Some(Value::Object(fields)) => fields
                .iter()
                .filter(|(k, v)| ADDRESS_FIELDS.contains(&k.as_str()) && v.is_string())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            _ => Map::new(),
        };
        UserRecord {
            id: user.id.get(),
            created_date: date(user.created),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.clone(),
            active,
            account_expired: false,
            account_locked: false,
            credentials_expired: false,
            roles: None,
            secret: None,
            password: None,
            last_login_date: user
                .last_login
                .map_or_else(|| "1970-01-01".to_owned(), date),
            email_valid: true,
            account_non_expired: true,
            credentials_non_expired: true,
            account_non_locked: true,
            enabled: active,
            full_name,
            address,
        }
    }
}
