//! WAL checkpoints on a thread and a connection of their own, so the writer never waits for one.
//!
//! In WAL mode every commit is appended to the log, and a checkpoint later copies the log's
//! pages into the database file and syncs both files. By default SQLite runs that checkpoint
//! on the connection whose commit takes the log past 1,000 pages, before its COMMIT returns;
//! with one writer, every write queued behind it waits too. In `create-user` the writer's
//! thread spent about 12 % of its time in the checkpoint's `fsync` alone, and the stalls set
//! the p99.
//!
//! Here group commit tells [`Checkpoints`] of each commit, and its thread runs a passive
//! checkpoint (which never takes a lock the writer or the readers wait on) at most once every
//! [`SPACING`]. The writer keeps SQLite's own checkpoint as a backstop at
//! [`BACKSTOP_PAGES`], far past what this thread lets the log reach, so the log stays bounded
//! even if these checkpoints fail or fall behind.
//!
//! Durability does not change: with `synchronous = NORMAL` a commit was never synced by itself,
//! and a checkpoint syncs the same files whichever connection runs it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

/// The least time between two checkpoints: often enough to keep the log short, seldom enough
/// that a page written again and again in between (an index's root, FTS5's structure record)
/// is copied and synced once.
pub(crate) const SPACING: Duration = Duration::from_millis(100);

/// The writer's own automatic checkpoint (`wal_autocheckpoint`, in pages), kept only in case
/// this thread's checkpoints fail or fall behind: about 40 MB of log.
pub(crate) const BACKSTOP_PAGES: u32 = 10_000;

/// Where commits are told of. Dropping the last clone ends the thread, which closes its
/// connection.
#[derive(Clone, Debug)]
pub(crate) struct Checkpoints {
    wake: SyncSender<()>,
}

impl Checkpoints {
    /// Starts the thread that checkpoints the database file at `path`.
    pub(crate) fn start(path: PathBuf) -> std::io::Result<Checkpoints> {
        // One waiting notice is enough: it stands for every commit made before it is taken.
        let (wake, woken) = sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoints".into())
            .spawn(move || run(&path, &woken))?;
        Ok(Checkpoints { wake })
    }

    /// A transaction has committed: a checkpoint is due within [`SPACING`]. Never blocks.
    pub(crate) fn committed(&self) {
        // Full means a notice is already waiting; disconnected cannot happen while `self` lives
        // unless the thread ended, and then the writer's backstop checkpoints instead.
        let _ = self.wake.try_send(());
    }
}

fn run(path: &Path, woken: &Receiver<()>) {
    let mut conn: Option<Connection> = None;
    let mut last: Option<Instant> = None;
    while woken.recv().is_ok() {
        if let Some(wait) = last.and_then(|at| SPACING.checked_sub(at.elapsed())) {
            std::thread::sleep(wait);
        }
        // The checkpoint below covers the commits told of while this thread slept.
        match woken.try_recv() {
            Ok(()) | Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => return,
        }
        last = Some(Instant::now());
        if let Err(error) = checkpoint(&mut conn, path) {
            // Opened afresh next time; meanwhile the writer's backstop bounds the log.
            conn = None;
            tracing::warn!(%error, path = %path.display(), "WAL checkpoint failed");
        }
    }
}

/// Copies what the log holds into the database file, as far as no reader still needs it.
fn checkpoint(conn: &mut Option<Connection>, path: &Path) -> rusqlite::Result<()> {
    let conn = match conn {
        Some(conn) => conn,
        None => conn.insert(connect(path)?),
    };
    // (busy, pages in the log, pages copied); a passive checkpoint never waits, so a busy
    // answer only means another checkpoint ran at the same moment.
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // The writer's setting: a checkpoint syncs the log before it copies and the database
    // file after.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

#[cfg(test)]
mod tests;
