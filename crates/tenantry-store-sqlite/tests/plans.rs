//! SQLite answers the common lists from indexes: no step of their plans scans a whole table.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use tenantry_store_sqlite::SqliteStore;

#[tokio::test]
async fn common_lists_use_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plans.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    for case in tenantry_store_tests::plans::cases() {
        let plan = store
            .explain_list(&case.scope, &case.request)
            .await
            .unwrap();
        let text = plan.join("\n");
        eprintln!("{}:\n{text}\n", case.name);
        for step in &plan {
            // "SCAN users" reads the whole table; "SCAN … VIRTUAL TABLE INDEX" is FTS5's index.
            let full_scan = step.starts_with("SCAN ") && !step.contains("VIRTUAL TABLE INDEX");
            assert!(!full_scan, "{}: full scan in\n{text}", case.name);
        }
        assert!(
            text.contains("USING INDEX")
                || text.contains("USING COVERING INDEX")
                || text.contains("USING INTEGER PRIMARY KEY")
                || text.contains("VIRTUAL TABLE INDEX"),
            "{}: no index in\n{text}",
            case.name
        );
    }
}
