//! EmbedThis Ioto's device-cloud Account and User API, at `/compat/ioto` (seeds 000 and 001,
//! spec section A).
//!
//! Every call is a `POST` with a JSON body. Auth is `Authorization: <token>` (or `Bearer
//! <token>`): a user's access token from the Cognito-style login acts on the user's own account
//! with their role; a service owner token (Ioto's "CloudAPI token") acts on any account, picks
//! it with `accountId`/`id`, and is also accepted under `/compat/ioto/tok/…`. Ids are strings;
//! they are the same accounts and users the native API shows. Errors are `text/plain`: 400 bad
//! request, 403 authentication or role, 404 not found.
//!
//! - [`error`]: the text/plain error answers.
//! - [`request`]: the caller from the `Authorization` header, tolerant JSON bodies, ids.
//! - [`records`]: Ioto's account and user records.
//! - [`paging`]: the query options (`limit`, `next`, `prev`, `filter`, …) and two-way cursors.
//! - [`accounts`], [`users`]: the endpoints.
//! - [`cognito`]: the Cognito-compatible login (`InitiateAuth`, `SignUp`).

pub mod accounts;
pub mod cognito;
pub mod error;
pub mod paging;
pub mod records;
pub mod request;
pub mod users;

use crate::compat::route_table::{RouteTable, Verb::Post};

/// Routes relative to the surface's base; mounted at `/compat/ioto` and `/compat/ioto/tok`.
fn endpoints() -> RouteTable {
    RouteTable::default()
        .route(Post, "/account/create", accounts::create)
        .route(Post, "/account/close", accounts::close)
        .route(Post, "/account/get", accounts::get)
        .route(Post, "/account/find", accounts::find)
        .route(Post, "/account/updateIdentity", accounts::update_identity)
        .route(Post, "/user/create", users::create)
        .route(Post, "/user/get", users::get)
        .route(Post, "/user/find", users::find)
        .route(Post, "/user/getRoles", users::get_roles)
        .route(Post, "/user/login", users::login)
        .route(Post, "/user/remove", users::remove)
        .route(Post, "/user/update", users::update)
        .route(Post, "/user/updateRole", users::update_role)
        .map_router(|router| {
            router
                .method_not_allowed_fallback(error::method_not_allowed)
                .fallback(error::unknown_api)
        })
}

/// The surface, with the list of what it routes.
pub fn routes() -> RouteTable {
    let tok = endpoints().map_router(|router| router.layer(axum::Extension(request::TokPrefix)));
    RouteTable::default()
        .route(Post, "/compat/ioto/cognito", cognito::cognito)
        .nest("/compat/ioto/tok", tok)
        .nest("/compat/ioto", endpoints())
}
