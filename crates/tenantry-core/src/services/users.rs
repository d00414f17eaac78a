//! Users: create, read, change, delete, list, roles and password changes.
//!
//! Rank rules: nobody creates a user, or grants a role, above their own rank; nobody changes or
//! deletes a user who outranks them; nobody changes their own role or status.

use std::sync::Arc;

use serde_json::json;

use super::{Deps, Within};
use crate::auth::{Caller, Permission, Role};
use crate::error::{Error, Resource, Result};
use crate::model::user::{EndSessions, NewUser, UserChanges};
use crate::model::{AccountId, User, UserId, UserStatus};
use crate::query::ast::Literal;
use crate::query::{CmpOp, Filter};
use crate::query::{ListPage, ListRequest, ListResource};
use crate::store::Scope;
use crate::values::{Email, Password, Preferences, Text, Username};

#[derive(Debug, Clone)]
pub struct CreateUser {
    pub email: Email,
    pub username: Option<Username>,
    pub first_name: Option<Text>,
    pub last_name: Option<Text>,
    pub role: Role,
    /// Without one the user cannot log in until a password is set for them.
    pub password: Option<Password>,
    pub preferences: Option<Preferences>,
    /// The user agreed to the terms of service as they were created.
    pub terms_agreed: bool,
}

/// A parsed partial update; `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default)]
pub struct UpdateUser {
    pub email: Option<Email>,
    pub username: Option<Option<Username>>,
    pub first_name: Option<Option<Text>>,
    pub last_name: Option<Option<Text>>,
    pub status: Option<UserStatus>,
    pub preferences: Option<Preferences>,
    pub terms_agreed: Option<bool>,
    /// A new role, under the same rules as [`UserService::set_role`]; changed together with
    /// the other fields or not at all.
    pub role: Option<Role>,
    /// A new password set by an administrator (never by the user themselves, who must prove
    /// the current one); it ends the user's sessions.
    pub password: Option<Password>,
}

#[derive(Clone)]
pub struct UserService {
    deps: Arc<Deps>,
}

