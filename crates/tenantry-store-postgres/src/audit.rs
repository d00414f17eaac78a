//! Writing audit records inside the caller's transaction, and reading them back.

use sqlx::{PgConnection, PgPool};
use tenantry_core::Result;
use tenantry_core::model::{AccountPath, AuditDraft, AuditRecord};
use tenantry_core::page::PageRequest;
use tenantry_core::store::Scope;

use crate::errors::{StoreError, db};
use crate::rows::AuditRow;

/// What an audit record is about, as only the store knows it (new ids, tenant, scope path).
pub(crate) struct Target<'a> {
    pub kind: &'static str,
    pub id: Option<i64>,
    pub tenant_id: Option<i64>,
    pub path: Option<&'a AccountPath>,
}

pub(crate) async fn record(
    conn: &mut PgConnection,
    draft: &AuditDraft,
    target: Target<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, account_path, actor, action, target_type, target_id, \
         request_id, details, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(target.tenant_id)
    .bind(target.path.map(|p| p.as_str().to_owned()))
    .bind(draft.actor.to_string())
    .bind(draft.action)
    .bind(target.kind)
    .bind(target.id)
    .bind(draft.request_id.clone())
    .bind(&draft.details)
    .bind(draft.at)
    .execute(conn)
    .await?;
    Ok(())
}

macro_rules! audit_select {
    () => {
        "SELECT id, tenant_id, account_path, actor, action, target_type, target_id, request_id, \
         details, at FROM audit_log "
    };
}

pub(crate) async fn list(
    pool: &PgPool,
    scope: Scope,
    page: PageRequest,
) -> Result<Vec<AuditRecord>> {
    let before = page.after.unwrap_or(i64::MAX);
    let rows: Vec<AuditRow> = match scope {
        Scope::All => {
            sqlx::query_as(concat!(
                audit_select!(),
                "WHERE id < $1 ORDER BY id DESC LIMIT $2"
            ))
            .bind(before)
            .bind(page.fetch_limit())
            .fetch_all(pool)
            .await
        }
        Scope::Account {
            tenant_id,
            account_id,
        } => {
            // Records of one account only, not of the accounts below it.
            sqlx::query_as(concat!(
                audit_select!(),
                "WHERE tenant_id = $1 AND account_path = (SELECT path FROM accounts WHERE id = $2) \
                 AND id < $3 ORDER BY id DESC LIMIT $4"
            ))
            .bind(tenant_id.get())
            .bind(account_id.get())
            .bind(before)
            .bind(page.fetch_limit())
            .fetch_all(pool)
            .await
        }
        Scope::Subtree(path) => {
            let tenant = path.ids().next().map_or(0, |id| id.get());
            let (low, high) = path.subtree_range();
            sqlx::query_as(concat!(
                audit_select!(),
                "WHERE tenant_id = $1 AND account_path >= $2 AND account_path < $3 AND id < $4 \
                 ORDER BY id DESC LIMIT $5"
            ))
            .bind(tenant)
            .bind(low)
            .bind(high)
            .bind(before)
            .bind(page.fetch_limit())
            .fetch_all(pool)
            .await
        }
    }
    .map_err(db)?;
    Ok(rows.into_iter().map(AuditRecord::from).collect())
}
