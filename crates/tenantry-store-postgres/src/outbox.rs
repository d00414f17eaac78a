//! The mail outbox: mails are queued inside the transaction of the change that caused them, and
//! claimed by dispatchers with a lease. Many servers share the database, so claiming locks the
//! due rows with `FOR UPDATE SKIP LOCKED`: each mail goes to one dispatcher, and dispatchers
//! never wait on each other's claims.

use serde_json::Value;
use sqlx::{FromRow, PgConnection, PgPool};
use tenantry_core::model::mail::{MailFilter, MailOutcome, NewMail};
use tenantry_core::model::{
    AccountId, AccountPath, MailId, MailKind, MailStatus, OutboxMail, UserId,
};
use tenantry_core::{Error, Result};
use time::{Duration, OffsetDateTime};

use crate::errors::{StoreError, db};
use crate::tx;

macro_rules! mail_columns {
    () => {
        "id, kind, recipient, tenant_id, account_path, user_id, params, token, status, attempts, \
         next_attempt_at, claimed_until, last_error, created_at, sent_at"
    };
}

#[derive(FromRow)]
struct MailRow {
    id: i64,
    kind: String,
    recipient: String,
    tenant_id: i64,
    account_path: String,
    user_id: Option<i64>,
    params: Value,
    token: Option<String>,
    status: String,
    attempts: i64,
    next_attempt_at: OffsetDateTime,
    claimed_until: Option<OffsetDateTime>,
    last_error: Option<String>,
    created_at: OffsetDateTime,
    sent_at: Option<OffsetDateTime>,
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
            params: row.params,
            token: row.token,
            status: row
                .status
                .parse()
                .map_err(|_| Error::internal("unexpected stored mail status"))?,
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            next_attempt: row.next_attempt_at,
            claimed_until: row.claimed_until,
            last_error: row.last_error,
            created: row.created_at,
            sent: row.sent_at,
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
    conn: &mut PgConnection,
    mail: &NewMail,
    owner: Owner<'_>,
) -> Result<MailId, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO mail_outbox (kind, recipient, tenant_id, account_path, user_id, params, \
         token, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8) RETURNING id",
    )
    .bind(mail.kind.as_str())
    .bind(&mail.recipient)
    .bind(owner.tenant_id.get())
    .bind(owner.path.as_str())
    .bind(owner.user_id.get())
    .bind(&mail.params)
    .bind(mail.token.as_deref())
    .bind(mail.now)
    .fetch_one(conn)
    .await?;
    Ok(MailId(id))
}

pub(crate) async fn claim(
    pool: &PgPool,
    now: OffsetDateTime,
    lease: Duration,
    limit: u32,
) -> Result<Vec<OutboxMail>> {
    let rows = tx::write(pool, |conn| Box::pin(claim_tx(conn, now, lease, limit))).await?;
    let mut mails = rows
        .into_iter()
        .map(OutboxMail::try_from)
        .collect::<Result<Vec<_>>>()?;
    // RETURNING gives no order.
    mails.sort_by_key(|m| (m.next_attempt, m.id));
    Ok(mails)
}

async fn claim_tx(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    lease: Duration,
    limit: u32,
) -> Result<Vec<MailRow>, StoreError> {
    // SKIP LOCKED passes over mails another dispatcher is claiming right now; the lock is
    // re-checked against the committed row, so a mail claimed meanwhile is not claimed again.
    let rows = sqlx::query_as(concat!(
        "UPDATE mail_outbox SET claimed_until = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' \
           AND next_attempt_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2) \
           ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING ",
        mail_columns!()
    ))
    .bind(now + lease)
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub(crate) async fn settle(
    pool: &PgPool,
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
    let sent_at = (status == MailStatus::Sent).then_some(now);
    // One statement: its own transaction. The claim fences out a dispatcher whose lease ran out.
    let done = sqlx::query(
        "UPDATE mail_outbox SET status = $1, last_error = COALESCE($2, last_error), \
         next_attempt_at = COALESCE($3, next_attempt_at), claimed_until = NULL, \
         sent_at = COALESCE($4, sent_at), token = CASE WHEN $5 THEN token ELSE NULL END \
         WHERE id = $6 AND status = 'pending' AND claimed_until = $7",
    )
    .bind(status.as_str())
    .bind(error)
    .bind(next)
    .bind(sent_at)
    .bind(keep_token)
    .bind(id.get())
    .bind(claimed_until)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn release(
    pool: &PgPool,
    id: MailId,
    claimed_until: OffsetDateTime,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mail_outbox SET claimed_until = NULL, attempts = GREATEST(attempts - 1, 0) \
         WHERE id = $1 AND status = 'pending' AND claimed_until = $2",
    )
    .bind(id.get())
    .bind(claimed_until)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws a user's mails whose links no longer work (the invitation was revoked or resent,
/// the address changed): pending ones are failed with `reason`, and every such mail loses its
/// token. `kind` limits this to one kind of mail.
pub(crate) async fn cancel(
    conn: &mut PgConnection,
    user: UserId,
    kind: Option<MailKind>,
    reason: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE mail_outbox SET token = NULL, claimed_until = NULL, \
         last_error = CASE WHEN status = 'pending' THEN $1 ELSE last_error END, \
         status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END \
         WHERE user_id = $2 AND token IS NOT NULL AND ($3::text IS NULL OR kind = $3)",
    )
    .bind(reason)
    .bind(user.get())
    .bind(kind.map(MailKind::as_str))
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn get(pool: &PgPool, id: MailId) -> Result<Option<OutboxMail>> {
    let row: Option<MailRow> = sqlx::query_as(concat!(
        "SELECT ",
        mail_columns!(),
        " FROM mail_outbox WHERE id = $1"
    ))
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(OutboxMail::try_from).transpose()
}

pub(crate) async fn list(
    pool: &PgPool,
    within: Option<&AccountPath>,
    filter: &MailFilter,
) -> Result<Vec<OutboxMail>> {
    let (low, high) = within.map_or((None, None), |p| {
        let (low, high) = p.subtree_range();
        (Some(low), Some(high))
    });
    let rows: Vec<MailRow> = sqlx::query_as(concat!(
        "SELECT ",
        mail_columns!(),
        " FROM mail_outbox \
         WHERE ($1::text IS NULL OR (account_path >= $1 AND account_path < $2::text)) \
           AND ($3::text IS NULL OR status = $3) AND ($4::bigint IS NULL OR id < $4) \
         ORDER BY id DESC LIMIT $5"
    ))
    .bind(low)
    .bind(high)
    .bind(filter.status.map(MailStatus::as_str))
    .bind(filter.before.map(MailId::get))
    .bind(i64::from(filter.limit))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter().map(OutboxMail::try_from).collect()
}
