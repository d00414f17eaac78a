//! The mail outbox. A mail is written in the same transaction as the change that caused it
//! (an invitation, a sign-up, a password-reset request), so a committed change always has its
//! mail and a rolled-back one never does. A background dispatcher delivers it later, with
//! retries, and records what happened.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;
use time::OffsetDateTime;

use super::account::AccountPath;
use super::ids::{AccountId, MailId, UserId};

/// What a mail is for; each kind has its own template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Invitation,
    VerifyEmail,
    PasswordReset,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Invitation => "invitation",
            MailKind::VerifyEmail => "verify_email",
            MailKind::PasswordReset => "password_reset",
        }
    }
}

impl FromStr for MailKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "invitation" => Ok(MailKind::Invitation),
            "verify_email" => Ok(MailKind::VerifyEmail),
            "password_reset" => Ok(MailKind::PasswordReset),
            _ => Err(()),
        }
    }
}

/// Where a mail is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// Waiting for (another) delivery attempt.
    Pending,
    /// Accepted by the mail server.
    Sent,
    /// No mail server is configured: the mail was written to the log and stays readable in the
    /// outbox (`tenantry mail show`).
    Logged,
    /// Given up: refused for good by the mail server, or still failing after the give-up time.
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Logged => "logged",
            MailStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for MailStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MailStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pending" => Ok(MailStatus::Pending),
            "sent" => Ok(MailStatus::Sent),
            "logged" => Ok(MailStatus::Logged),
            "failed" => Ok(MailStatus::Failed),
            _ => Err(()),
        }
    }
}

/// A mail to queue with a change. The store fills in the tenant and account from the user the
/// change is about, so the mail is listed to that tenant's administrators.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMail {
    pub kind: MailKind,
    pub recipient: String,
    /// What the template needs besides the link (names of the account, the inviter, …).
    pub params: Value,
    /// The plain token the link carries. Kept only until delivery.
    pub token: Option<String>,
    pub now: OffsetDateTime,
}

/// A mail as the outbox holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMail {
    pub id: MailId,
    pub kind: MailKind,
    pub recipient: String,
    pub tenant_id: AccountId,
    pub account_path: AccountPath,
    pub user_id: Option<UserId>,
    pub params: Value,
    /// Present while the mail is pending or logged; cleared once it is sent or given up.
    pub token: Option<String>,
    pub status: MailStatus,
    pub attempts: u32,
    pub next_attempt: OffsetDateTime,
    /// Until when a dispatcher holds the mail; settling needs this exact value, so a dispatcher
    /// whose claim ran out cannot overwrite what the next one recorded.
    pub claimed_until: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub created: OffsetDateTime,
    pub sent: Option<OffsetDateTime>,
}

/// How a delivery attempt ended, as the dispatcher records it.
#[derive(Debug, Clone, PartialEq)]
pub enum MailOutcome {
    Sent,
    Logged,
    /// A temporary failure: try again at `at`.
    Retry {
        error: String,
        at: OffsetDateTime,
    },
    /// A permanent failure, or the give-up time has passed.
    Failed {
        error: String,
    },
}

/// What a store writes for an outcome: the new status, the error to keep, when to try next,
/// and whether the mail keeps its token (only while it may still be delivered or shown).
#[derive(Debug, Clone, PartialEq)]
pub struct SettledMail {
    pub status: MailStatus,
    pub error: Option<String>,
    pub next_attempt: Option<OffsetDateTime>,
    pub keeps_token: bool,
}

impl MailOutcome {
    pub fn settled(self) -> SettledMail {
        let (status, error, next_attempt, keeps_token) = match self {
            MailOutcome::Sent => (MailStatus::Sent, None, None, false),
            MailOutcome::Logged => (MailStatus::Logged, None, None, true),
            MailOutcome::Retry { error, at } => (MailStatus::Pending, Some(error), Some(at), true),
            MailOutcome::Failed { error } => (MailStatus::Failed, Some(error), None, false),
        };
        SettledMail {
            status,
            error,
            next_attempt,
            keeps_token,
        }
    }
}

/// Which outbox mails to list.
#[derive(Debug, Clone, Default)]
pub struct MailFilter {
    pub status: Option<MailStatus>,
    /// Only mails with a smaller id (the next page of a newest-first list).
    pub before: Option<MailId>,
    pub limit: u32,
}
