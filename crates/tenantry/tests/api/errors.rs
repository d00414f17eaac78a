//! Bad input gets a clear 4xx in the native error format, never a 500.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::TestApp;

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
    assert!(reply.headers.get("x-request-id").is_some());
}

crate::on_both_databases!(
    malformed_bodies,
    field_errors_name_every_bad_field,
    bad_paths_queries_routes_and_methods,
    healthz_needs_nothing
);
