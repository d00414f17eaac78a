use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use super::ids::AccountId;

/// Where an account sits in its tree: `/root/child/…/self/`. Paths never change (accounts are not
/// re-parented), so every row below an account can carry a copy and be found by prefix — one
/// index range scan for "everything in this subtree".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountPath(String);

impl AccountPath {
    pub fn root(id: AccountId) -> AccountPath {
        AccountPath(format!("/{id}/"))
    }

    pub fn child(&self, id: AccountId) -> AccountPath {
        AccountPath(format!("{}{id}/", self.0))
    }

    /// Rebuilds a path read back from storage.
    pub fn from_stored(path: String) -> AccountPath {
        AccountPath(path)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `other` is this account or lies below it.
    pub fn contains(&self, other: &AccountPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The half-open string range `[low, high)` holding exactly this path and its descendants'
    /// paths under byte-wise ordering. Paths use only `/` and digits, and `/` sorts just before
    /// `0`, so replacing the final `/` with `0` gives the first string past the subtree.
    pub fn subtree_range(&self) -> (String, String) {
        let mut high = self.0.clone();
        high.pop();
        high.push('0');
        (self.0.clone(), high)
    }

    pub fn depth(&self) -> usize {
        self.0.matches('/').count().saturating_sub(1)
    }

    /// The ids from the root down to this account.
    pub fn ids(&self) -> impl Iterator<Item = AccountId> + '_ {
        self.0
            .split('/')
            .filter_map(|part| part.parse::<i64>().ok())
            .map(AccountId)
    }
}

impl fmt::Display for AccountPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    /// Its users cannot log in and their sessions stop working; children are unaffected.
    Suspended,
    /// Soft-deleted: kept for the record and reversible, but otherwise like suspended.
    Deactivated,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Deactivated => "deactivated",
        }
    }
}

impl FromStr for AccountStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(AccountStatus::Active),
            "suspended" => Ok(AccountStatus::Suspended),
            "deactivated" => Ok(AccountStatus::Deactivated),
            _ => Err("must be one of: active, suspended, deactivated".to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub tenant_id: AccountId,
    pub parent_id: Option<AccountId>,
    pub path: AccountPath,
    pub name: String,
    pub email: Option<String>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub status: AccountStatus,
    /// Seats allocated to this account (by its parent, or by the service for a root).
    pub device_seats: i64,
    /// Non-test devices in this account.
    pub used_devices: i64,
    /// Σ device_seats of the direct children.
    pub children_seats: i64,
    /// How long the account's device logs are kept, as a level (ControlByWeb's `logging`).
    pub log_retention: i64,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
    pub activity: OffsetDateTime,
}

impl Account {
    pub fn is_root(&self) -> bool {
        self.parent_id.is_none()
    }

    /// `seats − used − Σ children's seats`; never negative in a consistent store.
    pub fn free_seats(&self) -> i64 {
        crate::seats::free(self.device_seats, self.used_devices, self.children_seats)
    }
}

/// The folded text free-text search looks in for an account.
pub fn search_text(name: &str, email: Option<&str>, external_id: Option<&str>) -> String {
    crate::values::search_text([Some(name), email, external_id])
}

/// What a store needs to insert an account; produced by the account service after validation
/// and authorization.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub parent_id: Option<AccountId>,
    pub name: String,
    pub email: Option<String>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub status: AccountStatus,
    pub device_seats: i64,
    pub log_retention: i64,
    pub now: OffsetDateTime,
}

/// The log-retention level of a new account, and the highest level there is.
pub const DEFAULT_LOG_RETENTION: i64 = 1;
pub const MAX_LOG_RETENTION: i64 = 100;

/// A partial update; `None` leaves a field alone, `Some(None)` clears a nullable field.
#[derive(Debug, Clone)]
pub struct AccountChanges {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub external_id: Option<Option<String>>,
    pub status: Option<AccountStatus>,
    /// New absolute seat allocation; the difference moves from or to the parent's free seats.
    pub device_seats: Option<i64>,
    pub log_retention: Option<i64>,
    /// Disable every user of the account too (Cloud Elements' delete); they stay disabled if
    /// the account is reactivated.
    pub disable_users: bool,
    /// With `disable_users`: refuse with `Forbidden` if one of the users holds a role above
    /// this (nobody disables a user who outranks them).
    pub outranked_by: Option<crate::auth::Role>,
    pub now: OffsetDateTime,
}

impl AccountChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.description.is_none()
            && self.external_id.is_none()
            && self.status.is_none()
            && self.device_seats.is_none()
            && self.log_retention.is_none()
    }

    /// Names of the fields this change touches, for the audit record.
    pub fn field_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        let fields = [
            ("name", self.name.is_some()),
            ("email", self.email.is_some()),
            ("description", self.description.is_some()),
            ("external_id", self.external_id.is_some()),
            ("status", self.status.is_some()),
            ("device_seats", self.device_seats.is_some()),
            ("log_retention", self.log_retention.is_some()),
        ];
        for (name, present) in fields {
            if present {
                names.push(name);
            }
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest_and_ranges_cover_exactly_the_subtree() {
        let root = AccountPath::root(AccountId(1));
        let five = root.child(AccountId(5));
        let fifty = root.child(AccountId(50));
        let deep = five.child(AccountId(7));
        assert_eq!(deep.as_str(), "/1/5/7/");
        assert!(root.contains(&deep));
        assert!(five.contains(&deep));
        assert!(five.contains(&five));
        assert!(!five.contains(&fifty));
        assert!(!deep.contains(&five));
        let (low, high) = five.subtree_range();
        for inside in [&five, &deep] {
            assert!(inside.as_str() >= low.as_str() && inside.as_str() < high.as_str());
        }
        for outside in [&fifty, &root] {
            assert!(!(outside.as_str() >= low.as_str() && outside.as_str() < high.as_str()));
        }
        assert_eq!(deep.depth(), 3);
        assert_eq!(
            deep.ids().collect::<Vec<_>>(),
            [AccountId(1), AccountId(5), AccountId(7)]
        );
    }
}
