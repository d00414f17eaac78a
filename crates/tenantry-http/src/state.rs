//! State shared by every handler.

use std::sync::Arc;
use std::time::Duration;

use tenantry_core::services::Services;

/// Request-hygiene limits.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest request body accepted, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// A request that takes longer than this is answered 408 and abandoned.
    pub request_timeout: Duration,
    /// Requests per client address and per credential (off unless configured).
    pub rate: crate::rate_limit::RateLimits,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            rate: crate::rate_limit::RateLimits::default(),
        }
    }
}

/// Settings of the vendor surfaces.
#[derive(Debug, Clone)]
pub struct CompatSettings {
    /// What Ioto records call `cloudId`: the name of this installation's "device cloud".
    pub ioto_cloud_id: String,
}

impl Default for CompatSettings {
    fn default() -> Self {
        Self {
            ioto_cloud_id: "tenantry".to_owned(),
        }
    }
}

/// What every handler shares. Axum clones it for each request, so it is one reference count
/// however much it holds: cloning the services field by field was about 3 % of the server's
/// CPU in a read-heavy profile. Read fields through it as through [`AppParts`].
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

/// The services and settings behind an [`AppState`].
#[derive(Clone)]
pub struct AppParts {
    pub services: Services,
    pub limits: HttpLimits,
    pub compat: Arc<CompatSettings>,
    /// Take the client's address from the last `X-Forwarded-For` entry (a proxy in front of
    /// every server sets it) instead of the connection's peer.
    pub trust_forwarded_for: bool,
    /// The state of the rate limits, shared by all requests of this server.
    pub limiters: Arc<crate::rate_limit::Limiters>,
    /// Named on the pages the mailed links open.
    pub product_name: Arc<str>,
    /// When set, `/metrics` answers only to `Authorization: Bearer <token>` with this hash.
    pub metrics_token: Option<Arc<tenantry_core::auth::TokenHash>>,
    /// The store's last report for `/readyz` and `/metrics` (see [`crate::health`]).
    pub health_cache: Arc<crate::health::HealthCache>,
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl AppState {
    pub fn new(services: Services, limits: HttpLimits) -> Self {
        Self(Arc::new(AppParts {
            services,
            limits,
            compat: Arc::new(CompatSettings::default()),
            trust_forwarded_for: false,
            limiters: crate::rate_limit::Limiters::new(limits.rate),
            product_name: Arc::from("Tenantry"),
            metrics_token: None,
            health_cache: Arc::default(),
        }))
    }

    /// Changes a part while the server is being set up (a copy, if it is already shared).
    fn with(mut self, change: impl FnOnce(&mut AppParts)) -> Self {
        change(Arc::make_mut(&mut self.0));
        self
    }

    /// Guards `/metrics` with a bearer token (kept only as its hash).
    pub fn with_metrics_token(self, token: Option<&str>) -> Self {
        let hash = token.map(|t| Arc::new(tenantry_core::auth::TokenHash::of(t.trim())));
        self.with(|parts| parts.metrics_token = hash)
    }

    pub fn trusting_forwarded_for(self, trust: bool) -> Self {
        self.with(|parts| parts.trust_forwarded_for = trust)
    }

    pub fn with_compat(self, compat: CompatSettings) -> Self {
        self.with(|parts| parts.compat = Arc::new(compat))
    }

    pub fn with_product_name(self, name: &str) -> Self {
        self.with(|parts| parts.product_name = Arc::from(name))
    }

    /// Other limits, with rate limiters of their own to match.
    pub fn with_limits(self, limits: HttpLimits) -> Self {
        self.with(|parts| {
            parts.limiters = crate::rate_limit::Limiters::new(limits.rate);
            parts.limits = limits;
        })
    }
}
