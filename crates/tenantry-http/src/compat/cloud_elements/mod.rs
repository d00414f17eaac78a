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

use crate::compat::route_table::{RouteTable, Verb::*};

pub const BASE: &str = "/compat/cloud-elements/elements";

fn api() -> RouteTable {
    let mut table = RouteTable::default();
    // The vendor answers `/accounts/` and `/users/` like `/accounts` and `/users`.
    for slash in ["", "/"] {
        table = table
            .route(Get, &format!("/accounts{slash}"), accounts::list)
            .route(Post, &format!("/accounts{slash}"), accounts::create)
            .route(Get, &format!("/users{slash}"), users::list);
    }
    table
        .route(Get, "/accounts/{id}", accounts::get)
        .route(Patch, "/accounts/{id}", accounts::update)
        .route(Delete, "/accounts/{id}", accounts::delete)
        .route(Get, "/accounts/{id}/users", users::list_in_account)
        .route(Post, "/accounts/{id}/users", users::create_in_account)
        .route(Get, "/accounts/{id}/users/{user}", users::get_in_account)
        .route(
            Patch,
            "/accounts/{id}/users/{user}",
            users::update_in_account,
        )
        .route(Get, "/accounts/{id}/roles", roles::account_roles)
        .route(Put, "/accounts/{id}/roles/{key}", roles::grant_account_role)
        .route(
            Delete,
            "/accounts/{id}/roles/{key}",
            roles::revoke_account_role,
        )
        .route(Get, "/users/{user}", users::get)
        .route(Patch, "/users/{user}", users::update)
        .route(Delete, "/users/{user}", users::delete)
        .route(Get, "/users/{user}/roles", roles::user_roles)
        .route(Put, "/users/{user}/roles/{key}", roles::grant_user_role)
        .route(Delete, "/users/{user}/roles/{key}", roles::revoke_user_role)
        .map_router(|router| {
            router
                .method_not_allowed_fallback(error::method_not_allowed)
                .fallback(error::not_found)
        })
}

/// The surface, with the list of what it routes.
pub fn routes() -> RouteTable {
    RouteTable::default()
        .route(
            Post,
            &format!("{BASE}/j_spring_security_check"),
            console::login,
        )
        .route(
            Get,
            &format!("{BASE}/api-v1/ui/getSecrets"),
            console::secrets,
        )
        .nest(&format!("{BASE}/api-v2"), api())
}
