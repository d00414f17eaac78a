//! Cloud Elements' user and organization secrets (a nonce and a hash each), and the roles
//! granted to accounts.

use sqlx::FromRow;
use tenantry_core::auth::TokenHash;
use tenantry_core::auth::org_secrets::{SecretOwner, SecretOwnerKind};
use tenantry_core::model::secrets::{NewSecret, StoredSecret};
use tenantry_core::model::{AccountId, AuditDraft};
use tenantry_core::{Error, Resource, Result};
use tenantry_store_sql::secrets::{owner, owner_id, table};

use crate::accounts::{self, fetch_existing as fetch_account};
use crate::audit;
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::timestamps::{from_db, to_db};
use crate::users;

#[derive(FromRow)]
struct SecretRow {
    owner_id: i64,
    nonce: Vec<u8>,
    created_at: i64,
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
            created: from_db(self.created_at)?,
        };
        Ok((secret, hash))
    }
}

async fn fetch(
    conn: &mut sqlx::SqliteConnection,
    target: SecretOwner,
) -> Result<Option<StoredSecret>> {
    let kind = target.kind();
    let (name, column) = table(kind);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {column} AS owner_id, nonce, created_at, secret_hash FROM {name} \
         WHERE {column} = ?"
    ));
    let row: Option<SecretRow> = sqlx::query_as(sql)
        .bind(owner_id(target))
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.map(|r| r.into_secret(kind).map(|(s, _)| s)).transpose()
}

/// Checks the owner exists, so a secret is never made for nobody.
async fn check_owner(conn: &mut sqlx::SqliteConnection, target: SecretOwner) -> Result<()> {
    match target {
        SecretOwner::User(id) => {
            users::fetch(conn, id)
                .await?
                .ok_or(Error::NotFound(Resource::User))?;
        }
        SecretOwner::Organization(id) => {
            fetch_account(conn, id).await?;
        }
    }
    Ok(())
}

async fn write(
    writer: &Writer,
    new: NewSecret,
    replace: bool,
    audit: Option<AuditDraft>,
) -> Result<StoredSecret> {
    let mut tx = begin_write(writer).await?;
    check_owner(&mut tx, new.owner).await?;
    let (name, column) = table(new.owner.kind());
    let conflict = if replace {
        "DO UPDATE SET nonce = excluded.nonce, secret_hash = excluded.secret_hash, \
         created_at = excluded.created_at"
    } else {
        "DO NOTHING"
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO {name} ({column}, nonce, secret_hash, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT ({column}) {conflict}"
    ));
    sqlx::query(sql)
        .bind(owner_id(new.owner))
        .bind(new.nonce.as_slice())
        .bind(new.hash.as_bytes().as_slice())
        .bind(to_db(new.now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let stored = fetch(&mut tx, new.owner)
        .await?
        .ok_or_else(|| Error::internal("a secret just written is missing"))?;
    if let Some(audit) = audit {
        match new.owner {
            SecretOwner::User(id) => {
                let user = users::fetch(&mut tx, id)
                    .await?
                    .ok_or(Error::NotFound(Resource::User))?;
                audit::record(&mut tx, &audit, users::target(&user)).await?;
            }
            SecretOwner::Organization(id) => {
                let account = fetch_account(&mut tx, id).await?;
                audit::record(&mut tx, &audit, accounts::target(&account)).await?;
            }
        }
    }
    commit(tx).await?;
    Ok(stored)
}

pub(crate) async fn ensure(
    readers: &Readers,
    writer: &Writer,
    new: NewSecret,
) -> Result<StoredSecret> {
    // Most calls find the secret already there: read before taking the write lock.
    let mut conn = readers.acquire().await?;
    if let Some(stored) = fetch(&mut conn, new.owner).await? {
        return Ok(stored);
    }
    drop(conn);
    write(writer, new, false, None).await
}

pub(crate) async fn rotate(
    writer: &Writer,
    new: NewSecret,
    audit: AuditDraft,
) -> Result<StoredSecret> {
    write(writer, new, true, Some(audit)).await
}

pub(crate) async fn by_hash(
    readers: &Readers,
    kind: SecretOwnerKind,
    hash: &TokenHash,
) -> Result<Option<(StoredSecret, TokenHash)>> {
    let (name, column) = table(kind);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {column} AS owner_id, nonce, created_at, secret_hash FROM {name} \
         WHERE secret_hash = ?"
    ));
    let row: Option<SecretRow> = sqlx::query_as(sql)
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(&mut *readers.acquire().await?)
        .await
        .map_err(db)?;
    row.map(|r| r.into_secret(kind)).transpose()
}

pub(crate) async fn account_roles(readers: &Readers, account: AccountId) -> Result<Vec<String>> {
    sqlx::query_scalar("SELECT role_key FROM account_roles WHERE account_id = ? ORDER BY role_key")
        .bind(account.get())
        .fetch_all(&mut *readers.acquire().await?)
        .await
        .map_err(db)
}

pub(crate) async fn set_account_role(
    writer: &Writer,
    account: AccountId,
    key: &str,
    granted: bool,
    audit: AuditDraft,
) -> Result<bool> {
    let mut tx = begin_write(writer).await?;
    let target = fetch_account(&mut tx, account).await?;
    let done = if granted {
        sqlx::query(
            "INSERT INTO account_roles (account_id, role_key, granted_at) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(account.get())
        .bind(key)
        .bind(to_db(audit.at))
        .execute(&mut *tx)
        .await
        .map_err(db)?
    } else {
        sqlx::query("DELETE FROM account_roles WHERE account_id = ? AND role_key = ?")
            .bind(account.get())
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db)?
    };
    let changed = done.rows_affected() > 0;
    if changed {
        let audit = audit.with_details(serde_json::json!({ "role": key }));
        audit::record(&mut tx, &audit, accounts::target(&target)).await?;
    }
    commit(tx).await?;
    Ok(changed)
}
