//! A per-process cache of the principals bearer tokens stand for, so that most requests skip
//! the token's lookup in the store, while a revocation still takes effect at once.
//!
//! The database keeps a revocation counter (`auth_epoch`), bumped by triggers in the same
//! transaction as anything that changes what a token stands for: a session ended or rotated, a
//! user disabled, moved, deleted or given another role, an account suspended or deleted, a
//! service token revoked. Every cached principal is tagged with the counter's value read
//! *before* the lookup that produced it, and is used only while the counter still has that
//! value. The counter is read again:
//! - after any write this process committed (counted by the stores after each commit, in
//!   [`crate::committed_writes`]), so a logout or a suspension answered by this server is seen
//!   by the very next request it serves;
//! - when the last reading is older than the recheck interval (a millisecond by default), so a
//!   revocation committed by another process (another server on PostgreSQL, the command line
//!   on SQLite) is seen within that interval, which is shorter than any request.
//!
//! Only successes are cached; an unknown or refused token always goes to the store. Entries
//! are keyed by the token's SHA-256, as the database indexes it, so the timing of a lookup can
//! tell at most about hashes, never about tokens.

use std::collections::HashMap;
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

use super::{Principal, TokenHash};
use crate::committed_writes;

/// At most this many tokens are cached; past it the cache starts over.
const CAPACITY: usize = 16_384;

/// A cached principal and what it is valid for.
struct Entry {
    principal: Principal,
    /// The revocation counter's value read before the lookup.
    epoch: i64,
    expires: Option<OffsetDateTime>,
}

#[derive(Default)]
struct State {
    /// The counter's last reading, when it was taken, and the committed-write count before it.
    reading: Option<Reading>,
    entries: HashMap<[u8; 32], Entry>,
}

#[derive(Clone, Copy)]
struct Reading {
    epoch: i64,
    at: OffsetDateTime,
    writes: u64,
}

/// What [`CredentialCache::current`] decided.
pub enum Freshness {
    /// The last reading still holds: this is the counter's value.
    Known(i64),
    /// The counter must be read; pass the committed-write count to [`CredentialCache::record`].
    Stale { writes: u64 },
}

pub struct CredentialCache {
    recheck: Duration,
    state: Mutex<State>,
}

