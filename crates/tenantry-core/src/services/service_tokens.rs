//! Service owner tokens: created from the command line to bootstrap an installation, they act on
//! every tenant. Only their hash is kept; the token itself is shown once.

use std::sync::Arc;

use serde_json::json;
use time::Duration;

use super::Deps;
use crate::auth::{SecretKind, SecretToken};
use crate::error::{Error, Result};
use crate::model::api_token::NewApiToken;
use crate::model::{Actor, ApiToken, ApiTokenId, AuditDraft};
use crate::values::Text;

#[derive(Clone)]
pub struct ServiceTokenService {
    deps: Arc<Deps>,
}

impl ServiceTokenService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    /// Creates a token; the secret in the answer is the only copy there will ever be.
    pub async fn create(
        &self,
        actor: Actor,
        name: Text,
        lifetime: Option<Duration>,
    ) -> Result<(ApiToken, SecretToken)> {
        if lifetime.is_some_and(|d| d <= Duration::ZERO) {
            return Err(Error::invalid_field("expires", "must be in the future"));
        }
        let now = self.deps.clock.now();
        let secret = SecretToken::generate(SecretKind::ServiceToken);
        let new = NewApiToken {
            name: name.into_string(),
            hash: secret.hash(),
            expires: lifetime.map(|d| now + d),
            now,
        };
        let audit = operator_audit(actor, "service_token.create", now);
        let token = self.deps.store.insert_api_token(new, audit).await?;
        Ok((token, secret))
    }

    pub async fn list(&self) -> Result<Vec<ApiToken>> {
        self.deps.store.list_api_tokens().await
    }

    pub async fn revoke(&self, actor: Actor, id: ApiTokenId) -> Result<ApiToken> {
        let now = self.deps.clock.now();
        let audit = operator_audit(actor, "service_token.revoke", now)
            .with_details(json!({ "token_id": id.get() }));
        self.deps.store.revoke_api_token(id, audit).await
    }
}

fn operator_audit(actor: Actor, action: &'static str, at: time::OffsetDateTime) -> AuditDraft {
    AuditDraft {
        actor,
        action,
        request_id: None,
        details: serde_json::Value::Null,
        at,
    }
}
