//! ControlByWeb's certificate request tokens and device seat tokens.

use sqlx::FromRow;
use tenantry_core::auth::TokenHash;
use tenantry_core::model::device_tokens::{self, NewCertificateToken, NewSeatToken};
use tenantry_core::model::{
    Account, AccountId, AuditDraft, CertificateToken, CertificateTokenId, SeatToken, SeatTokenId,
};
use tenantry_core::seats;
use tenantry_core::{Error, Resource, Result};
use time::OffsetDateTime;

use crate::accounts::{self, fetch_existing as fetch_account};
use crate::audit::{self, Target};
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::timestamps::{from_db, from_db_opt, to_db};

#[derive(FromRow)]
struct CertificateRow {
    id: i64,
    tenant_id: i64,
    account_id: i64,
    nonce: Vec<u8>,
    created_at: i64,
    expires_at: i64,
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
            created: from_db(row.created_at)?,
            expires: from_db(row.expires_at)?,
        })
    }
}

const CERTIFICATE_COLUMNS: &str = "id, tenant_id, account_id, nonce, created_at, expires_at";

fn certificate_target<'a>(account: &'a Account, id: CertificateTokenId) -> Target<'a> {
    Target {
        kind: "certificate_token",
        id: Some(id.get()),
        tenant_id: Some(account.tenant_id.get()),
        path: Some(&account.path),
    }
}

pub(crate) async fn insert_certificate(
    writer: &Writer,
    new: NewCertificateToken,
    audit: AuditDraft,
) -> Result<CertificateToken> {
    let mut tx = begin_write(writer).await?;
    let account = fetch_account(&mut tx, new.account_id).await?;
    // Expired tokens of the account go as new ones come, so the table stays small.
    sqlx::query("DELETE FROM certificate_tokens WHERE account_id = ? AND expires_at <= ?")
        .bind(account.id.get())
        .bind(to_db(new.now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let live: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM certificate_tokens WHERE account_id = ?")
            .bind(account.id.get())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    if live >= new.max_live {
        return Err(device_tokens::too_many_certificate_tokens(new.max_live));
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO certificate_tokens (tenant_id, account_id, token_hash, nonce, created_at, \
         expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING {CERTIFICATE_COLUMNS}"
    ));
    let row: CertificateRow = sqlx::query_as(sql)
        .bind(account.tenant_id.get())
        .bind(account.id.get())
        .bind(new.token_hash.as_bytes().as_slice())
        .bind(new.nonce.as_slice())
        .bind(to_db(new.now))
        .bind(to_db(new.expires))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let token = CertificateToken::try_from(row)?;
    audit::record(&mut tx, &audit, certificate_target(&account, token.id)).await?;
    commit(tx).await?;
    Ok(token)
}

pub(crate) async fn certificates(
    readers: &Readers,
    account: AccountId,
    now: OffsetDateTime,
) -> Result<Vec<CertificateToken>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {CERTIFICATE_COLUMNS} FROM certificate_tokens \
         WHERE account_id = ? AND expires_at > ? ORDER BY id"
    ));
    let rows: Vec<CertificateRow> = sqlx::query_as(sql)
        .bind(account.get())
        .bind(to_db(now))
        .fetch_all(&mut *readers.acquire().await?)
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
    readers: &Readers,
    hash: &TokenHash,
) -> Result<Option<(CertificateToken, TokenHash)>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {CERTIFICATE_COLUMNS}, token_hash FROM certificate_tokens WHERE token_hash = ?"
    ));
    let found: Option<CertificateWithHash> = sqlx::query_as(sql)
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(&mut *readers.acquire().await?)
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
    writer: &Writer,
    account: AccountId,
    hash: &TokenHash,
    audit: AuditDraft,
) -> Result<()> {
    let mut tx = begin_write(writer).await?;
    let owner = fetch_account(&mut tx, account).await?;
    let deleted: Option<i64> = sqlx::query_scalar(
        "DELETE FROM certificate_tokens WHERE account_id = ? AND token_hash = ? RETURNING id",
    )
    .bind(account.get())
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let id = deleted.ok_or(Error::NotFound(Resource::CertificateToken))?;
    audit::record(
        &mut tx,
        &audit,
        certificate_target(&owner, CertificateTokenId(id)),
    )
    .await?;
    commit(tx).await?;
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
    created_at: i64,
    expires_at: i64,
    redeemed_by_account: Option<i64>,
    redeemed_at: Option<i64>,
}

