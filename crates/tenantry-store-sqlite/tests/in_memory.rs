//! The store conformance suite on an in-memory SQLite database (one connection for all).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use tenantry_store_sqlite::SqliteStore;
use tenantry_store_tests::TestDb;

async fn fresh_database() -> Option<TestDb> {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("open SQLite");
    Some(TestDb {
        store: Arc::new(store),
        keep_alive: None,
    })
}

tenantry_store_tests::conformance_suite!(crate::fresh_database);
