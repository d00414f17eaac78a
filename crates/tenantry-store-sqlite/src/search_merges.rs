//! Merging the free-text indexes' segments while no write comes, on the checkpoint thread.
//!
//! FTS5 writes each transaction's terms as a new segment, and a query seeks in every segment.
//! Inside a write FTS5 merges sixteen at a time (migration 9), which keeps `create-user` fast
//! but lets segments pile up: after 240,000 new users on a million, the users' index held 37
//! and an FTS query alone took 0.38 ms, against 0.13 ms in one segment. So once the database
//! has been [`QUIET`] for a while after a commit, the checkpoint thread runs FTS5 'merge'
//! steps of [`STEP_PAGES`] pages, until a step changes nothing or a commit is told of.
//! With `usermerge` at two (migration 10) they leave about one segment a level: three in that
//! run, 0.14 ms a query, after 3.9 s of merging.
//!
//! A step holds the database's write lock for a few milliseconds (5.1 ms on average in that
//! run), so a write that arrives meanwhile waits that long; merging stops at the next commit
//! and resumes at the next quiet spell. This connection never waits for the lock itself: a
//! busy database ends the merging until then.

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OptionalExtension};

/// How long after the last commit merging starts.
pub(crate) const QUIET: Duration = Duration::from_millis(500);

/// Pages a merge step writes: a few milliseconds of work each.
pub(crate) const STEP_PAGES: u32 = 32;

/// The free-text tables whose segments are merged.
const TABLES: [&str; 2] = ["accounts_search", "users_search"];

/// FTS5 keeps the list of an index's segments (its "structure") in this row of `<table>_data`.
const STRUCTURE_ROWID: i64 = 10;

/// How a run of merging ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Merged {
    /// Nothing is left to merge.
    Done,
    /// The time given ran out with more to merge (the log wants a checkpoint meanwhile).
    More,
    /// A commit was told of, or a write held the database: resume when it is quiet again.
    Interrupted,
    /// The thread's handles are gone: the store closed.
    Closed,
}

/// Merges until nothing is left, a commit is told of on `woken`, a write holds the lock, or
/// `slice` has passed.
pub(crate) fn merge_for(
    conn: &Connection,
    woken: &Receiver<()>,
    slice: Duration,
) -> rusqlite::Result<Merged> {
    let started = Instant::now();
    let tables = present(conn)?;
    loop {
        if started.elapsed() >= slice {
            return Ok(Merged::More);
        }
        match woken.try_recv() {
            Ok(()) => return Ok(Merged::Interrupted),
            Err(TryRecvError::Disconnected) => return Ok(Merged::Closed),
            Err(TryRecvError::Empty) => {}
        }
        match step(conn, &tables) {
            Ok(true) => {}
            Ok(false) => return Ok(Merged::Done),
            Err(error) if error.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {
                return Ok(Merged::Interrupted);
            }
            Err(error) => return Err(error),
        }
    }
}

/// The free-text tables this database has (a test database may have none).
fn present(conn: &Connection) -> rusqlite::Result<Vec<&'static str>> {
    let mut found = Vec::new();
    for table in TABLES {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)",
            [table],
            |row| row.get(0),
        )?;
        if exists {
            found.push(table);
        }
    }
    Ok(found)
}

/// One merge step on each table; whether any of them changed, so more may be left.
fn step(conn: &Connection, tables: &[&str]) -> rusqlite::Result<bool> {
    let mut changed = false;
    for table in tables {
        // Table names are this module's own constants.
        let structure = format!("SELECT block FROM {table}_data WHERE id = {STRUCTURE_ROWID}");
        let before: Option<Vec<u8>> = conn
            .query_row(&structure, [], |row| row.get(0))
            .optional()?;
        conn.execute(
            &format!("INSERT INTO {table} ({table}, rank) VALUES ('merge', {STEP_PAGES})"),
            [],
        )?;
        // A write like any other to the readers of this process (`point_reads`).
        tenantry_core::committed_writes::note();
        let after: Option<Vec<u8>> = conn
            .query_row(&structure, [], |row| row.get(0))
            .optional()?;
        changed |= before != after;
    }
    Ok(changed)
}

#[cfg(test)]
pub(crate) mod tests;
