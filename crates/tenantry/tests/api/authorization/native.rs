//! The authorization matrix of the native API: every route that acts on a record is tried by an
//! anonymous caller, a user and an admin of an account, the admin of a child account, the
//! owner of the root, the owner of another tenant and the service owner, against records in that account, its child,
//! its parent, its sibling and another tenant. The expected answer follows from two facts only:
//! whether the record lies in the caller's subtree (otherwise `404`, as if it did not exist) and
//! whether the caller's role holds the route's permission (otherwise `403`). Routes that act on
//! no particular record are checked for authentication. A route the OpenAPI document lists but
//! this table does not fails the test. And every change the matrix makes must appear in the
//! audit trail under its request id.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_core::auth::Permission;

use super::world::{
    Expect, On, PLACES, World, audited_request_ids, by_scope_and_permission, class, target, world,
};
use crate::helpers::TestApp;

struct Rule {
    method: Method,
    path: &'static str,
    on: On,
    permission: Permission,
}

fn rule(method: Method, path: &'static str, on: On, permission: Permission) -> Rule {
    Rule {
        method,
        path,
        on,
        permission,
    }
}

fn record_rules() -> Vec<Rule> {
    use Method as M;
    use On::*;
    use Permission::*;
    vec![
        rule(M::GET, "/api/accounts/{id}", Account, ViewAccounts),
        rule(M::PATCH, "/api/accounts/{id}", Account, EditAccounts),
        rule(M::DELETE, "/api/accounts/{id}", FreshChild, DeleteAccounts),
        rule(M::GET, "/api/accounts/{id}/children", Account, ViewAccounts),
        rule(M::POST, "/api/accounts/{id}/seats", Account, EditAccounts),
        rule(M::POST, "/api/accounts/{id}/users", Account, AddUsers),
        rule(M::GET, "/api/accounts/{id}/users", Account, ViewUsers),
        rule(M::POST, "/api/accounts/{id}/devices", Account, AddDevices),
        rule(M::GET, "/api/accounts/{id}/devices", Account, ViewDevices),
        rule(
            M::POST,
            "/api/accounts/{id}/certificate-tokens",
            Account,
            ManageTokens,
        ),
        rule(
            M::GET,
            "/api/accounts/{id}/certificate-tokens",
            Account,
            ManageTokens,
        ),
        rule(
            M::DELETE,
            "/api/accounts/{id}/certificate-tokens/{token_id}",
            FreshCertificateToken,
            ManageTokens,
        ),
        rule(M::POST, "/api/accounts/{id}/invitations", Account, AddUsers),
        rule(M::GET, "/api/accounts/{id}/invitations", Account, ViewUsers),
        rule(M::GET, "/api/users/{id}", User, ViewUsers),
        rule(M::PATCH, "/api/users/{id}", User, EditUsers),
        rule(M::DELETE, "/api/users/{id}", FreshUser, DeleteUsers),
        rule(M::PUT, "/api/users/{id}/role", User, EditUsers),
        rule(M::POST, "/api/users/{id}/unlock", User, EditUsers),
        rule(M::POST, "/api/users/{id}/secret/rotate", User, ManageTokens),
        rule(M::GET, "/api/devices/{id}", Device, ViewDevices),
        rule(M::PATCH, "/api/devices/{id}", Device, EditDevices),
        rule(M::DELETE, "/api/devices/{id}", FreshDevice, DeleteDevices),
        rule(M::GET, "/api/invitations/{id}", Invitation, ViewUsers),
        rule(
            M::DELETE,
            "/api/invitations/{id}",
            FreshInvitation,
            AddUsers,
        ),
        rule(
            M::POST,
            "/api/invitations/{id}/resend",
            FreshInvitation,
            AddUsers,
        ),
    ]
}

