//! The account tree and its seat counters.
//!
//! Each account row keeps `used_devices` and `children_seats` up to date in the same transaction
//! as the change that moves them, so free seats are read from one row instead of counted.

use rusqlite::OptionalExtension;
use sqlx::SqliteConnection;
use tenantry_core::auth::Role;
use tenantry_core::model::account::{AccountChanges, NewAccount, search_text};
use tenantry_core::model::{Account, AccountId, AccountPath, AccountStatus, AuditDraft};
use tenantry_core::seats::{self, SeatState};
use tenantry_core::store::AccountDeletion;
use tenantry_core::{Error, Resource, Result};

use crate::audit::{self, Target};
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::rows::{AccountRow, account_columns};
use crate::timestamps::to_db;
use tenantry_core::values::fold;

pub(crate) async fn fetch(conn: &mut SqliteConnection, id: AccountId) -> Result<Option<Account>> {
    let row: Option<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = ?"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(Account::try_from).transpose()
}

pub(crate) async fn fetch_existing(conn: &mut SqliteConnection, id: AccountId) -> Result<Account> {
    fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::Account))
}

pub(crate) async fn get(readers: &Readers, id: AccountId) -> Result<Option<Account>> {
    if let Some(row) = readers.by_key(|conn| by_key(conn, id)) {
        return row.map(Account::try_from).transpose();
    }
    let mut conn = readers.acquire().await?;
    fetch(&mut conn, id).await
}

/// [`fetch`] on the caller's thread (see `point_reads`).
fn by_key(conn: &rusqlite::Connection, id: AccountId) -> rusqlite::Result<Option<AccountRow>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = ?1"
    ))?
    .query_row([id.get()], |row| AccountRow::from_by_key(row, 0))
    .optional()
}

/// Adds `delta` to an account's `children_seats`.
async fn add_children_seats(conn: &mut SqliteConnection, id: AccountId, delta: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET children_seats = children_seats + ? WHERE id = ?")
        .bind(delta)
        .bind(id.get())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

pub(crate) async fn insert(writer: &Writer, new: NewAccount, audit: AuditDraft) -> Result<Account> {
    let mut tx = begin_write(writer).await?;
    let account = insert_in(&mut tx, new, audit).await?;
    commit(tx).await?;
    Ok(account)
}

/// Inserts an account inside the caller's write transaction.
pub(crate) async fn insert_in(
    conn: &mut SqliteConnection,
    new: NewAccount,
    audit: AuditDraft,
) -> Result<Account> {
    let parent = match new.parent_id {
        Some(parent_id) => {
            let parent = fetch_existing(&mut *conn, parent_id).await?;
            seats::check_new_child(SeatState::of(&parent), new.device_seats)?;
            add_children_seats(&mut *conn, parent.id, new.device_seats).await?;
            Some(parent)
        }
        None => {
            seats::validate_allocation(new.device_seats)?;
            None
        }
    };
    let now = to_db(new.now);
    // The path needs the new id, so the row goes in with a unique placeholder path first.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (tenant_id, parent_id, path, name, name_norm, email, email_norm, \
         description, external_id, search_text, status, device_seats, log_retention, \
         created_at, updated_at, activity_at) \
         VALUES (?, ?, '~' || hex(randomblob(16)), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         RETURNING id",
    )
    .bind(parent.as_ref().map_or(0, |p| p.tenant_id.get()))
    .bind(new.parent_id.map(AccountId::get))
    .bind(&new.name)
    .bind(fold(&new.name))
    .bind(&new.email)
    .bind(new.email.as_deref().map(fold))
    .bind(&new.description)
    .bind(&new.external_id)
    .bind(search_text(
        &new.name,
        new.email.as_deref(),
        new.external_id.as_deref(),
    ))
    .bind(new.status.as_str())
    .bind(new.device_seats)
    .bind(new.log_retention)
    .bind(now)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let id = AccountId(id);
    let (tenant_id, path) = match &parent {
        Some(parent) => (parent.tenant_id, parent.path.child(id)),
        None => (id, AccountPath::root(id)),
    };
    // RETURNING reads the finished row back in the same statement: one trip to the writer
    // connection fewer while every other write waits.
    let row: AccountRow = sqlx::query_as(concat!(
        "UPDATE accounts SET tenant_id = ?, path = ? WHERE id = ? RETURNING ",
        account_columns!()
    ))
    .bind(tenant_id.get())
    .bind(path.as_str())
    .bind(id.get())
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let account = Account::try_from(row)?;
    audit::record(&mut *conn, &audit, target(&account)).await?;
    Ok(account)
}

pub(crate) fn target(account: &Account) -> Target<'_> {
    Target {
        kind: "account",
        id: Some(account.id.get()),
        tenant_id: Some(account.tenant_id.get()),
        path: Some(&account.path),
    }
}

