//! A revocation written behind the server's back, alone in its own test binary: the cache
//! counts this process's committed writes, and `cargo test` runs the tests of one binary on
//! threads of one process, so any other test's write would make the cache look again early.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use tenantry_store_postgres::test_support::{fresh_schema, test_url};
use tenantry_store_postgres::{PostgresOptions, PostgresStore};
use tenantry_store_tests::TestDb;

/// Another server on the database revokes behind this one's back.
#[tokio::test]
async fn revocations_by_another_process_are_seen_within_the_recheck() {
    let Some(url) = test_url() else { return };
    let (scoped, _guard) = fresh_schema(&url).await;
    let store = PostgresStore::connect(&scoped, &PostgresOptions::default())
        .await
        .unwrap();
    let h = tenantry_store_tests::Harness::new(TestDb {
        store: Arc::new(store.clone()),
        keep_alive: None,
    })
    .await;
    tenantry_store_tests::credentials::revocations_by_another_process_are_seen_within_the_recheck(
        h,
        async |sql| store.execute_raw(sql).await.unwrap(),
    )
    .await;
}
