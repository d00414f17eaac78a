//! Crash safety: the server is killed with SIGKILL in the middle of a storm of writes, started
//! again on the same database, and every write it acknowledged is there, every invariant holds
//! (`tenantry check`), and seats are conserved. On SQLite, and on PostgreSQL when available.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenantry_store_postgres::test_support::{fresh_schema, test_url};
use tokio::sync::Mutex;

use crate::process::{Server, owner_token, run, try_http};

/// Rate limits off: the storm is the point.
const FLAGS: &[&str] = &["--rate-per-address", "0", "--rate-per-credential", "0"];
const ROOT_SEATS: i64 = 10_000;
/// Acknowledged writes after which the server is killed.
const KILL_AFTER: usize = 120;

/// What the server said it did.
#[derive(Default)]
struct Acknowledged {
    users: Vec<(i64, String)>,
    accounts: Vec<i64>,
    /// Seats each child was acknowledged to hold: its 2 at creation plus one per move.
    seats: std::collections::HashMap<i64, i64>,
}

async fn crash_mid_storm(database: &str) {
    let owner = owner_token(database).await;
    let mut server = Server::start(database, FLAGS).await;
    let body = json!({ "name": "Acme", "device_seats": ROOT_SEATS });
    let (status, root) = server
        .call("POST", "/api/accounts", Some(&owner), Some(body))
        .await;
    assert_eq!(status, 201, "{root}");
    let root = root["id"].as_i64().unwrap();

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let count = Arc::new(AtomicUsize::new(0));
    let address = server.address;
    let mut workers = Vec::new();
    for worker in 0..8 {
        let (owner, acknowledged, count) = (owner.clone(), acknowledged.clone(), count.clone());
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let post = |path: String, body: Value| {
                    let owner = owner.clone();
                    async move { try_http(address, "POST", &path, Some(&owner), Some(body)).await }
                };
                let answer = match i % 3 {
                    0 => {
                        let email = format!("w{worker}-{i}@crash.test");
                        let body = json!({ "email": email, "role": "user" });
                        let answer = post(format!("/api/accounts/{root}/users"), body).await;
                        if let Ok((201, user)) = &answer {
                            let id = user["id"].as_i64().unwrap();
                            acknowledged.lock().await.users.push((id, email));
                        }
                        answer
                    }
                    1 => {
                        let body = json!({ "parent_id": root, "name": format!("w{worker}-{i}"), "device_seats": 2 });
                        let answer = post("/api/accounts".to_owned(), body).await;
                        if let Ok((201, account)) = &answer {
                            let id = account["id"].as_i64().unwrap();
                            let mut acknowledged = acknowledged.lock().await;
                            acknowledged.accounts.push(id);
                            acknowledged.seats.insert(id, 2);
                        }
                        answer
                    }
                    _ => {
                        let Some(&child) = acknowledged.lock().await.accounts.last() else {
                            continue;
                        };
                        let body = json!({ "child_id": child, "seats": 1 });
                        let answer = post(format!("/api/accounts/{root}/seats"), body).await;
                        if let Ok((200, _)) = &answer {
                            *acknowledged.lock().await.seats.entry(child).or_default() += 1;
                        }
                        answer
                    }
                };
                match answer {
                    Ok((status, body)) => {
                        assert!(status < 500, "no 5xx while the server lives: {status} {body}");
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    // The server is gone: this worker is done.
                    Err(_) => return,
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while count.load(Ordering::Relaxed) < KILL_AFTER {
        assert!(Instant::now() < deadline, "the storm did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.start_kill().unwrap();
    let status = server.child.wait().await.unwrap();
    assert!(!status.success(), "killed, not exited: {status:?}");
    for worker in workers {
        worker.await.unwrap();
    }

    let acknowledged = acknowledged.lock().await;
    assert!(acknowledged.users.len() + acknowledged.accounts.len() >= KILL_AFTER / 2);
    let (ok, report, stderr) = run(&["check", "--database", database]).await;
    assert!(ok, "invariants after the crash: {report}{stderr}");
    let server = Server::start(database, FLAGS).await;
    for (id, email) in &acknowledged.users {
        let (status, user) = server
            .call("GET", &format!("/api/users/{id}"), Some(&owner), None)
            .await;
        assert_eq!(status, 200, "acknowledged user {id} lost");
        assert_eq!(user["email"], email.as_str());
    }
    let mut children_seats = 0;
    for id in &acknowledged.accounts {
        let (status, account) = server
            .call("GET", &format!("/api/accounts/{id}"), Some(&owner), None)
            .await;
        assert_eq!(status, 200, "acknowledged account {id} lost");
        // Moves only add seats, so a child holds at least what was acknowledged (a move in
        // flight at the kill may have landed too).
        let held = account["device_seats"].as_i64().unwrap();
        assert!(
            held >= acknowledged.seats[id],
            "account {id}: {held} seats, acknowledged {}",
            acknowledged.seats[id]
        );
        children_seats += held;
    }
    let (_, children) = server
        .call(
            "GET",
            &format!("/api/accounts/{root}/children?limit=1000"),
            Some(&owner),
            None,
        )
        .await;
    let all_children: i64 = children["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["device_seats"].as_i64().unwrap())
        .sum();
    assert!(all_children >= children_seats);
    let (_, root_now) = server
        .call("GET", &format!("/api/accounts/{root}"), Some(&owner), None)
        .await;
    assert_eq!(root_now["device_seats"], ROOT_SEATS, "seats are conserved");
    assert_eq!(
        root_now["free_seats"].as_i64().unwrap(),
        ROOT_SEATS - all_children
    );
    // Writing still works after the restart.
    let body = json!({ "email": "after@crash.test", "role": "user" });
    let (status, _) = server
        .call(
            "POST",
            &format!("/api/accounts/{root}/users"),
            Some(&owner),
            Some(body),
        )
        .await;
    assert_eq!(status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_a_kill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("crash.db").display());
    crash_mid_storm(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_a_kill_on_postgres() {
    let Some(url) = test_url() else { return };
    let (scoped, _schema) = fresh_schema(&url).await;
    crash_mid_storm(&scoped).await;
}
