//! Group commit: writes that queue behind one another share one transaction.
//!
//! SQLite commits one transaction at a time, and most of a small write's cost is its commit:
//! the pages it touched go to the WAL, and FTS5 writes the new search terms out as a segment
//! of their own (2,000 user creations take 3.9 s as 2,000 transactions, three quarters of it
//! the trigram index). So a write that finds others queued behind it leaves its transaction
//! open for them, and one COMMIT makes the whole group durable.
//!
//! What a caller sees does not change:
//! - Writes still run one at a time, in the order they queued (a FIFO lock), so each sees
//!   everything written before it, as when each had a transaction of its own.
//! - Each write runs inside a savepoint. One that fails is rolled back to it, alone; the group
//!   goes on without it.
//! - [`commit`] returns only once the group's COMMIT has succeeded, and returns its error if it
//!   fails. No write reports success before its data is durable.
//! - A write stops waiting for others after [`MOST_WRITES_PER_COMMIT`], and a write that
//!   left the group open commits it itself when its turn at the lock comes round again, so
//!   no write waits on one that never comes.
//!
//! Finishing a write (commit or rollback) runs in a task of its own, so a client that hangs
//! up mid-write cannot leave the transaction open and the database locked.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tenantry_core::{Error, Result};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use crate::checkpoints::Checkpoints;
use crate::errors::db;

/// The most writes one COMMIT carries. Bounds how long the first of them waits for the rest.
const MOST_WRITES_PER_COMMIT: usize = 64;

/// How a group's COMMIT went, told to every write in it. `Err` carries the database's message.
type Outcome = Option<std::result::Result<(), String>>;

