//! Users, their credentials and their login record.

use rusqlite::OptionalExtension;
use sqlx::{FromRow, SqliteConnection};
use tenantry_core::auth::Role;
use tenantry_core::model::user::{
    EndSessions, LoginName, LoginRecord, NewUser, UserChanges, search_text,
};
use tenantry_core::model::{Account, AuditDraft, User, UserId};
use tenantry_core::values::fold;
use tenantry_core::{Error, Resource, Result};

use crate::audit::{self, Target};
use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::rows::{AccountRow, USER_COLUMNS, UserRow, account_columns, user_columns};
use crate::timestamps::to_db;

pub(crate) async fn fetch(conn: &mut SqliteConnection, id: UserId) -> Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = ?"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(User::try_from).transpose()
}

async fn fetch_existing(conn: &mut SqliteConnection, id: UserId) -> Result<User> {
    fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::User))
}

pub(crate) async fn get(readers: &Readers, id: UserId) -> Result<Option<User>> {
    if let Some(row) = readers.by_key(|conn| by_key(conn, id)) {
        return row.map(User::try_from).transpose();
    }
    let mut conn = readers.acquire().await?;
    fetch(&mut conn, id).await
}

/// [`fetch`] on the caller's thread (see `point_reads`).
fn by_key(conn: &rusqlite::Connection, id: UserId) -> rusqlite::Result<Option<UserRow>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = ?1"
    ))?
    .query_row([id.get()], |row| UserRow::from_by_key(row, 0))
    .optional()
}

/// A user and their account. On this thread in one statement where it can (see
/// `point_reads`); else in one trip to a connection's thread: two statements in one query, the
/// second finding the account through the user, each seeing the database as it is when it runs.
pub(crate) async fn with_account(readers: &Readers, id: UserId) -> Result<Option<(User, Account)>> {
    if let Some(rows) = readers.by_key(|conn| with_account_by_key(conn, id)) {
        let Some((user, account)) = rows else {
            return Ok(None);
        };
        return Ok(Some((User::try_from(user)?, Account::try_from(account)?)));
    }
    let rows = sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = ?1; SELECT ",
        account_columns!(),
        " FROM accounts WHERE id = (SELECT account_id FROM users WHERE id = ?1)"
    ))
    .bind(id.get())
    .fetch_all(&mut *readers.acquire().await?)
    .await
    .map_err(db)?;
    // The user was deleted between the two statements if only the first found a row.
    let [user, account] = rows.as_slice() else {
        return Ok(None);
    };
    let user = User::try_from(UserRow::from_row(user).map_err(db)?)?;
    let account = Account::try_from(AccountRow::from_row(account).map_err(db)?)?;
    Ok(Some((user, account)))
}

/// [`with_account`] on the caller's thread (see `point_reads`), in one statement: a user's
/// columns, then their account's.
fn with_account_by_key(
    conn: &rusqlite::Connection,
    id: UserId,
) -> rusqlite::Result<Option<(UserRow, AccountRow)>> {
    conn.prepare_cached(concat!(
        "SELECT * FROM (SELECT ",
        user_columns!(),
        " FROM users WHERE id = ?1) AS u JOIN (SELECT ",
        account_columns!(),
        " FROM accounts) AS a ON a.id = u.account_id"
    ))?
    .query_row([id.get()], |row| {
        Ok((
            UserRow::from_by_key(row, 0)?,
            AccountRow::from_by_key(row, USER_COLUMNS)?,
        ))
    })
    .optional()
}

pub(crate) fn target(user: &User) -> Target<'_> {
    Target {
        kind: "user",
        id: Some(user.id.get()),
        tenant_id: Some(user.tenant_id.get()),
        path: Some(&user.account_path),
    }
}

/// Inserts a user with its audit record in a write of its own (most creations are batched:
/// see `user_inserts`).
pub(crate) async fn insert_alone(writer: &Writer, new: NewUser, audit: AuditDraft) -> Result<User> {
    let mut tx = begin_write(writer).await?;
    let user = insert_in(&mut tx, new, audit).await?;
    commit(tx).await?;
    Ok(user)
}

