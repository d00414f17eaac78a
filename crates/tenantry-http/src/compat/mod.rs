//! The vendor surfaces: each speaks one vendor's API over the same core services, translating
//! requests, auth headers, records and errors — and nothing else.
//!
//! - [`ioto`]: EmbedThis Ioto's device-cloud Account and User API, at `/compat/ioto`.
//! - [`controlbyweb`]: ControlByWeb.Cloud's hierarchical accounts API, at
//!   `/compat/controlbyweb/api`.

pub mod controlbyweb;
pub mod ioto;
