//! Tenantry's production store: [`tenantry_core::store::Store`] on PostgreSQL.
//!
//! Many stateless Tenantry servers share one database. Each write is one transaction (READ
//! COMMITTED) that locks the account rows whose seat counters it checks with `SELECT … FOR
//! UPDATE`, always ancestor before descendant, so concurrent writers queue instead of breaking
//! an invariant. Deadlocks and serialization failures are retried here with jittered back-off
//! and never reach a client. Migrations take PostgreSQL's advisory lock, so instances starting
//! together apply them once.
//!
//! Map of the crate:
//! - [`connect`]: options (pool size, statement timeout, TLS), connecting, migrating, and
//!   how the connections reach the server (Unix socket, TCP with or without TLS).
//! - `tx`: the retrying write-transaction helper.
//! - `store_impl`: the `Store` trait, delegating to one module per record family:
//!   `accounts`, `users`, `sessions`, `api_tokens`, `devices`, `audit`, `invariants`,
//!   `invitations` (and tenants created with their first user), `device_tokens` (ControlByWeb's
//!   certificate and seat tokens), `org_secrets` (Cloud Elements' user and organization secrets,
//!   account roles), `lockout` (brute-force protection), `user_tokens` (email-verification and
//!   password-reset tokens), `outbox` (mail queued with its change, claimed by dispatchers),
//!   `bulk`, `deferred_indexes` (indexes built once after an import into an empty
//!   installation), `secrets`.
//! - [`lists`]: lists and counts, compiled by `tenantry-store-sql`, and their query plans.
//! - `rows`: database rows and their conversion into core records.
//! - `errors`: PostgreSQL errors in core's terms (SQLSTATEs and constraint names).
//! - [`test_support`]: a throw-away schema per test.

mod accounts;
mod api_tokens;
mod audit;
mod bulk;
pub mod connect;
mod deferred_indexes;
mod device_tokens;
mod devices;
mod dump;
mod errors;
mod invariants;
mod invitations;
pub mod lists;
mod lockout;
mod org_secrets;
mod outbox;
mod rows;
mod secrets;
mod sessions;
mod store_impl;
#[cfg(feature = "test-support")]
pub mod test_support;
mod tx;
mod user_tokens;
mod users;

pub use connect::{PostgresOptions, PostgresStore, TlsMode, Transport};
