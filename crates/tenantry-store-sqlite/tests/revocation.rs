//! A revocation written behind the server's back, alone in its own test binary: the cache
//! counts this process's committed writes, and `cargo test` runs the tests of one binary on
//! threads of one process, so any other test's write would make the cache look again early.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use tenantry_store_sqlite::SqliteStore;
use tenantry_store_tests::TestDb;

/// Another process (the command line) revokes behind this one's back.
#[tokio::test]
async fn revocations_by_another_process_are_seen_within_the_recheck() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("revoke.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let h = tenantry_store_tests::Harness::new(TestDb {
        store: Arc::new(store.clone()),
        keep_alive: Some(Box::new(dir)),
    })
    .await;
    tenantry_store_tests::credentials::revocations_by_another_process_are_seen_within_the_recheck(
        h,
        async |sql| store.execute_raw(sql).await.unwrap(),
    )
    .await;
}
