//! Tenant and subtree isolation, table-driven: every caller probes every endpoint against
//! targets in its own account, a child, its parent, a sibling and another tenant. Outside the
//! caller's subtree the answer is exactly the answer for a record that does not exist.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Place {
    Parent,
    Own,
    Child,
    Sibling,
    OtherTenant,
}

struct Target {
    place: Place,
    account: i64,
    user: i64,
    device: i64,
}

struct World {
    app: TestApp,
    targets: Vec<Target>,
}

/// Tenant T: R ─┬─ A ── A1
///              └─ B
/// Tenant O: a root of its own. Callers sit in A (and B, O for the mirror cases).
async fn world(app: TestApp) -> (World, Vec<(&'static str, String, &'static str)>) {
    let r = app.account(None, "R", 100).await;
    let a = app.account(Some(r), "A", 20).await;
    let b = app.account(Some(r), "B", 20).await;
    let a1 = app.account(Some(a), "A1", 5).await;
    let o = app.account(None, "O", 10).await;
    let mut targets = Vec::new();
    for (place, account) in [
        (Place::Parent, r),
        (Place::Own, a),
        (Place::Child, a1),
        (Place::Sibling, b),
        (Place::OtherTenant, o),
    ] {
        let user = app
            .post(
                &format!("/api/accounts/{account}/users"),
                &app.owner,
                json!({"email": format!("target@{account}.test")}),
            )
            .await
            .expect(StatusCode::CREATED)["id"]
            .as_i64()
            .unwrap();
        let device = app
            .post(
                &format!("/api/accounts/{account}/devices"),
                &app.owner,
                json!({"name": "D", "serial": format!("SN-{account}")}),
            )
            .await
            .expect(StatusCode::CREATED)["id"]
            .as_i64()
            .unwrap();
        targets.push(Target {
            place,
            account,
            user,
            device,
        });
    }
    let (_, a_admin) = app.user(a, "admin@a.test", "admin").await;
    let (_, a_user) = app.user(a, "user@a.test", "user").await;
    let (_, a_owner) = app.user(a, "owner@a.test", "owner").await;
    let callers = vec![
        ("admin of A", a_admin, "admin"),
        ("user of A", a_user, "user"),
        ("owner of A", a_owner, "owner"),
    ];
    (World { app, targets }, callers)
}

/// One probe: method, path built from the target, body, and whether a plain `user` may do it.
struct Probe {
    name: &'static str,
    method: Method,
    path: fn(&Target) -> String,
    body: Option<fn(&Target, usize) -> Value>,
    user_may: bool,
    success: StatusCode,
}

fn probes() -> Vec<Probe> {
    vec![
        Probe {
            name: "get account",
            method: Method::GET,
            path: |t| format!("/api/accounts/{}", t.account),
            body: None,
            user_may: true,
            success: StatusCode::OK,
        },
        Probe {
            name: "list children",
            method: Method::GET,
            path: |t| format!("/api/accounts/{}/children?depth=all", t.account),
            body: None,
            user_may: true,
            success: StatusCode::OK,
        },
        Probe {
            name: "list users",
            method: Method::GET,
            path: |t| format!("/api/accounts/{}/users", t.account),
            body: None,
            user_may: false,
            success: StatusCode::OK,
        },
        Probe {
            name: "list devices",
            method: Method::GET,
            path: |t| format!("/api/accounts/{}/devices", t.account),
            body: None,
            user_may: true,
            success: StatusCode::OK,
        },
        Probe {
            name: "get user",
            method: Method::GET,
            path: |t| format!("/api/users/{}", t.user),
            body: None,
            user_may: false,
            success: StatusCode::OK,
        },
        Probe {
            name: "get device",
            method: Method::GET,
            path: |t| format!("/api/devices/{}", t.device),
            body: None,
            user_may: true,
            success: StatusCode::OK,
        },
        Probe {
            name: "rename account",
            method: Method::PATCH,
            path: |t| format!("/api/accounts/{}", t.account),
            body: Some(|_, n| json!({"description": format!("probe {n}")})),
            user_may: false,
            success: StatusCode::OK,
        },
        Probe {
            name: "create child",
            method: Method::POST,
            path: |_| "/api/accounts".to_owned(),
            body: Some(|t, n| json!({"parent_id": t.account, "name": format!("probe {n}")})),
            user_may: false,
            success: StatusCode::CREATED,
        },
        Probe {
            name: "create user",
            method: Method::POST,
            path: |t| format!("/api/accounts/{}/users", t.account),
            body: Some(|_, n| json!({"email": format!("probe{n}@x.test")})),
            user_may: false,
            success: StatusCode::CREATED,
        },
        Probe {
            name: "update user",
            method: Method::PATCH,
            path: |t| format!("/api/users/{}", t.user),
            body: Some(|_, n| json!({"first_name": format!("P{n}")})),
            user_may: false,
            success: StatusCode::OK,
        },
        Probe {
            name: "set role",
            method: Method::PUT,
            path: |t| format!("/api/users/{}/role", t.user),
            body: Some(|_, _| json!({"role": "user"})),
            user_may: false,
            success: StatusCode::OK,
        },
        Probe {
            name: "create device",
            method: Method::POST,
            path: |t| format!("/api/accounts/{}/devices", t.account),
            body: Some(|_, n| json!({"name": "P", "serial": format!("P-{n}"), "is_test": true})),
            user_may: false,
            success: StatusCode::CREATED,
        },
        Probe {
            name: "move seats",
            method: Method::POST,
            path: |t| format!("/api/accounts/{}/seats", t.account),
            body: Some(|_, _| json!({"child_id": 0, "seats": 1})),
            user_may: false,
            success: StatusCode::UNPROCESSABLE_ENTITY,
        },
    ]
}

