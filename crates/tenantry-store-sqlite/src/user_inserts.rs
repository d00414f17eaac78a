//! New users that arrive together are inserted together: one statement for all their rows.
//!
//! Group commit lets writes share a COMMIT, but each write still runs its own statements, one
//! after another on the single writer connection, and every statement is a trip to that
//! connection's thread and back while all other writes wait. Worse, FTS5 writes its pending
//! terms out as a new index segment at every savepoint, so each user cost a segment of the
//! trigram index, and writing and merging those segments took 37 % of the writer's thread (a
//! `perf` profile of `create-user` on a fresh million-user database).
//!
//! So creations queue here. One task at a time takes every creation waiting (up to
//! [`MOST_USERS_PER_BATCH`]) and writes them as one write: one `INSERT … SELECT … RETURNING`
//! that joins each new row to its account, and one insert of their audit records (see
//! `users::insert_all_in`). Creations that arrive while it writes form the next batch; a
//! creation that finds no task writing starts one, so a lone creation waits for nothing.
//!
//! What a caller sees does not change: its user is created, with its audit record, or it gets
//! the error its own creation would have got. If any statement of a batch fails (a taken email
//! address, an account deleted meanwhile), the batch is rolled back and each of its creations
//! is written again on its own, so each answer is its own. A batch whose COMMIT fails reports
//! that failure to all of its creations, as group commit does. The batch runs in a task of its
//! own: a client that hangs up does not stop the other creations in its batch.

use std::sync::{Arc, Mutex, PoisonError};

use sqlx::SqliteConnection;
use tenantry_core::model::user::NewUser;
use tenantry_core::model::{AuditDraft, User};
use tenantry_core::{Error, Result};
use tokio::sync::oneshot;

use crate::group_commit::{Writer, begin_write, commit};
use crate::users;

/// The most users one batch writes. Bounds how long the creations of the next batch wait.
const MOST_USERS_PER_BATCH: usize = 64;

/// The creations waiting to be written, shared by one store's callers.
#[derive(Clone, Default)]
pub(crate) struct UserInserts {
    queue: Arc<Mutex<Queue>>,
}

impl std::fmt::Debug for UserInserts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("UserInserts")
            .field("waiting", &queue.waiting.len())
            .field("writing", &queue.writing)
            .field("written_together", &queue.written_together)
            .finish()
    }
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Creation>,
    /// A task is writing batches; it takes whatever waits when its batch is done.
    writing: bool,
    /// Users written by a batch of more than one (shown by `Debug`; tests check the batch
    /// path ran).
    written_together: usize,
}

struct Creation {
    new: NewUser,
    audit: AuditDraft,
    answer: oneshot::Sender<Result<User>>,
}

impl UserInserts {
    /// Inserts a user with its audit record, in a batch with the creations queued beside it.
    pub(crate) async fn insert(
        &self,
        writer: &Writer,
        new: NewUser,
        audit: AuditDraft,
    ) -> Result<User> {
        let (answer, answered) = oneshot::channel();
        let start_writing = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.waiting.push(Creation { new, audit, answer });
            !std::mem::replace(&mut queue.writing, true)
        };
        if start_writing {
            tokio::spawn(write_batches(writer.clone(), self.queue.clone()));
        }
        answered
            .await
            .map_err(|_| Error::Internal("a user's creation ended without an answer".to_owned()))?
    }
}

/// Writes batches until no creation waits.
async fn write_batches(writer: Writer, queue: Arc<Mutex<Queue>>) {
    let _panicking = StopsWritingOnPanic(queue.clone());
    loop {
        let batch: Vec<Creation> = {
            let mut queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
            let take = queue.waiting.len().min(MOST_USERS_PER_BATCH);
            if take == 0 {
                // Under the lock, so a creation queued after this starts a task of its own.
                queue.writing = false;
                return;
            }
            queue.waiting.drain(..take).collect()
        };
        write_batch(&writer, &queue, batch).await;
    }
}

/// If the writing task panics, the next creation must start another. The creations it held
/// are answered with an error as their senders drop; those still queued are refused too,
/// rather than left waiting for a batch that may never come.
struct StopsWritingOnPanic(Arc<Mutex<Queue>>);

impl Drop for StopsWritingOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            queue.writing = false;
            queue.waiting.clear();
        }
    }
}

async fn write_batch(writer: &Writer, queue: &Mutex<Queue>, batch: Vec<Creation>) {
    if batch.len() > 1 {
        match insert_all(writer, &batch).await {
            Outcome::Written(users) => {
                queue
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .written_together += users.len();
                for (creation, user) in batch.into_iter().zip(users) {
                    let _ = creation.answer.send(Ok(user));
                }
                return;
            }
            Outcome::NotCommitted(why) => {
                for creation in batch {
                    let _ = creation.answer.send(Err(Error::Unavailable(why.clone())));
                }
                return;
            }
            // Written again one by one below, so each gets the answer of its own.
            Outcome::StatementFailed => {}
        }
    }
    for creation in batch {
        let user = users::insert_alone(writer, creation.new, creation.audit).await;
        let _ = creation.answer.send(user);
    }
}

enum Outcome {
    /// Every user, in the batch's order.
    Written(Vec<User>),
    /// The statements succeeded but the COMMIT did not, for this reason: nothing was written.
    NotCommitted(String),
    /// A statement failed and the batch was rolled back.
    StatementFailed,
}

async fn insert_all(writer: &Writer, batch: &[Creation]) -> Outcome {
    let Ok(mut write) = begin_write(writer).await else {
        return Outcome::StatementFailed;
    };
    let users = match insert_rows(&mut write, batch).await {
        Ok(users) => users,
        // Dropping the write rolls its savepoint back.
        Err(_) => return Outcome::StatementFailed,
    };
    match commit(write).await {
        Ok(()) => Outcome::Written(users),
        Err(Error::Unavailable(why)) => Outcome::NotCommitted(why),
        Err(e) => Outcome::NotCommitted(e.to_string()),
    }
}

/// The batch's statements, inside its write. Any error means some creation needs its own answer.
async fn insert_rows(conn: &mut SqliteConnection, batch: &[Creation]) -> Result<Vec<User>> {
    let creations: Vec<(&NewUser, &AuditDraft)> =
        batch.iter().map(|c| (&c.new, &c.audit)).collect();
    users::insert_all_in(conn, &creations).await
}

#[cfg(test)]
mod tests;
