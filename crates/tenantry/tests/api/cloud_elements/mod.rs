//! The Cloud Elements surface on the wire: the console login and `getSecrets`, then the seed's
//! requests replayed (with our ids) and compared field for field with its example answers,
//! CEQL and both kinds of paging, role grants and refusals, and cross-organization probes.

mod accounts;
mod console;
mod roles;
mod users;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestApp};

pub const BASE: &str = "/compat/cloud-elements/elements";

/// A call to the API with the `Authorization: User …, Organization …` header and a JSON body.
pub async fn ce(
    app: &TestApp,
    method: Method,
    path: &str,
    auth: &str,
    body: Option<Value>,
) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(format!("{BASE}/api-v2{path}"))
        .header(header::AUTHORIZATION, auth)
        .header(header::CONTENT_TYPE, "application/json");
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    app.raw(request.body(body).unwrap()).await
}

pub async fn get(app: &TestApp, path: &str, auth: &str) -> Reply {
    ce(app, Method::GET, path, auth, None).await
}

/// Asserts the vendor's error shape: this status, a 24-hex-digit `requestId` and a message.
#[track_caller]
pub fn error(reply: Reply, status: StatusCode) -> Value {
    let body = reply.expect(status);
    let id = body["requestId"].as_str().unwrap_or_default();
    assert!(
        id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{body}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// The sorted keys of an object.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

pub fn sorted(keys: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    keys.sort();
    keys
}

/// Logs in through the console form; returns the session cookie's `name=value`.
pub async fn console_login(app: &TestApp, username: &str, password: &str) -> Reply {
    let form = format!(
        "j_username={}&j_password={}",
        username.replace('@', "%40"),
        password.replace(' ', "+")
    );
    let request = Request::post(format!("{BASE}/j_spring_security_check"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    app.raw(request).await
}

pub fn session_cookie(reply: &Reply) -> String {
    let cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

pub async fn get_secrets(app: &TestApp, cookie: &str) -> Reply {
    let request = Request::get(format!("{BASE}/api-v1/ui/getSecrets"))
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    app.raw(request).await
}

/// The `Authorization` header of a user, obtained as a client would: console login, then
/// `getSecrets`.
pub async fn authorization(app: &TestApp, email: &str) -> String {
    let login = console_login(app, email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK);
    let secrets = get_secrets(app, &session_cookie(&login))
        .await
        .expect(StatusCode::OK);
    format!(
        "User {}, Organization {}",
        secrets["user"].as_str().unwrap(),
        secrets["company"].as_str().unwrap()
    )
}

/// An organization made by the operator: its Default (root) account and the administrator
/// who signed it up (an owner there), with their `Authorization` header.
pub struct Org {
    pub root: i64,
    pub admin: i64,
    pub auth: String,
}

pub async fn org(app: &TestApp, name: &str, admin_email: &str) -> Org {
    let root = app
        .post(
            "/api/accounts",
            &app.owner,
            json!({"name": name, "external_id": admin_email, "description": "Auto created default account for the entire company"}),
        )
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    let admin = app
        .post(
            &format!("/api/accounts/{root}/users"),
            &app.owner,
            json!({"email": admin_email, "role": "owner", "password": PASSWORD,
                   "first_name": "Org", "last_name": "Admin"}),
        )
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    Org {
        root,
        admin,
        auth: authorization(app, admin_email).await,
    }
}