async fn every_caller_sees_only_its_subtree(app: TestApp) {
    let (world, callers) = world(app).await;
    let app = &world.app;
    let missing = Target {
        place: Place::OtherTenant,
        account: 9_999_999,
        user: 9_999_999,
        device: 9_999_999,
    };
    let mut n = 0;
    for probe in probes() {
        // What a nonexistent record answers: out-of-scope answers must be identical.
        let absent = {
            let body = probe.body.map(|b| b(&missing, 0));
            app.call(
                probe.method.clone(),
                &(probe.path)(&missing),
                Some(&app.owner),
                body,
            )
            .await
        };
        for (who, token, role) in &callers {
            for target in &world.targets {
                n += 1;
                let body = probe.body.map(|b| b(target, n));
                let reply = app
                    .call(
                        probe.method.clone(),
                        &(probe.path)(target),
                        Some(token),
                        body,
                    )
                    .await;
                let context = format!(
                    "{who} → {} on {:?}: {}",
                    probe.name, target.place, reply.body
                );
                match target.place {
                    Place::Parent | Place::Sibling | Place::OtherTenant => {
                        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{context}");
                        assert_eq!(reply.body, absent.body, "{context}");
                    }
                    Place::Own | Place::Child => {
                        let expected = if *role == "user" && !probe.user_may {
                            StatusCode::FORBIDDEN
                        } else {
                            probe.success
                        };
                        assert_eq!(reply.status, expected, "{context}");
                    }
                }
            }
        }
    }
}

async fn nothing_outside_the_subtree_can_be_deleted(app: TestApp) {
    let (world, callers) = world(app).await;
    let app = &world.app;
    for (_, token, _) in &callers {
        for target in world
            .targets
            .iter()
            .filter(|t| matches!(t.place, Place::Parent | Place::Sibling | Place::OtherTenant))
        {
            for path in [
                format!("/api/accounts/{}", target.account),
                format!("/api/users/{}", target.user),
                format!("/api/devices/{}", target.device),
            ] {
                app.delete(&path, token)
                    .await
                    .expect_error(StatusCode::NOT_FOUND, "not_found");
            }
        }
    }
    // Everything is still there.
    for target in &world.targets {
        app.get(&format!("/api/accounts/{}", target.account), &app.owner)
            .await
            .expect(StatusCode::OK);
        app.get(&format!("/api/users/{}", target.user), &app.owner)
            .await
            .expect(StatusCode::OK);
        app.get(&format!("/api/devices/{}", target.device), &app.owner)
            .await
            .expect(StatusCode::OK);
    }
}

async fn plain_users_cannot_delete_inside_their_subtree_either(app: TestApp) {
    let (world, callers) = world(app).await;
    let app = &world.app;
    let (_, user_token, _) = callers.iter().find(|(_, _, role)| *role == "user").unwrap();
    for target in world
        .targets
        .iter()
        .filter(|t| matches!(t.place, Place::Own | Place::Child))
    {
        for path in [
            format!("/api/accounts/{}", target.account),
            format!("/api/users/{}", target.user),
            format!("/api/devices/{}", target.device),
        ] {
            let reply = app.delete(&path, user_token).await;
            // A child account with a device and a user can still be refused for the role first.
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{path}: {}",
                reply.body
            );
        }
    }
}

crate::on_both_databases!(
    every_caller_sees_only_its_subtree,
    nothing_outside_the_subtree_can_be_deleted,
    plain_users_cannot_delete_inside_their_subtree_either,
);
