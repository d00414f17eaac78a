use time::OffsetDateTime;

use super::account::AccountPath;
use super::ids::{AccountId, InvitationId, UserId};
use super::user::NewUser;
use crate::auth::{Role, TokenHash};

/// An invitation for a (password-less) user to join an account. Its token is sent to the user
/// and stored only as a hash; accepting it sets the user's password and verifies their email.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: InvitationId,
    pub tenant_id: AccountId,
    pub account_id: AccountId,
    pub account_path: AccountPath,
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub accepted: Option<OffsetDateTime>,
    pub revoked: Option<OffsetDateTime>,
}

impl Invitation {
    pub fn is_pending(&self, now: OffsetDateTime) -> bool {
        self.accepted.is_none() && self.revoked.is_none() && self.expires > now
    }
}

/// Who an invitation is for.
#[derive(Debug, Clone)]
pub enum Invitee {
    /// A user who exists and has no password yet.
    Existing(UserId),
    /// A user created with the invitation, in the same transaction.
    New(Box<NewUser>),
}

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub invitee: Invitee,
    pub token_hash: TokenHash,
    pub expires: OffsetDateTime,
    pub now: OffsetDateTime,
}

/// A new token and expiry for an invitation that is sent again.
#[derive(Debug, Clone)]
pub struct InvitationRenewal {
    pub token_hash: TokenHash,
    pub expires: OffsetDateTime,
    pub now: OffsetDateTime,
}

/// Which invitations to list.
#[derive(Debug, Clone, Default)]
pub struct InvitationFilter {
    /// Only those neither accepted, revoked nor expired at this time.
    pub pending_at: Option<OffsetDateTime>,
    /// Only invitations with a smaller id (the next page of a newest-first list).
    pub before: Option<InvitationId>,
    pub limit: u32,
}
