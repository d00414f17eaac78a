//! Invitations, and tenants created together with their first user.

use sqlx::{FromRow, SqliteConnection, SqlitePool};
use tenantry_core::auth::TokenHash;
use tenantry_core::model::account::NewAccount;
use tenantry_core::model::invitation::NewInvitation;
use tenantry_core::model::user::NewUser;
use tenantry_core::model::{
    Account, AccountId, AccountPath, AuditDraft, Invitation, InvitationId, User, UserId,
};
use tenantry_core::{Error, Resource, Result};
use time::OffsetDateTime;

use crate::accounts::begin_write;
use crate::audit::{self, Target};
use crate::errors::db;
use crate::timestamps::{from_db, from_db_opt, to_db};
use crate::{accounts, users};

const COLUMNS: &str = "id, tenant_id, account_id, account_path, user_id, email, role, \
                       created_at, expires_at, accepted_at, revoked_at";

#[derive(FromRow)]
struct InvitationRow {
    id: i64,
    tenant_id: i64,
    account_id: i64,
    account_path: String,
    user_id: i64,
    email: String,
    role: String,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = Error;

    fn try_from(row: InvitationRow) -> Result<Invitation> {
        Ok(Invitation {
            id: InvitationId(row.id),
            tenant_id: AccountId(row.tenant_id),
            account_id: AccountId(row.account_id),
            account_path: AccountPath::from_stored(row.account_path),
            user_id: UserId(row.user_id),
            email: row.email,
            role: row
                .role
                .parse()
                .map_err(|_| Error::internal("unexpected stored role"))?,
            created: from_db(row.created_at)?,
            expires: from_db(row.expires_at)?,
            accepted: from_db_opt(row.accepted_at)?,
            revoked: from_db_opt(row.revoked_at)?,
        })
    }
}

fn target(invitation: &Invitation) -> Target<'_> {
    Target {
        kind: "invitation",
        id: Some(invitation.id.get()),
        tenant_id: Some(invitation.tenant_id.get()),
        path: Some(&invitation.account_path),
    }
}

async fn fetch(conn: &mut SqliteConnection, id: InvitationId) -> Result<Option<Invitation>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM invitations WHERE id = ?"));
    let row: Option<InvitationRow> = sqlx::query_as(sql)
        .bind(id.get())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.map(Invitation::try_from).transpose()
}

pub(crate) async fn insert_tenant(
    pool: &SqlitePool,
    account: NewAccount,
    user: NewUser,
    audit: AuditDraft,
) -> Result<(Account, User)> {
    let mut tx = begin_write(pool).await?;
    let account_audit = AuditDraft {
        action: "account.create",
        ..audit.clone()
    };
    let account = accounts::insert_in(&mut tx, account, account_audit).await?;
    let user_audit = AuditDraft {
        action: "user.create",
        ..audit
    };
    let user = NewUser {
        account_id: account.id,
        ..user
    };
    let user = users::insert_in(&mut tx, user, user_audit).await?;
    tx.commit().await.map_err(db)?;
    Ok((account, user))
}

pub(crate) async fn insert(
    pool: &SqlitePool,
    new: NewInvitation,
    audit: AuditDraft,
) -> Result<Invitation> {
    let mut tx = begin_write(pool).await?;
    let user = users::fetch(&mut tx, new.user_id)
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO invitations (tenant_id, account_id, account_path, user_id, email, role, \
         token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(user.tenant_id.get())
    .bind(user.account_id.get())
    .bind(user.account_path.as_str())
    .bind(user.id.get())
    .bind(&user.email)
    .bind(user.role.as_str())
    .bind(new.token_hash.as_bytes().as_slice())
    .bind(to_db(new.now))
    .bind(to_db(new.expires))
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let invitation = fetch(&mut tx, InvitationId(id))
        .await?
        .ok_or_else(|| Error::internal("the new invitation vanished"))?;
    audit::record(&mut tx, &audit, target(&invitation)).await?;
    tx.commit().await.map_err(db)?;
    Ok(invitation)
}

pub(crate) async fn get(pool: &SqlitePool, id: InvitationId) -> Result<Option<Invitation>> {
    let mut conn = pool.acquire().await.map_err(db)?;
    fetch(&mut conn, id).await
}

pub(crate) async fn by_token(
    pool: &SqlitePool,
    hash: &TokenHash,
) -> Result<Option<(Invitation, TokenHash)>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, token_hash FROM invitations WHERE token_hash = ?"
    ));
    let found: Option<InvitationRowWithHash> = sqlx::query_as(sql)
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    match found {
        Some(found) => {
            let stored = TokenHash::from_bytes(&found.token_hash)
                .ok_or_else(|| Error::internal("stored invitation hash has the wrong length"))?;
            Ok(Some((Invitation::try_from(found.row)?, stored)))
        }
        None => Ok(None),
    }
}

#[derive(FromRow)]
struct InvitationRowWithHash {
    #[sqlx(flatten)]
    row: InvitationRow,
    token_hash: Vec<u8>,
}

pub(crate) async fn pending(
    pool: &SqlitePool,
    user: UserId,
    now: OffsetDateTime,
) -> Result<Option<Invitation>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invitations WHERE user_id = ? AND accepted_at IS NULL \
         AND revoked_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1"
    ));
    let row: Option<InvitationRow> = sqlx::query_as(sql)
        .bind(user.get())
        .bind(to_db(now))
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(Invitation::try_from).transpose()
}

pub(crate) async fn accept(
    pool: &SqlitePool,
    id: InvitationId,
    password_hash: Option<String>,
    audit: AuditDraft,
) -> Result<User> {
    let mut tx = begin_write(pool).await?;
    let now = to_db(audit.at);
    let user_id: Option<i64> = sqlx::query_scalar(
        "UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL \
         AND revoked_at IS NULL AND expires_at > ? RETURNING user_id",
    )
    .bind(now)
    .bind(id.get())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(user_id) = user_id else {
        return Err(Error::conflict("the invitation is no longer pending"));
    };
    sqlx::query(
        "UPDATE users SET email_verified = 1, \
         email_verified_at = COALESCE(email_verified_at, ?), \
         password_hash = COALESCE(?, password_hash), updated_at = ? WHERE id = ?",
    )
    .bind(now)
    .bind(password_hash)
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let invitation = fetch(&mut tx, id)
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    let user = users::fetch(&mut tx, UserId(user_id))
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    audit::record(&mut tx, &audit, target(&invitation)).await?;
    tx.commit().await.map_err(db)?;
    Ok(user)
}
