//! Cloud Elements' credentials: user secrets and organization secrets, how callers are
//! authenticated by them, and who may see or rotate them.
//!
//! A user sees their own secret and their organization's (the console's `getSecrets`); an
//! administrator with authority over a user sees theirs (the vendor shows it when the user is
//! created); anyone who can see a user and knows their password may read it too (the vendor's
//! `elements-user-password` header). Rotation replaces a secret at once.

use std::sync::Arc;

use super::Deps;
use crate::auth::org_secrets::{self, SecretOwner, SecretOwnerKind};
use crate::auth::{Caller, Permission, Principal, UserPrincipal, derived};
use crate::error::{Error, Resource, Result};
use crate::model::secrets::{NewSecret, StoredSecret};
use crate::model::{AccountId, AccountStatus, Actor, AuditDraft, User, UserId, UserStatus};
use crate::values::Password;

const BAD_SECRETS: &str = "invalid user or organization secret";

#[derive(Clone)]
pub struct SecretService {
    deps: Arc<Deps>,
}

impl SecretService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    fn show(&self, stored: &StoredSecret) -> String {
        stored
            .owner
            .derive(&self.deps.config.signing_key, &stored.nonce)
    }

    fn fresh(&self, owner: SecretOwner) -> NewSecret {
        let nonce = derived::new_nonce();
        let secret = owner.derive(&self.deps.config.signing_key, &nonce);
        NewSecret {
            owner,
            nonce,
            hash: org_secrets::hash(&secret),
            now: self.deps.clock.now(),
        }
    }

    async fn ensure(&self, owner: SecretOwner) -> Result<String> {
        let stored = self.deps.store.ensure_secret(self.fresh(owner)).await?;
        Ok(self.show(&stored))
    }

    /// The caller's own user secret and their organization's secret.
    pub async fn own_secrets(&self, caller: &Caller) -> Result<(String, String)> {
        let Some(me) = caller.principal.as_user() else {
            return Err(Error::forbidden("service tokens have no user secret"));
        };
        let user = self.ensure(SecretOwner::User(me.user_id)).await?;
        let organization = self.ensure(SecretOwner::Organization(me.tenant_id)).await?;
        Ok((user, organization))
    }

    /// A user's secret, for themselves or for someone who may edit them and outranks them (the
    /// vendor shows it to whoever creates the user); a peer of equal rank gets `Forbidden`.
    pub async fn user_secret(&self, caller: &Caller, user: &User) -> Result<String> {
        if caller.user_id() != Some(user.id) {
            caller.require(Permission::EditUsers, &user.account_path, Resource::User)?;
            if caller.principal.rank() <= user.role.rank() {
                return Err(Error::forbidden(
                    "only a user's superiors may read their secret",
                ));
            }
        }
        self.ensure(SecretOwner::User(user.id)).await
    }

    /// A user's secret for whoever may see the user and presents the user's password.
    pub async fn user_secret_with_password(
        &self,
        caller: &Caller,
        user: &User,
        password: &str,
    ) -> Result<String> {
        if caller.user_id() != Some(user.id) {
            caller.require(Permission::ViewUsers, &user.account_path, Resource::User)?;
        }
        let candidate =
            Password::candidate(password).map_err(|m| Error::invalid_field("password", m))?;
        let stored = self.deps.store.password_hash(user.id).await?;
        if !self
            .deps
            .hasher
            .verify(&candidate, stored.as_deref())
            .await?
        {
            return Err(Error::forbidden("the password does not match"));
        }
        self.ensure(SecretOwner::User(user.id)).await
    }

    /// Replaces a user's secret: themselves, or someone with authority to edit them.
    pub async fn rotate_user_secret(&self, caller: &Caller, user_id: UserId) -> Result<String> {
        let user = self
            .deps
            .store
            .user(user_id)
            .await?
            .ok_or(Error::NotFound(Resource::User))?;
        if caller.user_id() != Some(user.id) {
            caller.require(Permission::EditUsers, &user.account_path, Resource::User)?;
            caller.require_rank_at_least(user.role, "rotating this user's secret")?;
        }
        let audit = caller.audit("user.secret.rotate", self.deps.clock.now());
        self.rotate(SecretOwner::User(user.id), audit).await
    }

    /// Replaces an organization's secret: its owners, or a service token.
    pub async fn rotate_organization_secret(
        &self,
        caller: &Caller,
        organization: AccountId,
    ) -> Result<String> {
        let account = self
            .deps
            .store
            .account(organization)
            .await?
            .ok_or(Error::NotFound(Resource::Account))?;
        if !account.is_root() {
            return Err(Error::invalid_field(
                "account",
                "organizations are root accounts",
            ));
        }
        caller.require(Permission::CloseAccount, &account.path, Resource::Account)?;
        let audit = caller.audit("organization.secret.rotate", self.deps.clock.now());
        self.rotate(SecretOwner::Organization(account.id), audit)
            .await
    }

    /// [`SecretService::rotate_user_secret`] or [`SecretService::rotate_organization_secret`]
    /// for an operator at the command line.
    pub async fn rotate_as(&self, actor: Actor, owner: SecretOwner) -> Result<String> {
        match owner {
            SecretOwner::User(id) => {
                self.deps
                    .store
                    .user(id)
                    .await?
                    .ok_or(Error::NotFound(Resource::User))?;
            }
            SecretOwner::Organization(id) => {
                let account = self
                    .deps
                    .store
                    .account(id)
                    .await?
                    .ok_or(Error::NotFound(Resource::Account))?;
                if !account.is_root() {
                    return Err(Error::invalid("organizations are root accounts"));
                }
            }
        }
        let audit = AuditDraft {
            actor,
            action: match owner {
                SecretOwner::User(_) => "user.secret.rotate",
                SecretOwner::Organization(_) => "organization.secret.rotate",
            },
            request_id: None,
            details: serde_json::Value::Null,
            at: self.deps.clock.now(),
        };
        self.rotate(owner, audit).await
    }

    async fn rotate(&self, owner: SecretOwner, audit: AuditDraft) -> Result<String> {
        let stored = self
            .deps
            .store
            .rotate_secret(self.fresh(owner), audit)
            .await?;
        Ok(self.show(&stored))
    }

    /// The caller a pair of secrets stands for: the user of the user secret, who must belong
    /// to the organization of the organization secret, with both user and account active.
    /// Every failure reads the same.
    pub async fn authenticate(
        &self,
        user_secret: &str,
        organization_secret: &str,
        request_id: Option<String>,
    ) -> Result<Caller> {
        let refused = || Error::Unauthenticated(BAD_SECRETS.to_owned());
        let user_id = match self.owner_of(SecretOwnerKind::User, user_secret).await? {
            Some(SecretOwner::User(id)) => id,
            _ => return Err(refused()),
        };
        let organization = match self
            .owner_of(SecretOwnerKind::Organization, organization_secret)
            .await?
        {
            Some(SecretOwner::Organization(id)) => id,
            _ => return Err(refused()),
        };
        let user = self.deps.store.user(user_id).await?.ok_or_else(refused)?;
        if user.tenant_id != organization || user.status != UserStatus::Active {
            return Err(refused());
        }
        let account = self
            .deps
            .store
            .account(user.account_id)
            .await?
            .ok_or_else(refused)?;
        if account.status != AccountStatus::Active {
            return Err(refused());
        }
        let principal = Principal::User(UserPrincipal {
            user_id: user.id,
            account_id: user.account_id,
            tenant_id: user.tenant_id,
            account_path: user.account_path,
            role: user.role,
            session_id: None,
        });
        Ok(Caller::new(principal, request_id))
    }

    async fn owner_of(
        &self,
        kind: SecretOwnerKind,
        presented: &str,
    ) -> Result<Option<SecretOwner>> {
        if !kind.is_well_formed(presented) {
            return Ok(None);
        }
        let hash = org_secrets::hash(presented);
        Ok(self
            .deps
            .store
            .secret_by_hash(kind, &hash)
            .await?
            .filter(|(_, stored)| stored.ct_eq(&hash))
            .map(|(secret, _)| secret.owner))
    }
}
