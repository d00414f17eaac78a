//! Many Tenantry instances on one PostgreSQL: tokens and revocations cross instances at once, a
//! storm of conflicting writes split across two servers breaks no invariant, and a database lost
//! while running answers 503 and then recovers. Skipped unless `TENANTRY_TEST_POSTGRES_URL` is
//! set.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenantry_core::store::Store;
use tenantry_store_postgres::test_support::{SchemaGuard, fresh_schema, test_url};
use tenantry_store_postgres::{PostgresOptions, PostgresStore};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::process::{Server, http, owner_token};

struct Cluster {
    servers: [Server; 2],
    owner: String,
    url: String,
    _schema: SchemaGuard,
}

async fn cluster() -> Option<Cluster> {
    let url = test_url()?;
    let (scoped, schema) = fresh_schema(&url).await;
    let owner = owner_token(&scoped).await;
    let (first, second) = tokio::join!(
        Server::start(&scoped, &["--db-pool-size", "8"]),
        Server::start(&scoped, &["--db-pool-size", "8"])
    );
    Some(Cluster {
        servers: [first, second],
        owner,
        url: scoped,
        _schema: schema,
    })
}

async fn login(server: &Server, email: &str) -> (String, String) {
    let (status, tokens) = server
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": "a long passphrase"})),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    (
        tokens["access_token"].as_str().unwrap().to_owned(),
        tokens["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_and_revocations_cross_instances_at_once() {
    let Some(cluster) = cluster().await else {
        return;
    };
    let [one, two] = &cluster.servers;
    let owner = Some(cluster.owner.as_str());
    let (status, org) = one
        .call(
            "POST",
            "/api/accounts",
            owner,
            Some(json!({"name": "Acme"})),
        )
        .await;
    assert_eq!(status, 201);
    let org = org["id"].as_i64().unwrap();
    let body = json!({"email": "ann@acme.example", "password": "a long passphrase"});
    assert_eq!(
        two.call(
            "POST",
            &format!("/api/accounts/{org}/users"),
            owner,
            Some(body)
        )
        .await
        .0,
        201
    );

    // (a) A token issued by one server works on the other.
    let (access, refresh) = login(one, "ann@acme.example").await;
    assert_eq!(two.call("GET", "/api/me", Some(&access), None).await.0, 200);
    let (status, renewed) = two
        .call(
            "POST",
            "/api/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(one.call("GET", "/api/me", Some(&access), None).await.0, 401);
    let access = renewed["access_token"].as_str().unwrap();
    assert_eq!(one.call("GET", "/api/me", Some(access), None).await.0, 200);

    // (b) A logout on one takes effect on the other at once.
    assert_eq!(
        two.call("POST", "/api/auth/logout", Some(access), None)
            .await
            .0,
        204
    );
    assert_eq!(one.call("GET", "/api/me", Some(access), None).await.0, 401);

    // (b) So does an account suspension.
    let (access, _) = login(two, "ann@acme.example").await;
    assert_eq!(one.call("GET", "/api/me", Some(&access), None).await.0, 200);
    let (status, _) = two
        .call(
            "PATCH",
            &format!("/api/accounts/{org}"),
            owner,
            Some(json!({"status": "suspended"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(one.call("GET", "/api/me", Some(&access), None).await.0, 401);
    let (status, body) = one
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": "ann@acme.example", "password": "a long passphrase"})),
        )
        .await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_storm_across_instances_keeps_every_invariant() {
    let Some(cluster) = cluster().await else {
        return;
    };
    let owner = cluster.owner.clone();
    let [one, two] = &cluster.servers;
    let (_, root) = one
        .call(
            "POST",
            "/api/accounts",
            Some(&owner),
            Some(json!({"name": "Acme", "device_seats": 200})),
        )
        .await;
    let root = root["id"].as_i64().unwrap();
    let mut children = Vec::new();
    for i in 0..5 {
        let body = json!({"parent_id": root, "name": format!("C{i}"), "device_seats": 10});
        let (status, child) = two
            .call("POST", "/api/accounts", Some(&owner), Some(body))
            .await;
        assert_eq!(status, 201, "{child}");
        children.push(child["id"].as_i64().unwrap());
    }

    let addresses = [one.address, two.address];
    let mut storm = Vec::new();
    for i in 0..360_usize {
        let address = addresses[i % 2];
        let owner = owner.clone();
        let child = children[i % children.len()];
        storm.push(tokio::spawn(async move {
            let post = |path: String, body: Value| {
                let owner = owner.clone();
                async move { http(address, "POST", &path, Some(&owner), Some(body)).await }
            };
            let mut statuses = Vec::new();
            let kind = i % 3;
            match kind {
                // Seat moves between the parent and its children, in both directions.
                0 => {
                    let seats = if i % 2 == 0 { 7 } else { -6 };
                    let body = json!({"child_id": child, "seats": seats});
                    statuses.push(post(format!("/api/accounts/{root}/seats"), body).await);
                }
                // Users created with the same dozen emails from both servers.
                1 => {
                    let body = json!({"email": format!("user{}@storm.example", (i / 3) % 12)});
                    statuses.push(post(format!("/api/accounts/{child}/users"), body).await);
                }
                // Child accounts created and deleted under one parent.
                _ => {
                    let body =
                        json!({"parent_id": root, "name": format!("T{i}"), "device_seats": 3});
                    let (status, created) = post("/api/accounts".to_owned(), body).await;
                    statuses.push((status, created.clone()));
                    if let Some(id) = created["id"].as_i64() {
                        // Deleted through the other server.
                        let other = addresses[(i + 1) % 2];
                        let path = format!("/api/accounts/{id}");
                        statuses.push(http(other, "DELETE", &path, Some(&owner), None).await);
                    }
                }
            }
            (kind, statuses)
        }));
    }
    let mut counts = std::collections::BTreeMap::new();
    // Writes of each kind that went through: seat moves, users, temporary accounts.
    let mut done = [0_usize; 3];
    for task in storm {
        let (kind, statuses) = task.await.unwrap();
        if statuses.first().is_some_and(|(status, _)| *status < 300) {
            done[kind] += 1;
        }
        for (status, body) in statuses {
            assert!(
                matches!(status, 200 | 201 | 204 | 409 | 422),
                "a conflicting write must fail cleanly, got {status}: {body}"
            );
            *counts.entry(status).or_insert(0) += 1;
        }
    }
    // Every kind of write got through, so the storm raced real writes, not only refusals. How
    // many seat moves and accounts find seats free depends on how the requests interleave (37
    // of the 120 accounts in the CI run that failed a threshold of 39), so no count beyond one
    // is certain; the users' count is, and is checked below.
    assert!(
        done.iter().all(|&n| n > 0),
        "every kind of write went through: {done:?}, {counts:?}"
    );

    // Every invariant, recomputed in SQL from the rows.
    let store = PostgresStore::connect(&cluster.url, &PostgresOptions::default())
        .await
        .unwrap();
    let violations = store.invariant_violations().await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
    let (_, root_now) = one
        .call("GET", &format!("/api/accounts/{root}"), Some(&owner), None)
        .await;
    assert_eq!(root_now["device_seats"], 200, "seats are conserved");
    assert!(root_now["free_seats"].as_i64().unwrap() >= 0);
    let (_, users) = one
        .call(
            "GET",
            &format!("/api/accounts/{root}/users?subtree=true&limit=1000"),
            Some(&owner),
            None,
        )
        .await;
    let emails: Vec<&str> = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    let unique: std::collections::BTreeSet<&str> = emails.iter().copied().collect();
    assert_eq!(emails.len(), 12, "each email exactly once: {emails:?}");
    assert_eq!(unique.len(), 12);
    let (_, left) = one
        .call(
            "GET",
            &format!("/api/accounts/{root}/children?depth=all&limit=1000"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        left["data"].as_array().unwrap().len(),
        children.len(),
        "every temporary child is gone"
    );
}

/// A TCP proxy in front of PostgreSQL that the test can cut and restore.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cuts, watcher) = watch::channel(0_u64);
        let accepting = up.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    continue; // dropped: the database is "down"
                }
                let upstream = upstream.clone();
                let mut cut = watcher.clone();
                // Only cuts after this connection opened concern it.
                cut.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy { port, up, cuts }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `host:port` of a postgres URL, and the URL with that part replaced.
fn reroute(url: &str, port: u16) -> (String, String) {
    let start = url
        .find('@')
        .map_or_else(|| url.find("://").unwrap() + 3, |at| at + 1);
    let end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| start + i);
    let mut host = url[start..end].to_owned();
    if !host.contains(':') {
        host.push_str(":5432");
    }
    let rerouted = format!("{}127.0.0.1:{port}{}", &url[..start], &url[end..]);
    (host, rerouted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_database_gives_503_then_recovers() {
    let Some(url) = test_url() else { return };
    let (scoped, _schema) = fresh_schema(&url).await;
    let (upstream, _) = reroute(&scoped, 0);
    let proxy = Proxy::start(upstream).await;
    let (_, via_proxy) = reroute(&scoped, proxy.port);
    let owner = &owner_token(&via_proxy).await;
    let server = Server::start(&via_proxy, &["--db-connect-timeout", "1"]).await;
    assert_eq!(
        server.call("GET", "/api/me", Some(owner), None).await.0,
        200
    );

    proxy.cut();
    let (status, body) = server.call("GET", "/api/me", Some(owner), None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "unavailable");
    let (status, body) = server
        .call(
            "POST",
            "/api/accounts",
            Some(owner),
            Some(json!({"name": "During outage"})),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        server.call("GET", "/healthz", None, None).await.0,
        200,
        "liveness needs no database"
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = server.call("GET", "/api/me", Some(owner), None).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "only 503 while reconnecting");
        assert!(Instant::now() < deadline, "did not recover within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, _) = server
        .call(
            "POST",
            "/api/accounts",
            Some(owner),
            Some(json!({"name": "After outage"})),
        )
        .await;
    assert_eq!(status, 201);
}
