//! Devices, and the `used_devices` counter of their account.

use sqlx::{SqliteConnection, SqlitePool};
use tenantry_core::model::device::NewDevice;
use tenantry_core::model::{AccountId, AuditDraft, Device, DeviceId};
use tenantry_core::seats::{self, SeatState};
use tenantry_core::values::fold;
use tenantry_core::{Error, Resource, Result};

use crate::accounts::{begin_write, fetch_existing as fetch_account};
use crate::audit::{self, Target};
use crate::errors::db;
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

pub(crate) async fn get(pool: &SqlitePool, id: DeviceId) -> Result<Option<Device>> {
    let mut conn = pool.acquire().await.map_err(db)?;
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

pub(crate) async fn insert(pool: &SqlitePool, new: NewDevice, audit: AuditDraft) -> Result<Device> {
    let mut tx = begin_write(pool).await?;
    let account = fetch_account(&mut tx, new.account_id).await?;
    if !new.is_test {
        seats::check_add_device(SeatState::of(&account))?;
        add_used(&mut tx, account.id, 1).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO devices (tenant_id, account_id, account_path, name, name_norm, serial, \
         is_test, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(account.tenant_id.get())
    .bind(account.id.get())
    .bind(account.path.as_str())
    .bind(&new.name)
    .bind(fold(&new.name))
    .bind(&new.serial)
    .bind(new.is_test)
    .bind(to_db(new.now))
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let device = fetch(&mut tx, DeviceId(id))
        .await?
        .ok_or(Error::NotFound(Resource::Device))?;
    audit::record(&mut tx, &audit, target(&device)).await?;
    tx.commit().await.map_err(db)?;
    Ok(device)
}

pub(crate) async fn delete(pool: &SqlitePool, id: DeviceId, audit: AuditDraft) -> Result<()> {
    let mut tx = begin_write(pool).await?;
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
    tx.commit().await.map_err(db)?;
    Ok(())
}
