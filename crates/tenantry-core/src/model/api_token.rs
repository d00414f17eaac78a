use time::OffsetDateTime;

use super::ids::ApiTokenId;
use crate::auth::TokenHash;

/// A service owner token: acts on every tenant. Created from the CLI when an installation is
/// bootstrapped; only its hash is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub name: String,
    pub created: OffsetDateTime,
    pub expires: Option<OffsetDateTime>,
    pub revoked: Option<OffsetDateTime>,
}

impl ApiToken {
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.revoked.is_none() && self.expires.is_none_or(|e| e > now)
    }
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub name: String,
    pub hash: TokenHash,
    pub expires: Option<OffsetDateTime>,
    pub now: OffsetDateTime,
}
