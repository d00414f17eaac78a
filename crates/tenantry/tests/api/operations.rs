//! What operators rely on: the readiness probe, and Prometheus metrics that name routes by
//! template and count logins, guarded by a token when one is configured.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::{PASSWORD, Reply, TestApp};

async fn scrape(app: &TestApp, token: Option<&str>) -> Reply {
    let mut request = Request::get("/metrics");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    app.raw_text(request.body(Body::empty()).unwrap()).await
}

/// The value of the first sample whose line starts with `series` (name and labels as
/// rendered, e.g. `tenantry_logins_total{result="success"}`).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

async fn readyz_says_the_database_is_current(app: TestApp) {
    let reply = app.call(Method::GET, "/readyz", None, None).await;
    let body = reply.expect(StatusCode::OK);
    assert_eq!(body["status"], "ready");
    assert!(body["schema_version"].as_i64().unwrap() >= 5, "{body}");
}

async fn metrics_count_requests_by_route_template_and_logins(app: TestApp) {
    let account = app.account(None, "Metered", 10).await;
    let (_, token) = app.user(account, "metered@acme.test", "owner").await;
    let failed = json!({ "email": "metered@acme.test", "password": "not the password" });
    let reply = app
        .call(Method::POST, "/api/auth/login", None, Some(failed))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    app.get(&format!("/api/accounts/{account}"), &token)
        .await
        .expect(StatusCode::OK);

    let reply = scrape(&app, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
    );
    let text = reply.body.as_str().unwrap();
    // The template, never the concrete path with its id.
    let route =
        r#"tenantry_http_requests_total{route="/api/accounts/{id}",method="GET",status="200"}"#;
    assert!(sample(text, route).is_some_and(|n| n >= 1.0), "{text}");
    assert!(
        !text.contains(&format!("/api/accounts/{account}\"")),
        "{text}"
    );
    let histogram = r#"tenantry_http_request_duration_seconds_bucket{route="/api/accounts/{id}",method="GET",status="200",le="+Inf"}"#;
    assert!(sample(text, histogram).is_some_and(|n| n >= 1.0), "{text}");
    // The recorder is shared by every test in this process: counts only ever grow.
    for result in ["success", "failure"] {
        let series = format!(r#"tenantry_logins_total{{result="{result}"}}"#);
        assert!(
            sample(text, &series).is_some_and(|n| n >= 1.0),
            "{series}: {text}"
        );
    }
    assert!(
        sample(text, "tenantry_db_up").is_some_and(|v| v == 1.0),
        "{text}"
    );
    assert!(sample(text, "tenantry_db_connections_max").is_some_and(|v| v >= 1.0));
    assert!(sample(text, "tenantry_mail_outbox_pending").is_some());
    assert!(sample(text, "tenantry_http_requests_in_flight").is_some());
    assert!(text.contains("tenantry_build_info{version=\""), "{text}");
    // No secret of the session reaches the metrics.
    assert!(!text.contains(&token) && !text.contains(PASSWORD));
}

async fn lockouts_are_counted(app: TestApp) {
    let account = app.account(None, "Locked", 10).await;
    app.user(account, "locked@acme.test", "user").await;
    let before = sample(
        scrape(&app, None).await.body.as_str().unwrap(),
        "tenantry_lockouts_total",
    )
    .unwrap_or(0.0);
    for _ in 0..6 {
        let wrong = json!({ "email": "locked@acme.test", "password": "wrong guess" });
        let reply = app
            .call(Method::POST, "/api/auth/login", None, Some(wrong))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let after = sample(
        scrape(&app, None).await.body.as_str().unwrap(),
        "tenantry_lockouts_total",
    )
    .unwrap_or(0.0);
    assert!(after > before, "lockouts {before} → {after}");
}

crate::on_both_databases!(
    readyz_says_the_database_is_current,
    metrics_count_requests_by_route_template_and_logins,
    lockouts_are_counted,
);

#[tokio::test]
async fn a_metrics_token_guards_the_metrics() {
    let app = TestApp::sqlite_with(|state| state.with_metrics_token(Some("scrape-me"))).await;
    for wrong in [None, Some("scrape-you")] {
        let reply = scrape(&app, wrong).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
    }
    let reply = scrape(&app, Some("scrape-me")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.as_str().unwrap().contains("tenantry_build_info"));
    // The probes stay open.
    let reply = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
}
