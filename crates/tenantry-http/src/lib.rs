//! Tenantry's HTTP surfaces, as an axum [`Router`] over the core services. Handlers only
//! translate: extract and parse the request, call one service, render the result or the error in
//! the surface's own format. No SQL and no business rule lives here.
//!
//! Map of the crate:
//! - [`router`]: assembles every surface with the shared layers (request ids, tracing, body
//!   limit, timeout) and the JSON 404/405 fallbacks.
//! - [`state`]: the [`AppState`] handlers share.
//! - [`error`]: the native error body `{"code","message","fields"}` and its status codes.
//! - [`list_json`]: JSON answers for lists, written into a buffer sized for the list.
//! - [`extract`]: JSON/query/path extractors whose rejections use that body, and the bearer-token
//!   extractor that yields the authenticated [`tenantry_core::auth::Caller`].
//! - [`native`]: the native REST API under `/api`, with its OpenAPI 3.1 document.
//! - [`compat`]: the vendor surfaces under `/compat/…`.
//! - [`pages`]: the HTML forms that mailed links open (accept an invitation, reset a password,
//!   confirm an address).
//! - [`health`]: the `/healthz` liveness and `/readyz` readiness probes.
//! - [`metrics`]: Prometheus metrics at `/metrics` and the middleware that counts requests.
//! - [`rate_limit`]: request rate limits per client address and per credential (429).

pub mod compat;
pub mod error;
pub mod extract;
pub mod health;
pub mod list_json;
pub mod metrics;
pub mod native;
pub mod pages;
pub mod rate_limit;
pub mod router;
pub mod state;

pub use rate_limit::{Rate, RateLimits};
pub use router::router;
pub use state::{AppState, CompatSettings, HttpLimits};
