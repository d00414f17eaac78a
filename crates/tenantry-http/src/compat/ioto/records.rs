//! Ioto's account and user records, with its field names. Dates are ISO-8601 strings with
//! milliseconds, as JavaScript writes them.

use serde::Serialize;
use serde_json::Value;
use tenantry_core::model::{Account, User};
use time::OffsetDateTime;
use time::macros::format_description;

pub fn iso(t: OffsetDateTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IotoAccount {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub cloud_id: String,
    pub created: String,
    pub activity: String,
    /// Closed accounts are purged, so a record that can be read is never closed.
    pub closed: bool,
}

impl IotoAccount {
    pub fn new(account: Account, cloud_id: &str) -> Self {
        IotoAccount {
            id: account.id.to_string(),
            name: account.name,
            email: account.email,
            cloud_id: cloud_id.to_owned(),
            created: iso(account.created),
            activity: iso(account.activity),
            closed: false,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IotoUser {
    pub id: String,
    pub account_id: String,
    pub cloud_id: String,
    pub email: String,
    pub first: Option<String>,
    pub last: Option<String>,
    pub role: &'static str,
    /// The last login, or the creation if the user never logged in.
    pub activity: String,
    pub created: String,
    pub preferences: Value,
}

impl IotoUser {
    pub fn new(user: User, cloud_id: &str) -> Self {
        IotoUser {
            id: user.id.to_string(),
            account_id: user.account_id.to_string(),
            cloud_id: cloud_id.to_owned(),
            email: user.email,
            first: user.first_name,
            last: user.last_name,
            role: user.role.as_str(),
            activity: iso(user.last_login.unwrap_or(user.created)),
            created: iso(user.created),
            preferences: Value::Object(user.preferences.as_map().clone()),
        }
    }
}
