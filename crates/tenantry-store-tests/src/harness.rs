//! A ready-made installation on a fresh database: services with a manual clock and cheap
//! password hashing, a service owner token, and helpers to build trees and users.

use std::any::Any;
use std::sync::Arc;

use tenantry_core::auth::{Caller, HashParams, PasswordHasher, Role};
use tenantry_core::clock::ManualClock;
use tenantry_core::model::{
    Account, AccountId, AccountStatus, Actor, AuditRecord, User, UserId, UserStatus,
};
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::services::accounts::{CreateAccount, UpdateAccount};
use tenantry_core::services::users::{CreateUser, UpdateUser};
use tenantry_core::services::{ServiceConfig, Services};
use tenantry_core::store::Store;
use tenantry_core::values::{Email, Password, Text, TextLimit};
use time::macros::datetime;

/// A fresh, empty, migrated database, plus whatever keeps it alive (a temporary directory, a
/// PostgreSQL schema to drop).
pub struct TestDb {
    pub store: Arc<dyn Store>,
    pub keep_alive: Option<Box<dyn Any + Send + Sync>>,
}

pub const PASSWORD: &str = "correct horse battery";

pub struct Harness {
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub services: Services,
    /// Acting with a service owner token.
    pub service: Caller,
    _keep_alive: Option<Box<dyn Any + Send + Sync>>,
}

pub fn text(s: &str) -> Text {
    Text::parse(s, TextLimit::NAME).expect("valid test text")
}

pub fn email(s: &str) -> Email {
    Email::parse(s).expect("valid test email")
}

pub fn password(s: &str) -> Password {
    Password::parse(s).expect("valid test password")
}

impl Harness {
    pub async fn new(db: TestDb) -> Harness {
        let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 12:00 UTC)));
        let hasher = PasswordHasher::new(HashParams::INSECURE_FAST_FOR_TESTS, 4).expect("hasher");
        let services = Services::new(
            db.store.clone(),
            clock.clone(),
            hasher,
            ServiceConfig::default(),
        );
        let (_, secret) = services
            .service_tokens
            .create(Actor::Cli, text("test service token"), None)
            .await
            .expect("service token");
        let service = services
            .auth
            .authenticate(secret.expose(), Some("req-service".into()))
            .await
            .expect("service token authenticates");
        Harness {
            store: db.store,
            clock,
            services,
            service,
            _keep_alive: db.keep_alive,
        }
    }

    pub async fn root(&self, name: &str, seats: i64) -> Account {
        self.create_account(None, name, seats).await
    }

    pub async fn child(&self, parent: &Account, name: &str, seats: i64) -> Account {
        self.create_account(Some(parent.id), name, seats).await
    }

    async fn create_account(&self, parent: Option<AccountId>, name: &str, seats: i64) -> Account {
        self.services
            .accounts
            .create(&self.service, account_command(parent, name, seats))
            .await
            .expect("create account")
    }

    /// Suspends, deactivates or reactivates an account, as the service owner.
    pub async fn set_account_status(&self, id: AccountId, status: AccountStatus) -> Account {
        let change = UpdateAccount {
            status: Some(status),
            ..UpdateAccount::default()
        };
        self.services
            .accounts
            .update(&self.service, id, change)
            .await
            .expect("set the account's status")
    }

    /// Disables or enables a user, as the service owner.
    pub async fn set_user_status(&self, id: UserId, status: UserStatus) -> User {
        let change = UpdateUser {
            status: Some(status),
            ..UpdateUser::default()
        };
        self.services
            .users
            .update(&self.service, id, change)
            .await
            .expect("set the user's status")
    }

    /// The newest `limit` audit records, newest first, as the service owner sees them.
    pub async fn newest_audit(&self, limit: u32) -> Vec<AuditRecord> {
        self.services
            .audit
            .list(
                &self.service,
                tenantry_core::services::Within::Visible,
                first(ListResource::Audit, limit),
            )
            .await
            .expect("list the audit trail")
            .items
    }

    /// Creates a user with [`PASSWORD`] and logs them in.
    pub async fn user(&self, account: &Account, address: &str, role: Role) -> (User, Caller) {
        let user = self
            .services
            .users
            .create(&self.service, account.id, user_command(address, role))
            .await
            .expect("create user");
        let caller = self.login(address).await;
        (user, caller)
    }

    pub async fn login(&self, address: &str) -> Caller {
        let tokens = self
            .services
            .auth
            .login(address, PASSWORD, Some("req-login".into()))
            .await
            .expect("login");
        self.caller(tokens.access_token.expose()).await
    }

    pub async fn caller(&self, access_token: &str) -> Caller {
        self.services
            .auth
            .authenticate(access_token, Some("req-test".into()))
            .await
            .expect("token authenticates")
    }

    pub fn clock_now(&self) -> time::OffsetDateTime {
        tenantry_core::clock::Clock::now(self.clock.as_ref())
    }

    /// The token in the newest mail of `kind` to `recipient`, read from the outbox as the
    /// dispatcher would.
    pub async fn mailed_token(
        &self,
        kind: tenantry_core::model::MailKind,
        recipient: &str,
    ) -> String {
        let filter = tenantry_core::model::mail::MailFilter {
            limit: 500,
            ..Default::default()
        };
        self.store
            .mails(None, &filter)
            .await
            .expect("read the outbox")
            .into_iter()
            .find(|m| m.kind == kind && m.recipient == recipient)
            .and_then(|m| m.token)
            .unwrap_or_else(|| panic!("no {kind:?} mail with a token to {recipient}"))
    }

    /// Asks for a password reset for `address` and returns the token the mail carries.
    pub async fn reset_link(&self, address: &str) -> String {
        let address = tenantry_core::values::Email::parse(address).expect("an address");
        self.services
            .onboarding
            .forgot_password(&address, None)
            .await
            .expect("ask for a reset");
        self.mailed_token(
            tenantry_core::model::MailKind::PasswordReset,
            address.normalized().as_str(),
        )
        .await
    }

    /// Re-reads an account.
    pub async fn reload(&self, account: &Account) -> Account {
        self.store
            .account(account.id)
            .await
            .expect("read account")
            .expect("account exists")
    }
}

/// The first `limit` rows of `resource`, in its default order.
pub fn first(resource: ListResource, limit: u32) -> ListRequest {
    ListRequest::all(resource, limit)
}

/// The same request continuing from `cursor`.
pub fn next(mut request: ListRequest, cursor: Option<&str>) -> ListRequest {
    request.cursor = cursor.map(str::to_owned);
    request.after = None;
    request
}

pub fn account_command(parent: Option<AccountId>, name: &str, seats: i64) -> CreateAccount {
    CreateAccount {
        parent_id: parent,
        name: text(name),
        email: None,
        description: None,
        external_id: None,
        device_seats: seats,
        suspended: false,
    }
}

pub fn user_command(address: &str, role: Role) -> CreateUser {
    CreateUser {
        email: email(address),
        username: None,
        first_name: Some(text("Test")),
        last_name: Some(text("User")),
        role,
        password: Some(password(PASSWORD)),
        preferences: None,
        terms_agreed: false,
    }
}
