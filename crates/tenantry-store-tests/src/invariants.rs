//! Whole-store invariants under concurrent, conflicting writes, checked by the store's own
//! recomputation from the rows ([`tenantry_core::store::Store::invariant_violations`]).

use tenantry_core::Error;
use tenantry_core::auth::Role;

use crate::harness::{Harness, account_command, user_command};
use crate::seats::{assert_consistent, device};

async fn assert_no_violations(h: &Harness) {
    let violations = h.store.invariant_violations().await.unwrap();
    assert!(violations.is_empty(), "invariants broken: {violations:#?}");
}

pub async fn a_busy_tree_stays_consistent(h: Harness) {
    let root = h.root("Acme", 50).await;
    let a = h.child(&root, "A", 20).await;
    let a1 = h.child(&a, "A1", 5).await;
    let b = h.child(&root, "B", 10).await;
    for (account, serial) in [(&a, "A-1"), (&a1, "A1-1"), (&b, "B-1"), (&root, "R-1")] {
        h.services
            .devices
            .create(&h.service, account.id, device(serial, false))
            .await
            .unwrap();
    }
    h.user(&a1, "u@a1.test", Role::User).await;
    h.services
        .accounts
        .move_seats(&h.service, a.id, a1.id, 3)
        .await
        .unwrap();
    let doomed = h.child(&b, "B1", 2).await;
    h.services
        .accounts
        .delete(&h.service, doomed.id)
        .await
        .unwrap();
    assert_no_violations(&h).await;
    assert_consistent(&h, &root).await;
}

pub async fn concurrent_signups_keep_emails_unique(h: Harness) {
    let root = h.root("Acme", 0).await;
    let child = h.child(&root, "Child", 0).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let services = h.services.clone();
        let caller = h.service.clone();
        let account = if i % 2 == 0 { root.id } else { child.id };
        // Five addresses, each tried eight times in different cases.
        let address = if i % 3 == 0 {
            format!("User{}@Example.test", i % 5)
        } else {
            format!("user{}@example.test", i % 5)
        };
        tasks.push(tokio::spawn(async move {
            services
                .users
                .create(&caller, account, user_command(&address, Role::User))
                .await
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(Error::Conflict(_)) => {}
            Err(other) => panic!("unexpected error under contention: {other:?}"),
        }
    }
    assert_eq!(created, 5, "each address exactly once");
    assert_no_violations(&h).await;
}

pub async fn concurrent_child_churn_keeps_seats(h: Harness) {
    let root = h.root("Acme", 30).await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let services = h.services.clone();
        let caller = h.service.clone();
        let parent = root.id;
        tasks.push(tokio::spawn(async move {
            let child = services
                .accounts
                .create(
                    &caller,
                    account_command(Some(parent), &format!("C{i}"), 1 + i % 3),
                )
                .await?;
            if i % 2 == 0 {
                services.accounts.delete(&caller, child.id).await?;
            }
            Ok::<_, Error>(())
        }));
    }
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) | Err(Error::Invalid { .. }) => {}
            Err(other) => panic!("unexpected error under contention: {other:?}"),
        }
    }
    assert_no_violations(&h).await;
    assert_consistent(&h, &root).await;
    let root = h.reload(&root).await;
    assert_eq!(root.device_seats, 30);
    assert!(root.free_seats() >= 0);
}

pub async fn bulk_loaded_rows_are_consistent_and_searchable(h: Harness) {
    use tenantry_core::model::UserId;
    use tenantry_core::query::{ListRequest, ListResource, NativeListParams};
    use tenantry_core::services::Within;

    use crate::bulk;

    let now = h.clock_now();
    let root = bulk::account(100, None, 10, 4, now);
    let child = bulk::account(101, Some(&root), 4, 0, now);
    h.store
        .bulk_insert_accounts(&[root.clone(), child.clone()])
        .await
        .unwrap();
    let users: Vec<_> = (0..3)
        .map(|i| {
            let email = format!("Bulk.User{i}@Example.test");
            bulk::user(500 + i, &child, email, format!("Loader{i}"), now)
        })
        .collect();
    h.store.bulk_insert_users(&users).await.unwrap();
    assert_no_violations(&h).await;
    let found = h
        .services
        .users
        .list(
            &h.service,
            Within::Subtree(root.id),
            ListRequest::native(
                ListResource::Users,
                &NativeListParams {
                    q: Some("loader1"),
                    ..NativeListParams::default()
                },
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].id, UserId(501));
    // New rows get ids past the loaded ones.
    let fresh = h.child(&root, "After bulk", 1).await;
    assert!(fresh.id.get() > 101, "{:?}", fresh.id);
    let (user, _) = h.user(&fresh, "after@bulk.test", Role::User).await;
    assert!(user.id.get() > 502, "{:?}", user.id);
    assert_no_violations(&h).await;
}
