//! Login sessions. The lookup joins the user and account so their current state is seen on
//! every lookup, by every server; the credential cache looks again after any revocation
//! (`auth_epoch`).

use sqlx::{PgConnection, PgPool};
use tenantry_core::auth::TokenHash;
use tenantry_core::model::session::{NewSession, SessionTokens};
use tenantry_core::model::{Actor, AuditDraft, Session, SessionId};
use tenantry_core::{Error, Resource, Result};
use time::OffsetDateTime;

use crate::audit::{self, Target, audit_insert, bind_audit_draft};
use crate::errors::{StoreError, db};
use crate::rows::SessionRow;
use crate::tx;

macro_rules! session_select {
    () => {
        "SELECT s.id, s.user_id, u.account_id, u.tenant_id, u.account_path, u.role, \
         u.status AS user_status, a.status AS account_status, s.access_hash, \
         s.access_expires_at, s.refresh_expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id "
    };
}

async fn fetch(conn: &mut PgConnection, id: SessionId) -> Result<Option<Session>, StoreError> {
    let row: Option<SessionRow> = sqlx::query_as(concat!(session_select!(), "WHERE s.id = $1"))
        .bind(id.get())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Session::try_from).transpose()?)
}

pub(crate) async fn insert(pool: &PgPool, new: NewSession, audit: AuditDraft) -> Result<SessionId> {
    tx::statement(pool, |conn| {
        Box::pin(insert_statement(conn, new.clone(), audit.clone()))
    })
    .await
}

/// A login's writes in one statement, one round trip: every login, right or wrong, has already
/// made two or three for its lookups.
async fn insert_statement(
    conn: &mut PgConnection,
    new: NewSession,
    audit: AuditDraft,
) -> Result<SessionId, StoreError> {
    // `current` finds the user only if the password is still the one the login verified and
    // the user and its account are still active. It locks the user row for the update below,
    // and the account row against a concurrent suspension: whichever commits first, the other
    // sees it, as PostgreSQL checks the conditions again on a row it had to wait for. (Locking
    // both for update, in this order, also keeps two logins of one user from deadlocking on a
    // shared lock they both want to upgrade.) The rest writes only if it found the user: the
    // session, the user's last login, the account's activity and the audit record. Activity
    // is kept to the minute: frequent logins into one account need not rewrite it.
    let tokens = &new.tokens;
    let query = sqlx::query_scalar(concat!(
        "WITH current AS MATERIALIZED (SELECT u.tenant_id, u.account_id, u.account_path \
         FROM users u JOIN accounts a ON a.id = u.account_id \
         WHERE u.id = $1 AND u.password_hash = $2 AND u.status = 'active' \
         AND a.status = 'active' FOR UPDATE OF u FOR NO KEY UPDATE OF a), \
         session AS (INSERT INTO sessions (tenant_id, user_id, access_hash, refresh_hash, \
         access_expires_at, refresh_expires_at, created_at) \
         SELECT tenant_id, $1, $3, $4, $5, $6, $7 FROM current RETURNING id), \
         seen AS (UPDATE users SET last_login_at = $7, failed_logins = 0, locked_until = NULL \
         WHERE id = $1 AND EXISTS (SELECT FROM current)), \
         active AS (UPDATE accounts SET activity_at = $7 \
         WHERE id = (SELECT account_id FROM current) AND activity_at < $7 - interval '1 minute'), \
         logged AS (",
        audit_insert!(),
        "SELECT tenant_id, account_path, $8, $9, 'user', $1, $10, $11, $12 FROM current) \
         SELECT id FROM session"
    ))
    .bind(new.user_id.get())
    .bind(&new.verified_hash)
    .bind(tokens.access_hash.as_bytes().as_slice())
    .bind(tokens.refresh_hash.as_bytes().as_slice())
    .bind(tokens.access_expires)
    .bind(tokens.refresh_expires)
    .bind(tokens.now);
    let id: Option<i64> = bind_audit_draft!(query, audit)
        .fetch_optional(&mut *conn)
        .await?;
    id.map(SessionId).ok_or_else(|| bad_credentials().into())
}

