//! Filters, sorting, keyset paging and counts, as the native API asks for them (SCIM filter
//! text parsed by core, compiled by the store); free text is in [`crate::free_text`], with
//! the cast and helpers here.

use std::collections::BTreeSet;

use tenantry_core::Error;
use tenantry_core::auth::{Caller, Role};
use tenantry_core::model::UserStatus;
use tenantry_core::query::{ListRequest, ListResource, NativeListParams};
use tenantry_core::services::Within;
use tenantry_core::services::users::{CreateUser, UpdateUser};
use tenantry_core::values::{Email, Text, TextLimit, Username};
use time::Duration;

use crate::harness::{Harness, next};

pub(crate) fn person(s: &str) -> Option<Text> {
    Some(Text::parse(s, TextLimit::PERSON_NAME).unwrap())
}

/// A small cast with distinctive names, created one second apart.
pub(crate) async fn cast(h: &Harness) -> tenantry_core::model::Account {
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
pub(crate) fn invitee(email: &str) -> CreateUser {
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

pub(crate) fn users_request(params: NativeListParams<'_>) -> ListRequest {
    ListRequest::native(ListResource::Users, &params).unwrap()
}

/// Every email the request finds, walking all pages.
pub(crate) async fn emails(h: &Harness, caller: &Caller, request: ListRequest) -> Vec<String> {
    emails_within(h, caller, Within::Visible, request).await
}

/// Every email the request finds `within` part of the caller's view, walking all pages.
pub(crate) async fn emails_within(
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
        // A missing last name neither starts with nor contains anything, so `not` keeps it.
        (
            r#"not (last_name sw "l")"#,
            &[
                "bob.stone@acme.test",
                "carol.ann@example.test",
                "dave@acme.test",
                "erin@acme.test",
                "frank%@acme.test",
            ],
        ),
        (
            r#"not (last_name co "an" or username sw "c")"#,
            &[
                "ann.lee@acme.test",
                "bob.stone@acme.test",
                "erin@acme.test",
                "frank%@acme.test",
            ],
        ),
        (r#"not (not (last_name eq "lee"))"#, &["ann.lee@acme.test"]),
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

/// A filter of [`filters_are_two_valued_under_any_nesting`]: comparisons joined by `and`, `or`
/// and `not`, with the rows it must select worked out from each comparison's own rows.
enum Formula {
    Atom(usize),
    Not(Box<Formula>),
    And(Box<Formula>, Box<Formula>),
    Or(Box<Formula>, Box<Formula>),
}

impl Formula {
    fn text(&self, atoms: &[&str]) -> String {
        match self {
            Formula::Atom(i) => atoms[*i].to_owned(),
            Formula::Not(inner) => format!("not ({})", inner.text(atoms)),
            Formula::And(a, b) => format!("({}) and ({})", a.text(atoms), b.text(atoms)),
            Formula::Or(a, b) => format!("({}) or ({})", a.text(atoms), b.text(atoms)),
        }
    }

    /// The rows selected in two-valued logic: `not` is the complement within `all`.
    fn rows(&self, of_atom: &[BTreeSet<String>], all: &BTreeSet<String>) -> BTreeSet<String> {
        match self {
            Formula::Atom(i) => of_atom[*i].clone(),
            Formula::Not(inner) => all.difference(&inner.rows(of_atom, all)).cloned().collect(),
            Formula::And(a, b) => {
                let a = a.rows(of_atom, all);
                b.rows(of_atom, all).intersection(&a).cloned().collect()
            }
            Formula::Or(a, b) => {
                let mut a = a.rows(of_atom, all);
                a.extend(b.rows(of_atom, all));
                a
            }
        }
    }
}

/// Every comparison, on a column with or without values, under any nesting of `not`, `and`
/// and `or`, selects what two-valued logic says: a row without a value is outside `eq`, `sw`,
/// `co`, `lt` and `pr` and inside their negation, however many `not`s enclose them (the SQL
/// guards a comparison only under an odd number of them).
pub async fn filters_are_two_valued_under_any_nesting(h: Harness) {
    use Formula::{And, Atom, Not, Or};
    cast(&h).await;
    // Carol has no last name; Bob, Erin and Frank no username.
    let atoms = [
        r#"last_name eq "lee""#,
        r#"last_name sw "o""#,
        r#"last_name lt "m""#,
        r#"last_name ne "stone""#,
        r#"username co "a""#,
        "username pr",
        r#"email ew "acme.test""#,
    ];
    let all: BTreeSet<String> = filtered(&h, "id pr").await.into_iter().collect();
    let mut of_atom = Vec::new();
    for atom in atoms {
        of_atom.push(filtered(&h, atom).await.into_iter().collect());
    }
    let n = atoms.len();
    let b = |f: Formula| Box::new(f);
    let mut formulas = Vec::new();
    for i in 0..n {
        formulas.push(Not(b(Atom(i))));
        formulas.push(Not(b(Not(b(Atom(i))))));
        for j in 0..n {
            formulas.push(Not(b(And(b(Atom(i)), b(Atom(j))))));
            formulas.push(Not(b(Or(b(Atom(i)), b(Not(b(Atom(j))))))));
            formulas.push(And(b(Atom(i)), b(Not(b(Atom(j))))));
            formulas.push(Or(b(Not(b(Atom(i)))), b(Not(b(Not(b(Atom(j))))))));
        }
    }
    for formula in formulas {
        let text = formula.text(&atoms);
        let expected: Vec<String> = formula.rows(&of_atom, &all).into_iter().collect();
        assert_eq!(filtered(&h, &text).await, expected, "{text}");
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

/// A user's history (`target_id eq …`), as its tenant's admin, its branch's admin, the service
/// and another tenant's admin see it: the same records, newest first, or none outside the
/// caller's subtree. Migration 13 answers it from `audit_target`; the result must not depend on
/// which index the plan takes.
pub async fn a_records_history_is_found_by_its_target_within_each_scope(h: Harness) {
    let acme = h.root("Acme", 5).await;
    let branch = h.child(&acme, "Branch", 1).await;
    let other = h.root("Other", 5).await;
    let (_, acme_admin) = h.user(&acme, "admin@acme.test", Role::Admin).await;
    let (_, branch_admin) = h.user(&branch, "admin@branch.test", Role::Admin).await;
    let (_, other_admin) = h.user(&other, "admin@other.test", Role::Admin).await;
    let (subject, _) = h.user(&branch, "subject@branch.test", Role::User).await;
    // Records about other targets, before and after the subject's.
    h.user(&branch, "bystander@branch.test", Role::User).await;
    for status in [UserStatus::Disabled, UserStatus::Active] {
        let change = UpdateUser {
            status: Some(status),
            ..UpdateUser::default()
        };
        h.services
            .users
            .update(&acme_admin, subject.id, change)
            .await
            .unwrap();
    }
    h.user(&acme, "later@acme.test", Role::User).await;

    let filter = format!(r#"target_type eq "user" and target_id eq {}"#, subject.id);
    let history = async |caller| {
        let request = ListRequest::native(
            ListResource::Audit,
            &NativeListParams {
                filter: Some(&filter),
                ..NativeListParams::default()
            },
        )
        .unwrap();
        let page = h
            .services
            .audit
            .list(caller, Within::Visible, request)
            .await
            .unwrap();
        page.items
            .iter()
            .map(|r| (r.action.clone(), r.target_id))
            .collect::<Vec<_>>()
    };
    let target = Some(subject.id.get());
    let expected = vec![
        ("user.update".to_owned(), target),
        ("user.update".to_owned(), target),
        // The harness signs each user it makes in.
        ("user.login".to_owned(), target),
        ("user.create".to_owned(), target),
    ];
    assert_eq!(history(&acme_admin).await, expected, "the tenant's admin");
    assert_eq!(history(&branch_admin).await, expected, "the branch's admin");
    assert_eq!(history(&h.service).await, expected, "the service");
    assert_eq!(
        history(&other_admin).await,
        vec![],
        "another tenant's admin"
    );
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
