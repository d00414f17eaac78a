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

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub const BASE: &str = "/compat/controlbyweb/api";

fn endpoints() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/token", post(auth::token))
        .route(
            "/v1/accounts/{account_id}",
            get(accounts::get)
                .post(accounts::edit)
                .delete(accounts::delete),
        )
        .route(
            "/v1/accounts/{account_id}/{option}",
            get(accounts::get_with_option).post(accounts::create_child),
        )
        .route(
            "/v1/accounts/{account_id}/users",
            get(users::list).post(users::create),
        )
        .route(
            "/v1/accounts/{account_id}/users/{user_id}",
            get(users::get)
                .post(users::update)
                .put(users::update)
                .delete(users::delete),
        )
        .route("/v1/accounts/{account_id}/devices", get(devices::list))
        .route("/v1/accounts/{account_id}/devices/info", get(devices::info))
        .route("/v1/accounts/{account_id}/tokens", get(devices::tokens))
        .route(
            "/v1/accounts/{account_id}/tokens/create",
            get(devices::create_token).post(devices::create_token),
        )
        .route(
            "/v1/accounts/{account_id}/tokens/{token}",
            axum::routing::delete(devices::delete_token),
        )
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(error::not_found)
}

pub fn router() -> Router<AppState> {
    Router::new().nest(BASE, endpoints())
}
