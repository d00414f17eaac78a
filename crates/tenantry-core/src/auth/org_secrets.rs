//! Cloud Elements' credentials: every user has a user secret and every organization (a root
//! account) an organization secret; a call carries both, as
//! `Authorization: User <user secret>, Organization <organization secret>`.
//!
//! Both are shown again whenever the console asks (`getSecrets`), so they are derived rather
//! than stored (see [`super::derived`]). They look like the vendor's: a user secret is 32 bytes
//! in standard base64 (44 characters, e.g. `pgJTa2A3Lxr/7o/fN7NlRb1ATrgc4JlXVKFq7HpcF74=`), an
//! organization secret 16 bytes in hex (32 characters). Rotating one replaces its nonce.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::derived;
use super::secret::TokenHash;
use crate::model::{AccountId, UserId};

const USER_DOMAIN: &[u8] = b"tenantry user secret v1:";
const ORGANIZATION_DOMAIN: &[u8] = b"tenantry organization secret v1:";

/// Whose secret it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretOwner {
    User(UserId),
    /// A root account.
    Organization(AccountId),
}

impl SecretOwner {
    /// The secret a nonce stands for, for this kind of owner.
    pub fn derive(self, signing_key: &[u8; 32], nonce: &[u8; 16]) -> String {
        match self {
            SecretOwner::User(_) => {
                STANDARD.encode(derived::material(signing_key, USER_DOMAIN, nonce))
            }
            SecretOwner::Organization(_) => {
                let bytes = derived::material(signing_key, ORGANIZATION_DOMAIN, nonce);
                bytes[..16].iter().map(|b| format!("{b:02x}")).collect()
            }
        }
    }

    pub fn kind(self) -> SecretOwnerKind {
        match self {
            SecretOwner::User(_) => SecretOwnerKind::User,
            SecretOwner::Organization(_) => SecretOwnerKind::Organization,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretOwnerKind {
    User,
    Organization,
}

impl SecretOwnerKind {
    /// Whether a presented string has the shape of this kind of secret; anything else is
    /// refused before a lookup.
    pub fn is_well_formed(self, presented: &str) -> bool {
        match self {
            SecretOwnerKind::User => {
                presented.len() == 44
                    && presented.ends_with('=')
                    && STANDARD.decode(presented).is_ok_and(|b| b.len() == 32)
            }
            SecretOwnerKind::Organization => {
                presented.len() == 32 && presented.bytes().all(|b| b.is_ascii_hexdigit())
            }
        }
    }
}

pub fn hash(secret: &str) -> TokenHash {
    TokenHash::of(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_look_like_the_vendors_and_follow_the_nonce() {
        let key = [3u8; 32];
        let nonce = [9u8; 16];
        let user = SecretOwner::User(UserId(1)).derive(&key, &nonce);
        let organization = SecretOwner::Organization(AccountId(1)).derive(&key, &nonce);
        assert!(SecretOwnerKind::User.is_well_formed(&user), "{user}");
        assert!(
            SecretOwnerKind::Organization.is_well_formed(&organization),
            "{organization}"
        );
        assert!(!SecretOwnerKind::User.is_well_formed(&organization));
        assert!(!SecretOwnerKind::Organization.is_well_formed(&user));
        assert_eq!(user, SecretOwner::User(UserId(2)).derive(&key, &nonce));
        assert_ne!(user, SecretOwner::User(UserId(1)).derive(&key, &[8u8; 16]));
        assert!(!SecretOwnerKind::Organization.is_well_formed(&"g".repeat(32)));
        assert!(!SecretOwnerKind::User.is_well_formed(&"A".repeat(44)));
    }
}
