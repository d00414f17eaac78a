//! Bearer secrets: 256 random bits, shown to the client once, stored only as a SHA-256 hash.
//!
//! Each kind carries a short prefix so a leaked token is recognisable (by secret scanners and by
//! people) and so the authenticator knows which table to look in without trying them all.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 32 bytes from the operating system's generator, for new keys and secrets.
pub fn random_key() -> [u8; 32] {
    rand::random()
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    // HMAC takes keys of any length, so this cannot fail; a zero MAC would only ever fail to
    // verify, never verify wrongly.
    match hmac::Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Access,
    Refresh,
    ServiceToken,
    Invitation,
    /// A ControlByWeb device seat token: redeemed once for more seats, never a bearer.
    SeatToken,
    /// Proves a user received mail at their address; used once.
    VerifyEmail,
    /// Lets a user set a new password; used once.
    PasswordReset,
}

impl SecretKind {
    pub fn prefix(self) -> &'static str {
        match self {
            SecretKind::Access => "tnt_at_",
            SecretKind::Refresh => "tnt_rt_",
            SecretKind::ServiceToken => "tnt_st_",
            SecretKind::Invitation => "tnt_iv_",
            SecretKind::SeatToken => "tnt_ds_",
            SecretKind::VerifyEmail => "tnt_ve_",
            SecretKind::PasswordReset => "tnt_pr_",
        }
    }

    /// The kind of any secret, by its prefix (unlike [`SecretKind::of`], which only knows the
    /// kinds that may be presented as a bearer token).
    pub fn of_any(token: &str) -> Option<SecretKind> {
        [
            SecretKind::Access,
            SecretKind::Refresh,
            SecretKind::ServiceToken,
            SecretKind::Invitation,
            SecretKind::SeatToken,
            SecretKind::VerifyEmail,
            SecretKind::PasswordReset,
        ]
        .into_iter()
        .find(|kind| token.starts_with(kind.prefix()))
    }

    /// The kind a presented bearer token claims to be, by its prefix.
    pub fn of(token: &str) -> Option<SecretKind> {
        [
            SecretKind::Access,
            SecretKind::Refresh,
            SecretKind::ServiceToken,
        ]
        .into_iter()
        .find(|kind| token.starts_with(kind.prefix()))
    }
}

/// A freshly generated secret. `Debug` hides it; only [`SecretToken::expose`] reveals it, at the
/// one place that hands it to the client.
#[derive(Clone)]
pub struct SecretToken(String);

impl SecretToken {
    pub fn generate(kind: SecretKind) -> SecretToken {
        let bytes: [u8; 32] = rand::random();
        SecretToken(format!(
            "{}{}",
            kind.prefix(),
            URL_SAFE_NO_PAD.encode(bytes)
        ))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A secret the client presented back (e.g. a refresh token kept in use).
    pub fn presented(token: &str) -> SecretToken {
        SecretToken(token.to_owned())
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(***)")
    }
}

/// The stored form of a secret. Lookups go by this hash; a match is confirmed with a
/// constant-time comparison.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub const MAX_PRESENTED_LEN: usize = 256;

    pub fn of(presented: &str) -> TokenHash {
        TokenHash(Sha256::digest(presented.as_bytes()).into())
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<TokenHash> {
        bytes.try_into().ok().map(TokenHash)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn ct_eq(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_hash_stably() {
        let a = SecretToken::generate(SecretKind::Access);
        let b = SecretToken::generate(SecretKind::Access);
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("tnt_at_"));
        assert_eq!(a.expose().len(), "tnt_at_".len() + 43);
        assert_eq!(SecretKind::of(a.expose()), Some(SecretKind::Access));
        assert_eq!(SecretKind::of("Bearer x"), None);
        assert!(a.hash().ct_eq(&TokenHash::of(a.expose())));
        assert!(!a.hash().ct_eq(&b.hash()));
        assert_eq!(format!("{a:?}"), "SecretToken(***)");
    }
}
