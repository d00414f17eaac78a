//! Bulk loading of complete rows (seeding, import): multi-row INSERTs in one transaction.

use sqlx::{QueryBuilder, Sqlite};
use tenantry_core::Result;
use tenantry_core::model::user::{BulkUser, search_text as user_search_text};
use tenantry_core::model::{Account, account::search_text as account_search_text};
use tenantry_core::values::fold;

use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::timestamps::to_db;

/// Rows per INSERT: well under SQLite's limit of 32,766 bound values.
const BATCH: usize = 1000;

pub(crate) async fn accounts(writer: &Writer, rows: &[Account]) -> Result<()> {
    let mut tx = begin_write(writer).await?;
    for chunk in rows.chunks(BATCH) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO accounts (id, tenant_id, parent_id, path, name, name_norm, email, \
             email_norm, description, external_id, search_text, status, device_seats, \
             used_devices, children_seats, created_at, updated_at, activity_at, log_retention) ",
        );
        insert.push_values(chunk, |mut row, a| {
            row.push_bind(a.id.get())
                .push_bind(a.tenant_id.get())
                .push_bind(a.parent_id.map(|p| p.get()))
                .push_bind(a.path.as_str().to_owned())
                .push_bind(a.name.clone())
                .push_bind(fold(&a.name))
                .push_bind(a.email.clone())
                .push_bind(a.email.as_deref().map(fold))
                .push_bind(a.description.clone())
                .push_bind(a.external_id.clone())
                .push_bind(account_search_text(
                    &a.name,
                    a.email.as_deref(),
                    a.external_id.as_deref(),
                ))
                .push_bind(a.status.as_str())
                .push_bind(a.device_seats)
                .push_bind(a.used_devices)
                .push_bind(a.children_seats)
                .push_bind(to_db(a.created))
                .push_bind(to_db(a.updated))
                .push_bind(to_db(a.activity))
                .push_bind(a.log_retention);
        });
        insert.build().execute(&mut *tx).await.map_err(db)?;
    }
    commit(tx).await
}

pub(crate) async fn users(writer: &Writer, rows: &[BulkUser]) -> Result<()> {
    let mut tx = begin_write(writer).await?;
    for chunk in rows.chunks(BATCH) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO users (id, tenant_id, account_id, account_path, email, email_norm, \
             username, username_norm, first_name, first_name_norm, last_name, last_name_norm, \
             search_text, role, status, email_verified, email_verified_at, terms_agreed_at, \
             password_hash, last_login_at, \
             preferences, created_at, updated_at) ",
        );
        insert.push_values(chunk, |mut row, b| {
            let u = &b.user;
            row.push_bind(u.id.get())
                .push_bind(u.tenant_id.get())
                .push_bind(u.account_id.get())
                .push_bind(u.account_path.as_str().to_owned())
                .push_bind(u.email.clone())
                .push_bind(fold(&u.email))
                .push_bind(u.username.clone())
                .push_bind(u.username.as_deref().map(fold))
                .push_bind(u.first_name.clone())
                .push_bind(u.first_name.as_deref().map(fold))
                .push_bind(u.last_name.clone())
                .push_bind(u.last_name.as_deref().map(fold))
                .push_bind(user_search_text(
                    &u.email,
                    u.username.as_deref(),
                    u.first_name.as_deref(),
                    u.last_name.as_deref(),
                ))
                .push_bind(u.role.as_str())
                .push_bind(u.status.as_str())
                .push_bind(u.email_verified)
                .push_bind(u.email_verified_at.map(to_db))
                .push_bind(u.terms_agreed_at.map(to_db))
                .push_bind(b.password_hash.clone())
                .push_bind(u.last_login.map(to_db))
                .push_bind(u.preferences.to_json_string())
                .push_bind(to_db(u.created))
                .push_bind(to_db(u.updated));
        });
        insert.build().execute(&mut *tx).await.map_err(db)?;
    }
    commit(tx).await
}
