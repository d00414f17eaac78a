//! Login, refresh, logout, and authentication of bearer tokens.
//!
//! Every login failure before the password is proven answers the same message after the same
//! amount of hashing work, so the answer never reveals whether an email is registered. Only a
//! caller who knows the right password learns that the user or account is not active.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::Deps;
use crate::auth::credential_cache::{CredentialCache, Freshness};
use crate::auth::{
    Caller, Principal, SecretKind, SecretToken, ServicePrincipal, TokenHash, UserPrincipal,
};
use crate::error::{Error, Resource, Result};
use crate::model::session::{NewSession, SessionTokens};
use crate::model::user::{LoginNames, LoginRecord};
use crate::model::{Account, AccountStatus, Actor, AuditDraft, Session, User, UserStatus};
use crate::values::{Email, Password, Username};

pub const BAD_CREDENTIALS: &str = "invalid email or password";
/// The answer to the right password of a disabled user.
pub const USER_DISABLED: &str = "this user is disabled";
const BAD_TOKEN: &str = "missing, invalid or expired token";

/// Freshly issued session tokens; shown to the client once.
#[derive(Debug)]
pub struct IssuedTokens {
    pub access_token: SecretToken,
    pub refresh_token: SecretToken,
    pub expires_in: i64,
    pub user: User,
}

/// Where a login attempt comes from: its request id (for the audit trail) and the client's
/// address (whose failures are counted).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub request_id: Option<String>,
    pub address: Option<std::net::IpAddr>,
}

/// What trying a login name's users with a password found.
struct LoginAttempt {
    matched: Option<LoginRecord>,
    failed: Vec<crate::model::UserId>,
}

/// Who the caller is, for `GET /me`.
#[derive(Debug)]
pub enum Me {
    User {
        user: Box<User>,
        account: Box<Account>,
    },
    Service(crate::model::ApiToken),
}

#[derive(Clone)]
pub struct AuthService {
    deps: Arc<Deps>,
    credentials: Arc<CredentialCache>,
    /// Held while the revocation counter is read (see [`AuthService::revocation_epoch`]);
    /// holds when and why the last reading failed, if it did.
    epoch_reader: Arc<tokio::sync::Mutex<Option<(std::time::Instant, String)>>>,
}

