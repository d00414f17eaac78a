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
        stat_cpu_seconds(&stat)
    }

    /// CPU time so far of the server's threads whose names begin with `prefix`, in seconds;
    /// `None` if it has no such thread (or is not a local child).
    pub fn threads_cpu_seconds(&self, prefix: &str) -> Option<f64> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid?)).ok()?;
        let mut total = None;
        for task in tasks.flatten() {
            let dir = task.path();
            let named = std::fs::read_to_string(dir.join("comm"))
                .is_ok_and(|name| name.starts_with(prefix));
            if !named {
                continue;
            }
            // Nanoseconds on a CPU from `schedstat`; the coarser clock ticks of `stat` where
            // the kernel keeps no scheduler statistics. A thread gone meanwhile adds nothing.
            let seconds = std::fs::read_to_string(dir.join("schedstat"))
                .ok()
                .and_then(|s| schedstat_cpu_seconds(&s))
                .or_else(|| {
                    let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
                    stat_cpu_seconds(&stat)
                });
            if let Some(seconds) = seconds {
                total = Some(total.unwrap_or(0.0) + seconds);
            }
        }
        total
    }
}

/// User plus system time from a `/proc/…/stat` line. The fields after the command name (which
/// may hold spaces) are space-separated; utime and stime are the 14th and 15th fields, counted
/// in clock ticks (100 per second on Linux).
fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Time on a CPU from a `/proc/…/schedstat` line: its first field, in nanoseconds (then the
/// time spent waiting for a CPU, and the number of time slices).
fn schedstat_cpu_seconds(schedstat: &str) -> Option<f64> {
    let nanoseconds: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(nanoseconds as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_from_stat_and_schedstat_lines() {
        // A thread name with spaces and a parenthesis, as `comm` allows.
        let stat = "4242 (tokio rt) x) S 1 4242 4242 0 -1 4194368 900 0 0 0 1234 56 0 0 20 0 3 0";
        assert_eq!(stat_cpu_seconds(stat), Some(12.9));
        assert_eq!(stat_cpu_seconds("4242 (cut short"), None);
        assert_eq!(
            schedstat_cpu_seconds("27500000000 180000000 5123\n"),
            Some(27.5)
        );
        assert_eq!(schedstat_cpu_seconds(""), None);
    }

    #[test]
    fn the_cpu_time_of_the_threads_named_so_is_read() {
        let me = Server {
            address: "127.0.0.1:1".parse().unwrap(),
            pid: Some(std::process::id()),
            _child: None,
        };
        assert_eq!(me.threads_cpu_seconds("no-thread-is-named-so"), None);
        let (spun, done_spinning) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let named = std::thread::Builder::new()
            .name("bench-test-spin".into())
            .spawn(move || {
                let started = std::time::Instant::now();
                while started.elapsed() < Duration::from_millis(30) {
                    std::hint::black_box(0);
                }
                spun.send(()).unwrap();
                // Alive until read: a thread that has ended is no longer listed.
                let _ = released.recv();
            })
            .unwrap();
        done_spinning.recv().unwrap();
        let spent = me.threads_cpu_seconds("bench-test-sp");
        drop(release);
        named.join().unwrap();
        assert!(spent.is_some_and(|s| s > 0.0), "{spent:?}");
    }
}
