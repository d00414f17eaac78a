//! State shared by every handler.

use std::time::Duration;

use tenantry_core::services::Services;

/// Request-hygiene limits.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest request body accepted, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// A request that takes longer than this is answered 408 and abandoned.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub limits: HttpLimits,
}

impl AppState {
    pub fn new(services: Services, limits: HttpLimits) -> Self {
        Self { services, limits }
    }
}
