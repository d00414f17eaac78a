//! The vendor surfaces: each speaks one vendor's API over the same core services, translating
//! requests, auth headers, records and errors — and nothing else.
//!
//! - [`ioto`]: EmbedThis Ioto's device-cloud Account and User API, at `/compat/ioto`.
//! - [`controlbyweb`]: ControlByWeb.Cloud's hierarchical accounts API, at
//!   `/compat/controlbyweb/api`.
//! - [`cloud_elements`]: Cloud Elements' accounts and users API, at
//!   `/compat/cloud-elements/elements/api-v2`, with its console login.
//! - [`whole_list`]: vendor lists that come back whole, read page by page up to a ceiling.
//! - [`route_table`]: routers that list what they route, for the authorization matrix.

pub mod cloud_elements;
pub mod controlbyweb;
pub mod ioto;
pub mod route_table;
pub mod whole_list;

use route_table::{ListedRoute, RouteTable};

/// Every vendor surface, with what it routes.
pub fn routes() -> RouteTable {
    let surfaces = [
        ioto::routes(),
        controlbyweb::routes(),
        cloud_elements::routes(),
    ];
    surfaces
        .into_iter()
        .fold(RouteTable::default(), RouteTable::merge)
}

/// Every method and path the vendor surfaces route, for tests that must cover them all.
pub fn listed_routes() -> Vec<ListedRoute> {
    routes().listed().to_vec()
}
