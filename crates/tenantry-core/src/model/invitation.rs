use time::OffsetDateTime;

use super::account::AccountPath;
use super::ids::{AccountId, InvitationId, UserId};
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

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub user_id: UserId,
    pub token_hash: TokenHash,
    pub expires: OffsetDateTime,
    pub now: OffsetDateTime,
}
