//! Login, refresh, logout, expiry, and revocation taking effect at once (what a login writes:
//! `login_writes`).

use tenantry_core::Error;
use tenantry_core::auth::{Principal, Role};
use tenantry_core::model::{AccountStatus, Actor, UserStatus};
use time::Duration;

use crate::harness::{Harness, PASSWORD, password, text};

pub async fn login_issues_working_tokens(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (user, _) = h.user(&acme, "ann@acme.test", Role::Admin).await;
    let tokens = h
        .services
        .auth
        .login("ann@acme.test", PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(tokens.expires_in, 3600);
    assert_ne!(tokens.access_token.expose(), tokens.refresh_token.expose());
    let caller = h.caller(tokens.access_token.expose()).await;
    let Principal::User(principal) = &caller.principal else {
        panic!("expected a user principal");
    };
    assert_eq!(principal.user_id, user.id);
    assert_eq!(principal.role, Role::Admin);
    assert_eq!(principal.account_path, acme.path);
    let stored = h.store.user(user.id).await.unwrap().unwrap();
    assert!(stored.last_login.is_some());
    // A refresh token is not an access token.
    let err = h
        .services
        .auth
        .authenticate(tokens.refresh_token.expose(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)));
}

pub async fn login_failures_look_the_same(h: Harness) {
    let acme = h.root("Acme", 0).await;
    h.user(&acme, "ann@acme.test", Role::User).await;
    let mut no_password = crate::harness::user_command("nopw@acme.test", Role::User);
    no_password.password = None;
    h.services
        .users
        .create(&h.service, acme.id, no_password)
        .await
        .unwrap();
    let attempts = [
        ("ann@acme.test", "wrong password"),
        ("nobody@acme.test", PASSWORD),
        ("not an email", PASSWORD),
        ("nopw@acme.test", ""),
        ("nopw@acme.test", PASSWORD),
    ];
    for (address, pw) in attempts {
        let err = h.services.auth.login(address, pw, None).await.unwrap_err();
        match err {
            Error::Unauthenticated(message) => {
                assert_eq!(
                    message,
                    tenantry_core::services::auth::BAD_CREDENTIALS,
                    "{address}"
                )
            }
            other => panic!("{address}: {other:?}"),
        }
    }
}

pub async fn refresh_rotates_and_works_once(h: Harness) {
    let acme = h.root("Acme", 0).await;
    h.user(&acme, "ann@acme.test", Role::User).await;
    let first = h
        .services
        .auth
        .login("ann@acme.test", PASSWORD, None)
        .await
        .unwrap();
    let second = h
        .services
        .auth
        .refresh(first.refresh_token.expose(), None)
        .await
        .unwrap();
    h.caller(second.access_token.expose()).await;
    for stale in [first.access_token.expose(), first.refresh_token.expose()] {
        let err = h.services.auth.authenticate(stale, None).await.unwrap_err();
        assert!(matches!(err, Error::Unauthenticated(_)));
    }
    let err = h
        .services
        .auth
        .refresh(first.refresh_token.expose(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Unauthenticated(_)),
        "a refresh token works once"
    );
    let err = h
        .services
        .auth
        .refresh(second.access_token.expose(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Unauthenticated(_)),
        "an access token cannot refresh"
    );
}

pub async fn logout_ends_the_session(h: Harness) {
    let acme = h.root("Acme", 0).await;
    h.user(&acme, "ann@acme.test", Role::User).await;
    let tokens = h
        .services
        .auth
        .login("ann@acme.test", PASSWORD, None)
        .await
        .unwrap();
    let other_device = h.login("ann@acme.test").await;
    let caller = h.caller(tokens.access_token.expose()).await;
    h.services.auth.logout(&caller).await.unwrap();
    let err = h
        .services
        .auth
        .authenticate(tokens.access_token.expose(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)));
    let err = h
        .services
        .auth
        .refresh(tokens.refresh_token.expose(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)));
    // Other sessions of the same user live on.
    h.services.auth.me(&other_device).await.unwrap();
}

pub async fn suspension_and_disabling_take_effect_at_once(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let child = h.child(&acme, "Child", 0).await;
    let (_, _) = h.user(&child, "ann@child.test", Role::User).await;
    let tokens = h
        .services
        .auth
        .login("ann@child.test", PASSWORD, None)
        .await
        .unwrap();
    let (bob, _) = h.user(&acme, "bob@acme.test", Role::User).await;
    let bob_tokens = h
        .services
        .auth
        .login("bob@acme.test", PASSWORD, None)
        .await
        .unwrap();
    h.set_account_status(child.id, AccountStatus::Suspended)
        .await;
    let err = h
        .services
        .auth
        .authenticate(tokens.access_token.expose(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)));
    let err = h
        .services
        .auth
        .login("ann@child.test", PASSWORD, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(m) if m.contains("suspended")));
    // Reactivation does not bring the old session back: suspension ended it.
    h.set_account_status(child.id, AccountStatus::Active).await;
    let err = h
        .services
        .auth
        .authenticate(tokens.access_token.expose(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)));
    h.login("ann@child.test").await;
    // Suspending a child leaves its parent alone.
    h.caller(bob_tokens.access_token.expose()).await;
    h.set_user_status(bob.id, UserStatus::Disabled).await;
    let err = h
        .services
        .auth
        .authenticate(bob_tokens.access_token.expose(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)));
    let err = h
        .services
        .auth
        .login("bob@acme.test", PASSWORD, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(m) if m.contains("disabled")));
}

