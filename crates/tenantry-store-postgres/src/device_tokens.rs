//! ControlByWeb's certificate request tokens and device seat tokens.

use sqlx::{FromRow, PgConnection, PgPool};
use tenantry_core::auth::TokenHash;
use tenantry_core::model::device_tokens::{self, NewCertificateToken, NewSeatToken};
use tenantry_core::model::{
    Account, AccountId, AuditDraft, CertificateToken, CertificateTokenId, SeatToken, SeatTokenId,
};
use tenantry_core::seats;
use tenantry_core::{Error, Resource, Result};
use time::OffsetDateTime;

use crate::accounts::{self, lock};
use crate::audit::{self, Target};
use crate::errors::{StoreError, db};
use crate::tx;

#[derive(FromRow)]
struct CertificateRow {
    id: i64,
    tenant_id: i64,
    account_id: i64,
    nonce: Vec<u8>,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

impl TryFrom<CertificateRow> for CertificateToken {
    type Error = Error;

    fn try_from(row: CertificateRow) -> Result<CertificateToken> {
        Ok(CertificateToken {
            id: CertificateTokenId(row.id),
            tenant_id: AccountId(row.tenant_id),
            account_id: AccountId(row.account_id),
            nonce: row
                .nonce
                .as_slice()
                .try_into()
                .map_err(|_| Error::internal("unexpected stored certificate token nonce"))?,
            created: row.created_at,
            expires: row.expires_at,
        })
    }
}

const CERTIFICATE_COLUMNS: &str = "id, tenant_id, account_id, nonce, created_at, expires_at";

fn certificate_target(account: &Account, id: CertificateTokenId) -> Target<'_> {
    Target {
        kind: "certificate_token",
        id: Some(id.get()),
        tenant_id: Some(account.tenant_id.get()),
        path: Some(&account.path),
    }
}

pub(crate) async fn insert_certificate(
    pool: &PgPool,
    new: NewCertificateToken,
    audit: AuditDraft,
) -> Result<CertificateToken> {
    tx::write(pool, |conn| {
        Box::pin(insert_certificate_tx(conn, new.clone(), audit.clone()))
    })
    .await
}

async fn insert_certificate_tx(
    conn: &mut PgConnection,
    new: NewCertificateToken,
    audit: AuditDraft,
) -> Result<CertificateToken, StoreError> {
    // An exclusive lock: concurrent creations count the live tokens one after another.
    let account = lock(conn, new.account_id).await?;
    // Expired tokens of the account go as new ones come, so the table stays small.
    sqlx::query("DELETE FROM certificate_tokens WHERE account_id = $1 AND expires_at <= $2")
        .bind(account.id.get())
        .bind(new.now)
        .execute(&mut *conn)
        .await?;
    let live: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM certificate_tokens WHERE account_id = $1")
            .bind(account.id.get())
            .fetch_one(&mut *conn)
            .await?;
    if live >= new.max_live {
        return Err(device_tokens::too_many_certificate_tokens(new.max_live).into());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO certificate_tokens (tenant_id, account_id, token_hash, nonce, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {CERTIFICATE_COLUMNS}"
    ));
    let row: CertificateRow = sqlx::query_as(sql)
        .bind(account.tenant_id.get())
        .bind(account.id.get())
        .bind(new.token_hash.as_bytes().as_slice())
        .bind(new.nonce.as_slice())
        .bind(new.now)
        .bind(new.expires)
        .fetch_one(&mut *conn)
        .await?;
    let token = CertificateToken::try_from(row)?;
    audit::record(conn, &audit, certificate_target(&account, token.id)).await?;
    Ok(token)
}

pub(crate) async fn certificates(
    pool: &PgPool,
    account: AccountId,
    now: OffsetDateTime,
) -> Result<Vec<CertificateToken>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {CERTIFICATE_COLUMNS} FROM certificate_tokens \
         WHERE account_id = $1 AND expires_at > $2 ORDER BY id"
    ));
    let rows: Vec<CertificateRow> = sqlx::query_as(sql)
        .bind(account.get())
        .bind(now)
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.into_iter().map(CertificateToken::try_from).collect()
}

/// A certificate token row with its stored hash.
#[derive(FromRow)]
struct CertificateWithHash {
    #[sqlx(flatten)]
    row: CertificateRow,
    token_hash: Vec<u8>,
}

pub(crate) async fn certificate_by_hash(
    pool: &PgPool,
    hash: &TokenHash,
) -> Result<Option<(CertificateToken, TokenHash)>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {CERTIFICATE_COLUMNS}, token_hash FROM certificate_tokens WHERE token_hash = $1"
    ));
    let found: Option<CertificateWithHash> = sqlx::query_as(sql)
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    let Some(found) = found else {
        return Ok(None);
    };
    let stored = TokenHash::from_bytes(&found.token_hash)
        .ok_or_else(|| Error::internal("unexpected stored token hash"))?;
    Ok(Some((CertificateToken::try_from(found.row)?, stored)))
}

pub(crate) async fn delete_certificate(
    pool: &PgPool,
    account: AccountId,
    hash: &TokenHash,
    audit: AuditDraft,
) -> Result<()> {
    let hash = *hash;
    tx::write(pool, |conn| {
        Box::pin(delete_certificate_tx(conn, account, hash, audit.clone()))
    })
    .await
}

