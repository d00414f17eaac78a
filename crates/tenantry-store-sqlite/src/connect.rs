//! Opening the database and applying the embedded migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tenantry_core::model::health::StoreHealth;
use tenantry_core::{Error, Result};

use crate::checkpoints::Checkpoints;
use crate::group_commit::Writer;
use crate::readers::Readers;
use crate::user_inserts::UserInserts;

/// The store. Cheap to clone: it is three sets of connections and the queue of new users
/// waiting to be written together (see `user_inserts`).
///
/// SQLite lets one connection write at a time. Writes therefore go through one connection,
/// where they queue in order, instead of all taking turns at the database lock with SQLite's
/// sleeping busy-handler (which costs throughput and makes the tail latency jump); writes
/// queued together share a commit (see `group_commit`). Reads use connections of their own
/// (see `readers`; a read of one row by key runs on the caller's thread, see `point_reads`)
/// and, in WAL mode, never wait for the writer.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) readers: Readers,
    pub(crate) writer: Writer,
    /// New users waiting to be inserted together.
    pub(crate) user_inserts: UserInserts,
    /// One connection of its own for reading the revocation counter, which every request may
    /// wait for: behind the readers' slow statements it would stall them all.
    pub(crate) epoch: Readers,
}

/// Migrations are compiled into the binary, so a server never depends on its working directory.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "init".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0001_init.sql")),
            false,
        ),
        Migration::new(
            2,
            "controlbyweb".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0002_controlbyweb.sql")),
            false,
        ),
        Migration::new(
            3,
            "cloud_elements".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0003_cloud_elements.sql")),
            false,
        ),
        Migration::new(
            4,
            "lockout".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0004_lockout.sql")),
            false,
        ),
        Migration::new(
            5,
            "mail".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0005_mail.sql")),
            false,
        ),
        Migration::new(
            6,
            "deferred_indexes".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0006_deferred_indexes.sql")),
            false,
        ),
        Migration::new(
            7,
            "tenant_name_indexes".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0007_tenant_name_indexes.sql")),
            false,
        ),
        Migration::new(
            8,
            "auth_epoch".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0008_auth_epoch.sql")),
            false,
        ),
        Migration::new(
            9,
            "search_merges".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0009_search_merges.sql")),
            false,
        ),
        Migration::new(
            10,
            "search_usermerge".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0010_search_usermerge.sql")),
            false,
        ),
        Migration::new(
            11,
            "search_tenant".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0011_search_tenant.sql")),
            false,
        ),
        Migration::new(
            12,
            "foreign_key_indexes".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0012_foreign_key_indexes.sql")),
            false,
        ),
        Migration::new(
            13,
            "audit_target_index".into(),
            MigrationType::Simple,
            SqlStr::from_static(include_str!("../migrations/0013_audit_target_index.sql")),
            false,
        ),
    ])
}

/// Readers: twice the cores, and at least four. Each connection has a thread of its own, so
/// more readers than that only take turns for the CPU: on two cores, eight readers put the
/// p99 of searches under load at 18-25 ms where four put it at 14-18 ms, for the same
/// throughput.
fn reader_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .max(4)
}