pub async fn tokens_expire(h: Harness) {
    let acme = h.root("Acme", 0).await;
    h.user(&acme, "ann@acme.test", Role::User).await;
    let tokens = h
        .services
        .auth
        .login("ann@acme.test", PASSWORD, None)
        .await
        .unwrap();
    h.clock.advance(Duration::minutes(59));
    h.caller(tokens.access_token.expose()).await;
    h.clock.advance(Duration::minutes(2));
    let err = h
        .services
        .auth
        .authenticate(tokens.access_token.expose(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)));
    let renewed = h
        .services
        .auth
        .refresh(tokens.refresh_token.expose(), None)
        .await
        .expect("refresh outlives access");
    h.clock.advance(Duration::days(31));
    let err = h
        .services
        .auth
        .refresh(renewed.refresh_token.expose(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)));
}

pub async fn service_tokens_can_be_revoked_and_expire(h: Harness) {
    let (token, secret) = h
        .services
        .service_tokens
        .create(Actor::Cli, text("ops"), Some(Duration::days(1)))
        .await
        .unwrap();
    assert!(
        h.services
            .auth
            .authenticate(secret.expose(), None)
            .await
            .is_ok()
    );
    h.clock.advance(Duration::days(2));
    assert!(
        h.services
            .auth
            .authenticate(secret.expose(), None)
            .await
            .is_err()
    );
    let (forever, forever_secret) = h
        .services
        .service_tokens
        .create(Actor::Cli, text("forever"), None)
        .await
        .unwrap();
    assert!(
        h.services
            .auth
            .authenticate(forever_secret.expose(), None)
            .await
            .is_ok()
    );
    let revoked = h
        .services
        .service_tokens
        .revoke(Actor::Cli, forever.id)
        .await
        .unwrap();
    assert!(revoked.revoked.is_some());
    assert!(
        h.services
            .auth
            .authenticate(forever_secret.expose(), None)
            .await
            .is_err()
    );
    let listed = h.services.service_tokens.list().await.unwrap();
    assert!(listed.iter().any(|t| t.id == token.id));
    let missing = h
        .services
        .service_tokens
        .revoke(Actor::Cli, tenantry_core::model::ApiTokenId(987_654))
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound(_)));
}

pub async fn password_change_ends_other_sessions(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (_, here) = h.user(&acme, "ann@acme.test", Role::User).await;
    let elsewhere = h
        .services
        .auth
        .login("ann@acme.test", PASSWORD, None)
        .await
        .unwrap();
    let err = h
        .services
        .users
        .change_own_password(
            &here,
            &password("not my password"),
            &password("brand new secret"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }));
    h.services
        .users
        .change_own_password(&here, &password(PASSWORD), &password("brand new secret"))
        .await
        .unwrap();
    h.services.auth.me(&here).await.expect("this session stays");
    let err = h
        .services
        .auth
        .authenticate(elsewhere.access_token.expose(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Unauthenticated(_)),
        "other sessions end"
    );
    let err = h
        .services
        .auth
        .login("ann@acme.test", PASSWORD, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)));
    h.services
        .auth
        .login("ann@acme.test", "brand new secret", None)
        .await
        .unwrap();
}

pub async fn expired_sessions_are_purged(h: Harness) {
    let acme = h.root("Acme", 0).await;
    h.user(&acme, "ann@acme.test", Role::User).await;
    h.services
        .auth
        .login("ann@acme.test", PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(
        h.store.purge_expired_sessions(h.clock_now()).await.unwrap(),
        0
    );
    h.clock.advance(Duration::days(31));
    // Two sessions: the helper's and the one above.
    assert_eq!(
        h.store.purge_expired_sessions(h.clock_now()).await.unwrap(),
        2
    );
}

pub async fn refreshes_are_audited(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (user, _) = h.user(&acme, "ann@acme.test", Role::Admin).await;
    let tokens = h
        .services
        .auth
        .login("ann@acme.test", PASSWORD, None)
        .await
        .unwrap();
    h.services
        .auth
        .refresh(tokens.refresh_token.expose(), Some("req-refresh".into()))
        .await
        .unwrap();
    let page = h.newest_audit(5).await;
    let newest = &page[0];
    assert_eq!(newest.action, "session.refresh");
    assert_eq!(newest.actor, format!("user:{}", user.id));
    assert_eq!(newest.request_id.as_deref(), Some("req-refresh"));
}

pub async fn the_last_owner_stays(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (owner, owner_caller) = h.user(&acme, "owner@acme.test", Role::Owner).await;
    let err = h
        .services
        .users
        .delete(&h.service, owner.id)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let err = h
        .services
        .users
        .set_role(&h.service, owner.id, Role::Admin)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let (second, _) = h.user(&acme, "second@acme.test", Role::Owner).await;
    h.services
        .users
        .set_role(&owner_caller, second.id, Role::Admin)
        .await
        .unwrap();
    h.services
        .users
        .set_role(&h.service, second.id, Role::Owner)
        .await
        .unwrap();
    h.services.users.delete(&h.service, owner.id).await.unwrap();
}
