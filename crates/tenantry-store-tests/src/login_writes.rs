//! What a login writes (the session, the user's last login, the account's activity and the
//! audit record, together), and that it writes none of them when the user or account changed
//! after the password was verified.

use tenantry_core::Error;
use tenantry_core::auth::{Role, TokenHash};
use tenantry_core::model::{AccountStatus, Actor, UserStatus};
use time::Duration;

use crate::harness::{Harness, PASSWORD, password};

/// A login writes the session, the user's last login and the account's activity together;
/// the activity only when it is more than a minute old.
pub async fn a_login_records_the_last_login_and_the_accounts_activity(h: Harness) {
    h.root("Other", 0).await;
    let acme = h.root("Acme", 0).await;
    let (user, _) = h.user(&acme, "ann@acme.test", Role::User).await;
    // Ids that differ, so that a write to the wrong row shows.
    assert_ne!(user.id.get(), acme.id.get());
    let created = h.store.account(acme.id).await.unwrap().unwrap().activity;
    let mut first = None;
    // Two minutes on the account's activity moves; thirty seconds later it stays.
    for wait in [Duration::minutes(2), Duration::seconds(30)] {
        h.clock.advance(wait);
        let now = h.clock_now();
        h.services
            .auth
            .login("ann@acme.test", PASSWORD, Some("req-login".into()))
            .await
            .unwrap();
        let stored = h.store.user(user.id).await.unwrap().unwrap();
        assert_eq!(stored.last_login, Some(now));
        // And the audit record, written with them.
        let newest = h.newest_audit(1).await.remove(0);
        assert_eq!(
            (
                newest.action.as_str(),
                newest.actor,
                newest.target_type.as_str()
            ),
            ("user.login", format!("user:{}", user.id), "user")
        );
        assert_eq!(
            (newest.target_id, newest.tenant_id, newest.account_path),
            (Some(user.id.get()), Some(acme.id), Some(acme.path.clone()))
        );
        assert_eq!(
            (newest.request_id.as_deref(), newest.at),
            (Some("req-login"), now)
        );
        let account = h.store.account(acme.id).await.unwrap().unwrap();
        let first = *first.get_or_insert(now);
        assert_eq!(account.activity, first, "kept to the minute");
        assert_ne!(account.activity, created);
    }
}

/// A login is verified before its session is written, and the user or the account may change
/// in between: a new password, a disabled user, a suspended account. The store refuses such a
/// session, and writes nothing of the login: no session, last login, activity or audit record.
pub async fn a_login_checked_against_a_changed_user_is_refused(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let child = h.child(&acme, "Child", 0).await;
    let (ann, ann_caller) = h.user(&acme, "ann@acme.test", Role::User).await;
    let (bob, _) = h.user(&acme, "bob@acme.test", Role::User).await;
    let (cid, _) = h.user(&child, "cid@child.test", Role::User).await;
    let hash_of = async |user: &tenantry_core::model::User| {
        h.store.password_hash(user.id).await.unwrap().unwrap()
    };
    let verified = [
        hash_of(&ann).await,
        hash_of(&bob).await,
        hash_of(&cid).await,
    ];
    h.services
        .users
        .change_own_password(
            &ann_caller,
            &password(PASSWORD),
            &password("a brand new secret"),
        )
        .await
        .unwrap();
    h.set_user_status(bob.id, UserStatus::Disabled).await;
    h.set_account_status(child.id, AccountStatus::Suspended)
        .await;
    // Past the minute an account's activity is kept to, so a written activity would show.
    h.clock.advance(Duration::minutes(5));
    let now = h.clock_now();
    for (user, verified_hash) in [ann, bob, cid].into_iter().zip(verified) {
        let before = h.store.user(user.id).await.unwrap().unwrap();
        let account_before = h.store.account(user.account_id).await.unwrap().unwrap();
        let access = format!("tnt_at_{}", user.id);
        let attempt = tenantry_core::model::session::NewSession {
            user_id: user.id,
            verified_hash,
            tokens: tenantry_core::model::session::SessionTokens {
                access_hash: TokenHash::of(&access),
                refresh_hash: TokenHash::of(&format!("tnt_rt_{}", user.id)),
                access_expires: now + Duration::hours(1),
                refresh_expires: now + Duration::days(1),
                now,
            },
        };
        let audit = tenantry_core::model::AuditDraft {
            actor: Actor::User(user.id),
            action: "user.login",
            request_id: None,
            details: serde_json::Value::Null,
            at: now,
        };
        let err = h.store.insert_session(attempt, audit).await.unwrap_err();
        assert!(
            matches!(err, Error::Unauthenticated(_)),
            "{}: {err:?}",
            user.email
        );
        let access_hash = TokenHash::of(&access);
        let session = h.store.session_by_access(&access_hash, now).await.unwrap();
        assert!(session.is_none(), "{}", user.email);
        let after = h.store.user(user.id).await.unwrap().unwrap();
        assert_eq!(after.last_login, before.last_login, "{}", user.email);
        let account = h.store.account(user.account_id).await.unwrap().unwrap();
        assert_eq!(account.activity, account_before.activity, "{}", user.email);
    }
    let records = h.newest_audit(100).await;
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| r.at < now), "{records:?}");
}

pub async fn concurrent_logins_of_one_user_all_succeed(h: Harness) {
    let acme = h.root("Acme", 0).await;
    h.user(&acme, "busy@acme.test", Role::User).await;
    let mut logins = Vec::new();
    for _ in 0..24 {
        let services = h.services.clone();
        logins.push(tokio::spawn(async move {
            services.auth.login("busy@acme.test", PASSWORD, None).await
        }));
    }
    for login in logins {
        let tokens = login.await.unwrap().expect("every login succeeds");
        h.caller(tokens.access_token.expose()).await;
    }
}