impl AuthService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        let credentials = Arc::new(CredentialCache::new(deps.config.credential_recheck));
        Self {
            deps,
            credentials,
            epoch_reader: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// Logs in by email address or username, for an access token of the configured lifetime.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        request_id: Option<String>,
    ) -> Result<IssuedTokens> {
        let origin = Origin {
            request_id,
            address: None,
        };
        self.login_from(name, password, &origin).await
    }

    /// [`AuthService::login`] from a client at a known address, whose failed logins count
    /// against it (see [`crate::auth::lockout`]).
    pub async fn login_from(
        &self,
        name: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<IssuedTokens> {
        let lifetime = self.deps.config.access_token_ttl;
        self.login_for(name, password, lifetime, origin).await
    }

    /// [`AuthService::login_from`] for an access token that lives `access_ttl` (ControlByWeb's
    /// are valid for a day).
    pub async fn login_for(
        &self,
        name: &str,
        password: &str,
        access_ttl: Duration,
        origin: &Origin,
    ) -> Result<IssuedTokens> {
        let outcome = self.try_login(name, password, access_ttl, origin).await;
        let result = match &outcome {
            Ok(_) => "success",
            Err(Error::Unauthenticated(_)) => "failure",
            // Rate limited, malformed, or the database failed: no verdict on the password.
            Err(_) => "refused",
        };
        metrics::counter!("tenantry_logins_total", "result" => result).increment(1);
        outcome
    }

    async fn try_login(
        &self,
        name: &str,
        password: &str,
        access_ttl: Duration,
        origin: &Origin,
    ) -> Result<IssuedTokens> {
        let candidate =
            Password::candidate(password).map_err(|m| Error::invalid_field("password", m))?;
        let now = self.deps.clock.now();
        let policy = self.deps.config.lockout;
        let address = origin.address.map(|a| a.to_string());
        if let Some(address) = &address
            && let Some((failures, since)) = self
                .deps
                .store
                .address_login_failures(address, now, policy.address_window)
                .await?
            && failures >= policy.address_limit
        {
            let left = (since + policy.address_window - now).whole_seconds();
            return Err(Error::RateLimited {
                retry_after: u64::try_from(left).unwrap_or(0).max(1),
            });
        }
        let attempt = self.verified_login_record(name, &candidate, now).await?;
        let Some(record) = attempt.matched else {
            for user in attempt.failed {
                let audit = AuditDraft {
                    actor: Actor::Anonymous,
                    action: "user.locked",
                    request_id: origin.request_id.clone(),
                    details: serde_json::json!({ "address": address }),
                    at: now,
                };
                let locked = self
                    .deps
                    .store
                    .record_login_failure(user, &policy, audit)
                    .await?;
                if locked.is_some() {
                    // Each failure past the threshold locks anew, for longer.
                    metrics::counter!("tenantry_lockouts_total").increment(1);
                }
            }
            if let Some(address) = &address {
                self.deps
                    .store
                    .record_address_login_failure(address, now, policy.address_window)
                    .await?;
            }
            return Err(Error::Unauthenticated(BAD_CREDENTIALS.to_owned()));
        };
        if record.user.status != UserStatus::Active {
            return Err(Error::Unauthenticated(USER_DISABLED.to_owned()));
        }
        if record.account_status != AccountStatus::Active {
            return Err(Error::Unauthenticated(account_not_active(
                record.account_status,
            )));
        }
        let Some(verified_hash) = record.password_hash.clone() else {
            return Err(Error::Unauthenticated(BAD_CREDENTIALS.to_owned()));
        };
        let (tokens, session) =
            self.new_session(record.user.clone(), verified_hash, access_ttl, now);
        let audit = AuditDraft {
            actor: Actor::User(record.user.id),
            action: "user.login",
            request_id: origin.request_id.clone(),
            details: serde_json::Value::Null,
            at: now,
        };
        self.deps.store.insert_session(session, audit).await?;
        Ok(tokens)
    }

    /// Trades a refresh token for new tokens. The old pair stops working.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        request_id: Option<String>,
    ) -> Result<IssuedTokens> {
        let lifetime = self.deps.config.access_token_ttl;
        self.refresh_for(refresh_token, lifetime, request_id).await
    }

    /// [`AuthService::refresh`] for an access token that lives `access_ttl`.
    pub async fn refresh_for(
        &self,
        refresh_token: &str,
        access_ttl: Duration,
        request_id: Option<String>,
    ) -> Result<IssuedTokens> {
        if SecretKind::of(refresh_token) != Some(SecretKind::Refresh)
            || refresh_token.len() > TokenHash::MAX_PRESENTED_LEN
        {
            return Err(Error::Unauthenticated(BAD_TOKEN.to_owned()));
        }
        let now = self.deps.clock.now();
        let access_token = SecretToken::generate(SecretKind::Access);
        let new_refresh = SecretToken::generate(SecretKind::Refresh);
        let tokens = self.session_tokens(&access_token, &new_refresh, access_ttl, now);
        // The actor is filled in by the store from the session it rotates.
        let audit = AuditDraft {
            actor: Actor::Anonymous,
            action: "session.refresh",
            request_id,
            details: serde_json::Value::Null,
            at: now,
        };
        let session = self
            .deps
            .store
            .rotate_session(&TokenHash::of(refresh_token), tokens, audit)
            .await?
            .ok_or_else(|| Error::Unauthenticated(BAD_TOKEN.to_owned()))?;
        self.check_session_usable(&session)?;
        let user = self
            .deps
            .store
            .user(session.user_id)
            .await?
            .ok_or_else(|| Error::Unauthenticated(BAD_TOKEN.to_owned()))?;
        Ok(IssuedTokens {
            access_token,
            refresh_token: new_refresh,
            expires_in: access_ttl.whole_seconds(),
            user,
        })
    }

    /// Trades a refresh token for a new access token, keeping the refresh token in use (the
    /// Cognito flow, whose clients hold on to one refresh token for its whole life).
    pub async fn refresh_access(
        &self,
        refresh_token: &str,
        request_id: Option<String>,
    ) -> Result<IssuedTokens> {
        if SecretKind::of(refresh_token) != Some(SecretKind::Refresh)
            || refresh_token.len() > TokenHash::MAX_PRESENTED_LEN
        {
            return Err(Error::Unauthenticated(BAD_TOKEN.to_owned()));
        }
        let now = self.deps.clock.now();
        let access_token = SecretToken::generate(SecretKind::Access);
        let kept = SecretToken::presented(refresh_token);
        let lifetime = self.deps.config.access_token_ttl;
        let tokens = self.session_tokens(&access_token, &kept, lifetime, now);
        let audit = AuditDraft {
            actor: Actor::Anonymous,
            action: "session.refresh",
            request_id,
            details: serde_json::Value::Null,
            at: now,
        };
        let session = self
            .deps
            .store
            .rotate_session(&kept.hash(), tokens, audit)
            .await?
            .ok_or_else(|| Error::Unauthenticated(BAD_TOKEN.to_owned()))?;
        self.check_session_usable(&session)?;
        let user = self.deps.user(session.user_id).await?;
        Ok(IssuedTokens {
            access_token,
            refresh_token: kept,
            expires_in: self.deps.config.access_token_ttl.whole_seconds(),
            user,
        })
    }

    /// Ends the caller's session: its access and refresh tokens stop working everywhere.
    pub async fn logout(&self, caller: &Caller) -> Result<()> {
        let Some(user) = caller.principal.as_user() else {
            return Err(Error::forbidden(
                "service tokens are revoked with `tenantry token revoke`, not logged out",
            ));
        };
        let Some(session_id) = user.session_id else {
            return Err(Error::invalid(
                "this credential is not a session; there is nothing to log out of",
            ));
        };
        let audit = caller.audit("user.logout", self.deps.clock.now());
        self.deps.store.delete_session(session_id, audit).await
    }

    /// Resolves a bearer token to the principal it stands for, checking expiry and the current
    /// state of the user and account: from the store, or from the credential cache while the
    /// database's revocation counter says nothing changed (see [`credential_cache`]).
    ///
    /// [`credential_cache`]: crate::auth::credential_cache
    pub async fn authenticate(&self, token: &str, request_id: Option<String>) -> Result<Caller> {
        if token.len() > TokenHash::MAX_PRESENTED_LEN {
            return Err(Error::Unauthenticated(BAD_TOKEN.to_owned()));
        }
        let hash = TokenHash::of(token);
        let now = self.deps.clock.now();
        let kind = SecretKind::of(token);
        let epoch = match kind {
            Some(SecretKind::Access | SecretKind::ServiceToken) if self.credentials.enabled() => {
                Some(self.revocation_epoch(now).await?)
            }
            _ => None,
        };
        if let Some(epoch) = epoch
            && let Some(principal) = self.credentials.get(&hash, epoch, now)
        {
            return Ok(Caller::new(principal, request_id));
        }
        let (principal, expires) = self.look_up(kind, &hash, now).await?;
        if let Some(epoch) = epoch {
            self.credentials
                .put(hash, principal.clone(), epoch, expires);
        }
        Ok(Caller::new(principal, request_id))
    }

    /// The revocation counter's value, read from the store unless a recent reading holds.
    /// One request reads it at a time; the others wait for that reading and take it if it
    /// began after everything they must see (under load, letting each of them read would
    /// cost as much as the lookups the cache saves). If the reading fails, those that waited
    /// for it fail with it rather than each trying again in turn: with the database gone, the
    /// last of them would otherwise wait for every attempt before its own.
    async fn revocation_epoch(&self, now: OffsetDateTime) -> Result<i64> {
        if let Freshness::Known(epoch) = self.credentials.current(now) {
            return Ok(epoch);
        }
        let waiting_since = std::time::Instant::now();
        let mut last_failure = self.epoch_reader.lock().await;
        if let Some((at, message)) = last_failure.as_ref()
            && *at >= waiting_since
        {
            return Err(Error::Unavailable(message.clone()));
        }
        let now = self.deps.clock.now();
        match self.credentials.current(now) {
            Freshness::Known(epoch) => Ok(epoch),
            Freshness::Stale { writes } => match self.deps.store.auth_epoch().await {
                Ok(epoch) => {
                    *last_failure = None;
                    self.credentials.record(epoch, now, writes);
                    Ok(epoch)
                }
                Err(error) => {
                    let message = match &error {
                        Error::Unavailable(message) => message.clone(),
                        other => other.to_string(),
                    };
                    *last_failure = Some((std::time::Instant::now(), message));
                    Err(error)
                }
            },
        }
    }

    /// What the store says a token stands for, and until when.
    async fn look_up(
        &self,
        kind: Option<SecretKind>,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<(Principal, Option<OffsetDateTime>)> {
        let unauthenticated = || Error::Unauthenticated(BAD_TOKEN.to_owned());
        match kind {
            Some(SecretKind::Access) => {
                let session = self
                    .deps
                    .store
                    .session_by_access(hash, now)
                    .await?
                    .filter(|s| s.access_hash.ct_eq(hash))
                    .ok_or_else(unauthenticated)?;
                self.check_session_usable(&session)?;
                let expires = session.access_expires;
                let principal = Principal::User(UserPrincipal {
                    user_id: session.user_id,
                    account_id: session.account_id,
                    tenant_id: session.tenant_id,
                    account_path: session.account_path,
                    role: session.role,
                    session_id: Some(session.id),
                });
                Ok((principal, Some(expires)))
            }
            Some(SecretKind::ServiceToken) => {
                let (token, _) = self
                    .deps
                    .store
                    .api_token_by_hash(hash)
                    .await?
                    .filter(|(t, stored)| stored.ct_eq(hash) && t.is_usable(now))
                    .ok_or_else(unauthenticated)?;
                let principal = Principal::Service(ServicePrincipal { token_id: token.id });
                Ok((principal, token.expires))
            }
            Some(
                SecretKind::Refresh
                | SecretKind::Invitation
                | SecretKind::SeatToken
                | SecretKind::VerifyEmail
                | SecretKind::PasswordReset,
            )
            | None => Err(unauthenticated()),
        }
    }

    pub async fn me(&self, caller: &Caller) -> Result<Me> {
        match &caller.principal {
            Principal::User(u) => {
                let (user, account) = self
                    .deps
                    .store
                    .user_with_account(u.user_id)
                    .await?
                    .ok_or(Error::NotFound(Resource::User))?;
                Ok(Me::User {
                    user: Box::new(user),
                    account: Box::new(account),
                })
            }
            Principal::Service(s) => {
                let token = self
                    .deps
                    .store
                    .list_api_tokens()
                    .await?
                    .into_iter()
                    .find(|t| t.id == s.token_id)
                    .ok_or_else(|| Error::Unauthenticated(BAD_TOKEN.to_owned()))?;
                Ok(Me::Service(token))
            }
        }
    }

    /// The user a login name stands for whose password this is. A name can be one user's
    /// email address and another's username (usernames may contain `@`), so each user it names
    /// is tried with their own password: nobody can take over or block another's login by
    /// choosing a name that matches theirs. A locked-out user is tried against a dummy hash, as
    /// is a name that names nobody, so every answer takes the same hashing work and a lock
    /// looks exactly like a wrong password. The users tried and not matched are returned.
    async fn verified_login_record(
        &self,
        raw: &str,
        candidate: &Password,
        now: OffsetDateTime,
    ) -> Result<LoginAttempt> {
        let names = LoginNames {
            email: Email::parse(raw).ok().map(|e| e.normalized()),
            username: Username::parse(raw).ok().map(|u| u.normalized()),
        };
        let named = if names == LoginNames::default() {
            Vec::new()
        } else {
            self.deps.store.login_records(&names).await?
        };
        let mut attempt = LoginAttempt {
            matched: None,
            failed: Vec::new(),
        };
        if named.is_empty() {
            self.deps.hasher.verify(candidate, None).await?;
            return Ok(attempt);
        }
        for record in named {
            let locked = record.user.locked_until.is_some_and(|until| until > now);
            let hash = if locked {
                None
            } else {
                record.password_hash.as_deref()
            };
            if self.deps.hasher.verify(candidate, hash).await? {
                attempt.matched = Some(record);
                return Ok(attempt);
            }
            attempt.failed.push(record.user.id);
        }
        Ok(attempt)
    }

    fn check_session_usable(&self, session: &Session) -> Result<()> {
        if session.user_status != UserStatus::Active {
            return Err(Error::Unauthenticated(USER_DISABLED.to_owned()));
        }
        if session.account_status != AccountStatus::Active {
            return Err(Error::Unauthenticated(account_not_active(
                session.account_status,
            )));
        }
        Ok(())
    }

    fn session_tokens(
        &self,
        access: &SecretToken,
        refresh: &SecretToken,
        access_ttl: Duration,
        now: OffsetDateTime,
    ) -> SessionTokens {
        SessionTokens {
            access_hash: access.hash(),
            refresh_hash: refresh.hash(),
            access_expires: now + access_ttl,
            refresh_expires: now + self.deps.config.refresh_token_ttl,
            now,
        }
    }

    fn new_session(
        &self,
        user: User,
        verified_hash: String,
        access_ttl: Duration,
        now: OffsetDateTime,
    ) -> (IssuedTokens, NewSession) {
        let access_token = SecretToken::generate(SecretKind::Access);
        let refresh_token = SecretToken::generate(SecretKind::Refresh);
        let session = NewSession {
            user_id: user.id,
            verified_hash,
            tokens: self.session_tokens(&access_token, &refresh_token, access_ttl, now),
        };
        let tokens = IssuedTokens {
            access_token,
            refresh_token,
            expires_in: access_ttl.whole_seconds(),
            user,
        };
        (tokens, session)
    }
}

/// The answer to the right password of a user whose account is not active; surfaces that word
/// it differently compare against this.
pub fn account_not_active(status: AccountStatus) -> String {
    format!("this account is {}", status.as_str())
}
