//! The account tree: creation, scope, updates, deletion.

use tenantry_core::Error;
use tenantry_core::auth::Role;
use tenantry_core::model::AccountStatus;
use tenantry_core::query::ListResource;
use tenantry_core::services::Within;
use tenantry_core::services::accounts::UpdateAccount;
use tenantry_core::values::{Email, Text, TextLimit};

use crate::harness::{Harness, account_command, first, next, text};

pub async fn roots_need_a_service_token(h: Harness) {
    let root = h.root("Acme", 10).await;
    assert!(root.is_root());
    assert_eq!(root.tenant_id, root.id);
    assert_eq!(root.path.as_str(), format!("/{}/", root.id));
    assert_eq!(root.status, AccountStatus::Active);
    let (_, owner) = h.user(&root, "owner@acme.test", Role::Owner).await;
    let err = h
        .services
        .accounts
        .create(&owner, account_command(None, "Another", 0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
}

pub async fn children_nest_and_list(h: Harness) {
    let root = h.root("Acme", 100).await;
    let a = h.child(&root, "A", 10).await;
    let b = h.child(&root, "B", 10).await;
    let a1 = h.child(&a, "A1", 5).await;
    assert_eq!(a1.tenant_id, root.id);
    assert_eq!(a1.parent_id, Some(a.id));
    assert!(root.path.contains(&a1.path));
    let direct = h
        .services
        .accounts
        .list(
            &h.service,
            Within::Account(root.id),
            first(ListResource::Accounts, 50),
        )
        .await
        .unwrap();
    let ids: Vec<_> = direct.items.iter().map(|x| x.id).collect();
    assert_eq!(ids, [a.id, b.id]);
    let all = h
        .services
        .accounts
        .list(
            &h.service,
            Within::Below(root.id),
            first(ListResource::Accounts, 50),
        )
        .await
        .unwrap();
    let ids: Vec<_> = all.items.iter().map(|x| x.id).collect();
    assert_eq!(ids, [a.id, b.id, a1.id]);
    // Paging walks the same list in pieces.
    let request = first(ListResource::Accounts, 2);
    let first_page = h
        .services
        .accounts
        .list(&h.service, Within::Below(root.id), request.clone())
        .await
        .unwrap();
    assert_eq!(first_page.items.len(), 2);
    let following = next(request, first_page.next_cursor.as_deref());
    let second = h
        .services
        .accounts
        .list(&h.service, Within::Below(root.id), following)
        .await
        .unwrap();
    assert_eq!(
        second.items.iter().map(|x| x.id).collect::<Vec<_>>(),
        [a1.id]
    );
    assert_eq!(second.next_cursor, None);
}

pub async fn reads_outside_the_subtree_look_absent(h: Harness) {
    let acme = h.root("Acme", 10).await;
    let a = h.child(&acme, "A", 5).await;
    let b = h.child(&acme, "B", 5).await;
    let other = h.root("Other", 10).await;
    let (_, admin_a) = h.user(&a, "admin@a.test", Role::Admin).await;
    for target in [acme.id, b.id, other.id] {
        let err = h.services.accounts.get(&admin_a, target).await.unwrap_err();
        assert!(matches!(err, Error::OutOfScope(_)), "{target}: {err:?}");
        let err = h
            .services
            .accounts
            .update(&admin_a, target, rename("x"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::OutOfScope(_)), "{target}: {err:?}");
        let err = h
            .services
            .accounts
            .delete(&admin_a, target)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::OutOfScope(_)), "{target}: {err:?}");
    }
    let missing = tenantry_core::model::AccountId(999_999);
    let err = h
        .services
        .accounts
        .get(&admin_a, missing)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)));
    assert_eq!(
        h.services.accounts.get(&admin_a, a.id).await.unwrap().id,
        a.id
    );
}

fn rename(name: &str) -> UpdateAccount {
    UpdateAccount {
        name: Some(text(name)),
        ..UpdateAccount::default()
    }
}

