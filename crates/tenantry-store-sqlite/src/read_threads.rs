//! A fixed set of threads that run reads through rusqlite for the async side (lists, counts).
//!
//! A list read through sqlx costs a trip between threads for every row, and a copy of each of
//! its values; here the whole list is one trip. The threads are as many as the readers'
//! permits and live as long as the readers, so the number of threads (and the allocator's
//! memory each of them keeps) stays put under load: run with `spawn_blocking` instead, the
//! same reads grew tokio's blocking pool to 13 threads in `mixed` and its peak RSS by 20 MB.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

use crate::point_reads::PointReads;

type Job = Box<dyn FnOnce(&PointReads) + Send>;

/// Where reads are sent to the threads. The threads end when the last clone is dropped.
#[derive(Clone, Debug)]
pub(crate) struct ReadThreads {
    jobs: Sender<Job>,
}

impl ReadThreads {
    /// Starts `count` threads that read on `connections`.
    pub(crate) fn start(count: u32, connections: &PointReads) -> ReadThreads {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..count {
            let (queue, connections) = (queue.clone(), connections.clone());
            let started = std::thread::Builder::new()
                .name(format!("sqlite-read-{n}"))
                .spawn(move || work(&queue, &connections));
            // With no thread at all the queue is gone, and every read goes the other way.
            if let Err(error) = started {
                tracing::warn!(%error, "cannot start a SQLite read thread");
            }
        }
        ReadThreads { jobs }
    }

    /// Runs `read` on one of the threads, on a connection of `connections`. `None` if it
    /// could not run or failed there: the caller reads another way.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Option<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |connections: &PointReads| {
            // A caller that went away no longer hears the answer.
            let _ = answer.send(connections.run(read));
        });
        self.jobs.send(job).ok()?;
        answered.await.ok().flatten()
    }
}

fn work(queue: &Mutex<Receiver<Job>>, connections: &PointReads) {
    loop {
        // The lock is held only while waiting for a job, never while one runs.
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else {
            return;
        };
        // A read that panics drops its answer (its caller reads another way); the thread stays.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(connections)));
    }
}

#[cfg(test)]
mod tests;
