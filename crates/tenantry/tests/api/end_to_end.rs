//! The real binary, started as a newcomer would: bootstrap a token from the CLI, serve on port
//! 0, walk the README tour over real HTTP, then stop it with SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_tenantry");

/// Kills the server if a test fails before stopping it.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(database: &str) -> Server {
    let mut child = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start tenantry serve");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap();
    Server { child, address }
}

/// A minimal HTTP/1.1 exchange over one connection.
fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, payload) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let payload = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(payload)
    } else {
        payload.to_owned()
    };
    let json = if payload.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&payload).unwrap()
    };
    (status, json)
}

fn dechunk(mut payload: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = payload.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        payload = &rest[size + 2..];
    }
    out
}

#[test]
fn the_readme_tour_works_against_the_real_binary() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("tour.db").display());
    let output = Command::new(BINARY)
        .args([
            "token",
            "create",
            "--role",
            "owner",
            "--name",
            "bootstrap",
            "--database",
            &database,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "the token alone on one line: {stdout:?}"
    );
    let owner = stdout.trim().to_owned();
    assert!(owner.starts_with("tnt_st_"));

    let mut server = start(&database);
    let at = server.address;
    assert_eq!(http(at, "GET", "/healthz", None, None).0, 200);
    let (status, org) = http(
        at,
        "POST",
        "/api/accounts",
        Some(&owner),
        Some(json!({"name": "Acme", "device_seats": 10})),
    );
    assert_eq!(status, 201, "{org}");
    let org_id = org["id"].as_i64().unwrap();
    let (status, user) = http(
        at,
        "POST",
        &format!("/api/accounts/{org_id}/users"),
        Some(&owner),
        Some(
            json!({"email": "ann@acme.example", "role": "owner", "password": "a long passphrase"}),
        ),
    );
    assert_eq!(status, 201, "{user}");
    let (status, tokens) = http(
        at,
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"email": "ann@acme.example", "password": "a long passphrase"})),
    );
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let (status, me) = http(at, "GET", "/api/me", Some(access), None);
    assert_eq!(status, 200);
    assert_eq!(me["user"]["email"], "ann@acme.example");
    let (status, _) = http(at, "GET", "/api/openapi.json", None, None);
    assert_eq!(status, 200);

    // SIGTERM: a graceful stop with exit status 0.
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = server.child.wait().unwrap();
    assert!(status.success(), "exit status after SIGTERM: {status}");

    // The data outlives the process.
    let server = start(&database);
    let (status, me) = http(server.address, "GET", "/api/me", Some(access), None);
    assert_eq!(status, 200, "{me}");
}

#[test]
fn an_unusable_database_url_fails_fast_with_a_clear_message() {
    let output = Command::new(BINARY)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            "mysql://nope",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
}
