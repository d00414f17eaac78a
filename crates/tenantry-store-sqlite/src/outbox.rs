//! The mail outbox: mails are queued inside the transaction of the change that caused them, and
//! claimed by dispatchers with a lease. SQLite has one writer at a time, so claiming in one
//! `UPDATE … RETURNING` inside a write transaction hands each mail to one dispatcher.

use sqlx::{FromRow, SqliteConnection};
use tenantry_core::model::mail::{MailFilter, MailOutcome, NewMail};
use tenantry_core::model::{
    AccountId, AccountPath, MailId, MailKind, MailStatus, OutboxMail, UserId,
};
use tenantry_core::{Error, Result};
use time::{Duration, OffsetDateTime};

use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::timestamps::{from_db, from_db_opt, to_db};

const COLUMNS: &str = "id, kind, recipient, tenant_id, account_path, user_id, params, token, \
                       status, attempts, next_attempt_at, claimed_until, last_error, created_at, \
                       sent_at";

#[derive(FromRow)]
struct MailRow {
    id: i64,
    kind: String,
    recipient: String,
    tenant_id: i64,
    account_path: String,
    user_id: Option<i64>,
    params: String,
    token: Option<String>,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    claimed_until: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl TryFrom<MailRow> for OutboxMail {
    type Error = Error;

    fn try_from(row: MailRow) -> Result<OutboxMail> {
        Ok(OutboxMail {
            id: MailId(row.id),
            kind: row
                .kind
                .parse()
                .map_err(|_| Error::internal("unexpected stored mail kind"))?,
            recipient: row.recipient,
            tenant_id: AccountId(row.tenant_id),
            account_path: AccountPath::from_stored(row.account_path),
            user_id: row.user_id.map(UserId),
            params: serde_json::from_str(&row.params)
                .map_err(|e| Error::internal(format!("stored mail parameters: {e}")))?,
            token: row.token,
            status: row
                .status
                .parse()
                .map_err(|_| Error::internal("unexpected stored mail status"))?,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            next_attempt: from_db(row.next_attempt_at)?,
            claimed_until: from_db_opt(row.claimed_until)?,
            last_error: row.last_error,
            created: from_db(row.created_at)?,
            sent: from_db_opt(row.sent_at)?,
        })
    }
}

/// Where a queued mail belongs: the tenant and account whose administrators may read it, and
/// the user it is about.
pub(crate) struct Owner<'a> {
    pub tenant_id: AccountId,
    pub path: &'a AccountPath,
    pub user_id: UserId,
}

/// Queues a mail in the caller's transaction.
pub(crate) async fn enqueue(
    conn: &mut SqliteConnection,
    mail: &NewMail,
    owner: Owner<'_>,
) -> Result<MailId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO mail_outbox (kind, recipient, tenant_id, account_path, user_id, params, \
         token, status, attempts, next_attempt_at, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id",
    )
    .bind(mail.kind.as_str())
    .bind(&mail.recipient)
    .bind(owner.tenant_id.get())
    .bind(owner.path.as_str())
    .bind(owner.user_id.get())
    .bind(mail.params.to_string())
    .bind(mail.token.as_deref())
    .bind(to_db(mail.now))
    .bind(to_db(mail.now))
    .fetch_one(conn)
    .await
    .map_err(db)?;
    Ok(MailId(id))
}

