//! The store conformance suite on PostgreSQL, each test in a schema of its own. Skipped unless
//! `TENANTRY_TEST_POSTGRES_URL` is set (CI sets it and requires these tests to run).

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use tenantry_store_postgres::test_support::{fresh_schema, test_url};
use tenantry_store_postgres::{PostgresOptions, PostgresStore};
use tenantry_store_tests::TestDb;

async fn fresh_database() -> Option<TestDb> {
    let url = test_url()?;
    let (scoped, guard) = fresh_schema(&url).await;
    let options = PostgresOptions {
        pool_size: 8,
        ..PostgresOptions::default()
    };
    let store = PostgresStore::connect(&scoped, &options)
        .await
        .expect("connect to the test schema");
    Some(TestDb {
        store: Arc::new(store),
        keep_alive: Some(Box::new(guard)),
    })
}

tenantry_store_tests::conformance_suite!(crate::fresh_database);

/// The invariant check must be able to fail: corrupt a counter behind the store's back.
#[tokio::test]
async fn the_invariant_check_sees_a_corrupted_counter() {
    use tenantry_core::store::Store;
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
    let root = h.root("Acme", 10).await;
    h.child(&root, "Child", 3).await;
    assert!(store.invariant_violations().await.unwrap().is_empty());
    store
        .execute_raw(
            "UPDATE accounts SET children_seats = children_seats - 1 WHERE parent_id IS NULL",
        )
        .await
        .unwrap();
    let violations = store.invariant_violations().await.unwrap();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("children_seats"), "{violations:?}");
}
