//! Mail delivery for `tenantry serve`: the SMTP transport (lettre), and the loop that drains
//! the outbox in the background.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart, header};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tenantry_core::mail::dispatcher::MailDispatcher;
use tenantry_core::mail::{DeliveryError, MailTransport, RenderedMail};

/// Delivers over SMTP. The URL picks TLS and credentials, as lettre reads it:
/// `smtp://host:25` (plain), `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465`
/// (TLS), with `user:password@` for authentication.
pub struct SmtpTransport {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpTransport {
    pub fn from_url(url: &str) -> anyhow::Result<SmtpTransport> {
        // The URL may hold a password: never repeat it in an error.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
            anyhow::anyhow!(
                "the SMTP URL is not valid ({}); expected smtp://[user:password@]host[:port][?tls=required] or smtps://…",
                e.to_string().replace(url, "…")
            )
        })?;
        // Each SMTP command times out well inside the dispatcher's `send_time_limit`.
        let transport = builder.timeout(Some(Duration::from_secs(20))).build();
        Ok(SmtpTransport { transport })
    }
}

#[async_trait]
impl MailTransport for SmtpTransport {
    fn delivers(&self) -> bool {
        true
    }

    async fn send(&self, mail: &RenderedMail) -> Result<(), DeliveryError> {
        let message = build(mail).map_err(|message| DeliveryError {
            message,
            permanent: true,
        })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| DeliveryError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            })
    }
}

/// The MIME message: plain text and HTML alternatives, with a `Message-ID` made from the
/// outbox id so a receiver can recognise a repeat.
fn build(mail: &RenderedMail) -> Result<Message, String> {
    let from: Mailbox = mail
        .from
        .parse()
        .map_err(|e| format!("the sender address is not valid: {e}"))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| format!("the recipient address is not valid: {e}"))?;
    let domain = from.email.domain().to_owned();
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<tenantry-mail-{}@{domain}>", mail.id)))
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| format!("the message could not be built: {e}"))
        .map(|mut message| {
            message.headers_mut().insert_raw(header::HeaderValue::new(
                header::HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
            message
        })
}

/// Checks the sender at start-up: a typo would otherwise fail every mail for good.
pub fn check_sender(sender: &str) -> anyhow::Result<()> {
    sender
        .parse::<Mailbox>()
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("--mail-from {sender:?} is not a mailbox: {e}"))
}

/// Checks an SMTP URL at start-up, so a typo fails `serve` instead of every delivery.
pub fn transport(smtp_url: Option<&str>) -> anyhow::Result<Arc<dyn MailTransport>> {
    match smtp_url {
        Some(url) => Ok(Arc::new(
            SmtpTransport::from_url(url).context("cannot use --smtp-url")?,
        )),
        None => Ok(Arc::new(tenantry_core::mail::NoTransport)),
    }
}

/// Drains the outbox until aborted: a full batch is followed at once by the next, otherwise
/// the loop waits `poll` before looking again.
pub async fn dispatch_forever(dispatcher: Arc<MailDispatcher>, poll: Duration) {
    let batch = dispatcher.policy().batch as usize;
    loop {
        match dispatcher.run_once().await {
            Ok(report) if report.handled() + report.left + report.lost >= batch => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not read the mail outbox"),
        }
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn rendered() -> RenderedMail {
        RenderedMail {
            id: 42,
            from: "Tenantry <no-reply@example.com>".to_owned(),
            to: "ann@example.com".to_owned(),
            subject: "Hello".to_owned(),
            text: "plain".to_owned(),
            html: "<p>html</p>".to_owned(),
        }
    }

    #[test]
    fn messages_carry_both_bodies_and_a_stable_id() {
        let message = String::from_utf8(build(&rendered()).unwrap().formatted()).unwrap();
        assert!(message.contains("Message-ID: <tenantry-mail-42@example.com>"));
        assert!(message.contains("text/plain") && message.contains("text/html"));
        assert!(message.contains("Auto-Submitted: auto-generated"));
    }

    #[test]
    fn bad_addresses_fail_for_good() {
        let mail = RenderedMail {
            to: "not an address".to_owned(),
            ..rendered()
        };
        assert!(build(&mail).is_err());
    }

    // The connection pool starts a task, so building a transport needs a runtime.
    #[tokio::test]
    async fn smtp_urls_and_senders_are_checked_at_start_up() {
        assert!(transport(Some("smtp://127.0.0.1:2525")).is_ok());
        assert!(transport(Some("smtps://user:pw@mail.example.com")).is_ok());
        assert!(transport(Some("ftp://user:hunter2@host")).is_err());
        assert!(transport(None).is_ok_and(|t| !t.delivers()));
        assert!(check_sender("Acme <accounts@acme.test>").is_ok());
        assert!(check_sender("accounts at acme").is_err());
    }
}
