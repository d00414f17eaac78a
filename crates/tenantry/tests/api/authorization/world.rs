//! The world every authorization matrix runs in: two tenants (Acme with a reference account `A`,
//! its child, its parent the root, and a sibling; Globex), a user, device and invitation in each
//! place, and the callers that try every route.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use serde_json::json;
use tenantry_core::auth::{Permission, Role};

use crate::helpers::TestApp;

/// Where a record lies, relative to the test's reference account `A` (a child of the root `R`).
pub const PLACES: [&str; 5] = ["own", "child", "parent", "sibling", "other tenant"];

pub struct Caller {
    pub name: &'static str,
    pub token: Option<String>,
    /// The address the caller signs in with (vendor logins need it).
    pub email: Option<&'static str>,
    /// The caller's account and role; `None` for the anonymous caller and the service owner.
    pub home: Option<(&'static str, Role)>,
    pub service: bool,
}

impl Caller {
    /// Whether the record's place lies in the caller's account subtree.
    pub fn reaches(&self, place: &str) -> bool {
        self.home
            .is_some_and(|(home, _)| subtree(home).contains(&place))
    }

    pub fn role(&self) -> Option<Role> {
        self.home.map(|(_, role)| role)
    }
}

pub struct World {
    pub accounts: BTreeMap<&'static str, i64>,
    pub users: BTreeMap<&'static str, i64>,
    pub devices: BTreeMap<&'static str, i64>,
    pub invitations: BTreeMap<&'static str, i64>,
    pub callers: Vec<Caller>,
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

pub async fn world(app: &TestApp) -> World {
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
    let signed_in = [
        ("user", own, "user@own.test", "own", Role::User),
        ("admin", own, "admin@own.test", "own", Role::Admin),
        (
            "admin of the child",
            child,
            "admin@child.test",
            "child",
            Role::Admin,
        ),
        (
            "owner of the root",
            root,
            "owner@parent.test",
            "parent",
            Role::Owner,
        ),
        (
            "owner of another tenant",
            other,
            "owner@other.test",
            "other tenant",
            Role::Owner,
        ),
    ];
    world.callers.push(Caller {
        name: "anonymous",
        token: None,
        email: None,
        home: None,
        service: false,
    });
    for (name, account, email, home, role) in signed_in {
        let (_, token) = app.user(account, email, role.as_str()).await;
        world.callers.push(Caller {
            name,
            token: Some(token),
            email: Some(email),
            home: Some((home, role)),
            service: false,
        });
    }
    world.callers.push(Caller {
        name: "service owner",
        token: Some(app.owner.clone()),
        email: None,
        home: None,
        service: true,
    });
    world
}

/// The answer class a matrix expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Unauthenticated,
    NotFound,
    Forbidden,
    Allowed,
    /// Past authorization, but refused for another reason (409, 422, …).
    Refused,
}

/// The class of an answer; a 4xx other than 401/403/404 is [`Expect::Refused`].
pub fn class(status: StatusCode) -> Expect {
    match status {
        StatusCode::UNAUTHORIZED => Expect::Unauthenticated,
        StatusCode::NOT_FOUND => Expect::NotFound,
        StatusCode::FORBIDDEN => Expect::Forbidden,
        s if s.is_success() => Expect::Allowed,
        _ => Expect::Refused,
    }
}

/// The native rule, which the vendor surfaces share unless their docs say otherwise: a record
/// outside the caller's subtree does not exist for them, and a role without the permission is
/// forbidden.
pub fn by_scope_and_permission(caller: &Caller, place: &str, permission: Permission) -> Expect {
    if caller.service {
        return Expect::Allowed;
    }
    let Some(role) = caller.role() else {
        return Expect::Unauthenticated;
    };
    if !caller.reaches(place) {
        Expect::NotFound
    } else if !role.has(permission) {
        Expect::Forbidden
    } else {
        Expect::Allowed
    }
}

/// What a record-scoped route acts on; the path's ids name such a record in each place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    Account,
    /// A fresh empty child of the account in each place (for deletion and seat moves).
    FreshChild,
    User,
    /// A fresh user in each place (for deletion).
    FreshUser,
    /// A fresh admin in each place (for taking the role away).
    FreshAdmin,
    Device,
    FreshDevice,
    Invitation,
    /// A fresh invitation to the account in each place (for revoking and resending).
    FreshInvitation,
    /// A fresh certificate request token of the account in each place (for deletion).
    FreshCertificateToken,
}

/// The record a case acts on in `place`, made fresh (by the service owner) where the route
/// consumes it. For certificate tokens, the account's id and the token's (id, value).
pub async fn target(app: &TestApp, world: &World, on: On, place: &str, unique: &str) -> Target {
    let account = world.accounts[place];
    let id = match on {
        On::Account => account,
        On::FreshChild => app.account(Some(account), unique, 0).await,
        On::User => world.users[place],
        On::FreshUser | On::FreshAdmin => {
            let role = if on == On::FreshAdmin {
                "admin"
            } else {
                "user"
            };
            let body = json!({ "email": format!("{unique}@fresh.test"), "role": role });
            created(app, &format!("/api/accounts/{account}/users"), body).await["id"]
                .as_i64()
                .unwrap()
        }
        On::Device => world.devices[place],
        On::FreshDevice => {
            let body = json!({ "name": "Spare", "serial": format!("SN-{unique}") });
            created(app, &format!("/api/accounts/{account}/devices"), body).await["id"]
                .as_i64()
                .unwrap()
        }
        On::Invitation => world.invitations[place],
        On::FreshInvitation => {
            let body = json!({ "email": format!("{unique}@fresh-invite.test") });
            created(app, &format!("/api/accounts/{account}/invitations"), body).await["id"]
                .as_i64()
                .unwrap()
        }
        On::FreshCertificateToken => {
            let path = format!("/api/accounts/{account}/certificate-tokens");
            let token = created(app, &path, json!({})).await;
            return Target {
                account,
                id: account,
                token: Some((
                    token["id"].as_i64().unwrap(),
                    token["token"].as_str().unwrap().to_owned(),
                )),
            };
        }
    };
    Target {
        account,
        id,
        token: None,
    }
}

pub struct Target {
    /// The account in the place.
    pub account: i64,
    /// The record acted on.
    pub id: i64,
    /// A certificate request token's id and value.
    pub token: Option<(i64, String)>,
}

async fn created(app: &TestApp, path: &str, body: serde_json::Value) -> serde_json::Value {
    app.post(path, &app.owner, body)
        .await
        .expect(StatusCode::CREATED)
}

/// The request ids of every audit record, read page by page as the service owner.
pub async fn audited_request_ids(app: &TestApp) -> BTreeSet<String> {
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
