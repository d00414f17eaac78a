//! The account tree: create, read, change, delete, list below, and move seats.

use std::sync::Arc;

use serde_json::json;

use super::{Deps, Within};
use crate::auth::{Caller, Permission};
use crate::error::{Error, Resource, Result};
use crate::model::account::{AccountChanges, DEFAULT_LOG_RETENTION, MAX_LOG_RETENTION, NewAccount};
use crate::model::user::NewUser;
use crate::model::{Account, AccountId, AccountStatus, User, UserStatus};
use crate::query::ast::Literal;
use crate::query::{CmpOp, Filter, ListPage, ListRequest, ListResource};
use crate::seats;
use crate::services::users::CreateUser;
use crate::store::AccountDeletion;
use crate::values::{Email, Text, Username};

/// A parsed request to create an account. `parent_id: None` creates a root (a tenant).
#[derive(Debug, Clone)]
pub struct CreateAccount {
    pub parent_id: Option<AccountId>,
    pub name: Text,
    pub email: Option<Email>,
    pub description: Option<Text>,
    pub external_id: Option<Text>,
    pub device_seats: i64,
    /// Created suspended (ControlByWeb lets a parent do this in one step).
    pub suspended: bool,
}

/// A parsed partial update; `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default)]
pub struct UpdateAccount {
    pub name: Option<Text>,
    pub email: Option<Option<Email>>,
    pub description: Option<Option<Text>>,
    pub external_id: Option<Option<Text>>,
    pub status: Option<AccountStatus>,
    pub device_seats: Option<i64>,
    pub log_retention: Option<i64>,
    /// With a status other than active: disable the account's users as well.
    pub disable_users: bool,
}

#[derive(Clone)]
pub struct AccountService {
    deps: Arc<Deps>,
}

