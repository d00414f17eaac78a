//! Cloud Elements' platform API for accounts and users, at
//! `/compat/cloud-elements/elements/api-v2` (seed 003, spec section C), and the console login
//! its clients use to obtain their secrets.
//!
//! An organization is a root account (its "Default account"); company accounts sit below it.
//! Calls carry `Authorization: User <user secret>, Organization <organization secret>`;
//! `/accounts` is the organization administrator's (an owner in the Default account), anyone
//! else gets 401. The vendor's wire habits hold: every success is exactly 200 (creates and
//! deletes too), fields without a value are left out, ids are numbers, a `null` body reads as
//! empty, `/accounts/` works like `/accounts`, an id such as `-1` is simply not found. Errors
//! are `{"requestId", "message"}`.
//!
//! - [`error`]: the error answers. [`request`]: secrets, bodies, paths, queries.
//! - [`records`]: account and user records. [`roles`]: the role catalogue, how it maps onto
//!   Tenantry's roles, and the role endpoints. [`fields`]: CEQL's field names.
//! - [`paging`]: `where`, `offset`/`page`/`nextPage`, `pageSize` and the paging headers.
//! - [`accounts`], [`users`]: the endpoints. [`console`]: form login and `getSecrets`.

pub mod accounts;
pub mod console;
pub mod error;
pub mod fields;
pub mod paging;
pub mod records;
pub mod request;
pub mod roles;
pub mod users;

use axum::Router;
use axum::routing::{get, post, put};

use crate::state::AppState;

pub const BASE: &str = "/compat/cloud-elements/elements";

fn api() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/", get(accounts::list).post(accounts::create))
        .route(
            "/accounts/{id}",
            get(accounts::get)
                .patch(accounts::update)
                .delete(accounts::delete),
        )
        .route(
            "/accounts/{id}/users",
            get(users::list_in_account).post(users::create_in_account),
        )
        .route(
            "/accounts/{id}/users/{user}",
            get(users::get_in_account).patch(users::update_in_account),
        )
        .route("/accounts/{id}/roles", get(roles::account_roles))
        .route(
            "/accounts/{id}/roles/{key}",
            put(roles::grant_account_role).delete(roles::revoke_account_role),
        )
        .route("/users", get(users::list))
        .route("/users/", get(users::list))
        .route(
            "/users/{user}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .route("/users/{user}/roles", get(roles::user_roles))
        .route(
            "/users/{user}/roles/{key}",
            put(roles::grant_user_role).delete(roles::revoke_user_role),
        )
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(error::not_found)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{BASE}/j_spring_security_check"),
            post(console::login),
        )
        .route(
            &format!("{BASE}/api-v1/ui/getSecrets"),
            get(console::secrets),
        )
        .nest(&format!("{BASE}/api-v2"), api())
}
