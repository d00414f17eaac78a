//! Users: uniqueness, ranks, roles, scope, updates, deletion, paging.

use serde_json::json;
use tenantry_core::Error;
use tenantry_core::auth::Role;
use tenantry_core::model::UserStatus;
use tenantry_core::query::ListResource;
use tenantry_core::services::Within;
use tenantry_core::services::accounts::UpdateAccount;
use tenantry_core::services::auth::Me;
use tenantry_core::services::users::{CreateUser, UpdateUser};
use tenantry_core::values::{Preferences, Username};

use crate::harness::{Harness, email, first, next, text, user_command};

pub async fn emails_are_unique_ignoring_case(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let other = h.root("Other", 0).await;
    h.user(&acme, "Ann@Example.test", Role::User).await;
    for (account, address) in [(&acme, "ann@example.test"), (&other, "ANN@EXAMPLE.TEST")] {
        let err = h
            .services
            .users
            .create(&h.service, account.id, user_command(address, Role::User))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{address}: {err:?}");
    }
    // Logging in with any case finds the user.
    h.login("ANN@example.TEST").await;
}

pub async fn usernames_are_unique_ignoring_case(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let mut first = user_command("a@x.test", Role::User);
    first.username = Some(Username::parse("Ann").unwrap());
    h.services
        .users
        .create(&h.service, acme.id, first)
        .await
        .unwrap();
    let mut second = user_command("b@x.test", Role::User);
    second.username = Some(Username::parse("ann").unwrap());
    let err = h
        .services
        .users
        .create(&h.service, acme.id, second)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
}

pub async fn nobody_grants_above_their_rank(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (_, admin) = h.user(&acme, "admin@acme.test", Role::Admin).await;
    let (_, user) = h.user(&acme, "user@acme.test", Role::User).await;
    let err = h
        .services
        .users
        .create(&admin, acme.id, user_command("o@acme.test", Role::Owner))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    let err = h
        .services
        .users
        .create(&user, acme.id, user_command("u@acme.test", Role::User))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Forbidden(_)),
        "users cannot add users: {err:?}"
    );
    let made = h
        .services
        .users
        .create(&admin, acme.id, user_command("a2@acme.test", Role::Admin))
        .await
        .unwrap();
    assert_eq!(made.role, Role::Admin);
    assert!(!made.email_verified);
    assert!(made.has_password);
}

pub async fn role_changes_follow_the_rules(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (owner_user, owner) = h.user(&acme, "owner@acme.test", Role::Owner).await;
    let (admin_user, admin) = h.user(&acme, "admin@acme.test", Role::Admin).await;
    let (plain, _) = h.user(&acme, "user@acme.test", Role::User).await;
    // Not your own role, whoever you are.
    let err = h
        .services
        .users
        .set_role(&admin, admin_user.id, Role::User)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)));
    // Not above your rank, and not on someone who outranks you.
    let err = h
        .services
        .users
        .set_role(&admin, plain.id, Role::Owner)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)));
    let err = h
        .services
        .users
        .set_role(&admin, owner_user.id, Role::User)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)));
    let promoted = h
        .services
        .users
        .set_role(&admin, plain.id, Role::Admin)
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Admin);
    let admin_tokens = h
        .services
        .auth
        .login("admin@acme.test", crate::harness::PASSWORD, None)
        .await
        .unwrap();
    let demoted = h
        .services
        .users
        .set_role(&owner, admin_user.id, Role::User)
        .await
        .unwrap();
    assert_eq!(demoted.role, Role::User);
    // The demoted admin's live session carries the new role from its next request on.
    let again = h.caller(admin_tokens.access_token.expose()).await;
    assert_eq!(again.principal.rank(), Role::User.rank());
    let err = h.services.users.get(&again, plain.id).await.unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
}

