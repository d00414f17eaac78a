use tenantry_core::model::{AccountId, AccountPath};
use tenantry_core::query::{ListResource, NativeListParams};

use super::*;
use crate::Bind;

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
fn the_walk_takes_only_the_searched_text_unless_the_text_is_too_short_for_trigrams() {
    let all = Scope::All;
    let long = select(Dialect::Postgres, &USERS, &all, &searched(50)).unwrap();
    assert!(
        long.sql
            .contains("(SELECT id, search_text FROM users WHERE"),
        "{}",
        long.sql
    );
    // Short text tests the start of each searchable field, so the walk keeps every column.
    let short = request(NativeListParams {
        q: Some("en"),
        ..NativeListParams::default()
    });
    let short = select(Dialect::Postgres, &USERS, &all, &short).unwrap();
    assert!(
        short.sql.contains("(SELECT * FROM users WHERE"),
        "{}",
        short.sql
    );
    assert!(short.sql.contains("last_name_norm"), "{}", short.sql);
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

#[test]
fn a_second_walk_follows_a_first_that_found_rows_dense_enough() {
    let page = searched(50);
    let first = walk_rows(&page).unwrap();
    // 25 of the 51 rows in 5,100: the page is expected within 10,404 rows; half as many again.
    assert_eq!(longer_walk_rows(&page, first, 25), Some(15_606));
    // Just dense enough: expected within 14,450 rows, the margin cut at the longest walk.
    assert_eq!(longer_walk_rows(&page, first, 18), Some(LONGER_WALK_MOST));
    // Rarer: the trigram query is cheaper than walking 15,300 rows.
    assert_eq!(longer_walk_rows(&page, first, 17), None);
    assert_eq!(longer_walk_rows(&page, first, 0), None);
}

#[test]
fn a_second_walk_counts_the_rows_an_offset_skipped() {
    let mut page = searched(20);
    page.offset = 10;
    let first = walk_rows(&page).unwrap();
    assert_eq!(first, 31 * WALK_PER_ROW);
    // 10 skipped and 5 returned: 15 of 31 in 3,100 rows, so 6,407 expected.
    assert_eq!(longer_walk_rows(&page, first, 5), Some(9_611));
    // Nothing returned: how many the offset skipped is unknown.
    assert_eq!(longer_walk_rows(&page, first, 0), None);
}

#[test]
fn a_small_page_walks_again_only_after_a_third_of_its_rows() {
    let page = searched(10);
    let first = walk_rows(&page).unwrap();
    assert_eq!(first, 11 * WALK_PER_ROW);
    // One or three of the eleven rows: too few to tell how far the rest are.
    assert_eq!(longer_walk_rows(&page, first, 1), None);
    assert_eq!(longer_walk_rows(&page, first, 3), None);
    // Four: the page is expected within 3,025 rows.
    assert_eq!(longer_walk_rows(&page, first, 4), Some(4_538));
    // A page of one needs two rows, and one found is half of them.
    let single = searched(1);
    assert_eq!(
        longer_walk_rows(&single, walk_rows(&single).unwrap(), 1),
        Some(600)
    );
}

#[test]
fn a_walk_of_a_given_length_reads_that_many_rows() {
    let statement = select_walking(
        Dialect::Postgres,
        &USERS,
        &Scope::All,
        &searched(50),
        12_345,
    )
    .unwrap();
    assert!(
        statement.binds.contains(&Bind::Int(12_345)),
        "{:?}",
        statement.binds
    );
    assert!(select_walking(Dialect::Sqlite, &USERS, &Scope::All, &searched(50), 12_345).is_none());
}
