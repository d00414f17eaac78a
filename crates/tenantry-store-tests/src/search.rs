//! Filters, free-text search, sorting, keyset paging and counts, as the native API asks for
//! them (SCIM filter text parsed by core, compiled by the store).

use tenantry_core::Error;
use tenantry_core::auth::{Caller, Role};
use tenantry_core::query::{ListRequest, ListResource, NativeListParams};
use tenantry_core::services::Within;
use tenantry_core::services::users::CreateUser;
use tenantry_core::store::Scope;
use tenantry_core::values::{Email, Text, TextLimit, Username};
use time::Duration;

use crate::bulk;
use crate::harness::{Harness, account_command, next};

fn person(s: &str) -> Option<Text> {
    Some(Text::parse(s, TextLimit::PERSON_NAME).unwrap())
}

/// A small cast with distinctive names, created one second apart.
async fn cast(h: &Harness) -> tenantry_core::model::Account {
    let acme = h.root("Acme", 0).await;
    let people = [
        ("ann.lee@acme.test", Some("annlee"), "Ann", Some("Lee")),
        ("bob.stone@acme.test", None, "Bob", Some("Stone")),
        ("Carol.Ann@Example.test", Some("carol"), "Carol", None),
        ("dave@acme.test", Some("d_ave"), "Dave", Some("Anderson")),
        ("erin@acme.test", None, "Érin", Some("O'Neil")),
        ("frank%@acme.test", None, "Frank", Some("50% off")),
    ];
    for (email, username, first, last) in people {
        h.clock.advance(Duration::seconds(1));
        let command = CreateUser {
            username: username.map(|u| Username::parse(u).unwrap()),
            first_name: person(first),
            last_name: last.and_then(person),
            ..invitee(email)
        };
        h.services
            .users
            .create(&h.service, acme.id, command)
            .await
            .unwrap();
    }
    acme
}

/// A user with only an email address, as an invitation creates one.
fn invitee(email: &str) -> CreateUser {
    CreateUser {
        email: Email::parse(email).unwrap(),
        username: None,
        first_name: None,
        last_name: None,
        role: Role::User,
        password: None,
        preferences: None,
        terms_agreed: false,
    }
}

fn users_request(params: NativeListParams<'_>) -> ListRequest {
    ListRequest::native(ListResource::Users, &params).unwrap()
}

/// Every email the request finds, walking all pages.
async fn emails(h: &Harness, caller: &Caller, request: ListRequest) -> Vec<String> {
    emails_within(h, caller, Within::Visible, request).await
}

/// Every email the request finds `within` part of the caller's view, walking all pages.
async fn emails_within(
    h: &Harness,
    caller: &Caller,
    within: Within,
    mut request: ListRequest,
) -> Vec<String> {
    let mut found = Vec::new();
    loop {
        let page = h
            .services
            .users
            .list(caller, within, request.clone())
            .await
            .unwrap();
        found.extend(page.items.iter().map(|u| u.email.to_lowercase()));
        match page.next_cursor {
            Some(cursor) => request = next(request, Some(&cursor)),
            None => return found,
        }
    }
}

async fn filtered(h: &Harness, filter: &str) -> Vec<String> {
    let request = users_request(NativeListParams {
        filter: Some(filter),
        sort: Some("email"),
        ..NativeListParams::default()
    });
    emails(h, &h.service, request).await
}

