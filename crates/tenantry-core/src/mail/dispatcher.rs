//! Drains the outbox: claims due mails, hands them to the transport, and records the outcome.
//! Claims are leases in the database, so several servers on one database share the work and
//! never send a mail twice at once; a server that dies mid-send leaves its claim to expire and
//! the mail is tried again.

use std::sync::Arc;

use time::Duration;

use super::templates::render;
use super::{MailSettings, MailTransport};
use crate::clock::Clock;
use crate::error::Result;
use crate::model::OutboxMail;
use crate::model::mail::MailOutcome;
use crate::store::Store;

/// When to try again, and when to give up.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with every further failure.
    pub first_retry: Duration,
    /// The longest wait between two attempts.
    pub max_retry: Duration,
    /// A mail still undelivered this long after it was queued is marked failed.
    pub give_up_after: Duration,
    /// How long a claim lasts; longer than any single delivery takes.
    pub lease: Duration,
    /// Mails claimed at once.
    pub batch: u32,
    /// The longest one delivery may take (the transport's own timeout, with a margin). A mail
    /// is only sent while at least this much of its claim is left.
    pub send_time_limit: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_retry: Duration::seconds(30),
            max_retry: Duration::minutes(30),
            give_up_after: Duration::days(3),
            lease: Duration::minutes(5),
            batch: 10,
            send_time_limit: Duration::seconds(45),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, after `attempts` failed ones.
    pub fn delay_after(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let delay = self
            .first_retry
            .checked_mul(1_i32 << doublings)
            .unwrap_or(self.max_retry);
        delay.min(self.max_retry)
    }
}

/// What one round of dispatching did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: usize,
    pub logged: usize,
    pub retried: usize,
    pub failed: usize,
    /// Claimed but given back unattempted, because too little of the claim was left.
    pub left: usize,
    /// Attempted, but the claim ran out first, so the outcome was not recorded.
    pub lost: usize,
}

impl DispatchReport {
    /// Mails whose outcome this round recorded.
    pub fn handled(&self) -> usize {
        self.sent + self.logged + self.retried + self.failed
    }
}

pub struct MailDispatcher {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    transport: Arc<dyn MailTransport>,
    settings: MailSettings,
    policy: RetryPolicy,
}

impl MailDispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        transport: Arc<dyn MailTransport>,
        settings: MailSettings,
        policy: RetryPolicy,
    ) -> Self {
        MailDispatcher {
            store,
            clock,
            transport,
            settings,
            policy,
        }
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    fn send_time_limit(&self) -> std::time::Duration {
        std::time::Duration::try_from(self.policy.send_time_limit)
            .unwrap_or(std::time::Duration::from_secs(45))
    }

    /// Claims one batch of due mails and delivers it.
    pub async fn run_once(&self) -> Result<DispatchReport> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim_mail(now, self.policy.lease, self.policy.batch)
            .await?;
        let mut report = DispatchReport::default();
        for mail in claimed {
            let Some(claimed_until) = mail.claimed_until else {
                continue;
            };
            // Leave what the lease may not cover any more: another dispatcher may take it once
            // the claim runs out, and two must never send one mail at the same time.
            if self.clock.now() + self.policy.send_time_limit >= claimed_until {
                // Given back at once, so the next round (here or on another server) takes it.
                self.store.release_mail(mail.id, claimed_until).await?;
                report.left += 1;
                continue;
            }
            // The transport's own timeouts bound each round trip, not the whole delivery; this
            // bounds it all, so no delivery outlives its claim.
            let outcome =
                match tokio::time::timeout(self.send_time_limit(), self.deliver(&mail)).await {
                    Ok(outcome) => outcome,
                    Err(_) => MailOutcome::Retry {
                        error: "the delivery took too long".to_owned(),
                        at: self.clock.now() + self.policy.delay_after(mail.attempts),
                    },
                };
            let counter = match &outcome {
                MailOutcome::Sent => &mut report.sent,
                MailOutcome::Logged => &mut report.logged,
                MailOutcome::Retry { .. } => &mut report.retried,
                MailOutcome::Failed { .. } => &mut report.failed,
            };
            let settled = self
                .store
                .settle_mail(mail.id, claimed_until, outcome, self.clock.now())
                .await?;
            if settled {
                *counter += 1;
            } else {
                tracing::warn!(
                    mail_id = mail.id.get(),
                    "the claim on a mail ran out during delivery"
                );
                report.lost += 1;
            }
        }
        Ok(report)
    }

    async fn deliver(&self, mail: &OutboxMail) -> MailOutcome {
        if !self.transport.delivers() {
            let shown = render(mail, &self.settings, false);
            tracing::info!(
                mail_id = mail.id.get(),
                kind = mail.kind.as_str(),
                to = %mail.recipient,
                subject = %shown.subject,
                "no mail server configured; the mail stays in the outbox \
                 (read it with `tenantry mail show {}`)\n{}",
                mail.id,
                shown.text
            );
            return MailOutcome::Logged;
        }
        let rendered = render(mail, &self.settings, true);
        match self.transport.send(&rendered).await {
            Ok(()) => {
                tracing::info!(
                    mail_id = mail.id.get(),
                    kind = mail.kind.as_str(),
                    "mail sent"
                );
                MailOutcome::Sent
            }
            Err(error) => {
                let now = self.clock.now();
                let given_up = now - mail.created >= self.policy.give_up_after;
                tracing::warn!(
                    mail_id = mail.id.get(),
                    attempts = mail.attempts,
                    permanent = error.permanent,
                    error = %error.message,
                    "mail delivery failed"
                );
                if error.permanent || given_up {
                    MailOutcome::Failed {
                        error: error.message,
                    }
                } else {
                    MailOutcome::Retry {
                        error: error.message,
                        at: now + self.policy.delay_after(mail.attempts),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let policy = RetryPolicy {
            first_retry: Duration::seconds(10),
            max_retry: Duration::seconds(60),
            ..RetryPolicy::default()
        };
        let delays: Vec<i64> = (1..=6)
            .map(|n| policy.delay_after(n).whole_seconds())
            .collect();
        assert_eq!(delays, [10, 20, 40, 60, 60, 60]);
        assert_eq!(policy.delay_after(1000), Duration::seconds(60));
    }
}
