//! Single-use tokens mailed to a user: one proves they own their address, the other lets them
//! set a new password. Only the hash is stored; a token works once and expires.

use std::str::FromStr;

use time::OffsetDateTime;

use super::ids::{UserId, UserTokenId};
use crate::auth::TokenHash;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserTokenPurpose {
    VerifyEmail,
    PasswordReset,
}

impl UserTokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            UserTokenPurpose::VerifyEmail => "verify_email",
            UserTokenPurpose::PasswordReset => "password_reset",
        }
    }
}

impl FromStr for UserTokenPurpose {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "verify_email" => Ok(UserTokenPurpose::VerifyEmail),
            "password_reset" => Ok(UserTokenPurpose::PasswordReset),
            _ => Err(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserToken {
    pub id: UserTokenId,
    pub user_id: UserId,
    pub purpose: UserTokenPurpose,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub used: Option<OffsetDateTime>,
}

impl UserToken {
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.used.is_none() && self.expires > now
    }
}

/// A token to record. For a sign-up the store ignores `user_id` and uses the new user's.
#[derive(Debug, Clone)]
pub struct NewUserToken {
    pub user_id: UserId,
    pub purpose: UserTokenPurpose,
    pub token_hash: TokenHash,
    pub expires: OffsetDateTime,
    pub now: OffsetDateTime,
}

/// What redeeming a token does besides using it up.
#[derive(Debug, Clone)]
pub enum TokenRedemption {
    /// Mark the user's email verified.
    VerifyEmail,
    /// Set this password hash, verify the email (the mail reached its owner), end every session
    /// of the user and clear any lockout.
    ResetPassword { password_hash: String },
}
