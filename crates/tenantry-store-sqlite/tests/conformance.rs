//! The store conformance suite on SQLite, each test on its own database file.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use tenantry_store_sqlite::SqliteStore;
use tenantry_store_tests::TestDb;

async fn fresh_database() -> Option<TestDb> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = SqliteStore::connect(&url).await.expect("open SQLite");
    Some(TestDb {
        store: Arc::new(store),
        keep_alive: Some(Box::new(dir)),
    })
}

tenantry_store_tests::conformance_suite!(crate::fresh_database);

/// The invariant check must be able to fail: corrupt a counter behind the store's back.
#[tokio::test]
async fn the_invariant_check_sees_a_corrupted_counter() {
    use tenantry_core::store::Store;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("corrupt.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let h = tenantry_store_tests::Harness::new(TestDb {
        store: Arc::new(store.clone()),
        keep_alive: Some(Box::new(dir)),
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