/// Inserts a user inside the caller's write transaction.
pub(crate) async fn insert_in(
    conn: &mut SqliteConnection,
    new: NewUser,
    audit: AuditDraft,
) -> Result<User> {
    let mut users = insert_all_in(conn, &[(&new, &audit)]).await?;
    users
        .pop()
        .ok_or_else(|| Error::Internal("the new user did not come back".to_owned()))
}

/// Writes new users, each into the account it names, with their rows read back (RETURNING) in
/// the same statement. The rows travel as one JSON array, parsed once by `jsonb_each`, so one
/// prepared statement serves any number of them (a statement per batch size would crowd the
/// writer's statement cache). A creation whose account is missing gets no row.
const INSERT_USERS: &str = concat!(
    "INSERT INTO users (tenant_id, account_id, account_path, email, email_norm, username, \
     username_norm, first_name, first_name_norm, last_name, last_name_norm, search_text, role, \
     status, email_verified, email_verified_at, terms_agreed_at, password_hash, preferences, \
     created_at, updated_at) \
     SELECT a.tenant_id, a.id, a.path, n.value ->> 'email', n.value ->> 'email_norm', \
     n.value ->> 'username', n.value ->> 'username_norm', n.value ->> 'first_name', \
     n.value ->> 'first_name_norm', n.value ->> 'last_name', n.value ->> 'last_name_norm', \
     n.value ->> 'search_text', n.value ->> 'role', n.value ->> 'status', \
     n.value ->> 'email_verified', n.value ->> 'email_verified_at', \
     n.value ->> 'terms_agreed_at', n.value ->> 'password_hash', n.value ->> 'preferences', \
     n.value ->> 'now', n.value ->> 'now' \
     FROM jsonb_each(?) AS n JOIN accounts AS a ON a.id = n.value ->> 'account_id' \
     ORDER BY n.key RETURNING ",
    user_columns!()
);

/// Inserts users with their audit records inside the caller's write transaction; returns them
/// in the order given.
pub(crate) async fn insert_all_in(
    conn: &mut SqliteConnection,
    creations: &[(&NewUser, &AuditDraft)],
) -> Result<Vec<User>> {
    let rows = serde_json::Value::Array(creations.iter().map(|(new, _)| row_of(new)).collect());
    let returned: Vec<UserRow> = sqlx::query_as(INSERT_USERS)
        .bind(rows.to_string())
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    let mut returned = returned
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<User>>>()?;
    // SQLite does not promise RETURNING's order; an address is unique, so it names its row.
    // A creation whose account is gone has no row.
    let mut users = Vec::with_capacity(creations.len());
    for (new, _) in creations {
        let Some(at) = returned.iter().position(|u| u.email == new.email) else {
            return Err(Error::NotFound(Resource::Account));
        };
        users.push(returned.swap_remove(at));
    }
    audit::record_all(
        &mut *conn,
        creations
            .iter()
            .zip(&users)
            .map(|((_, audit), user)| (*audit, target(user))),
    )
    .await?;
    Ok(users)
}

/// One new user's values, named as [`INSERT_USERS`] reads them.
fn row_of(new: &NewUser) -> serde_json::Value {
    let now = to_db(new.now);
    serde_json::json!({
        "account_id": new.account_id.get(),
        "email": new.email,
        "email_norm": new.email_normalized,
        "username": new.username,
        "username_norm": new.username_normalized,
        "first_name": new.first_name,
        "first_name_norm": new.first_name.as_deref().map(fold),
        "last_name": new.last_name,
        "last_name_norm": new.last_name.as_deref().map(fold),
        "search_text": search_text(
            &new.email,
            new.username.as_deref(),
            new.first_name.as_deref(),
            new.last_name.as_deref(),
        ),
        "role": new.role.as_str(),
        "status": new.status.as_str(),
        "email_verified": new.email_verified,
        "email_verified_at": new.email_verified.then_some(now),
        "terms_agreed_at": new.terms_agreed.then_some(now),
        "password_hash": new.password_hash,
        "preferences": new.preferences.to_json_string(),
        "now": now,
    })
}

