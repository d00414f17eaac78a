//! The store conformance suite on SQLite, each test on its own database file.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use tenantry_store_sqlite::SqliteStore;
use tenantry_store_tests::TestDb;

async fn fresh_database() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = SqliteStore::connect(&url).await.expect("open SQLite");
    TestDb {
        store: Arc::new(store),
        keep_alive: Some(Box::new(dir)),
    }
}

tenantry_store_tests::conformance_suite!(crate::fresh_database);
