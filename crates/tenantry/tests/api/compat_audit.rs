//! Audit completeness on the vendor surfaces: each kind of change made through Ioto,
//! ControlByWeb and Cloud Elements leaves an audit record naming the change, its target and the
//! user who made it (the native API's changes are checked by the authorization matrix).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::{cloud_elements as ce, controlbyweb as cbw};

/// Audit records newer than `after`, oldest first.
async fn records_after(app: &TestApp, after: i64) -> Vec<Value> {
    let page = app
        .get("/api/audit?limit=1000", &app.owner)
        .await
        .expect(StatusCode::OK);
    let mut records: Vec<Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"].as_i64().unwrap() > after)
        .cloned()
        .collect();
    records.reverse();
    records
}

async fn newest(app: &TestApp) -> i64 {
    records_after(app, 0)
        .await
        .last()
        .map_or(0, |r| r["id"].as_i64().unwrap())
}

/// Asserts that the change since `before` left exactly `actions` (in order) on `target`.
#[track_caller]
fn audited(records: &[Value], actions: &[&str], target: (&str, i64), what: &str) {
    let found: Vec<&str> = records
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(found, actions, "{what}: {records:#?}");
    let last = records.last().unwrap();
    assert_eq!(last["target_type"], target.0, "{what}");
    assert_eq!(last["target_id"], target.1, "{what}");
    assert!(
        last["actor"].as_str().unwrap().starts_with("user:"),
        "{what}: {last}"
    );
}

async fn ioto(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let request = Request::post(format!("/compat/ioto{path}"))
        .header(header::AUTHORIZATION, token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.raw_text(request).await.expect(StatusCode::OK)
}

async fn changes_on_every_surface_are_audited(app: TestApp) {
    // Ioto: a user created with an invitation, then their role changed.
    let acme = app.account(None, "Acme", 10).await;
    let (_, owner) = app.user(acme, "owner@acme.test", "owner").await;
    let before = newest(&app).await;
    let body = json!({ "email": "ivo@acme.test", "role": "user", "sendInvite": true });
    let user = ioto(&app, "/user/create", &owner, body).await;
    let ivo = user["id"].as_str().unwrap().parse::<i64>().unwrap();
    let records = records_after(&app, before).await;
    let actions: Vec<&str> = records
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["user.create", "invitation.create"],
        "Ioto user/create"
    );
    let before = newest(&app).await;
    ioto(
        &app,
        "/user/updateRole",
        &owner,
        json!({ "id": ivo.to_string(), "role": "admin" }),
    )
    .await;
    audited(
        &records_after(&app, before).await,
        &["user.role.set"],
        ("user", ivo),
        "Ioto updateRole",
    );

    // ControlByWeb: a child account and a user made by an administrator, then both removed.
    let tree = cbw::tree(&app).await;
    let before = newest(&app).await;
    let made = cbw::success(
        cbw::post(
            &app,
            &format!("/v1/accounts/{}/children", tree.a),
            &tree.boss,
            "account_name=Temp&device_seats=2",
        )
        .await,
    );
    let temp = made["account_id"].as_i64().unwrap();
    audited(
        &records_after(&app, before).await,
        &["account.create"],
        ("account", temp),
        "CBW create child",
    );
    let before = newest(&app).await;
    cbw::success(
        cbw::post(
            &app,
            &format!("/v1/accounts/{temp}"),
            &tree.boss,
            "account_name=Renamed",
        )
        .await,
    );
    audited(
        &records_after(&app, before).await,
        &["account.update"],
        ("account", temp),
        "CBW edit",
    );
    let before = newest(&app).await;
    cbw::success(cbw::delete(&app, &format!("/v1/accounts/{temp}"), &tree.boss).await);
    audited(
        &records_after(&app, before).await,
        &["account.delete"],
        ("account", temp),
        "CBW delete",
    );

    // Cloud Elements: an account made, changed and deleted by the organization administrator.
    let org = ce::org(&app, "Globex", "admin@globex.test").await;
    let before = newest(&app).await;
    let body = json!({ "name": "Docs", "externalId": "docs@globex.test" });
    let account = ce::ce(&app, Method::POST, "/accounts", &org.auth, Some(body))
        .await
        .expect(StatusCode::OK);
    let docs = account["id"].as_i64().unwrap();
    audited(
        &records_after(&app, before).await,
        &["account.create"],
        ("account", docs),
        "CE create",
    );
    let before = newest(&app).await;
    let body = json!({ "description": "Changed" });
    ce::ce(
        &app,
        Method::PATCH,
        &format!("/accounts/{docs}"),
        &org.auth,
        Some(body),
    )
    .await
    .expect(StatusCode::OK);
    audited(
        &records_after(&app, before).await,
        &["account.update"],
        ("account", docs),
        "CE update",
    );
    let before = newest(&app).await;
    let reply = ce::ce(
        &app,
        Method::DELETE,
        &format!("/accounts/{docs}"),
        &org.auth,
        None,
    )
    .await;
    assert!(reply.status.is_success(), "{}", reply.status);
    let records = records_after(&app, before).await;
    assert!(
        records
            .iter()
            // Cloud Elements deletes softly: the account is deactivated, an update.
            .any(|r| r["action"] == "account.update" && r["target_id"] == docs),
        "CE delete: {records:#?}"
    );

    // Reads leave nothing behind.
    let before = newest(&app).await;
    ce::get(&app, "/accounts", &org.auth)
        .await
        .expect(StatusCode::OK);
    cbw::get(&app, &format!("/v1/accounts/{}", tree.a), &tree.boss)
        .await
        .expect(StatusCode::OK);
    assert!(
        records_after(&app, before).await.is_empty(),
        "reads are not audited as changes"
    );
}

crate::on_both_databases!(changes_on_every_surface_are_audited);
