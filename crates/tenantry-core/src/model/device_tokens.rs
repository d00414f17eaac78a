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
