//! The account tree and its seat counters.
//!
//! Each account row keeps `used_devices` and `children_seats` up to date in the same transaction
//! as the change that moves them. Every check of free seats runs on rows locked `FOR UPDATE`,
//! taken parent before child, so concurrent writers on any number of servers queue up.

use sqlx::{PgConnection, PgPool};
use tenantry_core::auth::Role;
use tenantry_core::model::account::{AccountChanges, NewAccount, search_text};
use tenantry_core::model::{Account, AccountId, AccountPath, AccountStatus, AuditDraft};
use tenantry_core::seats::{self, SeatState};
use tenantry_core::store::AccountDeletion;
use tenantry_core::{Error, Resource, Result};

use crate::audit::{self, Target, audit_insert, bind_audit_draft};
use crate::errors::{StoreError, db};
use crate::rows::{AccountRow, account_columns};
use crate::tx;
use tenantry_core::values::fold;

pub(crate) async fn fetch(
    conn: &mut PgConnection,
    id: AccountId,
) -> Result<Option<Account>, StoreError> {
    let row: Option<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = $1"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Account::try_from).transpose()?)
}

/// Reads and locks an account row for the rest of the transaction.
pub(crate) async fn lock(conn: &mut PgConnection, id: AccountId) -> Result<Account, StoreError> {
    let row: Option<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = $1 FOR UPDATE"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => Ok(Account::try_from(row)?),
        None => Err(Error::NotFound(Resource::Account).into()),
    }
}

/// [`lock`] for two accounts in one round trip, `first` locked before `second` (the locks are
/// taken in the statement's order, above its sort).
async fn lock_pair(
    conn: &mut PgConnection,
    first: AccountId,
    second: AccountId,
) -> Result<(Account, Account), StoreError> {
    let rows: Vec<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = $1 OR id = $2 ORDER BY id = $1 DESC FOR UPDATE"
    ))
    .bind(first.get())
    .bind(second.get())
    .fetch_all(conn)
    .await?;
    let mut accounts = rows
        .into_iter()
        .map(Account::try_from)
        .collect::<Result<Vec<Account>>>()?;
    let mut take = |id: AccountId| match accounts.iter().position(|a| a.id == id) {
        Some(at) => Ok(accounts.swap_remove(at)),
        None => Err(StoreError::from(Error::NotFound(Resource::Account))),
    };
    let first = take(first)?;
    Ok((first, take(second)?))
}

/// Locks an account that must not change under the transaction (for rows inserted below it),
/// without blocking other such inserts.
pub(crate) async fn lock_shared(
    conn: &mut PgConnection,
    id: AccountId,
) -> Result<Account, StoreError> {
    let row: Option<AccountRow> = sqlx::query_as(concat!(
        "SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = $1 FOR SHARE"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => Ok(Account::try_from(row)?),
        None => Err(Error::NotFound(Resource::Account).into()),
    }
}

pub(crate) async fn get(pool: &PgPool, id: AccountId) -> Result<Option<Account>> {
    let mut conn = pool.acquire().await.map_err(db)?;
    fetch(&mut conn, id).await.map_err(StoreError::into_core)
}

async fn add_children_seats(
    conn: &mut PgConnection,
    id: AccountId,
    delta: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE accounts SET children_seats = children_seats + $1 WHERE id = $2")
        .bind(delta)
        .bind(id.get())
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) fn target(account: &Account) -> Target<'_> {
    Target {
        kind: "account",
        id: Some(account.id.get()),
        tenant_id: Some(account.tenant_id.get()),
        path: Some(&account.path),
    }
}

pub(crate) async fn insert(pool: &PgPool, new: NewAccount, audit: AuditDraft) -> Result<Account> {
    tx::write(pool, |conn| {
        Box::pin(insert_tx(conn, new.clone(), audit.clone()))
    })
    .await
}