impl CredentialCache {
    /// A cache that reads the counter again at least every `recheck`; zero turns it off.
    pub fn new(recheck: Duration) -> Self {
        Self {
            recheck,
            state: Mutex::new(State::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.recheck.is_positive()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the map inconsistent for our uses
        // (inserts and clears), so a poisoned lock is simply taken over.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the last reading of the counter may still be trusted at `now`.
    pub fn current(&self, now: OffsetDateTime) -> Freshness {
        let writes = committed_writes::count();
        match self.state().reading {
            Some(r) if r.writes == writes && now >= r.at && now - r.at < self.recheck => {
                Freshness::Known(r.epoch)
            }
            _ => Freshness::Stale { writes },
        }
    }

    /// Records a reading of the counter taken after `writes` committed writes; a new value
    /// drops every cached principal.
    pub fn record(&self, epoch: i64, now: OffsetDateTime, writes: u64) {
        let mut state = self.state();
        let writes = match state.reading {
            // The counter only grows, so a lower value is a reading that started before the
            // one already recorded and lost the race to it: it says nothing new.
            Some(r) if epoch < r.epoch => return,
            Some(r) if epoch > r.epoch => {
                state.entries.clear();
                writes
            }
            // The same value: both readings saw the same state, so the later count holds.
            Some(r) => r.writes.max(writes),
            None => writes,
        };
        state.reading = Some(Reading {
            epoch,
            at: now,
            writes,
        });
    }

    /// The principal cached for `hash` under counter value `epoch`, if unexpired at `now`.
    pub fn get(&self, hash: &TokenHash, epoch: i64, now: OffsetDateTime) -> Option<Principal> {
        let state = self.state();
        let entry = state.entries.get(hash.as_bytes())?;
        let valid = entry.epoch == epoch && entry.expires.is_none_or(|expires| expires > now);
        valid.then(|| entry.principal.clone())
    }

    /// Caches what the store said `hash` stands for, looked up after reading `epoch`.
    pub fn put(
        &self,
        hash: TokenHash,
        principal: Principal,
        epoch: i64,
        expires: Option<OffsetDateTime>,
    ) {
        let mut state = self.state();
        // A lookup that began before a newer reading may carry stale state: drop it.
        if state.reading.is_some_and(|r| r.epoch != epoch) {
            return;
        }
        if state.entries.len() >= CAPACITY {
            state.entries.clear();
        }
        state.entries.insert(
            *hash.as_bytes(),
            Entry {
                principal,
                epoch,
                expires,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::auth::ServicePrincipal;
    use crate::model::ApiTokenId;

    fn principal(id: i64) -> Principal {
        Principal::Service(ServicePrincipal {
            token_id: ApiTokenId(id),
        })
    }

    fn token_id(p: Option<Principal>) -> Option<i64> {
        match p? {
            Principal::Service(s) => Some(s.token_id.0),
            Principal::User(_) => None,
        }
    }

    /// Tests that count on the process-wide write count standing still take turns with the
    /// one that moves it (`cargo test` runs them on threads of one process).
    static WRITE_COUNT: Mutex<()> = Mutex::new(());

    fn t0() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
    }

    #[test]
    fn a_reading_holds_until_the_recheck_interval_passes() {
        let _turn = WRITE_COUNT.lock().unwrap();
        let cache = CredentialCache::new(Duration::milliseconds(1));
        let Freshness::Stale { writes } = cache.current(t0()) else {
            panic!("nothing read yet")
        };
        cache.record(7, t0(), writes);
        assert!(matches!(cache.current(t0()), Freshness::Known(7)));
        let later = t0() + Duration::microseconds(999);
        assert!(matches!(cache.current(later), Freshness::Known(7)));
        let past = t0() + Duration::milliseconds(1);
        assert!(matches!(cache.current(past), Freshness::Stale { .. }));
        // A clock that went back is not trusted either.
        let before = t0() - Duration::microseconds(1);
        assert!(matches!(cache.current(before), Freshness::Stale { .. }));
    }

    #[test]
    fn a_committed_write_makes_the_reading_stale() {
        let _turn = WRITE_COUNT.lock().unwrap();
        let cache = CredentialCache::new(Duration::hours(1));
        let Freshness::Stale { writes } = cache.current(t0()) else {
            panic!("nothing read yet")
        };
        cache.record(1, t0(), writes);
        assert!(matches!(cache.current(t0()), Freshness::Known(1)));
        committed_writes::note();
        assert!(matches!(cache.current(t0()), Freshness::Stale { .. }));
    }

    #[test]
    fn a_new_counter_value_drops_every_entry() {
        let cache = CredentialCache::new(Duration::hours(1));
        let hash = TokenHash::of("tnt_st_example");
        cache.record(1, t0(), 0);
        cache.put(hash, principal(5), 1, None);
        assert_eq!(token_id(cache.get(&hash, 1, t0())), Some(5));
        cache.record(2, t0(), 0);
        assert_eq!(token_id(cache.get(&hash, 1, t0())), None);
        assert_eq!(token_id(cache.get(&hash, 2, t0())), None);
        // A lookup that read the old value and finishes late is not cached.
        cache.put(hash, principal(5), 1, None);
        assert_eq!(token_id(cache.get(&hash, 2, t0())), None);
        // Nor does a reading that lost the race take the counter back.
        cache.record(1, t0(), 0);
        cache.put(hash, principal(6), 2, None);
        assert_eq!(token_id(cache.get(&hash, 2, t0())), Some(6));
    }

    #[test]
    fn entries_expire_and_other_tokens_miss() {
        let cache = CredentialCache::new(Duration::hours(1));
        let hash = TokenHash::of("tnt_at_one");
        cache.record(3, t0(), 0);
        cache.put(hash, principal(9), 3, Some(t0() + Duration::minutes(5)));
        assert_eq!(token_id(cache.get(&hash, 3, t0())), Some(9));
        assert_eq!(
            token_id(cache.get(&hash, 3, t0() + Duration::minutes(5))),
            None
        );
        assert_eq!(
            token_id(cache.get(&TokenHash::of("tnt_at_two"), 3, t0())),
            None
        );
    }
}