pub(crate) async fn login_record(
    readers: &Readers,
    name: &LoginName,
) -> Result<Option<LoginRecord>> {
    let mut conn = readers.acquire().await?;
    let (query, value) = match name {
        LoginName::Email(email_norm) => (
            "SELECT u.id, u.password_hash, a.status FROM users u \
             JOIN accounts a ON a.id = u.account_id WHERE u.email_norm = ?",
            email_norm,
        ),
        LoginName::Username(username_norm) => (
            "SELECT u.id, u.password_hash, a.status FROM users u \
             JOIN accounts a ON a.id = u.account_id WHERE u.username_norm = ?",
            username_norm,
        ),
    };
    let found: Option<(i64, Option<String>, String)> = sqlx::query_as(query)
        .bind(value)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let Some((id, password_hash, account_status)) = found else {
        return Ok(None);
    };
    let user = fetch_existing(&mut conn, UserId(id)).await?;
    let account_status = account_status
        .parse()
        .map_err(|_| Error::internal("unexpected stored account status"))?;
    Ok(Some(LoginRecord {
        user,
        password_hash,
        account_status,
    }))
}

pub(crate) async fn password_hash(readers: &Readers, id: UserId) -> Result<Option<String>> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
            .bind(id.get())
            .fetch_optional(&mut *readers.acquire().await?)
            .await
            .map_err(db)?;
    Ok(hash.flatten())
}