impl AccountService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    pub async fn create(&self, caller: &Caller, command: CreateAccount) -> Result<Account> {
        seats::validate_allocation(command.device_seats)?;
        match command.parent_id {
            None => caller.require_service("creating a root account (a tenant)")?,
            Some(parent_id) => {
                let parent = self.deps.account(parent_id).await?;
                caller.require(Permission::AddAccounts, &parent.path, Resource::Account)?;
            }
        }
        let now = self.deps.clock.now();
        let new = NewAccount {
            parent_id: command.parent_id,
            name: command.name.into_string(),
            email: command.email.map(|e| e.as_str().to_owned()),
            description: command.description.map(Text::into_string),
            external_id: command.external_id.map(Text::into_string),
            status: if command.suspended {
                AccountStatus::Suspended
            } else {
                AccountStatus::Active
            },
            device_seats: command.device_seats,
            log_retention: DEFAULT_LOG_RETENTION,
            now,
        };
        let audit = caller
            .audit("account.create", now)
            .with_details(json!({ "parent_id": command.parent_id.map(AccountId::get), "device_seats": command.device_seats }));
        self.deps.store.insert_account(new, audit).await
    }

    /// Creates a root account together with its first user, in one transaction. Needs a
    /// service owner token, like any root account.
    pub async fn create_tenant(
        &self,
        caller: &Caller,
        account: CreateAccount,
        first_user: CreateUser,
    ) -> Result<(Account, User)> {
        caller.require_service("creating a tenant")?;
        if account.parent_id.is_some() {
            return Err(Error::invalid_field(
                "parent_id",
                "a tenant is a root account",
            ));
        }
        seats::validate_allocation(account.device_seats)?;
        if account.suspended {
            return Err(Error::invalid_field(
                "suspended",
                "a new tenant cannot start suspended",
            ));
        }
        let now = self.deps.clock.now();
        let password_hash = match &first_user.password {
            Some(password) => Some(self.deps.hasher.hash(password).await?),
            None => None,
        };
        let new_account = NewAccount {
            parent_id: None,
            name: account.name.into_string(),
            email: account.email.map(|e| e.as_str().to_owned()),
            description: account.description.map(Text::into_string),
            external_id: account.external_id.map(Text::into_string),
            status: AccountStatus::Active,
            device_seats: account.device_seats,
            log_retention: DEFAULT_LOG_RETENTION,
            now,
        };
        let new_user = NewUser {
            account_id: AccountId(0),
            email_normalized: first_user.email.normalized(),
            email: first_user.email.as_str().to_owned(),
            username_normalized: first_user.username.as_ref().map(Username::normalized),
            username: first_user.username.map(|u| u.as_str().to_owned()),
            first_name: first_user.first_name.map(Text::into_string),
            last_name: first_user.last_name.map(Text::into_string),
            role: first_user.role,
            status: UserStatus::Active,
            email_verified: false,
            terms_agreed: first_user.terms_agreed,
            password_hash,
            preferences: first_user.preferences.unwrap_or_default(),
            now,
        };
        let audit = caller.audit("account.create", now);
        self.deps
            .store
            .insert_tenant(new_account, new_user, None, audit)
            .await
    }

    pub async fn get(&self, caller: &Caller, id: AccountId) -> Result<Account> {
        let account = self.deps.account(id).await?;
        caller.require(Permission::ViewAccounts, &account.path, Resource::Account)?;
        Ok(account)
    }

    /// The free seats of the account's parent, 0 for a root: how many more seats the account
    /// could be given (ControlByWeb's `parent_free_devices`). Needs "View Accounts" on the
    /// account, not on its parent.
    pub async fn parent_free_seats(&self, caller: &Caller, account: &Account) -> Result<i64> {
        caller.require(Permission::ViewAccounts, &account.path, Resource::Account)?;
        match account.parent_id {
            None => Ok(0),
            Some(parent_id) => Ok(self.deps.account(parent_id).await?.free_seats()),
        }
    }

    /// Fails unless the caller may edit the account ("Edit Accounts" over it); for a request
    /// that turns out to change nothing, which must still be refused to whoever may not edit.
    pub fn check_editable(&self, caller: &Caller, account: &Account) -> Result<()> {
        caller.require(Permission::EditAccounts, &account.path, Resource::Account)
    }

    pub async fn update(
        &self,
        caller: &Caller,
        id: AccountId,
        command: UpdateAccount,
    ) -> Result<Account> {
        let account = self.deps.account(id).await?;
        caller.require(Permission::EditAccounts, &account.path, Resource::Account)?;
        let own_account = caller
            .principal
            .as_user()
            .is_some_and(|u| u.account_id == account.id);
        if let Some(seats) = command.device_seats {
            seats::validate_allocation(seats)?;
            if account.is_root() {
                caller.require_service("changing a root account's seats")?;
            } else if own_account {
                return Err(Error::forbidden(
                    "an account's seats can only be changed from an account above it",
                ));
            }
        }
        if let Some(level) = command.log_retention
            && !(0..=MAX_LOG_RETENTION).contains(&level)
        {
            return Err(Error::invalid_field(
                "log_retention",
                format!("must be between 0 and {MAX_LOG_RETENTION}"),
            ));
        }
        if command.status.is_some() && own_account {
            return Err(Error::forbidden(
                "an account's status can only be changed from an account above it",
            ));
        }
        // Retention is what the account is entitled to keep, like its seats: set from above.
        if command.log_retention.is_some() && own_account {
            return Err(Error::forbidden(
                "an account's log retention can only be changed from an account above it",
            ));
        }
        let now = self.deps.clock.now();
        let changes = AccountChanges {
            name: command.name.map(Text::into_string),
            email: command.email.map(|e| e.map(|e| e.as_str().to_owned())),
            description: command.description.map(|d| d.map(Text::into_string)),
            external_id: command.external_id.map(|x| x.map(Text::into_string)),
            status: command.status,
            device_seats: command.device_seats,
            log_retention: command.log_retention,
            disable_users: command.disable_users,
            outranked_by: caller.principal.as_user().map(|u| u.role),
            now,
        };
        if command.disable_users && command.status.is_none_or(|s| s == AccountStatus::Active) {
            return Err(Error::internal(
                "disabling an account's users goes with deactivating it",
            ));
        }
        if command.disable_users {
            caller.require(Permission::EditUsers, &account.path, Resource::Account)?;
        }
        if changes.is_empty() {
            return Err(Error::invalid("the request changes nothing"));
        }
        let audit = caller.audit("account.update", now).with_details(json!({
            "fields": changes.field_names(),
            "status": changes.status.map(AccountStatus::as_str),
            "device_seats": changes.device_seats,
            "disable_users": changes.disable_users,
        }));
        self.deps.store.update_account(id, changes, audit).await
    }

    /// Deletes an account with its users and devices; refused while it has child accounts.
    /// Deleting the caller's own account needs the "Close Account" permission (owners).
    pub async fn delete(&self, caller: &Caller, id: AccountId) -> Result<()> {
        let account = self.deps.account(id).await?;
        let own_account = caller
            .principal
            .as_user()
            .is_some_and(|u| u.account_id == account.id);
        let permission = if own_account {
            Permission::CloseAccount
        } else {
            Permission::DeleteAccounts
        };
        caller.require(permission, &account.path, Resource::Account)?;
        // Deleting an account deletes its users, so nobody may delete one holding a user who
        // outranks them; the store checks this inside the delete's transaction.
        let rule = AccountDeletion {
            outranked_by: caller.principal.as_user().map(|u| u.role),
            only_if_empty: false,
        };
        let audit = caller.audit("account.delete", self.deps.clock.now());
        self.deps.store.delete_account(id, rule, audit).await
    }

    /// Deletes an account below the caller's own, only while it has no children, users or
    /// devices (ControlByWeb's rule). Needs "Delete Accounts".
    pub async fn delete_empty(&self, caller: &Caller, id: AccountId) -> Result<()> {
        let account = self.deps.account(id).await?;
        caller.require(Permission::DeleteAccounts, &account.path, Resource::Account)?;
        if caller
            .principal
            .as_user()
            .is_some_and(|u| u.account_id == account.id)
        {
            return Err(Error::forbidden("you cannot delete your own account"));
        }
        let rule = AccountDeletion {
            outranked_by: None,
            only_if_empty: true,
        };
        let audit = caller.audit("account.delete", self.deps.clock.now());
        self.deps.store.delete_account(id, rule, audit).await
    }

    /// The first account (lowest id) with this email address, if the caller may see it.
    pub async fn find_by_email(&self, caller: &Caller, email: &Email) -> Result<Account> {
        let field = ListResource::Accounts
            .field("email")
            .ok_or_else(|| Error::internal("accounts have no email field"))?;
        let filter = Filter::cmp(field, CmpOp::Eq, Literal::Str(email.as_str().to_owned()))
            .map_err(Error::internal)?;
        let request = ListRequest {
            filter: Some(filter),
            ..ListRequest::all(ListResource::Accounts, 1)
        };
        let scope = self
            .deps
            .scope(caller, Within::Visible, Permission::ViewAccounts)
            .await?;
        self.deps
            .store
            .list_accounts(&scope, &request)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound(Resource::Account))
    }

    /// Accounts within part of the tree, filtered, sorted and paged as the request says.
    pub async fn list(
        &self,
        caller: &Caller,
        within: Within,
        mut request: ListRequest,
    ) -> Result<ListPage<Account>> {
        self.deps.prepare(&mut request, ListResource::Accounts)?;
        let scope = self
            .deps
            .scope(caller, within, Permission::ViewAccounts)
            .await?;
        let rows = self.deps.store.list_accounts(&scope, &request).await?;
        self.deps.page(rows, &scope, &request).await
    }

    /// The role keys granted to an account (Cloud Elements' account roles). Needs "View
    /// Accounts" there.
    pub async fn roles(&self, caller: &Caller, id: AccountId) -> Result<Vec<String>> {
        let account = self.deps.account(id).await?;
        caller.require(Permission::ViewAccounts, &account.path, Resource::Account)?;
        self.deps.store.account_roles(id).await
    }

    /// Grants (or withdraws) a role key on an account; `Conflict` if it already was (or was
    /// not). Needs "Edit Accounts" there. The key's meaning is the surface's to check.
    pub async fn set_role(
        &self,
        caller: &Caller,
        id: AccountId,
        key: &str,
        granted: bool,
    ) -> Result<()> {
        let account = self.deps.account(id).await?;
        caller.require(Permission::EditAccounts, &account.path, Resource::Account)?;
        let well_formed = !key.is_empty()
            && key.len() <= 64
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(Error::invalid_field("role", "is not a role key"));
        }
        let action = if granted {
            "account.role.grant"
        } else {
            "account.role.revoke"
        };
        let audit = caller.audit(action, self.deps.clock.now());
        let changed = self
            .deps
            .store
            .set_account_role(id, key, granted, audit)
            .await?;
        match (changed, granted) {
            (true, _) => Ok(()),
            (false, true) => Err(Error::conflict("the account already has this role")),
            (false, false) => Err(Error::NotFound(Resource::Role)),
        }
    }

    /// Moves `delta` seats from account `parent_id` to its direct child `child_id`; a negative
    /// delta moves seats back up.
    pub async fn move_seats(
        &self,
        caller: &Caller,
        parent_id: AccountId,
        child_id: AccountId,
        delta: i64,
    ) -> Result<(Account, Account)> {
        let parent = self.deps.account(parent_id).await?;
        caller.require(Permission::EditAccounts, &parent.path, Resource::Account)?;
        if delta == 0 {
            return Err(Error::invalid_field("seats", "must not be zero"));
        }
        if delta.unsigned_abs() > seats::MAX_SEATS.unsigned_abs() {
            return Err(Error::invalid_field(
                "seats",
                format!("must be between -{0} and {0}", seats::MAX_SEATS),
            ));
        }
        let child = match self.deps.store.account(child_id).await? {
            Some(child) if child.parent_id == Some(parent.id) => child,
            _ => {
                return Err(Error::invalid_field(
                    "child_id",
                    "must be a direct child of this account",
                ));
            }
        };
        let audit = caller
            .audit("account.seats.move", self.deps.clock.now())
            .with_details(json!({ "child_id": child.id.get(), "seats": delta }));
        self.deps
            .store
            .move_seats(parent.id, child.id, delta, audit)
            .await
    }
}
