//! `tenantry export` and `tenantry import` with the real binary: a seeded SQLite database
//! exported and imported into PostgreSQL (or, without one, another SQLite file) comes out row
//! for row the same; passwords, service tokens and secrets still work there; importing again
//! changes nothing; a tenant's dump holds that tenant alone; a cut-off dump is refused.

use std::process::Stdio;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_core::store::Store;
use tenantry_store_postgres::test_support::{fresh_schema, test_url};
use tenantry_store_postgres::{PostgresOptions, PostgresStore};
use tenantry_store_sqlite::SqliteStore;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::helpers::{PASSWORD, TestApp};
use crate::process::BINARY;

/// Runs `tenantry ARGS…` with `input` on stdin: (success, stdout, stderr).
async fn tenantry(args: &[&str], input: &[u8]) -> (bool, String, String) {
    let mut child = Command::new(BINARY)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = tokio::spawn(async move {
        let _ = stdin.write_all(&input).await;
    });
    let output = child.wait_with_output().await.unwrap();
    feeder.await.unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

async fn export(database: &str, extra: &[&str]) -> String {
    let mut args = vec!["export", "--database", database];
    args.extend_from_slice(extra);
    let (ok, dump, stderr) = tenantry(&args, b"").await;
    assert!(ok, "{stderr}");
    dump
}

/// The rows of a dump, header and footer aside.
fn rows(dump: &str) -> Vec<&str> {
    let lines: Vec<&str> = dump.lines().collect();
    lines[1..lines.len() - 1].to_vec()
}

/// Two tenants: accounts, users with and without passwords, a device, an invitation, a Cloud
/// Elements secret, a certificate token, and the audit trail all that leaves.
async fn seed(app: &TestApp) -> (i64, String) {
    let acme = app.account(None, "Acme", 20).await;
    let west = app.account(Some(acme), "Acme West", 5).await;
    let globex = app.account(None, "Globex", 3).await;
    let (ann, _) = app.user(acme, "ann@acme.test", "owner").await;
    app.user(west, "bob@acme.test", "admin").await;
    app.user(globex, "gus@globex.test", "owner").await;
    let device = json!({ "name": "Meter", "serial": "SN-1" });
    app.post(&format!("/api/accounts/{west}/devices"), &app.owner, device)
        .await
        .expect(StatusCode::CREATED);
    let invite = json!({ "email": "new@acme.test" });
    app.post(
        &format!("/api/accounts/{west}/invitations"),
        &app.owner,
        invite,
    )
    .await
    .expect(StatusCode::CREATED);
    let secret = app
        .post(
            &format!("/api/users/{ann}/secret/rotate"),
            &app.owner,
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
    app.post(
        &format!("/api/accounts/{west}/certificate-tokens"),
        &app.owner,
        json!({}),
    )
    .await
    .expect(StatusCode::CREATED);
    let _ = secret;
    (acme, app.owner.clone())
}

async fn open(url: &str) -> Arc<dyn Store> {
    if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await.unwrap())
    } else {
        Arc::new(
            PostgresStore::connect(url, &PostgresOptions::default())
                .await
                .unwrap(),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_moves_to_sqlite_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let target = format!("sqlite://{}", dir.path().join("target.db").display());
    moves_row_for_row(&target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_moves_to_postgres_row_for_row() {
    let Some(url) = test_url() else { return };
    let (target, _guard) = fresh_schema(&url).await;
    moves_row_for_row(&target).await;
}

async fn moves_row_for_row(database: &str) {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite://{}", dir.path().join("source.db").display());
    let app = TestApp::over_store(open(&source).await).await;
    let (acme, owner) = seed(&app).await;
    let dump = export(&source, &[]).await;
    let header: Value = serde_json::from_str(dump.lines().next().unwrap()).unwrap();
    assert_eq!(header["tenantry_dump"], 1);
    assert_eq!(header["scope"], "all");
    for table in [
        "accounts",
        "users",
        "devices",
        "invitations",
        "user_secrets",
        "audit_log",
        "api_tokens",
    ] {
        let holds = dump.contains(&format!("\"table\":\"{table}\""));
        assert!(holds, "no {table} rows in the dump:\n{dump}");
    }
    assert!(!dump.contains(PASSWORD), "passwords are only ever hashed");
    assert!(!dump.contains(&owner), "tokens are only ever hashed");

    let (ok, _, stderr) = tenantry(&["import", "--database", database], dump.as_bytes()).await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("users: 4 rows, 4 new"), "{stderr}");
    // Into an empty installation, indexes are built once after loading.
    assert!(
        stderr.contains("indexes will be built after loading"),
        "{stderr}"
    );
    // Row for row the same, read back from the other store.
    let again = export(database, &[]).await;
    assert_eq!(rows(&again), rows(&dump));
    // Importing again is harmless: everything is already there.
    let (ok, _, stderr) = tenantry(&["import", "--database", database], dump.as_bytes()).await;
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("users: 4 rows, 0 new, 4 already there"),
        "{stderr}"
    );
    assert!(!stderr.contains("indexes will be built"), "{stderr}");
    assert_eq!(rows(&export(database, &[]).await), rows(&dump));

    // The password hash, the service token and the ids work on the other store.
    let moved = TestApp::over_store(open(database).await).await;
    let token = moved.login("ann@acme.test").await;
    let me = moved.get("/api/me", &token).await.expect(StatusCode::OK);
    assert_eq!(me["account"]["id"], acme, "{me}");
    let reply = moved
        .call(
            Method::GET,
            &format!("/api/accounts/{acme}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // Free-text search finds moved users, and users created after the move.
    moved.user(acme, "zed.after@acme.test", "user").await;
    for (term, email) in [
        ("ann@acm", "ann@acme.test"),
        ("ed.aft", "zed.after@acme.test"),
    ] {
        let found = moved
            .get(&format!("/api/users?q={term}"), &owner)
            .await
            .expect(StatusCode::OK);
        assert_eq!(found["data"][0]["email"], email, "{term}: {found}");
    }
    // New rows get fresh ids past the imported ones.
    let fresh = moved.account(None, "After the move", 1).await;
    let largest = rows(&dump)
        .iter()
        .filter(|l| l.contains("\"table\":\"accounts\""))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok()?["row"]["id"].as_i64())
        .max()
        .unwrap();
    assert!(fresh > largest, "{fresh} after {largest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_dump_holds_that_tenant_alone() {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite://{}", dir.path().join("tenant.db").display());
    let app = TestApp::over_store(open(&source).await).await;
    let (acme, owner) = seed(&app).await;
    let dump = export(&source, &["--tenant", &acme.to_string()]).await;
    for line in rows(&dump) {
        let entry: Value = serde_json::from_str(line).unwrap();
        let row = &entry["row"];
        if let Some(tenant) = row.get("tenant_id").and_then(Value::as_i64) {
            assert_eq!(tenant, acme, "{line}");
        }
        assert_ne!(entry["table"], "api_tokens", "installation rows stay out");
    }
    assert!(!dump.contains("globex"), "{dump}");
    assert!(dump.contains("ann@acme.test"));
    // Only roots are tenants.
    let west = app
        .get(&format!("/api/accounts/{acme}/children"), &owner)
        .await
        .expect(StatusCode::OK);
    let west = west["data"][0]["id"].as_i64().unwrap().to_string();
    let (ok, _, stderr) =
        tenantry(&["export", "--database", &source, "--tenant", &west], b"").await;
    assert!(!ok);
    assert!(stderr.contains("is not a tenant"), "{stderr}");
}

#[tokio::test]
async fn broken_dumps_are_refused_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite://{}", dir.path().join("broken-src.db").display());
    let app = TestApp::over_store(open(&source).await).await;
    seed(&app).await;
    let dump = export(&source, &[]).await;
    let database = format!("sqlite://{}", dir.path().join("broken.db").display());
    // Cut off: no footer.
    let cut: String = dump.lines().take(5).map(|l| format!("{l}\n")).collect();
    let (ok, _, stderr) = tenantry(&["import", "--database", &database], cut.as_bytes()).await;
    assert!(!ok);
    assert!(stderr.contains("without its footer"), "{stderr}");
    // A row of the wrong shape names its line and column.
    let bad = dump.replacen("\"device_seats\":20", "\"device_seats\":\"twenty\"", 1);
    let (ok, _, stderr) = tenantry(&["import", "--database", &database], bad.as_bytes()).await;
    assert!(!ok);
    assert!(
        stderr.contains("accounts.device_seats must be an integer"),
        "{stderr}"
    );
    let (ok, _, stderr) = tenantry(&["import", "--database", &database], b"{\"hello\": 1}\n").await;
    assert!(!ok);
    assert!(stderr.contains("not a Tenantry dump"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_rfc3339_cannot_write_are_refused_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let target = format!("sqlite://{}", dir.path().join("target.db").display());
    refuses_times_rfc3339_cannot_write(&target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_rfc3339_cannot_write_are_refused_on_postgres() {
    let Some(url) = test_url() else { return };
    let (target, _guard) = fresh_schema(&url).await;
    refuses_times_rfc3339_cannot_write(&target).await;
}

/// A time RFC 3339 cannot write back in UTC (`0000-01-01T00:00:00+01:00`, the year -1 in UTC)
/// is not a time: the import names the column and leaves the database as it was.
async fn refuses_times_rfc3339_cannot_write(target: &str) {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite://{}", dir.path().join("source.db").display());
    let app = TestApp::over_store(open(&source).await).await;
    seed(&app).await;
    let dump = export(&source, &[]).await;
    let start = dump.find("\"created_at\":\"").unwrap() + "\"created_at\":\"".len();
    let end = start + dump[start..].find('"').unwrap();
    let bad = format!(
        "{}0000-01-01T00:00:00+01:00{}",
        &dump[..start],
        &dump[end..]
    );
    let before = rows(&export(target, &[]).await).join("\n");
    let (ok, _, stderr) = tenantry(&["import", "--database", target], bad.as_bytes()).await;
    assert!(!ok);
    assert!(
        stderr.contains(".created_at must be an RFC 3339 time"),
        "{stderr}"
    );
    assert_eq!(rows(&export(target, &[]).await).join("\n"), before);
}

/// Another installation's database is not a place to load a dump into blindly: its own
/// installation key, or its own account under an id of the dump's, stops the import before
/// anything of that batch is written, naming the row.
#[tokio::test]
async fn importing_over_other_records_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite://{}", dir.path().join("keys-src.db").display());
    let target = format!("sqlite://{}", dir.path().join("keys-dst.db").display());
    let key = open(&source)
        .await
        .installation_secret("signing")
        .await
        .unwrap();
    let other = open(&target)
        .await
        .installation_secret("signing")
        .await
        .unwrap();
    assert_ne!(key, other);
    let dump = export(&source, &[]).await;
    assert!(
        dump.contains("\"table\":\"installation_secrets\""),
        "{dump}"
    );
    let (ok, _, stderr) = tenantry(&["import", "--database", &target], dump.as_bytes()).await;
    assert!(!ok);
    assert!(
        stderr.contains("installation_secrets \"signing\" is already there with other values"),
        "{stderr}"
    );

    // Two installations that each have an account 1, with other tenants in them.
    let source = format!("sqlite://{}", dir.path().join("acme.db").display());
    let target = format!("sqlite://{}", dir.path().join("globex.db").display());
    let acme = TestApp::over_store(open(&source).await).await;
    let acme_root = acme.account(None, "Acme", 5).await;
    acme.user(acme_root, "ann@acme.test", "owner").await;
    let globex = TestApp::over_store(open(&target).await).await;
    let globex_root = globex.account(None, "Globex", 5).await;
    assert_eq!(
        acme_root, globex_root,
        "both installations begin at the same id"
    );
    let dump = export(&source, &["--tenant", &acme_root.to_string()]).await;
    let (ok, _, stderr) = tenantry(&["import", "--database", &target], dump.as_bytes()).await;
    assert!(!ok);
    assert!(
        stderr.contains(&format!("accounts {acme_root} is already there")),
        "{stderr}"
    );
    // Ann did not land in Globex.
    let users = globex
        .get(&format!("/api/accounts/{globex_root}/users"), &globex.owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(users["data"].as_array().unwrap().len(), 0, "{users}");
}
