//! SQLite answers the common lists from indexes: no step of their plans scans a whole table.
//! Indexes an import sets aside come back when it finishes, or on the next start if it never
//! does.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use tenantry_core::store::Store;
use tenantry_store_sqlite::SqliteStore;

/// The common lists whose plan scans a whole table or uses no index, with their plans.
async fn lists_without_an_index(store: &SqliteStore) -> Vec<String> {
    let mut failures = Vec::new();
    for case in tenantry_store_tests::plans::cases() {
        let plan = store
            .explain_list(&case.scope, &case.request)
            .await
            .unwrap();
        let text = plan.join("\n");
        eprintln!("{}:\n{text}\n", case.name);
        // "SCAN users" reads the whole table; "SCAN … VIRTUAL TABLE INDEX" is FTS5's index.
        let full_scan = plan
            .iter()
            .any(|step| step.starts_with("SCAN ") && !step.contains("VIRTUAL TABLE INDEX"));
        let indexed = text.contains("USING INDEX")
            || text.contains("USING COVERING INDEX")
            || text.contains("USING INTEGER PRIMARY KEY")
            || text.contains("VIRTUAL TABLE INDEX");
        if full_scan || !indexed || case.index.is_some_and(|index| !text.contains(index)) {
            failures.push(format!("{}:\n{text}", case.name));
        }
    }
    failures
}

#[tokio::test]
async fn common_lists_use_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("plans.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let failures = lists_without_an_index(&store).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test]
async fn indexes_set_aside_for_an_import_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("deferred.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let set_aside = store.prepare_load().await.unwrap();
    // The non-unique indexes, and the two triggers that feed the free-text tables.
    assert!(set_aside > 10, "{set_aside}");
    assert!(!lists_without_an_index(&store).await.is_empty());
    store.finish_load().await.unwrap();
    let failures = lists_without_an_index(&store).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // An import that dies after setting them aside: the next start builds them.
    assert_eq!(store.prepare_load().await.unwrap(), set_aside);
    store.close().await;
    let restarted = SqliteStore::connect(&url).await.unwrap();
    let failures = lists_without_an_index(&restarted).await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Deleting an account or a user makes SQLite find the rows that refer to it by the foreign
/// key's column alone (to cascade, or to refuse), and so do the checks on an account's owners
/// and the ending of a user's sessions: each such column must lead an index (or be the table's
/// integer primary key), else every one of those statements reads the whole table.
#[tokio::test]
async fn every_foreign_key_leads_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign-keys.db");
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store.close().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut unindexed = conn
        .prepare(
            "SELECT m.name || '.' || f.\"from\" FROM sqlite_master m \
             JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' \
               AND f.\"from\" NOT IN (SELECT name FROM pragma_table_info(m.name) WHERE pk = 1) \
               AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name) l \
                               JOIN pragma_index_info(l.name) i \
                               WHERE i.seqno = 0 AND i.name = f.\"from\") \
             ORDER BY 1",
        )
        .unwrap();
    let unindexed: Vec<String> = unindexed
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(unindexed.is_empty(), "{unindexed:?}");
    let foreign_keys: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(foreign_keys >= 8, "{foreign_keys}");
    for statement in [
        "DELETE FROM accounts WHERE id = 1",
        "DELETE FROM users WHERE id = 1",
        "SELECT COUNT(*) FROM users WHERE account_id = 1 AND role = 'owner' AND id <> 2",
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE account_id = 1)",
    ] {
        let mut explain = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {statement}"))
            .unwrap();
        let steps: Vec<String> = explain
            .query_map([], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            !steps.iter().any(|step| step.starts_with("SCAN ")),
            "{statement}: {steps:?}"
        );
    }
}

/// FTS5's `automerge` of each trigram index, read from its config table.
fn automerge(path: &std::path::Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    ["accounts_search", "users_search"]
        .iter()
        .map(|table| {
            let value = conn
                .query_row(
                    &format!("SELECT v FROM {table}_config WHERE k = 'automerge'"),
                    [],
                    |row| row.get(0),
                )
                .unwrap();
            ((*table).to_owned(), value)
        })
        .collect()
}

#[tokio::test]
async fn trigram_indexes_merge_sixteen_segments_at_a_time_also_after_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("merges.db");
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let sixteen = vec![
        ("accounts_search".to_owned(), 16),
        ("users_search".to_owned(), 16),
    ];
    assert_eq!(automerge(&path), sixteen);
    // An import rebuilds both indexes from their tables.
    store.prepare_load().await.unwrap();
    store.finish_load().await.unwrap();
    assert_eq!(automerge(&path), sixteen);
}

/// Segments in each trigram index: its `_idx` table holds a row for each leaf page of each.
fn segments(path: &std::path::Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    ["accounts_search", "users_search"]
        .iter()
        .map(|table| {
            let sql = format!("SELECT count(DISTINCT segid) FROM {table}_idx");
            let count = conn.query_row(&sql, [], |row| row.get(0)).unwrap();
            ((*table).to_owned(), count)
        })
        .collect()
}

