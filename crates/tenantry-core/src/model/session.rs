use time::OffsetDateTime;

use super::account::{AccountPath, AccountStatus};
use super::ids::{AccountId, SessionId, UserId};
use super::user::UserStatus;
use crate::auth::{Role, TokenHash};

/// The token half of a session: one access token and one refresh token, both stored only as
/// hashes. Refreshing replaces both; logging out deletes the session, which ends both at once.
#[derive(Debug, Clone)]
pub struct SessionTokens {
    pub access_hash: TokenHash,
    pub refresh_hash: TokenHash,
    pub access_expires: OffsetDateTime,
    pub refresh_expires: OffsetDateTime,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: UserId,
    /// The password hash the login was verified against; the session is only created if it is
    /// still the user's hash, so a login racing a password change cannot outlive it.
    pub verified_hash: String,
    pub tokens: SessionTokens,
}

/// A session together with the state of its user and account, read in one query on every
/// request, so that a logout, a disabled user or a suspended account takes effect at once.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub account_id: AccountId,
    pub tenant_id: AccountId,
    pub account_path: AccountPath,
    pub role: Role,
    pub user_status: UserStatus,
    pub account_status: AccountStatus,
    /// The stored hash of the access token, confirmed against the presented one in constant time.
    pub access_hash: TokenHash,
    pub access_expires: OffsetDateTime,
    pub refresh_expires: OffsetDateTime,
}
