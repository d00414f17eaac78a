use std::fmt;

use serde_json::Value;
use time::OffsetDateTime;

use super::account::AccountPath;
use super::ids::{AccountId, ApiTokenId, AuditId, UserId};

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    ApiToken(ApiTokenId),
    /// The command line, run by whoever operates the installation.
    Cli,
    Anonymous,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::ApiToken(id) => write!(f, "token:{id}"),
            Actor::Cli => f.write_str("cli"),
            Actor::Anonymous => f.write_str("anonymous"),
        }
    }
}

/// An audit entry as a service prepares it. The store completes it (the target id of a new
/// record, the tenant and scope path of the target) and writes it in the same transaction as
/// the change, so a change is never recorded without happening or the other way round.
#[derive(Debug, Clone)]
pub struct AuditDraft {
    pub actor: Actor,
    pub action: &'static str,
    pub request_id: Option<String>,
    /// Field names, counts, ids — never secrets.
    pub details: Value,
    pub at: OffsetDateTime,
}

impl AuditDraft {
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: AuditId,
    pub tenant_id: Option<AccountId>,
    pub account_path: Option<AccountPath>,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    pub request_id: Option<String>,
    pub details: Value,
    pub at: OffsetDateTime,
}