pub async fn scim_filters_select_the_right_rows(h: Harness) {
    cast(&h).await;
    let cases: &[(&str, &[&str])] = &[
        (r#"email eq "ANN.LEE@acme.test""#, &["ann.lee@acme.test"]),
        (r#"email sw "carol""#, &["carol.ann@example.test"]),
        (r#"email ew "@example.test""#, &["carol.ann@example.test"]),
        (
            r#"first_name co "AN" or last_name co "an""#,
            &["ann.lee@acme.test", "dave@acme.test", "frank%@acme.test"],
        ),
        (r#"first_name eq "érin""#, &["erin@acme.test"]),
        (r#"last_name eq "o'neil""#, &["erin@acme.test"]),
        (r#"last_name co "50% o""#, &["frank%@acme.test"]),
        (r#"email co "%@""#, &["frank%@acme.test"]),
        (r#"username co "_""#, &["dave@acme.test"]),
        (r#"username sw "d_""#, &["dave@acme.test"]),
        (r#"not (last_name pr)"#, &["carol.ann@example.test"]),
        (
            r#"last_name ne "lee""#,
            &[
                "bob.stone@acme.test",
                "carol.ann@example.test",
                "dave@acme.test",
                "erin@acme.test",
                "frank%@acme.test",
            ],
        ),
        (
            r#"not (last_name eq "lee")"#,
            &[
                "bob.stone@acme.test",
                "carol.ann@example.test",
                "dave@acme.test",
                "erin@acme.test",
                "frank%@acme.test",
            ],
        ),
        (
            r#"username pr and not (username eq "carol")"#,
            &["ann.lee@acme.test", "dave@acme.test"],
        ),
        (r#"role eq "admin""#, &[]),
        (
            r#"status eq "active" and email_verified eq false and email sw "b""#,
            &["bob.stone@acme.test"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(filtered(&h, filter).await, *expected, "{filter}");
    }
}

pub async fn timestamps_and_integers_compare_as_such(h: Harness) {
    cast(&h).await;
    let all = filtered(&h, "id pr").await;
    assert_eq!(all.len(), 6);
    // The cast was created at 12:00:01 … 12:00:06.
    let window = filtered(
        &h,
        r#"created ge "2026-01-01T12:00:02Z" and created lt "2026-01-01T12:00:04Z""#,
    )
    .await;
    assert_eq!(window, ["bob.stone@acme.test", "carol.ann@example.test"]);
    let day = filtered(&h, r#"created ge "2026-01-01" and created lt "2026-01-02""#).await;
    assert_eq!(day.len(), 6);
    let ids = h
        .services
        .users
        .list(
            &h.service,
            Within::Visible,
            users_request(NativeListParams::default()),
        )
        .await
        .unwrap();
    let third = ids.items[2].id.get();
    let after = filtered(&h, &format!("id gt {third}")).await;
    assert_eq!(after.len(), 3);
}

pub async fn free_text_search_finds_substrings_in_any_field(h: Harness) {
    let acme = cast(&h).await;
    // Within the tenant, SQLite tests each of its rows rather than use its full-text index
    // (and PostgreSQL's walk reads them all): both ways must find the same.
    let search = |q: &'static str| {
        let request = users_request(NativeListParams {
            q: Some(q),
            sort: Some("email"),
            ..NativeListParams::default()
        });
        let h = &h;
        async move {
            let everywhere = emails(h, &h.service, request.clone()).await;
            let within = Within::Subtree(acme.id);
            let in_tenant = emails_within(h, &h.service, within, request).await;
            assert_eq!(everywhere, in_tenant, "q={q}");
            everywhere
        }
    };
    assert_eq!(
        search("ANN").await,
        ["ann.lee@acme.test", "carol.ann@example.test"]
    );
    assert_eq!(search("tone").await, ["bob.stone@acme.test"]);
    assert_eq!(search("érin").await, ["erin@acme.test"]);
    assert_eq!(search("50% o").await, ["frank%@acme.test"]);
    assert_eq!(
        search("ann lee").await,
        ["ann.lee@acme.test"],
        "spans first and last name"
    );
    assert_eq!(search("\"quoted\"").await, Vec::<String>::new());
    // Shorter than a trigram: the start of a field.
    assert_eq!(search("da").await, ["dave@acme.test"]);
    assert_eq!(search("d_").await, ["dave@acme.test"]);
    // Accounts search their name, email and external id.
    let mut with_ext = account_command(Some(acme.id), "Widget Works", 0);
    with_ext.external_id = Some(Text::parse("CRM-4711", TextLimit::EXTERNAL_ID).unwrap());
    h.services
        .accounts
        .create(&h.service, with_ext)
        .await
        .unwrap();
    for q in ["widget", "rm-47", "WORKS"] {
        let request = ListRequest::native(
            ListResource::Accounts,
            &NativeListParams {
                q: Some(q),
                ..NativeListParams::default()
            },
        )
        .unwrap();
        let page = h
            .services
            .accounts
            .list(&h.service, Within::Visible, request)
            .await
            .unwrap();
        let names: Vec<&str> = page.items.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["Widget Works"], "q={q}");
    }
}

pub async fn search_follows_updates_and_deletes(h: Harness) {
    let acme = cast(&h).await;
    let find = |q: &'static str| {
        let h = &h;
        async move {
            let request = users_request(NativeListParams {
                q: Some(q),
                ..NativeListParams::default()
            });
            emails(h, &h.service, request).await
        }
    };
    let bob = h
        .services
        .users
        .list(
            &h.service,
            Within::Account(acme.id),
            users_request(NativeListParams {
                filter: Some(r#"email sw "bob""#),
                ..NativeListParams::default()
            }),
        )
        .await
        .unwrap()
        .items
        .remove(0);
    h.services
        .users
        .update(
            &h.service,
            bob.id,
            tenantry_core::services::users::UpdateUser {
                last_name: Some(person("Marley")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(find("marley").await, ["bob.stone@acme.test"]);
    assert!(find("stone x").await.is_empty());
    h.services.users.delete(&h.service, bob.id).await.unwrap();
    assert!(find("marley").await.is_empty());
}

/// Free-text pages over a long list whose matches crowd its start and then thin out: one
/// page at a time, in both orders, every match comes once and in order. (PostgreSQL answers a
/// page from a short walk of the list when the walk holds the whole page, and from its
/// trigram index when not; a page of one row walks 200 rows, so both happen here.)
pub async fn free_text_pages_reach_matches_past_a_crowded_start(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let needles = [0, 1, 2, 204];
    for i in 0..205 {
        let kind = if needles.contains(&i) {
            "needle"
        } else {
            "hay"
        };
        let command = invitee(&format!("{kind}-{i:03}@walk.test"));
        h.services
            .users
            .create(&h.service, acme.id, command)
            .await
            .unwrap();
    }
    let mut expected: Vec<String> = needles
        .iter()
        .map(|i| format!("needle-{i:03}@walk.test"))
        .collect();
    for sort in ["id", "-id"] {
        let request = users_request(NativeListParams {
            q: Some("needle"),
            sort: Some(sort),
            limit: Some(1),
            ..NativeListParams::default()
        });
        assert_eq!(emails(&h, &h.service, request).await, expected, "{sort}");
        expected.reverse();
    }
}

/// Matches that thin out after the first walk's reach: PostgreSQL walks again, further, when
/// the first walk found some (one in 150 rows here), and must still answer from the trigram
/// index when that walk falls short of a page too. Pages of one row need two rows, so the
/// first walk reads 200 rows and a second, after one match, 600.
pub async fn free_text_pages_reach_matches_past_a_second_walk(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let awls = [0, 150, 300, 450, 790];
    let pins = [0, 150, 300, 790];
    for i in 0..800 {
        let mut name = String::new();
        if awls.contains(&i) {
            name.push_str("awl-");
        }
        if pins.contains(&i) {
            name.push_str("pin-");
        }
        if name.is_empty() {
            name.push_str("hay-");
        }
        let command = invitee(&format!("{name}{i:03}@seek.test"));
        h.services
            .users
            .create(&h.service, acme.id, command)
            .await
            .unwrap();
    }
    for (term, needles) in [("awl", &awls[..]), ("pin", &pins[..])] {
        let mut expected: Vec<usize> = needles.to_vec();
        for sort in ["id", "-id"] {
            let request = users_request(NativeListParams {
                q: Some(term),
                sort: Some(sort),
                limit: Some(1),
                ..NativeListParams::default()
            });
            let numbers: Vec<usize> = emails(&h, &h.service, request)
                .await
                .iter()
                .map(|email| email[email.len() - 13..email.len() - 10].parse().unwrap())
                .collect();
            assert_eq!(numbers, expected, "q={term} sort={sort}");
            expected.reverse();
        }
    }
}

/// A search within one tenant finds that tenant's matches and no others, however the store
/// reads them: a tenant small enough to be read whole (SQLite tests each of its rows;
/// PostgreSQL's walk holds all of it), and one too large for that (the full-text index, the
/// trigram index), while another tenant holds more matches than a page, first in id order.
pub async fn free_text_within_a_tenant_finds_its_own_matches(h: Harness) {
    let now = h.clock_now();
    let [crowd, small, large] = [100, 200, 300].map(|id| bulk::account(id, None, 0, 0, now));
    let accounts = [crowd.clone(), small.clone(), large.clone()];
    h.store.bulk_insert_accounts(&accounts).await.unwrap();
    // More rows than a tenant may have to be read whole on SQLite (5,000).
    let large_rows = 5_010;
    let large_needles = [0, 2_500, large_rows - 1];
    let mut users = Vec::new();
    let mut add = |id: i64, account: &tenantry_core::model::Account, needle: bool| {
        let kind = if needle { "needle" } else { "hay" };
        let email = format!("{kind}-{id}@tenant.test");
        users.push(bulk::user(id, account, email, kind.to_owned(), now));
    };
    for i in 0..60 {
        add(1_000 + i, &crowd, true);
    }
    for i in 0..4 {
        add(2_000 + i, &small, i % 2 == 1);
    }
    for i in 0..large_rows {
        add(10_000 + i, &large, large_needles.contains(&i));
    }
    h.store.bulk_insert_users(&users).await.unwrap();
    let needles = |ids: &[i64]| -> Vec<String> {
        ids.iter()
            .map(|id| format!("needle-{id}@tenant.test"))
            .collect()
    };
    let large_ids: Vec<i64> = large_needles.iter().map(|i| 10_000 + i).collect();
    for (tenant, ids) in [(&small, vec![2_001, 2_003]), (&large, large_ids)] {
        let mut expected = needles(&ids);
        for sort in ["id", "-id"] {
            for limit in [1, 50] {
                let request = users_request(NativeListParams {
                    q: Some("needle"),
                    sort: Some(sort),
                    limit: Some(limit),
                    ..NativeListParams::default()
                });
                let within = Within::Subtree(tenant.id);
                let found = emails_within(&h, &h.service, within, request.clone()).await;
                assert_eq!(
                    found, expected,
                    "tenant {} sort={sort} limit={limit}",
                    tenant.id
                );
                let scope = Scope::Subtree(tenant.path.clone());
                let counted = h.store.count(&scope, &request, 100).await.unwrap();
                assert_eq!(counted, ids.len() as u64, "count in tenant {}", tenant.id);
            }
            expected.reverse();
        }
    }
    let everywhere = users_request(NativeListParams {
        q: Some("needle"),
        limit: Some(50),
        ..NativeListParams::default()
    });
    assert_eq!(emails(&h, &h.service, everywhere).await.len(), 60 + 2 + 3);
}

pub async fn sorted_pages_cover_every_row_once(h: Harness) {
    cast(&h).await;
    for sort in ["id", "-id", "email", "-email", "created", "-created"] {
        let request = users_request(NativeListParams {
            sort: Some(sort),
            limit: Some(4),
            ..NativeListParams::default()
        });
        let paged = emails(&h, &h.service, request.clone()).await;
        let whole = {
            let mut one_page = request;
            one_page.limit = 1000;
            emails(&h, &h.service, one_page).await
        };
        assert_eq!(paged, whole, "sort={sort}");
        assert_eq!(paged.len(), 6);
        let mut sorted = paged.clone();
        if sort.trim_start_matches('-') == "email" {
            sorted.sort();
            if sort.starts_with('-') {
                sorted.reverse();
            }
            assert_eq!(paged, sorted, "sort={sort}");
        }
    }
}

pub async fn cursors_are_bound_to_their_query_and_tamper_evident(h: Harness) {
    cast(&h).await;
    let request = users_request(NativeListParams {
        filter: Some("email pr"),
        limit: Some(2),
        ..NativeListParams::default()
    });
    let page = h
        .services
        .users
        .list(&h.service, Within::Visible, request.clone())
        .await
        .unwrap();
    let cursor = page.next_cursor.unwrap();
    let other_query = users_request(NativeListParams {
        filter: Some("username pr"),
        limit: Some(2),
        cursor: Some(&cursor),
        ..NativeListParams::default()
    });
    let err = h
        .services
        .users
        .list(&h.service, Within::Visible, other_query)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    let mut tampered = cursor.clone().into_bytes();
    tampered[3] ^= 1;
    let tampered = String::from_utf8_lossy(&tampered).into_owned();
    for bad in [tampered.as_str(), "garbage", "a.b", ""] {
        let request = next(request.clone(), Some(bad).filter(|b| !b.is_empty()));
        let result = h
            .services
            .users
            .list(&h.service, Within::Visible, request)
            .await;
        if bad.is_empty() {
            assert!(result.is_ok());
        } else {
            assert!(
                matches!(result, Err(Error::Invalid { .. })),
                "{bad}: {result:?}"
            );
        }
    }
}

pub async fn counts_are_exact_below_the_cap(h: Harness) {
    cast(&h).await;
    let request = users_request(NativeListParams {
        filter: Some(r#"email ew "acme.test""#),
        limit: Some(2),
        count: Some(true),
        ..NativeListParams::default()
    });
    let page = h
        .services
        .users
        .list(&h.service, Within::Visible, request)
        .await
        .unwrap();
    let total = page.total.unwrap();
    assert_eq!((total.value, total.exact), (5, true));
    assert_eq!(page.items.len(), 2);
}

pub async fn lists_stay_inside_the_callers_subtree(h: Harness) {
    let acme = cast(&h).await;
    let child = h.child(&acme, "Child", 0).await;
    let other = h.root("Other", 0).await;
    h.user(&other, "stranger@other.test", Role::Admin).await;
    let (_, child_admin) = h.user(&child, "admin@child.test", Role::Admin).await;
    let everyone = users_request(NativeListParams::default());
    assert_eq!(
        emails(&h, &child_admin, everyone.clone()).await,
        ["admin@child.test"]
    );
    let search = users_request(NativeListParams {
        q: Some("a"),
        filter: Some("email pr or not (email pr)"),
        ..NativeListParams::default()
    });
    assert_eq!(emails(&h, &child_admin, search).await, ["admin@child.test"]);
    let accounts =
        ListRequest::native(ListResource::Accounts, &NativeListParams::default()).unwrap();
    let visible = h
        .services
        .accounts
        .list(&child_admin, Within::Visible, accounts.clone())
        .await
        .unwrap();
    assert_eq!(
        visible.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [child.id]
    );
    let err = h
        .services
        .accounts
        .list(&child_admin, Within::Subtree(acme.id), accounts)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutOfScope(_)));
    assert_eq!(emails(&h, &h.service, everyone).await.len(), 8);
}

/// Hostile text in every position a client controls is data, never SQL.
pub async fn injection_attempts_are_inert(h: Harness) {
    cast(&h).await;
    let hostile = [
        "' OR '1'='1",
        "\"; DROP TABLE users; --",
        "%' UNION SELECT password_hash FROM users --",
        "*[?]\\%_",
        "') OR 1=1 --",
        "\u{10FFFF}",
    ];
    for text in hostile {
        let literal = serde_json::Value::String(text.to_owned()).to_string();
        for field in ["email", "username", "first_name", "last_name"] {
            for op in ["eq", "ne", "co", "sw", "ew", "gt", "lt"] {
                let filter = format!("{field} {op} {literal}");
                let request = users_request(NativeListParams {
                    filter: Some(&filter),
                    q: Some(text),
                    ..NativeListParams::default()
                });
                let page = h
                    .services
                    .users
                    .list(&h.service, Within::Visible, request)
                    .await
                    .unwrap_or_else(|e| panic!("{filter}: {e:?}"));
                assert!(page.items.len() <= 6, "{filter}");
            }
        }
    }
    // Nothing was dropped or changed.
    assert_eq!(filtered(&h, "id pr").await.len(), 6);
}

pub async fn audit_records_filter_by_action_and_time(h: Harness) {
    let acme = cast(&h).await;
    h.child(&acme, "Child", 0).await;
    let request = ListRequest::native(
        ListResource::Audit,
        &NativeListParams {
            filter: Some(r#"action eq "user.create" and at ge "2026-01-01T12:00:03Z""#),
            ..NativeListParams::default()
        },
    )
    .unwrap();
    let page = h
        .services
        .audit
        .list(&h.service, Within::Visible, request)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4, "users created at :03 … :06");
    assert!(
        page.items.windows(2).all(|w| w[0].id > w[1].id),
        "newest first"
    );
    assert!(page.items.iter().all(|r| r.action == "user.create"));
}
