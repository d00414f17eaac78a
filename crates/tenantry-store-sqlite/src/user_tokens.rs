//! Email-verification and password-reset tokens: recorded with their mail in one transaction,
//! used up at most once.

use sqlx::{FromRow, SqliteConnection};
use tenantry_core::auth::TokenHash;
use tenantry_core::model::mail::NewMail;
use tenantry_core::model::user_token::{NewUserToken, TokenRedemption};
use tenantry_core::model::{AuditDraft, User, UserId, UserToken, UserTokenId, UserTokenPurpose};
use tenantry_core::{Error, Resource, Result};

use crate::audit::{self, Target};
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::outbox::{self, Owner};
use crate::readers::Readers;
use crate::timestamps::{from_db, from_db_opt, to_db};
use crate::users;

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    purpose: String,
    token_hash: Vec<u8>,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

fn parse(row: TokenRow) -> Result<(UserToken, TokenHash)> {
    let hash = TokenHash::from_bytes(&row.token_hash)
        .ok_or_else(|| Error::internal("stored token hash has the wrong length"))?;
    let token = UserToken {
        id: UserTokenId(row.id),
        user_id: UserId(row.user_id),
        purpose: row
            .purpose
            .parse()
            .map_err(|_| Error::internal("unexpected stored token purpose"))?,
        created: from_db(row.created_at)?,
        expires: from_db(row.expires_at)?,
        used: from_db_opt(row.used_at)?,
    };
    Ok((token, hash))
}

fn target(user: &User) -> Target<'_> {
    Target {
        kind: "user",
        id: Some(user.id.get()),
        tenant_id: Some(user.tenant_id.get()),
        path: Some(&user.account_path),
    }
}

/// Records a token and its mail in the caller's transaction.
pub(crate) async fn insert_in(
    conn: &mut SqliteConnection,
    new: &NewUserToken,
    mail: &NewMail,
    audit: &AuditDraft,
) -> Result<UserToken> {
    let user = users::fetch(conn, new.user_id)
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    if new.purpose == UserTokenPurpose::PasswordReset {
        // A new reset link replaces the ones sent before.
        sqlx::query(
            "UPDATE user_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? \
             AND used_at IS NULL",
        )
        .bind(to_db(new.now))
        .bind(user.id.get())
        .bind(new.purpose.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    let row: TokenRow = sqlx::query_as(
        "INSERT INTO user_tokens (user_id, purpose, token_hash, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?) \
         RETURNING id, user_id, purpose, token_hash, created_at, expires_at, used_at",
    )
    .bind(user.id.get())
    .bind(new.purpose.as_str())
    .bind(new.token_hash.as_bytes().as_slice())
    .bind(to_db(new.now))
    .bind(to_db(new.expires))
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let owner = Owner {
        tenant_id: user.tenant_id,
        path: &user.account_path,
        user_id: user.id,
    };
    outbox::enqueue(conn, mail, owner).await?;
    audit::record(conn, audit, target(&user)).await?;
    Ok(parse(row)?.0)
}

pub(crate) async fn insert(
    writer: &Writer,
    new: NewUserToken,
    mail: NewMail,
    audit: AuditDraft,
) -> Result<UserToken> {
    let mut tx = begin_write(writer).await?;
    let token = insert_in(&mut tx, &new, &mail, &audit).await?;
    commit(tx).await?;
    Ok(token)
}

pub(crate) async fn by_hash(
    readers: &Readers,
    hash: &TokenHash,
) -> Result<Option<(UserToken, TokenHash)>> {
    let row: Option<TokenRow> = sqlx::query_as(
        "SELECT id, user_id, purpose, token_hash, created_at, expires_at, used_at \
         FROM user_tokens WHERE token_hash = ?",
    )
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(&mut *readers.acquire().await?)
    .await
    .map_err(db)?;
    row.map(parse).transpose()
}

pub(crate) async fn redeem(
    writer: &Writer,
    id: UserTokenId,
    redemption: TokenRedemption,
    audit: AuditDraft,
) -> Result<User> {
    let mut tx = begin_write(writer).await?;
    let now = to_db(audit.at);
    let user_id: Option<i64> = sqlx::query_scalar(
        "UPDATE user_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ? \
         RETURNING user_id",
    )
    .bind(now)
    .bind(id.get())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(user_id) = user_id else {
        return Err(Error::conflict("the token was used already or has expired"));
    };
    let password_hash = match &redemption {
        TokenRedemption::VerifyEmail => None,
        TokenRedemption::ResetPassword { password_hash } => Some(password_hash.as_str()),
    };
    sqlx::query(
        "UPDATE users SET email_verified = 1, email_verified_at = COALESCE(email_verified_at, ?), \
         password_hash = COALESCE(?, password_hash), updated_at = ?, \
         failed_logins = CASE WHEN ? IS NULL THEN failed_logins ELSE 0 END, \
         locked_until = CASE WHEN ? IS NULL THEN locked_until ELSE NULL END WHERE id = ?",
    )
    .bind(now)
    .bind(password_hash)
    .bind(now)
    .bind(password_hash)
    .bind(password_hash)
    .bind(user_id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if password_hash.is_some() {
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    let user = users::fetch(&mut tx, UserId(user_id))
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    audit::record(&mut tx, &audit, target(&user)).await?;
    commit(tx).await?;
    Ok(user)
}

/// Voids everything mailed to a user's old address when it changes: unused tokens are used up,
/// pending invitations revoked, and their mails withdrawn. Runs in the caller's transaction.
pub(crate) async fn void_for_new_address(
    conn: &mut SqliteConnection,
    user: UserId,
    now: time::OffsetDateTime,
) -> Result<()> {
    sqlx::query("UPDATE user_tokens SET used_at = ? WHERE user_id = ? AND used_at IS NULL")
        .bind(to_db(now))
        .bind(user.get())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query(
        "UPDATE invitations SET revoked_at = ? WHERE user_id = ? AND accepted_at IS NULL \
         AND revoked_at IS NULL",
    )
    .bind(to_db(now))
    .bind(user.get())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    outbox::cancel(conn, user, None, "cancelled: the address changed").await
}
