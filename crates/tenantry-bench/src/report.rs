//! The report: a Markdown table of every scenario with its throughput as a ratio to `healthz`
//! in the same run, login against the hashing ceiling, and each goal with its gap.

use std::fmt::Write as _;

use crate::runner::Outcome;

pub struct Context {
    pub database: String,
    pub accounts: u64,
    pub users: u64,
    pub connections: usize,
    pub seconds: u64,
    pub cores: usize,
    pub hashing: HashTimes,
}

/// How long one argon2id hash takes, in milliseconds of wall time per hash and thread.
pub struct HashTimes {
    /// One thread hashing, the other cores idle.
    pub alone_ms: f64,
    /// Every core hashing at once: what bounds logins.
    pub all_cores_ms: f64,
    /// When `login` ran: `all_cores_ms` timed just before it and just after it, the faster
    /// of which `all_cores_ms` is.
    pub around_login_ms: Option<(f64, f64)>,
}

impl HashTimes {
    /// The times on either side of the `login` run, for the machine's speed while it ran: the
    /// faster of the two. Not their mean: the server may still be busy when the first is taken
    /// (a checkpoint, index merges after the write scenarios), which slows the benchmark's
    /// hashes but not the machine, and a mean would then set the ceiling too low (a `login`
    /// at 103 % of it).
    pub fn around_login(before: &HashTimes, after: &HashTimes) -> HashTimes {
        HashTimes {
            alone_ms: before.alone_ms.min(after.alone_ms),
            all_cores_ms: before.all_cores_ms.min(after.all_cores_ms),
            around_login_ms: Some((before.all_cores_ms, after.all_cores_ms)),
        }
    }
}

fn fmt_opt(value: Option<f64>, digits: usize) -> String {
    value.map_or("–".to_owned(), |v| format!("{v:.digits$}"))
}

pub fn render(context: &Context, outcomes: &[Outcome], unloaded: &[Outcome]) -> String {
    let mut out = String::new();
    let healthz = outcomes
        .iter()
        .find(|o| o.scenario == "healthz")
        .map(|o| o.throughput);
    let hashing = &context.hashing;
    let ceiling = context.cores as f64 / (hashing.all_cores_ms / 1000.0);
    let _ = writeln!(
        out,
        "{} · {} accounts · {} users · {} connections · {} s per scenario · {} cores\n",
        context.database,
        context.accounts,
        context.users,
        context.connections,
        context.seconds,
        context.cores
    );
    let _ = writeln!(
        out,
        "| scenario | requests | req/s | × healthz | p50 ms | p99 ms | p99.9 ms | errors | peak RSS MB | server CPU s |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for o in outcomes {
        let ratio = healthz.filter(|h| *h > 0.0).map(|h| o.throughput / h);
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
            o.scenario,
            o.requests,
            o.throughput,
            fmt_opt(ratio, 2),
            o.p50_ms,
            o.p99_ms,
            o.p999_ms,
            o.errors,
            fmt_opt(o.peak_rss_mb, 0),
            fmt_opt(o.cpu_seconds, 1),
        );
    }
    if !unloaded.is_empty() {
        let _ = writeln!(
            out,
            "\nThe same queries alone, one connection, nothing else running (latency of the query itself):\n"
        );
        let _ = writeln!(
            out,
            "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | errors |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
        for o in unloaded {
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
                o.scenario, o.throughput, o.p50_ms, o.p99_ms, o.p999_ms, o.errors
            );
        }
    }
    let when = hashing
        .around_login_ms
        .map_or(String::new(), |(before, after)| {
            format!(
                " (the faster of {before:.1} ms just before `login` and {after:.1} ms just after)"
            )
        });
    let _ = writeln!(
        out,
        "\nHashing: one argon2id hash (OWASP, m=19 MiB, t=2) takes {:.1} ms here with all {} cores hashing{when} and {:.1} ms alone, so the login ceiling is {} cores ÷ {:.1} ms = {:.1} logins/s.\n",
        hashing.all_cores_ms,
        context.cores,
        hashing.alone_ms,
        context.cores,
        hashing.all_cores_ms,
        ceiling
    );
    let _ = writeln!(out, "| goal | measured | target | met |");
    let _ = writeln!(out, "|---|---:|---:|:-:|");
    let find = |name: &str| outcomes.iter().find(|o| o.scenario == name);
    let mut goal =
        |label: String, measured: Option<f64>, target: f64, at_least: bool, unit: &str| {
            let met = measured.map(|m| if at_least { m >= target } else { m <= target });
            let _ = writeln!(
                out,
                "| {label} | {}{unit} | {}{target}{unit} | {} |",
                fmt_opt(measured, 2),
                if at_least { "≥ " } else { "≤ " },
                match met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "–",
                }
            );
        };
    for name in ["get-account", "get-user", "me"] {
        let ratio = find(name)
            .zip(healthz)
            .map(|(o, h)| 100.0 * o.throughput / h);
        goal(format!("{name} vs healthz"), ratio, 50.0, true, " %");
    }
    let login = find("login").map(|o| 100.0 * o.throughput / ceiling);
    goal("login vs hashing ceiling".into(), login, 90.0, true, " %");
    let alone = |name: &str| unloaded.iter().find(|o| o.scenario == name);
    for name in [
        "search-email-prefix",
        "search-scim",
        "search-text",
        "search-text-tenant",
        "search-ceql",
        "list-users-deep",
    ] {
        let alone_p99 = alone(name).map(|o| o.p99_ms);
        goal(format!("{name} p99, alone"), alone_p99, 5.0, false, " ms");
        let loaded_p99 = find(name).map(|o| o.p99_ms);
        goal(
            format!("{name} p99, under load"),
            loaded_p99,
            5.0,
            false,
            " ms",
        );
    }
    if let (Some(deep), Some(first)) = (alone("list-users-deep"), alone("list-users")) {
        let extra = 100.0 * (deep.p50_ms / first.p50_ms - 1.0);
        let label = "deep page vs first page, p50 alone".to_owned();
        goal(label, Some(extra), 20.0, false, " % slower");
    }
    goal(
        "create-user throughput".into(),
        find("create-user").map(|o| o.throughput),
        5000.0,
        true,
        " /s",
    );
    let peak = outcomes
        .iter()
        .filter_map(|o| o.peak_rss_mb)
        .reduce(f64::max);
    goal("peak server RSS".into(), peak, 100.0, false, " MB");
    for o in outcomes.iter().filter(|o| o.errors > 0) {
        let _ = writeln!(
            out,
            "\n{}: {} errors; first: {}",
            o.scenario,
            o.errors,
            o.first_error.as_deref().unwrap_or("?")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::HashTimes;

    #[test]
    fn the_login_ceiling_is_timed_from_both_sides_of_the_logins() {
        let time = |alone_ms, all_cores_ms| HashTimes {
            alone_ms,
            all_cores_ms,
            around_login_ms: None,
        };
        // A busy server slows the batches before; a drifting machine, either side.
        let around = HashTimes::around_login(&time(11.0, 14.6), &time(10.0, 13.1));
        assert_eq!(around.all_cores_ms, 13.1);
        assert_eq!(around.alone_ms, 10.0);
        assert_eq!(around.around_login_ms, Some((14.6, 13.1)));
        let around = HashTimes::around_login(&time(10.0, 12.0), &time(11.0, 14.0));
        assert_eq!(around.all_cores_ms, 12.0);
    }
}
