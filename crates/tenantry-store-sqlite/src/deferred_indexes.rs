//! Secondary indexes set aside while an import (or a seed) fills an empty installation.
//!
//! SQLite builds an index over a million rows in one sort far faster than it keeps it up to
//! date row by row, and the free-text tables (FTS5 trigram) are the dearest of all to keep in
//! step. So an empty installation's non-unique indexes are dropped, and so are the triggers
//! that feed the free-text tables on insert; primary keys and unique indexes keep refusing
//! duplicates while the rows arrive. Each is recorded in `deferred_indexes`, in the transaction
//! that drops it, with the SQL that restores it (for a free-text trigger: rebuilding the
//! free-text table from its rows first), so an import that dies halfway leaves them for the
//! next start to rebuild ([`crate::connect::SqliteStore::migrate`]).

use sqlx::AssertSqlSafe;
use tenantry_core::Result;

use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};

/// The triggers that copy new rows into a free-text table, and that table.
const SEARCH_TRIGGERS: &[(&str, &str)] = &[
    ("accounts_search_insert", "accounts_search"),
    ("users_search_insert", "users_search"),
];

/// Drops every non-unique secondary index and the free-text insert triggers if the
/// installation holds no account and no user, recording each; returns how many were set aside
/// (none when there is data already, whose indexes a load must keep current).
pub(crate) async fn set_aside(writer: &Writer) -> Result<u64> {
    let mut tx = begin_write(writer).await?;
    let empty: bool = sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM accounts) AND NOT EXISTS (SELECT 1 FROM users)",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    if !empty {
        return Ok(0);
    }
    // Indexes SQLite makes for constraints have no SQL and are never listed here.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, m.sql FROM sqlite_master m \
         JOIN pragma_index_list(m.tbl_name) l ON l.name = m.name \
         WHERE m.type = 'index' AND m.sql IS NOT NULL AND l.\"unique\" = 0 \
           AND m.tbl_name NOT IN ('_sqlx_migrations', 'deferred_indexes') \
         ORDER BY m.name",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let mut set_aside = Vec::new();
    for (name, sql) in indexes {
        let restore = sql.replacen("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1);
        set_aside.push((name.clone(), format!("DROP INDEX \"{name}\""), restore));
    }
    for (trigger, search_table) in SEARCH_TRIGGERS {
        let sql: Option<String> =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?")
                .bind(trigger)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        if let Some(sql) = sql {
            // `rebuild` leaves the index in a dozen segments at a million users (automerge
            // only merges sixteen at a time), and a query seeks in every one of them:
            // `optimize` merges them into one, which took an FTS query alone from 0.34 to 0.13
            // ms for 3.5 s more of the rebuild.
            let restore = format!(
                "INSERT INTO {search_table} ({search_table}) VALUES ('rebuild'); \
                 INSERT INTO {search_table} ({search_table}) VALUES ('optimize'); {}",
                sql.replacen("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1)
            );
            set_aside.push((
                (*trigger).to_owned(),
                format!("DROP TRIGGER {trigger}"),
                restore,
            ));
        }
    }
    for (name, drop, restore) in &set_aside {
        sqlx::query(
            "INSERT INTO deferred_indexes (name, definition) VALUES (?, ?) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(restore)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        // Names come from the schema, not from a client.
        sqlx::query(AssertSqlSafe(drop.clone()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    commit(tx).await?;
    Ok(set_aside.len() as u64)
}

/// Rebuilds everything set aside; returns how many. Each is restored and forgotten in one
/// transaction, so a failure leaves the rest recorded for the next attempt.
pub(crate) async fn rebuild(writer: &Writer) -> Result<u64> {
    let mut rebuilt = 0;
    loop {
        let mut tx = begin_write(writer).await?;
        let next: Option<(String, String)> =
            sqlx::query_as("SELECT name, definition FROM deferred_indexes ORDER BY name LIMIT 1")
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some((name, restore)) = next else {
            return Ok(rebuilt);
        };
        // The SQL is SQLite's own schema text, recorded by `set_aside`.
        sqlx::raw_sql(AssertSqlSafe(restore))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM deferred_indexes WHERE name = ?")
            .bind(&name)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        commit(tx).await?;
        rebuilt += 1;
    }
}