pub(crate) async fn insert_tx(
    conn: &mut PgConnection,
    new: NewAccount,
    audit: AuditDraft,
) -> Result<Account, StoreError> {
    // The id is drawn first, so that only the statements that need the lock are sent while the
    // parent is held: the lock, then the parent's seats, the insert and the audit record in
    // one statement. Accounts created under one parent take turns on that lock.
    let id: i64 = sqlx::query_scalar("SELECT nextval('accounts_id_seq')")
        .fetch_one(&mut *conn)
        .await?;
    let id = AccountId(id);
    let parent = match new.parent_id {
        Some(parent_id) => {
            let parent = lock(conn, parent_id).await?;
            seats::check_new_child(SeatState::of(&parent), new.device_seats)?;
            Some(parent)
        }
        None => {
            seats::validate_allocation(new.device_seats)?;
            None
        }
    };
    let (tenant_id, path) = match &parent {
        Some(parent) => (parent.tenant_id, parent.path.child(id)),
        None => (id, AccountPath::root(id)),
    };
    // A root has no parent: `seats` then updates nothing.
    let query = sqlx::query_as(concat!(
        "WITH seats AS (UPDATE accounts SET children_seats = children_seats + $13 \
         WHERE id = $3), \
         inserted AS (INSERT INTO accounts (id, tenant_id, parent_id, path, name, name_norm, \
         email, email_norm, description, external_id, search_text, status, device_seats, \
         created_at, updated_at, activity_at, log_retention) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $14, $15) \
         RETURNING ",
        account_columns!(),
        "), logged AS (",
        audit_insert!(),
        "SELECT tenant_id, path, $16, $17, 'account', id, $18, $19, $20 FROM inserted) \
         SELECT * FROM inserted"
    ))
    .bind(id.get())
    .bind(tenant_id.get())
    .bind(new.parent_id.map(AccountId::get))
    .bind(path.as_str())
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
    .bind(new.now)
    .bind(new.log_retention);
    let row: AccountRow = bind_audit_draft!(query, audit)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Account::try_from(row)?)
}

pub(crate) async fn update(
    pool: &PgPool,
    id: AccountId,
    changes: AccountChanges,
    audit: AuditDraft,
) -> Result<Account> {
    tx::write(pool, |conn| {
        Box::pin(update_tx(conn, id, changes.clone(), audit.clone()))
    })
    .await
}

async fn update_tx(
    conn: &mut PgConnection,
    id: AccountId,
    changes: AccountChanges,
    audit: AuditDraft,
) -> Result<Account, StoreError> {
    // Parent first, then the account: the same order every writer uses.
    let unlocked = fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::Account))?;
    let parent = match unlocked.parent_id {
        Some(parent_id) if changes.device_seats.is_some() => Some(lock(conn, parent_id).await?),
        _ => None,
    };
    let account = lock(conn, id).await?;
    if let Some(new_seats) = changes.device_seats {
        seats::validate_allocation(new_seats)?;
        let delta = new_seats - account.device_seats;
        match &parent {
            None => seats::check_set_root(SeatState::of(&account), new_seats)?,
            Some(parent) => {
                seats::check_move(SeatState::of(parent), SeatState::of(&account), delta)?;
                add_children_seats(conn, parent.id, delta).await?;
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
         name = CASE WHEN $1 THEN $2 ELSE name END, \
         email = CASE WHEN $3 THEN $4 ELSE email END, \
         description = CASE WHEN $5 THEN $6 ELSE description END, \
         external_id = CASE WHEN $7 THEN $8 ELSE external_id END, \
         status = CASE WHEN $9 THEN $10 ELSE status END, \
         device_seats = CASE WHEN $11 THEN $12 ELSE device_seats END, \
         log_retention = COALESCE($18, log_retention), \
         updated_at = $13, name_norm = $15, email_norm = $16, search_text = $17 \
         WHERE id = $14",
    )
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
    .bind(changes.now)
    .bind(id.get())
    .bind(fold(&name))
    .bind(email.as_deref().map(fold))
    .bind(search_text(&name, email.as_deref(), external_id.as_deref()))
    .bind(changes.log_retention)
    .execute(&mut *conn)
    .await?;
    if changes.status.is_some_and(|s| s != AccountStatus::Active) {
        end_sessions_of_account(conn, id).await?;
    }
    if changes.disable_users {
        check_no_user_above(conn, id, changes.outranked_by).await?;
        sqlx::query(
            "UPDATE users SET status = 'disabled', updated_at = $1 \
             WHERE tenant_id = $2 AND account_id = $3 AND status <> 'disabled'",
        )
        .bind(changes.now)
        .bind(account.tenant_id.get())
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    }
    let updated = fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::Account))?;
    audit::record(conn, &audit, target(&updated)).await?;
    Ok(updated)
}

/// A suspended or deactivated account's users lose their sessions: reactivating the account
/// must not bring old (possibly stolen) tokens back to life.
async fn end_sessions_of_account(conn: &mut PgConnection, id: AccountId) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE account_id = $1)",
    )
    .bind(id.get())
    .execute(conn)
    .await?;
    Ok(())
}

/// Fails if a user of the account holds a role above `max_role`.
async fn check_no_user_above(
    conn: &mut PgConnection,
    id: AccountId,
    max_role: Option<Role>,
) -> Result<(), StoreError> {
    let Some(max_role) = max_role else {
        return Ok(());
    };
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT role FROM users WHERE account_id = $1")
            .bind(id.get())
            .fetch_all(conn)
            .await?;
    Ok(crate::rows::check_roles_at_most(&roles, max_role)?)
}

