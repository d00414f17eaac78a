//! ControlByWeb.Cloud's hierarchical accounts API, at `/compat/controlbyweb/api` (seed 002,
//! spec section B). A client written for `https://api.controlbyweb.cloud/api` works with this
//! base URL unchanged.
//!
//! Auth is OAuth 2.0 (`POST /v1/auth/token`), then `Authorization: Bearer …`; service owner
//! tokens work too. Every account URL is checked against the caller's subtree and the named
//! permission ("Edit Accounts", "Add Users", …) in the core services. Bodies are form-encoded
//! or JSON; lists come back whole (up to [`lists::MAX_ROWS`] rows); errors are Laravel's
//! `{"message"}` with `errors` per field on 422.
//!
//! - [`error`]: the Laravel-style error answers.
//! - [`request`]: the caller, the form-or-JSON fields and their lenient types, path ids.
//! - [`records`]: the vendor's account, user, device, token and `devices/info` records.
//! - [`lists`]: whole lists read page by page, with a ceiling.
//! - [`auth`]: the token endpoint.
//! - [`accounts`], [`users`], [`devices`] (with certificate request tokens): the endpoints.

pub mod accounts;
pub mod auth;
pub mod devices;
pub mod error;
pub mod lists;
pub mod records;
pub mod request;
pub mod users;

use crate::compat::route_table::{RouteTable, Verb::*};

pub const BASE: &str = "/compat/controlbyweb/api";

fn endpoints() -> RouteTable {
    RouteTable::default()
        .route(Post, "/v1/auth/token", auth::token)
        .route(Get, "/v1/accounts/{account_id}", accounts::get)
        .route(Post, "/v1/accounts/{account_id}", accounts::edit)
        .route(Delete, "/v1/accounts/{account_id}", accounts::delete)
        .route(
            Get,
            "/v1/accounts/{account_id}/{option}",
            accounts::get_with_option,
        )
        .route(
            Post,
            "/v1/accounts/{account_id}/{option}",
            accounts::create_child,
        )
        .route(Get, "/v1/accounts/{account_id}/users", users::list)
        .route(Post, "/v1/accounts/{account_id}/users", users::create)
        .route(Get, "/v1/accounts/{account_id}/users/{user_id}", users::get)
        .route(
            Post,
            "/v1/accounts/{account_id}/users/{user_id}",
            users::update,
        )
        .route(
            Put,
            "/v1/accounts/{account_id}/users/{user_id}",
            users::update,
        )
        .route(
            Delete,
            "/v1/accounts/{account_id}/users/{user_id}",
            users::delete,
        )
        .route(Get, "/v1/accounts/{account_id}/devices", devices::list)
        .route(Get, "/v1/accounts/{account_id}/devices/info", devices::info)
        .route(Get, "/v1/accounts/{account_id}/tokens", devices::tokens)
        .route(
            Get,
            "/v1/accounts/{account_id}/tokens/create",
            devices::create_token,
        )
        .route(
            Post,
            "/v1/accounts/{account_id}/tokens/create",
            devices::create_token,
        )
        .route(
            Delete,
            "/v1/accounts/{account_id}/tokens/{token}",
            devices::delete_token,
        )
        .map_router(|router| {
            router
                .method_not_allowed_fallback(error::method_not_allowed)
                .fallback(error::not_found)
        })
}

/// The surface, with the list of what it routes.
pub fn routes() -> RouteTable {
    RouteTable::default().nest(BASE, endpoints())
}