pub(crate) async fn claim(
    writer: &Writer,
    now: OffsetDateTime,
    lease: Duration,
    limit: u32,
) -> Result<Vec<OutboxMail>> {
    let mut tx = begin_write(writer).await?;
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE mail_outbox SET claimed_until = ?1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' \
           AND next_attempt_at <= ?2 AND (claimed_until IS NULL OR claimed_until <= ?2) \
           ORDER BY next_attempt_at, id LIMIT ?3) \
         RETURNING {COLUMNS}"
    ));
    let rows: Vec<MailRow> = sqlx::query_as(sql)
        .bind(to_db(now + lease))
        .bind(to_db(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    commit(tx).await?;
    let mut mails = rows
        .into_iter()
        .map(OutboxMail::try_from)
        .collect::<Result<Vec<_>>>()?;
    mails.sort_by_key(|m| (m.next_attempt, m.id));
    Ok(mails)
}

pub(crate) async fn settle(
    writer: &Writer,
    id: MailId,
    claimed_until: OffsetDateTime,
    outcome: MailOutcome,
    now: OffsetDateTime,
) -> Result<bool> {
    let settled = outcome.settled();
    let (status, error, next, keep_token) = (
        settled.status,
        settled.error,
        settled.next_attempt,
        settled.keeps_token,
    );
    let sent_at = (status == MailStatus::Sent).then_some(to_db(now));
    let mut tx = begin_write(writer).await?;
    let done = sqlx::query(
        "UPDATE mail_outbox SET status = ?, last_error = COALESCE(?, last_error), \
         next_attempt_at = COALESCE(?, next_attempt_at), claimed_until = NULL, \
         sent_at = COALESCE(?, sent_at), token = CASE WHEN ? THEN token ELSE NULL END \
         WHERE id = ? AND status = 'pending' AND claimed_until = ?",
    )
    .bind(status.as_str())
    .bind(error)
    .bind(next.map(to_db))
    .bind(sent_at)
    .bind(keep_token)
    .bind(id.get())
    .bind(to_db(claimed_until))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    commit(tx).await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn release(
    writer: &Writer,
    id: MailId,
    claimed_until: OffsetDateTime,
) -> Result<bool> {
    let mut tx = begin_write(writer).await?;
    let done = sqlx::query(
        "UPDATE mail_outbox SET claimed_until = NULL, attempts = MAX(attempts - 1, 0) \
         WHERE id = ? AND status = 'pending' AND claimed_until = ?",
    )
    .bind(id.get())
    .bind(to_db(claimed_until))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    commit(tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws a user's mails whose links no longer work (the invitation was revoked or resent,
/// the address changed): pending ones are failed with `reason`, and every such mail loses its
/// token. `kind` limits this to one kind of mail.
pub(crate) async fn cancel(
    conn: &mut SqliteConnection,
    user: UserId,
    kind: Option<MailKind>,
    reason: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET token = NULL, claimed_until = NULL, \
         last_error = CASE WHEN status = 'pending' THEN ? ELSE last_error END, \
         status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END \
         WHERE user_id = ? AND token IS NOT NULL AND (? IS NULL OR kind = ?)",
    )
    .bind(reason)
    .bind(user.get())
    .bind(kind.map(MailKind::as_str))
    .bind(kind.map(MailKind::as_str))
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn get(readers: &Readers, id: MailId) -> Result<Option<OutboxMail>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = ?"));
    let row: Option<MailRow> = sqlx::query_as(sql)
        .bind(id.get())
        .fetch_optional(&mut *readers.acquire().await?)
        .await
        .map_err(db)?;
    row.map(OutboxMail::try_from).transpose()
}

pub(crate) async fn list(
    readers: &Readers,
    within: Option<&AccountPath>,
    filter: &MailFilter,
) -> Result<Vec<OutboxMail>> {
    let (low, high) = within.map_or((None, None), |p| {
        let (low, high) = p.subtree_range();
        (Some(low), Some(high))
    });
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM mail_outbox \
         WHERE (?1 IS NULL OR (account_path >= ?1 AND account_path < ?2)) \
           AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR id < ?4) \
         ORDER BY id DESC LIMIT ?5"
    ));
    let rows: Vec<MailRow> = sqlx::query_as(sql)
        .bind(low)
        .bind(high)
        .bind(filter.status.map(MailStatus::as_str))
        .bind(filter.before.map(MailId::get))
        .bind(i64::from(filter.limit))
        .fetch_all(&mut *readers.acquire().await?)
        .await
        .map_err(db)?;
    rows.into_iter().map(OutboxMail::try_from).collect()
}
