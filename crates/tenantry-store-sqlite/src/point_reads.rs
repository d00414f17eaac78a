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

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Prepared statements each connection keeps, as many as sqlx keeps for the readers.
const STATEMENTS_KEPT: usize = 100;

/// Connections for reads by key, to one database file. Cheap to clone.
#[derive(Clone)]
pub(crate) struct PointReads {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Set by `close`, or when no connection can be opened: every read then falls back.
    off: AtomicBool,
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
        PointReads {
            shared: Arc::new(Shared {
                path,
                idle: Mutex::new(Vec::new()),
                off: AtomicBool::new(false),
            }),
        }
    }

    /// Runs `read` on a connection of the pool. `None` if it could not answer now, so the
    /// caller reads another way.
    pub(crate) fn run<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        if self.shared.off.load(Ordering::Acquire) {
            return None;
        }
        let conn = match self.idle().pop() {
            Some(conn) => conn,
            None => self.open()?,
        };
        match read(&conn) {
            Ok(answer) => {
                // A pool closed during the read does not take the connection back.
                if !self.shared.off.load(Ordering::Acquire) {
                    self.idle().push(conn);
                }
                Some(answer)
            }
            Err(error) => {
                // The connection is dropped rather than trusted again; the next read opens
                // another.
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

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // Pushes and pops leave the list whole even if a holder panicked.
        self.shared
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn open(&self) -> Option<Connection> {
        match connect(&self.shared) {
            Ok(conn) => Some(conn),
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
