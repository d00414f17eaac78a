//! Connecting to PostgreSQL and applying the embedded migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{Connection, PgPool};
use tenantry_core::model::health::StoreHealth;
use tenantry_core::{Error, Result};

/// How long a pooled connection must have been idle to be probed before it is handed out.
const PROBE_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// How to talk to the server about TLS; the libpq `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for TlsMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "disable" => Ok(TlsMode::Disable),
            "prefer" => Ok(TlsMode::Prefer),
            "require" => Ok(TlsMode::Require),
            "verify-ca" => Ok(TlsMode::VerifyCa),
            "verify-full" => Ok(TlsMode::VerifyFull),
            _ => Err("must be one of: disable, prefer, require, verify-ca, verify-full".to_owned()),
        }
    }
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Connections this server keeps at most, besides one for reading the revocation counter.
    /// Size it so that instances × (pool size + 1) stays below the server's `max_connections`.
    pub pool_size: u32,
    /// Any statement running longer is cancelled, and the request answers 503.
    pub statement_timeout: Duration,
    /// How long a request waits for a free connection (or for the database to answer a connect)
    /// before it answers 503.
    pub acquire_timeout: Duration,
    /// Overrides the URL's `sslmode`.
    pub tls: Option<TlsMode>,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            statement_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(5),
            tls: None,
        }
    }
}

/// The store. Cheap to clone: it is a connection pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pub(crate) pool: PgPool,
    /// One connection of its own for reading the revocation counter, which every request may
    /// wait for: behind the pool's slow statements it would stall them all.
    pub(crate) epoch: PgPool,
}

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

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/db?sslmode=…`). Fails at once, with
    /// the reason, if the server cannot be reached. Does not migrate.
    pub async fn open(url: &str, options: &PostgresOptions) -> Result<PostgresStore> {
        let mut connect = PgConnectOptions::from_str(url)
            .map_err(|e| Error::invalid(format!("not a usable PostgreSQL URL: {e}")))?
            .application_name("tenantry")
            .options([(
                "statement_timeout",
                format!("{}ms", options.statement_timeout.as_millis()),
            )]);
        if let Some(tls) = options.tls {
            connect = connect.ssl_mode(match tls {
                TlsMode::Disable => PgSslMode::Disable,
                TlsMode::Prefer => PgSslMode::Prefer,
                TlsMode::Require => PgSslMode::Require,
                TlsMode::VerifyCa => PgSslMode::VerifyCa,
                TlsMode::VerifyFull => PgSslMode::VerifyFull,
            });
        }
        let pool_of = |size: u32| {
            PgPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(options.acquire_timeout)
                .idle_timeout(Some(Duration::from_secs(300)))
                // Probe a pooled connection that sat idle before use, so one dropped by a
                // restarted server or a firewall is replaced instead of failing a request. A
                // connection busy a moment ago is not probed: the probe is a round trip to the
                // server, and probing every acquire doubled the round trips of a one-statement
                // request.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PROBE_WHEN_IDLE_FOR {
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
        };
        let epoch = pool_of(1).connect_lazy_with(connect.clone());
        let pool = pool_of(options.pool_size.max(1))
            .connect_with(connect)
            .await
            .map_err(|e| Error::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        Ok(PostgresStore { pool, epoch })
    }

    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str, options: &PostgresOptions) -> Result<PostgresStore> {
        let store = Self::open(url, options).await?;
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
        .fetch_one(&self.pool)
        .await
        .map_err(crate::errors::db)?;
        let mail_pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE status = 'pending'")
                .fetch_one(&self.pool)
                .await
                .map_err(crate::errors::db)?;
        Ok(StoreHealth {
            schema_applied,
            schema_expected,
            connections_open: self.pool.size() + self.epoch.size(),
            connections_idle: u32::try_from(self.pool.num_idle() + self.epoch.num_idle())
                .unwrap_or(u32::MAX),
            connections_max: self.pool.options().get_max_connections()
                + self.epoch.options().get_max_connections(),
            mail_pending: u64::try_from(mail_pending).unwrap_or(0),
        })
    }

    /// Applies pending migrations under PostgreSQL's advisory lock: of several instances starting
    /// at once, one migrates and the others wait, then find nothing left to do.
    /// Then rebuilds any index an interrupted import set aside, so no server runs without them.
    pub async fn migrate(&self) -> Result<()> {
        migrator()
            .run(&self.pool)
            .await
            .map_err(|e| Error::Internal(format!("PostgreSQL migration failed: {e}")))?;
        let rebuilt = crate::deferred_indexes::rebuild(&self.pool).await?;
        if rebuilt > 0 {
            tracing::warn!(
                rebuilt,
                "rebuilt indexes an unfinished import had set aside"
            );
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.epoch.close().await;
    }

    /// Runs a statement outside the store's record families (test set-up, administration).
    pub async fn execute_raw(&self, sql: &'static str) -> Result<()> {
        sqlx::query(sql)
            .execute(&self.pool)
            .await
            .map_err(|e| crate::errors::StoreError::from(e).into_core())?;
        Ok(())
    }
}

/// How the store's connections reach PostgreSQL. It matters for speed as much as for safety:
/// with the database on the same host, reads by key ran about 40 % faster over its Unix socket
/// than over TCP with TLS, which the default `sslmode=prefer` picks whenever the server offers
/// it (BENCHMARKS.md). Servers log it at start, and `tenantry-bench` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    UnixSocket,
    Tcp {
        /// The TLS version in use (`TLSv1.3`), if any.
        tls: Option<String>,
    },
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::UnixSocket => f.write_str("a Unix socket"),
            Transport::Tcp { tls: Some(version) } => write!(f, "TCP with {version}"),
            Transport::Tcp { tls: None } => f.write_str("TCP without TLS"),
        }
    }
}

impl PostgresStore {
    /// How this store's connections reach the server, as one of them sees it: every
    /// connection of the store is made from the same options. (Behind a connection pooler
    /// such as PgBouncer, this is the pooler's connection to the server, not the store's.)
    pub async fn transport(&self) -> Result<Transport> {
        let (socket, tls): (bool, Option<String>) = sqlx::query_as(
            "SELECT inet_client_addr() IS NULL, \
                    (SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(crate::errors::db)?;
        Ok(if socket {
            Transport::UnixSocket
        } else {
            Transport::Tcp { tls }
        })
    }
}

impl PostgresStore {
    /// PostgreSQL's query plan for a list (see [`crate::lists::explain`]).
    pub async fn explain_list(
        &self,
        scope: &tenantry_core::store::Scope,
        request: &tenantry_core::query::ListRequest,
    ) -> Result<Vec<String>> {
        crate::lists::explain(&self.pool, scope, request).await
    }
}
