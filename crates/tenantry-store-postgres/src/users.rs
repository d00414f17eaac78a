//! Users, their credentials and their login record.

use sqlx::{FromRow, PgConnection, PgPool, Row};
use tenantry_core::auth::Role;
use tenantry_core::model::user::{
    EndSessions, LoginName, LoginNames, LoginRecord, NewUser, UserChanges, search_text,
};
use tenantry_core::model::{Account, AuditDraft, User, UserId};
use tenantry_core::values::fold;
use tenantry_core::{Error, Resource, Result};

use crate::audit::{self, Target, audit_insert, bind_audit_draft};
use crate::errors::{StoreError, db};
use crate::rows::{AccountRow, USER_COLUMNS, UserRow, account_columns, user_columns};
use crate::tx;

pub(crate) async fn fetch(conn: &mut PgConnection, id: UserId) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = $1"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(User::try_from).transpose()?)
}

async fn fetch_existing(conn: &mut PgConnection, id: UserId) -> Result<User, StoreError> {
    Ok(fetch(conn, id)
        .await?
        .ok_or(Error::NotFound(Resource::User))?)
}

pub(crate) async fn get(pool: &PgPool, id: UserId) -> Result<Option<User>> {
    let mut conn = pool.acquire().await.map_err(db)?;
    fetch(&mut conn, id).await.map_err(StoreError::into_core)
}

/// A user and their account in one statement, as `me` shows them: the user's columns, then
/// the account's (read by position, since their names clash).
pub(crate) async fn with_account(pool: &PgPool, id: UserId) -> Result<Option<(User, Account)>> {
    let row = sqlx::query(concat!(
        "SELECT * FROM (SELECT ",
        user_columns!(),
        " FROM users WHERE id = $1) AS u JOIN (SELECT ",
        account_columns!(),
        " FROM accounts) AS a ON a.id = u.account_id"
    ))
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let user = User::try_from(UserRow::at(&row, 0).map_err(db)?)?;
    let account = Account::try_from(AccountRow::at(&row, USER_COLUMNS).map_err(db)?)?;
    Ok(Some((user, account)))
}

pub(crate) fn target(user: &User) -> Target<'_> {
    Target {
        kind: "user",
        id: Some(user.id.get()),
        tenant_id: Some(user.tenant_id.get()),
        path: Some(&user.account_path),
    }
}

pub(crate) async fn insert(pool: &PgPool, new: NewUser, audit: AuditDraft) -> Result<User> {
    tx::statement(pool, |conn| {
        Box::pin(insert_tx(conn, new.clone(), audit.clone()))
    })
    .await
}

/// Inserts a user and its audit record in one statement: alone it is its own transaction (no
/// `BEGIN` and `COMMIT` round trips), and inside an invitation's it is one step of it.
pub(crate) async fn insert_tx(
    conn: &mut PgConnection,
    new: NewUser,
    audit: AuditDraft,
) -> Result<User, StoreError> {
    // The account is locked against a concurrent move or deletion, and gives the new row its
    // tenant and path; an account that does not exist inserts nothing. The new row comes back
    // from the insert, and the audit record takes its target from it.
    let query = sqlx::query_as(concat!(
        "WITH account AS MATERIALIZED (SELECT id, tenant_id, path FROM accounts WHERE id = $1 \
         FOR SHARE), \
         inserted AS (INSERT INTO users (tenant_id, account_id, account_path, email, email_norm, \
         username, username_norm, first_name, last_name, role, status, email_verified, \
         password_hash, preferences, created_at, updated_at, first_name_norm, last_name_norm, \
         search_text, email_verified_at, terms_agreed_at) \
         SELECT tenant_id, id, path, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, \
         $14, $15, $16, CASE WHEN $10 THEN $13 END, CASE WHEN $17 THEN $13 END FROM account \
         RETURNING ",
        user_columns!(),
        "), logged AS (",
        audit_insert!(),
        "SELECT tenant_id, account_path, $18, $19, 'user', id, $20, $21, $22 FROM inserted) \
         SELECT * FROM inserted"
    ))
    .bind(new.account_id.get())
    .bind(&new.email)
    .bind(&new.email_normalized)
    .bind(&new.username)
    .bind(&new.username_normalized)
    .bind(&new.first_name)
    .bind(&new.last_name)
    .bind(new.role.as_str())
    .bind(new.status.as_str())
    .bind(new.email_verified)
    .bind(&new.password_hash)
    .bind(serde_json::Value::Object(new.preferences.as_map().clone()))
    .bind(new.now)
    .bind(new.first_name.as_deref().map(fold))
    .bind(new.last_name.as_deref().map(fold))
    .bind(search_text(
        &new.email,
        new.username.as_deref(),
        new.first_name.as_deref(),
        new.last_name.as_deref(),
    ))
    .bind(new.terms_agreed);
    let row: Option<UserRow> = bind_audit_draft!(query, audit)
        .fetch_optional(&mut *conn)
        .await?;
    let row = row.ok_or(Error::NotFound(Resource::Account))?;
    Ok(User::try_from(row)?)
}

