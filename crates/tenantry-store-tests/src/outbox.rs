//! The mail outbox: claims are exclusive leases, outcomes are recorded, tokens leave the outbox
//! once a mail is sent, and the dispatcher retries with back-off and gives up in the end.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tenantry_core::auth::Role;
use tenantry_core::mail::dispatcher::{DispatchReport, MailDispatcher, RetryPolicy};
use tenantry_core::mail::{DeliveryError, MailSettings, MailTransport, RenderedMail};
use tenantry_core::model::mail::{MailFilter, MailOutcome};
use tenantry_core::model::{MailId, MailStatus};
use time::Duration;

use crate::harness::{Harness, user_command};

/// Queues `n` invitation mails in a new tenant and returns its path.
async fn queue(h: &Harness, tenant: &str, n: usize) -> tenantry_core::model::AccountPath {
    let account = h.root(tenant, 0).await;
    for i in 0..n {
        let mut command = user_command(&format!("u{i}@{tenant}.test"), Role::User);
        command.password = None;
        h.services
            .invitations
            .invite(&h.service, account.id, command)
            .await
            .unwrap();
    }
    account.path
}

fn all(limit: u32) -> MailFilter {
    MailFilter {
        limit,
        ..MailFilter::default()
    }
}

pub async fn claims_are_exclusive_leases(h: Harness) {
    let acme = queue(&h, "acme", 5).await;
    queue(&h, "globex", 1).await;
    let now = h.clock_now();
    let lease = Duration::minutes(5);
    let first = h.store.claim_mail(now, lease, 4).await.unwrap();
    assert_eq!(first.len(), 4);
    assert!(first.iter().all(|m| m.attempts == 1 && m.token.is_some()));
    let second = h.store.claim_mail(now, lease, 4).await.unwrap();
    assert_eq!(second.len(), 2, "only the unclaimed rest");
    assert!(h.store.claim_mail(now, lease, 4).await.unwrap().is_empty());

    let claim = |i: usize| {
        first[i]
            .claimed_until
            .expect("claimed mails carry their claim")
    };
    let sent = first[0].id;
    let retried = first[1].id;
    let failed = first[2].id;
    assert!(
        h.store
            .settle_mail(sent, claim(0), MailOutcome::Sent, now)
            .await
            .unwrap()
    );
    let again = now + Duration::seconds(30);
    let retry = MailOutcome::Retry {
        error: "421 try later".into(),
        at: again,
    };
    assert!(
        h.store
            .settle_mail(retried, claim(1), retry, now)
            .await
            .unwrap()
    );
    let fail = MailOutcome::Failed {
        error: "550 no such mailbox".into(),
    };
    assert!(
        h.store
            .settle_mail(failed, claim(2), fail, now)
            .await
            .unwrap()
    );
    // Settled is settled: a second outcome under the same claim changes nothing.
    assert!(
        !h.store
            .settle_mail(sent, claim(0), MailOutcome::Logged, now)
            .await
            .unwrap()
    );

    let read = |id: MailId| {
        let store = h.store.clone();
        async move { store.mail(id).await.unwrap().unwrap() }
    };
    let mail = read(sent).await;
    assert_eq!(mail.status, MailStatus::Sent);
    assert!(
        mail.sent.is_some() && mail.token.is_none(),
        "sent mails forget their token"
    );
    let mail = read(retried).await;
    assert_eq!(mail.status, MailStatus::Pending);
    assert_eq!(mail.last_error.as_deref(), Some("421 try later"));
    assert!(mail.token.is_some());
    let mail = read(failed).await;
    assert_eq!(mail.status, MailStatus::Failed);
    assert!(mail.token.is_none());

    // The retried mail is due at its time, not before; unsettled claims return after the lease.
    assert!(
        h.store
            .claim_mail(now + Duration::seconds(29), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = h.store.claim_mail(again, lease, 10).await.unwrap();
    assert_eq!(due.iter().map(|m| m.id).collect::<Vec<_>>(), [retried]);
    assert_eq!(due[0].attempts, 2);
    let later = now + lease + Duration::seconds(1);
    let expired = h.store.claim_mail(later, lease, 10).await.unwrap();
    assert_eq!(
        expired.len(),
        3,
        "one of the first batch and both of the second"
    );
    // A dispatcher whose claim ran out cannot record over the one that took the mail over.
    let stale = first[3].id;
    assert!(expired.iter().any(|m| m.id == stale));
    assert!(
        !h.store
            .settle_mail(stale, claim(3), MailOutcome::Sent, later)
            .await
            .unwrap()
    );
    let taken_over = h.store.mail(stale).await.unwrap().unwrap();
    assert_eq!(taken_over.status, MailStatus::Pending);
    assert!(taken_over.token.is_some());

    // Lists are newest first, filter by state and stay inside a subtree.
    let in_acme = h.store.mails(Some(&acme), &all(100)).await.unwrap();
    assert_eq!(in_acme.len(), 5);
    assert!(in_acme.windows(2).all(|w| w[0].id > w[1].id));
    let failed_only = MailFilter {
        status: Some(MailStatus::Failed),
        ..all(100)
    };
    assert_eq!(h.store.mails(None, &failed_only).await.unwrap().len(), 1);
    let page = MailFilter {
        before: Some(in_acme[1].id),
        ..all(100)
    };
    assert_eq!(h.store.mails(Some(&acme), &page).await.unwrap().len(), 3);
}

pub async fn concurrent_claims_never_share_a_mail(h: Harness) {
    queue(&h, "acme", 24).await;
    let now = h.clock_now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = h.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_mail(now, Duration::minutes(5), 3)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for task in tasks {
        for id in task.await.unwrap() {
            total += 1;
            seen.insert(id);
        }
    }
    assert_eq!(total, 24, "every mail claimed exactly once");
    assert_eq!(seen.len(), 24);
}

pub async fn administrators_read_their_own_mail_without_tokens(h: Harness) {
    queue(&h, "acme", 2).await;
    let globex = h.root("globex", 0).await;
    let (_, admin) = h.user(&globex, "admin@globex.test", Role::Admin).await;
    let (_, plain) = h.user(&globex, "plain@globex.test", Role::User).await;
    let mut command = user_command("new@globex.test", Role::User);
    command.password = None;
    h.services
        .invitations
        .invite(&admin, globex.id, command)
        .await
        .unwrap();

    let mine = h.services.mail.list(&admin, all(100)).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].recipient, "new@globex.test");
    assert!(mine[0].token.is_none(), "the API never shows tokens");
    assert_eq!(
        h.services
            .mail
            .list(&h.service, all(100))
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(h.services.mail.list(&plain, all(100)).await.is_err());
    let others = h.services.mail.list(&h.service, all(100)).await.unwrap();
    let foreign = others.iter().find(|m| m.tenant_id != globex.id).unwrap();
    assert!(h.services.mail.get(&admin, foreign.id).await.is_err());
    let own = h.services.mail.get(&admin, mine[0].id).await.unwrap();
    assert!(own.token.is_none());
}

/// A mail server that fails as scripted, then accepts, and remembers what it accepted.
#[derive(Default)]
struct ScriptedServer {
    failures: Mutex<Vec<DeliveryError>>,
    accepted: Mutex<Vec<RenderedMail>>,
}

#[async_trait]
impl MailTransport for ScriptedServer {
    fn delivers(&self) -> bool {
        true
    }

    async fn send(&self, mail: &RenderedMail) -> Result<(), DeliveryError> {
        if let Some(error) = self.failures.lock().unwrap().pop() {
            return Err(error);
        }
        self.accepted.lock().unwrap().push(mail.clone());
        Ok(())
    }
}

pub async fn the_dispatcher_retries_backs_off_and_gives_up(h: Harness) {
    queue(&h, "acme", 1).await;
    let server = Arc::new(ScriptedServer::default());
    let down = || DeliveryError {
        message: "connection refused".into(),
        permanent: false,
    };
    *server.failures.lock().unwrap() = vec![down(), down()];
    let policy = RetryPolicy {
        first_retry: Duration::seconds(10),
        max_retry: Duration::seconds(15),
        give_up_after: Duration::minutes(10),
        ..RetryPolicy::default()
    };
    let settings = MailSettings {
        link_base: "https://accounts.example.com".into(),
        ..MailSettings::default()
    };
    let dispatcher = MailDispatcher::new(
        h.store.clone(),
        h.clock.clone(),
        server.clone(),
        settings,
        policy,
    );
    let retried = DispatchReport {
        retried: 1,
        ..Default::default()
    };
    assert_eq!(dispatcher.run_once().await.unwrap(), retried);
    assert_eq!(
        dispatcher.run_once().await.unwrap(),
        DispatchReport::default(),
        "not due yet"
    );
    h.clock.advance(Duration::seconds(10));
    assert_eq!(dispatcher.run_once().await.unwrap(), retried);
    h.clock.advance(Duration::seconds(14));
    assert_eq!(
        dispatcher.run_once().await.unwrap(),
        DispatchReport::default(),
        "the second wait doubled, capped at 15 s"
    );
    h.clock.advance(Duration::seconds(1));
    let sent = DispatchReport {
        sent: 1,
        ..Default::default()
    };
    assert_eq!(dispatcher.run_once().await.unwrap(), sent);
    let accepted = server.accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 1);
    assert!(
        accepted[0]
            .text
            .contains("https://accounts.example.com/invitations/accept?token=tnt_iv_")
    );
    assert_eq!(accepted[0].to, "u0@acme.test");
    let mail = h.store.mail(MailId(accepted[0].id)).await.unwrap().unwrap();
    assert_eq!((mail.status, mail.attempts), (MailStatus::Sent, 3));

    // A permanent refusal fails at once; a mail still failing after the give-up time fails too.
    queue(&h, "globex", 2).await;
    *server.failures.lock().unwrap() = vec![DeliveryError {
        message: "550 unknown user".into(),
        permanent: true,
    }];
    let report = dispatcher.run_once().await.unwrap();
    assert_eq!((report.failed, report.sent), (1, 1));
    queue(&h, "initech", 1).await;
    *server.failures.lock().unwrap() = vec![down()];
    assert_eq!(dispatcher.run_once().await.unwrap(), retried);
    h.clock.advance(Duration::minutes(11));
    *server.failures.lock().unwrap() = vec![down()];
    let failed = DispatchReport {
        failed: 1,
        ..Default::default()
    };
    assert_eq!(dispatcher.run_once().await.unwrap(), failed);
    let failures = h
        .store
        .mails(
            None,
            &MailFilter {
                status: Some(MailStatus::Failed),
                ..all(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(failures.len(), 2);
    assert!(
        failures
            .iter()
            .all(|m| m.last_error.is_some() && m.token.is_none())
    );
}

pub async fn without_a_mail_server_mails_are_logged_and_kept(h: Harness) {
    queue(&h, "acme", 2).await;
    let dispatcher = MailDispatcher::new(
        h.store.clone(),
        h.clock.clone(),
        Arc::new(tenantry_core::mail::NoTransport),
        MailSettings::default(),
        RetryPolicy::default(),
    );
    let logged = DispatchReport {
        logged: 2,
        ..Default::default()
    };
    assert_eq!(dispatcher.run_once().await.unwrap(), logged);
    assert_eq!(
        dispatcher.run_once().await.unwrap(),
        DispatchReport::default()
    );
    let mails = h.store.mails(None, &all(10)).await.unwrap();
    assert!(
        mails
            .iter()
            .all(|m| m.status == MailStatus::Logged && m.token.is_some()),
        "kept readable for `tenantry mail show`"
    );
}

pub async fn a_nearly_spent_claim_is_given_back_unattempted(h: Harness) {
    queue(&h, "acme", 2).await;
    // A lease shorter than one delivery may take: nothing may be attempted under it.
    let policy = RetryPolicy {
        lease: Duration::seconds(30),
        send_time_limit: Duration::seconds(45),
        ..RetryPolicy::default()
    };
    let server = Arc::new(ScriptedServer::default());
    let dispatcher = MailDispatcher::new(
        h.store.clone(),
        h.clock.clone(),
        server.clone(),
        MailSettings::default(),
        policy,
    );
    let left = DispatchReport {
        left: 2,
        ..Default::default()
    };
    assert_eq!(dispatcher.run_once().await.unwrap(), left);
    assert!(server.accepted.lock().unwrap().is_empty());
    let mails = h.store.mails(None, &all(10)).await.unwrap();
    assert!(
        mails.iter().all(|m| m.status == MailStatus::Pending
            && m.attempts == 0
            && m.claimed_until.is_none()),
        "given back, uncounted and due at once: {mails:?}"
    );
    // A claim given back is gone: the old holder can neither release nor settle it again.
    let now = h.clock_now();
    let claimed = h
        .store
        .claim_mail(now, Duration::minutes(5), 1)
        .await
        .unwrap();
    let claim = claimed[0].claimed_until.unwrap();
    assert!(h.store.release_mail(claimed[0].id, claim).await.unwrap());
    assert!(!h.store.release_mail(claimed[0].id, claim).await.unwrap());
    assert!(
        !h.store
            .settle_mail(claimed[0].id, claim, MailOutcome::Sent, now)
            .await
            .unwrap()
    );
}
