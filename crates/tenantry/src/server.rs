//! Serving the application: bind, serve until a shutdown signal, drain in-flight requests.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tenantry_core::auth::{HashParams, PasswordHasher};
use tenantry_core::clock::{Clock, SystemClock};
use tenantry_core::mail::dispatcher::MailDispatcher;
use tenantry_core::query::CursorKey;
use tenantry_core::services::{ServiceConfig, Services};
use tenantry_core::store::Store;
use tenantry_http::{AppState, CompatSettings, HttpLimits, RateLimits};
use tokio::net::TcpListener;

/// What the server is allowed to do beyond the defaults, and keys given from outside.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Whether anyone may sign up and get a tenant of their own.
    pub allow_signup: bool,
    /// The signing key from `--signing-key-file`; `None` keeps it in the database.
    pub signing_key: Option<[u8; 32]>,
    pub invitation_ttl: time::Duration,
    pub password_reset_ttl: time::Duration,
    /// See [`ServiceConfig::credential_recheck`].
    pub credential_recheck: time::Duration,
}

impl Default for Policy {
    fn default() -> Self {
        let defaults = ServiceConfig::default();
        Self {
            allow_signup: true,
            signing_key: None,
            invitation_ttl: defaults.invitation_ttl,
            password_reset_ttl: defaults.password_reset_ttl,
            credential_recheck: defaults.credential_recheck,
        }
    }
}

/// Reads a signing key file: 64 hex digits (surrounding white space ignored).
pub fn read_signing_key(path: &std::path::Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the signing key file {}", path.display()))?;
    let hex = text.trim();
    let bytes: Option<Vec<u8>> = (hex.len() == 64)
        .then(|| {
            (0..32)
                .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect()
        })
        .flatten();
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the signing key file {} must hold 64 hex digits (e.g. from `openssl rand -hex 32`)",
                path.display()
            )
        })
}

/// Builds the services over `store` with production settings. The key that signs list cursors
/// comes from the database, and so does the signing key unless one is given, so what one server
/// issues every other accepts.
pub async fn services(
    store: Arc<dyn Store>,
    params: HashParams,
    policy: Policy,
) -> anyhow::Result<Services> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hasher = PasswordHasher::new(params, cores)?;
    let cursor_key = CursorKey::new(store.installation_secret("list-cursor-hmac").await?);
    let signing_key = match policy.signing_key {
        Some(key) => key,
        None => store.installation_secret("token-signing").await?,
    };
    let config = ServiceConfig {
        cursor_key,
        signing_key,
        allow_signup: policy.allow_signup,
        invitation_ttl: policy.invitation_ttl,
        password_reset_ttl: policy.password_reset_ttl,
        credential_recheck: policy.credential_recheck,
        ..ServiceConfig::default()
    };
    Ok(Services::new(store, Arc::new(SystemClock), hasher, config))
}

/// How the HTTP side is set up.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub compat: CompatSettings,
    pub rate: RateLimits,
    pub trust_forwarded_for: bool,
    /// Named on the pages mailed links open.
    pub product_name: String,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// When set, `/metrics` needs `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            compat: CompatSettings::default(),
            rate: RateLimits::default(),
            trust_forwarded_for: false,
            product_name: "Tenantry".to_owned(),
            header_read_timeout: Duration::from_secs(10),
            metrics_token: None,
        }
    }
}

/// Work the server does besides answering requests.
#[derive(Default)]
pub struct Background {
    /// Drains the mail outbox, looking every so often when it is empty.
    pub mail: Option<(Arc<MailDispatcher>, Duration)>,
}

/// Serves until `shutdown` completes, then lets in-flight requests finish.
pub async fn run(
    listener: TcpListener,
    services: Services,
    http: HttpSettings,
    background: Background,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let janitor = tokio::spawn(purge_expired_sessions(services.clone()));
    let mailer = background
        .mail
        .map(|(dispatcher, poll)| tokio::spawn(crate::mail::dispatch_forever(dispatcher, poll)));
    let limits = HttpLimits {
        rate: http.rate,
        ..HttpLimits::default()
    };
    let mut state = AppState::new(services, limits)
        .with_compat(http.compat)
        .trusting_forwarded_for(http.trust_forwarded_for)
        .with_metrics_token(http.metrics_token.as_deref());
    if !http.product_name.is_empty() {
        state = state.with_product_name(&http.product_name);
    }
    let limiters = state.limiters.clone();
    let forgetter = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            limiters.forget_idle();
        }
    });
    let metrics_drain = tokio::spawn(tenantry_http::metrics::keep_drained());
    let app = tenantry_http::router(state);
    let served = crate::connections::serve(listener, app, http.header_read_timeout, shutdown).await;
    janitor.abort();
    forgetter.abort();
    metrics_drain.abort();
    if let Some(mailer) = mailer {
        mailer.abort();
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::read_signing_key;

    #[test]
    fn signing_key_files_hold_64_hex_digits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let hex = "0123456789abcdef".repeat(4);
        std::fs::write(&path, format!("  {hex}\n")).unwrap();
        let key = read_signing_key(&path).unwrap();
        assert_eq!(key[0], 0x01);
        assert_eq!(key[31], 0xef);
        for bad in ["", "abc", &"zz".repeat(32), &"00".repeat(33)] {
            std::fs::write(&path, bad).unwrap();
            assert!(read_signing_key(&path).is_err(), "{bad:?}");
        }
        assert!(read_signing_key(&dir.path().join("missing")).is_err());
    }
}