pub(crate) async fn update(
    writer: &Writer,
    id: UserId,
    changes: UserChanges,
    audit: AuditDraft,
) -> Result<User> {
    let mut tx = begin_write(writer).await?;
    let before = fetch_existing(&mut tx, id).await?;
    check_expected_role(&before, changes.expected_role)?;
    if changes.role.is_some_and(|r| r != Role::Owner) {
        check_not_last_owner(&mut tx, &before).await?;
    }
    let (email, email_norm) = changes.email.clone().unzip();
    // Same rule as `email_verified` below: only a new address, not a new spelling of it.
    let address_changes = email_norm
        .as_ref()
        .is_some_and(|n| *n != before.email.to_lowercase());
    let username = changes.username.clone();
    // The folded and search columns follow from the fields as they will be after the change.
    let after_email = email.clone().unwrap_or_else(|| before.email.clone());
    let after_username = match &username {
        Some(change) => change.as_ref().map(|(u, _)| u.clone()),
        None => before.username.clone(),
    };
    let after_first = changes
        .first_name
        .clone()
        .unwrap_or_else(|| before.first_name.clone());
    let after_last = changes
        .last_name
        .clone()
        .unwrap_or_else(|| before.last_name.clone());
    sqlx::query(
        "UPDATE users SET \
         first_name_norm = ?, last_name_norm = ?, search_text = ?, \
         email = CASE WHEN ? THEN ? ELSE email END, \
         email_norm = CASE WHEN ? THEN ? ELSE email_norm END, \
         email_verified = CASE WHEN ? AND email_norm <> ? THEN 0 ELSE email_verified END, \
         email_verified_at = CASE WHEN ? AND email_norm <> ? THEN NULL \
             ELSE email_verified_at END, \
         terms_agreed_at = CASE WHEN ? THEN (CASE WHEN ? THEN COALESCE(terms_agreed_at, ?) \
             ELSE NULL END) ELSE terms_agreed_at END, \
         username = CASE WHEN ? THEN ? ELSE username END, \
         username_norm = CASE WHEN ? THEN ? ELSE username_norm END, \
         first_name = CASE WHEN ? THEN ? ELSE first_name END, \
         last_name = CASE WHEN ? THEN ? ELSE last_name END, \
         role = CASE WHEN ? THEN ? ELSE role END, \
         status = CASE WHEN ? THEN ? ELSE status END, \
         password_hash = CASE WHEN ? THEN ? ELSE password_hash END, \
         preferences = CASE WHEN ? THEN ? ELSE preferences END, \
         updated_at = ? \
         WHERE id = ?",
    )
    .bind(after_first.as_deref().map(fold))
    .bind(after_last.as_deref().map(fold))
    .bind(search_text(
        &after_email,
        after_username.as_deref(),
        after_first.as_deref(),
        after_last.as_deref(),
    ))
    .bind(email.is_some())
    .bind(email)
    .bind(email_norm.is_some())
    .bind(email_norm.clone())
    .bind(email_norm.is_some())
    .bind(email_norm.clone())
    .bind(email_norm.is_some())
    .bind(email_norm)
    .bind(changes.terms_agreed.is_some())
    .bind(changes.terms_agreed == Some(true))
    .bind(to_db(changes.now))
    .bind(username.is_some())
    .bind(username.clone().flatten().map(|(u, _)| u))
    .bind(username.is_some())
    .bind(username.flatten().map(|(_, n)| n))
    .bind(changes.first_name.is_some())
    .bind(changes.first_name.clone().flatten())
    .bind(changes.last_name.is_some())
    .bind(changes.last_name.clone().flatten())
    .bind(changes.role.is_some())
    .bind(changes.role.map(|r| r.as_str()))
    .bind(changes.status.is_some())
    .bind(changes.status.map(|s| s.as_str()))
    .bind(changes.password_hash.is_some())
    .bind(changes.password_hash.clone())
    .bind(changes.preferences.is_some())
    .bind(changes.preferences.as_ref().map(|p| p.to_json_string()))
    .bind(to_db(changes.now))
    .bind(id.get())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    match changes.end_sessions {
        EndSessions::None => {}
        EndSessions::All => {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(id.get())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        EndSessions::AllExcept(keep) => {
            sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id <> ?")
                .bind(id.get())
                .bind(keep.get())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
    }
    if address_changes {
        crate::user_tokens::void_for_new_address(&mut tx, id, changes.now).await?;
    }
    let user = fetch_existing(&mut tx, id).await?;
    audit::record(&mut tx, &audit, target(&user)).await?;
    commit(tx).await?;
    Ok(user)
}

/// An account keeps at least one owner: refuses to remove or demote the last one.
async fn check_not_last_owner(conn: &mut SqliteConnection, user: &User) -> Result<()> {
    if user.role != Role::Owner {
        return Ok(());
    }
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE account_id = ? AND role = 'owner' AND id <> ?",
    )
    .bind(user.account_id.get())
    .bind(user.id.get())
    .fetch_one(conn)
    .await
    .map_err(db)?;
    if others == 0 {
        return Err(Error::conflict(
            "this is the account's last owner; make another user owner first",
        ));
    }
    Ok(())
}

/// Refuses a change decided against a role the user no longer has.
pub(crate) fn check_expected_role(user: &User, expected: Option<Role>) -> Result<()> {
    match expected {
        Some(role) if role != user.role => Err(Error::conflict(
            "the user's role changed while this request was checked; retry",
        )),
        _ => Ok(()),
    }
}

pub(crate) async fn delete(
    writer: &Writer,
    id: UserId,
    expected_role: Option<Role>,
    audit: AuditDraft,
) -> Result<()> {
    let mut tx = begin_write(writer).await?;
    let user = fetch_existing(&mut tx, id).await?;
    check_expected_role(&user, expected_role)?;
    check_not_last_owner(&mut tx, &user).await?;
    // Sessions go by ON DELETE CASCADE.
    sqlx::query("DELETE FROM users WHERE id = ?")
        .bind(id.get())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    audit::record(&mut tx, &audit, target(&user)).await?;
    commit(tx).await?;
    Ok(())
}
