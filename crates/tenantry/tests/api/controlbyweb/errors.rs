//! Bad input answers in Laravel's shape with a 4xx, and every account URL is checked against
//! the caller's subtree and permissions (a matrix over the surface's endpoints).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use super::{BASE, form, refused, send_json, tree};
use crate::helpers::TestApp;

async fn bad_input_is_answered_laravel_style(app: TestApp) {
    let t = tree(&app).await;
    let path = format!("/v1/accounts/{}", t.a1);
    // Malformed bodies.
    let raw = |body: &'static str, content_type: &'static str| {
        Request::post(format!("{BASE}{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", t.boss))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    for (body, content_type, status) in [
        (
            "{\"account_name\":",
            "application/json",
            StatusCode::BAD_REQUEST,
        ),
        ("[1,2]", "application/json", StatusCode::BAD_REQUEST),
        ("<xml/>", "text/xml", StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let reply = app.raw(raw(body, content_type)).await;
        refused(reply, status);
    }
    // Wrong types: 422 with the field named.
    for body in [
        json!({"device_seats": "many"}),
        json!({"device_seats": 1.5}),
        json!({"suspended": "perhaps"}),
        json!({"account_name": ["a"]}),
        json!({"account_name": ""}),
        json!({"account_name": "x".repeat(10_000)}),
        json!({"logging": 1000}),
    ] {
        let reply = send_json(&app, Method::POST, &path, Some(&t.boss), body.clone()).await;
        let answer = refused(reply, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(answer["errors"].is_object(), "{body} → {answer}");
    }
    // Nothing to change succeeds, as an update to the same values does at the vendor; but
    // not for a caller who may not edit the account at all.
    let unchanged = send_json(&app, Method::POST, &path, Some(&t.boss), json!({})).await;
    assert_eq!(unchanged.expect(StatusCode::OK)["message"], "success");
    refused(
        send_json(&app, Method::POST, &path, Some(&t.vic), json!({})).await,
        StatusCode::FORBIDDEN,
    );
    // Nothing was half-written by any of the above.
    let record = form(&app, Method::GET, &path, Some(&t.boss), "")
        .await
        .expect(StatusCode::OK);
    assert_eq!(record["account_name"], "Site A1");
    assert_eq!(record["device_seats"], 10);
    // A body over the limit.
    let huge = format!("account_name={}", "x".repeat(200_000));
    let reply = form(&app, Method::POST, &path, Some(&t.boss), &huge).await;
    refused(reply, StatusCode::PAYLOAD_TOO_LARGE);
    // Routes: unknown paths, ids that are not ids, wrong methods.
    for bad_path in [
        "/v1/nothing",
        "/v1/accounts/abc",
        "/v1/accounts/-3",
        "/v1/accounts/0/users",
    ] {
        let reply = form(&app, Method::GET, bad_path, Some(&t.boss), "").await;
        assert_eq!(
            refused(reply, StatusCode::NOT_FOUND)["message"],
            "Not found"
        );
    }
    refused(
        form(&app, Method::PATCH, &path, Some(&t.boss), "").await,
        StatusCode::METHOD_NOT_ALLOWED,
    );
    refused(
        form(&app, Method::DELETE, "/v1/auth/token", None, "").await,
        StatusCode::METHOD_NOT_ALLOWED,
    );
    refused(
        form(
            &app,
            Method::POST,
            &format!("/v1/accounts/{}/siblings", t.a),
            Some(&t.boss),
            "account_name=x",
        )
        .await,
        StatusCode::NOT_FOUND,
    );
    // An id beyond any account answers exactly like one out of reach.
    let missing = form(
        &app,
        Method::GET,
        "/v1/accounts/999999999",
        Some(&t.alice),
        "",
    )
    .await;
    let hidden = form(
        &app,
        Method::GET,
        &format!("/v1/accounts/{}", t.root),
        Some(&t.alice),
        "",
    )
    .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert_eq!(missing.body, hidden.body);
}

/// Each endpoint, for each caller: Boss (administrator of the root), Alice (administrator of
/// the middle account), Vic (a plain user of the bottom account). Targets are the bottom,
/// middle and root accounts; the expected status follows from the caller's account being at or
/// above the target and from the permission the endpoint names.
async fn every_account_url_is_checked_against_the_subtree(app: TestApp) {
    let t = tree(&app).await;
    let callers = [
        ("boss", &t.boss, 0),
        ("alice", &t.alice, 1),
        ("vic", &t.vic, 2),
    ];
    let targets = [(t.root, 0), (t.a, 1), (t.a1, 2)];
    // (method, path suffix, administrators only)
    let endpoints: &[(Method, &str, bool)] = &[
        (Method::GET, "", false),
        (Method::GET, "/children", false),
        (Method::GET, "/allChildren", false),
        (Method::GET, "/descendants", false),
        (Method::GET, "/users", true),
        (Method::GET, "/devices", false),
        (Method::GET, "/devices/info", false),
        (Method::GET, "/tokens", true),
    ];
    for (name, token, caller_depth) in &callers {
        for (target, target_depth) in targets {
            for (method, suffix, admin_only) in endpoints {
                let path = format!("/v1/accounts/{target}{suffix}");
                let reply = form(&app, method.clone(), &path, Some(token), "").await;
                let reachable = target_depth >= *caller_depth;
                let allowed = reachable && (!admin_only || *name != "vic");
                let expected = if allowed {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(
                    reply.status, expected,
                    "{name} {method} {path}: {}",
                    reply.body
                );
            }
            // Writes: a harmless rename, and a child with no seats.
            let rename = form(
                &app,
                Method::POST,
                &format!("/v1/accounts/{target}"),
                Some(token),
                &format!("account_name=Renamed+by+{name}"),
            )
            .await;
            let reachable = target_depth >= *caller_depth;
            let expected = if reachable && *name != "vic" {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                rename.status, expected,
                "{name} edits {target}: {}",
                rename.body
            );
            let child = form(
                &app,
                Method::POST,
                &format!("/v1/accounts/{target}/children"),
                Some(token),
                "account_name=Probe",
            )
            .await;
            assert_eq!(
                child.status, expected,
                "{name} adds under {target}: {}",
                child.body
            );
        }
    }
}

crate::on_both_databases!(
    bad_input_is_answered_laravel_style,
    every_account_url_is_checked_against_the_subtree,
);
