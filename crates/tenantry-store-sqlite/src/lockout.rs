//! Brute-force protection: failures per user (and their lock), failures per client address.

use tenantry_core::auth::lockout::LockoutPolicy;
use tenantry_core::model::{AuditDraft, User, UserId};
use tenantry_core::{Error, Resource, Result};
use time::{Duration, OffsetDateTime};

use crate::audit;
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::timestamps::{from_db, to_db};
use crate::users;

pub(crate) async fn record_failure(
    writer: &Writer,
    user: UserId,
    policy: &LockoutPolicy,
    audit: AuditDraft,
) -> Result<Option<OffsetDateTime>> {
    let mut tx = begin_write(writer).await?;
    let failures: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins",
    )
    .bind(user.get())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(failures) = failures else {
        return Ok(None);
    };
    let locked_until = policy.locked_until(failures, audit.at);
    if let Some(until) = locked_until {
        sqlx::query("UPDATE users SET locked_until = ? WHERE id = ?")
            .bind(to_db(until))
            .bind(user.get())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if failures == policy.threshold {
            let locked = users::fetch(&mut tx, user)
                .await?
                .ok_or(Error::NotFound(Resource::User))?;
            audit::record(&mut tx, &audit, users::target(&locked)).await?;
        }
    }
    commit(tx).await?;
    Ok(locked_until)
}

pub(crate) async fn unlock(writer: &Writer, user: UserId, audit: AuditDraft) -> Result<User> {
    let mut tx = begin_write(writer).await?;
    let done = sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?")
        .bind(user.get())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(Resource::User));
    }
    let unlocked = users::fetch(&mut tx, user)
        .await?
        .ok_or(Error::NotFound(Resource::User))?;
    audit::record(&mut tx, &audit, users::target(&unlocked)).await?;
    commit(tx).await?;
    Ok(unlocked)
}

pub(crate) async fn address_failures(
    readers: &Readers,
    address: &str,
    now: OffsetDateTime,
    window: Duration,
) -> Result<Option<(i64, OffsetDateTime)>> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT failures, window_start FROM login_address_failures \
         WHERE address = ? AND window_start > ?",
    )
    .bind(address)
    .bind(to_db(now - window))
    .fetch_optional(&mut *readers.acquire().await?)
    .await
    .map_err(db)?;
    row.map(|(failures, start)| Ok((failures, from_db(start)?)))
        .transpose()
}

pub(crate) async fn record_address_failure(
    writer: &Writer,
    address: &str,
    now: OffsetDateTime,
    window: Duration,
) -> Result<()> {
    let mut tx = begin_write(writer).await?;
    // A closed window starts afresh at this failure.
    sqlx::query(
        "INSERT INTO login_address_failures (address, window_start, failures) VALUES (?1, ?2, 1) \
         ON CONFLICT (address) DO UPDATE SET \
         failures = CASE WHEN window_start > ?3 THEN failures + 1 ELSE 1 END, \
         window_start = CASE WHEN window_start > ?3 THEN window_start ELSE ?2 END",
    )
    .bind(address)
    .bind(to_db(now))
    .bind(to_db(now - window))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    commit(tx).await?;
    Ok(())
}

/// Forgets address windows that closed before `before`.
pub(crate) async fn purge_address_failures(writer: &Writer, before: OffsetDateTime) -> Result<()> {
    let mut tx = begin_write(writer).await?;
    sqlx::query("DELETE FROM login_address_failures WHERE window_start < ?")
        .bind(to_db(before))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    commit(tx).await?;
    Ok(())
}