async fn delete_certificate_tx(
    conn: &mut PgConnection,
    account: AccountId,
    hash: TokenHash,
    audit: AuditDraft,
) -> Result<(), StoreError> {
    let owner = accounts::lock_shared(conn, account).await?;
    let deleted: Option<i64> = sqlx::query_scalar(
        "DELETE FROM certificate_tokens WHERE account_id = $1 AND token_hash = $2 RETURNING id",
    )
    .bind(account.get())
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(&mut *conn)
    .await?;
    let id = deleted.ok_or(Error::NotFound(Resource::CertificateToken))?;
    audit::record(
        conn,
        &audit,
        certificate_target(&owner, CertificateTokenId(id)),
    )
    .await?;
    Ok(())
}

/// A seat token row with its stored hash.
#[derive(FromRow)]
struct SeatWithHash {
    #[sqlx(flatten)]
    row: SeatRow,
    token_hash: Vec<u8>,
}

#[derive(FromRow)]
struct SeatRow {
    id: i64,
    seats: i64,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    redeemed_by_account: Option<i64>,
    redeemed_at: Option<OffsetDateTime>,
}

impl From<SeatRow> for SeatToken {
    fn from(row: SeatRow) -> SeatToken {
        SeatToken {
            id: SeatTokenId(row.id),
            seats: row.seats,
            created: row.created_at,
            expires: row.expires_at,
            redeemed_by: row.redeemed_by_account.map(AccountId),
            redeemed: row.redeemed_at,
        }
    }
}

pub(crate) async fn insert_seat(
    pool: &PgPool,
    new: NewSeatToken,
    audit: AuditDraft,
) -> Result<SeatToken> {
    tx::write(pool, |conn| {
        Box::pin(insert_seat_tx(conn, new.clone(), audit.clone()))
    })
    .await
}

async fn insert_seat_tx(
    conn: &mut PgConnection,
    new: NewSeatToken,
    audit: AuditDraft,
) -> Result<SeatToken, StoreError> {
    let row: SeatRow = sqlx::query_as(
        "INSERT INTO seat_tokens (token_hash, seats, created_at, expires_at) \
         VALUES ($1, $2, $3, $4) \
         RETURNING id, seats, created_at, expires_at, redeemed_by_account, redeemed_at",
    )
    .bind(new.token_hash.as_bytes().as_slice())
    .bind(new.seats)
    .bind(new.now)
    .bind(new.expires)
    .fetch_one(&mut *conn)
    .await?;
    let token = SeatToken::from(row);
    let target = Target {
        kind: "seat_token",
        id: Some(token.id.get()),
        tenant_id: None,
        path: None,
    };
    audit::record(conn, &audit, target).await?;
    Ok(token)
}

pub(crate) async fn redeem_seat(
    pool: &PgPool,
    hash: &TokenHash,
    account: AccountId,
    audit: AuditDraft,
) -> Result<Account> {
    let hash = *hash;
    tx::write(pool, |conn| {
        Box::pin(redeem_seat_tx(conn, hash, account, audit.clone()))
    })
    .await
}

async fn redeem_seat_tx(
    conn: &mut PgConnection,
    hash: TokenHash,
    account: AccountId,
    audit: AuditDraft,
) -> Result<Account, StoreError> {
    // The token row is locked first, so two redemptions of one token queue here and the second
    // sees it redeemed.
    let found: Option<SeatWithHash> = sqlx::query_as(
        "SELECT id, seats, created_at, expires_at, redeemed_by_account, redeemed_at, token_hash \
         FROM seat_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(found) = found else {
        return Err(Error::NotFound(Resource::SeatToken).into());
    };
    if !TokenHash::from_bytes(&found.token_hash).is_some_and(|s| s.ct_eq(&hash)) {
        return Err(Error::NotFound(Resource::SeatToken).into());
    }
    let token = SeatToken::from(found.row);
    let (id, seats) = (token.id.get(), token.seats);
    device_tokens::check_redeemable(token.redeemed.is_some(), token.expires <= audit.at)?;
    // The seats are new to the whole tree: every ancestor's allocation grows with them and
    // passes them down, so no account's free seats change but the redeemer's. Ancestors are
    // locked root first, the order every other seat change uses.
    let unlocked = accounts::fetch(conn, account)
        .await?
        .ok_or(Error::NotFound(Resource::Account))?;
    let chain: Vec<AccountId> = unlocked.path.ids().collect();
    let mut root = None;
    for id in &chain {
        let locked = lock(conn, *id).await?;
        root.get_or_insert(locked);
    }
    let root = root.ok_or(Error::NotFound(Resource::Account))?;
    seats::validate_allocation(root.device_seats.saturating_add(seats))?;
    for ancestor in chain.iter().filter(|id| **id != account) {
        sqlx::query(
            "UPDATE accounts SET device_seats = device_seats + $1, \
             children_seats = children_seats + $1 WHERE id = $2",
        )
        .bind(seats)
        .bind(ancestor.get())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE seat_tokens SET redeemed_by_account = $1, redeemed_at = $2 WHERE id = $3")
        .bind(account.get())
        .bind(audit.at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE accounts SET device_seats = device_seats + $1, updated_at = $2 WHERE id = $3",
    )
    .bind(seats)
    .bind(audit.at)
    .bind(account.get())
    .execute(&mut *conn)
    .await?;
    let updated = accounts::fetch(conn, account)
        .await?
        .ok_or(Error::NotFound(Resource::Account))?;
    let audit = audit.with_details(serde_json::json!({ "seat_token_id": id, "seats": seats }));
    audit::record(conn, &audit, accounts::target(&updated)).await?;
    Ok(updated)
}