/// The single writer connection, shared by the writes of one store.
#[derive(Clone)]
pub(crate) struct Writer {
    pool: SqlitePool,
    slot: Arc<Mutex<Slot>>,
    /// Writes waiting for the lock. A write leaves the group open only if this is not zero.
    queued: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("pool", &self.pool)
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The group being written, behind the writers' lock.
struct Slot {
    /// The open transaction, while a group is being written.
    tx: Option<Transaction<'static, Sqlite>>,
    /// Which group `tx` is: counts the groups opened.
    group: u64,
    /// Writes finished inside `tx` and waiting for its COMMIT.
    members: usize,
    /// Where those writes learn how the COMMIT went.
    outcome: watch::Sender<Outcome>,
    /// A write is running inside its savepoint.
    in_savepoint: bool,
    /// Told of every commit; `None` for a database with no log to checkpoint (in memory).
    checkpoints: Option<Checkpoints>,
}

impl Writer {
    /// `pool` must hold one connection: writes are serialized by the lock in front of it.
    /// `checkpoints` hears of every commit (`None` where there is no log to checkpoint).
    pub(crate) fn new(pool: SqlitePool, checkpoints: Option<Checkpoints>) -> Writer {
        Writer {
            pool,
            slot: Arc::new(Mutex::new(Slot {
                tx: None,
                group: 0,
                members: 0,
                outcome: watch::Sender::new(None),
                in_savepoint: false,
                checkpoints,
            })),
            queued: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The connection pool underneath, for what runs outside a write (migrations, health).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// One write: a savepoint inside the group's transaction. Use it as a connection; end it with
/// [`commit`]. Dropped without a commit, it is rolled back.
pub(crate) struct WriteTx {
    /// `Some` from [`begin_write`] until [`commit`] or drop, and its `tx` is `Some` for as long.
    slot: Option<OwnedMutexGuard<Slot>>,
    writer: Writer,
}

/// Waits for the writers' lock, joins the open group or starts one, and opens a savepoint.
pub(crate) async fn begin_write(writer: &Writer) -> Result<WriteTx> {
    let slot = {
        let _queued = Queued::enter(&writer.queued);
        writer.slot.clone().lock_owned().await
    };
    // From here a drop (an error below, or the caller going away) rolls the write back.
    let mut write = WriteTx {
        slot: Some(slot),
        writer: writer.clone(),
    };
    write.enter().await?;
    Ok(write)
}

impl WriteTx {
    async fn enter(&mut self) -> Result<()> {
        let Some(slot) = self.slot.as_mut() else {
            return Err(finished());
        };
        if slot.in_savepoint {
            // Only a finishing task that died half-way leaves this; trust nothing in the group.
            fail_group(slot, "an earlier write did not finish").await;
        }
        if slot.tx.is_none() {
            // The group's first write opens its savepoint in the same trip as the transaction.
            let begun = self
                .writer
                .pool
                .begin_with("BEGIN IMMEDIATE; SAVEPOINT write")
                .await;
            let tx = match begun {
                Ok(tx) => tx,
                Err(e) => {
                    // Should BEGIN have succeeded and SAVEPOINT failed, sqlx would not know of
                    // the open transaction, and every later BEGIN would fail: end it.
                    let _ = sqlx::query("ROLLBACK").execute(&self.writer.pool).await;
                    return Err(db(e));
                }
            };
            slot.outcome = watch::Sender::new(None);
            slot.group = slot.group.wrapping_add(1);
            slot.members = 0;
            slot.tx = Some(tx);
            slot.in_savepoint = true;
            return Ok(());
        }
        slot.in_savepoint = true;
        let Some(tx) = slot.tx.as_mut() else {
            return Err(finished());
        };
        sqlx::query("SAVEPOINT write")
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        Ok(())
    }
}

/// Ends a write: releases its savepoint, and returns once the COMMIT that holds it succeeded.
pub(crate) async fn commit(mut write: WriteTx) -> Result<()> {
    let Some(slot) = write.slot.take() else {
        return Err(finished());
    };
    let writer = write.writer.clone();
    let outcome = tokio::spawn(finish(slot, writer))
        .await
        .map_err(|e| Error::Internal(format!("a write's commit did not finish: {e}")))??;
    outcome.map_err(|message| Error::Unavailable(format!("the write was not committed: {message}")))
}

/// Commits the group, or releases the savepoint and leaves the group to the writes queued
/// behind.
/// Returns the write's own error, or the group's outcome.
async fn finish(
    mut slot: OwnedMutexGuard<Slot>,
    writer: Writer,
) -> Result<std::result::Result<(), String>> {
    let leave_open =
        writer.queued.load(Ordering::Acquire) > 0 && slot.members + 1 < MOST_WRITES_PER_COMMIT;
    let Some(tx) = slot.tx.as_mut() else {
        return Err(finished());
    };
    // COMMIT releases the savepoint too: a write that commits at once saves the trip.
    if leave_open && let Err(e) = sqlx::query("RELEASE write").execute(&mut **tx).await {
        roll_back(slot, &writer).await;
        return Err(db(e));
    }
    slot.in_savepoint = false;
    slot.members += 1;
    let mut outcome = slot.outcome.subscribe();
    if leave_open {
        let group = slot.group;
        drop(slot);
        // Wait for a later write to commit the group, or take the lock again and commit it.
        tokio::select! {
            biased;
            _ = async { outcome.wait_for(Option::is_some).await.is_ok() } => {}
            mut slot = writer.slot.clone().lock_owned() => {
                // Holding the lock, no write is running: close the group if it is still open.
                if slot.group == group && slot.tx.is_some() {
                    if slot.in_savepoint {
                        // A write's finishing task died inside its savepoint.
                        fail_group(&mut slot, "a write in the group did not finish").await;
                    } else {
                        commit_group(&mut slot).await;
                    }
                }
            }
        }
    } else {
        commit_group(&mut slot).await;
    }
    let told = outcome.borrow().clone();
    Ok(told.unwrap_or_else(|| Err("the group's transaction was dropped".to_owned())))
}

/// Commits the open group, and tells its writes. The commit is counted
/// (`tenantry_core::committed_writes`) before any of them returns (and even if all their
/// callers went away).
async fn commit_group(slot: &mut Slot) {
    let Some(tx) = slot.tx.take() else {
        return;
    };
    let result = tx.commit().await.map_err(|e| e.to_string());
    if result.is_ok() {
        tenantry_core::committed_writes::note();
        if let Some(checkpoints) = &slot.checkpoints {
            checkpoints.committed();
        }
    }
    slot.members = 0;
    slot.outcome.send_replace(Some(result));
}

/// Undoes a write that will not commit. The group goes on without it.
async fn roll_back(mut slot: OwnedMutexGuard<Slot>, writer: &Writer) {
    let in_savepoint = slot.in_savepoint;
    if let Some(tx) = slot.tx.as_mut()
        && in_savepoint
    {
        // Succeeding proves the group's transaction is intact: a statement that made SQLite
        // roll back the whole transaction (a full disk, an I/O error) also removed the
        // savepoint, and the writes already in the group are lost.
        let undone = sqlx::raw_sql("ROLLBACK TO write; RELEASE write")
            .execute(&mut **tx)
            .await;
        slot.in_savepoint = false;
        if let Err(e) = undone {
            fail_group(&mut slot, &e.to_string()).await;
            return;
        }
    }
    if slot.members == 0 {
        // Nothing in the group: close it, so the lock on the database is not held idle.
        if let Some(tx) = slot.tx.take() {
            let _ = tx.rollback().await;
        }
    } else if writer.queued.load(Ordering::Acquire) == 0 {
        commit_group(&mut slot).await;
    }
    // Otherwise the writes waiting in the group commit it when their turn comes.
}

/// Rolls the whole group back and tells its writes why.
async fn fail_group(slot: &mut Slot, why: &str) {
    if let Some(tx) = slot.tx.take() {
        let _ = tx.rollback().await;
    }
    slot.in_savepoint = false;
    slot.members = 0;
    slot.outcome.send_replace(Some(Err(why.to_owned())));
}

fn finished() -> Error {
    Error::Internal("a write was used after it finished".to_owned())
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            // Without a runtime (shutting down), the transaction's own drop rolls it back.
            let writer = self.writer.clone();
            runtime.spawn(async move { roll_back(slot, &writer).await });
        }
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;

    #[allow(
        clippy::expect_used,
        reason = "begin_write hands out a WriteTx only with its transaction open, and only \
                  commit and drop, which consume it, take the transaction away"
    )]
    fn deref(&self) -> &SqliteConnection {
        self.slot
            .as_ref()
            .and_then(|slot| slot.tx.as_deref())
            .expect("a write in progress has its transaction")
    }
}

impl DerefMut for WriteTx {
    #[allow(
        clippy::expect_used,
        reason = "begin_write hands out a WriteTx only with its transaction open, and only \
                  commit and drop, which consume it, take the transaction away"
    )]
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.slot
            .as_mut()
            .and_then(|slot| slot.tx.as_deref_mut())
            .expect("a write in progress has its transaction")
    }
}

#[cfg(test)]
mod tests;

/// Counts a write as queued while it waits for the lock, including if it stops waiting.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn enter(count: &'a AtomicUsize) -> Queued<'a> {
        count.fetch_add(1, Ordering::AcqRel);
        Queued(count)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
