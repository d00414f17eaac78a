//! The store tells how its connections reach PostgreSQL: over TCP with or without TLS, or over
//! the server's Unix socket. Servers log it and the benchmark prints it, because on one host the
//! choice moves reads by a third. Skipped unless `TENANTRY_TEST_POSTGRES_URL` is set.

// Test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use tenantry_store_postgres::test_support::test_url;
use tenantry_store_postgres::{PostgresOptions, PostgresStore, TlsMode, Transport};

async fn transport(url: &str, tls: Option<TlsMode>) -> Result<Transport, String> {
    let options = PostgresOptions {
        tls,
        ..Default::default()
    };
    // `open` does not migrate: nothing here needs the schema.
    let store = PostgresStore::open(url, &options)
        .await
        .map_err(|e| e.to_string())?;
    let transport = store.transport().await.map_err(|e| e.to_string());
    store.close().await;
    transport
}

/// `url` with `name=value` added to its query.
fn with_parameter(url: &str, name: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{name}={value}")
}

/// The test database's URL when it reaches the server over TCP, as CI's does.
fn tcp_test_url() -> Option<String> {
    let url = test_url()?;
    if url.contains("host=/") {
        eprintln!("skipped: the test URL names a Unix socket");
        return None;
    }
    Some(url)
}

#[tokio::test]
async fn tcp_without_tls_is_told_apart_from_tcp_with_it() {
    let Some(url) = tcp_test_url() else { return };
    let plain = transport(&url, Some(TlsMode::Disable)).await.unwrap();
    assert_eq!(plain, Transport::Tcp { tls: None });
    assert_eq!(plain.to_string(), "TCP without TLS");

    // A server without TLS refuses `require`; one with it must say which version it speaks.
    match transport(&url, Some(TlsMode::Require)).await {
        Ok(Transport::Tcp { tls: Some(version) }) => {
            assert!(version.starts_with("TLSv"), "{version}");
            assert_eq!(
                Transport::Tcp {
                    tls: Some(version.clone())
                }
                .to_string(),
                format!("TCP with {version}")
            );
        }
        Ok(other) => panic!("sslmode=require connected over {other}"),
        Err(error) => eprintln!("this server offers no TLS: {error}"),
    }
}

#[tokio::test]
async fn the_unix_socket_is_told_apart_from_tcp() {
    let Some(url) = tcp_test_url() else { return };
    // Ask the server where its socket is, then connect there with the same user and database.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let directories: String = sqlx::query_scalar("SHOW unix_socket_directories")
        .fetch_one(&pool)
        .await
        .unwrap();
    let port: String = sqlx::query_scalar("SHOW port")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let Some(directory) = directories
        .split(',')
        .map(str::trim)
        .find(|d| d.starts_with('/'))
    else {
        eprintln!("skipped: this server listens on no Unix socket ({directories:?})");
        return;
    };
    let socket_url = with_parameter(&with_parameter(&url, "host", directory), "port", &port);
    let socket = transport(&socket_url, None).await.unwrap();
    assert_eq!(socket, Transport::UnixSocket);
    assert_eq!(socket.to_string(), "a Unix socket");
}