pub(crate) async fn delete(
    pool: &PgPool,
    id: AccountId,
    rule: AccountDeletion,
    audit: AuditDraft,
) -> Result<()> {
    tx::write(pool, |conn| {
        Box::pin(delete_tx(conn, id, rule, audit.clone()))
    })
    .await
}

async fn delete_tx(
    conn: &mut PgConnection,
    id: AccountId,
    rule: AccountDeletion,
    audit: AuditDraft,
) -> Result<(), StoreError> {
    let unlocked = fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::Account))?;
    if let Some(parent_id) = unlocked.parent_id {
        lock(conn, parent_id).await?;
    }
    // Locking the account itself holds off concurrent inserts of children below it.
    let account = lock(conn, id).await?;
    check_no_user_above(conn, id, rule.outranked_by).await?;
    let has_children: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE tenant_id = $1 AND parent_id = $2)",
    )
    .bind(account.tenant_id.get())
    .bind(id.get())
    .fetch_one(&mut *conn)
    .await?;
    if has_children {
        return Err(
            Error::conflict("the account has child accounts; delete or move them first").into(),
        );
    }
    if rule.only_if_empty {
        // The lock above holds off new users and devices of this account (their inserts lock
        // it too), so what is seen here stays true until the delete commits.
        let (users, devices): (bool, bool) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = $2 AND account_id = $1), \
             EXISTS (SELECT 1 FROM devices WHERE tenant_id = $2 AND account_id = $1)",
        )
        .bind(id.get())
        .bind(account.tenant_id.get())
        .fetch_one(&mut *conn)
        .await?;
        rule.check_empty(users, devices)?;
    }
    if let Some(parent_id) = account.parent_id {
        add_children_seats(conn, parent_id, -account.device_seats).await?;
    }
    // Users (and through them sessions) and devices go by ON DELETE CASCADE.
    sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    audit::record(conn, &audit, target(&account)).await?;
    Ok(())
}

pub(crate) async fn move_seats(
    pool: &PgPool,
    parent_id: AccountId,
    child_id: AccountId,
    delta: i64,
    audit: AuditDraft,
) -> Result<(Account, Account)> {
    tx::write(pool, |conn| {
        Box::pin(move_seats_tx(
            conn,
            parent_id,
            child_id,
            delta,
            audit.clone(),
        ))
    })
    .await
}

async fn move_seats_tx(
    conn: &mut PgConnection,
    parent_id: AccountId,
    child_id: AccountId,
    delta: i64,
    audit: AuditDraft,
) -> Result<(Account, Account), StoreError> {
    if parent_id == child_id {
        // Missing is told before invalid, as for two accounts.
        lock(conn, parent_id).await?;
        return Err(invalid_child().into());
    }
    let (parent, child) = lock_pair(conn, parent_id, child_id).await?;
    if child.parent_id != Some(parent.id) {
        return Err(invalid_child().into());
    }
    seats::check_move(SeatState::of(&parent), SeatState::of(&child), delta)?;
    // Both updates and the audit record in one statement, the rows coming back from it: the
    // parent's lock is held until the commit, and every round trip inside it is one more that
    // other moves in the tree queue behind.
    let query = sqlx::query_as(concat!(
        "WITH parent AS (UPDATE accounts SET children_seats = children_seats + $1 WHERE id = $2 \
         RETURNING ",
        account_columns!(),
        "), child AS (UPDATE accounts SET device_seats = device_seats + $1, updated_at = $3 \
         WHERE id = $4 RETURNING ",
        account_columns!(),
        "), logged AS (",
        audit_insert!(),
        "SELECT tenant_id, path, $5, $6, 'account', id, $7, $8, $9 FROM parent) \
         SELECT * FROM parent UNION ALL SELECT * FROM child"
    ))
    .bind(delta)
    .bind(parent_id.get())
    .bind(audit.at)
    .bind(child_id.get());
    let rows: Vec<AccountRow> = bind_audit_draft!(query, audit)
        .fetch_all(&mut *conn)
        .await?;
    let mut parent = None;
    let mut child = None;
    for row in rows {
        let account = Account::try_from(row)?;
        match account.id {
            id if id == parent_id => parent = Some(account),
            id if id == child_id => child = Some(account),
            _ => {}
        }
    }
    match (parent, child) {
        (Some(parent), Some(child)) => Ok((parent, child)),
        _ => Err(Error::internal("a locked account vanished from its seat move").into()),
    }
}

fn invalid_child() -> Error {
    Error::invalid_field("child_id", "must be a direct child of this account")
}
