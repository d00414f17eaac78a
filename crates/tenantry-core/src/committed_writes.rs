//! The count of writes this process has committed, kept by the stores.
//!
//! Whatever this process keeps from an earlier read of the database (the credential cache's
//! reading of the revocation counter, SQLite's held read transactions) compares the count
//! with the one it saw then: a different count means this process has written since, and what
//! it kept may be stale. Writes by other processes are not counted; each reader bounds how
//! long it trusts what it kept for those.
//!
//! One count for the whole process: a write to any store makes every reader look again,
//! which is never wrong, only a little more work.

use std::sync::atomic::{AtomicU64, Ordering};

static COMMITTED: AtomicU64 = AtomicU64::new(0);

/// Called by a store after it commits a write.
pub fn note() {
    COMMITTED.fetch_add(1, Ordering::AcqRel);
}

/// Writes this process has committed so far.
pub fn count() -> u64 {
    COMMITTED.load(Ordering::Acquire)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_moves_the_count() {
        let before = count();
        note();
        // Other tests in this process may note writes too, so the count only grows.
        assert!(count() > before);
    }
}
