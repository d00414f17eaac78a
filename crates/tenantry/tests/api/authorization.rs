//! The authorization matrix of the native API: every route that acts on a record is tried by an
//! anonymous caller, a user and an admin of an account, the admin of a child account, the
//! owner of another tenant and the service owner, against records in that account, its child,
//! its parent, its sibling and another tenant. The expected answer follows from two facts only:
//! whether the record lies in the caller's subtree (otherwise `404`, as if it did not exist) and
//! whether the caller's role holds the route's permission (otherwise `403`). Routes that act on
//! no particular record are checked for authentication. A route the OpenAPI document lists but
//! this table does not fails the test. And every change the matrix makes must appear in the
//! audit trail under its request id.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_core::auth::{Permission, Role};

use crate::helpers::TestApp;

/// Where a record lies, relative to the test's reference account `A` (a child of the root `R`).
const PLACES: [&str; 5] = ["own", "child", "parent", "sibling", "other tenant"];

/// What a record-scoped route acts on; the path's `{id}` is such a record in each place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    Account,
    /// A fresh empty child of the account in each place (for deletion and seat moves).
    FreshChild,
    User,
    /// A fresh user in each place (for deletion).
    FreshUser,
    Device,
    FreshDevice,
    Invitation,
    /// A fresh invitation to the account in each place (for revoking and resending).
    FreshInvitation,
    /// A fresh certificate request token of the account in each place (for deletion).
    FreshCertificateToken,
}

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

struct Caller {
    name: &'static str,
    token: Option<String>,
    /// The caller's account and role; `None` for the anonymous caller and the service owner.
    home: Option<(&'static str, Role)>,
    service: bool,
}

struct World {
    accounts: BTreeMap<&'static str, i64>,
    users: BTreeMap<&'static str, i64>,
    devices: BTreeMap<&'static str, i64>,
    invitations: BTreeMap<&'static str, i64>,
    callers: Vec<Caller>,
}

/// Which places each account's subtree holds.
fn subtree(place: &str) -> &'static [&'static str] {
    match place {
        "own" => &["own", "child"],
        "child" => &["child"],
        "parent" => &["parent", "own", "child", "sibling"],
        "sibling" => &["sibling"],
        _ => &["other tenant"],
    }
}

async fn world(app: &TestApp) -> World {
    let root = app.account(None, "Acme", 1000).await;
    let own = app.account(Some(root), "Ops", 300).await;
    let child = app.account(Some(own), "Line", 100).await;
    let sibling = app.account(Some(root), "Sales", 100).await;
    let other = app.account(None, "Globex", 300).await;
    let accounts = BTreeMap::from([
        ("own", own),
        ("child", child),
        ("parent", root),
        ("sibling", sibling),
        ("other tenant", other),
    ]);
    let mut world = World {
        accounts: accounts.clone(),
        users: BTreeMap::new(),
        devices: BTreeMap::new(),
        invitations: BTreeMap::new(),
        callers: Vec::new(),
    };
    for (place, id) in &accounts {
        let slug = place.replace(' ', "-");
        let body = json!({ "email": format!("target@{slug}.test"), "role": "user" });
        let user = app
            .post(&format!("/api/accounts/{id}/users"), &app.owner, body)
            .await
            .expect(StatusCode::CREATED);
        world.users.insert(place, user["id"].as_i64().unwrap());
        let body = json!({ "name": "Meter", "serial": format!("SN-{slug}") });
        let device = app
            .post(&format!("/api/accounts/{id}/devices"), &app.owner, body)
            .await
            .expect(StatusCode::CREATED);
        world.devices.insert(place, device["id"].as_i64().unwrap());
        let body = json!({ "email": format!("invited@{slug}.test") });
        let invitation = app
            .post(&format!("/api/accounts/{id}/invitations"), &app.owner, body)
            .await
            .expect(StatusCode::CREATED);
        world
            .invitations
            .insert(place, invitation["id"].as_i64().unwrap());
    }
    let (_, user) = app.user(own, "user@own.test", "user").await;
    let (_, admin) = app.user(own, "admin@own.test", "admin").await;
    let (_, child_admin) = app.user(child, "admin@child.test", "admin").await;
    let (_, stranger) = app.user(other, "owner@other.test", "owner").await;
    world.callers = vec![
        Caller {
            name: "anonymous",
            token: None,
            home: None,
            service: false,
        },
        Caller {
            name: "user",
            token: Some(user),
            home: Some(("own", Role::User)),
            service: false,
        },
        Caller {
            name: "admin",
            token: Some(admin),
            home: Some(("own", Role::Admin)),
            service: false,
        },
        Caller {
            name: "admin of the child",
            token: Some(child_admin),
            home: Some(("child", Role::Admin)),
            service: false,
        },
        Caller {
            name: "owner of another tenant",
            token: Some(stranger),
            home: Some(("other tenant", Role::Owner)),
            service: false,
        },
        Caller {
            name: "service owner",
            token: Some(app.owner.clone()),
            home: None,
            service: true,
        },
    ];
    world
}