/// The revocation counter the credential cache checks (`auth_epoch`, kept by triggers).
pub(crate) async fn auth_epoch(pool: &PgPool) -> Result<i64> {
    sqlx::query_scalar("SELECT value FROM auth_epoch WHERE id = 1")
        .fetch_one(pool)
        .await
        .map_err(db)
}

pub(crate) async fn by_access(
    pool: &PgPool,
    hash: &TokenHash,
    now: OffsetDateTime,
) -> Result<Option<Session>> {
    let row: Option<SessionRow> = sqlx::query_as(concat!(
        session_select!(),
        "WHERE s.access_hash = $1 AND s.access_expires_at > $2"
    ))
    .bind(hash.as_bytes().as_slice())
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(Session::try_from).transpose()
}

pub(crate) async fn rotate(
    pool: &PgPool,
    refresh: &TokenHash,
    tokens: SessionTokens,
    audit: AuditDraft,
) -> Result<Option<Session>> {
    let refresh = *refresh;
    tx::write(pool, |conn| {
        Box::pin(rotate_tx(conn, refresh, tokens.clone(), audit.clone()))
    })
    .await
}

async fn rotate_tx(
    conn: &mut PgConnection,
    refresh: TokenHash,
    tokens: SessionTokens,
    audit: AuditDraft,
) -> Result<Option<Session>, StoreError> {
    // One UPDATE both checks and consumes the refresh token, so two servers racing to use the
    // same token cannot both succeed.
    let id: Option<i64> = sqlx::query_scalar(
        "UPDATE sessions SET access_hash = $1, refresh_hash = $2, access_expires_at = $3, \
         refresh_expires_at = $4 WHERE refresh_hash = $5 AND refresh_expires_at > $6 RETURNING id",
    )
    .bind(tokens.access_hash.as_bytes().as_slice())
    .bind(tokens.refresh_hash.as_bytes().as_slice())
    .bind(tokens.access_expires)
    .bind(tokens.refresh_expires)
    .bind(refresh.as_bytes().as_slice())
    .bind(tokens.now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let session = fetch(conn, SessionId(id)).await?;
    if let Some(session) = &session {
        let audit = AuditDraft {
            actor: Actor::User(session.user_id),
            ..audit
        };
        audit::record(conn, &audit, session_target(session)).await?;
    }
    Ok(session)
}

pub(crate) async fn delete(pool: &PgPool, id: SessionId, audit: AuditDraft) -> Result<()> {
    tx::write(pool, |conn| Box::pin(delete_tx(conn, id, audit.clone()))).await
}

async fn delete_tx(
    conn: &mut PgConnection,
    id: SessionId,
    audit: AuditDraft,
) -> Result<(), StoreError> {
    let Some(session) = fetch(conn, id).await? else {
        return Err(Error::NotFound(Resource::Session).into());
    };
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    let target = Target {
        kind: "user",
        id: Some(session.user_id.get()),
        tenant_id: Some(session.tenant_id.get()),
        path: Some(&session.account_path),
    };
    audit::record(conn, &audit, target).await?;
    Ok(())
}

pub(crate) async fn purge_expired(pool: &PgPool, now: OffsetDateTime) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE refresh_expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await
        .map_err(db)?;
    tenantry_core::committed_writes::note();
    Ok(done.rows_affected())
}

fn bad_credentials() -> Error {
    Error::Unauthenticated(tenantry_core::services::auth::BAD_CREDENTIALS.to_owned())
}

fn session_target(session: &Session) -> Target<'_> {
    Target {
        kind: "user",
        id: Some(session.user_id.get()),
        tenant_id: Some(session.tenant_id.get()),
        path: Some(&session.account_path),
    }
}
