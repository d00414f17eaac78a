//! The authenticated caller, and the two checks every service makes before touching a record:
//! is the target inside the caller's subtree, and does the caller's role allow the action.

use serde_json::Value;
use time::OffsetDateTime;

use super::role::{Permission, Role};
use crate::error::{Error, Resource, Result};
use crate::model::{AccountId, AccountPath, Actor, ApiTokenId, AuditDraft, SessionId, UserId};

#[derive(Debug, Clone)]
pub struct UserPrincipal {
    pub user_id: UserId,
    pub account_id: AccountId,
    pub tenant_id: AccountId,
    pub account_path: AccountPath,
    pub role: Role,
    /// The session the caller's access token belongs to; `None` for callers authenticated by
    /// a standing credential (Cloud Elements' secrets).
    pub session_id: Option<SessionId>,
}

#[derive(Debug, Clone)]
pub struct ServicePrincipal {
    pub token_id: ApiTokenId,
}

/// Who is calling: a user acting within their account subtree, or a service owner token acting
/// on every tenant.
#[derive(Debug, Clone)]
pub enum Principal {
    User(UserPrincipal),
    Service(ServicePrincipal),
}

impl Principal {
    pub fn actor(&self) -> Actor {
        match self {
            Principal::User(u) => Actor::User(u.user_id),
            Principal::Service(s) => Actor::ApiToken(s.token_id),
        }
    }

    /// The caller's rank; a service token outranks every role.
    pub fn rank(&self) -> u8 {
        match self {
            Principal::User(u) => u.role.rank(),
            Principal::Service(_) => u8::MAX,
        }
    }

    pub fn has(&self, permission: Permission) -> bool {
        match self {
            Principal::User(u) => u.role.has(permission),
            Principal::Service(_) => true,
        }
    }

    pub fn can_see(&self, path: &AccountPath) -> bool {
        match self {
            Principal::User(u) => u.account_path.contains(path),
            Principal::Service(_) => true,
        }
    }

    pub fn as_user(&self) -> Option<&UserPrincipal> {
        match self {
            Principal::User(u) => Some(u),
            Principal::Service(_) => None,
        }
    }

    pub fn is_service(&self) -> bool {
        matches!(self, Principal::Service(_))
    }
}

/// A principal plus the request it is making; every service method takes one.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub request_id: Option<String>,
}

impl Caller {
    pub fn new(principal: Principal, request_id: Option<String>) -> Self {
        Self {
            principal,
            request_id,
        }
    }

    /// Fails with `OutOfScope` unless `path` lies in the caller's subtree.
    pub fn require_scope(&self, path: &AccountPath, resource: Resource) -> Result<()> {
        if self.principal.can_see(path) {
            Ok(())
        } else {
            Err(Error::OutOfScope(resource))
        }
    }

    /// Scope first (so nothing about out-of-scope records leaks through a 403), then permission.
    pub fn require(
        &self,
        permission: Permission,
        path: &AccountPath,
        resource: Resource,
    ) -> Result<()> {
        self.require_scope(path, resource)?;
        if self.principal.has(permission) {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "your role lacks the \"{permission}\" permission"
            )))
        }
    }

    /// Only a service token may act outside every tenant (e.g. create a root account).
    pub fn require_service(&self, what: &str) -> Result<()> {
        if self.principal.is_service() {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "{what} needs a service owner token"
            )))
        }
    }

    /// Nobody hands out or touches a role above their own.
    pub fn require_rank_at_least(&self, role: Role, what: &str) -> Result<()> {
        if self.principal.rank() >= role.rank() {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "{what} needs at least the rank of \"{role}\""
            )))
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        self.principal.as_user().map(|u| u.user_id)
    }

    pub fn audit(&self, action: &'static str, at: OffsetDateTime) -> AuditDraft {
        AuditDraft {
            actor: self.principal.actor(),
            action,
            request_id: self.request_id.clone(),
            details: Value::Null,
            at,
        }
    }
}
