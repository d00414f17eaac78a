//! The read connections: a pool that takes a connection back the moment it is dropped.
//!
//! sqlx's pool returns each connection through a task of its own, which first pings the
//! connection's thread: a second trip to that thread for every read. In `get-user` that task
//! was 8 % of the server's CPU (perf), on top of the wake-ups it costs the connection's thread.
//! A SQLite connection to a file has no far end that could have gone away, and its thread runs
//! commands in the order they were sent, so a connection whose read was abandoned half-way is
//! ready for the next one as it is: the next command simply runs after what is left of the old.
//!
//! The pool opens connections as reads need them, up to its size, and keeps them; one older
//! than [`LIFETIME`] is closed when it comes back, so a connection whose thread has failed
//! does not stay in use for good. An in-memory database lives on the writer's one connection,
//! so there the readers borrow that connection from its sqlx pool instead.
//!
//! The readers also carry a pool of rusqlite connections (see `point_reads`): reads by key run
//! on them on the caller's thread ([`Readers::by_key`]), lists and counts on threads of the
//! readers' own ([`Readers::on_thread`], see `read_threads`), and both fall back to
//! [`Readers::acquire`]. The health report's counts are of the sqlx connections only.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Sqlite, SqliteConnection, SqlitePool};
use tenantry_core::{Error, Result};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::errors::db;
use crate::point_reads::PointReads;
use crate::read_threads::ReadThreads;

/// A connection this old is closed when it comes back, not kept.
const LIFETIME: Duration = Duration::from_secs(3600);

/// How long a read waits for a free connection before it is answered "unavailable".
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections to read with. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Readers {
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    Own(Arc<Shared>),
    /// The writer's pool, for an in-memory database.
    Borrowed(SqlitePool),
}

#[derive(Debug)]
struct Shared {
    options: SqliteConnectOptions,
    size: u32,
    /// One permit a connection: held by each connection in use.
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Idle>>,
    open: AtomicU32,
    /// Reads by key, run on the caller's thread (see `point_reads`).
    by_key: PointReads,
    /// Lists and counts, run on the same connections by threads of their own.
    threads: ReadThreads,
}

#[derive(Debug)]
struct Idle {
    conn: SqliteConnection,
    opened: Instant,
}

/// A connection taken from [`Readers`]; back in the pool when dropped.
pub(crate) struct Reader {
    held: Held,
}

enum Held {
    Own {
        /// `Some` until dropped.
        idle: Option<Idle>,
        shared: Arc<Shared>,
        /// Released after `idle` is back in the pool (fields drop after `Drop::drop`), so a
        /// read that gets the permit always finds a connection or room to open one.
        _permit: OwnedSemaphorePermit,
    },
    Borrowed(PoolConnection<Sqlite>),
}

impl Readers {
    /// A pool of at most `size` connections opened with `options`; none is opened yet.
    pub(crate) fn new(options: SqliteConnectOptions, size: u32) -> Readers {
        let size = size.max(1);
        let by_key = PointReads::new(options.get_filename().to_path_buf());
        Readers {
            source: Source::Own(Arc::new(Shared {
                threads: ReadThreads::start(size, &by_key),
                by_key,
                options,
                size,
                permits: Arc::new(Semaphore::new(size as usize)),
                idle: Mutex::new(Vec::with_capacity(size as usize)),
                open: AtomicU32::new(0),
            })),
        }
    }

    /// Readers that use the connections of `pool` (an in-memory database's only one).
    pub(crate) fn borrowing(pool: SqlitePool) -> Readers {
        Readers {
            source: Source::Borrowed(pool),
        }
    }

    /// A connection: an idle one, or a new one if none is idle and the pool is not full.
    pub(crate) async fn acquire(&self) -> Result<Reader> {
        let shared = match &self.source {
            Source::Borrowed(pool) => {
                let conn = pool.acquire().await.map_err(db)?;
                return Ok(Reader {
                    held: Held::Borrowed(conn),
                });
            }
            Source::Own(shared) => shared,
        };
        let permit = shared.permit().await?;
        let idle = shared.lock_idle().pop();
        let idle = match idle {
            Some(idle) => idle,
            None => {
                let conn = shared.options.connect().await.map_err(|e| {
                    Error::Unavailable(format!("cannot open a database connection: {e}"))
                })?;
                shared.open.fetch_add(1, Ordering::Relaxed);
                Idle {
                    conn,
                    opened: Instant::now(),
                }
            }
        };
        Ok(Reader {
            held: Held::Own {
                idle: Some(idle),
                shared: shared.clone(),
                _permit: permit,
            },
        })
    }