impl TryFrom<SeatRow> for SeatToken {
    type Error = Error;

    fn try_from(row: SeatRow) -> Result<SeatToken> {
        Ok(SeatToken {
            id: SeatTokenId(row.id),
            seats: row.seats,
            created: from_db(row.created_at)?,
            expires: from_db(row.expires_at)?,
            redeemed_by: row.redeemed_by_account.map(AccountId),
            redeemed: from_db_opt(row.redeemed_at)?,
        })
    }
}

pub(crate) async fn insert_seat(
    writer: &Writer,
    new: NewSeatToken,
    audit: AuditDraft,
) -> Result<SeatToken> {
    let mut tx = begin_write(writer).await?;
    let row: SeatRow = sqlx::query_as(
        "INSERT INTO seat_tokens (token_hash, seats, created_at, expires_at) \
         VALUES (?, ?, ?, ?) \
         RETURNING id, seats, created_at, expires_at, redeemed_by_account, redeemed_at",
    )
    .bind(new.token_hash.as_bytes().as_slice())
    .bind(new.seats)
    .bind(to_db(new.now))
    .bind(to_db(new.expires))
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let token = SeatToken::try_from(row)?;
    let target = Target {
        kind: "seat_token",
        id: Some(token.id.get()),
        tenant_id: None,
        path: None,
    };
    audit::record(&mut tx, &audit, target).await?;
    commit(tx).await?;
    Ok(token)
}

pub(crate) async fn redeem_seat(
    writer: &Writer,
    hash: &TokenHash,
    account: AccountId,
    audit: AuditDraft,
) -> Result<Account> {
    let mut tx = begin_write(writer).await?;
    let target = fetch_account(&mut tx, account).await?;
    let found: Option<SeatWithHash> = sqlx::query_as(
        "SELECT id, seats, created_at, expires_at, redeemed_by_account, redeemed_at, token_hash \
         FROM seat_tokens WHERE token_hash = ?",
    )
    .bind(hash.as_bytes().as_slice())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(found) = found else {
        return Err(Error::NotFound(Resource::SeatToken));
    };
    if !TokenHash::from_bytes(&found.token_hash).is_some_and(|s| s.ct_eq(hash)) {
        return Err(Error::NotFound(Resource::SeatToken));
    }
    let token = SeatToken::try_from(found.row)?;
    let (id, seats) = (token.id.get(), token.seats);
    device_tokens::check_redeemable(token.redeemed.is_some(), token.expires <= audit.at)?;
    // The seats are new to the whole tree: every ancestor's allocation grows with them and
    // passes them down, so no account's free seats change but the redeemer's.
    let root = fetch_account(&mut tx, target.tenant_id).await?;
    seats::validate_allocation(root.device_seats.saturating_add(seats))?;
    sqlx::query("UPDATE seat_tokens SET redeemed_by_account = ?, redeemed_at = ? WHERE id = ?")
        .bind(account.get())
        .bind(to_db(audit.at))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    for ancestor in target.path.ids().filter(|id| *id != account) {
        sqlx::query(
            "UPDATE accounts SET device_seats = device_seats + ?, \
             children_seats = children_seats + ? WHERE id = ?",
        )
        .bind(seats)
        .bind(seats)
        .bind(ancestor.get())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    sqlx::query("UPDATE accounts SET device_seats = device_seats + ?, updated_at = ? WHERE id = ?")
        .bind(seats)
        .bind(to_db(audit.at))
        .bind(account.get())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let updated = fetch_account(&mut tx, account).await?;
    let audit = audit.with_details(serde_json::json!({ "seat_token_id": id, "seats": seats }));
    audit::record(&mut tx, &audit, accounts::target(&updated)).await?;
    commit(tx).await?;
    Ok(updated)
}
