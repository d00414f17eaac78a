//! The credential cache: a token's principal comes from the cache between changes, and never
//! outlives a change to what the token stands for.
//!
//! The harness's clock stands still, so the cache's recheck interval never passes on its own:
//! only the database's revocation counter can make the cache look a token up again.

use tenantry_core::Error;
use tenantry_core::auth::{HashParams, PasswordHasher};
use tenantry_core::auth::{Principal, Role};
use tenantry_core::model::Actor;
use tenantry_core::services::{ServiceConfig, Services};
use time::Duration;

use crate::harness::{Harness, PASSWORD, text};

fn role_of(principal: &Principal) -> Option<Role> {
    principal.as_user().map(|u| u.role)
}

/// A fresh access token of the user with this address.
async fn access_token(h: &Harness, address: &str) -> String {
    let tokens = h
        .services
        .auth
        .login(address, PASSWORD, None)
        .await
        .unwrap();
    tokens.access_token.expose().to_owned()
}

/// Changes made through this server are seen by the very next request, cached or not.
pub async fn cached_credentials_follow_changes_at_once(h: Harness) {
    let acme = h.root("Acme", 0).await;
    let (ann, _) = h.user(&acme, "ann@acme.test", Role::User).await;
    let token = &access_token(&h, "ann@acme.test").await;
    let before = h.caller(token).await;
    assert_eq!(role_of(&before.principal), Some(Role::User));

    // Writes that change nothing about the token leave its principal as it was.
    h.root("Other", 0).await;
    assert_eq!(role_of(&h.caller(token).await.principal), Some(Role::User));

    // A new role shows on the next request, or the session is over; never the old role.
    h.services
        .users
        .set_role(&h.service, ann.id, Role::Admin)
        .await
        .unwrap();
    match h.services.auth.authenticate(token, None).await {
        Ok(caller) => assert_eq!(role_of(&caller.principal), Some(Role::Admin)),
        Err(e) => assert!(matches!(e, Error::Unauthenticated(_)), "{e:?}"),
    }

    // Deleting the user ends every token at once.
    let token = &access_token(&h, "ann@acme.test").await;
    h.caller(token).await;
    h.services.users.delete(&h.service, ann.id).await.unwrap();
    let err = h.services.auth.authenticate(token, None).await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
}

/// A revocation written behind this server's back, as another process writes it (another
/// server on PostgreSQL, the command line on SQLite), is served from the cache until the recheck
/// interval passes, and refused from then on. `raw` runs a statement on the same database
/// without telling this process. Run it alone in its process: any write this process commits
/// (another test's, on another thread) makes the cache read the counter early.
pub async fn revocations_by_another_process_are_seen_within_the_recheck<F>(h: Harness, raw: F)
where
    F: AsyncFn(&'static str),
{
    let recheck = ServiceConfig::default().credential_recheck;
    let acme = h.root("Acme", 0).await;
    h.user(&acme, "ann@acme.test", Role::User).await;
    let session = &access_token(&h, "ann@acme.test").await;
    let (_, secret) = h
        .services
        .service_tokens
        .create(Actor::Cli, text("other process"), None)
        .await
        .unwrap();
    let service = secret.expose();
    h.caller(session).await;
    h.caller(service).await;

    raw("UPDATE users SET status = 'disabled' WHERE email_norm = 'ann@acme.test'").await;
    raw("UPDATE api_tokens SET revoked_at = created_at WHERE name = 'other process'").await;
    // Within the interval the cached answers stand: nothing in this process wrote.
    h.caller(session).await;
    h.caller(service).await;

    h.clock.advance(recheck);
    for token in [session, service] {
        let err = h.services.auth.authenticate(token, None).await.unwrap_err();
        assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
    }

    // With the cache turned off (`--credential-recheck-ms 0`) nothing waits for the interval.
    let uncached = Services::new(
        h.store.clone(),
        h.clock.clone(),
        PasswordHasher::new(HashParams::INSECURE_FAST_FOR_TESTS, 2).unwrap(),
        ServiceConfig {
            credential_recheck: Duration::ZERO,
            ..ServiceConfig::default()
        },
    );
    h.user(&acme, "bob@acme.test", Role::User).await;
    let bob = &access_token(&h, "bob@acme.test").await;
    uncached.auth.authenticate(bob, None).await.unwrap();
    raw("UPDATE users SET status = 'disabled' WHERE email_norm = 'bob@acme.test'").await;
    let err = uncached.auth.authenticate(bob, None).await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated(_)), "{err:?}");
}
