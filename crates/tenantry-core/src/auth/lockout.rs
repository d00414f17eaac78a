//! Brute-force protection for logins, kept in the database so that every server on it agrees.
//!
//! - **Per user**: after [`LockoutPolicy::threshold`] wrong passwords in a row the user is locked
//!   for [`LockoutPolicy::base_lock`], doubling with each further failure up to
//!   [`LockoutPolicy::max_lock`]; it lifts by itself, an administrator can lift it early, and a
//!   successful login starts the count afresh. While locked, even the right password gets the
//!   answer a wrong one gets, after the same hashing work: a lock reveals nothing.
//! - **Per client address**: after [`LockoutPolicy::address_limit`] failed logins within
//!   [`LockoutPolicy::address_window`], further logins from that address are refused with 429
//!   until the window has passed, whichever names they try (password spraying).

use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub threshold: i64,
    pub base_lock: Duration,
    pub max_lock: Duration,
    pub address_limit: i64,
    pub address_window: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            threshold: 5,
            base_lock: Duration::minutes(1),
            max_lock: Duration::hours(1),
            address_limit: 50,
            address_window: Duration::minutes(15),
        }
    }
}

impl LockoutPolicy {
    /// Until when a user with `failures` wrong passwords in a row is locked, if at all.
    pub fn locked_until(&self, failures: i64, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if failures < self.threshold {
            return None;
        }
        let doublings = u32::try_from(failures - self.threshold)
            .unwrap_or(u32::MAX)
            .min(20);
        let lock = self
            .base_lock
            .checked_mul(1i32 << doublings.min(30))
            .unwrap_or(self.max_lock)
            .min(self.max_lock);
        Some(now + lock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_at_the_threshold_double_and_stop_growing() {
        let policy = LockoutPolicy::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(policy.locked_until(4, now), None);
        assert_eq!(
            policy.locked_until(5, now),
            Some(now + Duration::minutes(1))
        );
        assert_eq!(
            policy.locked_until(6, now),
            Some(now + Duration::minutes(2))
        );
        assert_eq!(
            policy.locked_until(8, now),
            Some(now + Duration::minutes(8))
        );
        assert_eq!(policy.locked_until(12, now), Some(now + Duration::hours(1)));
        assert_eq!(
            policy.locked_until(i64::MAX, now),
            Some(now + Duration::hours(1))
        );
    }
}
