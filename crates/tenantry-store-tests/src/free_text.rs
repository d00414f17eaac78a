//! Free-text search (`q=`): substrings in any field, following changes, pages past crowded
//! and thinning matches, and within one tenant, however each store reads them.

use tenantry_core::query::{ListRequest, ListResource, NativeListParams};
use tenantry_core::services::Within;
use tenantry_core::store::Scope;
use tenantry_core::values::{Text, TextLimit};

use crate::bulk;
use crate::harness::{Harness, account_command};
use crate::search::{cast, emails, emails_within, invitee, person, users_request};

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

/// Offset pages of a free-text list (the vendor surfaces page by offset): each is the slice of
/// the matches at its offset, in either order, whether it comes from a walk or the trigram
/// index. On PostgreSQL a page needs `offset + limit + 1` rows and walks 100 for each, so here
/// every walk covers the whole list: a page with a match after it is answered by the walk,
/// the last pages by the trigram index (an installation-wide walk never counts as the whole
/// list); within the tenant, the walk reads the tenant whole and answers every page.
pub async fn free_text_offsets_skip_matches_in_order(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let mut matches = Vec::new();
    for i in 0..120 {
        let kind = if i % 10 == 3 { "quill" } else { "straw" };
        let email = format!("{kind}-{i:03}@offset.test");
        h.services
            .users
            .create(&h.service, acme.id, invitee(&email))
            .await
            .unwrap();
        if kind == "quill" {
            matches.push(email);
        }
    }
    for within in [Within::Visible, Within::Subtree(acme.id)] {
        for sort in ["id", "-id"] {
            let in_order: Vec<&String> = if sort == "id" {
                matches.iter().collect()
            } else {
                matches.iter().rev().collect()
            };
            for offset in [0, 3, 10, 11, 12, 13] {
                let mut request = users_request(NativeListParams {
                    q: Some("quill"),
                    sort: Some(sort),
                    limit: Some(2),
                    ..NativeListParams::default()
                });
                request.offset = offset;
                let page = h
                    .services
                    .users
                    .list(&h.service, within, request)
                    .await
                    .unwrap();
                let found: Vec<String> =
                    page.items.iter().map(|u| u.email.to_lowercase()).collect();
                let start = (offset as usize).min(in_order.len());
                let end = (start + 2).min(in_order.len());
                let expected: Vec<String> =
                    in_order[start..end].iter().map(|e| e.to_string()).collect();
                assert_eq!(found, expected, "{within:?} sort={sort} offset={offset}");
            }
        }
    }
}

/// A search within one tenant, or one part of it, finds that scope's matches and no others, in
/// id order and in email order, however the store reads them: a small tenant (SQLite's
/// full-text index asked for that tenant's matches; PostgreSQL's walk holds all of it), a small
/// account (read whole on SQLite too), and a tenant and an account below its root too large to
/// be read whole, while another tenant holds more matches than a page, first in id order, and
/// the large tenant's root holds matches of its own outside the account.
pub async fn free_text_within_a_tenant_finds_its_own_matches(h: Harness) {
    let now = h.clock_now();
    let [crowd, small, large] = [100, 200, 300].map(|id| bulk::account(id, None, 0, 0, now));
    let branch = bulk::account(301, Some(&large), 0, 0, now);
    let accounts = [crowd.clone(), small.clone(), large.clone(), branch.clone()];
    h.store.bulk_insert_accounts(&accounts).await.unwrap();
    // More rows than a scope may have to be read whole on SQLite (5,000).
    let branch_rows = 5_010;
    let branch_needles = [0, 2_500, branch_rows - 1];
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
    for i in 0..branch_rows {
        add(10_000 + i, &branch, branch_needles.contains(&i));
    }
    add(20_000, &large, true);
    add(20_001, &large, false);
    h.store.bulk_insert_users(&users).await.unwrap();
    let needles = |ids: &[i64]| -> Vec<String> {
        ids.iter()
            .map(|id| format!("needle-{id}@tenant.test"))
            .collect()
    };
    let branch_ids: Vec<i64> = branch_needles.iter().map(|i| 10_000 + i).collect();
    let mut large_ids = branch_ids.clone();
    large_ids.push(20_000);
    let branch_scope = Scope::Account {
        tenant_id: large.id,
        account_id: branch.id,
        path: branch.path.clone(),
    };
    let small_scope = Scope::Account {
        tenant_id: small.id,
        account_id: small.id,
        path: small.path.clone(),
    };
    let scopes = [
        (
            Within::Subtree(small.id),
            Scope::Subtree(small.path.clone()),
            vec![2_001, 2_003],
        ),
        (Within::Account(small.id), small_scope, vec![2_001, 2_003]),
        (
            Within::Subtree(large.id),
            Scope::Subtree(large.path.clone()),
            large_ids,
        ),
        (
            Within::Subtree(branch.id),
            Scope::Subtree(branch.path.clone()),
            branch_ids.clone(),
        ),
        (
            Within::Below(large.id),
            Scope::Below(large.path.clone()),
            branch_ids.clone(),
        ),
        (Within::Account(branch.id), branch_scope, branch_ids),
    ];
    for (within, scope, ids) in scopes {
        // The needles' emails sort as their ids do.
        let forward = needles(&ids);
        let backward: Vec<String> = forward.iter().rev().cloned().collect();
        for sort in ["id", "-id", "email", "-email"] {
            let expected = if sort.starts_with('-') {
                &backward
            } else {
                &forward
            };
            for limit in [1, 50] {
                let request = users_request(NativeListParams {
                    q: Some("needle"),
                    sort: Some(sort),
                    limit: Some(limit),
                    ..NativeListParams::default()
                });
                let found = emails_within(&h, &h.service, within, request.clone()).await;
                assert_eq!(&found, expected, "{within:?} sort={sort} limit={limit}");
                let counted = h.store.count(&scope, &request, 100).await.unwrap();
                assert_eq!(counted, ids.len() as u64, "count in {scope:?}");
            }
        }
    }
    let everywhere = users_request(NativeListParams {
        q: Some("needle"),
        limit: Some(50),
        ..NativeListParams::default()
    });
    assert_eq!(emails(&h, &h.service, everywhere).await.len(), 60 + 2 + 4);
}
