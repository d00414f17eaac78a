//! Bad input gets a clear 4xx in the native error format, never a 500.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::{Reply, TestApp};

fn post_raw(path: &str, token: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

async fn malformed_bodies(app: TestApp) {
    let owner = app.owner.clone();
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            post_raw("/api/accounts", &owner, "application/json", "{\"name\":"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            post_raw("/api/accounts", &owner, "application/json", "[1,2]"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            post_raw("/api/accounts", &owner, "text/plain", "{\"name\":\"x\"}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            post_raw(
                "/api/accounts",
                &owner,
                "application/json",
                json!({"name": "x", "extra": 1}).to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            post_raw(
                "/api/accounts",
                &owner,
                "application/json",
                json!({"name": 42}).to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            post_raw(
                "/api/accounts",
                &owner,
                "application/json",
                json!({"name": "x", "device_seats": -1}).to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            post_raw(
                "/api/accounts",
                &owner,
                "application/json",
                json!({"name": "x", "device_seats": 1e30}).to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            post_raw(
                "/api/accounts",
                &owner,
                "application/json",
                json!({"name": "x".repeat(201)}).to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            post_raw(
                "/api/accounts",
                &owner,
                "application/json",
                json!({"name": "a\u{0}b"}).to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            post_raw(
                "/api/accounts",
                &owner,
                "application/json",
                vec![b' '; 200 * 1024],
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (request, status, code) in cases {
        let what = format!("{} {}", request.method(), request.uri());
        let reply = app.raw(request).await;
        assert_eq!(reply.status, status, "{what}: {}", reply.body);
        assert_eq!(reply.body["code"], code, "{what}: {}", reply.body);
    }
}

async fn field_errors_name_every_bad_field(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let body = app
        .post(
            &format!("/api/accounts/{acme}/users"),
            &app.owner,
            json!({"email": "not-an-email", "username": "has space", "password": "short", "preferences": [1]}),
        )
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    for field in ["email", "username", "password", "preferences"] {
        assert!(
            body["fields"][field].is_string(),
            "{field} missing in {body}"
        );
    }
}

async fn bad_paths_queries_routes_and_methods(app: TestApp) {
    let owner = app.owner.clone();
    let cases = [
        (
            Method::GET,
            "/api/accounts/abc".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::GET,
            "/api/accounts/99999999999999999999".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::GET,
            "/api/accounts/1/children?depth=sideways".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::GET,
            "/api/accounts/1/children?limit=-1".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::GET,
            "/api/audit?limit=0".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            Method::GET,
            "/api/audit?limit=1001".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            Method::GET,
            "/api/audit?cursor=%27%3B%20drop%20table".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            Method::GET,
            "/api/audit?bogus=1".to_owned(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::GET,
            "/api/nothing-here".to_owned(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::DELETE,
            "/api/me".to_owned(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::GET,
            "/api/accounts/424242".to_owned(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (method, path, status, code) in cases {
        let reply = app.call(method.clone(), &path, Some(&owner), None).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
        assert_eq!(reply.body["code"], code, "{method} {path}: {}", reply.body);
    }
}

async fn healthz_needs_nothing(app: TestApp) {
    let reply = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "ok");
    // A request that brings no id gets a fresh random (version 4) UUID.
    let generated = |reply: &Reply| reply.headers["x-request-id"].to_str().unwrap().to_owned();
    let first = generated(&reply);
    let second = generated(&app.call(Method::GET, "/healthz", None, None).await);
    for id in [&first, &second] {
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "4", "{id}");
    }
    assert_ne!(first, second);
}

async fn hostile_values_are_refused_not_stored(app: TestApp) {
    let acme = app.account(None, "Acme", 10).await;
    let child = app.account(Some(acme), "Child", 1).await;
    let (me, token) = app.user(acme, "ann@acme.test", "admin").await;
    // PostgreSQL cannot store U+0000 in jsonb or text: refused up front on both databases.
    app.patch(
        &format!("/api/users/{me}"),
        &token,
        json!({"preferences": {"a": "x\u{0}y"}}),
    )
    .await
    .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    app.patch(
        &format!("/api/users/{me}"),
        &token,
        json!({"first_name": "a\u{0}b"}),
    )
    .await
    .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    // Seat arithmetic at the edges of i64.
    for seats in [i64::MIN, i64::MAX, -1] {
        app.patch(
            &format!("/api/accounts/{child}"),
            &app.owner,
            json!({"device_seats": seats}),
        )
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    }
    for seats in [i64::MIN, i64::MAX] {
        app.post(
            &format!("/api/accounts/{acme}/seats"),
            &app.owner,
            json!({"child_id": child, "seats": seats}),
        )
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    }
    let account = app
        .get(&format!("/api/accounts/{acme}"), &app.owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(account["free_seats"], 9, "nothing moved");
}

async fn unusable_request_ids_are_replaced(app: TestApp) {
    for (sent, kept) in [
        ("abc-123_x.y:z", true),
        ("has space", false),
        (&*"x".repeat(200), false),
    ] {
        let request = Request::get("/healthz")
            .header("x-request-id", sent)
            .body(Body::empty())
            .unwrap();
        let reply = app.raw(request).await;
        let echoed = reply
            .headers
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(echoed == sent, kept, "{sent:?} → {echoed:?}");
        assert!(!echoed.is_empty() && echoed.len() <= 128);
    }
}

crate::on_both_databases!(
    hostile_values_are_refused_not_stored,
    unusable_request_ids_are_replaced,
    malformed_bodies,
    field_errors_name_every_bad_field,
    bad_paths_queries_routes_and_methods,
    healthz_needs_nothing
);
