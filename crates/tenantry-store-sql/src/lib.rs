//! The SQL both stores share: list and count statements compiled from a core
//! [`ListRequest`](tenantry_core::query::ListRequest) and [`Scope`](tenantry_core::store::Scope)
//! for one [`Dialect`]. Every literal the client wrote becomes a bound parameter ([`Bind`]);
//! the SQL text holds only this crate's own fragments and the column names of [`columns`].
//!
//! - [`columns`]: which column each filterable field lives in.
//! - [`statement`]: the growing statement and its placeholders per dialect.
//! - [`filter`]: the filter tree as a WHERE condition (LIKE for PostgreSQL, GLOB for SQLite).
//! - [`list`]: scope, search, keyset, order and limit around it; and capped counts.
//! - [`walk`]: PostgreSQL's free-text lists tried first as a short walk in id order.
//! - [`secrets`]: where each kind of Cloud Elements secret is kept.
//! - [`dump`]: the page-by-page reads of `tenantry export`.

pub mod columns;
pub mod dump;
pub mod filter;
pub mod list;
pub mod secrets;
pub mod statement;
pub mod walk;

pub use list::{Fts, Table, count, search_tenant_key, searches_full_text, select};
pub use statement::{Bind, Dialect, Statement};
