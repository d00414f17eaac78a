//! Service owner tokens.

use sqlx::{PgConnection, PgPool};
use tenantry_core::auth::TokenHash;
use tenantry_core::model::api_token::NewApiToken;
use tenantry_core::model::{ApiToken, ApiTokenId, AuditDraft};
use tenantry_core::{Error, Resource, Result};

use crate::audit::{self, Target};
use crate::errors::{StoreError, db};
use crate::rows::ApiTokenRow;
use crate::tx;

fn target(id: ApiTokenId) -> Target<'static> {
    Target {
        kind: "service_token",
        id: Some(id.get()),
        tenant_id: None,
        path: None,
    }
}

pub(crate) async fn insert(pool: &PgPool, new: NewApiToken, audit: AuditDraft) -> Result<ApiToken> {
    tx::write(pool, |conn| {
        Box::pin(insert_tx(conn, new.clone(), audit.clone()))
    })
    .await
}

async fn insert_tx(
    conn: &mut PgConnection,
    new: NewApiToken,
    audit: AuditDraft,
) -> Result<ApiToken, StoreError> {
    let row: ApiTokenRow = sqlx::query_as(
        "INSERT INTO api_tokens (name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4) \
         RETURNING id, name, token_hash, created_at, expires_at, revoked_at",
    )
    .bind(&new.name)
    .bind(new.hash.as_bytes().as_slice())
    .bind(new.now)
    .bind(new.expires)
    .fetch_one(&mut *conn)
    .await?;
    let (token, _) = row.into_token()?;
    audit::record(conn, &audit, target(token.id)).await?;
    Ok(token)
}

pub(crate) async fn by_hash(
    pool: &PgPool,
    hash: &TokenHash,
) -> Result<Option<(ApiToken, TokenHash)>> {
    let row: Option<ApiTokenRow> = sqlx::query_as(
        "SELECT id, name, token_hash, created_at, expires_at, revoked_at FROM api_tokens \
         WHERE token_hash = $1",
    )
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(ApiTokenRow::into_token).transpose()
}

pub(crate) async fn list(pool: &PgPool) -> Result<Vec<ApiToken>> {
    let rows: Vec<ApiTokenRow> = sqlx::query_as(
        "SELECT id, name, token_hash, created_at, expires_at, revoked_at FROM api_tokens ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|row| row.into_token().map(|(token, _)| token))
        .collect()
}

pub(crate) async fn revoke(pool: &PgPool, id: ApiTokenId, audit: AuditDraft) -> Result<ApiToken> {
    tx::write(pool, |conn| Box::pin(revoke_tx(conn, id, audit.clone()))).await
}

async fn revoke_tx(
    conn: &mut PgConnection,
    id: ApiTokenId,
    audit: AuditDraft,
) -> Result<ApiToken, StoreError> {
    let row: Option<ApiTokenRow> = sqlx::query_as(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 \
         RETURNING id, name, token_hash, created_at, expires_at, revoked_at",
    )
    .bind(audit.at)
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Err(Error::NotFound(Resource::ApiToken).into());
    };
    let (token, _) = row.into_token()?;
    audit::record(conn, &audit, target(token.id)).await?;
    Ok(token)
}
