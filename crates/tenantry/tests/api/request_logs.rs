//! The real binary's request log in JSON: one line per request with its method, route
//! template, status, latency and request id (the client's, echoed back, or a generated one),
//! and no password or token anywhere in it.

use serde_json::{Value, json};

use crate::process::{Server, exchange, owner_token};

#[tokio::test]
async fn json_logs_carry_one_line_per_request_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("json.db").display());
    let owner = owner_token(&database).await;
    let log = dir.path().join("server.log");
    let server = Server::start_logging_to(&database, &log, &["--log-format", "json"]).await;
    let bearer = format!("Bearer {owner}");

    let body = json!({"name": "Logged", "device_seats": 1}).to_string();
    let headers = [
        ("Authorization", bearer.as_str()),
        ("X-Request-Id", "ops-create-1"),
    ];
    let (status, head, created) = exchange(
        server.address,
        "POST",
        "/api/accounts",
        &headers,
        Some(&body),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{created}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-request-id: ops-create-1"),
        "{head}"
    );
    let account: Value = serde_json::from_str(&created).unwrap();
    let account = account["id"].as_i64().unwrap();

    let password = "a passphrase nobody logs";
    let user =
        json!({"email": "logged@acme.test", "role": "owner", "password": password}).to_string();
    let path = format!("/api/accounts/{account}/users");
    let (status, ..) = exchange(
        server.address,
        "POST",
        &path,
        &[("Authorization", &bearer)],
        Some(&user),
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
    let login = json!({"email": "logged@acme.test", "password": password}).to_string();
    let (status, head, tokens) =
        exchange(server.address, "POST", "/api/auth/login", &[], Some(&login))
            .await
            .unwrap();
    assert_eq!(status, 200);
    // Without a client id, the server makes one and says which.
    let generated = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-request-id: ")
                .map(str::to_owned)
        })
        .expect("a generated request id");
    let tokens: Value = serde_json::from_str(&tokens).unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let me = format!("Bearer {access}");
    let (status, ..) = exchange(
        server.address,
        "GET",
        "/api/me",
        &[("Authorization", &me)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(server.terminate().await.success());

    let logged = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = logged
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let finished = |request_id: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["span"]["request_id"] == request_id)
            .filter(|l| l["fields"]["status"].is_number())
            .collect()
    };
    let create = finished("ops-create-1");
    assert_eq!(create.len(), 1, "one line per request: {logged}");
    let create = create[0];
    assert_eq!(create["span"]["method"], "POST");
    assert_eq!(create["span"]["route"], "/api/accounts");
    assert_eq!(create["fields"]["status"], 201);
    assert!(create["fields"]["latency"].is_string(), "{create}");
    let login = finished(&generated);
    assert_eq!(login.len(), 1, "{logged}");
    assert_eq!(login[0]["span"]["route"], "/api/auth/login");
    let user_route = lines
        .iter()
        .any(|l| l["span"]["route"] == "/api/accounts/{id}/users" && l["fields"]["status"] == 201);
    assert!(user_route, "routes are logged by template: {logged}");
    for secret in [owner.as_str(), password, access.as_str(), refresh.as_str()] {
        assert!(
            !logged.contains(secret),
            "a secret reached the log: {logged}"
        );
    }
}
