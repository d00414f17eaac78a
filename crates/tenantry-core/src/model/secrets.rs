//! Cloud Elements' user and organization secrets, as stored: a nonce the secret is derived from
//! (see [`crate::auth::org_secrets`]), never the secret.

use time::OffsetDateTime;

use crate::auth::TokenHash;
use crate::auth::org_secrets::SecretOwner;

#[derive(Debug, Clone, PartialEq)]
pub struct StoredSecret {
    pub owner: SecretOwner,
    pub nonce: [u8; 16],
    pub created: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewSecret {
    pub owner: SecretOwner,
    pub nonce: [u8; 16],
    pub hash: TokenHash,
    pub now: OffsetDateTime,
}
