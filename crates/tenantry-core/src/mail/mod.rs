//! Mail: what each mail says ([`templates`]), the port a mail server sits behind
//! ([`MailTransport`]), and the [`dispatcher`] that drains the outbox with retries.
//!
//! Mails are queued by the stores, in the transaction of the change that caused them; nothing
//! here runs inside a request.

pub mod dispatcher;
pub mod templates;

use async_trait::async_trait;

/// How mails look and where their links lead; the same for every server of an installation.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// Named in subjects and greetings.
    pub product_name: String,
    /// Links in mails start here (no trailing slash), e.g. `https://accounts.example.com`.
    /// Tenantry serves the pages the links lead to; a front end of one's own can serve the same
    /// paths instead.
    pub link_base: String,
    /// The `From` header, e.g. `Tenantry <no-reply@example.com>`.
    pub sender: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            product_name: "Tenantry".to_owned(),
            link_base: "http://127.0.0.1:8080".to_owned(),
            sender: "Tenantry <no-reply@localhost>".to_owned(),
        }
    }
}

/// A mail ready to hand to a transport.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedMail {
    /// The outbox id, so a transport can give the mail a stable `Message-ID`.
    pub id: i64,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a transport could not deliver a mail.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryError {
    pub message: String,
    /// The server refused this mail for good (e.g. an unknown mailbox): retrying cannot help.
    pub permanent: bool,
}

/// Where mails go: an SMTP server in production. The binary provides the implementations.
#[async_trait]
pub trait MailTransport: Send + Sync {
    /// False when there is no mail server: mails are then logged and kept in the outbox.
    fn delivers(&self) -> bool;
    async fn send(&self, mail: &RenderedMail) -> Result<(), DeliveryError>;
}

/// The embedded default: no mail server, so the dispatcher logs each mail (without its token)
/// and leaves it readable with `tenantry mail show`.
pub struct NoTransport;

#[async_trait]
impl MailTransport for NoTransport {
    fn delivers(&self) -> bool {
        false
    }

    async fn send(&self, _mail: &RenderedMail) -> Result<(), DeliveryError> {
        Err(DeliveryError {
            message: "no mail server is configured".to_owned(),
            permanent: true,
        })
    }
}
