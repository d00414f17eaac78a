//! Login, refresh, logout, `me`, and password changes over HTTP.

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

async fn login_refresh_logout(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let (user_id, _) = app.user(acme, "ann@acme.test", "admin").await;
    let tokens = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "ANN@acme.test", "password": PASSWORD})),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let me = app.get("/api/me", access).await.expect(StatusCode::OK);
    assert_eq!(me["kind"], "user");
    assert_eq!(me["user"]["id"], user_id);
    assert_eq!(me["account"]["id"], acme);
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("Add Users"))
    );
    assert!(me["user"].get("password_hash").is_none());

    let renewed = app
        .call(
            Method::POST,
            "/api/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await
        .expect(StatusCode::OK);
    let new_access = renewed["access_token"].as_str().unwrap();
    app.get("/api/me", access)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.call(
        Method::POST,
        "/api/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await
    .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");

    let reply = app
        .call(Method::POST, "/api/auth/logout", Some(new_access), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    app.get("/api/me", new_access)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn login_errors_do_not_reveal_whether_an_email_exists(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    app.user(acme, "ann@acme.test", "user").await;
    let attempt = |email: &'static str, password: &'static str| {
        app.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
    };
    let wrong_password = attempt("ann@acme.test", "not the password").await;
    let unknown_email = attempt("nobody@acme.test", PASSWORD).await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.body, unknown_email.body);
}

async fn requests_without_a_valid_token_get_401(app: TestApp) {
    let no_header = app.call(Method::GET, "/api/me", None, None).await;
    assert_eq!(
        no_header.headers.get(header::WWW_AUTHENTICATE).unwrap(),
        "Bearer"
    );
    no_header.expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    for token in [
        "garbage",
        "tnt_at_forged",
        "tnt_st_forged",
        &"x".repeat(5000),
    ] {
        app.get("/api/me", token)
            .await
            .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let basic = axum::http::Request::builder()
        .uri("/api/me")
        .header(header::AUTHORIZATION, format!("Basic {}", app.owner))
        .body(axum::body::Body::empty())
        .unwrap();
    app.raw(basic)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let me = app.get("/api/me", &app.owner).await.expect(StatusCode::OK);
    assert_eq!(me["kind"], "service");
    assert!(me["user"].is_null());
}

async fn password_change_needs_the_current_password_and_ends_other_sessions(app: TestApp) {
    let acme = app.account(None, "Acme", 0).await;
    let (_, here) = app.user(acme, "ann@acme.test", "user").await;
    let elsewhere = app.login("ann@acme.test").await;
    let body = app
        .post(
            "/api/me/password",
            &here,
            json!({"current_password": "wrong one", "new_password": "short"}),
        )
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(body["fields"]["new_password"].is_string(), "{body}");
    app.post(
        "/api/me/password",
        &here,
        json!({"current_password": "wrong one", "new_password": "a new passphrase"}),
    )
    .await
    .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let reply = app
        .post(
            "/api/me/password",
            &here,
            json!({"current_password": PASSWORD, "new_password": "a new passphrase"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    app.get("/api/me", &here).await.expect(StatusCode::OK);
    app.get("/api/me", &elsewhere)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.call(
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"email": "ann@acme.test", "password": "a new passphrase"})),
    )
    .await
    .expect(StatusCode::OK);
}

async fn suspending_an_account_ends_its_users_sessions(app: TestApp) {
    let acme = app.account(None, "Acme", 5).await;
    let child = app.account(Some(acme), "Child", 1).await;
    let (_, admin) = app.user(acme, "admin@acme.test", "admin").await;
    let (_, user) = app.user(child, "u@child.test", "user").await;
    app.get("/api/me", &user).await.expect(StatusCode::OK);
    let account = app
        .patch(
            &format!("/api/accounts/{child}"),
            &admin,
            json!({"status": "suspended"}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(account["status"], "suspended");
    app.get("/api/me", &user)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    let login = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "u@child.test", "password": PASSWORD})),
        )
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(login["message"].as_str().unwrap().contains("suspended"));
    app.patch(
        &format!("/api/accounts/{child}"),
        &admin,
        json!({"status": "active"}),
    )
    .await
    .expect(StatusCode::OK);
    app.login("u@child.test").await;
}

crate::on_both_databases!(
    login_refresh_logout,
    login_errors_do_not_reveal_whether_an_email_exists,
    requests_without_a_valid_token_get_401,
    password_change_needs_the_current_password_and_ends_other_sessions,
    suspending_an_account_ends_its_users_sessions
);
