use time::OffsetDateTime;

use super::account::AccountPath;
use super::ids::{AccountId, DeviceId};

/// A device occupies one of its account's seats unless it is a test device.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: DeviceId,
    pub account_id: AccountId,
    pub tenant_id: AccountId,
    pub account_path: AccountPath,
    pub name: String,
    pub serial: String,
    pub is_test: bool,
    pub created: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewDevice {
    pub account_id: AccountId,
    pub name: String,
    pub serial: String,
    pub is_test: bool,
    pub now: OffsetDateTime,
}
