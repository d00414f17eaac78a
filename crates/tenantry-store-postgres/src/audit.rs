//! Writing audit records inside the caller's transaction (reading them is a list, see `lists`).

use sqlx::PgConnection;
use tenantry_core::model::{AccountPath, AuditDraft};

use crate::errors::StoreError;

/// What an audit record is about, as only the store knows it (new ids, tenant, scope path).
pub(crate) struct Target<'a> {
    pub kind: &'static str,
    pub id: Option<i64>,
    pub tenant_id: Option<i64>,
    pub path: Option<&'a AccountPath>,
}

/// An audit record's insert up to its values (`VALUES …` or a `SELECT`), for statements that
/// write one alongside other changes (a login's). Values in this order: tenant, account path,
/// actor, action, target type, target id, request id, details, time.
macro_rules! audit_insert {
    () => {
        "INSERT INTO audit_log (tenant_id, account_path, actor, action, target_type, target_id, \
         request_id, details, at) "
    };
}
pub(crate) use audit_insert;

/// Binds an [`AuditDraft`]'s actor, action, request id, details and time, in that order, to
/// `$query`: for a statement whose audit insert (`audit_insert!`) takes the record's tenant,
/// path and target from the rows the statement writes, and these five values from binds.
macro_rules! bind_audit_draft {
    ($query:expr, $draft:expr) => {
        $query
            .bind($draft.actor.to_string())
            .bind($draft.action)
            .bind($draft.request_id.clone())
            .bind(&$draft.details)
            .bind($draft.at)
    };
}
pub(crate) use bind_audit_draft;

pub(crate) async fn record(
    conn: &mut PgConnection,
    draft: &AuditDraft,
    target: Target<'_>,
) -> Result<(), StoreError> {
    sqlx::query(concat!(
        audit_insert!(),
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
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
