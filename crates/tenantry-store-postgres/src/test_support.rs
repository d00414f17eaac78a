//! Throw-away schemas for tests: each test gets a schema of its own in the database named by
//! `TENANTRY_TEST_POSTGRES_URL`, so tests run in parallel without seeing each other's rows, and
//! the schema is dropped when the test's guard goes. Built only with the `test-support` feature.

// Test support: a database that is not there for a test that needs it is a failed test.
#![allow(clippy::panic)]

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, PgPool};

/// The variable naming the test database; without it PostgreSQL tests are skipped.
pub const URL_VAR: &str = "TENANTRY_TEST_POSTGRES_URL";
/// Set to `1` to make a missing URL fail the tests instead of skipping them (CI does).
pub const REQUIRED_VAR: &str = "TENANTRY_TEST_POSTGRES_REQUIRED";
/// A file to which every test that really got a PostgreSQL schema appends a line, so CI can
/// count how many ran on PostgreSQL.
pub const TALLY_VAR: &str = "TENANTRY_TEST_POSTGRES_TALLY";

/// The test database URL, or `None` to skip. Panics when PostgreSQL tests are required but no
/// URL is set, so CI cannot pass without running them.
pub fn test_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var(REQUIRED_VAR).is_ok_and(|v| v == "1") => {
            panic!("{REQUIRED_VAR}=1 but {URL_VAR} is not set")
        }
        _ => {
            eprintln!("skipped: set {URL_VAR} to run this test on PostgreSQL");
            None
        }
    }
}

/// Drops its schema when dropped.
pub struct SchemaGuard {
    admin_url: String,
    schema: String,
}

impl SchemaGuard {
    pub fn schema(&self) -> &str {
        &self.schema
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let url = self.admin_url.clone();
        let schema = self.schema.clone();
        // Drop may run inside or outside a runtime; a thread with its own is safe in both.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(pool) = admin_pool(&url).await {
                    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    let _ = sqlx::query(AssertSqlSafe(sql)).execute(&pool).await;
                    pool.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

async fn admin_pool(url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
}

/// Creates an empty schema and returns a URL whose connections use it, plus its guard.
pub async fn fresh_schema(url: &str) -> (String, SchemaGuard) {
    let suffix: u64 = rand::random();
    let schema = format!("tenantry_test_{suffix:016x}");
    let pool = admin_pool(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {URL_VAR}: {e}"));
    // Extensions live in one schema per database: pg_trgm goes in public, once, so dropping a
    // test schema can never take it (and other tests' indexes) with it.
    let mut tx = pool.begin().await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("SELECT pg_advisory_xact_lock(7425817)")
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("cannot create the pg_trgm extension: {e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    // The name is ours (hex digits), never user input.
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("cannot create test schema: {e}"));
    pool.close().await;
    if let Ok(tally) = std::env::var(TALLY_VAR) {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&tally)
            .unwrap_or_else(|e| panic!("cannot open {TALLY_VAR} file {tally}: {e}"));
        let _ = writeln!(file, "{schema}");
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    // New objects go in the test schema; public stays visible for pg_trgm's operators.
    let scoped = format!("{url}{separator}options[search_path]={schema},public");
    let guard = SchemaGuard {
        admin_url: url.to_owned(),
        schema,
    };
    (scoped, guard)
}
