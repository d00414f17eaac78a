//! Login sessions. The lookup joins the user and account so their current state is seen on
//! every lookup; the credential cache looks again after any revocation (`auth_epoch`).

use sqlx::SqliteConnection;
use tenantry_core::auth::TokenHash;
use tenantry_core::model::session::{NewSession, SessionTokens};
use tenantry_core::model::{Actor, AuditDraft, Session, SessionId};
use tenantry_core::{Error, Resource, Result};
use time::OffsetDateTime;

use crate::audit::{self, Target};
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::rows::SessionRow;
use crate::timestamps::to_db;

macro_rules! session_select {
    () => {
        "SELECT s.id, s.user_id, u.account_id, u.tenant_id, u.account_path, u.role, \
         u.status AS user_status, a.status AS account_status, s.access_hash, \
         s.access_expires_at, s.refresh_expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id "
    };
}

async fn fetch(conn: &mut SqliteConnection, id: SessionId) -> Result<Option<Session>> {
    let row: Option<SessionRow> = sqlx::query_as(concat!(session_select!(), "WHERE s.id = ?"))
        .bind(id.get())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    row.map(Session::try_from).transpose()
}

pub(crate) async fn insert(
    writer: &Writer,
    new: NewSession,
    audit: AuditDraft,
) -> Result<SessionId> {
    let mut tx = begin_write(writer).await?;
    let user = crate::users::fetch(&mut tx, new.user_id)
        .await?
        .ok_or_else(bad_credentials)?;
    let current: Option<(Option<String>, String, String)> = sqlx::query_as(
        "SELECT u.password_hash, u.status, a.status FROM users u \
         JOIN accounts a ON a.id = u.account_id WHERE u.id = ?",
    )
    .bind(user.id.get())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    check_still_valid(current, &new.verified_hash)?;
    let tokens = &new.tokens;
    let now = to_db(tokens.now);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sessions (tenant_id, user_id, access_hash, refresh_hash, access_expires_at, \
         refresh_expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(user.tenant_id.get())
    .bind(user.id.get())
    .bind(tokens.access_hash.as_bytes().as_slice())
    .bind(tokens.refresh_hash.as_bytes().as_slice())
    .bind(to_db(tokens.access_expires))
    .bind(to_db(tokens.refresh_expires))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE users SET last_login_at = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
    )
    .bind(now)
    .bind(user.id.get())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    // Activity is kept to the minute: frequent logins into one account need not rewrite it.
    sqlx::query("UPDATE accounts SET activity_at = ? WHERE id = ? AND activity_at < ? - 60000000")
        .bind(now)
        .bind(user.account_id.get())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let target = Target {
        kind: "user",
        id: Some(user.id.get()),
        tenant_id: Some(user.tenant_id.get()),
        path: Some(&user.account_path),
    };
    audit::record(&mut tx, &audit, target).await?;
    commit(tx).await?;
    Ok(SessionId(id))
}

/// The revocation counter the credential cache checks (`auth_epoch`, kept by triggers).
pub(crate) async fn auth_epoch(readers: &Readers) -> Result<i64> {
    sqlx::query_scalar("SELECT value FROM auth_epoch WHERE id = 1")
        .fetch_one(&mut *readers.acquire().await?)
        .await
        .map_err(db)
}

pub(crate) async fn by_access(
    readers: &Readers,
    hash: &TokenHash,
    now: OffsetDateTime,
) -> Result<Option<Session>> {
    let row: Option<SessionRow> = sqlx::query_as(concat!(
        session_select!(),
        "WHERE s.access_hash = ? AND s.access_expires_at > ?"
    ))
    .bind(hash.as_bytes().as_slice())
    .bind(to_db(now))
    .fetch_optional(&mut *readers.acquire().await?)
    .await
    .map_err(db)?;
    row.map(Session::try_from).transpose()
}

pub(crate) async fn rotate(
    writer: &Writer,
    refresh: &TokenHash,
    tokens: SessionTokens,
    audit: AuditDraft,
) -> Result<Option<Session>> {
    let mut tx = begin_write(writer).await?;
    let id: Option<i64> = sqlx::query_scalar(
        "UPDATE sessions SET access_hash = ?, refresh_hash = ?, access_expires_at = ?, \
         refresh_expires_at = ? WHERE refresh_hash = ? AND refresh_expires_at > ? RETURNING id",
    )
    .bind(tokens.access_hash.as_bytes().as_slice())
    .bind(tokens.refresh_hash.as_bytes().as_slice())
    .bind(to_db(tokens.access_expires))
    .bind(to_db(tokens.refresh_expires))
    .bind(refresh.as_bytes().as_slice())
    .bind(to_db(tokens.now))
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(id) = id else {
        return Ok(None);
    };
    let session = fetch(&mut tx, SessionId(id)).await?;
    if let Some(session) = &session {
        let audit = AuditDraft {
            actor: Actor::User(session.user_id),
            ..audit
        };
        audit::record(&mut tx, &audit, session_target(session)).await?;
    }
    commit(tx).await?;
    Ok(session)
}

pub(crate) async fn delete(writer: &Writer, id: SessionId, audit: AuditDraft) -> Result<()> {
    let mut tx = begin_write(writer).await?;
    let Some(session) = fetch(&mut tx, id).await? else {
        return Err(Error::NotFound(Resource::Session));
    };
    sqlx::query("DELETE FROM sessions WHERE id = ?")
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let target = Target {
        kind: "user",
        id: Some(session.user_id.get()),
        tenant_id: Some(session.tenant_id.get()),
        path: Some(&session.account_path),
    };
    audit::record(&mut tx, &audit, target).await?;
    commit(tx).await?;
    Ok(())
}

pub(crate) async fn purge_expired(writer: &Writer, now: OffsetDateTime) -> Result<u64> {
    let mut tx = begin_write(writer).await?;
    let done = sqlx::query("DELETE FROM sessions WHERE refresh_expires_at <= ?")
        .bind(to_db(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    commit(tx).await?;
    Ok(done.rows_affected())
}

fn bad_credentials() -> Error {
    Error::Unauthenticated(tenantry_core::services::auth::BAD_CREDENTIALS.to_owned())
}

/// The login was verified against `verified_hash`; refuse it if the password changed since, or
/// the user or account stopped being active.
fn check_still_valid(
    current: Option<(Option<String>, String, String)>,
    verified_hash: &str,
) -> Result<()> {
    match current {
        Some((Some(hash), user_status, account_status))
            if hash == verified_hash && user_status == "active" && account_status == "active" =>
        {
            Ok(())
        }
        _ => Err(bad_credentials()),
    }
}

fn session_target(session: &Session) -> Target<'_> {
    Target {
        kind: "user",
        id: Some(session.user_id.get()),
        tenant_id: Some(session.tenant_id.get()),
        path: Some(&session.account_path),
    }
}
