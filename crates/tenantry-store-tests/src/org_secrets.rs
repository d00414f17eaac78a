//! Cloud Elements' user and organization secrets, soft deletion with users, and offset paging.

use std::sync::Arc;

use tenantry_core::Error;
use tenantry_core::auth::Role;
use tenantry_core::model::{AccountStatus, UserStatus};
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::services::Within;
use tenantry_core::services::accounts::UpdateAccount;

use crate::harness::Harness;

pub async fn first_uses_of_a_secret_agree_and_rotation_replaces_it(h: Harness) {
    let root = h.root("Org", 0).await;
    let (user, caller) = h.user(&root, "owner@org.test", Role::Owner).await;
    let h = Arc::new(h);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let h = h.clone();
        let caller = caller.clone();
        tasks.push(tokio::spawn(async move {
            h.services.secrets.own_secrets(&caller).await.unwrap()
        }));
    }
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
    let (user_secret, org_secret) = seen.remove(0);
    let authenticated = h
        .services
        .secrets
        .authenticate(&user_secret, &org_secret, None)
        .await
        .unwrap();
    assert_eq!(authenticated.user_id(), Some(user.id));
    let rotated = h
        .services
        .secrets
        .rotate_user_secret(&caller, user.id)
        .await
        .unwrap();
    assert_ne!(rotated, user_secret);
    let err = h
        .services
        .secrets
        .authenticate(&user_secret, &org_secret, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    h.services
        .secrets
        .authenticate(&rotated, &org_secret, None)
        .await
        .unwrap();
    // Another organization's secret never pairs with this user's.
    let other = h.root("Other", 0).await;
    let (_, other_caller) = h.user(&other, "owner@other.test", Role::Owner).await;
    let (_, other_org) = h.services.secrets.own_secrets(&other_caller).await.unwrap();
    assert!(
        h.services
            .secrets
            .authenticate(&rotated, &other_org, None)
            .await
            .is_err()
    );
    // Only the user, or someone with authority over them, may rotate.
    let err = h
        .services
        .secrets
        .rotate_user_secret(&other_caller, user.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutOfScope(_)), "{err:?}");
}

pub async fn deactivating_with_users_disables_them_for_good(h: Harness) {
    let root = h.root("Org", 0).await;
    let company = h.child(&root, "Company", 0).await;
    let (user, _) = h.user(&company, "staff@company.test", Role::User).await;
    let off = UpdateAccount {
        status: Some(AccountStatus::Deactivated),
        disable_users: true,
        ..UpdateAccount::default()
    };
    h.services
        .accounts
        .update(&h.service, company.id, off)
        .await
        .unwrap();
    let disabled = h.services.users.get(&h.service, user.id).await.unwrap();
    assert_eq!(disabled.status, UserStatus::Disabled);
    let on = UpdateAccount {
        status: Some(AccountStatus::Active),
        ..UpdateAccount::default()
    };
    h.services
        .accounts
        .update(&h.service, company.id, on)
        .await
        .unwrap();
    let still = h.services.users.get(&h.service, user.id).await.unwrap();
    assert_eq!(still.status, UserStatus::Disabled);
    // Nobody disables, with an account, a user who outranks them.
    let team = h.child(&root, "Team", 0).await;
    h.user(&team, "lead@company.test", Role::Owner).await;
    let (_, admin) = h.user(&root, "admin@company.test", Role::Admin).await;
    let off = UpdateAccount {
        status: Some(AccountStatus::Deactivated),
        disable_users: true,
        ..UpdateAccount::default()
    };
    let err = h
        .services
        .accounts
        .update(&admin, team.id, off)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    assert_eq!(h.reload(&team).await.status, AccountStatus::Active);
    // Disabling users without deactivating the account is a programming error, not a request.
    let odd = UpdateAccount {
        name: Some(crate::harness::text("x")),
        disable_users: true,
        ..UpdateAccount::default()
    };
    assert!(
        h.services
            .accounts
            .update(&h.service, company.id, odd)
            .await
            .is_err()
    );
}

pub async fn offsets_skip_rows_in_order(h: Harness) {
    let root = h.root("Org", 0).await;
    for n in 0..12 {
        h.child(&root, &format!("Child {n:02}"), 0).await;
    }
    let all = h
        .services
        .accounts
        .list(
            &h.service,
            Within::Below(root.id),
            ListRequest::all(ListResource::Accounts, 100),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), 12);
    let mut request = ListRequest::all(ListResource::Accounts, 5);
    request.offset = 9;
    let page = h
        .services
        .accounts
        .list(&h.service, Within::Below(root.id), request)
        .await
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|a| a.id).collect();
    let expected: Vec<_> = all[9..].iter().map(|a| a.id).collect();
    assert_eq!(ids, expected);
    assert!(page.next_cursor.is_none());
}
