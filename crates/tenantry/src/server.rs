//! Serving the application: bind, serve until a shutdown signal, drain in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tenantry_core::auth::{HashParams, PasswordHasher};
use tenantry_core::clock::{Clock, SystemClock};
use tenantry_core::query::CursorKey;
use tenantry_core::services::{ServiceConfig, Services};
use tenantry_core::store::Store;
use tenantry_http::{AppState, CompatSettings, HttpLimits};
use tokio::net::TcpListener;

/// What the server is allowed to do beyond the defaults.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Whether anyone may sign up and get a tenant of their own.
    pub allow_signup: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self { allow_signup: true }
    }
}

/// Builds the services over `store` with production settings. The keys that sign list cursors
/// and ID tokens come from the database, so what one server issues every other accepts.
pub async fn services(
    store: Arc<dyn Store>,
    params: HashParams,
    policy: Policy,
) -> anyhow::Result<Services> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hasher = PasswordHasher::new(params, cores)?;
    let cursor_key = CursorKey::new(store.installation_secret("list-cursor-hmac").await?);
    let signing_key = store.installation_secret("token-signing").await?;
    let config = ServiceConfig {
        cursor_key,
        signing_key,
        allow_signup: policy.allow_signup,
        ..ServiceConfig::default()
    };
    Ok(Services::new(store, Arc::new(SystemClock), hasher, config))
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn run(
    listener: TcpListener,
    services: Services,
    compat: CompatSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let janitor = tokio::spawn(purge_expired_sessions(services.clone()));
    let state = AppState::new(services, HttpLimits::default()).with_compat(compat);
    let app = tenantry_http::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    janitor.abort();
    served?;
    Ok(())
}

/// Deletes sessions whose refresh token has expired, every ten minutes.
async fn purge_expired_sessions(services: Services) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        match services
            .store()
            .purge_expired_sessions(SystemClock.now())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "purged expired sessions"),
            Err(error) => tracing::warn!(%error, "could not purge expired sessions"),
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down; finishing in-flight requests");
}
