//! Devices (and the seats they take) and the audit trail over HTTP.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::helpers::TestApp;

async fn devices_take_seats(app: TestApp) {
    let acme = app.account(None, "Acme", 1).await;
    let (_, admin) = app.user(acme, "admin@acme.test", "admin").await;
    let (_, user) = app.user(acme, "user@acme.test", "user").await;
    let path = format!("/api/accounts/{acme}/devices");
    let device = app
        .post(&path, &admin, json!({"name": "Pump", "serial": "SN-1"}))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(device["is_test"], false);
    let full = app
        .post(&path, &admin, json!({"name": "Pump 2", "serial": "SN-2"}))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(full["message"].as_str().unwrap().contains("seat"), "{full}");
    app.post(
        &path,
        &admin,
        json!({"name": "Bench", "serial": "SN-T", "is_test": true}),
    )
    .await
    .expect(StatusCode::CREATED);
    app.post(
        &path,
        &admin,
        json!({"name": "Dup", "serial": "SN-T", "is_test": true}),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "conflict");
    app.post(
        &path,
        &user,
        json!({"name": "Nope", "serial": "SN-U", "is_test": true}),
    )
    .await
    .expect_error(StatusCode::FORBIDDEN, "forbidden");
    let listed = app.get(&path, &user).await.expect(StatusCode::OK);
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    let id = device["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/devices/{id}"), &user)
            .await
            .expect(StatusCode::OK)["serial"],
        "SN-1"
    );
    app.delete(&format!("/api/devices/{id}"), &user)
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        app.delete(&format!("/api/devices/{id}"), &admin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let account = app
        .get(&format!("/api/accounts/{acme}"), &admin)
        .await
        .expect(StatusCode::OK);
    assert_eq!(account["used_devices"], 0);
    assert_eq!(account["free_seats"], 1);
}

async fn changes_are_audited_with_the_request_id(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let (_, admin) = app.user(acme, "admin@acme.test", "admin").await;
    let request = Request::post(format!("/api/accounts/{acme}/users"))
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-request-id", "trace-me-123")
        .body(Body::from(json!({"email": "new@acme.test"}).to_string()))
        .unwrap();
    let reply = app.raw(request).await;
    assert_eq!(reply.headers.get("x-request-id").unwrap(), "trace-me-123");
    let user = reply.expect(StatusCode::CREATED);
    let audit = app
        .get("/api/audit?limit=5", &admin)
        .await
        .expect(StatusCode::OK);
    let newest = &audit["data"][0];
    assert_eq!(newest["action"], "user.create");
    assert_eq!(newest["target_type"], "user");
    assert_eq!(newest["target_id"], user["id"]);
    assert_eq!(newest["request_id"], "trace-me-123");
    assert_eq!(newest["tenant_id"], acme);
    assert!(newest["actor"].as_str().unwrap().starts_with("user:"));
    let (_, plain) = app.user(acme, "plain@acme.test", "user").await;
    app.get("/api/audit", &plain)
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
}

crate::on_both_databases!(devices_take_seats, changes_are_audited_with_the_request_id);
