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

use axum::Router;
use axum::routing::post;

use crate::state::AppState;

/// Routes relative to the surface's base; mounted at `/compat/ioto` and `/compat/ioto/tok`.
fn endpoints() -> Router<AppState> {
    Router::new()
        .route("/account/create", post(accounts::create))
        .route("/account/close", post(accounts::close))
        .route("/account/get", post(accounts::get))
        .route("/account/find", post(accounts::find))
        .route("/account/updateIdentity", post(accounts::update_identity))
        .route("/user/create", post(users::create))
        .route("/user/get", post(users::get))
        .route("/user/find", post(users::find))
        .route("/user/getRoles", post(users::get_roles))
        .route("/user/login", post(users::login))
        .route("/user/remove", post(users::remove))
        .route("/user/update", post(users::update))
        .route("/user/updateRole", post(users::update_role))
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(error::unknown_api)
}

pub fn router() -> Router<AppState> {
    let tok = endpoints().layer(axum::Extension(request::TokPrefix));
    Router::new()
        .route("/compat/ioto/cognito", post(cognito::cognito))
        .nest("/compat/ioto/tok", tok)
        .nest("/compat/ioto", endpoints())
}
