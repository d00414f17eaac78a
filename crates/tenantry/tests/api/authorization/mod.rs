//! Authorization matrices: every route of every surface, tried by every kind of caller
//! against records in every place relative to the caller's account.
//!
//! - [`world`]: the accounts, records and callers the matrices share.
//! - [`native`]: the native API's matrix, checked against its OpenAPI document.
//! - [`compat`]: the engine for the vendor surfaces, checked against their route tables;
//!   [`ioto`], [`controlbyweb`] and [`cloud_elements`] hold each surface's rules.

mod cloud_elements;
mod compat;
mod controlbyweb;
mod ioto;
mod native;
mod world;

use compat::{Surface, assert_none, run, uncovered};

use crate::helpers::TestApp;

async fn ioto_answers_by_role_scope_and_permission(app: TestApp) {
    let world = world::world(&app).await;
    assert_none(run::<ioto::Ioto>(&app, &world, "ioto").await);
}

async fn controlbyweb_answers_by_scope_and_permission(app: TestApp) {
    let world = world::world(&app).await;
    assert_none(run::<controlbyweb::ControlByWeb>(&app, &world, "cbw").await);
}

async fn cloud_elements_answers_by_organization_scope_and_permission(app: TestApp) {
    let world = world::world(&app).await;
    assert_none(run::<cloud_elements::CloudElements>(&app, &world, "ce").await);
}

#[test]
fn every_vendor_route_has_a_row_in_its_matrix() {
    let mut missing = uncovered("/compat/ioto", &ioto::Ioto::cases());
    missing.extend(uncovered(
        "/compat/controlbyweb",
        &controlbyweb::ControlByWeb::cases(),
    ));
    missing.extend(uncovered(
        "/compat/cloud-elements",
        &cloud_elements::CloudElements::cases(),
    ));
    assert!(
        missing.is_empty(),
        "vendor routes missing from the authorization matrix: {missing:?}"
    );
    // And the table names no route the surfaces do not serve.
    let listed: Vec<String> = tenantry_http::compat::listed_routes()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    fn rows_of<R>(cases: Vec<compat::Case<R>>) -> Vec<String> {
        cases
            .iter()
            .map(|c| format!("{} {}", c.method, c.path))
            .collect()
    }
    let mut rows = rows_of(ioto::Ioto::cases());
    rows.extend(rows_of(controlbyweb::ControlByWeb::cases()));
    rows.extend(rows_of(cloud_elements::CloudElements::cases()));
    rows.retain(|r| !listed.contains(r));
    let stale = rows;
    assert!(
        stale.is_empty(),
        "matrix rows for routes nobody serves: {stale:?}"
    );
}

crate::on_both_databases!(
    ioto_answers_by_role_scope_and_permission,
    controlbyweb_answers_by_scope_and_permission,
    cloud_elements_answers_by_organization_scope_and_permission,
);