pub async fn updates_change_and_clear_fields(h: Harness) {
    let root = h.root("Acme", 10).await;
    let child = h.child(&root, "Child", 1).await;
    let (_, admin) = h.user(&root, "admin@acme.test", Role::Admin).await;
    h.clock.advance(time::Duration::seconds(5));
    let updated = h
        .services
        .accounts
        .update(
            &admin,
            child.id,
            UpdateAccount {
                name: Some(text("Renamed")),
                email: Some(Some(Email::parse("billing@child.test").unwrap())),
                description: Some(Some(Text::parse("About", TextLimit::DESCRIPTION).unwrap())),
                external_id: Some(Some(text("ext-1"))),
                ..UpdateAccount::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Renamed");
    assert_eq!(updated.email.as_deref(), Some("billing@child.test"));
    assert_eq!(updated.description.as_deref(), Some("About"));
    assert_eq!(updated.external_id.as_deref(), Some("ext-1"));
    assert!(updated.updated > child.updated);
    assert_eq!(updated.created, child.created);
    let cleared = h
        .services
        .accounts
        .update(
            &admin,
            child.id,
            UpdateAccount {
                email: Some(None),
                description: Some(None),
                ..UpdateAccount::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.email, None);
    assert_eq!(cleared.description, None);
    assert_eq!(cleared.name, "Renamed", "untouched fields stay");
    let err = h
        .services
        .accounts
        .update(&admin, child.id, UpdateAccount::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }));
}

pub async fn only_an_ancestor_changes_seats_or_status(h: Harness) {
    let root = h.root("Acme", 10).await;
    let child = h.child(&root, "Child", 4).await;
    let (_, child_owner) = h.user(&child, "owner@child.test", Role::Owner).await;
    let (_, root_admin) = h.user(&root, "admin@acme.test", Role::Admin).await;
    let seats = |n| UpdateAccount {
        device_seats: Some(n),
        ..UpdateAccount::default()
    };
    let suspend = UpdateAccount {
        status: Some(AccountStatus::Suspended),
        ..UpdateAccount::default()
    };
    for command in [seats(2), suspend.clone()] {
        let err = h
            .services
            .accounts
            .update(&child_owner, child.id, command)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    }
    // A root's seats are the service's to set.
    let err = h
        .services
        .accounts
        .update(&root_admin, root.id, seats(20))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    let child = h
        .services
        .accounts
        .update(&root_admin, child.id, seats(7))
        .await
        .unwrap();
    assert_eq!(child.device_seats, 7);
    assert_eq!(h.reload(&root).await.children_seats, 7);
    let child = h
        .services
        .accounts
        .update(&root_admin, child.id, suspend)
        .await
        .unwrap();
    assert_eq!(child.status, AccountStatus::Suspended);
    let root = h
        .services
        .accounts
        .update(&h.service, root.id, seats(20))
        .await
        .unwrap();
    assert_eq!(root.device_seats, 20);
}

pub async fn delete_refuses_children_and_returns_seats(h: Harness) {
    let root = h.root("Acme", 10).await;
    let a = h.child(&root, "A", 6).await;
    let a1 = h.child(&a, "A1", 2).await;
    let (user, _) = h.user(&a1, "someone@a1.test", Role::User).await;
    let err = h
        .services
        .accounts
        .delete(&h.service, a.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(h.reload(&a).await.children_seats, 2);
    h.services.accounts.delete(&h.service, a1.id).await.unwrap();
    assert_eq!(h.reload(&a).await.children_seats, 0);
    assert!(
        h.store.user(user.id).await.unwrap().is_none(),
        "users go with their account"
    );
    h.services.accounts.delete(&h.service, a.id).await.unwrap();
    let root = h.reload(&root).await;
    assert_eq!(root.children_seats, 0);
    assert_eq!(root.free_seats(), 10);
    let err = h.services.accounts.get(&h.service, a.id).await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)));
}

pub async fn delete_of_own_account_needs_owner(h: Harness) {
    let root = h.root("Acme", 10).await;
    let child = h.child(&root, "Child", 0).await;
    let (_, admin) = h.user(&child, "admin@child.test", Role::Admin).await;
    let err = h
        .services
        .accounts
        .delete(&admin, child.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    let (_, owner) = h.user(&child, "owner@child.test", Role::Owner).await;
    h.services.accounts.delete(&owner, child.id).await.unwrap();
    assert!(h.store.account(child.id).await.unwrap().is_none());
}

pub async fn external_ids_are_unique_per_tenant(h: Harness) {
    let acme = h.root("Acme", 10).await;
    let other = h.root("Other", 10).await;
    let with_ext = |parent: &tenantry_core::model::Account| {
        let mut command = account_command(Some(parent.id), "X", 0);
        command.external_id = Some(text("crm-42"));
        command
    };
    h.services
        .accounts
        .create(&h.service, with_ext(&acme))
        .await
        .unwrap();
    let err = h
        .services
        .accounts
        .create(&h.service, with_ext(&acme))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    h.services
        .accounts
        .create(&h.service, with_ext(&other))
        .await
        .expect("another tenant may reuse the id");
}

pub async fn users_cannot_create_accounts(h: Harness) {
    let root = h.root("Acme", 10).await;
    let (_, user) = h.user(&root, "user@acme.test", Role::User).await;
    let err = h
        .services
        .accounts
        .create(&user, account_command(Some(root.id), "Nope", 0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    let (_, admin) = h.user(&root, "admin@acme.test", Role::Admin).await;
    let child = h
        .services
        .accounts
        .create(&admin, account_command(Some(root.id), "Yes", 3))
        .await
        .unwrap();
    assert_eq!(child.device_seats, 3);
    assert_eq!(h.reload(&root).await.free_seats(), 7);
}

pub async fn nobody_deletes_an_account_holding_a_user_who_outranks_them(h: Harness) {
    let root = h.root("Acme", 0).await;
    let child = h.child(&root, "Child", 0).await;
    let (_, admin) = h.user(&root, "admin@acme.test", Role::Admin).await;
    h.user(&child, "owner@child.test", Role::Owner).await;
    let err = h
        .services
        .accounts
        .delete(&admin, child.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    assert!(h.store.account(child.id).await.unwrap().is_some());
    let (_, owner) = h.user(&root, "owner@acme.test", Role::Owner).await;
    h.services.accounts.delete(&owner, child.id).await.unwrap();
}
