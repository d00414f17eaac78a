//! Reading the audit trail: a user sees their subtree's records, a service token everything.

use std::sync::Arc;

use super::{Deps, Within};
use crate::auth::{Caller, Permission};
use crate::error::Result;
use crate::model::AuditRecord;
use crate::query::{ListPage, ListRequest, ListResource};

#[derive(Clone)]
pub struct AuditService {
    deps: Arc<Deps>,
}

impl AuditService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    /// Records within part of the tree (by default newest first). Needs "View Audit".
    pub async fn list(
        &self,
        caller: &Caller,
        within: Within,
        mut request: ListRequest,
    ) -> Result<ListPage<AuditRecord>> {
        self.deps.prepare(&mut request, ListResource::Audit)?;
        let scope = self
            .deps
            .scope(caller, within, Permission::ViewAudit)
            .await?;
        let rows = self.deps.store.list_audit(&scope, &request).await?;
        self.deps.page(rows, &scope, &request).await
    }
}
