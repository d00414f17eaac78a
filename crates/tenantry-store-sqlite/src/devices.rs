//! Devices, and the `used_devices` counter of their account.

use sqlx::SqliteConnection;
use tenantry_core::model::device::{DeviceChanges, DeviceStatistics, NewDevice};
use tenantry_core::model::device_tokens;
use tenantry_core::model::{Account, AccountId, AccountStatus, AuditDraft, Device, DeviceId};
use tenantry_core::seats::{self, SeatState};
use tenantry_core::values::fold;
use tenantry_core::{Error, Resource, Result};

use crate::accounts::fetch_existing as fetch_account;
use crate::audit::{self, Target};
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::rows::{DeviceRow, device_columns};
use crate::timestamps::to_db;

async fn fetch(conn: &mut SqliteConnection, id: DeviceId) -> Result<Option<Device>> {
    let row: Option<DeviceRow> = sqlx::query_as(concat!(
        "SELECT ",
        device_columns!(),
        " FROM devices WHERE id = ?"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(Device::try_from).transpose()
}

pub(crate) async fn get(readers: &Readers, id: DeviceId) -> Result<Option<Device>> {
    let mut conn = readers.acquire().await?;
    fetch(&mut conn, id).await
}

fn target(device: &Device) -> Target<'_> {
    Target {
        kind: "device",
        id: Some(device.id.get()),
        tenant_id: Some(device.tenant_id.get()),
        path: Some(&device.account_path),
    }
}

async fn add_used(conn: &mut SqliteConnection, account: AccountId, delta: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET used_devices = used_devices + ? WHERE id = ?")
        .bind(delta)
        .bind(account.get())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

pub(crate) async fn insert(writer: &Writer, new: NewDevice, audit: AuditDraft) -> Result<Device> {
    let mut tx = begin_write(writer).await?;
    let account = fetch_account(&mut tx, new.account_id).await?;
    if let Some(hash) = &new.enrolled_with {
        if account.status != AccountStatus::Active {
            return Err(device_tokens::enrolment_into_inactive_account());
        }
        let live: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM certificate_tokens \
             WHERE token_hash = ? AND account_id = ? AND expires_at > ?)",
        )
        .bind(hash.as_bytes().as_slice())
        .bind(account.id.get())
        .bind(to_db(new.now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if !live {
            return Err(device_tokens::certificate_token_refused());
        }
    }
    if !new.is_test {
        seats::check_add_device(SeatState::of(&account))?;
        add_used(&mut tx, account.id, 1).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO devices (tenant_id, account_id, account_path, name, name_norm, serial, \
         is_test, is_cell, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(account.tenant_id.get())
    .bind(account.id.get())
    .bind(account.path.as_str())
    .bind(&new.name)
    .bind(fold(&new.name))
    .bind(&new.serial)
    .bind(new.is_test)
    .bind(new.is_cell)
    .bind(to_db(new.now))
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let device = fetch(&mut tx, DeviceId(id))
        .await?
        .ok_or(Error::NotFound(Resource::Device))?;
    audit::record(&mut tx, &audit, target(&device)).await?;
    commit(tx).await?;
    Ok(device)
}

pub(crate) async fn delete(writer: &Writer, id: DeviceId, audit: AuditDraft) -> Result<()> {
    let mut tx = begin_write(writer).await?;
    let device = fetch(&mut tx, id)
        .await?
        .ok_or(Error::NotFound(Resource::Device))?;
    sqlx::query("DELETE FROM devices WHERE id = ?")
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    if !device.is_test {
        add_used(&mut tx, device.account_id, -1).await?;
    }
    audit::record(&mut tx, &audit, target(&device)).await?;
    commit(tx).await?;
    Ok(())
}

pub(crate) async fn update(
    writer: &Writer,
    id: DeviceId,
    changes: DeviceChanges,
    audit: AuditDraft,
) -> Result<Device> {
    let mut tx = begin_write(writer).await?;
    if fetch(&mut tx, id).await?.is_none() {
        return Err(Error::NotFound(Resource::Device));
    }
    sqlx::query(
        "UPDATE devices SET \
         name = CASE WHEN ? THEN ? ELSE name END, \
         name_norm = CASE WHEN ? THEN ? ELSE name_norm END, \
         connected = CASE WHEN ? THEN ? ELSE connected END \
         WHERE id = ?",
    )
    .bind(changes.name.is_some())
    .bind(changes.name.clone())
    .bind(changes.name.is_some())
    .bind(changes.name.as_deref().map(fold))
    .bind(changes.connected.is_some())
    .bind(changes.connected)
    .bind(id.get())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let device = fetch(&mut tx, id)
        .await?
        .ok_or(Error::NotFound(Resource::Device))?;
    audit::record(&mut tx, &audit, target(&device)).await?;
    commit(tx).await?;
    Ok(device)
}

/// Counts over the account's subtree in one pass of the `(tenant_id, account_path)` index,
/// split into the account's own devices and those below it.
pub(crate) async fn statistics(readers: &Readers, account: &Account) -> Result<DeviceStatistics> {
    let (low, high) = account.path.subtree_range();
    let mut conn = readers.acquire().await?;
    let rows: Vec<(bool, i64, i64, i64)> = sqlx::query_as(
        "SELECT account_id = ? AS own, COUNT(*), COALESCE(SUM(connected), 0), \
         COALESCE(SUM(is_cell), 0) FROM devices \
         WHERE tenant_id = ? AND account_path >= ? AND account_path < ? AND is_test = 0 \
         GROUP BY own",
    )
    .bind(account.id.get())
    .bind(account.tenant_id.get())
    .bind(&low)
    .bind(&high)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let accounts_below: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM accounts WHERE tenant_id = ? AND path > ? AND path < ?",
    )
    .bind(account.tenant_id.get())
    .bind(account.path.as_str())
    .bind(&high)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(DeviceStatistics::from_groups(rows, accounts_below))
}