/// Routes that act on no particular record, with who may call them: `None` for anyone (they
/// authenticate by what the body carries, or not at all), else the permission an authenticated
/// caller needs over its own account (`ViewAccounts` for every authenticated caller).
fn other_routes() -> Vec<(Method, &'static str, Option<Permission>)> {
    use Method as M;
    use Permission::*;
    vec![
        (M::GET, "/healthz", None),
        (M::GET, "/readyz", None),
        (M::GET, "/metrics", None),
        (M::POST, "/api/auth/login", None),
        (M::POST, "/api/auth/refresh", None),
        (M::POST, "/api/auth/signup", None),
        (M::POST, "/api/auth/verify-email", None),
        (M::POST, "/api/auth/password/forgot", None),
        (M::POST, "/api/auth/password/reset", None),
        (M::POST, "/api/invitations/accept", None),
        (M::POST, "/api/devices/enrol", None),
        (M::GET, "/api/me", Some(ViewAccounts)),
        (M::GET, "/api/accounts", Some(ViewAccounts)),
        (M::GET, "/api/users", Some(ViewUsers)),
        (M::GET, "/api/audit", Some(ViewAudit)),
        (M::GET, "/api/mail", Some(ViewAudit)),
    ]
}

/// Routes with rules of their own, each covered by a test elsewhere (named here).
const SPECIAL: [(&str, &str, &str); 9] = [
    (
        "post",
        "/api/accounts",
        "accounts.rs: roots need a service token, children AddAccounts",
    ),
    ("post", "/api/auth/logout", "auth.rs: a session ends itself"),
    (
        "post",
        "/api/me/password",
        "auth.rs: needs the current password",
    ),
    (
        "post",
        "/api/me/verification",
        "invitations.rs: the caller's own address",
    ),
    (
        "post",
        "/api/seat-tokens",
        "controlbyweb: service owners only",
    ),
    (
        "post",
        "/api/accounts/{id}/seats/redeem",
        "controlbyweb: needs a seat token",
    ),
    (
        "post",
        "/api/accounts/{id}/organization-secret/rotate",
        "cloud_elements: roots only",
    ),
    (
        "get",
        "/api/mail/{id}",
        "outbox conformance: the mail's tenant",
    ),
    ("get", "/api/openapi.json", "openapi.rs"),
];

/// Builds the request for one case, creating the fresh record it needs (as the service owner).
async fn request(
    app: &TestApp,
    world: &World,
    rule: &Rule,
    place: &str,
    n: usize,
) -> (String, Option<Value>) {
    let unique = format!("case{n}");
    let target = target(app, world, rule.on, place, &unique).await;
    let account = target.account;
    let mut path = rule.path.replace("{id}", &target.id.to_string());
    if let Some((token_id, _)) = target.token {
        path = path.replace("{token_id}", &token_id.to_string());
    }
    let body = match (rule.method.as_str(), rule.path) {
        ("PATCH", "/api/accounts/{id}") => Some(json!({ "description": unique })),
        ("POST", "/api/accounts/{id}/seats") => {
            let fresh = app.account(Some(account), &unique, 0).await;
            Some(json!({ "child_id": fresh, "seats": 1 }))
        }
        ("POST", "/api/accounts/{id}/users") => {
            Some(json!({ "email": format!("{unique}@made.test"), "role": "user" }))
        }
        ("POST", "/api/accounts/{id}/devices") => {
            Some(json!({ "name": "New", "serial": format!("SN-new-{unique}") }))
        }
        ("POST", "/api/accounts/{id}/certificate-tokens") => Some(json!({})),
        ("POST", "/api/accounts/{id}/invitations") => {
            Some(json!({ "email": format!("{unique}@invited.test") }))
        }
        ("PATCH", "/api/users/{id}") => Some(json!({ "first_name": unique })),
        ("PUT", "/api/users/{id}/role") => Some(json!({ "role": "user" })),
        ("PATCH", "/api/devices/{id}") => Some(json!({ "name": unique })),
        ("POST", _) => Some(json!({})),
        _ => None,
    };
    (path, body)
}

