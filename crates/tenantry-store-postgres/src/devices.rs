//! Devices, and the `used_devices` counter of their account.

use sqlx::{PgConnection, PgPool};
use tenantry_core::model::device::{DeviceChanges, DeviceStatistics, NewDevice};
use tenantry_core::model::device_tokens;
use tenantry_core::model::{Account, AccountId, AccountStatus, AuditDraft, Device, DeviceId};
use tenantry_core::seats::{self, SeatState};
use tenantry_core::values::fold;
use tenantry_core::{Error, Resource, Result};

use crate::accounts::lock;
use crate::audit::{self, Target};
use crate::errors::{StoreError, db};
use crate::rows::{DeviceRow, device_columns};
use crate::tx;

async fn fetch(conn: &mut PgConnection, id: DeviceId) -> Result<Option<Device>, StoreError> {
    let row: Option<DeviceRow> = sqlx::query_as(concat!(
        "SELECT ",
        device_columns!(),
        " FROM devices WHERE id = $1"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Device::try_from).transpose()?)
}

pub(crate) async fn get(pool: &PgPool, id: DeviceId) -> Result<Option<Device>> {
    let mut conn = pool.acquire().await.map_err(db)?;
    fetch(&mut conn, id).await.map_err(StoreError::into_core)
}

fn target(device: &Device) -> Target<'_> {
    Target {
        kind: "device",
        id: Some(device.id.get()),
        tenant_id: Some(device.tenant_id.get()),
        path: Some(&device.account_path),
    }
}

async fn add_used(
    conn: &mut PgConnection,
    account: AccountId,
    delta: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE accounts SET used_devices = used_devices + $1 WHERE id = $2")
        .bind(delta)
        .bind(account.get())
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn insert(pool: &PgPool, new: NewDevice, audit: AuditDraft) -> Result<Device> {
    tx::write(pool, |conn| {
        Box::pin(insert_tx(conn, new.clone(), audit.clone()))
    })
    .await
}

async fn insert_tx(
    conn: &mut PgConnection,
    new: NewDevice,
    audit: AuditDraft,
) -> Result<Device, StoreError> {
    let account = lock(conn, new.account_id).await?;
    if let Some(hash) = &new.enrolled_with {
        if account.status != AccountStatus::Active {
            return Err(device_tokens::enrolment_into_inactive_account().into());
        }
        let live: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM certificate_tokens \
             WHERE token_hash = $1 AND account_id = $2 AND expires_at > $3)",
        )
        .bind(hash.as_bytes().as_slice())
        .bind(account.id.get())
        .bind(new.now)
        .fetch_one(&mut *conn)
        .await?;
        if !live {
            return Err(device_tokens::certificate_token_refused().into());
        }
    }
    if !new.is_test {
        seats::check_add_device(SeatState::of(&account))?;
        add_used(conn, account.id, 1).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO devices (tenant_id, account_id, account_path, name, name_norm, serial, \
         is_test, is_cell, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(account.tenant_id.get())
    .bind(account.id.get())
    .bind(account.path.as_str())
    .bind(&new.name)
    .bind(fold(&new.name))
    .bind(&new.serial)
    .bind(new.is_test)
    .bind(new.is_cell)
    .bind(new.now)
    .fetch_one(&mut *conn)
    .await?;
    let device = fetch(conn, DeviceId(id))
        .await?
        .ok_or(Error::NotFound(Resource::Device))?;
    audit::record(conn, &audit, target(&device)).await?;
    Ok(device)
}

pub(crate) async fn delete(pool: &PgPool, id: DeviceId, audit: AuditDraft) -> Result<()> {
    tx::write(pool, |conn| Box::pin(delete_tx(conn, id, audit.clone()))).await
}

async fn delete_tx(
    conn: &mut PgConnection,
    id: DeviceId,
    audit: AuditDraft,
) -> Result<(), StoreError> {
    let device = fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::Device))?;
    lock(conn, device.account_id).await?;
    let done = sqlx::query("DELETE FROM devices WHERE id = $1")
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(Resource::Device).into());
    }
    if !device.is_test {
        add_used(conn, device.account_id, -1).await?;
    }
    audit::record(conn, &audit, target(&device)).await?;
    Ok(())
}

pub(crate) async fn update(
    pool: &PgPool,
    id: DeviceId,
    changes: DeviceChanges,
    audit: AuditDraft,
) -> Result<Device> {
    tx::write(pool, |conn| {
        Box::pin(update_tx(conn, id, changes.clone(), audit.clone()))
    })
    .await
}

async fn update_tx(
    conn: &mut PgConnection,
    id: DeviceId,
    changes: DeviceChanges,
    audit: AuditDraft,
) -> Result<Device, StoreError> {
    let done = sqlx::query(
        "UPDATE devices SET name = COALESCE($1, name), name_norm = COALESCE($2, name_norm), \
         connected = COALESCE($3, connected) WHERE id = $4",
    )
    .bind(changes.name.clone())
    .bind(changes.name.as_deref().map(fold))
    .bind(changes.connected)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(Resource::Device).into());
    }
    let device = fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::Device))?;
    audit::record(conn, &audit, target(&device)).await?;
    Ok(device)
}

/// Counts over the account's subtree in one pass of the `(tenant_id, account_path)` index,
/// split into the account's own devices and those below it.
pub(crate) async fn statistics(pool: &PgPool, account: &Account) -> Result<DeviceStatistics> {
    let (low, high) = account.path.subtree_range();
    let rows: Vec<(bool, i64, i64, i64)> = sqlx::query_as(
        "SELECT account_id = $1 AS own, COUNT(*), COUNT(*) FILTER (WHERE connected), \
         COUNT(*) FILTER (WHERE is_cell) FROM devices \
         WHERE tenant_id = $2 AND account_path >= $3 AND account_path < $4 AND NOT is_test \
         GROUP BY own",
    )
    .bind(account.id.get())
    .bind(account.tenant_id.get())
    .bind(&low)
    .bind(&high)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let accounts_below: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM accounts WHERE tenant_id = $1 AND path > $2 AND path < $3",
    )
    .bind(account.tenant_id.get())
    .bind(account.path.as_str())
    .bind(&high)
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(DeviceStatistics::from_groups(rows, accounts_below))
}
