//! The two ControlByWeb token families that hang off accounts.
//!
//! - A [`CertificateToken`] lets a physical device request its certificate and join one
//!   account: multi-use until it expires (12 hours).
//! - A [`SeatToken`] is minted by the operator and redeemed once, by any account, for more
//!   device seats: the only way an account's own allocation grows without its parent.

use time::OffsetDateTime;

use super::ids::{AccountId, CertificateTokenId, SeatTokenId};
use crate::auth::TokenHash;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct CertificateToken {
    pub id: CertificateTokenId,
    pub tenant_id: AccountId,
    pub account_id: AccountId,
    /// What the token is derived from (see [`crate::auth::certificate_token`]); the token itself
    /// is not stored.
    pub nonce: [u8; 16],
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewCertificateToken {
    pub account_id: AccountId,
    /// Refuse with `Conflict` if the account already has this many live tokens.
    pub max_live: i64,
    pub token_hash: TokenHash,
    pub nonce: [u8; 16],
    pub expires: OffsetDateTime,
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeatToken {
    pub id: SeatTokenId,
    pub seats: i64,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub redeemed_by: Option<AccountId>,
    pub redeemed: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct NewSeatToken {
    pub token_hash: TokenHash,
    pub seats: i64,
    pub expires: OffsetDateTime,
    pub now: OffsetDateTime,
}

/// Whether a seat token found by a store may still be redeemed; stores call this inside the
/// redeeming transaction.
pub fn check_redeemable(redeemed: bool, expired: bool) -> Result<()> {
    if redeemed {
        return Err(Error::conflict(
            "the device seat token was already redeemed",
        ));
    }
    if expired {
        return Err(Error::conflict("the device seat token has expired"));
    }
    Ok(())
}

/// The refusal for an account that has as many live certificate tokens as it may.
pub fn too_many_certificate_tokens(max_live: i64) -> Error {
    Error::conflict(format!(
        "the account already has {max_live} live certificate tokens; delete one or wait for \
         one to expire"
    ))
}

/// The answer to a device presenting a certificate token that is unknown, expired or deleted:
/// the token is the device's only credential, so every such failure reads the same.
pub fn certificate_token_refused() -> Error {
    Error::Unauthenticated("invalid or expired certificate token".to_owned())
}

/// A device may only enrol into an active account.
pub fn enrolment_into_inactive_account() -> Error {
    Error::forbidden("the account is not active; devices cannot join it")
}
