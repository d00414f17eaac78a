//! Reading the mail outbox: administrators see the mails of their subtree (never the tokens
//! their links carry), a service token every mail. The dispatcher that delivers them is in
//! [`crate::mail::dispatcher`].

use std::sync::Arc;

use super::{Deps, Within};
use crate::auth::{Caller, Permission};
use crate::error::{Error, Resource, Result};
use crate::model::mail::MailFilter;
use crate::model::{MailId, OutboxMail};
use crate::store::Scope;

/// The most mails one list answer holds.
pub const MAX_LIST: u32 = 500;

#[derive(Clone)]
pub struct MailService {
    deps: Arc<Deps>,
}

impl MailService {
    pub(super) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    /// Mails of the caller's subtree, newest first, without their tokens. Needs "View Audit".
    pub async fn list(&self, caller: &Caller, mut filter: MailFilter) -> Result<Vec<OutboxMail>> {
        filter.limit = filter.limit.clamp(1, MAX_LIST);
        let scope = self
            .deps
            .scope(caller, Within::Visible, Permission::ViewAudit)
            .await?;
        let within = match &scope {
            Scope::All => None,
            Scope::Subtree(path) => Some(path),
            Scope::Account { .. } | Scope::Below(_) => {
                return Err(Error::internal("the outbox is listed by subtree only"));
            }
        };
        let mut mails = self.deps.store.mails(within, &filter).await?;
        for mail in &mut mails {
            mail.token = None;
        }
        Ok(mails)
    }

    /// One mail, without its token. Needs "View Audit" over its account.
    pub async fn get(&self, caller: &Caller, id: MailId) -> Result<OutboxMail> {
        let mut mail = self
            .deps
            .store
            .mail(id)
            .await?
            .ok_or(Error::NotFound(Resource::Mail))?;
        caller.require(Permission::ViewAudit, &mail.account_path, Resource::Mail)?;
        mail.token = None;
        Ok(mail)
    }
}
