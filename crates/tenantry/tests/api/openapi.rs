//! The OpenAPI document describes every native route, validly enough for tools to consume.

use axum::http::{Method, StatusCode};

use crate::helpers::TestApp;

async fn the_document_covers_every_route(app: TestApp) {
    let doc = app
        .call(Method::GET, "/api/openapi.json", None, None)
        .await
        .expect(StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["info"]["license"]["name"], "Apache-2.0");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let expected = [
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/api/auth/login", "post"),
        ("/api/auth/refresh", "post"),
        ("/api/auth/logout", "post"),
        ("/api/me", "get"),
        ("/api/me/password", "post"),
        ("/api/accounts", "post"),
        ("/api/accounts", "get"),
        ("/api/accounts/{id}", "get"),
        ("/api/accounts/{id}", "patch"),
        ("/api/accounts/{id}", "delete"),
        ("/api/accounts/{id}/children", "get"),
        ("/api/accounts/{id}/seats", "post"),
        ("/api/accounts/{id}/users", "post"),
        ("/api/accounts/{id}/users", "get"),
        ("/api/users", "get"),
        ("/api/users/{id}", "get"),
        ("/api/users/{id}", "patch"),
        ("/api/users/{id}", "delete"),
        ("/api/users/{id}/role", "put"),
        ("/api/users/{id}/unlock", "post"),
        ("/api/accounts/{id}/devices", "post"),
        ("/api/accounts/{id}/devices", "get"),
        ("/api/devices/{id}", "get"),
        ("/api/devices/{id}", "patch"),
        ("/api/devices/{id}", "delete"),
        ("/api/seat-tokens", "post"),
        ("/api/accounts/{id}/seats/redeem", "post"),
        ("/api/accounts/{id}/certificate-tokens", "post"),
        ("/api/accounts/{id}/certificate-tokens", "get"),
        ("/api/accounts/{id}/certificate-tokens/{token_id}", "delete"),
        ("/api/devices/enrol", "post"),
        ("/api/users/{id}/secret/rotate", "post"),
        ("/api/accounts/{id}/organization-secret/rotate", "post"),
        ("/api/audit", "get"),
        ("/api/auth/signup", "post"),
        ("/api/auth/verify-email", "post"),
        ("/api/me/verification", "post"),
        ("/api/auth/password/forgot", "post"),
        ("/api/auth/password/reset", "post"),
        ("/api/accounts/{id}/invitations", "post"),
        ("/api/accounts/{id}/invitations", "get"),
        ("/api/invitations/accept", "post"),
        ("/api/invitations/{id}", "get"),
        ("/api/invitations/{id}", "delete"),
        ("/api/invitations/{id}/resend", "post"),
        ("/api/mail", "get"),
        ("/api/mail/{id}", "get"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        expected.len(),
        "undocumented or unexpected operations"
    );
    for (path, method) in expected {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} missing");
        assert!(
            operation["summary"].is_string(),
            "{method} {path} has no summary"
        );
        for (status, response) in operation["responses"].as_object().unwrap() {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{method} {path} {status} has no description"
            );
        }
    }
}

crate::on_both_databases!(the_document_covers_every_route);

/// Swagger UI is served from the binary: the page and every asset it names are local, and it
/// reads the served document. Nothing is fetched from the internet.
#[tokio::test]
async fn the_api_docs_page_works_offline() {
    let app = TestApp::sqlite().await;
    let page = app.call_text(Method::GET, "/api/docs/", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.body.as_str().unwrap();
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in html.split(attribute).skip(1) {
            let target = piece.split('"').next().unwrap();
            assert!(!target.contains("://"), "an external asset: {target}");
            assets.push(target.trim_start_matches("./").to_owned());
        }
    }
    assert!(assets.len() >= 3, "{html}");
    assets.push("swagger-initializer.js".to_owned());
    for asset in &assets {
        let reply = app
            .call_text(Method::GET, &format!("/api/docs/{asset}"), None, None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "/api/docs/{asset}");
        let text = reply.body.as_str().unwrap_or_default();
        assert!(!text.contains("https://petstore"), "{asset} points at a demo API");
    }
    let initializer = app
        .call_text(Method::GET, "/api/docs/swagger-initializer.js", None, None)
        .await;
    let script = initializer.body.as_str().unwrap();
    assert!(script.contains("/api/openapi.json"), "{script}");
}
