//! The vendor surfaces: each speaks one vendor's API over the same core services, translating
//! requests, auth headers, records and errors — and nothing else.
//!
//! - [`ioto`]: EmbedThis Ioto's device-cloud Account and User API, at `/compat/ioto`.
//! - [`controlbyweb`]: ControlByWeb.Cloud's hierarchical accounts API, at
//!   `/compat/controlbyweb/api`.
//! - [`cloud_elements`]: Cloud Elements' accounts and users API, at
//!   `/compat/cloud-elements/elements/api-v2`, with its console login.
//! - [`whole_list`]: vendor lists that come back whole, read page by page up to a ceiling.

pub mod cloud_elements;
pub mod controlbyweb;
pub mod ioto;
pub mod whole_list;
