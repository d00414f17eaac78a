//! `tenantry-bench`: like `pgbench`, for Tenantry.
//!
//! - `tenantry-bench seed --database URL --accounts N --users N` fills an empty database with a
//!   realistic tree of tenants, accounts and users ([`seed`]).
//! - `tenantry-bench run` starts a `tenantry` server on a seeded database (a fresh temporary
//!   SQLite one unless `--database` names another), gathers fixtures through the API and runs
//!   the named load scenarios one after the other, each with a fixed number of keep-alive
//!   connections for a fixed time ([`runner`]), then prints a Markdown report ([`report`]) with
//!   every throughput as a ratio to `healthz` from the same run.
//!
//! Map: [`client`] (the keep-alive HTTP client), [`server`] (the server under test, and its
//! memory and CPU from `/proc`), [`scenarios`] (the requests and their fixtures), [`rng`].

mod client;
mod report;
mod rng;
mod runner;
mod scenarios;
mod seed;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use tenantry_core::auth::{HashParams, PasswordHasher};
use tenantry_core::store::Store;
use tenantry_core::values::Password;

#[derive(Debug, Parser)]
#[command(
    name = "tenantry-bench",
    about = "Seed Tenantry databases and run load scenarios"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fill an empty database with tenants, accounts and users.
    Seed(SeedArgs),
    /// Run load scenarios against a Tenantry server and print a report.
    Run(RunArgs),
}

#[derive(Debug, Args)]
struct SeedArgs {
    /// `sqlite://FILE` or `postgres://…`.
    #[arg(long)]
    database: String,
    #[arg(long, default_value_t = 1000)]
    accounts: u64,
    #[arg(long, default_value_t = 10_000)]
    users: u64,
    /// Number of tenant trees (default: one per hundred accounts).
    #[arg(long)]
    tenants: Option<u64>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The database to serve; seeded first if empty. Default: a fresh temporary SQLite file.
    #[arg(long)]
    database: Option<String>,
    /// Seed size when seeding.
    #[arg(long, default_value_t = 1000)]
    accounts: u64,
    #[arg(long, default_value_t = 10_000)]
    users: u64,
    /// Comma-separated scenarios (default: all of them).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds measured per scenario.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of warm-up before each scenario is measured.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// How deep the deep page of `list-users-deep` is, in rows (default: page 10,000 of 50).
    #[arg(long, default_value_t = 500_000)]
    deep_rows: u64,
    /// Skip the second pass that measures query latency alone, on one connection.
    #[arg(long)]
    no_latency_pass: bool,
    /// The `tenantry` binary (default: the one next to this program).
    #[arg(long)]
    tenantry: Option<PathBuf>,
    /// Target a running server (`http://HOST:PORT`, seeded by `tenantry-bench seed`) instead of
    /// starting one; needs `--token`. Memory and CPU are then not reported.
    #[arg(long, requires = "token")]
    url: Option<String>,
    /// A service owner token of the server at `--url`.
    #[arg(long)]
    token: Option<String>,
}

/// The store at `url`, and how the report names it: the database, and for PostgreSQL how the
/// server's connections reach it, since TLS on a loopback connection costs a fifth of the reads.
async fn open(url: &str) -> anyhow::Result<(Arc<dyn Store>, String)> {
    if url.starts_with("sqlite:") {
        let store = tenantry_store_sqlite::SqliteStore::connect(url).await?;
        Ok((Arc::new(store), "SQLite".into()))
    } else if url.starts_with("postgres") {
        let options = tenantry_store_postgres::PostgresOptions {
            statement_timeout: Duration::from_secs(600),
            ..Default::default()
        };
        let store = tenantry_store_postgres::PostgresStore::connect(url, &options).await?;
        // The server under test connects with the same URL, so the same way.
        let transport = store.transport().await?;
        if let tenantry_store_postgres::Transport::Tcp { tls: Some(_) } = transport {
            eprintln!(
                "note: PostgreSQL is reached over {transport}. If it runs on this host, its Unix \
                 socket (e.g. postgres://USER@localhost/DB?host=/var/run/postgresql) measured \
                 reads by key about 40 % faster (BENCHMARKS.md, \"Reaching PostgreSQL\")."
            );
        }
        Ok((Arc::new(store), format!("PostgreSQL over {transport}")))
    } else {
        bail!("unsupported database URL: expected sqlite://… or postgres://…")
    }
}

