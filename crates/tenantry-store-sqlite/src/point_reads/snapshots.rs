//! Read transactions that a read by key leaves open for the next read on its connection.
//!
//! Outside a transaction every SQLite statement begins and ends a read transaction of its own,
//! and in WAL mode both take a lock on the `-shm` file: an `fcntl` call, made under a mutex all
//! the process's connections share. In a `perf` profile of `me` that lock was 12.6 % of the
//! server's CPU, more than the statement itself: 5 % in the system call, the rest the async
//! workers queueing on the mutex while the other made it.
//!
//! So a read by key leaves its transaction open, and the next read by key on the same
//! connection reads in it while both hold:
//! - it began less than [`Policy::DEFAULT`]'s millisecond ago, so a write another process
//!   commits (the command line) is seen within a millisecond: the credential cache's recheck
//!   interval (`tenantry_core::auth::credential_cache`), shorter than any request;
//! - this process has committed no write since it began (`tenantry_core::committed_writes`),
//!   so the next read sees every write this server has answered.
//!
//! Lists and counts never read in a held transaction: `PointReads::run` ends it first.
//!
//! Nor is any held while this process writes, nor for 100 ms after its last commit
//! ([`Policy::quiet_for`]). Each commit ends them anyway, so they would save little; and a
//! writer starts the log over from its beginning only while no reader is in it, which held
//! transactions made rare: at the start of a `create-user` run (the seed's free-text segments
//! merging) the log grew to 80 MB where it had stayed at 40 MB, and went on growing by 15 MB
//! with each merge during the read-only runs after it. The free-text merges run on the
//! checkpoints' thread and count as this process's writes too.
//!
//! A transaction left open holds back checkpoints, which copy no page a reader's snapshot may
//! still need. So a thread of the pool's own ends the transactions of idle connections once no
//! read may read in them any more, looking [`Policy::sweep_after`] (10 ms) after one was left
//! open: at most a hundred wake-ups a second under load, none when the pool is idle.

use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tenantry_core::committed_writes;

use super::Shared;

/// How long read transactions are held, and how their staleness is told.
#[derive(Clone, Copy)]
pub(super) struct Policy {
    /// A transaction is read in again only while it is younger than this.
    pub(super) held_for: Duration,
    /// The writes this process has committed; a transaction is read in again only while this
    /// is what it was when the transaction began.
    pub(super) writes: fn() -> u64,
    /// How long after a transaction was left open the idle connections' ones are ended.
    pub(super) sweep_after: Duration,
    /// No transaction is held until this long after the last write this process committed.
    pub(super) quiet_for: Duration,
}

impl Policy {
    pub(super) const DEFAULT: Policy = Policy {
        held_for: Duration::from_millis(1),
        writes: committed_writes::count,
        sweep_after: Duration::from_millis(10),
        quiet_for: Duration::from_millis(100),
    };
}

/// A connection of the pool, and the read transaction it holds open, if any.
pub(super) struct Pooled {
    pub(super) conn: Connection,
    snapshot: Option<Snapshot>,
}

/// A read transaction left open for the next read by key.
#[derive(Clone, Copy)]
struct Snapshot {
    /// Taken before the transaction began, so the snapshot is never older than it says.
    began: Instant,
    /// The process's committed writes, counted before the transaction began.
    writes: u64,
}

impl Pooled {
    pub(super) fn new(conn: Connection) -> Pooled {
        Pooled {
            conn,
            snapshot: None,
        }
    }

    pub(super) fn holds_snapshot(&self) -> bool {
        self.snapshot.is_some()
    }

    /// Whether the connection holds a read transaction that `policy` lets a read by key read
    /// in again.
    fn snapshot_usable(&self, policy: Policy) -> bool {
        self.snapshot.is_some_and(|snapshot| {
            snapshot.began.elapsed() < policy.held_for && snapshot.writes == (policy.writes)()
        })
    }

    /// Ends the read transaction the connection holds, if any.
    pub(super) fn end_snapshot(&mut self) -> rusqlite::Result<()> {
        if self.snapshot.take().is_some() && !self.conn.is_autocommit() {
            self.conn.prepare_cached("COMMIT")?.execute([])?;
        }
        Ok(())
    }

