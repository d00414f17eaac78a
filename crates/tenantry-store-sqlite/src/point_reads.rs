//! Reads of one row by its key, run on the calling thread; and the same connections for lists,
//! run on the readers' threads (`read_threads`).
//!
//! Through sqlx, every SQLite statement is a trip to the connection's own thread: the command
//! crosses a channel, that thread is woken, and the waiting task is woken again with the
//! answer. For a lookup by primary key the trip costs more than the statement: in a `perf`
//! profile of `get-user` the wake-ups alone were 6–7 % of the server's CPU, the statement 9 %.
//! These reads run the statement where the request is instead, through rusqlite on the same
//! SQLite library: a few microseconds on a warm page cache.
//!
//! Only a statement that reads a row or two through a unique index belongs here, because it
//! holds up an async worker while it runs; anything that may read many pages stays on the
//! readers' threads. A connection is held only inside one synchronous call, never across an
//! await, so the pool never holds more connections than threads have read through it at once.
//!
//! This path never waits: a database that is busy (a WAL recovery), a connection that fails,
//! a closed pool all answer `None`, and the caller reads through the readers as before, whose
//! answer or error then stands. A pool that cannot open a connection at all turns itself off.
//!
//! A read by key leaves its read transaction open for the next one on the same connection,
//! for a millisecond at most and only while this process writes nothing (`snapshots`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use snapshots::{Policy, Pooled, WritesSeen};

mod snapshots;

/// Prepared statements each connection keeps, as many as sqlx keeps for the readers.
const STATEMENTS_KEPT: usize = 100;

/// Connections for reads by key, to one database file. Cheap to clone.
#[derive(Clone)]
pub(crate) struct PointReads {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    idle: Mutex<Vec<Pooled>>,
    /// Set by `close`, or when no connection can be opened: every read then falls back.
    off: AtomicBool,
    /// How long a read transaction may be read in again (`snapshots`).
    policy: Policy,
    /// Wakes the thread that ends the transactions idle connections hold; `None` if it could
    /// not be started, and then no read leaves one open.
    sweeper: Option<SyncSender<()>>,
    /// Set while the sweeper has been woken and has not yet begun its sweep.
    sweep_due: AtomicBool,
    /// When this process last committed a write: none is held for a while after.
    writes_seen: WritesSeen,
}

impl std::fmt::Debug for PointReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointReads")
            .field("path", &self.shared.path)
            .field("off", &self.shared.off.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl PointReads {
    /// A pool for the database file at `path`; it opens connections as reads need them.
    pub(crate) fn new(path: PathBuf) -> PointReads {
        PointReads::with_policy(path, Policy::DEFAULT)
    }

    /// [`new`](Self::new), holding read transactions as `policy` says.
    fn with_policy(path: PathBuf, policy: Policy) -> PointReads {
        let shared = Arc::new_cyclic(|weak| Shared {
            path,
            idle: Mutex::new(Vec::new()),
            off: AtomicBool::new(false),
            policy,
            sweeper: snapshots::start_sweeper(weak.clone(), policy),
            sweep_due: AtomicBool::new(false),
            writes_seen: WritesSeen::new(policy),
        });
        PointReads { shared }
    }

    /// Runs `read` on a connection of the pool, in a read transaction of its own. `None` if it
    /// could not answer now, so the caller reads another way.
    pub(crate) fn run<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        self.run_on(read, Pooled::end_snapshot)
    }

    /// Runs `read` like [`run`](Self::run), but in the read transaction its connection's last
    /// read by key began, if that is younger than the pool's policy allows (a millisecond) and
    /// this process has committed no write since (`snapshots`).
    pub(crate) fn run_recent<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        let policy = self.shared.policy;
        if self.shared.sweeper.is_none() || !self.shared.writes_seen.quiet(policy) {
            return self.run(read);
        }
        self.run_on(read, |pooled| pooled.recent_snapshot(policy))
    }

    fn run_on<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
        prepare: impl FnOnce(&mut Pooled) -> rusqlite::Result<()>,
    ) -> Option<T> {
        if self.shared.off.load(Ordering::Acquire) {
            return None;
        }
        let mut pooled = match self.idle().pop() {
            Some(pooled) => pooled,
            None => self.open()?,
        };
        match prepare(&mut pooled).and_then(|()| read(&pooled.conn)) {
            Ok(answer) => {
                // A pool closed during the read does not take the connection back.
                if !self.shared.off.load(Ordering::Acquire) {
                    let holds_snapshot = pooled.holds_snapshot();
                    self.idle().push(pooled);
                    if holds_snapshot {
                        self.shared.sweep_soon();
                    }
                }
                Some(answer)
            }
            Err(error) => {
                // The connection is dropped rather than trusted again (which ends its read
                // transaction); the next read opens another.
                tracing::debug!(%error, "read by key falls back to the readers");
                None
            }
        }
    }

    /// Closes the idle connections and sends every later read to the fallback.
    pub(crate) fn close(&self) {
        self.shared.off.store(true, Ordering::Release);
        self.idle().clear();
    }

    /// Connections open and idle right now.
    #[cfg(test)]
    pub(crate) fn idle_count(&self) -> usize {
        self.idle().len()
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Pooled>> {
        self.shared.idle_connections()
    }

    fn open(&self) -> Option<Pooled> {
        match connect(&self.shared) {
            Ok(conn) => Some(Pooled::new(conn)),
            Err(error) => {
                tracing::warn!(
                    %error,
                    path = %self.shared.path.display(),
                    "cannot open a connection for reads by key; they go through the readers from now on"
                );
                self.shared.off.store(true, Ordering::Release);
                None
            }
        }
    }
}

impl Shared {
    fn idle_connections(&self) -> std::sync::MutexGuard<'_, Vec<Pooled>> {
        // Pushes, pops and sweeps leave the list whole even if a holder panicked.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn connect(shared: &Shared) -> rusqlite::Result<Connection> {
    // No mutex inside SQLite: a connection is only ever used by one thread at a time here.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&shared.path, flags)?;
    // Never sleep on the async worker waiting for a lock: busy means fall back.
    conn.busy_timeout(Duration::ZERO)?;
    conn.pragma_update(None, "query_only", true)?;
    // Lists bring a statement for each shape of filter and page size; rusqlite keeps 16.
    conn.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
    Ok(conn)
}

#[cfg(test)]
mod tests;
