//! PostgreSQL can answer the common lists from indexes: with sequential scans disabled, no plan
//! falls back to one. Skipped unless `TENANTRY_TEST_POSTGRES_URL` is set.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use tenantry_store_postgres::test_support::{fresh_schema, test_url};
use tenantry_store_postgres::{PostgresOptions, PostgresStore};

#[tokio::test]
async fn common_lists_can_use_an_index() {
    let Some(url) = test_url() else { return };
    let (scoped, _guard) = fresh_schema(&url).await;
    let store = PostgresStore::connect(&scoped, &PostgresOptions::default())
        .await
        .unwrap();
    for case in tenantry_store_tests::plans::cases() {
        let plan = store
            .explain_list(&case.scope, &case.request)
            .await
            .unwrap();
        let text = plan.join("\n");
        eprintln!("{}:\n{text}\n", case.name);
        assert!(
            !text.contains("Seq Scan"),
            "{}: sequential scan in\n{text}",
            case.name
        );
        assert!(text.contains("Index"), "{}: no index in\n{text}", case.name);
    }
}
