//! PostgreSQL can answer the common lists from indexes: with sequential scans disabled, no plan
//! falls back to one. Indexes an import sets aside come back when it finishes, or on the next
//! start if it never does. Skipped unless `TENANTRY_TEST_POSTGRES_URL` is set.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use tenantry_core::store::Store;
use tenantry_store_postgres::test_support::{fresh_schema, test_url};
use tenantry_store_postgres::{PostgresOptions, PostgresStore};

/// The common lists whose plan has a sequential scan or no index, with their plans.
async fn lists_without_an_index(store: &PostgresStore) -> Vec<String> {
    let mut failures = Vec::new();
    for case in tenantry_store_tests::plans::cases() {
        let plan = store
            .explain_list(&case.scope, &case.request)
            .await
            .unwrap();
        let text = plan.join("\n");
        eprintln!("{}:\n{text}\n", case.name);
        // Which of several indexes an empty table's plan picks follows no statistics, so only
        // SQLite's test holds a case to its named index.
        if text.contains("Seq Scan") || !text.contains("Index") {
            failures.push(format!("{}:\n{text}", case.name));
        }
    }
    failures
}

async fn connect(url: &str) -> PostgresStore {
    PostgresStore::connect(url, &PostgresOptions::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn common_lists_can_use_an_index() {
    let Some(url) = test_url() else { return };
    let (scoped, _guard) = fresh_schema(&url).await;
    let store = connect(&scoped).await;
    let failures = lists_without_an_index(&store).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn indexes_set_aside_for_an_import_come_back() {
    let Some(url) = test_url() else { return };
    let (scoped, _guard) = fresh_schema(&url).await;
    let store = connect(&scoped).await;
    let set_aside = store.prepare_load().await.unwrap();
    assert!(set_aside > 10, "{set_aside}");
    assert!(!lists_without_an_index(&store).await.is_empty());
    store.finish_load().await.unwrap();
    let failures = lists_without_an_index(&store).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // An import that dies after setting them aside: the next start builds them.
    assert_eq!(store.prepare_load().await.unwrap(), set_aside);
    store.close().await;
    let restarted = connect(&scoped).await;
    let failures = lists_without_an_index(&restarted).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Deleting an account or a user makes PostgreSQL find the rows that refer to it by the foreign
/// key's column alone (to cascade, or to refuse), and so do the checks on an account's owners:
/// each such column must lead an index, else each of those reads the whole table (138 ms of a
/// 162 ms account deletion at a million users).
#[tokio::test]
async fn every_foreign_key_leads_an_index() {
    use sqlx::Connection as _;
    let Some(url) = test_url() else { return };
    let (scoped, _guard) = fresh_schema(&url).await;
    connect(&scoped).await.close().await;
    let mut conn = sqlx::PgConnection::connect(&scoped).await.unwrap();
    let foreign_keys: Vec<(String, bool)> = sqlx::query_as(
        "SELECT t.relname || '.' || a.attname, \
                EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.conrelid \
                        AND x.indkey[0] = c.conkey[1]) \
         FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
         WHERE c.contype = 'f' AND n.nspname = current_schema() \
         ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(foreign_keys.len() >= 10, "{foreign_keys:?}");
    let unindexed: Vec<&String> = foreign_keys
        .iter()
        .filter(|(_, indexed)| !indexed)
        .map(|(column, _)| column)
        .collect();
    assert!(unindexed.is_empty(), "{unindexed:?}");
}
