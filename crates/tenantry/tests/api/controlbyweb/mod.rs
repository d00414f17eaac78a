//! The ControlByWeb surface on the wire: a three-level tree built through it, seats moved up
//! and down, a branch suspended, every refusal the seed names, and each body compared with the
//! vendor's documented examples. Requests are form-encoded as the vendor's curl examples send
//! them, or JSON as third-party clients do.

mod accounts;
mod auth;
mod devices;
mod errors;
mod users;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestApp};

pub const BASE: &str = "/compat/controlbyweb/api";

/// A call with a form-encoded body (or none when `form` is empty).
pub async fn form(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    form: &str,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{BASE}{path}"));
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if !form.is_empty() {
        request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    app.raw(request.body(Body::from(form.to_owned())).unwrap())
        .await
}

pub async fn send_json(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{BASE}{path}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    app.raw(request.body(Body::from(body.to_string())).unwrap())
        .await
}

pub async fn get(app: &TestApp, path: &str, token: &str) -> Reply {
    form(app, Method::GET, path, Some(token), "").await
}

pub async fn post(app: &TestApp, path: &str, token: &str, body: &str) -> Reply {
    form(app, Method::POST, path, Some(token), body).await
}

pub async fn delete(app: &TestApp, path: &str, token: &str) -> Reply {
    form(app, Method::DELETE, path, Some(token), "").await
}

/// Asserts `{"message": "success"}` (plus whatever extra fields the answer has).
#[track_caller]
pub fn success(reply: Reply) -> Value {
    let body = reply.expect(StatusCode::OK);
    assert_eq!(body["message"], "success", "{body}");
    body
}

/// Asserts a Laravel-style error: this status and a non-empty `message`.
#[track_caller]
pub fn refused(reply: Reply, status: StatusCode) -> Value {
    let body = reply.expect(status);
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// The password grant, form-encoded; returns the whole token answer.
pub async fn login(app: &TestApp, username: &str) -> Value {
    let body = format!(
        "grant_type=password&username={username}&password={}",
        PASSWORD.replace(' ', "+")
    );
    form(app, Method::POST, "/v1/auth/token", None, &body)
        .await
        .expect(StatusCode::OK)
}

pub async fn access_token(app: &TestApp, username: &str) -> String {
    login(app, username).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// The documented key set of a record, sorted.
pub fn documented(keys: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    keys.sort();
    keys
}

pub const ACCOUNT_KEYS: &[&str] = &[
    "account_id",
    "device_seats",
    "account_name",
    "logging",
    "suspended",
    "used_devices",
    "parent_free_devices",
];

/// A three-level tree made through the surface: "ABC Company" (100 seats, made by the
/// operator) with its administrator `boss`; "Branch A" (30 seats) below it with administrator
/// `alice`; "Site A1" (10 seats) below that with `vic`, who is not an administrator.
pub struct Tree {
    pub root: i64,
    pub a: i64,
    pub a1: i64,
    pub boss: String,
    pub alice: String,
    pub vic: String,
}

pub async fn tree(app: &TestApp) -> Tree {
    let root = app.account(None, "ABC Company", 100).await;
    let body = json!({"email": "boss@abc.test", "username": "boss", "role": "admin",
                      "password": PASSWORD, "first_name": "Bo", "last_name": "Ss"});
    app.post(&format!("/api/accounts/{root}/users"), &app.owner, body)
        .await
        .expect(StatusCode::CREATED);
    let boss = access_token(app, "boss").await;
    let a = success(
        post(
            app,
            &format!("/v1/accounts/{root}/children"),
            &boss,
            "account_name=Branch+A&device_seats=30",
        )
        .await,
    )["account_id"]
        .as_i64()
        .unwrap();
    let a1 = success(
        post(
            app,
            &format!("/v1/accounts/{a}/children"),
            &boss,
            "account_name=Site+A1&device_seats=10",
        )
        .await,
    )["account_id"]
        .as_i64()
        .unwrap();
    let password = PASSWORD.replace(' ', "+");
    success(
        post(
            app,
            &format!("/v1/accounts/{a}/users"),
            &boss,
            &format!("username=alice&email=alice@abc.test&password={password}&first_name=Alice&account_admin=1&terms_agreed=1"),
        )
        .await,
    );
    success(
        post(
            app,
            &format!("/v1/accounts/{a1}/users"),
            &boss,
            &format!("username=vic&email=vic@abc.test&password={password}&account_admin=0"),
        )
        .await,
    );
    Tree {
        root,
        a,
        a1,
        alice: access_token(app, "alice").await,
        vic: access_token(app, "vic").await,
        boss,
    }
}
