//! The real binary, started as a newcomer would: bootstrap a token from the CLI, serve on port
//! 0, walk the README tour over real HTTP, then stop it with SIGTERM.

use serde_json::json;

use crate::process::{Server, owner_token, run};

#[tokio::test]
async fn the_readme_tour_works_against_the_real_binary() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("tour.db").display());
    let (ok, stdout, stderr) = run(&[
        "token",
        "create",
        "--role",
        "owner",
        "--name",
        "bootstrap",
        "--database",
        &database,
    ])
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "the token alone on one line: {stdout:?}"
    );
    let owner = stdout.trim().to_owned();
    assert!(owner.starts_with("tnt_st_"));

    let server = Server::start(&database, &[]).await;
    assert_eq!(server.call("GET", "/healthz", None, None).await.0, 200);
    let (status, org) = server
        .call(
            "POST",
            "/api/accounts",
            Some(&owner),
            Some(json!({"name": "Acme", "device_seats": 10})),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let org_id = org["id"].as_i64().unwrap();
    let (status, user) = server
        .call(
            "POST",
            &format!("/api/accounts/{org_id}/users"),
            Some(&owner),
            Some(json!({"email": "ann@acme.example", "role": "owner", "password": "a long passphrase"})),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let (status, tokens) = server
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": "ann@acme.example", "password": "a long passphrase"})),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, me) = server.call("GET", "/api/me", Some(&access), None).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["email"], "ann@acme.example");
    assert_eq!(
        server.call("GET", "/api/openapi.json", None, None).await.0,
        200
    );

    // SIGTERM: a graceful stop with exit status 0.
    let status = server.terminate().await;
    assert!(status.success(), "exit status after SIGTERM: {status}");

    // The data outlives the process.
    let server = Server::start(&database, &[]).await;
    let (status, me) = server.call("GET", "/api/me", Some(&access), None).await;
    assert_eq!(status, 200, "{me}");
    let (ok, listing, _) = run(&["token", "list", "--database", &database]).await;
    assert!(ok);
    assert!(
        listing.contains("bootstrap") && !listing.contains(&owner),
        "{listing}"
    );
}

/// Secrets never reach the log: not bearer tokens, not the passwords in bodies, and not the
/// certificate tokens some routes carry in their path (only the route's template is logged).
/// Also: a device seat token minted at the command line is redeemable.
#[tokio::test]
async fn logs_name_routes_not_secrets_and_seat_tokens_come_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("logs.db").display());
    let owner = owner_token(&database).await;
    let (ok, seat_token, stderr) = run(&[
        "seat-token",
        "create",
        "--seats",
        "7",
        "--database",
        &database,
    ])
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(seat_token.lines().count(), 1, "{seat_token:?}");
    let seat_token = seat_token.trim().to_owned();
    assert!(seat_token.starts_with("tnt_ds_"), "{seat_token}");

    let log = dir.path().join("server.log");
    let server = Server::start_logging_to(&database, &log, &[]).await;
    let (status, org) = server
        .call(
            "POST",
            "/api/accounts",
            Some(&owner),
            Some(json!({"name": "Logs", "device_seats": 1})),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let org = org["id"].as_i64().unwrap();
    let (status, grown) = server
        .call(
            "POST",
            &format!("/api/accounts/{org}/seats/redeem"),
            Some(&owner),
            Some(json!({"token": seat_token})),
        )
        .await;
    assert_eq!(status, 200, "{grown}");
    assert_eq!(grown["device_seats"], 8);
    let (status, certificate) = server
        .call(
            "POST",
            &format!("/api/accounts/{org}/certificate-tokens"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 201, "{certificate}");
    let certificate = certificate["token"].as_str().unwrap().to_owned();
    let (status, _) = server
        .call(
            "DELETE",
            &format!("/compat/controlbyweb/api/v1/accounts/{org}/tokens/{certificate}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let status = server.terminate().await;
    assert!(status.success());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("/compat/controlbyweb/api/v1/accounts/{account_id}/tokens/{token}"),
        "the route template is logged: {logged}"
    );
    for secret in [&owner, &seat_token, &certificate] {
        assert!(
            !logged.contains(secret.as_str()),
            "a secret reached the log: {logged}"
        );
    }
}

#[tokio::test]
async fn an_unusable_database_url_fails_fast_with_a_clear_message() {
    let (ok, _, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        "mysql://nope",
    ])
    .await;
    assert!(!ok);
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
}

#[tokio::test]
async fn an_unreachable_postgres_fails_start_up_with_a_clear_message() {
    // Nothing listens on a port we just bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/nothing");
    let started = std::time::Instant::now();
    let (ok, _, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &url,
        "--db-connect-timeout",
        "2",
    ])
    .await;
    assert!(!ok, "serve must exit non-zero");
    assert!(stderr.contains("cannot connect to PostgreSQL"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}
