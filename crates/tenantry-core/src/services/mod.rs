//! The use cases. Each service method takes the [`Caller`], checks scope and permission against
//! the records involved, then calls the store once. HTTP surfaces only translate to and from
//! these calls.
//!
//! - [`accounts`]: the account tree and seat moves.
//! - [`users`]: users, roles, profile and password changes.
//! - [`devices`]: devices and the seats they occupy.
//! - [`auth`]: login, refresh, logout, and turning a bearer token into a [`Caller`].
//! - [`service_tokens`]: the owner tokens that bootstrap and operate an installation.
//! - [`device_tokens`]: certificate request tokens and device seat tokens (ControlByWeb).
//! - [`org_secrets`]: user and organization secrets, and callers authenticated by them (Cloud
//!   Elements).
//! - [`invitations`]: inviting users by mail, and accepting, resending and revoking invitations.
//! - [`onboarding`]: sign-up, email verification and password reset.
//! - [`mail`]: reading the mail outbox.
//! - [`audit`]: reading the audit trail.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod device_tokens;
pub mod devices;
pub mod invitations;
pub mod mail;
pub mod onboarding;
pub mod org_secrets;
pub mod service_tokens;
pub mod users;

use std::sync::Arc;

use time::Duration;

use crate::auth::{Caller, PasswordHasher, Permission, Principal};
use crate::clock::Clock;
use crate::error::{Error, Resource, Result};
use crate::model::{Account, AccountId, User, UserId};
use crate::query::{CursorKey, Keyed, Keyset, ListPage, ListRequest, ListResource, Total};
use crate::store::{Scope, Store};

#[derive(Debug, Clone, Copy)]
pub struct ServiceConfig {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Signs list cursors; every server on one database must share it (see
    /// [`Store::installation_secret`]).
    pub cursor_key: CursorKey,
    /// Signs tokens that carry claims (e.g. the Cognito-style ID token); shared like the
    /// cursor key.
    pub signing_key: [u8; 32],
    /// Whether anyone may sign up, creating a tenant of their own.
    pub allow_signup: bool,
    pub invitation_ttl: Duration,
    pub email_verification_ttl: Duration,
    pub password_reset_ttl: Duration,
    /// The least time an answer that must not tell whether an address is registered takes
    /// (forgotten password, sign-up), so the work done for a registered one does not show.
    pub quiet_answer_time: std::time::Duration,
    pub lockout: crate::auth::lockout::LockoutPolicy,
    /// How often, at the least, the credential cache reads the database's revocation counter
    /// again: the longest a revocation committed by another process goes unseen here. Zero
    /// turns the cache off, so every request looks its token up.
    pub credential_recheck: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::hours(1),
            refresh_token_ttl: Duration::days(30),
            cursor_key: CursorKey::random(),
            signing_key: crate::auth::secret::random_key(),
            allow_signup: true,
            invitation_ttl: Duration::days(7),
            email_verification_ttl: Duration::days(3),
            password_reset_ttl: Duration::hours(1),
            quiet_answer_time: std::time::Duration::from_millis(250),
            lockout: crate::auth::lockout::LockoutPolicy::default(),
            credential_recheck: Duration::milliseconds(1),
        }
    }
}

/// Which part of the tree a list covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    /// Everything the caller may see: its account's subtree, or everything for a service token.
    Visible,
    /// One account's own rows; for accounts, its direct children.
    Account(AccountId),
    /// An account and everything below it.
    Subtree(AccountId),
    /// Everything strictly below an account.
    Below(AccountId),
}

/// What every service needs.
pub struct Deps {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub config: ServiceConfig,
}

impl Deps {
    async fn account(&self, id: AccountId) -> Result<Account> {
        self.store
            .account(id)
            .await?
            .ok_or(Error::NotFound(Resource::Account))
    }

    /// Resolves `within` for `caller`, who must hold `permission` over it.
    async fn scope(
        &self,
        caller: &Caller,
        within: Within,
        permission: Permission,
    ) -> Result<Scope> {
        let account = match within {
            Within::Visible => {
                return match &caller.principal {
                    Principal::Service(_) => Ok(Scope::All),
                    Principal::User(user) => {
                        caller.require(permission, &user.account_path, Resource::Account)?;
                        Ok(Scope::Subtree(user.account_path.clone()))
                    }
                };
            }
            Within::Account(id) | Within::Subtree(id) | Within::Below(id) => {
                self.account(id).await?
            }
        };
        caller.require(permission, &account.path, Resource::Account)?;
        Ok(match within {
            Within::Subtree(_) => Scope::Subtree(account.path),
            Within::Below(_) => Scope::Below(account.path),
            _ => Scope::account(&account),
        })
    }

