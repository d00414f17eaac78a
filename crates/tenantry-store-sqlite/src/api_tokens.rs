//! Service owner tokens.

use tenantry_core::auth::TokenHash;
use tenantry_core::model::api_token::NewApiToken;
use tenantry_core::model::{ApiToken, ApiTokenId, AuditDraft};
use tenantry_core::{Error, Resource, Result};

use crate::audit::{self, Target};
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::rows::ApiTokenRow;
use crate::timestamps::to_db;

fn target(id: ApiTokenId) -> Target<'static> {
    Target {
        kind: "service_token",
        id: Some(id.get()),
        tenant_id: None,
        path: None,
    }
}

pub(crate) async fn insert(
    writer: &Writer,
    new: NewApiToken,
    audit: AuditDraft,
) -> Result<ApiToken> {
    let mut tx = begin_write(writer).await?;
    let row: ApiTokenRow = sqlx::query_as(
        "INSERT INTO api_tokens (name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?) \
         RETURNING id, name, token_hash, created_at, expires_at, revoked_at",
    )
    .bind(&new.name)
    .bind(new.hash.as_bytes().as_slice())
    .bind(to_db(new.now))
    .bind(new.expires.map(to_db))
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let (token, _) = row.into_token()?;
    audit::record(&mut tx, &audit, target(token.id)).await?;
    commit(tx).await?;
    Ok(token)
}

pub(crate) async fn by_hash(
    readers: &Readers,
    hash: &TokenHash,
) -> Result<Option<(ApiToken, TokenHash)>> {
    let row: Option<ApiTokenRow> = sqlx::query_as(
        "SELECT id, name, token_hash, created_at, expires_at, revoked_at FROM api_tokens \
         WHERE token_hash = ?",
    )
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(&mut *readers.acquire().await?)
    .await
    .map_err(db)?;
    row.map(ApiTokenRow::into_token).transpose()
}

pub(crate) async fn list(readers: &Readers) -> Result<Vec<ApiToken>> {
    let rows: Vec<ApiTokenRow> = sqlx::query_as(
        "SELECT id, name, token_hash, created_at, expires_at, revoked_at FROM api_tokens ORDER BY id",
    )
    .fetch_all(&mut *readers.acquire().await?)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|row| row.into_token().map(|(token, _)| token))
        .collect()
}

pub(crate) async fn revoke(writer: &Writer, id: ApiTokenId, audit: AuditDraft) -> Result<ApiToken> {
    let mut tx = begin_write(writer).await?;
    let row: Option<ApiTokenRow> = sqlx::query_as(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? \
         RETURNING id, name, token_hash, created_at, expires_at, revoked_at",
    )
    .bind(to_db(audit.at))
    .bind(id.get())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(row) = row else {
        return Err(Error::NotFound(Resource::ApiToken));
    };
    let (token, _) = row.into_token()?;
    audit::record(&mut tx, &audit, target(token.id)).await?;
    commit(tx).await?;
    Ok(token)
}
