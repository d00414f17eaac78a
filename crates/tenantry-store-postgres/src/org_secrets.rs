//! Cloud Elements' user and organization secrets (a nonce and a hash each), and the roles
//! granted to accounts.

use sqlx::{FromRow, PgConnection, PgPool};
use tenantry_core::auth::TokenHash;
use tenantry_core::auth::org_secrets::{SecretOwner, SecretOwnerKind};
use tenantry_core::model::secrets::{NewSecret, StoredSecret};
use tenantry_core::model::{AccountId, AuditDraft};
use tenantry_core::{Error, Resource, Result};
use tenantry_store_sql::secrets::{owner, owner_id, table};
use time::OffsetDateTime;

use crate::accounts;
use crate::audit;
use crate::errors::{StoreError, db};
use crate::{tx, users};

#[derive(FromRow)]
struct SecretRow {
    owner_id: i64,
    nonce: Vec<u8>,
    created_at: OffsetDateTime,
    secret_hash: Vec<u8>,
}

impl SecretRow {
    fn into_secret(self, kind: SecretOwnerKind) -> Result<(StoredSecret, TokenHash)> {
        let nonce = self
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| Error::internal("unexpected stored secret nonce"))?;
        let hash = TokenHash::from_bytes(&self.secret_hash)
            .ok_or_else(|| Error::internal("unexpected stored secret hash"))?;
        let secret = StoredSecret {
            owner: owner(kind, self.owner_id),
            nonce,
            created: self.created_at,
        };
        Ok((secret, hash))
    }
}

async fn fetch(
    conn: &mut PgConnection,
    target: SecretOwner,
) -> Result<Option<StoredSecret>, StoreError> {
    let kind = target.kind();
    let (name, column) = table(kind);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {column} AS owner_id, nonce, created_at, secret_hash FROM {name} \
         WHERE {column} = $1"
    ));
    let row: Option<SecretRow> = sqlx::query_as(sql)
        .bind(owner_id(target))
        .fetch_optional(conn)
        .await?;
    Ok(row
        .map(|r| r.into_secret(kind).map(|(s, _)| s))
        .transpose()?)
}

async fn write_tx(
    conn: &mut PgConnection,
    new: NewSecret,
    replace: bool,
    audit: Option<AuditDraft>,
) -> Result<StoredSecret, StoreError> {
    // The owner must exist (and stays while the row goes in): a secret is never made for
    // nobody.
    let user = match new.owner {
        SecretOwner::User(id) => Some(
            users::fetch(conn, id)
                .await?
                .ok_or(Error::NotFound(Resource::User))?,
        ),
        SecretOwner::Organization(_) => None,
    };
    let account = match new.owner {
        SecretOwner::Organization(id) => Some(accounts::lock_shared(conn, id).await?),
        SecretOwner::User(_) => None,
    };
    let (name, column) = table(new.owner.kind());
    let conflict = if replace {
        "DO UPDATE SET nonce = EXCLUDED.nonce, secret_hash = EXCLUDED.secret_hash, \
         created_at = EXCLUDED.created_at"
    } else {
        "DO NOTHING"
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO {name} ({column}, nonce, secret_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT ({column}) {conflict}"
    ));
    sqlx::query(sql)
        .bind(owner_id(new.owner))
        .bind(new.nonce.as_slice())
        .bind(new.hash.as_bytes().as_slice())
        .bind(new.now)
        .execute(&mut *conn)
        .await?;
    let stored = fetch(conn, new.owner)
        .await?
        .ok_or_else(|| Error::internal("a secret just written is missing"))?;
    if let Some(audit) = audit {
        if let Some(user) = &user {
            audit::record(conn, &audit, users::target(user)).await?;
        }
        if let Some(account) = &account {
            audit::record(conn, &audit, accounts::target(account)).await?;
        }
    }
    Ok(stored)
}

pub(crate) async fn ensure(pool: &PgPool, new: NewSecret) -> Result<StoredSecret> {
    let mut conn = pool.acquire().await.map_err(db)?;
    if let Some(stored) = fetch(&mut conn, new.owner)
        .await
        .map_err(StoreError::into_core)?
    {
        return Ok(stored);
    }
    drop(conn);
    tx::write(pool, |conn| {
        Box::pin(write_tx(conn, new.clone(), false, None))
    })
    .await
}

pub(crate) async fn rotate(
    pool: &PgPool,
    new: NewSecret,
    audit: AuditDraft,
) -> Result<StoredSecret> {
    tx::write(pool, |conn| {
        Box::pin(write_tx(conn, new.clone(), true, Some(audit.clone())))
    })
    .await
}

pub(crate) async fn by_hash(
    pool: &PgPool,
    kind: SecretOwnerKind,
    hash: &TokenHash,
) -> Result<Option<(StoredSecret, TokenHash)>> {
    let (name, column) = table(kind);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {column} AS owner_id, nonce, created_at, secret_hash FROM {name} \
         WHERE secret_hash = $1"
    ));
    let row: Option<SecretRow> = sqlx::query_as(sql)
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| r.into_secret(kind)).transpose()
}

pub(crate) async fn account_roles(pool: &PgPool, account: AccountId) -> Result<Vec<String>> {
    sqlx::query_scalar("SELECT role_key FROM account_roles WHERE account_id = $1 ORDER BY role_key")
        .bind(account.get())
        .fetch_all(pool)
        .await
        .map_err(db)
}

pub(crate) async fn set_account_role(
    pool: &PgPool,
    account: AccountId,
    key: &str,
    granted: bool,
    audit: AuditDraft,
) -> Result<bool> {
    let key = key.to_owned();
    tx::write(pool, |conn| {
        Box::pin(set_account_role_tx(
            conn,
            account,
            key.clone(),
            granted,
            audit.clone(),
        ))
    })
    .await
}

async fn set_account_role_tx(
    conn: &mut PgConnection,
    account: AccountId,
    key: String,
    granted: bool,
    audit: AuditDraft,
) -> Result<bool, StoreError> {
    let target = accounts::lock_shared(conn, account).await?;
    let done = if granted {
        sqlx::query(
            "INSERT INTO account_roles (account_id, role_key, granted_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(account.get())
        .bind(&key)
        .bind(audit.at)
        .execute(&mut *conn)
        .await?
    } else {
        sqlx::query("DELETE FROM account_roles WHERE account_id = $1 AND role_key = $2")
            .bind(account.get())
            .bind(&key)
            .execute(&mut *conn)
            .await?
    };
    let changed = done.rows_affected() > 0;
    if changed {
        let audit = audit.with_details(serde_json::json!({ "role": key }));
        audit::record(conn, &audit, accounts::target(&target)).await?;
    }
    Ok(changed)
}