/// How many accounts and users the database holds, for the report and the deep page's depth
/// when the run uses data seeded before.
async fn sizes(store: &dyn Store) -> anyhow::Result<(u64, u64)> {
    use tenantry_core::query::{ListRequest, ListResource};
    let all = tenantry_core::store::Scope::All;
    let accounts = ListRequest::all(ListResource::Accounts, 1);
    let users = ListRequest::all(ListResource::Users, 1);
    Ok((
        store.count(&all, &accounts, 1 << 40).await?,
        store.count(&all, &users, 1 << 40).await?,
    ))
}

async fn is_empty(store: &dyn Store) -> anyhow::Result<bool> {
    use tenantry_core::query::{ListRequest, ListResource};
    let any = store
        .list_accounts(
            &tenantry_core::store::Scope::All,
            &ListRequest::all(ListResource::Accounts, 1),
        )
        .await?;
    Ok(any.is_empty())
}

/// Milliseconds one OWASP argon2id hash takes on this machine: with one thread hashing, and
/// with as many hashing at once as there are cores, as the server's hashing threads do under
/// a burst of logins. The second sets the login ceiling: the cores share their caches and
/// memory bandwidth, and each hash works through 19 MiB, so a hash takes 10-15 % longer here
/// when both cores hash than alone, and a ceiling from the lone hash is one no server reaches.
///
/// The hashes are queued all at once, as logins under load are: a hashing thread keeps its
/// working memory while jobs wait, and gives it back when the queue runs dry. Hashed one after
/// another, each would also pay for setting up 19 MiB afresh, which put the ceiling a third
/// too low (logins measured at 150-160 % of it).
///
/// Each is the fastest of three batches, taken in turn: the machine is shared, and a slow
/// batch is a neighbour's doing, not the hash's. The fastest batch gives the highest ceiling.
async fn hash_times_ms(cores: usize) -> anyhow::Result<report::HashTimes> {
    let mut times = report::HashTimes {
        alone_ms: f64::INFINITY,
        all_cores_ms: f64::INFINITY,
        around_login_ms: None,
    };
    for _ in 0..3 {
        times.alone_ms = times.alone_ms.min(hash_time_ms(1).await?);
        times.all_cores_ms = times.all_cores_ms.min(hash_time_ms(cores).await?);
    }
    Ok(times)
}

/// Milliseconds per hash and thread, with `threads` threads hashing at once.
async fn hash_time_ms(threads: usize) -> anyhow::Result<f64> {
    let hasher = PasswordHasher::new(HashParams::OWASP, threads)?;
    let password = Password::parse("benchmark-password").map_err(anyhow::Error::msg)?;
    let rounds = 20 * threads;
    let started = Instant::now();
    let mut hashes = tokio::task::JoinSet::new();
    for _ in 0..rounds {
        let (hasher, password) = (hasher.clone(), password.clone());
        hashes.spawn(async move { hasher.hash(&password).await });
    }
    while let Some(hash) = hashes.join_next().await {
        hash??;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 * threads as f64 / rounds as f64)
}

