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
    use tenantry_core::model::user::BulkUser;
    use tenantry_core::model::{
        Account, AccountId, AccountPath, AccountStatus, User, UserId, UserStatus,
    };
    use tenantry_core::query::{ListRequest, ListResource, NativeListParams};
    use tenantry_core::services::Within;
    use tenantry_core::values::Preferences;

    let now = h.clock_now();
    let account = |id: i64, parent: Option<&Account>, seats: i64, children: i64| {
        let path = match parent {
            Some(p) => p.path.child(AccountId(id)),
            None => AccountPath::root(AccountId(id)),
        };
        Account {
            id: AccountId(id),
            tenant_id: parent.map_or(AccountId(id), |p| p.tenant_id),
            parent_id: parent.map(|p| p.id),
            path,
            name: format!("Bulk {id}"),
            email: None,
            description: None,
            external_id: Some(format!("ext-{id}")),
            status: AccountStatus::Active,
            device_seats: seats,
            used_devices: 0,
            children_seats: children,
            log_retention: 2,
            created: now,
            updated: now,
            activity: now,
        }
    };
    let root = account(100, None, 10, 4);
    let child = account(101, Some(&root), 4, 0);
    h.store
        .bulk_insert_accounts(&[root.clone(), child.clone()])
        .await
        .unwrap();
    let users: Vec<BulkUser> = (0..3)
        .map(|i| BulkUser {
            user: User {
                id: UserId(500 + i),
                account_id: child.id,
                tenant_id: root.id,
                account_path: child.path.clone(),
                email: format!("Bulk.User{i}@Example.test"),
                username: None,
                first_name: Some("Bulky".into()),
                last_name: Some(format!("Loader{i}")),
                role: Role::User,
                status: UserStatus::Active,
                email_verified: true,
                email_verified_at: Some(now),
                terms_agreed_at: Some(now),
                has_password: false,
                last_login: None,
                locked_until: None,
                preferences: Preferences::default(),
                created: now,
                updated: now,
            },
            password_hash: None,
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