/// One root account and `users` users in it, as an import writes them.
async fn bulk_load(store: &SqliteStore, users: i64) {
    use tenantry_store_tests::bulk;

    let now = time::OffsetDateTime::now_utc();
    let root = bulk::account(1, None, 0, 0, now);
    store
        .bulk_insert_accounts(std::slice::from_ref(&root))
        .await
        .unwrap();
    let users: Vec<_> = (1..=users)
        .map(|i| {
            bulk::user(
                i,
                &root,
                format!("loaded.user{i}@example.test"),
                format!("Last{i}"),
                now,
            )
        })
        .collect();
    store.bulk_insert_users(&users).await.unwrap();
}

#[tokio::test]
async fn an_import_leaves_each_trigram_index_in_one_segment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("segments.db");
    let url = format!("sqlite://{}", path.display());
    // Creates the schema; its writer keeps the database until it closes.
    SqliteStore::connect(&url).await.unwrap().close().await;
    // A tiny in-memory hash writes a segment every few rows, as a million users do at the
    // default size: the rebuild alone leaves many.
    let conn = rusqlite::Connection::open(&path).unwrap();
    for table in ["accounts_search", "users_search"] {
        conn.execute(
            &format!("INSERT INTO {table} ({table}, rank) VALUES ('hashsize', 1024)"),
            [],
        )
        .unwrap();
    }
    drop(conn);
    let store = SqliteStore::connect(&url).await.unwrap();
    store.prepare_load().await.unwrap();
    bulk_load(&store, 500).await;
    store.finish_load().await.unwrap();
    let one = vec![
        ("accounts_search".to_owned(), 1),
        ("users_search".to_owned(), 1),
    ];
    assert_eq!(segments(&path), one);
}

/// Whether the plan of a free-text search of users in `scope` looks the text up in the
/// full-text index.
async fn searches_the_index(store: &SqliteStore, scope: &tenantry_core::store::Scope) -> bool {
    tenant_search_plan(store, scope)
        .await
        .contains("users_search")
}

