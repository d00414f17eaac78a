//! The store is chosen by the database URL's scheme.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tenantry_core::store::Store;
use tenantry_store_postgres::{PostgresOptions, PostgresStore, TlsMode};
use tenantry_store_sqlite::SqliteStore;

use crate::cli::{DatabaseArg, DbTls};

/// Opens the database described by `args` and applies pending migrations.
pub async fn open(args: &DatabaseArg) -> anyhow::Result<Arc<dyn Store>> {
    open_and_tell(args, false).await
}

/// [`open`] for `serve`, which also logs how PostgreSQL is reached: on the same host, TLS
/// costs a fifth of the reads and the Unix socket is fastest (BENCHMARKS.md).
pub async fn open_to_serve(args: &DatabaseArg) -> anyhow::Result<Arc<dyn Store>> {
    open_and_tell(args, true).await
}

async fn open_and_tell(args: &DatabaseArg, tell_transport: bool) -> anyhow::Result<Arc<dyn Store>> {
    let url = args.database.as_str();
    if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(url)
            .await
            .with_context(|| format!("cannot open {}", redact(url)))?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresStore::connect(url, &postgres_options(args))
            .await
            .with_context(|| format!("cannot use {}", redact(url)))?;
        if tell_transport {
            match store.transport().await {
                Ok(transport) => tracing::info!(%transport, "connected to PostgreSQL"),
                Err(error) => tracing::warn!(%error, "cannot tell how PostgreSQL is reached"),
            }
        }
        return Ok(Arc::new(store));
    }
    bail!(
        "unsupported database URL {:?}: expected sqlite://FILE or postgres://…",
        redact(url)
    )
}

fn postgres_options(args: &DatabaseArg) -> PostgresOptions {
    PostgresOptions {
        pool_size: args.db_pool_size,
        statement_timeout: Duration::from_secs(args.db_statement_timeout),
        acquire_timeout: Duration::from_secs(args.db_connect_timeout),
        tls: args.db_tls.map(|tls| match tls {
            DbTls::Disable => TlsMode::Disable,
            DbTls::Prefer => TlsMode::Prefer,
            DbTls::Require => TlsMode::Require,
            DbTls::VerifyCa => TlsMode::VerifyCa,
            DbTls::VerifyFull => TlsMode::VerifyFull,
        }),
    }
}

/// The URL without its password (in the authority or a `password=` parameter), for messages
/// and logs.
pub fn redact(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut redacted = redact_authority(url);
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&params.join("&"));
    }
    redacted
}

fn redact_authority(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://tenantry.db"), "sqlite://tenantry.db");
        assert_eq!(
            redact("postgres://h/db?sslmode=require&password=hunter2"),
            "postgres://h/db?sslmode=require&password=***"
        );
    }
}
