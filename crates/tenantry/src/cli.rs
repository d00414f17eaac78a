//! The command line.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "tenantry",
    version,
    about = "Multi-tenant account and user management service"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "TENANTRY_LOG_FORMAT")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DatabaseArg {
    /// Database URL: `sqlite://FILE` (created if missing), or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB` (add `?sslmode=…` for TLS).
    #[arg(
        long,
        env = "TENANTRY_DATABASE",
        default_value = "sqlite://tenantry.db"
    )]
    pub database: String,
    /// PostgreSQL: connections this server keeps at most.
    #[arg(long, env = "TENANTRY_DB_POOL_SIZE", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_pool_size: u32,
    /// PostgreSQL: cancel any statement running longer than this many seconds (answering 503).
    #[arg(long, env = "TENANTRY_DB_STATEMENT_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub db_statement_timeout: u64,
    /// PostgreSQL: seconds to wait for a connection (at start-up, and per request) before giving
    /// up; while the database is unreachable requests answer 503 after this long.
    #[arg(long, env = "TENANTRY_DB_CONNECT_TIMEOUT", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub db_connect_timeout: u64,
    /// PostgreSQL: TLS mode, overriding the URL's `sslmode`.
    #[arg(long, env = "TENANTRY_DB_TLS", value_enum)]
    pub db_tls: Option<DbTls>,
    /// A file holding the installation's signing key (64 hex digits, e.g. from `openssl rand
    /// -hex 32`), shared by every server. It signs ID tokens and derives the secrets vendor
    /// APIs show again (certificate tokens, Cloud Elements secrets). Without it the key is
    /// kept in the database, and a copy of the database then reveals those secrets.
    #[arg(long, env = "TENANTRY_SIGNING_KEY_FILE")]
    pub signing_key_file: Option<std::path::PathBuf>,
}

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DbTls {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArg),
    /// Recompute seat counters, paths and uniqueness from the rows; exit 1 on any violation.
    Check(DatabaseArg),
    /// Manage service owner tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Rotate Cloud Elements secrets: a user's, or an organization's (a root account's).
    Secret {
        #[command(subcommand)]
        command: SecretCommand,
    },
    /// Mint device seat tokens (ControlByWeb): an account redeems one for more seats.
    SeatToken {
        #[command(subcommand)]
        command: SeatTokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Replace the secret and print the new one, alone, on stdout; the old one stops working.
    Rotate {
        /// A user's secret.
        #[arg(
            long,
            conflicts_with = "organization",
            required_unless_present = "organization"
        )]
        user: Option<i64>,
        /// An organization's secret (the id of its root account).
        #[arg(long)]
        organization: Option<i64>,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum SeatTokenCommand {
    /// Mint a single-use token and print it, alone, on stdout. It is shown this once only.
    Create {
        /// Seats the token adds to the account that redeems it.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=1_000_000_000))]
        seats: i64,
        /// Days until it expires unredeemed.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=366))]
        expires_in_days: i64,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed).
    #[arg(long, env = "TENANTRY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArg,
    /// Refuse self-service sign-up (Cognito-style `SignUp`): tenants are then created only with
    /// a service owner token.
    #[arg(long, env = "TENANTRY_DISABLE_SIGNUP")]
    pub disable_signup: bool,
    /// The `cloudId` the Ioto surface reports: this installation's name as a device cloud.
    #[arg(long, env = "TENANTRY_IOTO_CLOUD_ID", default_value = "tenantry")]
    pub ioto_cloud_id: String,
    /// Requests per second each client address may make, after a burst (0 turns it off).
    /// Limits are per server; `/healthz` is exempt.
    #[arg(long, env = "TENANTRY_RATE_PER_ADDRESS", default_value_t = 50)]
    pub rate_per_address: u32,
    /// The burst each client address may make before its rate applies.
    #[arg(long, env = "TENANTRY_BURST_PER_ADDRESS", default_value_t = 500)]
    pub burst_per_address: u32,
    /// Requests per second each credential (`Authorization` header) may make (0: off).
    #[arg(long, env = "TENANTRY_RATE_PER_CREDENTIAL", default_value_t = 100)]
    pub rate_per_credential: u32,
    /// The burst each credential may make before its rate applies.
    #[arg(long, env = "TENANTRY_BURST_PER_CREDENTIAL", default_value_t = 1000)]
    pub burst_per_credential: u32,
    /// Take the client's address from the last `X-Forwarded-For` entry, for servers behind a
    /// proxy that sets it (never otherwise: clients could then pick their own address).
    #[arg(long, env = "TENANTRY_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenRole {
    /// Acts on every tenant: creates root accounts, sees everything.
    Owner,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it, alone, on stdout. It is shown this once only.
    Create {
        #[arg(long, value_enum)]
        role: TokenRole,
        /// A label to recognise the token by.
        #[arg(long, default_value = "owner")]
        name: String,
        /// Expire after this many days (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Revoke a token by id; it stops working at once.
    Revoke {
        id: i64,
        #[command(flatten)]
        database: DatabaseArg,
    },
}
