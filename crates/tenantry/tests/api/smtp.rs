//! Mail delivered by a real SMTP server process (Python's aiosmtpd, writing a Maildir): an
//! invitation is accepted by following the link in the delivered message, and mails queued
//! while the mail server is down all arrive, exactly once each, after it comes back — with two
//! Tenantry servers draining one outbox.
//!
//! Skipped (passing) when aiosmtpd is not installed, unless `TENANTRY_TEST_SMTP_REQUIRED=1`
//! (CI installs it and sets that).

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use tenantry_store_postgres::test_support::{fresh_schema, test_url};

use crate::process::{Server, http, owner_token, run};

const REQUIRED_VAR: &str = "TENANTRY_TEST_SMTP_REQUIRED";

fn aiosmtpd_installed() -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        let required = std::env::var(REQUIRED_VAR).is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{REQUIRED_VAR}=1 but aiosmtpd is not installed (pip install aiosmtpd)"
        );
        eprintln!("skipped: install aiosmtpd (pip install aiosmtpd) to run the SMTP tests");
    }
    found
}

/// An aiosmtpd process storing what it receives in a Maildir.
struct MailSink {
    child: Child,
    maildir: PathBuf,
}

impl MailSink {
    async fn start(address: SocketAddr, maildir: &Path) -> MailSink {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &address.to_string()])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(address).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        MailSink {
            child,
            maildir: maildir.to_owned(),
        }
    }

    async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }

    /// Every message received so far, decoded enough to read (quoted-printable undone).
    fn messages(&self) -> Vec<String> {
        let mut found = Vec::new();
        for folder in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(folder)) else {
                continue;
            };
            for entry in entries {
                let raw = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                found.push(decode_quoted_printable(&raw));
            }
        }
        found
    }

    /// How many messages each recipient got.
    fn per_recipient(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for message in self.messages() {
            let to = message
                .lines()
                .find_map(|l| l.strip_prefix("To: "))
                .unwrap()
                .trim()
                .to_owned();
            *counts.entry(to).or_default() += 1;
        }
        counts
    }
}

fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Polls `check` until it holds, failing after a generous deadline.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn form_post(address: SocketAddr, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = serde_urlencoded::to_string(form).unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    (status, response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_arrive_by_smtp_and_survive_an_outage_on_sqlite() {
    if !aiosmtpd_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("mail.db").display());
    invitations_arrive_and_survive_an_outage(&database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_arrive_by_smtp_and_survive_an_outage_on_postgres() {
    let Some(url) = test_url() else { return };
    if !aiosmtpd_installed() {
        return;
    }
    let (scoped, _schema) = fresh_schema(&url).await;
    invitations_arrive_and_survive_an_outage(&scoped).await;
}

async fn invitations_arrive_and_survive_an_outage(database: &str) {
    let dir = tempfile::tempdir().unwrap();
    let smtp = free_address();
    let sink = MailSink::start(smtp, &dir.path().join("maildir")).await;
    let smtp_url = format!("smtp://{smtp}");
    let flags = [
        "--smtp-url",
        &smtp_url,
        "--mail-from",
        "Acme Accounts <accounts@acme.test>",
        "--mail-retry-seconds",
        "1",
        "--mail-retry-max-seconds",
        "1",
        "--mail-poll-ms",
        "50",
    ];
    let owner = owner_token(database).await;
    let one = Server::start(database, &flags).await;
    let two = Server::start(database, &flags).await;

    let (status, account) = one
        .call(
            "POST",
            "/api/accounts",
            Some(&owner),
            Some(json!({ "name": "Acme" })),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    let acme = account["id"].as_i64().unwrap();
    let admin =
        json!({ "email": "admin@acme.test", "role": "admin", "password": "admin passphrase" });
    let (status, _) = one
        .call(
            "POST",
            &format!("/api/accounts/{acme}/users"),
            Some(&owner),
            Some(admin),
        )
        .await;
    assert_eq!(status, 201);
    let login = json!({ "email": "admin@acme.test", "password": "admin passphrase" });
    let (_, tokens) = one.call("POST", "/api/auth/login", None, Some(login)).await;
    let admin = tokens["access_token"].as_str().unwrap().to_owned();

    // Invite through the native API and through Ioto's sendInvite.
    let (status, body) = one
        .call(
            "POST",
            &format!("/api/accounts/{acme}/invitations"),
            Some(&admin),
            Some(json!({ "email": "ann@acme.test" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let ioto = json!({ "email": "ivo@acme.test", "role": "user", "sendInvite": true });
    let (status, body) = http(
        two.address,
        "POST",
        "/compat/ioto/user/create",
        Some(&admin),
        Some(ioto),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    eventually("both invitations", || sink.messages().len() == 2).await;

    // Follow the link in Ann's mail: it leads to a server, which takes her password.
    let mail = sink
        .messages()
        .into_iter()
        .find(|m| m.contains("To: ann@acme.test"))
        .unwrap();
    assert!(
        mail.contains("From: \"Acme Accounts\" <accounts@acme.test>"),
        "{mail}"
    );
    assert!(
        mail.contains("Subject: You are invited to join Acme on Tenantry"),
        "{mail}"
    );
    assert!(mail.contains("text/html"), "{mail}");
    let link = mail
        .split_whitespace()
        .find(|w| w.starts_with("http://") && w.contains("/invitations/accept?token="))
        .unwrap_or_else(|| panic!("no link in {mail}"));
    let (base, query) = link.split_once("/invitations/accept?").unwrap();
    let server = [&one, &two]
        .into_iter()
        .find(|s| base == format!("http://{}", s.address))
        .expect("the link leads to one of the servers");
    let token = query.strip_prefix("token=").unwrap();
    let (status, page) = form_post(
        server.address,
        "/invitations/accept",
        &[
            ("token", token),
            ("password", "ann's passphrase"),
            ("confirm", "ann's passphrase"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let login = json!({ "email": "ann@acme.test", "password": "ann's passphrase" });
    let (status, _) = one.call("POST", "/api/auth/login", None, Some(login)).await;
    assert_eq!(status, 200);

    // The mail server goes away during a burst of invitations, then comes back.
    let maildir = sink.maildir.clone();
    sink.kill().await;
    for i in 0..12 {
        let server = if i % 2 == 0 { &one } else { &two };
        let body = json!({ "email": format!("burst{i}@acme.test") });
        let (status, body) = server
            .call(
                "POST",
                &format!("/api/accounts/{acme}/invitations"),
                Some(&admin),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let failing = |mails: &Value| {
        mails.as_array().unwrap().iter().any(|m| {
            m["status"] == "pending"
                && m["attempts"].as_u64().unwrap_or(0) >= 1
                && m["last_error"].is_string()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, mails) = one
            .call("GET", "/api/mail?status=pending", Some(&admin), None)
            .await;
        if failing(&mails) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no failed attempt recorded: {mails}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sink = MailSink::start(smtp, &maildir).await;
    let expected = 14;
    eventually("every queued mail", || sink.messages().len() >= expected).await;
    // Delivered means recorded as sent: once nothing is pending, nothing more can be sent.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, pending) = one
            .call("GET", "/api/mail?status=pending", Some(&admin), None)
            .await;
        if pending.as_array().unwrap().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "mails still pending: {pending}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let counts = sink.per_recipient();
    assert_eq!(counts.len(), expected, "{counts:?}");
    assert!(
        counts.values().all(|&n| n == 1),
        "each mail exactly once: {counts:?}"
    );
    let (_, sent) = one
        .call("GET", "/api/mail?status=sent", Some(&admin), None)
        .await;
    assert_eq!(sent.as_array().unwrap().len(), expected);
    let (ok, listing, _) = run(&["mail", "list", "--database", database]).await;
    assert!(ok);
    assert_eq!(
        listing.lines().filter(|l| l.contains(" sent ")).count(),
        expected
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_mails_are_logged_without_tokens_and_shown_by_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("nosmtp.db").display());
    let log = dir.path().join("server.log");
    let owner = owner_token(&database).await;
    let server = Server::start_logging_to(&database, &log, &[]).await;
    let (_, account) = server
        .call(
            "POST",
            "/api/accounts",
            Some(&owner),
            Some(json!({ "name": "Acme" })),
        )
        .await;
    let acme = account["id"].as_i64().unwrap();
    let (status, invitation) = server
        .call(
            "POST",
            &format!("/api/accounts/{acme}/invitations"),
            Some(&owner),
            Some(json!({ "email": "ann@acme.test" })),
        )
        .await;
    assert_eq!(status, 201, "{invitation}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mail_id = loop {
        let (_, mails) = server
            .call("GET", "/api/mail?status=logged", Some(&owner), None)
            .await;
        if let Some(id) = mails[0]["id"].as_i64() {
            break id;
        }
        assert!(
            Instant::now() < deadline,
            "the mail was not logged: {mails}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (ok, shown, stderr) = run(&[
        "mail",
        "show",
        &mail_id.to_string(),
        "--database",
        &database,
    ])
    .await;
    assert!(ok, "{stderr}");
    assert!(shown.contains("To: ann@acme.test"), "{shown}");
    let token = shown
        .split_whitespace()
        .find_map(|w| w.split_once("?token=").map(|(_, t)| t.to_owned()))
        .unwrap_or_else(|| panic!("no link in {shown}"));
    assert!(token.starts_with("tnt_iv_"), "{shown}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("tenantry mail show"), "{logged}");
    assert!(logged.contains("[token withheld]"), "{logged}");
    assert!(!logged.contains(&token), "the log never holds a token");
    let accept = json!({ "token": token, "password": "ann's passphrase" });
    let (status, _) = server
        .call("POST", "/api/invitations/accept", None, Some(accept))
        .await;
    assert_eq!(status, 200);
}