/// The answer class the matrix expects.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Unauthenticated,
    NotFound,
    Forbidden,
    Allowed,
    /// Past authorization, but refused for another reason (409, 422, …).
    Refused,
}

fn class(status: StatusCode) -> Expect {
    match status {
        StatusCode::UNAUTHORIZED => Expect::Unauthenticated,
        StatusCode::NOT_FOUND => Expect::NotFound,
        StatusCode::FORBIDDEN => Expect::Forbidden,
        _ => Expect::Allowed,
    }
}

fn expected(caller: &Caller, place: &str, permission: Permission) -> Expect {
    if caller.service {
        return Expect::Allowed;
    }
    let Some((home, role)) = caller.home else {
        return Expect::Unauthenticated;
    };
    if !subtree(home).contains(&place) {
        Expect::NotFound
    } else if !role.has(permission) {
        Expect::Forbidden
    } else {
        Expect::Allowed
    }
}

/// Builds the request for one case, creating the fresh record it needs (as the service owner).
async fn request(
    app: &TestApp,
    world: &World,
    rule: &Rule,
    place: &str,
    n: usize,
) -> (String, Option<Value>) {
    let account = world.accounts[place];
    let unique = format!("case{n}");
    let id = match rule.on {
        On::Account | On::FreshCertificateToken => account,
        On::FreshChild => app.account(Some(account), &unique, 0).await,
        On::User => world.users[place],
        On::FreshUser => {
            let body = json!({ "email": format!("{unique}@fresh.test"), "role": "user" });
            app.post(&format!("/api/accounts/{account}/users"), &app.owner, body)
                .await
                .expect(StatusCode::CREATED)["id"]
                .as_i64()
                .unwrap()
        }
        On::Device => world.devices[place],
        On::FreshDevice => {
            let body = json!({ "name": "Spare", "serial": format!("SN-{unique}") });
            app.post(
                &format!("/api/accounts/{account}/devices"),
                &app.owner,
                body,
            )
            .await
            .expect(StatusCode::CREATED)["id"]
                .as_i64()
                .unwrap()
        }
        On::Invitation => world.invitations[place],
        On::FreshInvitation => {
            let body = json!({ "email": format!("{unique}@fresh-invite.test") });
            app.post(
                &format!("/api/accounts/{account}/invitations"),
                &app.owner,
                body,
            )
            .await
            .expect(StatusCode::CREATED)["id"]
                .as_i64()
                .unwrap()
        }
    };
    let mut path = rule.path.replace("{id}", &id.to_string());
    if rule.on == On::FreshCertificateToken {
        let path_of_tokens = format!("/api/accounts/{account}/certificate-tokens");
        let token = app
            .post(&path_of_tokens, &app.owner, json!({}))
            .await
            .expect(StatusCode::CREATED);
        path = path.replace("{token_id}", &token["id"].as_i64().unwrap().to_string());
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
                let want = expected(caller, place, rule.permission);
                // Allowed means done: the change (or read) must succeed, not fail later on.
                let got = match class(reply.status) {
                    Expect::Allowed if !reply.status.is_success() => Expect::Refused,
                    other => other,
                };
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
                .call(method.clone(), path, caller.token.as_deref(), body)
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

/// The request ids of every audit record, read page by page as the service owner.
async fn audited_request_ids(app: &TestApp) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut path = "/api/audit?limit=1000".to_owned();
    loop {
        let page = app.get(&path, &app.owner).await.expect(StatusCode::OK);
        for record in page["data"].as_array().unwrap() {
            if let Some(id) = record["request_id"].as_str() {
                ids.insert(id.to_owned());
            }
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/audit?limit=1000&cursor={cursor}"),
            None => return ids,
        }
    }
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