pub(crate) async fn login_record(pool: &PgPool, name: &LoginName) -> Result<Option<LoginRecord>> {
    let names = match name {
        LoginName::Email(email) => LoginNames {
            email: Some(email.clone()),
            username: None,
        },
        LoginName::Username(username) => LoginNames {
            email: None,
            username: Some(username.clone()),
        },
    };
    Ok(login_records(pool, &names).await?.into_iter().next())
}

pub(crate) async fn login_records(pool: &PgPool, names: &LoginNames) -> Result<Vec<LoginRecord>> {
    // The users, their password hashes and their accounts' status in one round trip: every
    // login, right or wrong, starts here, and a typed email address may be a username too.
    // A name that is absent is NULL, which equals nothing.
    let rows = sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        ", password_hash, account_status FROM (SELECT u.*, a.status AS account_status \
         FROM users u JOIN accounts a ON a.id = u.account_id \
         WHERE u.email_norm = $1 OR u.username_norm = $2) AS users \
         ORDER BY email_norm = $1 DESC NULLS LAST"
    ))
    .bind(&names.email)
    .bind(&names.username)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let user = User::try_from(UserRow::from_row(row).map_err(db)?)?;
            let password_hash: Option<String> = row.try_get("password_hash").map_err(db)?;
            let account_status: String = row.try_get("account_status").map_err(db)?;
            let account_status = account_status
                .parse()
                .map_err(|_| Error::internal("unexpected stored account status"))?;
            Ok(LoginRecord {
                user,
                password_hash,
                account_status,
            })
        })
        .collect()
}

pub(crate) async fn password_hash(pool: &PgPool, id: UserId) -> Result<Option<String>> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(id.get())
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    Ok(hash.flatten())
}

pub(crate) async fn update(
    pool: &PgPool,
    id: UserId,
    changes: UserChanges,
    audit: AuditDraft,
) -> Result<User> {
    tx::write(pool, |conn| {
        Box::pin(update_tx(conn, id, changes.clone(), audit.clone()))
    })
    .await
}