    /// Checks a list request is for `resource` and turns its cursor into a position.
    fn prepare(&self, request: &mut ListRequest, resource: ListResource) -> Result<()> {
        if request.resource != resource {
            return Err(Error::internal(format!(
                "a {:?} list request reached the {resource:?} service",
                request.resource
            )));
        }
        request.resolve_cursor(&self.config.cursor_key)
    }

    /// Cuts the over-fetched rows to a page, signs the next cursor and adds the total asked for.
    async fn page<T: Keyed>(
        &self,
        mut rows: Vec<T>,
        scope: &Scope,
        request: &ListRequest,
    ) -> Result<ListPage<T>> {
        let limit = request.limit as usize;
        let mut next_cursor = None;
        if rows.len() > limit {
            rows.truncate(limit);
            if let Some(last) = rows.last() {
                let keyset = request.keyset_of(last);
                next_cursor = Some(request.cursor_after(&keyset, &self.config.cursor_key)?);
            }
        }
        let total = if request.count {
            let counted = self.store.count(scope, request, request.count_cap).await?;
            Some(Total::capped_at(counted, request.count_cap))
        } else {
            None
        };
        Ok(ListPage {
            items: rows,
            next_cursor,
            total,
        })
    }

    async fn user(&self, id: UserId) -> Result<User> {
        self.store
            .user(id)
            .await?
            .ok_or(Error::NotFound(Resource::User))
    }
}

/// All services, cheap to clone and share between request handlers.
#[derive(Clone)]
pub struct Services {
    pub accounts: accounts::AccountService,
    pub users: users::UserService,
    pub devices: devices::DeviceService,
    pub device_tokens: device_tokens::DeviceTokenService,
    pub secrets: org_secrets::SecretService,
    pub auth: auth::AuthService,
    pub service_tokens: service_tokens::ServiceTokenService,
    pub audit: audit::AuditService,
    pub invitations: invitations::InvitationService,
    pub onboarding: onboarding::OnboardingService,
    pub mail: mail::MailService,
    deps: Arc<Deps>,
}

impl Services {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        hasher: PasswordHasher,
        config: ServiceConfig,
    ) -> Self {
        let deps = Arc::new(Deps {
            store,
            clock,
            hasher,
            config,
        });
        Self {
            accounts: accounts::AccountService::new(deps.clone()),
            users: users::UserService::new(deps.clone()),
            devices: devices::DeviceService::new(deps.clone()),
            device_tokens: device_tokens::DeviceTokenService::new(deps.clone()),
            secrets: org_secrets::SecretService::new(deps.clone()),
            auth: auth::AuthService::new(deps.clone()),
            service_tokens: service_tokens::ServiceTokenService::new(deps.clone()),
            audit: audit::AuditService::new(deps.clone()),
            invitations: invitations::InvitationService::new(deps.clone()),
            onboarding: onboarding::OnboardingService::new(deps.clone()),
            mail: mail::MailService::new(deps.clone()),
            deps,
        }
    }

    /// What the store reports about itself (schema, connections, outbox), for probes and
    /// metrics; it says nothing about any tenant, so it needs no caller.
    pub async fn store_health(&self) -> Result<crate::model::health::StoreHealth> {
        self.deps.store.health().await
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.deps.store
    }

    pub fn config(&self) -> ServiceConfig {
        self.deps.config
    }

    /// The signed cursor continuing `request` after `position` (for surfaces that page both
    /// ways and so mint cursors of their own).
    pub fn cursor_after(&self, request: &ListRequest, position: &Keyset) -> Result<String> {
        request.cursor_after(position, &self.deps.config.cursor_key)
    }

    /// HMAC-SHA256 of `data` under the installation's signing key.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        crate::auth::secret::hmac_sha256(&self.deps.config.signing_key, data)
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.deps.clock.now()
    }
}
