//! The report: a Markdown table of every scenario with its throughput as a ratio to `healthz`
//! in the same run, login against the hashing ceiling, and each goal with its gap.

use std::fmt::Write as _;

use crate::runner::{HashingCpu, Outcome};

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

/// The server's own hashing while the logins ran: its hashing threads' CPU time a login, the
/// ceiling `cores ÷` that time would set, and `login` against it, which is the share of the
/// cores' time that went into hashing.
struct LoginInRun {
    cpu_ms_per_login: f64,
    ceiling: f64,
    percent: f64,
}

impl LoginInRun {
    /// `None` without the hashing threads' figures (a server at `--url`) or without logins.
    fn of(login: &Outcome, cores: usize) -> Option<LoginInRun> {
        let HashingCpu {
            cpu_seconds,
            wall_seconds,
        } = login.hashing?;
        let logins = login.throughput * wall_seconds;
        if logins <= 0.0 || cpu_seconds <= 0.0 {
            return None;
        }
        let cpu_ms_per_login = 1000.0 * cpu_seconds / logins;
        let ceiling = cores as f64 / (cpu_ms_per_login / 1000.0);
        Some(LoginInRun {
            cpu_ms_per_login,
            ceiling,
            percent: 100.0 * login.throughput / ceiling,
        })
    }
}

/// A paragraph on the hashing seen while `login` ran, which splits `login`'s gap to its ceiling
/// in two: the cores' time that went to other work (the HTTP exchange, the database), and how
/// much longer the server's hashes took than the hash timed around the run (interleaved with
/// that work, or on a machine whose speed drifted). Nothing without the hashing threads' figures.
fn write_login_hashing(out: &mut String, context: &Context, login: &Outcome) {
    let Some(watched) = LoginInRun::of(login, context.cores) else {
        return;
    };
    let cores = context.cores;
    let hash_ms = context.hashing.all_cores_ms;
    let _ = write!(
        out,
        "While `login` ran, the server's hashing threads took {:.1} % of the {cores} cores' time, and {:.1} ms of CPU a login against {hash_ms:.1} ms for the hash timed around the run: a ceiling of {cores} cores ÷ {:.1} ms = {:.1} logins/s, of which `login` reached the same {:.1} %.",
        watched.percent,
        watched.cpu_ms_per_login,
        watched.cpu_ms_per_login,
        watched.ceiling,
        watched.percent,
    );
    // Half as much hashing again a login as the timed hash is no drift of the machine's speed.
    if watched.cpu_ms_per_login > 1.5 * hash_ms {
        let _ = write!(
            out,
            " **That is more than 1.5 × the timed hash: do logins hash more than once?**"
        );
    }
    let _ = writeln!(out, "\n");
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
    let login = outcomes.iter().find(|o| o.scenario == "login");
    if let Some(login) = login {
        write_login_hashing(&mut out, context, login);
    }
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
    let login_percent = login.map(|o| 100.0 * o.throughput / ceiling);
    goal(
        "login vs hashing ceiling".into(),
        login_percent,
        90.0,
        true,
        " %",
    );
    let alone = |name: &str| unloaded.iter().find(|o| o.scenario == name);
    for name in [
        "search-email-prefix",
        "search-scim",
        "search-text",
        "search-text-tenant",
        "search-ceql",
        "audit-target",
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
    use super::{Context, HashTimes, render};
    use crate::runner::{HashingCpu, Outcome};

    fn login(throughput: f64, hashing: Option<HashingCpu>) -> Outcome {
        Outcome {
            scenario: "login".into(),
            requests: (throughput * 10.0) as u64,
            errors: 0,
            first_error: None,
            throughput,
            p50_ms: 200.0,
            p99_ms: 300.0,
            p999_ms: 310.0,
            peak_rss_mb: Some(61.0),
            cpu_seconds: Some(19.0),
            hashing,
        }
    }

    fn goal_row(report: &str) -> &str {
        report
            .lines()
            .find(|l| l.starts_with("| login vs hashing ceiling"))
            .unwrap()
    }

    #[test]
    fn the_hashing_seen_while_login_ran_is_reported_beside_the_goal() {
        let context = Context {
            database: "SQLite".into(),
            accounts: 10,
            users: 10,
            connections: 16,
            seconds: 10,
            cores: 2,
            // A ceiling of 2 ÷ 25 ms = 80 logins/s, timed around the run.
            hashing: HashTimes {
                alone_ms: 22.0,
                all_cores_ms: 25.0,
                around_login_ms: Some((25.0, 31.0)),
            },
        };
        // 64 logins/s for 10 s and the hashing threads 17.6 s of CPU: 27.5 ms a login, 88 %
        // of the cores' time. The goal stays with the ceiling timed around the run: 80 %.
        let watched = HashingCpu {
            cpu_seconds: 17.6,
            wall_seconds: 10.0,
        };
        let report = render(&context, &[login(64.0, Some(watched))], &[]);
        assert!(
            goal_row(&report).contains("| 80.00 % | ≥ 90 % | **no** |"),
            "{report}"
        );
        assert!(
            report.contains("took 88.0 % of the 2 cores' time"),
            "{report}"
        );
        assert!(
            report.contains("27.5 ms of CPU a login against 25.0 ms"),
            "{report}"
        );
        assert!(!report.contains("more than once"), "{report}");
        // Twice the hashing a login that the timed hash needs: not the machine's speed.
        let twice = HashingCpu {
            cpu_seconds: 35.2,
            wall_seconds: 20.0,
        };
        let report = render(&context, &[login(32.0, Some(twice))], &[]);
        assert!(goal_row(&report).contains("| 40.00 % |"), "{report}");
        assert!(report.contains("hash more than once?"), "{report}");
        // A server at `--url`: no hashing threads to watch.
        let report = render(&context, &[login(64.0, None)], &[]);
        assert!(goal_row(&report).contains("| 80.00 % |"), "{report}");
        assert!(!report.contains("While `login` ran"), "{report}");
    }

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
