//! The real `tenantry` binary as a child process, and a minimal HTTP/1.1 client to talk to it.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

pub const BINARY: &str = env!("CARGO_BIN_EXE_tenantry");

/// A running `tenantry serve`; killed if still running when dropped.
pub struct Server {
    pub child: Child,
    pub address: SocketAddr,
}

impl Server {
    /// Starts `tenantry serve --listen 127.0.0.1:0 --database URL EXTRA…` and waits for its
    /// `listening on` line.
    pub async fn start(database: &str, extra: &[&str]) -> Server {
        Self::spawn(database, extra, "warn", Stdio::inherit()).await
    }

    /// Like [`Server::start`], logging at `info` into `log` (to check what logs contain).
    pub async fn start_logging_to(database: &str, log: &std::path::Path, extra: &[&str]) -> Server {
        let file = std::fs::File::create(log).unwrap();
        Self::spawn(database, extra, "info", Stdio::from(file)).await
    }

    async fn spawn(database: &str, extra: &[&str], level: &str, stderr: Stdio) -> Server {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .args(extra)
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .expect("start tenantry serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(60),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("server announced its address in time")
        .unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .parse()
            .unwrap();
        Server { child, address }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        http(self.address, method, path, token, body).await
    }

    /// Sends SIGTERM and waits for the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().unwrap().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(killed.success());
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("server stopped in time")
            .unwrap()
    }
}

/// Runs `tenantry ARGS…` to completion: (success, stdout, stderr).
pub async fn run(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BINARY).args(args).output().await.unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// A service owner token for `database`, made by `tenantry token create` as an operator would.
pub async fn owner_token(database: &str) -> String {
    let (ok, owner, stderr) =
        run(&["token", "create", "--role", "owner", "--database", database]).await;
    assert!(ok, "{stderr}");
    owner.trim().to_owned()
}

/// One HTTP/1.1 exchange on a fresh connection: the status and the JSON body (`Null` if empty).
pub async fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    try_http(address, method, path, token, body)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Like [`http`], but a connection that fails or closes before a whole answer is an error, not
/// a panic (for servers killed on purpose).
pub async fn try_http(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> std::io::Result<(u16, Value)> {
    let authorization = token.map(|t| format!("Bearer {t}"));
    let mut headers = Vec::new();
    if let Some(authorization) = &authorization {
        headers.push(("Authorization", authorization.as_str()));
    }
    let body = body.map(|b| b.to_string());
    let (status, _, payload) = exchange(address, method, path, &headers, body.as_deref()).await?;
    let json = if payload.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&payload).map_err(|_| broken("a cut-off or non-JSON body"))?
    };
    Ok((status, json))
}

fn broken(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, what.to_owned())
}

/// One HTTP/1.1 exchange with these extra headers and a JSON body: the status, the response
/// head (status line and headers) and the body as text.
pub async fn exchange(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<(u16, String, String)> {
    let mut stream = TcpStream::connect(address).await?;
    let body = body.unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut response))
        .await
        .map_err(|_| broken("no answer in time"))??;
    let response = String::from_utf8(response).map_err(|_| broken("not UTF-8"))?;
    let (head, payload) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| broken("no complete answer"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| broken("no status line"))?;
    let payload = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(payload)
    } else {
        payload.to_owned()
    };
    Ok((status, head.to_owned(), payload))
}

fn dechunk(mut payload: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = payload.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let (Some(chunk), Some(next)) = (rest.get(..size), rest.get(size + 2..)) else {
            break;
        };
        if size == 0 {
            break;
        }
        out.push_str(chunk);
        payload = next;
    }
    out
}