/// The server to measure: one started on a (seeded) database, or the one at `--url`. With it,
/// its owner token, its database as the report names it, and how many accounts and users that
/// holds (as asked for, when the run cannot see the database).
async fn server_under_test(
    args: &RunArgs,
    temporary: &mut Option<tempfile::TempDir>,
) -> anyhow::Result<(server::Server, String, String, (u64, u64))> {
    if let (Some(url), Some(token)) = (&args.url, &args.token) {
        let address = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .with_context(|| format!("--url must be http://IP:PORT, not {url:?}"))?;
        return Ok((
            server::Server::external(address),
            token.clone(),
            format!("the server at {url}"),
            (args.accounts, args.users),
        ));
    }
    let binary = match &args.tenantry {
        Some(path) => path.clone(),
        None => server::default_binary()?,
    };
    let database = match &args.database {
        Some(url) => url.clone(),
        None => {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            *temporary = Some(dir);
            url
        }
    };
    let (store, label) = open(&database).await?;
    let sizes = if is_empty(store.as_ref()).await? {
        let plan = seed::SeedPlan::new(args.accounts, args.users, None)?;
        seed::seed(store.as_ref(), plan).await?;
        (args.accounts, args.users)
    } else {
        let sizes = sizes(store.as_ref()).await?;
        eprintln!(
            "using the existing data in the database: {} accounts, {} users",
            sizes.0, sizes.1
        );
        sizes
    };
    drop(store);
    let owner = server::run(
        &binary,
        &[
            "token",
            "create",
            "--role",
            "owner",
            "--name",
            "bench",
            "--database",
            &database,
        ],
    )
    .await?
    .trim()
    .to_owned();
    let server = server::Server::start(&binary, &database).await?;
    Ok((server, owner, label, sizes))
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let mut temporary = None;
    let (server, owner, label, (accounts, users)) =
        server_under_test(&args, &mut temporary).await?;
    eprintln!("server on {}; gathering fixtures", server.address);
    let mut connection = client::Connection::new(server.address);
    let deep = args.deep_rows.min(users.saturating_sub(100));
    let fixtures = Arc::new(
        scenarios::Fixtures::gather(&mut connection, owner, deep)
            .await
            .context("gathering fixtures")?,
    );
    let wanted: Vec<&'static str> = if args.scenarios.is_empty() {
        scenarios::ALL.to_vec()
    } else {
        let mut wanted = vec!["healthz"];
        for name in &args.scenarios {
            let known = scenarios::ALL
                .iter()
                .find(|s| *s == name)
                .with_context(|| {
                    format!(
                        "unknown scenario {name:?}; known: {}",
                        scenarios::ALL.join(", ")
                    )
                })?;
            if !wanted.contains(known) {
                wanted.push(known);
            }
        }
        wanted
    };
    let settings = runner::Settings {
        connections: args.connections,
        duration: Duration::from_secs(args.duration),
        warmup: Duration::from_secs(args.warmup),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut outcomes = Vec::new();
    let mut hashing = None;
    for scenario in wanted {
        // The login ceiling is timed on both sides of the logins themselves: the machine's
        // speed drifts by a third from hour to hour, and a ceiling timed a minute away from
        // the logins it judges moved `login` by ±5 % between runs of the same code. The
        // faster side counts (`HashTimes::around_login`).
        let before = if scenario == "login" {
            eprintln!("timing the hash before {scenario}");
            Some(hash_times_ms(cores).await?)
        } else {
            None
        };
        eprintln!("running {scenario}");
        let outcome = runner::run(&server, fixtures.clone(), scenario, &settings).await;
        eprintln!(
            "  {:.0} req/s, p99 {:.2} ms, {} errors",
            outcome.throughput, outcome.p99_ms, outcome.errors
        );
        outcomes.push(outcome);
        if let Some(before) = before {
            eprintln!("timing the hash after {scenario}");
            let after = hash_times_ms(cores).await?;
            hashing = Some(report::HashTimes::around_login(&before, &after));
        }
    }
    let mut unloaded = Vec::new();
    if !args.no_latency_pass {
        let alone = runner::Settings {
            connections: 1,
            duration: Duration::from_secs(args.duration.div_ceil(2)),
            warmup: Duration::from_secs(1),
        };
        for scenario in outcomes
            .iter()
            .map(|o| o.scenario.clone())
            .filter(|s| scenarios::LATENCY.contains(&s.as_str()))
            .collect::<Vec<_>>()
        {
            let Some(name) = scenarios::LATENCY.iter().find(|s| **s == scenario) else {
                continue;
            };
            eprintln!("measuring {name} alone");
            unloaded.push(runner::run(&server, fixtures.clone(), name, &alone).await);
        }
    }
    let hashing = match hashing {
        Some(hashing) => hashing,
        None => hash_times_ms(cores).await?,
    };
    let context = report::Context {
        database: label,
        accounts,
        users,
        connections: args.connections,
        seconds: args.duration,
        cores,
        hashing,
    };
    println!("{}", report::render(&context, &outcomes, &unloaded));
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Seed(args) => {
            async {
                let plan = seed::SeedPlan::new(args.accounts, args.users, args.tenants)?;
                let (store, _) = open(&args.database).await?;
                seed::seed(store.as_ref(), plan).await
            }
            .await
        }
        Command::Run(args) => run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
