//! Tenantry's embedded store: [`tenantry_core::store::Store`] on SQLite.
//!
//! One file, zero set-up. WAL journal so readers never wait for the writer; foreign keys on;
//! every write transaction starts with `BEGIN IMMEDIATE`, taking the write lock up front so the
//! read-check-write sequences that guard seat and uniqueness invariants cannot interleave.
//!
//! Map of the crate:
//! - [`connect`]: opening the database from a `sqlite://` URL and applying migrations.
//! - `store_impl`: the `Store` trait, delegating to one module per record family:
//!   `accounts`, `users`, `sessions`, `api_tokens`, `devices`, `audit`, `invariants`,
//!   `invitations` (and tenants created with their first user), `device_tokens` (ControlByWeb's
//!   certificate and seat tokens), `org_secrets` (Cloud Elements' user and organization secrets,
//!   account roles), `lockout` (brute-force protection), `bulk`, `deferred_indexes` (indexes
//!   built once after an import into an empty installation), `secrets`, `dump` (rows out and in
//!   for export and import).
//! - [`lists`]: lists and counts, compiled by `tenantry-store-sql`, and their query plans.
//! - `rows`: database rows and their conversion into core records.
//! - `group_commit`: the single writer connection; writes queued behind one another share one
//!   transaction, each in a savepoint of its own, and learn the outcome of its one COMMIT.
//! - `checkpoints`: WAL checkpoints on a thread of their own, told of each commit, so the
//!   writer never waits for one.
//! - `search_merges`: the same thread merges the free-text indexes' segments while no write
//!   comes.
//! - `user_inserts`: new users that arrive together are written together, in one statement
//!   for all their rows, each still answered on its own.
//! - `readers`: the read connections, a pool that takes each back as soon as it is dropped.
//! - `point_reads`: reads of a row by key, run on the caller's thread instead of a trip to a
//!   connection's thread.
//! - `read_threads`: a few threads that run whole lists and counts through rusqlite, one trip
//!   for each list instead of one for each row.
//! - `errors`: turning SQLite errors into core errors (unique violations become conflicts).
//! - `timestamps`: the INTEGER-microseconds encoding of times.

mod accounts;
mod api_tokens;
mod audit;
mod bulk;
mod checkpoints;
pub mod connect;
mod deferred_indexes;
mod device_tokens;
mod devices;
mod dump;
mod errors;
mod group_commit;
mod invariants;
mod invitations;
pub mod lists;
mod lockout;
mod org_secrets;
mod outbox;
mod point_reads;
mod read_threads;
mod readers;
mod rows;
mod search_merges;
mod secrets;
mod sessions;
mod store_impl;
mod timestamps;
mod user_inserts;
mod user_tokens;
mod users;

pub use connect::SqliteStore;
