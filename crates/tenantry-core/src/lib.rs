//! Tenantry's domain: everything that is true of accounts, users and credentials no matter which
//! HTTP dialect asked or which database answers.
//!
//! Map of the crate:
//! - [`error`]: the one error taxonomy every surface renders in its own dress.
//! - [`values`]: parsed input newtypes (`Email`, `Name`, `Password`, …) — parse at the edge, trust inside.
//! - [`model`]: the records (accounts, users, devices, sessions, API tokens, audit entries) and the
//!   commands that create or change them.
//! - [`seats`]: device-seat arithmetic; stores call it inside their transactions.
//! - [`auth`]: roles and permissions, the authenticated [`auth::Caller`], password hashing and
//!   token secrets.
//! - [`query`]: the filter language, its parsers and limits, sorting and signed keyset cursors.
//! - [`store`]: the [`store::Store`] port that each database crate implements.
//! - [`mail`]: mail templates, the transport port and the outbox dispatcher.
//! - [`clock`]: the injected clock, so expiry is testable without sleeping.
//! - [`committed_writes`]: the count of this process's committed writes, by which what was
//!   kept from an earlier read knows it may be stale.
//! - [`services`]: the use cases; every read and write passes an authorization check here.

pub mod auth;
pub mod clock;
pub mod committed_writes;
pub mod error;
pub mod mail;
pub mod model;
pub mod query;
pub mod seats;
pub mod services;
pub mod store;
pub mod values;

pub use error::{Error, Resource, Result};
