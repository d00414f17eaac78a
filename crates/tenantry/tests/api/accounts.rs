//! The account tree and seats over HTTP.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn ids(page: &Value) -> Vec<i64> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

async fn a_tree_with_seats(app: TestApp) {
    let root = app
        .post(
            "/api/accounts",
            &app.owner,
            json!({"name": "Acme", "email": "ops@acme.test", "external_id": "crm-1", "device_seats": 100}),
        )
        .await
        .expect(StatusCode::CREATED);
    let root_id = root["id"].as_i64().unwrap();
    assert_eq!(root["parent_id"], Value::Null);
    assert_eq!(root["tenant_id"], root_id);
    assert_eq!(root["free_seats"], 100);
    let a = app.account(Some(root_id), "A", 30).await;
    let b = app.account(Some(root_id), "B", 20).await;
    let a1 = app.account(Some(a), "A1", 10).await;

    let root = app
        .get(&format!("/api/accounts/{root_id}"), &app.owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(root["children_seats"], 50);
    assert_eq!(root["free_seats"], 50);

    let direct = app
        .get(&format!("/api/accounts/{root_id}/children"), &app.owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&direct), [a, b]);
    assert_eq!(direct["next_cursor"], Value::Null);
    let first = app
        .get(
            &format!("/api/accounts/{root_id}/children?depth=all&limit=2"),
            &app.owner,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&first), [a, b]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/accounts/{root_id}/children?depth=all&limit=2&cursor={cursor}"),
            &app.owner,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(ids(&rest), [a1]);

    let moved = app
        .post(
            &format!("/api/accounts/{root_id}/seats"),
            &app.owner,
            json!({"child_id": b, "seats": 15}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(moved["child"]["device_seats"], 35);
    assert_eq!(moved["parent"]["free_seats"], 35);
    let too_many = app
        .post(
            &format!("/api/accounts/{root_id}/seats"),
            &app.owner,
            json!({"child_id": b, "seats": 36}),
        )
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(too_many["fields"]["device_seats"].is_string());
    app.post(
        &format!("/api/accounts/{root_id}/seats"),
        &app.owner,
        json!({"child_id": a1, "seats": 1}),
    )
    .await
    .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    app.post(
        "/api/accounts",
        &app.owner,
        json!({"parent_id": a, "name": "Greedy", "device_seats": 21}),
    )
    .await
    .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");

    app.delete(&format!("/api/accounts/{a}"), &app.owner)
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    assert_eq!(
        app.delete(&format!("/api/accounts/{a1}"), &app.owner)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&format!("/api/accounts/{a}"), &app.owner)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let root = app
        .get(&format!("/api/accounts/{root_id}"), &app.owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        root["free_seats"], 65,
        "deleted children return their seats"
    );
    app.get(&format!("/api/accounts/{a}"), &app.owner)
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

async fn patch_changes_only_what_it_names_and_null_clears(app: TestApp) {
    let root = app
        .post(
            "/api/accounts",
            &app.owner,
            json!({"name": "Acme", "email": "ops@acme.test", "description": "Widgets"}),
        )
        .await
        .expect(StatusCode::CREATED);
    let id = root["id"].as_i64().unwrap();
    let changed = app
        .patch(
            &format!("/api/accounts/{id}"),
            &app.owner,
            json!({"name": "Acme Corp", "email": null}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(changed["name"], "Acme Corp");
    assert_eq!(changed["email"], Value::Null);
    assert_eq!(changed["description"], "Widgets");
    app.patch(&format!("/api/accounts/{id}"), &app.owner, json!({}))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    app.patch(
        &format!("/api/accounts/{id}"),
        &app.owner,
        json!({"status": "gone"}),
    )
    .await
    .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let deactivated = app
        .patch(
            &format!("/api/accounts/{id}"),
            &app.owner,
            json!({"status": "deactivated"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(deactivated["status"], "deactivated");
}

async fn root_accounts_need_a_service_token(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let (_, owner) = app.user(acme, "owner@acme.test", "owner").await;
    app.post("/api/accounts", &owner, json!({"name": "Mine now"}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        "/api/accounts",
        &owner,
        json!({"name": "Child", "parent_id": acme}),
    )
    .await
    .expect(StatusCode::CREATED);
}

crate::on_both_databases!(
    a_tree_with_seats,
    patch_changes_only_what_it_names_and_null_clears,
    root_accounts_need_a_service_token
);
