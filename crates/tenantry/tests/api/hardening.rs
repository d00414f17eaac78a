//! Defences on the wire: request rate limits answering 429 with `Retry-After` in each
//! surface's own format, and login lockout and address throttling as clients see them.

use std::num::NonZeroU32;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use tenantry_http::{AppState, HttpLimits, Rate, RateLimits};

use crate::helpers::{PASSWORD, Reply, TestApp};

/// An app that trusts `X-Forwarded-For` (so each test can be its own client) and allows each
/// address a burst of 3, then one request a second.
async fn limited_app() -> TestApp {
    TestApp::sqlite_with(|state: AppState| {
        let limits = HttpLimits {
            rate: RateLimits {
                per_address: Some(Rate {
                    per_second: NonZeroU32::MIN,
                    burst: NonZeroU32::new(3).unwrap(),
                }),
                per_credential: None,
            },
            ..HttpLimits::default()
        };
        state.with_limits(limits).trusting_forwarded_for(true)
    })
    .await
}

async fn from(
    app: &TestApp,
    client: &str,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-forwarded-for", format!("10.9.9.9, {client}"));
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_owned()));
    app.raw_text(request.body(body).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_in_each_surfaces_format() {
    let app = limited_app().await;
    let surfaces = [
        ("203.0.113.1", Method::GET, "/api/me"),
        ("203.0.113.2", Method::POST, "/compat/ioto/user/get"),
        (
            "203.0.113.3",
            Method::GET,
            "/compat/controlbyweb/api/v1/accounts/1",
        ),
        (
            "203.0.113.4",
            Method::GET,
            "/compat/cloud-elements/elements/api-v2/accounts",
        ),
    ];
    for (client, method, path) in surfaces {
        for _ in 0..3 {
            let reply = from(&app, client, method.clone(), path, None).await;
            assert_ne!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{path}");
        }
        let limited = from(&app, client, method.clone(), path, None).await;
        assert_eq!(
            limited.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{path}: {}",
            limited.body
        );
        let retry: u64 = limited.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry), "{retry}");
        match path.split('/').nth(2) {
            Some("ioto") => {
                let kind = limited.headers[header::CONTENT_TYPE].to_str().unwrap();
                assert!(kind.starts_with("text/plain"), "{kind}");
            }
            Some("controlbyweb") => assert_eq!(limited.body["message"], "Too Many Attempts."),
            Some("cloud-elements") => assert!(limited.body["requestId"].is_string()),
            _ => assert_eq!(limited.body["code"], "too_many_requests"),
        }
    }
    // Probes are never limited; other clients are not affected.
    for _ in 0..10 {
        let health = from(&app, "203.0.113.1", Method::GET, "/healthz", None).await;
        assert_eq!(health.status, StatusCode::OK);
    }
    let other = from(&app, "203.0.113.99", Method::GET, "/api/me", None).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_lock_and_addresses_throttle_on_every_surface() {
    let app = TestApp::sqlite_with(|state| state.trusting_forwarded_for(true)).await;
    let acme = app.account(None, "Acme", 0).await;
    app.post(
        &format!("/api/accounts/{acme}/users"),
        &app.owner,
        json!({"email": "ann@acme.test", "username": "ann", "role": "admin", "password": PASSWORD}),
    )
    .await
    .expect(StatusCode::CREATED);
    let native = |client: &'static str, password: &'static str| {
        let body = json!({"email": "ann@acme.test", "password": password}).to_string();
        let app = &app;
        async move { from(app, client, Method::POST, "/api/auth/login", Some(&body)).await }
    };
    // Five wrong passwords lock Ann; then even hers gets the wrong-password answer.
    let mut wrong = None;
    for _ in 0..5 {
        let reply = native("198.51.100.1", "a wrong password here").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        wrong = Some(reply.body);
    }
    let locked = native("198.51.100.2", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(Some(locked.body), wrong);
    // The other surfaces' logins see the same lock.
    let cbw = from(
        &app,
        "198.51.100.3",
        Method::POST,
        "/compat/controlbyweb/api/v1/auth/token",
        Some(
            &json!({"grant_type": "password", "username": "ann", "password": PASSWORD}).to_string(),
        ),
    )
    .await;
    assert_eq!(cbw.status, StatusCode::UNAUTHORIZED);
    assert_eq!(cbw.body["error"], "invalid_grant");
    // An administrator lifts it.
    let ann = app
        .get(
            "/api/users?filter=email%20eq%20%22ann@acme.test%22",
            &app.owner,
        )
        .await
        .expect(StatusCode::OK)["data"][0]["id"]
        .as_i64()
        .unwrap();
    let unlocked = app
        .post(&format!("/api/users/{ann}/unlock"), &app.owner, json!({}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(unlocked["locked_until"], serde_json::Value::Null);
    assert_eq!(
        native("198.51.100.2", PASSWORD).await.status,
        StatusCode::OK
    );

    // Spraying from one address: after 50 failures it gets 429, on every login path.
    for n in 0..50 {
        let body =
            json!({"email": format!("v{n}@spray.test"), "password": "a wrong password here"});
        let reply = from(
            &app,
            "192.0.2.66",
            Method::POST,
            "/api/auth/login",
            Some(&body.to_string()),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let throttled = from(
        &app,
        "192.0.2.66",
        Method::POST,
        "/api/auth/login",
        Some(&json!({"email": "ann@acme.test", "password": PASSWORD}).to_string()),
    )
    .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers.contains_key(header::RETRY_AFTER));
    let cognito = Request::post("/compat/ioto/cognito")
        .header("x-forwarded-for", "192.0.2.66")
        .header(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.InitiateAuth",
        )
        .body(Body::from(
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "web",
                   "AuthParameters": {"USERNAME": "ann@acme.test", "PASSWORD": PASSWORD}})
            .to_string(),
        ))
        .unwrap();
    let cognito = app.raw_text(cognito).await;
    assert_eq!(cognito.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(cognito.body["__type"], "TooManyRequestsException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_json_and_huge_headers_are_refused_cleanly() {
    let app = TestApp::sqlite().await;
    // Nesting far past the decoder's depth limit, within the body limit: a clean 4xx, no stack
    // overflow.
    for body in [
        "[".repeat(50_000),
        format!("{}1{}", "{\"a\":".repeat(5000), "}".repeat(5000)),
    ] {
        let request = Request::post("/api/accounts")
            .header(header::AUTHORIZATION, format!("Bearer {}", app.owner))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let reply = app.raw(request).await;
        assert!(reply.status.is_client_error(), "{}", reply.status);
    }
    // Preferences are stored JSON: deep objects within the body limit are refused, not stored.
    let deep = serde_json::from_str::<serde_json::Value>(&format!(
        "{}1{}",
        "{\"a\":".repeat(100),
        "}".repeat(100)
    ))
    .unwrap();
    let acme = app.account(None, "Acme", 0).await;
    let body = json!({ "email": "deep@acme.test", "preferences": deep });
    let reply = app
        .post(&format!("/api/accounts/{acme}/users"), &app.owner, body)
        .await;
    assert!(
        reply.status.is_client_error(),
        "{} {}",
        reply.status,
        reply.body
    );

    // Headers past the server's limit end in 431 at the HTTP layer, before any handler.
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("headers.db").display());
    let server = crate::process::Server::start(&database, &[]).await;
    let mut stream = tokio::net::TcpStream::connect(server.address)
        .await
        .unwrap();
    let huge = "x".repeat(1 << 20);
    let request = format!("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: {huge}\r\n\r\n");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The server may close before reading it all; only its answer matters.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_end(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "the server neither answered nor closed");
    let answer = String::from_utf8_lossy(&answer);
    // hyper answers 431 when it can; a reset before the answer arrives is the other outcome.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    let (status, _) = server.call("GET", "/healthz", None, None).await;
    assert_eq!(status, 200, "the server carries on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_the_peer_address_still_counts() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("slow.db").display());
    let server = crate::process::Server::start(
        &database,
        &[
            "--header-read-timeout",
            "1",
            "--rate-per-address",
            "1",
            "--burst-per-address",
            "3",
        ],
    )
    .await;
    // Headers that never end: the server closes the connection after the timeout.
    let mut slow = tokio::net::TcpStream::connect(server.address)
        .await
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: 1\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        slow.read_to_end(&mut answer),
    )
    .await;
    assert!(
        closed.is_ok(),
        "the server kept a slow client's connection open"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // The per-address limit sees the real peer: a burst of 3, then 429.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let (status, _) = server.call("GET", "/api/me", None, None).await;
        statuses.push(status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.contains(&401), "{statuses:?}");
}
