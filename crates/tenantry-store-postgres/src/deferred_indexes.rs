//! Secondary indexes set aside while an import (or a seed) fills an empty installation.
//!
//! PostgreSQL builds an index over a million rows in one sort far faster than it keeps it up to
//! date row by row, and the trigram GIN indexes are the dearest of all to maintain. Only
//! non-unique indexes are set aside: primary keys and unique indexes keep refusing duplicates
//! while the rows arrive. Each definition is recorded in `deferred_indexes` in the transaction
//! that drops it, so an import that dies halfway leaves them for the next start to rebuild
//! ([`crate::connect::PostgresStore::migrate`]).

use sqlx::{AssertSqlSafe, PgPool};
use tenantry_core::Result;

use crate::errors::db;

/// Settings of an index build's transaction: memory to sort in (PostgreSQL's default, 64 MB,
/// spills a million rows to disk), and no statement timeout, which is there for requests and
/// would cancel the build of a large index.
const BUILD_SETTINGS: &[&str] = &[
    "SET LOCAL maintenance_work_mem = '256MB'",
    "SET LOCAL statement_timeout = 0",
];

/// Drops every non-unique secondary index if the installation holds no account and no user,
/// recording each; returns how many were set aside (none when there is data already, whose
/// indexes a load must keep current).
pub(crate) async fn set_aside(pool: &PgPool) -> Result<u64> {
    let mut tx = pool.begin().await.map_err(db)?;
    // One import at a time decides: a second waits here, then finds the first one's rows.
    sqlx::query("LOCK TABLE deferred_indexes IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let empty: bool = sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM accounts) AND NOT EXISTS (SELECT 1 FROM users)",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    if !empty {
        return Ok(0);
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.relname::text, pg_get_indexdef(x.indexrelid) \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT x.indisunique AND NOT x.indisprimary \
           AND t.relname NOT IN ('_sqlx_migrations', 'deferred_indexes') \
         ORDER BY i.relname",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    for (name, definition) in &indexes {
        // IF NOT EXISTS: an index rebuilt by hand meanwhile is kept.
        let restore = definition.replacen("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1);
        sqlx::query(
            "INSERT INTO deferred_indexes (name, definition) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(&restore)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        // The name comes from the catalogue, not from a client; quoted all the same.
        let drop = format!("DROP INDEX {}", quote_identifier(name));
        sqlx::query(AssertSqlSafe(drop))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(indexes.len() as u64)
}

/// Rebuilds every index set aside; returns how many. Several builders each claim one index at a
/// time, build it and forget its record in one transaction, so servers starting together share
/// the work and a failed build leaves its record for the next attempt.
pub(crate) async fn rebuild(pool: &PgPool) -> Result<u64> {
    // Two builds side by side, one connection each: a build mostly keeps one core busy.
    let (first, second) = tokio::try_join!(build_until_done(pool), build_until_done(pool))?;
    Ok(first + second)
}

async fn build_until_done(pool: &PgPool) -> Result<u64> {
    let mut built = 0;
    loop {
        let mut tx = pool.begin().await.map_err(db)?;
        let claimed: Option<(String, String)> = sqlx::query_as(
            "SELECT name, definition FROM deferred_indexes \
             ORDER BY name LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some((name, definition)) = claimed else {
            return Ok(built);
        };
        for setting in BUILD_SETTINGS {
            sqlx::query(*setting).execute(&mut *tx).await.map_err(db)?;
        }
        // The definition is PostgreSQL's own (`pg_get_indexdef`), recorded by `set_aside`.
        sqlx::query(AssertSqlSafe(definition))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM deferred_indexes WHERE name = $1")
            .bind(&name)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        built += 1;
    }
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
