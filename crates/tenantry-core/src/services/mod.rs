//! The use cases. Each service method takes the [`Caller`], checks scope and permission against
//! the records involved, then calls the store once. HTTP surfaces only translate to and from
//! these calls.
//!
//! - [`accounts`]: the account tree and seat moves.
//! - [`users`]: users, roles, profile and password changes.
//! - [`devices`]: devices and the seats they occupy.
//! - [`auth`]: login, refresh, logout, and turning a bearer token into a [`Caller`].
//! - [`service_tokens`]: the owner tokens that bootstrap and operate an installation.
//! - [`audit`]: reading the audit trail.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod devices;
pub mod service_tokens;
pub mod users;

use std::sync::Arc;

use time::Duration;

use crate::auth::PasswordHasher;
use crate::clock::Clock;
use crate::error::{Error, Resource, Result};
use crate::model::{Account, AccountId, User, UserId};
use crate::store::Store;

#[derive(Debug, Clone, Copy)]
pub struct ServiceConfig {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::hours(1),
            refresh_token_ttl: Duration::days(30),
        }
    }
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
    pub auth: auth::AuthService,
    pub service_tokens: service_tokens::ServiceTokenService,
    pub audit: audit::AuditService,
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
            auth: auth::AuthService::new(deps.clone()),
            service_tokens: service_tokens::ServiceTokenService::new(deps.clone()),
            audit: audit::AuditService::new(deps.clone()),
            deps,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.deps.store
    }

    pub fn config(&self) -> ServiceConfig {
        self.deps.config
    }
}