async fn every_route_answers_by_scope_and_permission(app: TestApp) {
    let world = world(&app).await;
    let mut failures = Vec::new();
    // Every change the matrix made, by request id, to find in the audit trail afterwards.
    let mut changes = Vec::new();
    let mut n = 0;
    for rule in record_rules() {
        for caller in &world.callers {
            for place in PLACES {
                n += 1;
                let (path, body) = request(&app, &world, &rule, place, n).await;
                let request_id = format!("matrix-{n}");
                let reply = app
                    .call_traced(
                        rule.method.clone(),
                        &path,
                        caller.token.as_deref(),
                        body,
                        Some(&request_id),
                    )
                    .await;
                if rule.method != Method::GET && reply.status.is_success() {
                    changes.push((
                        request_id,
                        format!("{} {path} as {}", rule.method, caller.name),
                    ));
                }
                assert!(
                    reply.status.as_u16() < 500,
                    "{} {path} as {}: {} {}",
                    rule.method,
                    caller.name,
                    reply.status,
                    reply.body
                );
                let want = by_scope_and_permission(caller, place, rule.permission);
                // Allowed means done: the change (or read) must succeed, not fail later on.
                let got = class(reply.status);
                if got != want {
                    failures.push(format!(
                        "{} {} on the {place} record as {}: expected {want:?}, got {} {}",
                        rule.method, rule.path, caller.name, reply.status, reply.body
                    ));
                }
            }
        }
    }
    for (method, path, permission) in other_routes() {
        for caller in &world.callers {
            let body = (method == Method::POST).then(|| json!({}));
            let reply = app
                .call_text(method.clone(), path, caller.token.as_deref(), body)
                .await;
            assert!(
                reply.status.as_u16() < 500,
                "{method} {path} as {}: {}",
                caller.name,
                reply.status
            );
            let want = match (permission, caller.home, caller.service) {
                (None, _, _) | (Some(_), _, true) => Expect::Allowed,
                (Some(_), None, false) => Expect::Unauthenticated,
                (Some(p), Some((_, role)), false) if !role.has(p) => Expect::Forbidden,
                _ => Expect::Allowed,
            };
            let got = match class(reply.status) {
                // A public route refuses an empty body with its own 401 (bad credentials).
                Expect::Unauthenticated if permission.is_none() => Expect::Allowed,
                // Past authorization, an empty body may be refused for what it lacks.
                Expect::Refused => Expect::Allowed,
                other => other,
            };
            if got != want {
                failures.push(format!(
                    "{method} {path} as {}: expected {want:?}, got {} {}",
                    caller.name, reply.status, reply.body
                ));
            }
        }
    }
    // Audit completeness: every change that succeeded left a record with its request id.
    let audited = audited_request_ids(&app).await;
    for (request_id, change) in &changes {
        if !audited.contains(request_id) {
            failures.push(format!(
                "{change} changed something but left no audit record"
            ));
        }
    }
    assert!(
        changes.len() > 100,
        "the matrix made changes: {}",
        changes.len()
    );
    assert!(
        failures.is_empty(),
        "{} of the matrix's cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn the_matrix_covers_every_documented_route(app: TestApp) {
    let doc = app
        .call(Method::GET, "/api/openapi.json", None, None)
        .await
        .expect(StatusCode::OK);
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let mut covered: BTreeSet<(String, String)> = record_rules()
        .iter()
        .map(|r| (r.method.as_str().to_lowercase(), r.path.to_owned()))
        .collect();
    covered.extend(
        other_routes()
            .iter()
            .map(|(m, p, _)| (m.as_str().to_lowercase(), (*p).to_owned())),
    );
    covered.extend(
        SPECIAL
            .iter()
            .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())),
    );
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the authorization matrix: {missing:?}"
    );
}

crate::on_both_databases!(
    every_route_answers_by_scope_and_permission,
    the_matrix_covers_every_documented_route,
);