#[tokio::test]
async fn a_part_of_a_tenant_is_searched_through_its_own_rows_until_it_is_large() {
    use tenantry_core::model::{AccountId, AccountPath};
    use tenantry_core::store::Scope;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("scanned.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let path = AccountPath::root(AccountId(1));
    let tenant = Scope::Subtree(path.clone());
    // The root's own users: a part of the tenant, however many of the tenant's users it holds.
    let own = Scope::Account {
        tenant_id: AccountId(1),
        account_id: AccountId(1),
        path,
    };
    bulk_load(&store, 5_000).await;
    assert!(!searches_the_index(&store, &own).await);
    // A whole tenant, or every tenant, is searched in the index, whatever its size.
    assert!(searches_the_index(&store, &tenant).await);
    assert!(searches_the_index(&store, &Scope::All).await);
    // One more user than a part of a tenant read whole may have.
    let now = time::OffsetDateTime::now_utc();
    let root = tenantry_store_tests::bulk::account(1, None, 0, 0, now);
    let one_more =
        tenantry_store_tests::bulk::user(5_001, &root, "x@y.test".into(), "X".into(), now);
    store.bulk_insert_users(&[one_more]).await.unwrap();
    assert!(searches_the_index(&store, &own).await);
    // The index is asked for the tenant's matches only: no other index tests a match's tenant.
    let plan = tenant_search_plan(&store, &tenant).await;
    assert!(!plan.contains("users_tenant"), "{plan}");
    // Either way, the same answer: every user is the root's own.
    let request = tenant_search();
    let matches: Vec<i64> = (1..=5_000)
        .filter(|i| format!("loaded.user{i}@example.test").contains("user1"))
        .collect();
    for scope in [&tenant, &own] {
        let page = store.list_users(scope, &request).await.unwrap();
        let ids: Vec<i64> = page.iter().map(|u| u.id.get()).collect();
        assert_eq!(ids, matches[..51], "{scope:?}");
        let counted = store.count(scope, &request, 10_000).await.unwrap();
        assert_eq!(counted, matches.len() as u64, "{scope:?}");
    }
}

/// A free-text search of users for "user1", in id order.
fn tenant_search() -> tenantry_core::query::ListRequest {
    use tenantry_core::query::{ListRequest, ListResource, NativeListParams};

    let params = NativeListParams {
        q: Some("user1"),
        ..NativeListParams::default()
    };
    ListRequest::native(ListResource::Users, &params).unwrap()
}

/// The plan of [`tenant_search`] in `scope`, one step a line.
async fn tenant_search_plan(store: &SqliteStore, scope: &tenantry_core::store::Scope) -> String {
    let plan = store.explain_list(scope, &tenant_search()).await.unwrap();
    plan.join("\n")
}

#[tokio::test]
async fn a_large_scope_below_a_root_is_searched_in_its_tenants_matches() {
    use tenantry_core::model::{AccountId, User};
    use tenantry_core::store::Scope;
    use tenantry_store_tests::bulk;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("probed.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let now = time::OffsetDateTime::now_utc();
    // Tenant 1 with its child 2, too large to read whole; tenant 3, whose users match too.
    let root = bulk::account(1, None, 0, 0, now);
    let child = bulk::account(2, Some(&root), 0, 0, now);
    let other = bulk::account(3, None, 0, 0, now);
    store
        .bulk_insert_accounts(&[root.clone(), child.clone(), other.clone()])
        .await
        .unwrap();
    let placed = |i: i64| match i {
        ..=5_001 => &child,
        5_002..=6_000 => &other,
        _ => &root,
    };
    let users: Vec<_> = (1..=6_100)
        .map(|i| {
            let email = format!("loaded.user{i}@example.test");
            bulk::user(i, placed(i), email, format!("Last{i}"), now)
        })
        .collect();
    store.bulk_insert_users(&users).await.unwrap();
    // Every match is in the child's range of ids, except the other tenant's and the root's.
    let matches: Vec<i64> = (1..=6_100)
        .filter(|&i| std::ptr::eq(placed(i), &child))
        .filter(|i| format!("loaded.user{i}@example.test").contains("user1"))
        .collect();
    let ids = |users: &[User]| users.iter().map(|u| u.id.get()).collect::<Vec<_>>();
    let request = tenant_search();
    let scopes = [
        Scope::Subtree(child.path.clone()),
        Scope::Below(root.path.clone()),
        Scope::Account {
            tenant_id: AccountId(1),
            account_id: AccountId(2),
            path: child.path.clone(),
        },
    ];
    for scope in &scopes {
        let plan = tenant_search_plan(&store, scope).await;
        assert!(plan.contains("users_search"), "{scope:?}: {plan}");
        let page = store.list_users(scope, &request).await.unwrap();
        assert_eq!(ids(&page), matches[..51], "{scope:?}");
        let counted = store.count(scope, &request, 10_000).await.unwrap();
        assert_eq!(counted, matches.len() as u64, "{scope:?}");
    }
}

#[tokio::test]
async fn the_key_a_search_asks_for_is_the_one_each_row_is_indexed_under() {
    use tenantry_store_tests::bulk;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.db");
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    // Ids that fill each 16-bit half, carry into the next, and pass 2^32 (sharing a key).
    let ids = [1, 0xFFFF, 0x1_0000, 0x1_2345, 0xFFFF_FFFF, 0x1_0000_0001];
    let roots: Vec<_> = ids
        .iter()
        .map(|&id| bulk::account(id, None, 0, 0, now))
        .collect();
    let users: Vec<_> = roots
        .iter()
        .map(|root| {
            let id = root.id.get();
            bulk::user(id, root, format!("key{id}@example.test"), "Key".into(), now)
        })
        .collect();
    // The first three as an import into an empty installation writes them (the indexes
    // rebuilt from the rows at the end), the rest through the insert triggers.
    store.prepare_load().await.unwrap();
    store.bulk_insert_accounts(&roots[..3]).await.unwrap();
    store.bulk_insert_users(&users[..3]).await.unwrap();
    store.finish_load().await.unwrap();
    store.bulk_insert_accounts(&roots[3..]).await.unwrap();
    store.bulk_insert_users(&users[3..]).await.unwrap();
    store.close().await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    for id in ids {
        let key = tenantry_store_sql::search_tenant_key(id);
        for table in ["accounts", "users"] {
            let indexed: String = conn
                .query_row(
                    &format!("SELECT search_tenant FROM {table} WHERE id = ?"),
                    [id],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(indexed, key, "{table} {id}");
            let mut found = conn
                .prepare(&format!(
                    "SELECT rowid FROM {table}_search WHERE {table}_search MATCH ? ORDER BY rowid"
                ))
                .unwrap();
            let found: Vec<i64> = found
                .query_map([format!("\"{key}\"")], |row| row.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let sharing: Vec<i64> = ids
                .into_iter()
                .filter(|&other| tenantry_store_sql::search_tenant_key(other) == key)
                .collect();
            assert_eq!(found, sharing, "{table} {id}");
        }
    }
    assert_eq!(
        tenantry_store_sql::search_tenant_key(0x1_0000_0001),
        tenantry_store_sql::search_tenant_key(1)
    );
    // The update and delete triggers take out what the row was indexed under: each index still
    // agrees with its rows, term for term.
    conn.execute("UPDATE users SET search_text = 'renamed' WHERE id = 1", [])
        .unwrap();
    conn.execute("DELETE FROM users WHERE id = ?", [0xFFFF])
        .unwrap();
    for table in ["accounts_search", "users_search"] {
        conn.execute(
            &format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)"),
            [],
        )
        .unwrap();
    }
}
