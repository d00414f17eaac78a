//! Runs one scenario: a fixed number of keep-alive connections sending back to back for a fixed
//! time after a warm-up, recording every latency, while the server's memory and CPU are watched.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tenantry_core::auth::password::HASHING_THREAD_NAME;

use crate::client::Connection;
use crate::rng::Rng;
use crate::scenarios::Fixtures;
use crate::server::Server;

#[derive(Debug, Clone)]
pub struct Outcome {
    pub scenario: String,
    pub requests: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub peak_rss_mb: Option<f64>,
    pub cpu_seconds: Option<f64>,
    /// The server's password-hashing threads over the measured time, if it is a local child.
    pub hashing: Option<HashingCpu>,
}

/// CPU time the server's hashing threads took over a stretch of wall time.
#[derive(Debug, Clone, Copy)]
pub struct HashingCpu {
    pub cpu_seconds: f64,
    pub wall_seconds: f64,
}

pub struct Settings {
    pub connections: usize,
    pub duration: Duration,
    pub warmup: Duration,
}

struct WorkerResult {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

pub async fn run(
    server: &Server,
    fixtures: Arc<Fixtures>,
    scenario: &'static str,
    settings: &Settings,
) -> Outcome {
    let start = Instant::now();
    let measure_from = start + settings.warmup;
    let stop_at = measure_from + settings.duration;
    let cpu_before = server.cpu_seconds();
    let mut workers = Vec::new();
    for worker in 0..settings.connections {
        let fixtures = fixtures.clone();
        let address = server.address;
        workers.push(tokio::spawn(async move {
            let mut connection = Connection::new(address);
            let mut rng = Rng::new(0xBE7C_0000 + worker as u64);
            let mut result = WorkerResult {
                latencies_us: Vec::with_capacity(100_000),
                errors: 0,
                first_error: None,
            };
            let mut i = 0_u64;
            loop {
                let sent = Instant::now();
                if sent >= stop_at {
                    break;
                }
                let request = fixtures.request(scenario, worker, i, &mut rng);
                i += 1;
                let outcome = connection
                    .send(
                        request.method,
                        &request.path,
                        request.authorization.as_deref(),
                        request.body.as_deref(),
                    )
                    .await;
                if sent < measure_from {
                    continue;
                }
                let elapsed = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                result.latencies_us.push(elapsed);
                let failure = match outcome {
                    Ok(response) if response.status < 400 => None,
                    Ok(response) => Some(format!(
                        "{} {}",
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    )),
                    Err(error) => Some(error.to_string()),
                };
                if let Some(failure) = failure {
                    result.errors += 1;
                    result.first_error.get_or_insert(failure);
                }
            }
            result
        }));
    }
    let mut peak_rss_kib = server.rss_kib();
    watch_memory(server, measure_from, &mut peak_rss_kib).await;
    let hashing_from = (
        Instant::now(),
        server.threads_cpu_seconds(HASHING_THREAD_NAME),
    );
    watch_memory(server, stop_at, &mut peak_rss_kib).await;
    let hashing = match (
        hashing_from,
        server.threads_cpu_seconds(HASHING_THREAD_NAME),
    ) {
        ((from, Some(before)), Some(after)) => Some(HashingCpu {
            cpu_seconds: after - before,
            wall_seconds: from.elapsed().as_secs_f64(),
        }),
        _ => None,
    };
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for worker in workers {
        if let Ok(result) = worker.await {
            latencies.extend(result.latencies_us);
            errors += result.errors;
            if first_error.is_none() {
                first_error = result.first_error;
            }
        }
    }
    let cpu = match (cpu_before, server.cpu_seconds()) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    latencies.sort_unstable();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        f64::from(latencies[index]) / 1000.0
    };
    Outcome {
        scenario: scenario.to_owned(),
        requests: latencies.len() as u64,
        errors,
        first_error,
        throughput: latencies.len() as f64 / settings.duration.as_secs_f64(),
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        p999_ms: percentile(0.999),
        peak_rss_mb: peak_rss_kib.map(|k| k as f64 / 1024.0),
        cpu_seconds: cpu,
        hashing,
    }
}

/// Samples the server's resident memory every 100 ms into `peak_kib` until `until`.
async fn watch_memory(server: &Server, until: Instant, peak_kib: &mut Option<u64>) {
    loop {
        let now = Instant::now();
        if now >= until {
            return;
        }
        tokio::time::sleep((until - now).min(Duration::from_millis(100))).await;
        if let Some(rss) = server.rss_kib() {
            *peak_kib = Some(peak_kib.map_or(rss, |p| p.max(rss)));
        }
    }
}
