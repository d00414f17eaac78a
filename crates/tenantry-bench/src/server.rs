//! The Tenantry server under test: started as a child process (or reached at `--url`), and
//! watched through `/proc` for its resident memory and CPU time.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Server {
    pub address: SocketAddr,
    pub pid: Option<u32>,
    _child: Option<Child>,
}

/// The `tenantry` binary next to this one (both come out of `cargo build --release`).
pub fn default_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name("tenantry");
    if !path.exists() {
        bail!(
            "no tenantry binary at {}; build it (cargo build --release) or pass --tenantry",
            path.display()
        );
    }
    Ok(path)
}

/// Runs `tenantry ARGS…` to completion and returns its stdout.
pub async fn run(binary: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(binary).args(args).output().await?;
    if !output.status.success() {
        bail!(
            "tenantry {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}

impl Server {
    pub async fn start(binary: &Path, database: &str) -> anyhow::Result<Server> {
        let mut child = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            // Measure the service, not its rate limiter: every request comes from one address
            // with a handful of tokens, which the default limits would answer with 429.
            .args(["--rate-per-address", "0", "--rate-per-credential", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(120),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .context("the server did not start within 120 s")??;
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("unexpected first line {line:?}"))?
            .parse()?;
        Ok(Server {
            address,
            pid: child.id(),
            _child: Some(child),
        })
    }

    pub fn external(address: SocketAddr) -> Server {
        Server {
            address,
            pid: None,
            _child: None,
        }
    }

    /// Resident memory in KiB, if the server is a local child.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// User plus system CPU time so far, in seconds.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid?)).ok()?;
        // Fields after the command name (which may hold spaces) are space-separated; utime and
        // stime are the 14th and 15th fields, counted in clock ticks (100 per second on Linux).
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / 100.0)
    }
}
