//! Email-verification and password-reset tokens: recorded with their mail in one transaction,
//! used up at most once. Using one up is a conditional `UPDATE`, so of two servers redeeming the
//! same token at once, the second waits for the first and then finds it used.

use sqlx::{FromRow, PgConnection, PgPool};
use tenantry_core::auth::TokenHash;
use tenantry_core::model::mail::NewMail;
use tenantry_core::model::user_token::{NewUserToken, TokenRedemption};
use tenantry_core::model::{AuditDraft, User, UserId, UserToken, UserTokenId, UserTokenPurpose};
use tenantry_core::{Error, Resource, Result};
use time::OffsetDateTime;

use crate::audit;
use crate::errors::{StoreError, db};
use crate::outbox::{self, Owner};
use crate::{tx, users};

macro_rules! token_columns {
    () => {
        "id, user_id, purpose, token_hash, created_at, expires_at, used_at"
    };
}

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    purpose: String,
    token_hash: Vec<u8>,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    used_at: Option<OffsetDateTime>,
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
        created: row.created_at,
        expires: row.expires_at,
        used: row.used_at,
    };
    Ok((token, hash))
}

/// Records a token and its mail in the caller's transaction.
pub(crate) async fn insert_tx(
    conn: &mut PgConnection,
    new: &NewUserToken,
    mail: &NewMail,
    audit: &AuditDraft,
) -> Result<UserToken, StoreError> {
    let user = users::fetch(conn, new.user_id)
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    if new.purpose == UserTokenPurpose::PasswordReset {
        // A new reset link replaces the ones sent before.
        sqlx::query(
            "UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 \
             AND used_at IS NULL",
        )
        .bind(new.now)
        .bind(user.id.get())
        .bind(new.purpose.as_str())
        .execute(&mut *conn)
        .await?;
    }
    let row: TokenRow = sqlx::query_as(concat!(
        "INSERT INTO user_tokens (user_id, purpose, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING ",
        token_columns!()
    ))
    .bind(user.id.get())
    .bind(new.purpose.as_str())
    .bind(new.token_hash.as_bytes().as_slice())
    .bind(new.now)
    .bind(new.expires)
    .fetch_one(&mut *conn)
    .await?;
    let owner = Owner {
        tenant_id: user.tenant_id,
        path: &user.account_path,
        user_id: user.id,
    };
    outbox::enqueue(conn, mail, owner).await?;
    audit::record(conn, audit, users::target(&user)).await?;
    Ok(parse(row)?.0)
}

pub(crate) async fn insert(
    pool: &PgPool,
    new: NewUserToken,
    mail: NewMail,
    audit: AuditDraft,
) -> Result<UserToken> {
    tx::write(pool, |conn| {
        let (new, mail, audit) = (new.clone(), mail.clone(), audit.clone());
        Box::pin(async move { insert_tx(conn, &new, &mail, &audit).await })
    })
    .await
}

pub(crate) async fn by_hash(
    pool: &PgPool,
    hash: &TokenHash,
) -> Result<Option<(UserToken, TokenHash)>> {
    let row: Option<TokenRow> = sqlx::query_as(concat!(
        "SELECT ",
        token_columns!(),
        " FROM user_tokens WHERE token_hash = $1"
    ))
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(parse).transpose()
}

pub(crate) async fn redeem(
    pool: &PgPool,
    id: UserTokenId,
    redemption: TokenRedemption,
    audit: AuditDraft,
) -> Result<User> {
    tx::write(pool, |conn| {
        Box::pin(redeem_tx(conn, id, redemption.clone(), audit.clone()))
    })
    .await
}

async fn redeem_tx(
    conn: &mut PgConnection,
    id: UserTokenId,
    redemption: TokenRedemption,
    audit: AuditDraft,
) -> Result<User, StoreError> {
    let user_id: Option<i64> = sqlx::query_scalar(
        "UPDATE user_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL \
         AND expires_at > $1 RETURNING user_id",
    )
    .bind(audit.at)
    .bind(id.get())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(user_id) = user_id else {
        return Err(Error::conflict("the token was used already or has expired").into());
    };
    let password_hash = match redemption {
        TokenRedemption::VerifyEmail => None,
        TokenRedemption::ResetPassword { password_hash } => Some(password_hash),
    };
    let resets_password = password_hash.is_some();
    sqlx::query(
        "UPDATE users SET email_verified = TRUE, \
         email_verified_at = COALESCE(email_verified_at, $1), \
         password_hash = COALESCE($2, password_hash), updated_at = $1, \
         failed_logins = CASE WHEN $3 THEN 0 ELSE failed_logins END, \
         locked_until = CASE WHEN $3 THEN NULL ELSE locked_until END WHERE id = $4",
    )
    .bind(audit.at)
    .bind(password_hash)
    .bind(resets_password)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    if resets_password {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
    }
    let user = users::fetch(conn, UserId(user_id))
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    audit::record(conn, &audit, users::target(&user)).await?;
    Ok(user)
}

/// Voids everything mailed to a user's old address when it changes: unused tokens are used up,
/// pending invitations revoked, and their mails withdrawn. Runs in the caller's transaction.
pub(crate) async fn void_for_new_address(
    conn: &mut PgConnection,
    user: UserId,
    now: time::OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE user_tokens SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user.get())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE invitations SET revoked_at = $1 WHERE user_id = $2 AND accepted_at IS NULL \
         AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user.get())
    .execute(&mut *conn)
    .await?;
    outbox::cancel(conn, user, None, "cancelled: the address changed").await
}
