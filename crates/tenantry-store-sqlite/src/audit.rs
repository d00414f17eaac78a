//! Writing audit records inside the caller's transaction (reading them is a list, see `lists`).

use sqlx::SqliteConnection;
use tenantry_core::Result;
use tenantry_core::model::{AccountPath, AuditDraft};

use crate::errors::db;
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

/// Writes several records in one statement. They travel as one JSON array, parsed once by
/// `jsonb_each`, so one prepared statement serves any number of them. The fields are those
/// [`record`] binds: change both together. (`record` keeps plain parameters because every
/// write calls it, and a lone record gains nothing from the JSON.)
pub(crate) async fn record_all(
    conn: &mut SqliteConnection,
    records: impl Iterator<Item = (&AuditDraft, Target<'_>)>,
) -> Result<()> {
    let rows: Vec<serde_json::Value> = records
        .map(|(draft, target)| {
            serde_json::json!({
                "tenant_id": target.tenant_id,
                "account_path": target.path.map(|p| p.as_str()),
                "actor": draft.actor.to_string(),
                "action": draft.action,
                "target_type": target.kind,
                "target_id": target.id,
                "request_id": draft.request_id,
                "details": draft.details.to_string(),
                "at": to_db(draft.at),
            })
        })
        .collect();
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, account_path, actor, action, target_type, target_id, \
         request_id, details, at) \
         SELECT r.value ->> 'tenant_id', r.value ->> 'account_path', r.value ->> 'actor', \
         r.value ->> 'action', r.value ->> 'target_type', r.value ->> 'target_id', \
         r.value ->> 'request_id', r.value ->> 'details', r.value ->> 'at' \
         FROM jsonb_each(?) AS r ORDER BY r.key",
    )
    .bind(serde_json::Value::Array(rows).to_string())
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}
