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
//! The same thread merges the free-text indexes' segments once no commit has come for a
//! while ([`search_merges`]).
//!
//! Durability does not change: with `synchronous = NORMAL` a commit was never synced by itself,
//! and a checkpoint syncs the same files whichever connection runs it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use crate::search_merges::{self, Merged};

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
    // Commits since the free-text indexes were last merged as far as they go (the database may
    // come with segments to merge).
    let mut unmerged = true;
    loop {
        let notice = if unmerged {
            woken.recv_timeout(search_merges::QUIET)
        } else {
            woken.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match notice {
            Ok(()) => {
                unmerged = true;
                if let Some(wait) = last.and_then(|at| SPACING.checked_sub(at.elapsed())) {
                    std::thread::sleep(wait);
                }
                // The checkpoint below covers the commits told of while this thread slept.
                if let Err(TryRecvError::Disconnected) = woken.try_recv() {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => match merge(&mut conn, path, woken) {
                Merged::Closed => return,
                Merged::Done => unmerged = false,
                // A commit was told of: its checkpoint follows.
                Merged::Interrupted | Merged::More => {}
            },
            Err(RecvTimeoutError::Disconnected) => return,
        }
        last = Some(Instant::now());
        if let Err(error) = checkpoint(&mut conn, path) {
            // Opened afresh next time; meanwhile the writer's backstop bounds the log.
            conn = None;
            tracing::warn!(%error, path = %path.display(), "WAL checkpoint failed");
        }
    }
}

/// Merges the free-text indexes while nothing else is written, checkpointing the log every
/// [`SPACING`] of it.
fn merge(conn: &mut Option<Connection>, path: &Path, woken: &Receiver<()>) -> Merged {
    loop {
        let merged =
            connection(conn, path).and_then(|open| search_merges::merge_for(open, woken, SPACING));
        match merged {
            Ok(Merged::More) => {
                if let Err(error) = checkpoint(conn, path) {
                    conn.take();
                    tracing::warn!(%error, path = %path.display(), "WAL checkpoint failed");
                }
            }
            Ok(merged) => return merged,
            Err(error) => {
                // Tried again after the next commit and quiet spell.
                conn.take();
                tracing::warn!(%error, path = %path.display(), "merging free-text segments failed");
                return Merged::Done;
            }
        }
    }
}

/// Copies what the log holds into the database file, as far as no reader still needs it.
fn checkpoint(conn: &mut Option<Connection>, path: &Path) -> rusqlite::Result<()> {
    // (busy, pages in the log, pages copied); a passive checkpoint never waits, so a busy
    // answer only means another checkpoint ran at the same moment.
    connection(conn, path)?.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

/// The thread's connection, opened if it is not.
fn connection<'c>(
    conn: &'c mut Option<Connection>,
    path: &Path,
) -> rusqlite::Result<&'c Connection> {
    match conn {
        Some(conn) => Ok(conn),
        None => Ok(conn.insert(connect(path)?)),
    }
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // The writer's setting: a checkpoint syncs the log before it copies and the database
    // file after.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Its merges never wait for the writer (a busy database ends them), nor checkpoint inside
    // a step: this thread checkpoints between them.
    conn.busy_timeout(Duration::ZERO)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

#[cfg(test)]
mod tests;
