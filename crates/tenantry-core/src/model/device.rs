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
    /// A cellular device (its SIM is activated when the device is added).
    pub is_cell: bool,
    /// Whether the device is connected to the cloud right now, as last reported.
    pub connected: bool,
    pub created: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewDevice {
    pub account_id: AccountId,
    pub name: String,
    pub serial: String,
    pub is_test: bool,
    pub is_cell: bool,
    /// Set when the device enrols itself with a certificate request token: the store checks,
    /// inside the inserting transaction, that the token is still live for the account and the
    /// account is active.
    pub enrolled_with: Option<crate::auth::TokenHash>,
    pub now: OffsetDateTime,
}

/// A partial update of a device.
#[derive(Debug, Clone)]
pub struct DeviceChanges {
    pub name: Option<String>,
    pub connected: Option<bool>,
    pub now: OffsetDateTime,
}

/// Seat and connection figures for one account and for everything below it (ControlByWeb's
/// `devices/info`). Only seat-occupying (non-test) devices are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceCounts {
    pub used: i64,
    pub connected: i64,
    pub cell: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceStatistics {
    /// The account's own devices.
    pub own: DeviceCounts,
    /// Devices of every account below it.
    pub below: DeviceCounts,
    /// How many accounts are below it.
    pub accounts_below: i64,
}

impl DeviceStatistics {
    /// Assembles the figures from rows grouped as the stores query them: whether the group is
    /// the account's own devices, then how many are used, connected and cellular.
    pub fn from_groups(
        groups: impl IntoIterator<Item = (bool, i64, i64, i64)>,
        accounts_below: i64,
    ) -> DeviceStatistics {
        let mut statistics = DeviceStatistics {
            accounts_below,
            ..DeviceStatistics::default()
        };
        for (own, used, connected, cell) in groups {
            let counts = DeviceCounts {
                used,
                connected,
                cell,
            };
            if own {
                statistics.own = counts;
            } else {
                statistics.below = counts;
            }
        }
        statistics
    }
}
