use tenantry_core::model::{AccountId, AccountPath};
use tenantry_core::query::{ListResource, NativeListParams};

use super::*;

const USERS: Table = Table {
    name: "users",
    columns: "id, email",
    path_column: "account_path",
    owner_column: Some("account_id"),
    fts: None,
};

fn request(params: NativeListParams<'_>) -> ListRequest {
    ListRequest::native(ListResource::Users, &params).unwrap()
}

fn searched(limit: u32) -> ListRequest {
    request(NativeListParams {
        q: Some("endes"),
        limit: Some(limit),
        ..NativeListParams::default()
    })
}

#[test]
fn the_walk_tests_the_text_outside_a_limited_scan_of_the_scope() {
    let subtree = Scope::Subtree(AccountPath::root(AccountId(1)).child(AccountId(7)));
    let walked = request(NativeListParams {
        filter: Some(r#"status eq "active""#),
        q: Some("Lee \"o"),
        sort: Some("-id"),
        ..NativeListParams::default()
    });
    let statement = select(Dialect::Postgres, &USERS, &subtree, &walked).unwrap();
    insta::assert_snapshot!(format!("{}\n  binds: {:?}", statement.sql, statement.binds));
}

#[test]
fn the_walk_grows_with_the_page_and_stops_at_its_longest() {
    assert_eq!(walk_rows(&searched(50)), Some(51 * WALK_PER_ROW));
    assert_eq!(walk_rows(&searched(1)), Some(2 * WALK_PER_ROW));
    assert_eq!(walk_rows(&searched(200)), Some(WALK_MOST));
    assert_eq!(walk_rows(&searched(999)), Some(WALK_MOST));
    assert_eq!(walk_rows(&searched(1000)), None);
}

#[test]
fn only_postgres_free_text_in_id_order_is_walked() {
    let all = Scope::All;
    assert!(select(Dialect::Postgres, &USERS, &all, &searched(50)).is_some());
    // SQLite's trigram index is already read in id order (list::fts_drives).
    assert!(select(Dialect::Sqlite, &USERS, &all, &searched(50)).is_none());
    let by_email = request(NativeListParams {
        q: Some("endes"),
        sort: Some("email"),
        ..NativeListParams::default()
    });
    assert!(select(Dialect::Postgres, &USERS, &all, &by_email).is_none());
    let no_text = request(NativeListParams::default());
    assert!(select(Dialect::Postgres, &USERS, &all, &no_text).is_none());
}
