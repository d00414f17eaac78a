//! ControlByWeb's records, field for field as its documentation shows them: snake_case, flags
//! as 0/1, timestamps in Laravel's `2020-12-19T19:29:18.000000Z` form.

use std::collections::HashMap;

use serde::Serialize;
use tenantry_core::auth::{Caller, Role};
use tenantry_core::model::device::DeviceStatistics;
use tenantry_core::model::{Account, AccountId, AccountStatus, Device, User};
use tenantry_core::services::device_tokens::ShownCertificateToken;
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

use super::error::CbwResult;
use crate::state::AppState;

const LARAVEL: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// A time as Laravel serialises it (always UTC).
pub fn timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(LARAVEL)
        .unwrap_or_default()
}

fn flag(on: bool) -> u8 {
    u8::from(on)
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountRecord {
    pub account_id: i64,
    pub device_seats: i64,
    pub account_name: String,
    pub logging: i64,
    pub suspended: u8,
    pub used_devices: i64,
    pub parent_free_devices: i64,
}

impl AccountRecord {
    pub fn new(account: &Account, parent_free_devices: i64) -> Self {
        AccountRecord {
            account_id: account.id.get(),
            device_seats: account.device_seats,
            account_name: account.name.clone(),
            logging: account.log_retention,
            suspended: flag(account.status != AccountStatus::Active),
            used_devices: account.used_devices,
            parent_free_devices,
        }
    }
}

/// An account in the hierarchical (`descendants`) form.
#[derive(Debug, Serialize)]
pub struct AccountNode {
    #[serde(flatten)]
    pub account: AccountRecord,
    pub children: Vec<AccountNode>,
}

#[derive(Debug, Serialize)]
pub struct UserRecord {
    pub id: i64,
    pub account_id: i64,
    /// The username, or the email address for a user who has none (either logs in).
    pub username: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: String,
    pub email_verified_at: Option<String>,
    /// Only in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub account_admin: u8,
    pub terms_agreed: u8,
}

impl UserRecord {
    pub fn new(user: &User, account_name: Option<String>) -> Self {
        UserRecord {
            id: user.id.get(),
            account_id: user.account_id.get(),
            username: user.username.clone().unwrap_or_else(|| user.email.clone()),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.clone(),
            email_verified_at: user.email_verified_at.map(timestamp),
            account_name,
            account_admin: flag(is_account_admin(user.role)),
            terms_agreed: flag(user.terms_agreed_at.is_some()),
        }
    }
}

/// `account_admin = 1` is an administrator of the account (Tenantry's admin or owner).
pub fn is_account_admin(role: Role) -> bool {
    role >= Role::Admin
}

#[derive(Debug, Serialize)]
pub struct DeviceRecord {
    pub device_id: i64,
    pub account_id: i64,
    pub name: String,
    pub serial_number: String,
    pub cell: u8,
    pub connected: u8,
    pub test_device: u8,
    pub created_at: String,
    pub account: AccountRecord,
}

impl DeviceRecord {
    pub fn new(device: &Device, account: AccountRecord) -> Self {
        DeviceRecord {
            device_id: device.id.get(),
            account_id: device.account_id.get(),
            name: device.name.clone(),
            serial_number: device.serial.clone(),
            cell: flag(device.is_cell),
            connected: flag(device.connected),
            test_device: flag(device.is_test),
            created_at: timestamp(device.created),
            account,
        }
    }
}

/// `devices/info`: the account's own figures, those of all accounts below it, and the sums.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub max: i64,
    pub used: i64,
    pub connected: i64,
    pub disconnected: i64,
    pub cell: i64,
    #[serde(rename = "logRetentionID")]
    pub log_retention_id: i64,
    pub child_accounts_count: i64,
    pub child_accounts_max: i64,
    pub child_accounts_used: i64,
    pub child_accounts_connected: i64,
    pub child_accounts_disconnected: i64,
    /// So spelled by the vendor.
    #[serde(rename = "childAccountCell")]
    pub child_account_cell: i64,
    pub total_max: i64,
    pub total_used: i64,
    pub total_connected: i64,
    pub total_disconnected: i64,
    pub total_cell: i64,
}

impl DeviceInfo {
    /// An account's seats cover its own devices and everything it handed down, so its own
    /// maximum is what it kept, and the total is its whole allocation.
    pub fn new(account: &Account, stats: &DeviceStatistics) -> Self {
        let own = stats.own;
        let below = stats.below;
        DeviceInfo {
            max: account.device_seats - account.children_seats,
            used: own.used,
            connected: own.connected,
            disconnected: own.used - own.connected,
            cell: own.cell,
            log_retention_id: account.log_retention,
            child_accounts_count: stats.accounts_below,
            child_accounts_max: account.children_seats,
            child_accounts_used: below.used,
            child_accounts_connected: below.connected,
            child_accounts_disconnected: below.used - below.connected,
            child_account_cell: below.cell,
            total_max: account.device_seats,
            total_used: own.used + below.used,
            total_connected: own.connected + below.connected,
            total_disconnected: (own.used - own.connected) + (below.used - below.connected),
            total_cell: own.cell + below.cell,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TokenRecord {
    pub token: String,
    pub expires: String,
    pub created_at: String,
}

impl From<ShownCertificateToken> for TokenRecord {
    fn from(shown: ShownCertificateToken) -> Self {
        TokenRecord {
            token: shown.token,
            expires: timestamp(shown.record.expires),
            created_at: timestamp(shown.record.created),
        }
    }
}

/// Account records for one request: each account read once, and `parent_free_devices` taken
/// from a parent already at hand where possible.
pub struct AccountRecords<'a> {
    app: &'a AppState,
    caller: &'a Caller,
    accounts: HashMap<AccountId, Account>,
    records: HashMap<AccountId, AccountRecord>,
}

impl<'a> AccountRecords<'a> {
    pub fn new(app: &'a AppState, caller: &'a Caller) -> Self {
        Self {
            app,
            caller,
            accounts: HashMap::new(),
            records: HashMap::new(),
        }
    }

    /// Makes accounts already read (e.g. a listed subtree) available without another read.
    pub fn know(&mut self, accounts: impl IntoIterator<Item = Account>) {
        for account in accounts {
            self.accounts.insert(account.id, account);
        }
    }

    pub async fn account(&mut self, id: AccountId) -> CbwResult<&Account> {
        if !self.accounts.contains_key(&id) {
            let account = self.app.services.accounts.get(self.caller, id).await?;
            self.accounts.insert(id, account);
        }
        self.accounts
            .get(&id)
            .ok_or_else(|| tenantry_core::Error::internal("account cache lost an entry").into())
    }

    pub async fn record(&mut self, id: AccountId) -> CbwResult<AccountRecord> {
        if let Some(record) = self.records.get(&id) {
            return Ok(record.clone());
        }
        let account = self.account(id).await?.clone();
        let parent_free = match account.parent_id.and_then(|p| self.accounts.get(&p)) {
            Some(parent) => parent.free_seats(),
            None => {
                self.app
                    .services
                    .accounts
                    .parent_free_seats(self.caller, &account)
                    .await?
            }
        };
        let record = AccountRecord::new(&account, parent_free);
        self.records.insert(id, record.clone());
        Ok(record)
    }
}
