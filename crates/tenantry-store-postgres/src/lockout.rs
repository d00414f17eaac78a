//! Brute-force protection: failures per user (and their lock), failures per client address.
//! Both counters are single-row updates, so every server on the database counts together.

use sqlx::{PgConnection, PgPool};
use tenantry_core::auth::lockout::LockoutPolicy;
use tenantry_core::model::{AuditDraft, User, UserId};
use tenantry_core::{Error, Resource, Result};
use time::{Duration, OffsetDateTime};

use crate::audit;
use crate::errors::{StoreError, db};
use crate::{tx, users};

pub(crate) async fn record_failure(
    pool: &PgPool,
    user: UserId,
    policy: &LockoutPolicy,
    audit: AuditDraft,
) -> Result<Option<OffsetDateTime>> {
    let policy = *policy;
    tx::write(pool, |conn| {
        Box::pin(record_failure_tx(conn, user, policy, audit.clone()))
    })
    .await
}

async fn record_failure_tx(
    conn: &mut PgConnection,
    user: UserId,
    policy: LockoutPolicy,
    audit: AuditDraft,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let failures: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
    )
    .bind(user.get())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(failures) = failures else {
        return Ok(None);
    };
    let locked_until = policy.locked_until(failures, audit.at);
    if let Some(until) = locked_until {
        sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2")
            .bind(until)
            .bind(user.get())
            .execute(&mut *conn)
            .await?;
        if failures == policy.threshold {
            let locked = users::fetch(conn, user)
                .await?
                .ok_or(Error::NotFound(Resource::User))?;
            audit::record(conn, &audit, users::target(&locked)).await?;
        }
    }
    Ok(locked_until)
}

pub(crate) async fn unlock(pool: &PgPool, user: UserId, audit: AuditDraft) -> Result<User> {
    tx::write(pool, |conn| Box::pin(unlock_tx(conn, user, audit.clone()))).await
}

async fn unlock_tx(
    conn: &mut PgConnection,
    user: UserId,
    audit: AuditDraft,
) -> Result<User, StoreError> {
    let done = sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(user.get())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(Resource::User).into());
    }
    let unlocked = users::fetch(conn, user)
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    audit::record(conn, &audit, users::target(&unlocked)).await?;
    Ok(unlocked)
}

pub(crate) async fn address_failures(
    pool: &PgPool,
    address: &str,
    now: OffsetDateTime,
    window: Duration,
) -> Result<Option<(i64, OffsetDateTime)>> {
    sqlx::query_as(
        "SELECT failures, window_start FROM login_address_failures \
         WHERE address = $1 AND window_start > $2",
    )
    .bind(address)
    .bind(now - window)
    .fetch_optional(pool)
    .await
    .map_err(db)
}

pub(crate) async fn record_address_failure(
    pool: &PgPool,
    address: &str,
    now: OffsetDateTime,
    window: Duration,
) -> Result<()> {
    // One statement: concurrent failures from one address serialise on its row. A closed
    // window starts afresh at this failure.
    sqlx::query(
        "INSERT INTO login_address_failures AS f (address, window_start, failures) \
         VALUES ($1, $2, 1) \
         ON CONFLICT (address) DO UPDATE SET \
         failures = CASE WHEN f.window_start > $3 THEN f.failures + 1 ELSE 1 END, \
         window_start = CASE WHEN f.window_start > $3 THEN f.window_start ELSE $2 END",
    )
    .bind(address)
    .bind(now)
    .bind(now - window)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

/// Forgets address windows that closed before `before`.
pub(crate) async fn purge_address_failures(pool: &PgPool, before: OffsetDateTime) -> Result<()> {
    sqlx::query("DELETE FROM login_address_failures WHERE window_start < $1")
        .bind(before)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}
