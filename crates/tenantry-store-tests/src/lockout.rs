//! Who a login name stands for, and brute-force protection: users locked after repeated wrong
//! passwords (with a growing delay, lifting by itself or by an administrator), and client
//! addresses throttled after many failures. The counts live in the database, so every server
//! on it agrees.

use std::net::IpAddr;

use tenantry_core::Error;
use tenantry_core::auth::Role;
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::services::auth::{BAD_CREDENTIALS, Origin};
use time::Duration;

use tenantry_core::values::Username;

use crate::harness::{Harness, PASSWORD, password, user_command};

const WRONG: &str = "not the password at all";

fn from(address: [u8; 4]) -> Origin {
    Origin {
        request_id: None,
        address: Some(IpAddr::from(address)),
    }
}

async fn attempt(h: &Harness, name: &str, password: &str) -> Result<(), Error> {
    h.services
        .auth
        .login_from(name, password, &Origin::default())
        .await
        .map(|_| ())
}

#[track_caller]
fn assert_bad_credentials(result: Result<(), Error>) {
    match result {
        Err(Error::Unauthenticated(message)) => assert_eq!(message, BAD_CREDENTIALS),
        other => panic!("expected bad credentials, got {other:?}"),
    }
}

pub async fn repeated_wrong_passwords_lock_a_user_for_a_growing_while(h: Harness) {
    let root = h.root("Acme", 0).await;
    let (ann, _) = h.user(&root, "ann@lock.test", Role::User).await;
    let policy = h.services.config().lockout;
    for _ in 0..policy.threshold {
        assert_bad_credentials(attempt(&h, "ann@lock.test", WRONG).await);
    }
    // Locked: the right password gets exactly the answer a wrong one gets.
    assert_bad_credentials(attempt(&h, "ann@lock.test", PASSWORD).await);
    let locked = h.services.users.get(&h.service, ann.id).await.unwrap();
    assert!(locked.locked_until.is_some_and(|t| t > h.clock_now()));
    // It lifts by itself; a success starts the count afresh.
    h.clock.advance(policy.base_lock * 3);
    attempt(&h, "ann@lock.test", PASSWORD).await.unwrap();
    assert_bad_credentials(attempt(&h, "ann@lock.test", WRONG).await);
    attempt(&h, "ann@lock.test", PASSWORD).await.unwrap();
    // Each failure past the threshold doubles the lock.
    for _ in 0..policy.threshold + 2 {
        assert_bad_credentials(attempt(&h, "ann@lock.test", WRONG).await);
    }
    let until = h
        .services
        .users
        .get(&h.service, ann.id)
        .await
        .unwrap()
        .locked_until
        .unwrap();
    assert!(until - h.clock_now() > policy.base_lock * 3, "{until}");
    h.clock.advance(policy.base_lock * 2);
    assert_bad_credentials(attempt(&h, "ann@lock.test", PASSWORD).await);
    // An administrator lifts it at once; a plain user may not.
    let (_, admin) = h.user(&root, "admin@lock.test", Role::Admin).await;
    let (_, plain) = h.user(&root, "plain@lock.test", Role::User).await;
    assert!(h.services.users.unlock(&plain, ann.id).await.is_err());
    let unlocked = h.services.users.unlock(&admin, ann.id).await.unwrap();
    assert_eq!(unlocked.locked_until, None);
    attempt(&h, "ann@lock.test", PASSWORD).await.unwrap();
    // The lock was recorded in the audit trail (once per lock), and so was the unlock.
    let audit = h
        .services
        .audit
        .list(
            &h.service,
            tenantry_core::services::Within::Visible,
            ListRequest::all(ListResource::Audit, 100),
        )
        .await
        .unwrap()
        .items;
    let actions: Vec<&str> = audit.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "user.locked").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"user.unlock"), "{actions:?}");
}

pub async fn a_client_address_is_throttled_after_many_failures(h: Harness) {
    let root = h.root("Acme", 0).await;
    h.user(&root, "bob@spray.test", Role::User).await;
    let policy = h.services.config().lockout;
    let sprayer = from([192, 0, 2, 7]);
    // Spraying many names from one address (none of them locks: one try each).
    for n in 0..policy.address_limit {
        let name = format!("victim{n}@spray.test");
        let err = h
            .services
            .auth
            .login_from(&name, WRONG, &sprayer)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    }
    // Now that address is refused outright, even with the right password, saying for how long.
    let err = h
        .services
        .auth
        .login_from("bob@spray.test", PASSWORD, &sprayer)
        .await
        .unwrap_err();
    match err {
        Error::RateLimited { retry_after } => {
            let window = u64::try_from(policy.address_window.whole_seconds()).unwrap();
            assert!((1..=window).contains(&retry_after), "{retry_after}");
        }
        other => panic!("{other:?}"),
    }
    // Other addresses are unaffected; the window closes by itself.
    h.services
        .auth
        .login_from("bob@spray.test", PASSWORD, &from([198, 51, 100, 1]))
        .await
        .unwrap();
    h.clock
        .advance(policy.address_window + Duration::seconds(1));
    h.services
        .auth
        .login_from("bob@spray.test", PASSWORD, &sprayer)
        .await
        .unwrap();
}

/// One string can be one user's email address and another's username (usernames may contain
/// `@`): each logs in with it using their own password, and neither can lock the other out.
pub async fn a_name_that_is_an_email_and_a_username_logs_in_whoever_owns_the_password(h: Harness) {
    let root = h.root("Shared names", 0).await;
    let (by_email, _) = h.user(&root, "pat@names.test", Role::User).await;
    let mut other = user_command("other@names.test", Role::User);
    other.username = Some(Username::parse("pat@names.test").unwrap());
    other.password = Some(password("another long passphrase"));
    let by_username = h
        .services
        .users
        .create(&h.service, root.id, other)
        .await
        .unwrap();
    let first = h
        .services
        .auth
        .login("pat@names.test", PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(first.user.id, by_email.id);
    let second = h
        .services
        .auth
        .login("PAT@names.test", "another long passphrase", None)
        .await
        .unwrap();
    assert_eq!(second.user.id, by_username.id);
    let wrong = h
        .services
        .auth
        .login("pat@names.test", "neither of their passwords", None)
        .await
        .unwrap_err();
    assert!(matches!(wrong, Error::Unauthenticated(_)), "{wrong:?}");
    // With one password for both, the name is the email address first; the username's owner
    // is made first, so that rows in the order they were written would put it first.
    let mut namesake = user_command("namesake@names.test", Role::User);
    namesake.username = Some(Username::parse("kim@names.test").unwrap());
    h.services
        .users
        .create(&h.service, root.id, namesake)
        .await
        .unwrap();
    let (kim, _) = h.user(&root, "kim@names.test", Role::User).await;
    let tokens = h
        .services
        .auth
        .login("kim@names.test", PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(tokens.user.id, kim.id);
}