pub async fn users_see_only_themselves_without_view_users(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let child = h.child(&acme, "Child", 0).await;
    let (me, caller) = h.user(&acme, "me@acme.test", Role::User).await;
    let (colleague, _) = h.user(&acme, "colleague@acme.test", Role::User).await;
    let (parent_admin, _) = h.user(&acme, "padmin@acme.test", Role::Admin).await;
    let (_, child_admin) = h.user(&child, "cadmin@child.test", Role::Admin).await;
    assert_eq!(
        h.services.users.get(&caller, me.id).await.unwrap().id,
        me.id
    );
    let err = h
        .services
        .users
        .get(&caller, colleague.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    let err = h
        .services
        .users
        .list(
            &caller,
            Within::Account(acme.id),
            first(ListResource::Users, 10),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    // An admin below cannot see users above.
    let err = h
        .services
        .users
        .get(&child_admin, parent_admin.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutOfScope(_)), "{err:?}");
}

pub async fn updates_by_self_and_by_admins(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (me, caller) = h.user(&acme, "me@acme.test", Role::User).await;
    let (_, admin) = h.user(&acme, "admin@acme.test", Role::Admin).await;
    let prefs = Preferences::parse(json!({"theme": "dark"})).unwrap();
    let updated = h
        .services
        .users
        .update(
            &caller,
            me.id,
            UpdateUser {
                first_name: Some(Some(text("Ann"))),
                last_name: Some(None),
                preferences: Some(prefs.clone()),
                email: Some(email("new@acme.test")),
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.first_name.as_deref(), Some("Ann"));
    assert_eq!(updated.last_name, None);
    assert_eq!(updated.preferences, prefs);
    assert_eq!(updated.email, "new@acme.test");
    let err = h
        .services
        .users
        .update(
            &caller,
            me.id,
            UpdateUser {
                status: Some(UserStatus::Disabled),
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)));
    let disabled = h
        .services
        .users
        .update(
            &admin,
            me.id,
            UpdateUser {
                status: Some(UserStatus::Disabled),
                ..UpdateUser::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(disabled.status, UserStatus::Disabled);
}

pub async fn deleting_a_user_ends_their_sessions(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (victim, victim_caller) = h.user(&acme, "v@acme.test", Role::User).await;
    let (admin_user, admin) = h.user(&acme, "admin@acme.test", Role::Admin).await;
    let err = h
        .services
        .users
        .delete(&admin, admin_user.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "no self-deletion");
    let err = h
        .services
        .users
        .delete(&victim_caller, admin_user.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)));
    h.services.users.delete(&admin, victim.id).await.unwrap();
    assert!(h.store.user(victim.id).await.unwrap().is_none());
    let err = h.services.auth.me(&victim_caller).await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

pub async fn me_shows_the_user_with_their_account_as_it_is_now(h: Harness) {
    let acme = h.root("Acme", 10).await;
    let plant = h.child(&acme, "Plant", 1).await;
    let (worker, worker_caller) = h.user(&plant, "w@acme.test", Role::User).await;
    let (admin_user, admin) = h.user(&acme, "admin@acme.test", Role::Admin).await;
    let shown = |me: Me| match me {
        Me::User { user, account } => (*user, *account),
        Me::Service(_) => panic!("a user's token shown as a service token"),
    };
    let (user, account) = shown(h.services.auth.me(&worker_caller).await.unwrap());
    assert_eq!((user.id, user.email.as_str()), (worker.id, "w@acme.test"));
    assert_eq!((account.id, account.name.as_str()), (plant.id, "Plant"));
    // Each user is shown with their own account, read afresh.
    let (user, account) = shown(h.services.auth.me(&admin).await.unwrap());
    assert_eq!((user.id, account.id), (admin_user.id, acme.id));
    // Later changes, so that each record's timestamps differ from one another below.
    h.clock.advance(time::Duration::minutes(5));
    let renamed_user = UpdateUser {
        first_name: Some(Some(text("Wendy"))),
        ..UpdateUser::default()
    };
    h.services
        .users
        .update(&admin, worker.id, renamed_user)
        .await
        .unwrap();
    let renamed = UpdateAccount {
        name: Some(text("Plant 2")),
        ..UpdateAccount::default()
    };
    h.services
        .accounts
        .update(&admin, plant.id, renamed)
        .await
        .unwrap();
    let (_, account) = shown(h.services.auth.me(&worker_caller).await.unwrap());
    assert_eq!(account.name, "Plant 2");
    // Read together, each record is field for field what reading it alone gives (the root's
    // seat counters differ from one another, and the renamed records' timestamps do).
    for (user_id, account_id) in [(worker.id, plant.id), (admin_user.id, acme.id)] {
        let alone = (
            h.store.user(user_id).await.unwrap().unwrap(),
            h.store.account(account_id).await.unwrap().unwrap(),
        );
        let together = h.store.user_with_account(user_id).await.unwrap();
        assert_eq!(together, Some(alone));
    }
    h.services.users.delete(&admin, worker.id).await.unwrap();
    assert!(
        h.store
            .user_with_account(worker.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        h.store
            .user_with_account(admin_user.id)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn lists_page_by_cursor_and_cover_subtrees(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let child = h.child(&acme, "Child", 0).await;
    let other = h.root("Other", 0).await;
    let mut expected = Vec::new();
    for i in 0..5 {
        let user = h
            .services
            .users
            .create(
                &h.service,
                acme.id,
                user_command(&format!("u{i}@acme.test"), Role::User),
            )
            .await
            .unwrap();
        expected.push(user.id);
    }
    let below = h
        .services
        .users
        .create(
            &h.service,
            child.id,
            user_command("c@child.test", Role::User),
        )
        .await
        .unwrap();
    h.services
        .users
        .create(
            &h.service,
            other.id,
            user_command("o@other.test", Role::User),
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut page = first(ListResource::Users, 2);
    loop {
        let result = h
            .services
            .users
            .list(&h.service, Within::Account(acme.id), page.clone())
            .await
            .unwrap();
        seen.extend(result.items.iter().map(|u| u.id));
        match result.next_cursor {
            Some(cursor) => page = next(page, Some(&cursor)),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let subtree = h
        .services
        .users
        .list(
            &h.service,
            Within::Subtree(acme.id),
            first(ListResource::Users, 100),
        )
        .await
        .unwrap();
    let mut with_child = expected.clone();
    with_child.push(below.id);
    assert_eq!(
        subtree.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        with_child
    );
}

pub async fn changes_decided_against_a_stale_role_are_refused(h: Harness) {
    use tenantry_core::model::user::UserChanges;
    let acme = h.root("Acme", 0).await;
    let (user, _) = h.user(&acme, "u@acme.test", Role::User).await;
    let now = h.clock_now();
    let audit = || tenantry_core::model::AuditDraft {
        actor: tenantry_core::model::Actor::Cli,
        action: "test",
        request_id: None,
        details: serde_json::Value::Null,
        at: now,
    };
    // Someone checked their authority while the user was an owner; meanwhile it is a user.
    let stale = UserChanges {
        first_name: Some(Some("X".into())),
        expected_role: Some(Role::Owner),
        ..UserChanges::at(now)
    };
    let err = h
        .store
        .update_user(user.id, stale, audit())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let err = h
        .store
        .delete_user(user.id, Some(Role::Admin), audit())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    h.store
        .delete_user(user.id, Some(Role::User), audit())
        .await
        .expect("the current role matches");
}

/// Creations that reach the store at the same moment (which a store may write together) each
/// get the answer their own creation would have: their own user, or their own refusal.
pub async fn users_created_at_once_each_get_their_own_answer(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let other = h.root("Other", 0).await;
    h.user(&acme, "taken@x.test", Role::User).await;
    let mut addresses: Vec<(String, &tenantry_core::model::Account)> = (0..10)
        .map(|i| {
            let account = if i % 2 == 0 { &acme } else { &other };
            (format!("new{i}@x.test"), account)
        })
        .collect();
    addresses.push(("TAKEN@x.test".to_owned(), &other));
    addresses.push(("twice@x.test".to_owned(), &acme));
    addresses.push(("Twice@x.test".to_owned(), &other));
    let mut creations = tokio::task::JoinSet::new();
    for (index, (address, account)) in addresses.iter().enumerate() {
        let users = h.services.users.clone();
        let caller = h.service.clone();
        let account_id = account.id;
        let command = CreateUser {
            password: None,
            ..user_command(address, Role::User)
        };
        creations.spawn(async move { (index, users.create(&caller, account_id, command).await) });
    }
    let mut answers: Vec<_> = creations.join_all().await;
    answers.sort_by_key(|(index, _)| *index);

    let mut created = Vec::new();
    for (index, answer) in &answers[..10] {
        let (address, account) = &addresses[*index];
        let user = answer.as_ref().unwrap();
        assert_eq!(&user.email, address);
        assert_eq!(user.account_id, account.id);
        assert_eq!(user.tenant_id, account.tenant_id);
        created.push(user.id);
    }
    assert!(
        matches!(answers[10].1, Err(Error::Conflict(_))),
        "{:?}",
        answers[10].1
    );
    // Of two creations of one address, exactly one wins.
    let twice: Vec<_> = answers[11..].iter().filter(|(_, a)| a.is_ok()).collect();
    assert_eq!(twice.len(), 1, "{answers:?}");
    assert!(
        answers[11..]
            .iter()
            .any(|(_, a)| matches!(a, Err(Error::Conflict(_))))
    );
    created.push(twice[0].1.as_ref().unwrap().id);

    // Each created user has its own audit record, and no refused one left a row.
    let audit = h.newest_audit(100).await;
    for id in &created {
        let records = audit
            .iter()
            .filter(|r| r.action == "user.create" && r.target_id == Some(id.get()))
            .count();
        assert_eq!(records, 1, "audit records of user {id}");
    }
    let all = h
        .services
        .users
        .list(&h.service, Within::Visible, first(ListResource::Users, 100))
        .await
        .unwrap();
    assert_eq!(all.items.len(), created.len() + 1);
}

/// A user created in an account deleted since the caller's checks is refused, and leaves
/// neither a row nor an audit record.
pub async fn a_user_for_an_account_that_is_gone_is_refused(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let gone = h.child(&acme, "Gone", 0).await;
    h.services
        .accounts
        .delete(&h.service, gone.id)
        .await
        .unwrap();
    let new = tenantry_core::model::user::NewUser {
        account_id: gone.id,
        email: "late@acme.test".into(),
        email_normalized: "late@acme.test".into(),
        username: None,
        username_normalized: None,
        first_name: None,
        last_name: None,
        role: Role::User,
        status: UserStatus::Active,
        email_verified: false,
        terms_agreed: false,
        password_hash: None,
        preferences: Preferences::default(),
        now: h.clock_now(),
    };
    let audit = tenantry_core::model::AuditDraft {
        actor: tenantry_core::model::Actor::Cli,
        action: "user.create",
        request_id: None,
        details: serde_json::Value::Null,
        at: h.clock_now(),
    };
    let err = h.store.insert_user(new, audit).await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound(tenantry_core::Resource::Account)),
        "{err:?}"
    );
    let name = tenantry_core::model::user::LoginName::Email("late@acme.test".into());
    assert!(h.store.login_record(&name).await.unwrap().is_none());
    let audit = h.newest_audit(100).await;
    assert!(
        audit.iter().all(|r| r.action != "user.create"),
        "{:?}",
        audit
    );
}
