//! The native REST API under `/api`, documented by the OpenAPI 3.1 document it serves at
//! `/api/openapi.json` (generated from these handlers, so it cannot drift from them).
//!
//! - [`dto`]: the JSON shapes of records and pages, and body-parsing helpers.
//! - [`auth`]: login, refresh, logout, `me`, own password.
//! - [`accounts`], [`users`], [`devices`], [`audit`]: one resource family each.
//! - [`device_tokens`]: device seat tokens, certificate request tokens, device enrolment.
//! - [`secrets`]: rotating Cloud Elements' user and organization secrets.
//! - [`invitations`]: inviting by mail; accepting, resending and revoking invitations.
//! - [`onboarding`]: sign-up, email verification and password reset.
//! - [`mail`]: reading the mail outbox.
//! - [`shared_errors`]: the error answers every operation documents.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod device_tokens;
pub mod devices;
pub mod dto;
pub mod invitations;
pub mod mail;
pub mod onboarding;
pub mod secrets;
pub mod shared_errors;
pub mod users;

use axum::Json;
use axum::routing::get;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiDoc, Server};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tenantry native API",
        description = "Multi-tenant accounts, users, roles, devices and audit. Every endpoint but \
                       login, refresh, sign-up, the mailed-token endpoints and the probes (/healthz, /readyz, \
                       /metrics unless a metrics token is set) needs `Authorization: Bearer <token>`: an access \
                       token from login, or a service owner token from `tenantry token create`. \
                       Records outside the caller's account subtree answer 404, exactly like \
                       records that do not exist.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sessions and the current caller"),
        (name = "accounts", description = "The account tree and device seats"),
        (name = "users", description = "Users and roles"),
        (name = "devices", description = "Devices; each non-test device occupies a seat"),
        (name = "invitations", description = "Inviting users by mail"),
        (name = "mail", description = "The mail outbox"),
        (name = "audit", description = "The audit trail"),
        (name = "health", description = "Probes"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        openapi.servers = Some(vec![Server::new("/")]);
    }
}

/// The native routes and the OpenAPI document describing them.
pub fn routes() -> (axum::Router<AppState>, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(crate::health::healthz))
        .routes(routes!(crate::health::readyz))
        .routes(routes!(crate::metrics::metrics))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(onboarding::sign_up))
        .routes(routes!(onboarding::verify_email))
        .routes(routes!(onboarding::request_verification))
        .routes(routes!(onboarding::forgot_password))
        .routes(routes!(onboarding::reset_password))
        .routes(routes!(invitations::invite, invitations::list_invitations))
        .routes(routes!(invitations::accept_invitation))
        .routes(routes!(
            invitations::get_invitation,
            invitations::revoke_invitation
        ))
        .routes(routes!(invitations::resend_invitation))
        .routes(routes!(mail::list_mail))
        .routes(routes!(mail::get_mail))
        .routes(routes!(accounts::create_account, accounts::list_accounts))
        .routes(routes!(
            accounts::get_account,
            accounts::update_account,
            accounts::delete_account
        ))
        .routes(routes!(accounts::list_children))
        .routes(routes!(accounts::move_seats))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(users::search_users))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(users::set_role))
        .routes(routes!(users::unlock_user))
        .routes(routes!(devices::create_device, devices::list_devices))
        .routes(routes!(
            devices::get_device,
            devices::update_device,
            devices::delete_device
        ))
        .routes(routes!(device_tokens::mint_seat_token))
        .routes(routes!(device_tokens::redeem_seat_token))
        .routes(routes!(
            device_tokens::create_certificate_token,
            device_tokens::list_certificate_tokens
        ))
        .routes(routes!(device_tokens::delete_certificate_token))
        .routes(routes!(device_tokens::enrol_device))
        .routes(routes!(secrets::rotate_user_secret))
        .routes(routes!(secrets::rotate_organization_secret))
        .routes(routes!(audit::list_audit))
        .split_for_parts();
    let mut doc = doc;
    // After the routes: a modifier in `#[openapi]` would run before any path exists.
    shared_errors::SharedErrors.modify(&mut doc);
    let document = doc.clone();
    let router = router.route("/api/openapi.json", get(move || async move { Json(doc) }));
    (router, document)
}
