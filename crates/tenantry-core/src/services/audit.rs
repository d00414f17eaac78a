//! Reading the audit trail: a user sees their subtree's records, a service token everything.

use std::sync::Arc;

use super::Deps;
use crate::auth::{Caller, Permission, Principal};
use crate::error::{Error, Result};
use crate::model::AuditRecord;
use crate::page::{Page, PageRequest};
use crate::store::Scope;

#[derive(Clone)]
pub struct AuditService {
    deps: Arc<Deps>,
}

impl AuditService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    /// Newest first.
    pub async fn list(&self, caller: &Caller, page: PageRequest) -> Result<Page<AuditRecord>> {
        if !caller.principal.has(Permission::ViewAudit) {
            return Err(Error::forbidden(format!(
                "your role lacks the \"{}\" permission",
                Permission::ViewAudit
            )));
        }
        let scope = match &caller.principal {
            Principal::User(user) => Scope::Subtree(user.account_path.clone()),
            Principal::Service(_) => Scope::All,
        };
        let rows = self.deps.store.list_audit(scope, page).await?;
        Ok(Page::from_overfetch(rows, page, |r| r.id.get()))
    }
}