/// The writer's connection settings on top of every connection's.
fn writer_options(options: &SqliteConnectOptions, in_memory: bool) -> SqliteConnectOptions {
    // The journal that lets a savepoint or a failed statement be undone spills to a temporary
    // file past 64 KiB: one created, written and deleted for nearly every batch of new users.
    // In memory it stays a few MiB at most (a group of writes). Readers keep the default, so a
    // large sort cannot pin its temporary data in RAM.
    let options = options.clone().pragma("temp_store", "memory");
    if in_memory {
        return options;
    }
    // A thread of its own checkpoints the log (see `checkpoints`); the writer's own checkpoint
    // is only the backstop.
    options.pragma(
        "wal_autocheckpoint",
        crate::checkpoints::BACKSTOP_PAGES.to_string(),
    )
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
        // An in-memory database exists per connection, so it must live on exactly one, which
        // then both reads and writes.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let unavailable =
            |e: sqlx::Error| Error::Unavailable(format!("cannot open SQLite database {url}: {e}"));
        let (idle, lifetime) = if in_memory {
            (None, None)
        } else {
            (
                Some(Duration::from_secs(600)),
                Some(Duration::from_secs(3600)),
            )
        };
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // A connection to a file cannot be dropped by the other end, so sqlx's default
            // probe before every acquire is only a needless trip to the connection's thread.
            .test_before_acquire(false)
            .min_connections(u32::from(in_memory))
            .idle_timeout(idle)
            .max_lifetime(lifetime)
            .connect_with(writer_options(&options, in_memory))
            .await
            .map_err(unavailable)?;
        let checkpoints = if in_memory {
            None
        } else {
            Some(
                Checkpoints::start(options.get_filename().to_path_buf()).map_err(|e| {
                    Error::Unavailable(format!("cannot start the checkpoint thread: {e}"))
                })?,
            )
        };
        let (readers, epoch) = if in_memory {
            (
                Readers::borrowing(writer.clone()),
                Readers::borrowing(writer.clone()),
            )
        } else {
            (
                Readers::new(options.clone(), reader_connections()),
                Readers::new(options, 1),
            )
        };
        Ok(SqliteStore {
            readers,
            writer: Writer::new(writer, checkpoints),
            user_inserts: UserInserts::default(),
            epoch,
        })
    }

    /// Opens the database and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let store = Self::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Schema version, connections and outbox backlog (see [`Store::health`]).
    ///
    /// [`Store::health`]: tenantry_core::store::Store::health
    pub(crate) async fn health(&self) -> Result<StoreHealth> {
        let schema_expected = migrator().iter().map(|m| m.version).max().unwrap_or(0);
        let schema_applied: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&mut *self.readers.acquire().await?)
        .await
        .map_err(crate::errors::db)?;
        let mail_pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE status = 'pending'")
                .fetch_one(&mut *self.readers.acquire().await?)
                .await
                .map_err(crate::errors::db)?;
        let (readers_open, readers_idle, readers_max) = self.readers.counts();
        Ok(StoreHealth {
            schema_applied,
            schema_expected,
            connections_open: readers_open + self.writer.pool().size(),
            connections_idle: readers_idle
                + u32::try_from(self.writer.pool().num_idle()).unwrap_or(u32::MAX),
            connections_max: readers_max + self.writer.pool().options().get_max_connections(),
            mail_pending: u64::try_from(mail_pending).unwrap_or(0),
        })
    }

    /// Applies every migration not yet applied (safe to run repeatedly), then rebuilds any
    /// index an interrupted import set aside, so no server runs without them.
    pub async fn migrate(&self) -> Result<()> {
        migrator()
            .run(self.writer.pool())
            .await
            .map_err(|e| Error::Internal(format!("SQLite migration failed: {e}")))?;
        let rebuilt = crate::deferred_indexes::rebuild(&self.writer).await?;
        if rebuilt > 0 {
            tracing::warn!(
                rebuilt,
                "rebuilt indexes an unfinished import had set aside"
            );
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.pool().close().await;
        self.epoch.close().await;
    }
}

impl SqliteStore {
    /// Runs a statement outside the store's record families (test set-up, administration).
    /// This process does not count it as its own write: the credential cache and reads by key
    /// see it as they see another process's, within a millisecond.
    pub async fn execute_raw(&self, sql: &'static str) -> Result<()> {
        sqlx::query(sql)
            .execute(self.writer.pool())
            .await
            .map_err(crate::errors::db)?;
        Ok(())
    }
}

impl SqliteStore {
    /// SQLite's query plan for a list, one step per line (see `lists::explain`).
    pub async fn explain_list(
        &self,
        scope: &tenantry_core::store::Scope,
        request: &tenantry_core::query::ListRequest,
    ) -> Result<Vec<String>> {
        crate::lists::explain(&self.readers, scope, request).await
    }
}