    /// Runs `read`, a statement that reads a row or two by key, on this thread (see
    /// `point_reads`), in the read transaction an earlier read by key left open if that is
    /// still recent (a millisecond, nothing committed since by this process).
    /// `None` if it cannot run here now: read through [`Readers::acquire`].
    pub(crate) fn by_key<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        match &self.source {
            Source::Own(shared) => shared.by_key.run_recent(read),
            Source::Borrowed(_) => None,
        }
    }

    /// Runs `read`, a statement that may read many pages (a list, a count), through rusqlite
    /// on one of the readers' threads (see `read_threads`): one trip there and back for the
    /// whole answer, where sqlx makes a trip for every row and copies each of its values out
    /// first. The read holds one of the pool's permits while it runs, so no more reads run at
    /// once than the pool's size.
    /// `Ok(None)` if it cannot run this way now: read through [`Readers::acquire`].
    pub(crate) async fn on_thread<T: Send + 'static>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<Option<T>> {
        let Source::Own(shared) = &self.source else {
            return Ok(None);
        };
        let permit = shared.permit().await?;
        // A caller that goes away leaves the read to finish; it holds its permit until then.
        let answer = shared
            .threads
            .run(move |conn| {
                let _permit = permit;
                read(conn)
            })
            .await;
        Ok(answer)
    }

    /// Connections open, idle and at most (for the health report).
    pub(crate) fn counts(&self) -> (u32, u32, u32) {
        match &self.source {
            Source::Own(shared) => {
                let idle = u32::try_from(shared.lock_idle().len()).unwrap_or(u32::MAX);
                (shared.open.load(Ordering::Relaxed), idle, shared.size)
            }
            // The writer's pool, counted as the writer.
            Source::Borrowed(_) => (0, 0, 0),
        }
    }

    /// Refuses new reads and closes the idle connections; those in use close when dropped.
    pub(crate) async fn close(&self) {
        let Source::Own(shared) = &self.source else {
            return;
        };
        shared.permits.close();
        shared.by_key.close();
        let idle = std::mem::take(&mut *shared.lock_idle());
        for idle in idle {
            shared.open.fetch_sub(1, Ordering::Relaxed);
            let _ = idle.conn.close().await;
        }
    }
}

impl Shared {
    /// One of the pool's permits: the right to read, on a connection of the pool or on one
    /// of rusqlite's.
    async fn permit(&self) -> Result<OwnedSemaphorePermit> {
        let closed = || Error::Unavailable("the database is closed".into());
        // Most reads find a connection free: only a read that must wait sets a timer.
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Ok(permit),
            Err(TryAcquireError::Closed) => Err(closed()),
            Err(TryAcquireError::NoPermits) => {
                tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.clone().acquire_owned())
                    .await
                    .map_err(|_| {
                        Error::Unavailable("no database connection free to read with".into())
                    })?
                    .map_err(|_| closed())
            }
        }
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // The list is only pushed to and popped from; a panic elsewhere cannot leave it torn.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let Held::Own { idle, shared, .. } = &mut self.held else {
            return;
        };
        let Some(idle) = idle.take() else {
            return;
        };
        if shared.permits.is_closed() || idle.opened.elapsed() > LIFETIME {
            // Dropping the connection ends its thread, which closes the database handle.
            shared.open.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        shared.lock_idle().push(idle);
    }
}

const TAKEN_ONLY_BY_DROP: &str =
    "acquire hands out a Reader with its connection, and only drop takes it";

impl Deref for Reader {
    type Target = SqliteConnection;

    #[allow(clippy::expect_used, reason = "see TAKEN_ONLY_BY_DROP")]
    fn deref(&self) -> &SqliteConnection {
        match &self.held {
            Held::Own { idle, .. } => &idle.as_ref().expect(TAKEN_ONLY_BY_DROP).conn,
            Held::Borrowed(conn) => conn,
        }
    }
}

impl DerefMut for Reader {
    #[allow(clippy::expect_used, reason = "see TAKEN_ONLY_BY_DROP")]
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.held {
            Held::Own { idle, .. } => &mut idle.as_mut().expect(TAKEN_ONLY_BY_DROP).conn,
            Held::Borrowed(conn) => conn,
        }
    }
}

#[cfg(test)]
mod tests;
