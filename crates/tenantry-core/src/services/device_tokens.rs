//! ControlByWeb's account tokens: certificate request tokens (devices join an account with
//! them) and device seat tokens (an account redeems one for more seats).

use std::sync::Arc;

use serde_json::json;
use time::Duration;

use super::Deps;
use crate::auth::{Caller, Permission, SecretKind, SecretToken, TokenHash, certificate_token};
use crate::error::{Error, Resource, Result};
use crate::model::device_tokens::{NewCertificateToken, NewSeatToken};
use crate::model::{
    Account, AccountId, Actor, AuditDraft, CertificateToken, CertificateTokenId, SeatToken,
};
use crate::seats;

/// How long a certificate request token works, as the vendor documents.
pub const CERTIFICATE_TOKEN_TTL: Duration = Duration::hours(12);
/// At most this many live certificate tokens per account, so nobody can grow the table without
/// bound (they are multi-use: one is enough for a fleet).
pub const MAX_LIVE_CERTIFICATE_TOKENS: i64 = 100;
/// Seat tokens expire unless redeemed within this long, by default.
pub const DEFAULT_SEAT_TOKEN_TTL: Duration = Duration::days(30);
/// The longest a seat token may live.
pub const MAX_SEAT_TOKEN_TTL: Duration = Duration::days(366);

/// A certificate token with the token itself, recomputed for display.
#[derive(Debug, Clone)]
pub struct ShownCertificateToken {
    pub record: CertificateToken,
    pub token: String,
}

#[derive(Clone)]
pub struct DeviceTokenService {
    deps: Arc<Deps>,
}

impl DeviceTokenService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    /// Creates a certificate request token for the account. Needs "Manage Tokens" there.
    pub async fn create_certificate_token(
        &self,
        caller: &Caller,
        account_id: AccountId,
    ) -> Result<ShownCertificateToken> {
        let account = self.deps.account(account_id).await?;
        caller.require(Permission::ManageTokens, &account.path, Resource::Account)?;
        let now = self.deps.clock.now();
        let nonce = certificate_token::new_nonce();
        let token = certificate_token::derive(&self.deps.config.signing_key, &nonce);
        let new = NewCertificateToken {
            account_id: account.id,
            max_live: MAX_LIVE_CERTIFICATE_TOKENS,
            token_hash: certificate_token::hash(&token),
            nonce,
            expires: now + CERTIFICATE_TOKEN_TTL,
            now,
        };
        let audit = caller.audit("certificate_token.create", now);
        let record = self.deps.store.insert_certificate_token(new, audit).await?;
        Ok(ShownCertificateToken { record, token })
    }

    /// The account's live certificate tokens. Needs "Manage Tokens" there.
    pub async fn certificate_tokens(
        &self,
        caller: &Caller,
        account_id: AccountId,
    ) -> Result<Vec<ShownCertificateToken>> {
        let account = self.deps.account(account_id).await?;
        caller.require(Permission::ManageTokens, &account.path, Resource::Account)?;
        let now = self.deps.clock.now();
        let records = self.deps.store.certificate_tokens(account.id, now).await?;
        Ok(records
            .into_iter()
            .map(|record| ShownCertificateToken {
                token: certificate_token::derive(&self.deps.config.signing_key, &record.nonce),
                record,
            })
            .collect())
    }

    /// Invalidates one of the account's certificate tokens at once.
    pub async fn delete_certificate_token(
        &self,
        caller: &Caller,
        account_id: AccountId,
        token: &str,
    ) -> Result<()> {
        let account = self.deps.account(account_id).await?;
        caller.require(Permission::ManageTokens, &account.path, Resource::Account)?;
        if !certificate_token::is_well_formed(token) {
            return Err(Error::NotFound(Resource::CertificateToken));
        }
        let audit = caller.audit("certificate_token.delete", self.deps.clock.now());
        self.deps
            .store
            .delete_certificate_token(account.id, &certificate_token::hash(token), audit)
            .await
    }

    /// Invalidates one of the account's live certificate tokens, named by its id (so the token
    /// itself need not travel in a URL).
    pub async fn delete_certificate_token_by_id(
        &self,
        caller: &Caller,
        account_id: AccountId,
        id: CertificateTokenId,
    ) -> Result<()> {
        let live = self.certificate_tokens(caller, account_id).await?;
        let shown = live
            .into_iter()
            .find(|t| t.record.id == id)
            .ok_or(Error::NotFound(Resource::CertificateToken))?;
        self.delete_certificate_token(caller, account_id, &shown.token)
            .await
    }

    /// Mints a single-use token worth `seats` device seats. Operators only (service tokens).
    pub async fn mint_seat_token(
        &self,
        caller: &Caller,
        seats: i64,
        ttl: Option<Duration>,
    ) -> Result<(SeatToken, SecretToken)> {
        caller.require_service("minting device seat tokens")?;
        let audit = caller.audit("seat_token.create", self.deps.clock.now());
        self.mint(audit, seats, ttl).await
    }

    /// [`DeviceTokenService::mint_seat_token`] for an operator at the command line.
    pub async fn mint_seat_token_as(
        &self,
        actor: Actor,
        seats: i64,
        ttl: Option<Duration>,
    ) -> Result<(SeatToken, SecretToken)> {
        let audit = AuditDraft {
            actor,
            action: "seat_token.create",
            request_id: None,
            details: serde_json::Value::Null,
            at: self.deps.clock.now(),
        };
        self.mint(audit, seats, ttl).await
    }

    async fn mint(
        &self,
        audit: AuditDraft,
        seats: i64,
        ttl: Option<Duration>,
    ) -> Result<(SeatToken, SecretToken)> {
        if !(1..=seats::MAX_SEATS).contains(&seats) {
            return Err(Error::invalid_field(
                "seats",
                format!("must be between 1 and {}", seats::MAX_SEATS),
            ));
        }
        let ttl = ttl.unwrap_or(DEFAULT_SEAT_TOKEN_TTL);
        if ttl <= Duration::ZERO || ttl > MAX_SEAT_TOKEN_TTL {
            return Err(Error::invalid_field(
                "expires_in",
                format!(
                    "must be between 1 second and {} days",
                    MAX_SEAT_TOKEN_TTL.whole_days()
                ),
            ));
        }
        let now = audit.at;
        let secret = SecretToken::generate(SecretKind::SeatToken);
        let new = NewSeatToken {
            token_hash: secret.hash(),
            seats,
            expires: now + ttl,
            now,
        };
        let audit = audit.with_details(json!({ "seats": seats }));
        let token = self.deps.store.insert_seat_token(new, audit).await?;
        Ok((token, secret))
    }

    /// Adds a seat token's seats to an account; the only way an account's own allocation grows
    /// without its parent. Needs "Edit Accounts" on the account.
    pub async fn redeem_seat_token(
        &self,
        caller: &Caller,
        account_id: AccountId,
        token: &str,
    ) -> Result<Account> {
        let account = self.deps.account(account_id).await?;
        caller.require(Permission::EditAccounts, &account.path, Resource::Account)?;
        if SecretKind::of_any(token) != Some(SecretKind::SeatToken)
            || token.len() > TokenHash::MAX_PRESENTED_LEN
        {
            return Err(Error::invalid_field(
                "device_seat_token",
                "is not a device seat token",
            ));
        }
        let audit = caller.audit("seat_token.redeem", self.deps.clock.now());
        self.deps
            .store
            .redeem_seat_token(&TokenHash::of(token), account.id, audit)
            .await
    }
}