async fn update_tx(
    conn: &mut PgConnection,
    id: UserId,
    changes: UserChanges,
    audit: AuditDraft,
) -> Result<User, StoreError> {
    let before = lock_user(conn, id).await?;
    check_expected_role(&before, changes.expected_role)?;
    if changes.role.is_some_and(|r| r != Role::Owner) {
        check_not_last_owner(conn, &before).await?;
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
    let done = sqlx::query(
        "UPDATE users SET \
         email = CASE WHEN $1 THEN $2 ELSE email END, \
         email_norm = CASE WHEN $1 THEN $3 ELSE email_norm END, \
         email_verified = CASE WHEN $1 AND email_norm <> $3 THEN FALSE \
             ELSE email_verified END, \
         email_verified_at = CASE WHEN $1 AND email_norm <> $3 THEN NULL \
             ELSE email_verified_at END, \
         terms_agreed_at = CASE WHEN $24 THEN (CASE WHEN $25 THEN COALESCE(terms_agreed_at, $19) \
             END) ELSE terms_agreed_at END, \
         username = CASE WHEN $4 THEN $5 ELSE username END, \
         username_norm = CASE WHEN $4 THEN $6 ELSE username_norm END, \
         first_name = CASE WHEN $7 THEN $8 ELSE first_name END, \
         last_name = CASE WHEN $9 THEN $10 ELSE last_name END, \
         role = CASE WHEN $11 THEN $12 ELSE role END, \
         status = CASE WHEN $13 THEN $14 ELSE status END, \
         password_hash = CASE WHEN $15 THEN $16 ELSE password_hash END, \
         preferences = CASE WHEN $17 THEN $18 ELSE preferences END, \
         updated_at = $19, first_name_norm = $21, last_name_norm = $22, search_text = $23 \
         WHERE id = $20",
    )
    .bind(email.is_some())
    .bind(email)
    .bind(email_norm)
    .bind(username.is_some())
    .bind(username.clone().flatten().map(|(u, _)| u))
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
    .bind(
        changes
            .preferences
            .as_ref()
            .map(|p| serde_json::Value::Object(p.as_map().clone())),
    )
    .bind(changes.now)
    .bind(id.get())
    .bind(after_first.as_deref().map(fold))
    .bind(after_last.as_deref().map(fold))
    .bind(search_text(
        &after_email,
        after_username.as_deref(),
        after_first.as_deref(),
        after_last.as_deref(),
    ))
    .bind(changes.terms_agreed.is_some())
    .bind(changes.terms_agreed == Some(true))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(Resource::User).into());
    }
    match changes.end_sessions {
        EndSessions::None => {}
        EndSessions::All => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.get())
                .execute(&mut *conn)
                .await?;
        }
        EndSessions::AllExcept(keep) => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
                .bind(id.get())
                .bind(keep.get())
                .execute(&mut *conn)
                .await?;
        }
    }
    if address_changes {
        crate::user_tokens::void_for_new_address(conn, id, changes.now).await?;
    }
    let user = fetch_existing(conn, id).await?;
    audit::record(conn, &audit, target(&user)).await?;
    Ok(user)
}

/// Reads and locks a user row for the rest of the transaction.
async fn lock_user(conn: &mut PgConnection, id: UserId) -> Result<User, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = $1 FOR UPDATE"
    ))
    .bind(id.get())
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => Ok(User::try_from(row)?),
        None => Err(Error::NotFound(Resource::User).into()),
    }
}

/// An account keeps at least one owner: refuses to remove or demote the last one. The other
/// owners' rows are locked, so two transactions removing the last two owners at once cannot
/// both see the other still there.
async fn check_not_last_owner(conn: &mut PgConnection, user: &User) -> Result<(), StoreError> {
    if user.role != Role::Owner {
        return Ok(());
    }
    let others: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM users WHERE account_id = $1 AND role = 'owner' AND id <> $2 FOR UPDATE",
    )
    .bind(user.account_id.get())
    .bind(user.id.get())
    .fetch_all(conn)
    .await?;
    if others.is_empty() {
        return Err(Error::conflict(
            "this is the account's last owner; make another user owner first",
        )
        .into());
    }
    Ok(())
}

/// Refuses a change decided against a role the user no longer has.
fn check_expected_role(user: &User, expected: Option<Role>) -> Result<(), StoreError> {
    match expected {
        Some(role) if role != user.role => Err(Error::conflict(
            "the user's role changed while this request was checked; retry",
        )
        .into()),
        _ => Ok(()),
    }
}

pub(crate) async fn delete(
    pool: &PgPool,
    id: UserId,
    expected_role: Option<Role>,
    audit: AuditDraft,
) -> Result<()> {
    tx::write(pool, |conn| {
        Box::pin(delete_tx(conn, id, expected_role, audit.clone()))
    })
    .await
}

async fn delete_tx(
    conn: &mut PgConnection,
    id: UserId,
    expected_role: Option<Role>,
    audit: AuditDraft,
) -> Result<(), StoreError> {
    let user = lock_user(conn, id).await?;
    check_expected_role(&user, expected_role)?;
    check_not_last_owner(conn, &user).await?;
    // Sessions go by ON DELETE CASCADE.
    let done = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(Resource::User).into());
    }
    audit::record(conn, &audit, target(&user)).await?;
    Ok(())
}
