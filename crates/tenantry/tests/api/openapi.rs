//! The OpenAPI document describes every native route, validly enough for tools to consume.

use axum::http::{Method, StatusCode};
use serde_json::Value;

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
        assert!(
            !text.contains("https://petstore"),
            "{asset} points at a demo API"
        );
    }
    let initializer = app
        .call_text(Method::GET, "/api/docs/swagger-initializer.js", None, None)
        .await;
    let script = initializer.body.as_str().unwrap();
    assert!(script.contains("/api/openapi.json"), "{script}");
}

/// Every operation shows what it takes and what it gives: each 2xx answer with a body, and each
/// request body, has an example, on the media type or on its schema (following a `$ref` to the
/// component once, and into an array's items or the parts of an `allOf`). Swagger UI shows them,
/// client generators copy them, and schemathesis sends the request bodies' examples as they are.
#[tokio::test]
async fn every_operation_has_examples() {
    let app = TestApp::sqlite().await;
    let doc = app
        .call(Method::GET, "/api/openapi.json", None, None)
        .await
        .expect(StatusCode::OK);
    let components = &doc["components"]["schemas"];
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut offenders = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if !methods.contains(&method.as_str()) {
                continue;
            }
            let mut bodies = Vec::new();
            for (status, response) in operation["responses"].as_object().unwrap() {
                // A response without `content` (a 204) has nothing to show.
                if status.starts_with('2') && response.get("content").is_some() {
                    bodies.push((format!("{status} response"), &response["content"]));
                }
            }
            if let Some(body) = operation.get("requestBody") {
                bodies.push(("request body".to_owned(), &body["content"]));
            }
            for (what, content) in bodies {
                let Some(media_types) = content.as_object().filter(|m| !m.is_empty()) else {
                    offenders.push(format!("{method} {path}: {what} has no content"));
                    continue;
                };
                for (media_type, media) in media_types {
                    if !has_example(media) && !schema_has_example(&media["schema"], components, 1) {
                        offenders.push(format!("{method} {path}: {what} ({media_type})"));
                    }
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "{} bodies without an example:\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}

/// An `example`, or a non-empty `examples` (a map on a media type, a list on a schema).
fn has_example(object: &Value) -> bool {
    object.get("example").is_some()
        || object
            .get("examples")
            .is_some_and(|examples| match examples {
                Value::Object(map) => !map.is_empty(),
                Value::Array(list) => !list.is_empty(),
                _ => false,
            })
}

/// Whether `schema` has an example: itself, the component it refers to (at most `refs` `$ref`s
/// deep), an array's items, or a part of an `allOf`.
fn schema_has_example(schema: &Value, components: &Value, refs: u8) -> bool {
    if has_example(schema) {
        return true;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        return refs > 0
            && reference
                .strip_prefix("#/components/schemas/")
                .is_some_and(|name| schema_has_example(&components[name], components, refs - 1));
    }
    if schema.get("items").is_some() && schema_has_example(&schema["items"], components, refs) {
        return true;
    }
    schema["allOf"].as_array().is_some_and(|parts| {
        parts
            .iter()
            .any(|part| schema_has_example(part, components, refs))
    })
}
