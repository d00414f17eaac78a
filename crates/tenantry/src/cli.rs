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
    /// A configuration file (TOML, one key per option, named like the options: `listen =
    /// "0.0.0.0:8080"`). Default: `tenantry.toml` in the working directory, if there is one.
    /// Environment variables (`TENANTRY_*`) and flags override what it says.
    #[arg(long, global = true, env = "TENANTRY_CONFIG", value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
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
    /// PostgreSQL: connections this server keeps at most, besides one for reading the revocation
    /// counter.
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
    /// Read the mail outbox: what was sent, what waits for a retry, what failed.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Write every tenant's data (or one tenant's) to stdout as JSON lines: accounts, users
    /// with their password hashes, devices, roles, secrets (hashed), tokens (hashed), invitations
    /// and the audit trail, ids kept. Read page by page: stop the servers first for a dump
    /// that is one consistent moment.
    Export {
        /// Only this tenant (the id of its root account); installation-wide rows (service
        /// tokens, seat tokens, keys) are left out.
        #[arg(long)]
        tenant: Option<i64>,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Load a dump from stdin (see `export`). Rows already there are kept, so it can be run
    /// again; every invariant is checked at the end. Load into a database no server writes to.
    /// Into an empty one, indexes are built once after loading (the next start builds them if
    /// the import dies first).
    Import {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Show or validate the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration `serve` would run with (file, environment and these flags
    /// applied), as TOML with where each value came from; secrets are hidden.
    Print(Box<ServeArgs>),
    /// Validate a configuration file: every key known, every value acceptable. Exits 1 with
    /// the problems otherwise.
    Check {
        /// The file (default: the one `--config` or `TENANTRY_CONFIG` names, else
        /// `tenantry.toml`).
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List mails, newest first, one line each.
    List {
        /// Only mails in this state.
        #[arg(long, value_parser = ["pending", "sent", "logged", "failed"])]
        status: Option<String>,
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
        limit: u32,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Print one mail as it is (or was) sent, link and token included while it has one: for
    /// following an invitation locally when no mail server is configured.
    Show {
        id: i64,
        /// The link base the mail is rendered with.
        #[arg(
            long,
            env = "TENANTRY_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
        #[arg(long, env = "TENANTRY_PRODUCT_NAME", default_value = "Tenantry")]
        product_name: String,
        #[arg(
            long,
            env = "TENANTRY_MAIL_FROM",
            default_value = "Tenantry <no-reply@localhost>"
        )]
        mail_from: String,
        #[command(flatten)]
        database: DatabaseArg,
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
    /// Milliseconds after which a server reads the database's revocation counter again even if
    /// it wrote nothing itself: the longest a revocation committed by another server or by the
    /// command line goes unseen by this one's credential cache. 0 turns the cache off, so every
    /// request looks its token up.
    #[arg(long, env = "TENANTRY_CREDENTIAL_RECHECK_MS", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(0..=60_000))]
    pub credential_recheck_ms: u32,
    /// The `cloudId` the Ioto surface reports: this installation's name as a device cloud.
    #[arg(long, env = "TENANTRY_IOTO_CLOUD_ID", default_value = "tenantry")]
    pub ioto_cloud_id: String,
    /// Requests per second each client address may make, after a burst (0 turns it off).
    /// Limits are per server; the probes (`/healthz`, `/readyz`, `/metrics`) are exempt.
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
    /// Seconds a client may take to send a request's headers before the connection is closed
    /// (slow clients cannot hold connections open).
    #[arg(long, env = "TENANTRY_HEADER_READ_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_read_timeout: u64,
    /// Require `Authorization: Bearer <token>` on `/metrics` (default: open, like `/healthz`;
    /// keep it off the public network instead, or set this).
    #[arg(long, env = "TENANTRY_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    #[command(flatten)]
    pub mail: MailArgs,
}

/// Mail: invitations, email verification and password resets.
#[derive(Debug, Args)]
pub struct MailArgs {
    /// The SMTP server mails go to: `smtp://[user:password@]host[:port]` (plain, or
    /// `?tls=required` for STARTTLS) or `smtps://…` (TLS). Without it mails are written to the
    /// log without their links' tokens and stay readable with `tenantry mail show ID`.
    #[arg(long, env = "TENANTRY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of every mail.
    #[arg(
        long,
        env = "TENANTRY_MAIL_FROM",
        default_value = "Tenantry <no-reply@localhost>"
    )]
    pub mail_from: String,
    /// Where the links in mails lead: this server as users reach it (default: the listen
    /// address). A front end of one's own can serve the same paths instead.
    #[arg(long, env = "TENANTRY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The product name mails and pages show.
    #[arg(long, env = "TENANTRY_PRODUCT_NAME", default_value = "Tenantry")]
    pub product_name: String,
    /// Seconds to wait after a failed delivery; the wait doubles with each further failure.
    #[arg(long, env = "TENANTRY_MAIL_RETRY_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub mail_retry_seconds: u32,
    /// The longest wait between two delivery attempts, in seconds.
    #[arg(long, env = "TENANTRY_MAIL_RETRY_MAX_SECONDS", default_value_t = 1800,
          value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub mail_retry_max_seconds: u32,
    /// Hours after which an undelivered mail is marked failed.
    #[arg(long, env = "TENANTRY_MAIL_GIVE_UP_HOURS", default_value_t = 72,
          value_parser = clap::value_parser!(u32).range(1..=720))]
    pub mail_give_up_hours: u32,
    /// Milliseconds between two looks at the outbox when it is empty.
    #[arg(long, env = "TENANTRY_MAIL_POLL_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(20..=60_000))]
    pub mail_poll_ms: u64,
    /// Hours an invitation link works.
    #[arg(long, env = "TENANTRY_INVITATION_TTL_HOURS", default_value_t = 168,
          value_parser = clap::value_parser!(u32).range(1..=8760))]
    pub invitation_ttl_hours: u32,
    /// Minutes a password-reset link works.
    #[arg(long, env = "TENANTRY_PASSWORD_RESET_TTL_MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(5..=10_080))]
    pub password_reset_ttl_minutes: u32,
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
