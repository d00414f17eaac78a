//! Lists over HTTP: filters, free text, sorting, cursors, counts, and their errors.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn emails(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

async fn people(app: &TestApp) -> i64 {
    let acme = app.account(None, "Acme", 0).await;
    for (email, first, last) in [
        ("ann@acme.test", "Ann", "Lee"),
        ("bob@acme.test", "Bob", "Stone"),
        ("cara@acme.test", "Cara", "Annis"),
        ("dan@other.test", "Dan", "Lee"),
    ] {
        app.post(
            &format!("/api/accounts/{acme}/users"),
            &app.owner,
            json!({"email": email, "first_name": first, "last_name": last}),
        )
        .await
        .expect(StatusCode::CREATED);
    }
    acme
}

async fn filter_search_sort_and_count(app: TestApp) {
    let acme = people(&app).await;
    let filter = encode(r#"last_name eq "lee" and email ew "acme.test""#);
    let page = app
        .get(&format!("/api/users?filter={filter}"), &app.owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(emails(&page), ["ann@acme.test"]);
    assert!(page.get("total").is_none(), "no total unless asked");
    let page = app
        .get("/api/users?q=ANN&sort=-email&count=true", &app.owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(emails(&page), ["cara@acme.test", "ann@acme.test"]);
    assert_eq!(page["total"], json!({"value": 2, "exact": true}));
    let page = app
        .get(
            &format!("/api/accounts/{acme}/users?sort=email&limit=3"),
            &app.owner,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        emails(&page),
        ["ann@acme.test", "bob@acme.test", "cara@acme.test"]
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/accounts/{acme}/users?sort=email&limit=3&cursor={cursor}"),
            &app.owner,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(emails(&rest), ["dan@other.test"]);
    assert_eq!(rest["next_cursor"], Value::Null);
    // The cursor belongs to that query: another sort refuses it.
    let body = app
        .get(
            &format!("/api/accounts/{acme}/users?sort=-email&limit=3&cursor={cursor}"),
            &app.owner,
        )
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(body["fields"]["cursor"].is_string(), "{body}");
    let accounts = app
        .get(
            &format!(
                "/api/accounts?q=acm&filter={}",
                encode(r#"status eq "active""#)
            ),
            &app.owner,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(accounts["data"][0]["id"], acme);
}

async fn bad_list_parameters_name_the_problem(app: TestApp) {
    people(&app).await;
    let cases = [
        (encode(r#"email eq"#), "filter", "position 8"),
        (encode(r#"nosuch eq "x""#), "filter", "unknown field"),
        (encode(r#"created gt "soon""#), "filter", "date"),
        // Times RFC 3339 cannot write in UTC: the second one used to panic (a 500).
        (encode(r#"created gt "-2026-01-01""#), "filter", "date"),
        (
            encode(r#"created lt "9999-12-31T23:30:00-01:00""#),
            "filter",
            "date",
        ),
    ];
    for (filter, field, needle) in cases {
        let body = app
            .get(&format!("/api/users?filter={filter}"), &app.owner)
            .await
            .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let message = body["fields"][field].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{filter}: {body}");
    }
    let body = app
        .get("/api/users?sort=password&limit=0", &app.owner)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert!(
        body["fields"]["sort"].is_string() && body["fields"]["limit"].is_string(),
        "{body}"
    );
    app.get("/api/audit?q=x", &app.owner)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    app.get("/api/users?unknown=1", &app.owner)
        .await
        .expect_error(StatusCode::BAD_REQUEST, "bad_request");
    app.get("/api/accounts?parent_id=1&within=1", &app.owner)
        .await
        .expect_error(StatusCode::BAD_REQUEST, "bad_request");
    let long = "a".repeat(3000);
    app.get(&format!("/api/users?filter={long}"), &app.owner)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
}

async fn users_need_view_users_to_search(app: TestApp) {
    let acme = people(&app).await;
    let (_, plain) = app.user(acme, "plain@acme.test", "user").await;
    app.get("/api/users", &plain)
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    let (_, admin) = app.user(acme, "admin@acme.test", "admin").await;
    let page = app
        .get("/api/users?limit=1000", &admin)
        .await
        .expect(StatusCode::OK);
    assert_eq!(emails(&page).len(), 6);
    let visible = app
        .get("/api/accounts", &plain)
        .await
        .expect(StatusCode::OK);
    assert_eq!(visible["data"].as_array().unwrap().len(), 1);
}

crate::on_both_databases!(
    filter_search_sort_and_count,
    bad_list_parameters_name_the_problem,
    users_need_view_users_to_search,
);