impl UserService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    pub async fn create(
        &self,
        caller: &Caller,
        account_id: AccountId,
        command: CreateUser,
    ) -> Result<User> {
        let account = self.deps.account(account_id).await?;
        caller.require(Permission::AddUsers, &account.path, Resource::Account)?;
        caller.require_rank_at_least(command.role, "creating a user with this role")?;
        let password_hash = match &command.password {
            Some(password) => Some(self.deps.hasher.hash(password).await?),
            None => None,
        };
        let now = self.deps.clock.now();
        let audit = caller
            .audit("user.create", now)
            .with_details(json!({ "role": command.role.as_str() }));
        let new = new_user(account_id, command, password_hash, now);
        self.deps.store.insert_user(new, audit).await
    }

    /// Anyone may read themselves; reading others needs "View Users" over their account.
    pub async fn get(&self, caller: &Caller, id: UserId) -> Result<User> {
        let user = self.deps.user(id).await?;
        if caller.user_id() != Some(id) {
            caller.require(Permission::ViewUsers, &user.account_path, Resource::User)?;
        }
        Ok(user)
    }

    pub async fn update(&self, caller: &Caller, id: UserId, command: UpdateUser) -> Result<User> {
        let user = self.deps.user(id).await?;
        if caller.user_id() == Some(id) {
            if command.status.is_some() {
                return Err(Error::forbidden("you cannot change your own status"));
            }
            if command.password.is_some() {
                return Err(Error::forbidden(
                    "change your own password with your current password",
                ));
            }
            if command.role.is_some() {
                return Err(Error::forbidden("you cannot change your own role"));
            }
        } else {
            self.require_authority_over(caller, &user, Permission::EditUsers)?;
        }
        if let Some(role) = command.role {
            caller.require_rank_at_least(role, "granting this role")?;
        }
        let password_hash = match &command.password {
            Some(password) => Some(self.deps.hasher.hash(password).await?),
            None => None,
        };
        let now = self.deps.clock.now();
        let disabling = command.status == Some(UserStatus::Disabled);
        let ends_sessions = disabling || password_hash.is_some();
        let changes = UserChanges {
            email: command
                .email
                .map(|e| (e.as_str().to_owned(), e.normalized())),
            username: command
                .username
                .map(|u| u.map(|u| (u.as_str().to_owned(), u.normalized()))),
            first_name: command.first_name.map(|n| n.map(Text::into_string)),
            last_name: command.last_name.map(|n| n.map(Text::into_string)),
            status: command.status,
            role: command.role,
            preferences: command.preferences,
            terms_agreed: command.terms_agreed,
            password_hash,
            end_sessions: if ends_sessions {
                EndSessions::All
            } else {
                EndSessions::None
            },
            expected_role: Some(user.role),
            ..UserChanges::at(now)
        };
        if changes.is_empty() {
            return Err(Error::invalid("the request changes nothing"));
        }
        let audit = caller.audit("user.update", now).with_details(json!({
            "fields": changes.field_names(),
            "status": changes.status.map(UserStatus::as_str),
            "role": changes.role.map(Role::as_str),
        }));
        self.deps.store.update_user(id, changes, audit).await
    }

    pub async fn delete(&self, caller: &Caller, id: UserId) -> Result<()> {
        let user = self.deps.user(id).await?;
        if caller.user_id() == Some(id) {
            return Err(Error::forbidden("you cannot delete yourself"));
        }
        self.require_authority_over(caller, &user, Permission::DeleteUsers)?;
        let audit = caller.audit("user.delete", self.deps.clock.now());
        self.deps
            .store
            .delete_user(id, Some(user.role), audit)
            .await
    }

    /// Lifts a user's login lock (after repeated wrong passwords) before it lifts by itself.
    /// Needs authority to edit the user.
    pub async fn unlock(&self, caller: &Caller, id: UserId) -> Result<User> {
        let user = self.deps.user(id).await?;
        self.require_authority_over(caller, &user, Permission::EditUsers)?;
        let audit = caller.audit("user.unlock", self.deps.clock.now());
        self.deps.store.unlock_user(id, audit).await
    }

    pub async fn set_role(&self, caller: &Caller, id: UserId, role: Role) -> Result<User> {
        let user = self.deps.user(id).await?;
        if caller.user_id() == Some(id) {
            // Checked after the lookup so the answer is the same as for any other visible user.
            return Err(Error::forbidden("you cannot change your own role"));
        }
        self.require_authority_over(caller, &user, Permission::EditUsers)?;
        caller.require_rank_at_least(role, "granting this role")?;
        let now = self.deps.clock.now();
        let changes = UserChanges {
            role: Some(role),
            expected_role: Some(user.role),
            ..UserChanges::at(now)
        };
        let audit = caller
            .audit("user.role.set", now)
            .with_details(json!({ "from": user.role.as_str(), "to": role.as_str() }));
        self.deps.store.update_user(id, changes, audit).await
    }

    /// Users within part of the tree, filtered, sorted and paged as the request says. Needs
    /// "View Users" over that part.
    pub async fn list(
        &self,
        caller: &Caller,
        within: Within,
        mut request: ListRequest,
    ) -> Result<ListPage<User>> {
        self.deps.prepare(&mut request, ListResource::Users)?;
        let scope = self
            .deps
            .scope(caller, within, Permission::ViewUsers)
            .await?;
        let rows = self.deps.store.list_users(&scope, &request).await?;
        self.deps.page(rows, &scope, &request).await
    }

    /// The user with this email address, if the caller may see them.
    pub async fn find_by_email(&self, caller: &Caller, email: &Email) -> Result<User> {
        let field = ListResource::Users
            .field("email")
            .ok_or_else(|| Error::internal("users have no email field"))?;
        let filter = Filter::cmp(field, CmpOp::Eq, Literal::Str(email.as_str().to_owned()))
            .map_err(Error::internal)?;
        let request = ListRequest {
            filter: Some(filter),
            ..ListRequest::all(ListResource::Users, 1)
        };
        let found = self
            .deps
            .store
            .list_users(&Scope::All, &request)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound(Resource::User))?;
        if caller.user_id() != Some(found.id) {
            caller.require(Permission::ViewUsers, &found.account_path, Resource::User)?;
        }
        Ok(found)
    }

    /// A user changes their own password, proving the current one. Their other sessions end.
    pub async fn change_own_password(
        &self,
        caller: &Caller,
        current: &Password,
        new: &Password,
    ) -> Result<()> {
        let Some(me) = caller.principal.as_user() else {
            return Err(Error::forbidden("only users have passwords"));
        };
        let stored = self.deps.store.password_hash(me.user_id).await?;
        if !self.deps.hasher.verify(current, stored.as_deref()).await? {
            return Err(Error::invalid_field(
                "current_password",
                "does not match your current password",
            ));
        }
        let now = self.deps.clock.now();
        let changes = UserChanges {
            password_hash: Some(self.deps.hasher.hash(new).await?),
            end_sessions: me
                .session_id
                .map_or(EndSessions::All, EndSessions::AllExcept),
            ..UserChanges::at(now)
        };
        let audit = caller.audit("user.password.change", now);
        self.deps
            .store
            .update_user(me.user_id, changes, audit)
            .await
            .map(|_| ())
    }

    /// In scope, holding `permission`, and not outranked by the target.
    /// Fails unless the caller may change this user (themselves, or with "Edit Users" and a
    /// rank at least theirs); for a request that turns out to change nothing, which must still
    /// be refused to whoever may not edit.
    pub fn check_editable(&self, caller: &Caller, user: &User) -> Result<()> {
        if caller.user_id() == Some(user.id) {
            return Ok(());
        }
        self.require_authority_over(caller, user, Permission::EditUsers)
    }

    fn require_authority_over(
        &self,
        caller: &Caller,
        target: &User,
        permission: Permission,
    ) -> Result<()> {
        caller.require(permission, &target.account_path, Resource::User)?;
        caller.require_rank_at_least(target.role, "changing this user")
    }
}

/// The stored form of a new user.
pub(super) fn new_user(
    account_id: AccountId,
    command: CreateUser,
    password_hash: Option<String>,
    now: time::OffsetDateTime,
) -> NewUser {
    NewUser {
        account_id,
        email_normalized: command.email.normalized(),
        email: command.email.as_str().to_owned(),
        username_normalized: command.username.as_ref().map(Username::normalized),
        username: command.username.map(|u| u.as_str().to_owned()),
        first_name: command.first_name.map(Text::into_string),
        last_name: command.last_name.map(Text::into_string),
        role: command.role,
        status: UserStatus::Active,
        email_verified: false,
        terms_agreed: command.terms_agreed,
        password_hash,
        preferences: command.preferences.unwrap_or_default(),
        now,
    }
}