pub(crate) async fn update(
    writer: &Writer,
    id: AccountId,
    changes: AccountChanges,
    audit: AuditDraft,
) -> Result<Account> {
    let mut tx = begin_write(writer).await?;
    let account = fetch_existing(&mut tx, id).await?;
    if let Some(new_seats) = changes.device_seats {
        seats::validate_allocation(new_seats)?;
        let delta = new_seats - account.device_seats;
        match account.parent_id {
            None => seats::check_set_root(SeatState::of(&account), new_seats)?,
            Some(parent_id) => {
                let parent = fetch_existing(&mut tx, parent_id).await?;
                seats::check_move(SeatState::of(&parent), SeatState::of(&account), delta)?;
                add_children_seats(&mut tx, parent_id, delta).await?;
            }
        }
    }
    // The folded and search columns follow from the fields as they will be after the change.
    let name = changes.name.clone().unwrap_or_else(|| account.name.clone());
    let email = changes
        .email
        .clone()
        .unwrap_or_else(|| account.email.clone());
    let external_id = changes
        .external_id
        .clone()
        .unwrap_or_else(|| account.external_id.clone());
    // Static SQL: each field has a "change it?" flag, so no statement is assembled at run time.
    sqlx::query(
        "UPDATE accounts SET \
         name_norm = ?, email_norm = ?, search_text = ?, \
         name = CASE WHEN ? THEN ? ELSE name END, \
         email = CASE WHEN ? THEN ? ELSE email END, \
         description = CASE WHEN ? THEN ? ELSE description END, \
         external_id = CASE WHEN ? THEN ? ELSE external_id END, \
         status = CASE WHEN ? THEN ? ELSE status END, \
         device_seats = CASE WHEN ? THEN ? ELSE device_seats END, \
         log_retention = CASE WHEN ? THEN ? ELSE log_retention END, \
         updated_at = ? \
         WHERE id = ?",
    )
    .bind(fold(&name))
    .bind(email.as_deref().map(fold))
    .bind(search_text(&name, email.as_deref(), external_id.as_deref()))
    .bind(changes.name.is_some())
    .bind(changes.name.clone())
    .bind(changes.email.is_some())
    .bind(changes.email.clone().flatten())
    .bind(changes.description.is_some())
    .bind(changes.description.clone().flatten())
    .bind(changes.external_id.is_some())
    .bind(changes.external_id.clone().flatten())
    .bind(changes.status.is_some())
    .bind(changes.status.map(|s| s.as_str()))
    .bind(changes.device_seats.is_some())
    .bind(changes.device_seats)
    .bind(changes.log_retention.is_some())
    .bind(changes.log_retention)
    .bind(to_db(changes.now))
    .bind(id.get())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if changes.status.is_some_and(|s| s != AccountStatus::Active) {
        end_sessions_of_account(&mut tx, id).await?;
    }
    if changes.disable_users {
        check_no_user_above(&mut tx, id, changes.outranked_by).await?;
        sqlx::query(
            "UPDATE users SET status = 'disabled', updated_at = ? \
             WHERE tenant_id = ? AND account_id = ? AND status <> 'disabled'",
        )
        .bind(to_db(changes.now))
        .bind(account.tenant_id.get())
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    let updated = fetch_existing(&mut tx, id).await?;
    audit::record(&mut tx, &audit, target(&updated)).await?;
    commit(tx).await?;
    Ok(updated)
}

/// A suspended or deactivated account's users lose their sessions: reactivating the account
/// must not bring old (possibly stolen) tokens back to life.
async fn end_sessions_of_account(conn: &mut SqliteConnection, id: AccountId) -> Result<()> {
    sqlx::query(
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE account_id = ?)",
    )
    .bind(id.get())
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Fails if a user of the account holds a role above `max_role`.
async fn check_no_user_above(
    conn: &mut SqliteConnection,
    id: AccountId,
    max_role: Option<Role>,
) -> Result<()> {
    let Some(max_role) = max_role else {
        return Ok(());
    };
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT role FROM users WHERE account_id = ?")
            .bind(id.get())
            .fetch_all(conn)
            .await
            .map_err(db)?;
    crate::rows::check_roles_at_most(&roles, max_role)
}

pub(crate) async fn delete(
    writer: &Writer,
    id: AccountId,
    rule: AccountDeletion,
    audit: AuditDraft,
) -> Result<()> {
    let mut tx = begin_write(writer).await?;
    let account = fetch_existing(&mut tx, id).await?;
    check_no_user_above(&mut tx, id, rule.outranked_by).await?;
    let has_children: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE tenant_id = ? AND parent_id = ?)",
    )
    .bind(account.tenant_id.get())
    .bind(id.get())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    if has_children {
        return Err(Error::conflict(
            "the account has child accounts; delete or move them first",
        ));
    }
    if rule.only_if_empty {
        let (users, devices): (bool, bool) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = ?1 AND account_id = ?2), \
             EXISTS (SELECT 1 FROM devices WHERE tenant_id = ?1 AND account_id = ?2)",
        )
        .bind(account.tenant_id.get())
        .bind(id.get())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        rule.check_empty(users, devices)?;
    }
    if let Some(parent_id) = account.parent_id {
        add_children_seats(&mut tx, parent_id, -account.device_seats).await?;
    }
    // Users (and through them sessions) and devices go by ON DELETE CASCADE.
    sqlx::query("DELETE FROM accounts WHERE id = ?")
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    audit::record(&mut tx, &audit, target(&account)).await?;
    commit(tx).await?;
    Ok(())
}

pub(crate) async fn move_seats(
    writer: &Writer,
    parent_id: AccountId,
    child_id: AccountId,
    delta: i64,
    audit: AuditDraft,
) -> Result<(Account, Account)> {
    let mut tx = begin_write(writer).await?;
    let parent = fetch_existing(&mut tx, parent_id).await?;
    let child = fetch_existing(&mut tx, child_id).await?;
    if child.parent_id != Some(parent.id) {
        return Err(Error::invalid_field(
            "child_id",
            "must be a direct child of this account",
        ));
    }
    seats::check_move(SeatState::of(&parent), SeatState::of(&child), delta)?;
    add_children_seats(&mut tx, parent_id, delta).await?;
    sqlx::query("UPDATE accounts SET device_seats = device_seats + ?, updated_at = ? WHERE id = ?")
        .bind(delta)
        .bind(to_db(audit.at))
        .bind(child_id.get())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let parent = fetch_existing(&mut tx, parent_id).await?;
    let child = fetch_existing(&mut tx, child_id).await?;
    audit::record(&mut tx, &audit, target(&parent)).await?;
    commit(tx).await?;
    Ok((parent, child))
}
