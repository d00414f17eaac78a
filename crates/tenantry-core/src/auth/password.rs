//! argon2id password hashing.
//!
//! One hash costs ~50 ms of CPU and ~19 MiB of memory at the OWASP parameters, so hashing runs on
//! a few dedicated threads (one per core), fed through a bounded queue: a burst of logins waits
//! its turn instead of starving the async workers, and memory stays at one hash's worth per
//! thread: each thread hashes in one working buffer it keeps while jobs are queued, instead of
//! allocating a fresh 19 MiB on every call, and hands it back to the system once the queue is
//! empty, so a server between logins does not hold 19 MiB per core.
//!
//! A login for an unknown email verifies against a dummy hash made with the same parameters, so
//! it costs the same time as a wrong password for a real user.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use crate::values::Password;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashParams {
    /// OWASP's recommendation for argon2id: m=19 MiB, t=2, p=1.
    pub const OWASP: HashParams = HashParams {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// The cheapest parameters argon2 accepts; for tests only, where thousands of hashes run.
    pub const INSECURE_FAST_FOR_TESTS: HashParams = HashParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| Error::internal(format!("invalid argon2 parameters: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// The hashing threads' names begin with this (`tenantry-hash-0`, …), which is how tools that
/// watch the process find them: `tenantry-bench` reads their CPU time to tell how much of the
/// machine went into hashing while logins ran. Linux keeps the first 15 bytes of a thread's name.
pub const HASHING_THREAD_NAME: &str = "tenantry-hash";

/// A unit of hashing work, run on a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// Jobs queued beyond the ones running; past this, callers wait to enqueue.
const QUEUE: usize = 256;

#[derive(Clone)]
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    jobs: mpsc::Sender<Job>,
    /// Jobs sent and not yet taken by a thread: a thread that finds none after its job gives
    /// its working memory back.
    queued: Arc<AtomicUsize>,
    /// Threads holding working memory.
    holding: Arc<AtomicUsize>,
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Starts `threads` hashing threads (use the number of cores); they stop when the last
    /// clone of the hasher is dropped.
    pub fn new(params: HashParams, threads: usize) -> Result<Self> {
        let argon2 = params.argon2()?;
        let (jobs, queue) = mpsc::channel::<Job>(QUEUE);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        let queued = Arc::new(AtomicUsize::new(0));
        let holding = Arc::new(AtomicUsize::new(0));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            let holding = holding.clone();
            std::thread::Builder::new()
                .name(format!("{HASHING_THREAD_NAME}-{n}"))
                .spawn(move || {
                    loop {
                        // Only the lock holder waits on the queue; the others wait on the lock.
                        // A thread about to wait for work first gives its memory back.
                        let job = match queue.lock() {
                            Ok(mut queue) => match queue.try_recv() {
                                Ok(job) => Some(job),
                                Err(mpsc::error::TryRecvError::Empty) => {
                                    settle_memory(&holding, false);
                                    queue.blocking_recv()
                                }
                                Err(mpsc::error::TryRecvError::Disconnected) => None,
                            },
                            Err(_) => None,
                        };
                        let Some(job) = job else { break };
                        job();
                    }
                })
                .map_err(|e| Error::internal(format!("cannot start a hashing thread: {e}")))?;
        }
        // The dummy hash is made on a hashing thread too, so no other thread keeps a hash's
        // worth of working memory. The queue is empty, so the job goes in at once.
        let (done, dummy) = std::sync::mpsc::channel();
        let dummy_argon2 = argon2.clone();
        let job = settled_job(
            queued.clone(),
            holding.clone(),
            move || hash_blocking(&dummy_argon2, "tenantry dummy password for unknown users"),
            move |hash| {
                let _ = done.send(hash);
            },
        );
        jobs.try_send(job)
            .map_err(|_| Error::internal("cannot queue the dummy hash"))?;
        let dummy_hash = dummy
            .recv()
            .map_err(|_| Error::internal("the dummy hash was lost"))??;
        Ok(Self {
            argon2,
            jobs,
            queued,
            holding,
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Hashing threads holding a working buffer right now: those with jobs still queued.
    pub fn working_buffers(&self) -> usize {
        self.holding.load(Ordering::Acquire)
    }

    pub async fn hash(&self, password: &Password) -> Result<String> {
        let argon2 = self.argon2.clone();
        let password = password.clone();
        self.run(move || hash_blocking(&argon2, password.expose()))
            .await
    }

    /// Verifies `password` against `stored`; with no stored hash (unknown user, or no password
    /// set) it verifies against the dummy hash and answers false, taking the same time.
    pub async fn verify(&self, password: &Password, stored: Option<&str>) -> Result<bool> {
        let password = password.clone();
        let (hash, real) = match stored {
            Some(hash) => (hash.to_owned(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let matches = self
            .run(move || Ok(verify_blocking(password.expose(), &hash)))
            .await?;
        Ok(real && matches)
    }

    /// Queues `work` for a hashing thread and waits for its answer. A caller that goes away
    /// (client gone, timeout) does not cancel the work, so at most one hash per thread ever
    /// runs, however many requests are abandoned.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let job = settled_job(
            self.queued.clone(),
            self.holding.clone(),
            work,
            move |result| {
                let _ = reply.send(result);
            },
        );
        self.jobs
            .send(job)
            .await
            .map_err(|_| Error::internal("password hashing threads stopped"))?;
        answer
            .await
            .map_err(|_| Error::internal("password hashing job was lost"))?
    }
}

/// A job that runs `work`, gives the thread's working memory back if no other job is queued,
/// and only then hands over the result: whoever waits for it sees the memory settled. The job
/// counts as queued from now until it starts or is dropped unsent.
fn settled_job<T: Send + 'static>(
    queued: Arc<AtomicUsize>,
    holding: Arc<AtomicUsize>,
    work: impl FnOnce() -> T + Send + 'static,
    answer: impl FnOnce(T) + Send + 'static,
) -> Job {
    let waiting = Queued::count(queued.clone());
    Box::new(move || {
        drop(waiting);
        let result = work();
        settle_memory(&holding, queued.load(Ordering::Acquire) > 0);
        answer(result);
    })
}

/// Keeps this thread's working memory if `keep`, else gives it back; keeps `holding` counting
/// the threads that hold some.
fn settle_memory(holding: &AtomicUsize, keep: bool) {
    let holds = keep && MEMORY.with(|memory| memory.borrow().capacity() > 0);
    if !holds {
        MEMORY.with(|memory| *memory.borrow_mut() = Vec::new());
    }
    COUNTED.with(|counted| {
        if counted.get() != holds {
            if holds {
                holding.fetch_add(1, Ordering::AcqRel);
            } else {
                holding.fetch_sub(1, Ordering::AcqRel);
            }
            counted.set(holds);
        }
    });
}

/// One job counted in `queued` while it lives.
struct Queued(Arc<AtomicUsize>);

impl Queued {
    fn count(queued: Arc<AtomicUsize>) -> Queued {
        queued.fetch_add(1, Ordering::AcqRel);
        Queued(queued)
    }
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

thread_local! {
    /// The hashing thread's working memory, reused by every hash it computes while jobs keep
    /// coming.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread is counted in its hasher's `holding`.
    static COUNTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The smallest working buffer reserved, in 1 KiB blocks: just over 32 MiB. Under glibc's
/// allocator an allocation above 32 MiB (its highest dynamic mmap threshold) gets a mapping of
/// its own, unmapped when freed, where a 19 MiB buffer would, after the first free raised that
/// threshold, come from a heap arena and stay resident for good. (The `tenantry` server runs
/// on jemalloc, which returns freed pages of any size after a short delay; the reservation is
/// for embedders on glibc.) Only the pages a hash touches become resident, so the reservation
/// beyond them costs address space, not memory.
const OWN_MAPPING_BLOCKS: usize = 32 * 1024 + 1;

/// Runs argon2 over `password` and `salt` into `out`, in this thread's reusable memory.
fn argon2_raw(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<()> {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        let blocks = params.block_count();
        if memory.capacity() == 0 {
            *memory = Vec::with_capacity(blocks.max(OWN_MAPPING_BLOCKS));
        }
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
            .map_err(|e| Error::internal(format!("password hashing failed: {e}")))
    })
}

/// A new PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) for `password`, with a fresh salt.
fn hash_blocking(argon2: &Argon2<'static>, password: &str) -> Result<String> {
    let params = argon2.params().clone();
    let salt: [u8; 16] = rand::random();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_raw(argon2, &params, password.as_bytes(), &salt, &mut out)?;
    let encoding = |e: &dyn std::fmt::Display| Error::internal(format!("PHC encoding: {e}"));
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| encoding(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| encoding(&e))?),
        hash: Some(Output::new(&out).map_err(|e| encoding(&e))?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `stored`, with the parameters recorded in it.
fn verify_blocking(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(hash.algorithm.as_str()),
        Params::try_from(&hash),
    ) else {
        return false;
    };
    let version = hash
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or_default();
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if argon2_raw(
        &argon2,
        &params,
        password.as_bytes(),
        salt.as_ref(),
        &mut out,
    )
    .is_err()
    {
        return false;
    }
    out.ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_standard_phc_strings() {
        // A hash made by the argon2 crate's own API verifies here, and ours verifies there:
        // stored hashes stay portable.
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let argon2 = HashParams::INSECURE_FAST_FOR_TESTS.argon2().unwrap();
        let theirs = argon2
            .hash_password(b"portable secret")
            .unwrap()
            .to_string();
        assert!(verify_blocking("portable secret", &theirs));
        assert!(!verify_blocking("other secret", &theirs));
        let ours = hash_blocking(&argon2, "portable secret").unwrap();
        assert!(
            argon2
                .verify_password(b"portable secret", ours.as_str())
                .is_ok()
        );
        assert!(ours.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{ours}");
    }

    #[tokio::test]
    async fn hashing_threads_give_their_memory_back_once_the_queue_is_empty() {
        // One thread: with two, the one that did not run the last job gives its memory back
        // only when it next finds the queue empty, which no answer waits for.
        let hasher = PasswordHasher::new(HashParams::INSECURE_FAST_FOR_TESTS, 1).unwrap();
        assert_eq!(hasher.working_buffers(), 0, "after the dummy hash");
        let password = Password::parse("correct horse").unwrap();
        let hashes = futures_like_join(&hasher, &password, 64).await;
        assert_eq!(hashes, 64);
        assert_eq!(hasher.working_buffers(), 0, "after a burst");
    }

    /// Runs `n` hashes at once and counts those that verify.
    async fn futures_like_join(hasher: &PasswordHasher, password: &Password, n: usize) -> usize {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (hasher, password) = (hasher.clone(), password.clone());
            tasks.spawn(async move {
                let hash = hasher.hash(&password).await.unwrap();
                hasher.verify(&password, Some(&hash)).await.unwrap()
            });
        }
        tasks.join_all().await.into_iter().filter(|ok| *ok).count()
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let hasher = PasswordHasher::new(HashParams::INSECURE_FAST_FOR_TESTS, 2).unwrap();
        let password = Password::parse("correct horse").unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify(&password, Some(&hash)).await.unwrap());
        let wrong = Password::candidate("wrong horse").unwrap();
        assert!(!hasher.verify(&wrong, Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&password, None).await.unwrap());
        assert!(
            !hasher
                .verify(&password, Some("not a phc string"))
                .await
                .unwrap()
        );
        let again = hasher.hash(&password).await.unwrap();
        assert_ne!(hash, again, "each hash has its own salt");
    }
}
