//! Opening the database and applying the embedded migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlStr, SqlitePool};
use tenantry_core::{Error, Result};

/// The store. Cheap to clone: it is a connection pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

/// Migrations are compiled into the binary, so a server never depends on its working directory.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        "init".into(),
        MigrationType::Simple,
        SqlStr::from_static(include_str!("../migrations/0001_init.sql")),
        false,
    )])
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path`, `sqlite:path` or
    /// `sqlite::memory:`). Does not migrate; see [`SqliteStore::migrate`].
    pub async fn open(url: &str) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::invalid(format!("not a usable SQLite URL ({url}): {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // An in-memory database exists per connection, so it must live on exactly one.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = SqlitePoolOptions::new()
            .max_connections(if in_memory { 1 } else { 8 })
            .min_connections(if in_memory { 1 } else { 0 })
            .idle_timeout(if in_memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if in_memory {
                None
            } else {
                Some(Duration::from_secs(3600))
            })
            .connect_with(options)
            .await
            .map_err(|e| Error::Unavailable(format!("cannot open SQLite database {url}: {e}")))?;
        Ok(SqliteStore { pool })
    }

    /// Opens the database and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let store = Self::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies every migration not yet applied; safe to run repeatedly.
    pub async fn migrate(&self) -> Result<()> {
        migrator()
            .run(&self.pool)
            .await
            .map_err(|e| Error::Internal(format!("SQLite migration failed: {e}")))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl SqliteStore {
    /// Runs a statement outside the store's record families (test set-up, administration).
    pub async fn execute_raw(&self, sql: &'static str) -> Result<()> {
        sqlx::query(sql)
            .execute(&self.pool)
            .await
            .map_err(crate::errors::db)?;
        Ok(())
    }
}

impl SqliteStore {
    /// SQLite's query plan for a list, one step per line (see [`crate::lists::explain`]).
    pub async fn explain_list(
        &self,
        scope: &tenantry_core::store::Scope,
        request: &tenantry_core::query::ListRequest,
    ) -> Result<Vec<String>> {
        crate::lists::explain(&self.pool, scope, request).await
    }
}
