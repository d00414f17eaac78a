//! Email verification, password reset and quiet sign-up: tokens work once and expire, a reset
//! ends every session and lifts a lockout, and nothing tells whether an address is registered.

use tenantry_core::Error;
use tenantry_core::auth::Role;
use tenantry_core::model::MailKind;
use tenantry_core::model::mail::MailFilter;

use crate::harness::{Harness, email, password};

pub async fn password_resets_work_once_and_expire(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (user, _) = h.user(&acme, "ann@acme.test", Role::User).await;
    let before = h
        .store
        .mails(
            None,
            &MailFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .len();
    h.services
        .onboarding
        .forgot_password(&email("nobody@acme.test"), None)
        .await
        .unwrap();
    let after = h
        .store
        .mails(
            None,
            &MailFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .len();
    assert_eq!(
        before, after,
        "unknown addresses get no mail, and the same answer"
    );

    let superseded = h.reset_link("ANN@acme.test").await;
    let token = h.reset_link("ann@acme.test").await;
    assert_ne!(superseded, token);
    let pw = password("a brand new passphrase");
    assert!(
        h.services
            .onboarding
            .reset_password(&superseded, &pw, None)
            .await
            .is_err(),
        "a newer link replaces older ones"
    );
    // A token of another purpose does not reset a password.
    let err = h
        .services
        .onboarding
        .verify_email(&token, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");

    let reset = h
        .services
        .onboarding
        .reset_password(&token, &pw, None)
        .await
        .unwrap();
    assert_eq!(reset.id, user.id);
    assert!(reset.email_verified);
    let err = h
        .services
        .auth
        .login("ann@acme.test", crate::harness::PASSWORD, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    h.services
        .auth
        .login("ann@acme.test", "a brand new passphrase", None)
        .await
        .unwrap();
    assert!(
        h.services
            .onboarding
            .reset_password(&token, &pw, None)
            .await
            .is_err(),
        "a token works once"
    );

    // Links expire.
    let old = h.reset_link("ann@acme.test").await;
    h.clock.advance(time::Duration::hours(2));
    assert!(
        h.services
            .onboarding
            .reset_password(&old, &pw, None)
            .await
            .is_err()
    );
}

pub async fn a_password_reset_ends_every_session_and_lifts_a_lockout(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (user, _) = h.user(&acme, "ann@acme.test", Role::User).await;
    let tokens = h
        .services
        .auth
        .login("ann@acme.test", crate::harness::PASSWORD, None)
        .await
        .unwrap();
    for _ in 0..5 {
        let _ = h
            .services
            .auth
            .login("ann@acme.test", "wrong guess!", None)
            .await;
    }
    let locked = h.store.user(user.id).await.unwrap().unwrap();
    assert!(
        locked.locked_until.is_some(),
        "five wrong passwords lock the user"
    );
    let token = h.reset_link("ann@acme.test").await;
    h.services
        .onboarding
        .reset_password(&token, &password("another passphrase"), None)
        .await
        .unwrap();
    let err = h
        .services
        .auth
        .authenticate(tokens.access_token.expose(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    assert!(
        h.services
            .auth
            .refresh(tokens.refresh_token.expose(), None)
            .await
            .is_err()
    );
    assert_eq!(
        h.store.user(user.id).await.unwrap().unwrap().locked_until,
        None
    );
    h.services
        .auth
        .login("ann@acme.test", "another passphrase", None)
        .await
        .unwrap();
}

pub async fn disabled_sign_up_answers_the_same_for_every_address(h: Harness) {
    use tenantry_core::auth::{HashParams, PasswordHasher};
    use tenantry_core::services::{ServiceConfig, Services};
    let acme = h.root("Acme", 0).await;
    h.user(&acme, "ann@acme.test", Role::User).await;
    let closed = Services::new(
        h.store.clone(),
        h.clock.clone(),
        PasswordHasher::new(HashParams::INSECURE_FAST_FOR_TESTS, 2).unwrap(),
        ServiceConfig {
            allow_signup: false,
            ..ServiceConfig::default()
        },
    );
    let pw = password("a long passphrase");
    for address in ["ann@acme.test", "new@acme.test"] {
        let err = closed
            .onboarding
            .sign_up_quietly(&email(address), &pw, None, None)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{address}: {err:?}");
    }
    let mails = h
        .store
        .mails(
            None,
            &MailFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        mails.is_empty(),
        "a closed sign-up sends nothing: {mails:?}"
    );
}

pub async fn email_addresses_are_verified_with_their_token(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (user, caller) = h.user(&acme, "ann@acme.test", Role::User).await;
    assert!(!user.email_verified);
    h.services
        .onboarding
        .request_verification(&caller)
        .await
        .unwrap();
    let token = h.mailed_token(MailKind::VerifyEmail, "ann@acme.test").await;
    assert!(
        h.services
            .onboarding
            .verify_email("tnt_ve_forged", None)
            .await
            .is_err()
    );
    let verified = h
        .services
        .onboarding
        .verify_email(&token, None)
        .await
        .unwrap();
    assert!(verified.email_verified && verified.email_verified_at.is_some());
    assert!(
        h.services
            .onboarding
            .verify_email(&token, None)
            .await
            .is_err(),
        "a token works once"
    );
    let err = h
        .services
        .onboarding
        .request_verification(&caller)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let err = h
        .services
        .onboarding
        .request_verification(&h.service)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");

    // Quiet sign-up: a registered address gets a reset mail instead, and the same answer.
    h.services
        .onboarding
        .sign_up_quietly(
            &email("ann@acme.test"),
            &password("whatever it is"),
            None,
            None,
        )
        .await
        .unwrap();
    h.mailed_token(MailKind::PasswordReset, "ann@acme.test")
        .await;
    h.services
        .onboarding
        .sign_up_quietly(
            &email("fresh@new.test"),
            &password("whatever it is"),
            None,
            None,
        )
        .await
        .unwrap();
    h.mailed_token(MailKind::VerifyEmail, "fresh@new.test")
        .await;
}
