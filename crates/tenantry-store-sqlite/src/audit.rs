//! Writing audit records inside the caller's transaction, and reading them back.

use sqlx::{SqliteConnection, SqlitePool};
use tenantry_core::Result;
use tenantry_core::model::{AccountPath, AuditDraft, AuditRecord};
use tenantry_core::page::PageRequest;
use tenantry_core::store::Scope;

use crate::errors::db;
use crate::rows::{AuditRow, convert_all};
use crate::timestamps::to_db;

/// What an audit record is about, as only the store knows it (new ids, tenant, scope path).
pub(crate) struct Target<'a> {
    pub kind: &'static str,
    pub id: Option<i64>,
    pub tenant_id: Option<i64>,
    pub path: Option<&'a AccountPath>,
}

pub(crate) async fn record(
    conn: &mut SqliteConnection,
    draft: &AuditDraft,
    target: Target<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, account_path, actor, action, target_type, target_id, \
         request_id, details, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(target.tenant_id)
    .bind(target.path.map(|p| p.as_str().to_owned()))
    .bind(draft.actor.to_string())
    .bind(draft.action)
    .bind(target.kind)
    .bind(target.id)
    .bind(draft.request_id.clone())
    .bind(draft.details.to_string())
    .bind(to_db(draft.at))
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

macro_rules! audit_select {
    () => {
        "SELECT id, tenant_id, account_path, actor, action, target_type, target_id, request_id, \
         details, at FROM audit_log "
    };
}

pub(crate) async fn list(
    pool: &SqlitePool,
    scope: Scope,
    page: PageRequest,
) -> Result<Vec<AuditRecord>> {
    let before = page.after.unwrap_or(i64::MAX);
    let rows: Vec<AuditRow> = match scope {
        Scope::All => {
            sqlx::query_as(concat!(
                audit_select!(),
                "WHERE id < ? ORDER BY id DESC LIMIT ?"
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
                "WHERE tenant_id = ? AND account_path = (SELECT path FROM accounts WHERE id = ?) \
                 AND id < ? ORDER BY id DESC LIMIT ?"
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
                "WHERE tenant_id = ? AND account_path >= ? AND account_path < ? AND id < ? \
                 ORDER BY id DESC LIMIT ?"
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
    convert_all(rows)
}