    /// Keeps the read transaction the connection holds if `policy` lets it be read in again,
    /// else ends it and begins another, whose snapshot the next statement takes.
    pub(super) fn recent_snapshot(&mut self, policy: Policy) -> rusqlite::Result<()> {
        if self.snapshot_usable(policy) {
            return Ok(());
        }
        self.end_snapshot()?;
        let snapshot = Snapshot {
            began: Instant::now(),
            writes: (policy.writes)(),
        };
        self.conn.prepare_cached("BEGIN")?.execute([])?;
        self.snapshot = Some(snapshot);
        Ok(())
    }
}

/// Starts the thread that ends idle connections' transactions for the pool `shared` will be.
/// It ends when the pool is dropped. `None` if no thread could be started.
pub(super) fn start_sweeper(shared: Weak<Shared>, policy: Policy) -> Option<SyncSender<()>> {
    // One waiting notice is enough: the sweeps it starts go on until no idle connection holds
    // a transaction left open before them.
    let (wake, woken) = sync_channel(1);
    let started = std::thread::Builder::new()
        .name("sqlite-point-reads".into())
        .spawn(move || sweep_when_told(&shared, &woken, policy));
    match started {
        Ok(_) => Some(wake),
        Err(error) => {
            tracing::warn!(%error, "no thread to end held read transactions; reads by key hold none");
            None
        }
    }
}

fn sweep_when_told(shared: &Weak<Shared>, woken: &Receiver<()>, policy: Policy) {
    // The pool's sender goes with the pool, and then `recv` fails.
    while woken.recv().is_ok() {
        loop {
            std::thread::sleep(policy.sweep_after);
            let Some(shared) = shared.upgrade() else {
                return;
            };
            // Cleared before the sweep: a transaction left open from here on asks again.
            shared.sweep_due.store(false, Ordering::SeqCst);
            // One still usable was left open before that: it is swept once it no longer is.
            if !shared.end_unusable_idle_snapshots(policy) {
                break;
            }
        }
    }
}

/// When this process last committed a write, as far as the pool has seen.
pub(super) struct WritesSeen {
    count: AtomicU64,
    /// Microseconds after `origin`.
    changed_at: AtomicU64,
    origin: Instant,
}

impl WritesSeen {
    pub(super) fn new(policy: Policy) -> WritesSeen {
        WritesSeen {
            count: AtomicU64::new((policy.writes)()),
            changed_at: AtomicU64::new(0),
            origin: Instant::now(),
        }
    }

    /// Whether this process has committed no write for `policy.quiet_for`. The two counters
    /// are not read together, so a race may hold a transaction a moment early or late; either
    /// is harmless, as a held transaction still checks the count itself.
    pub(super) fn quiet(&self, policy: Policy) -> bool {
        let now = u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX);
        let writes = (policy.writes)();
        // Read before written: every read by key passes here, and a write to the shared
        // counter on each would bounce its cache line between the cores.
        if self.count.load(Ordering::Acquire) != writes {
            self.count.store(writes, Ordering::Release);
            self.changed_at.store(now, Ordering::Release);
            return false;
        }
        let quiet_for = u64::try_from(policy.quiet_for.as_micros()).unwrap_or(u64::MAX);
        now.saturating_sub(self.changed_at.load(Ordering::Acquire)) >= quiet_for
    }
}

impl Shared {
    /// A read left its transaction open: the sweeper is to end it once no read can use it.
    pub(super) fn sweep_soon(&self) {
        // Read first: while a sweep is due, reads leave the flag's cache line unwritten.
        if !self.sweep_due.load(Ordering::SeqCst)
            && !self.sweep_due.swap(true, Ordering::SeqCst)
            && let Some(sweeper) = &self.sweeper
        {
            // Full means a notice is already waiting, which this one would only repeat.
            let _ = sweeper.try_send(());
        }
    }

    /// Ends the transactions of idle connections that no read may read in again, dropping any
    /// connection that fails to end its own. Whether any idle connection still holds one.
    fn end_unusable_idle_snapshots(&self, policy: Policy) -> bool {
        let mut still_held = false;
        self.idle_connections().retain_mut(|pooled| {
            if pooled.snapshot_usable(policy) {
                still_held = true;
                return true;
            }
            pooled.end_snapshot().is_ok()
        });
        still_held
    }
}
