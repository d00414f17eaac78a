//! What each subcommand does.

use std::num::NonZeroU32;

use anyhow::Context;
use std::sync::Arc;
use tenantry_core::auth::HashParams;
use tenantry_core::model::{Actor, ApiTokenId};
use tenantry_core::values::{Text, TextLimit};

use tenantry_core::clock::SystemClock;
use tenantry_core::mail::MailSettings;
use tenantry_core::mail::dispatcher::{MailDispatcher, RetryPolicy};
use time::format_description::well_known::Rfc3339;
use tokio::net::TcpListener;

use crate::cli::{Command, SeatTokenCommand, SecretCommand, ServeArgs, TokenCommand};
use crate::{database, server};

pub async fn run(invocation: crate::config::Invocation) -> anyhow::Result<()> {
    let cli = invocation.cli;
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => {
            database::open(&args).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Check(args) => check(&args).await,
        Command::Token { command } => token(command).await,
        Command::SeatToken { command } => seat_token(command).await,
        Command::Secret { command } => secret(command).await,
        Command::Mail { command } => crate::mail_cli::run(command).await,
        Command::Export { tenant, database } => {
            let store = database::open(&database).await?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            let rows = crate::dump_cli::export(store, tenant, &mut out).await?;
            eprintln!("exported {rows} rows");
            Ok(())
        }
        Command::Import { database } => {
            let store = database::open(&database).await?;
            let input = std::io::BufReader::with_capacity(1 << 20, std::io::stdin().lock());
            let imported = crate::dump_cli::import(store, input).await?;
            eprint!("{}", imported.report());
            Ok(())
        }
        Command::Config { command } => crate::config::run(
            command,
            cli.config.as_deref(),
            &invocation.matches,
            invocation.file.as_ref(),
        ),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = database::open_to_serve(&args.database).await?;
    let policy = server::Policy {
        allow_signup: !args.disable_signup,
        signing_key: signing_key(&args.database)?,
        invitation_ttl: time::Duration::hours(i64::from(args.mail.invitation_ttl_hours)),
        password_reset_ttl: time::Duration::minutes(i64::from(
            args.mail.password_reset_ttl_minutes,
        )),
        credential_recheck: time::Duration::milliseconds(i64::from(args.credential_recheck_ms)),
    };
    let transport = crate::mail::transport(args.mail.smtp_url.as_deref())?;
    crate::mail::check_sender(&args.mail.mail_from)?;
    let services = server::services(store.clone(), HashParams::OWASP, policy).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, database = %database::redact(&args.database.database), "tenantry listening");
    // Also on stdout, alone, so scripts and tests started with port 0 can find the port.
    println!("listening on {address}");
    let rate = |per_second: u32, burst: u32| {
        Some(tenantry_http::Rate {
            per_second: NonZeroU32::new(per_second)?,
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        })
    };
    let http = server::HttpSettings {
        compat: tenantry_http::CompatSettings {
            ioto_cloud_id: args.ioto_cloud_id.clone(),
        },
        rate: tenantry_http::RateLimits {
            per_address: rate(args.rate_per_address, args.burst_per_address),
            per_credential: rate(args.rate_per_credential, args.burst_per_credential),
        },
        trust_forwarded_for: args.trust_forwarded_for,
        product_name: args.mail.product_name.clone(),
        header_read_timeout: std::time::Duration::from_secs(args.header_read_timeout),
        metrics_token: args.metrics_token.clone(),
    };
    let link_base = match &args.mail.public_url {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => url.clone(),
        Some(_) => anyhow::bail!("--public-url must start with http:// or https://"),
        None => {
            if address.ip().is_unspecified() || !address.ip().is_loopback() {
                tracing::warn!(
                    %address,
                    "links in mails lead to the listen address; set --public-url to the address \
                     users reach this server at"
                );
            }
            format!("http://{address}")
        }
    };
    let settings = MailSettings {
        product_name: args.mail.product_name.clone(),
        link_base,
        sender: args.mail.mail_from.clone(),
    };
    let retry = RetryPolicy {
        first_retry: time::Duration::seconds(i64::from(args.mail.mail_retry_seconds)),
        max_retry: time::Duration::seconds(i64::from(args.mail.mail_retry_max_seconds)),
        give_up_after: time::Duration::hours(i64::from(args.mail.mail_give_up_hours)),
        ..RetryPolicy::default()
    };
    let dispatcher = MailDispatcher::new(store, Arc::new(SystemClock), transport, settings, retry);
    let background = server::Background {
        mail: Some((
            Arc::new(dispatcher),
            std::time::Duration::from_millis(args.mail.mail_poll_ms),
        )),
    };
    server::run(
        listener,
        services,
        http,
        background,
        server::shutdown_signal(),
    )
    .await
}

async fn check(args: &crate::cli::DatabaseArg) -> anyhow::Result<()> {
    let store = database::open(args).await?;
    let violations = store.invariant_violations().await?;
    if violations.is_empty() {
        println!("consistent");
        return Ok(());
    }
    for violation in &violations {
        println!("{violation}");
    }
    anyhow::bail!("{} invariant violation(s)", violations.len())
}

async fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            role: _,
            name,
            expires_in_days,
            database,
        } => {
            let name = Text::parse(&name, TextLimit::TOKEN_NAME)
                .map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let services = cli_services(&database).await?;
            let lifetime = expires_in_days.map(|d| time::Duration::days(i64::from(d)));
            let (_, secret) = services
                .service_tokens
                .create(Actor::Cli, name, lifetime)
                .await?;
            println!("{}", secret.expose());
        }
        TokenCommand::List { database } => {
            let services = cli_services(&database).await?;
            println!(
                "{:>6}  {:<8}  {:<20}  {:<20}  name",
                "id", "state", "created", "expires"
            );
            for token in services.service_tokens.list().await? {
                let state = if token.revoked.is_some() {
                    "revoked"
                } else if token.is_usable(time::OffsetDateTime::now_utc()) {
                    "active"
                } else {
                    "expired"
                };
                let when = |t: Option<time::OffsetDateTime>| {
                    t.and_then(|t| t.format(&Rfc3339).ok())
                        .unwrap_or_else(|| "never".to_owned())
                };
                println!(
                    "{:>6}  {:<8}  {:<20}  {:<20}  {}",
                    token.id,
                    state,
                    when(Some(token.created)),
                    when(token.expires),
                    token.name
                );
            }
        }
        TokenCommand::Revoke { id, database } => {
            let services = cli_services(&database).await?;
            let token = services
                .service_tokens
                .revoke(Actor::Cli, ApiTokenId(id))
                .await?;
            println!("revoked token {} ({})", token.id, token.name);
        }
    }
    Ok(())
}

async fn seat_token(command: SeatTokenCommand) -> anyhow::Result<()> {
    match command {
        SeatTokenCommand::Create {
            seats,
            expires_in_days,
            database,
        } => {
            let services = cli_services(&database).await?;
            let (token, secret) = services
                .device_tokens
                .mint_seat_token_as(
                    Actor::Cli,
                    seats,
                    Some(time::Duration::days(expires_in_days)),
                )
                .await?;
            eprintln!(
                "seat token {} for {} seats, expires {}",
                token.id,
                token.seats,
                token.expires.format(&Rfc3339).unwrap_or_default()
            );
            println!("{}", secret.expose());
        }
    }
    Ok(())
}

async fn secret(command: SecretCommand) -> anyhow::Result<()> {
    use tenantry_core::auth::org_secrets::SecretOwner;
    use tenantry_core::model::{AccountId, UserId};
    let SecretCommand::Rotate {
        user,
        organization,
        database,
    } = command;
    let owner = match (user, organization) {
        (Some(id), None) => SecretOwner::User(UserId(id)),
        (None, Some(id)) => SecretOwner::Organization(AccountId(id)),
        _ => anyhow::bail!("name exactly one of --user and --organization"),
    };
    let services = cli_services(&database).await?;
    let secret = services.secrets.rotate_as(Actor::Cli, owner).await?;
    println!("{secret}");
    Ok(())
}

/// Services for one-shot commands.
pub(crate) async fn cli_services(
    database: &crate::cli::DatabaseArg,
) -> anyhow::Result<tenantry_core::services::Services> {
    let store = database::open(database).await?;
    let policy = server::Policy {
        signing_key: signing_key(database)?,
        ..server::Policy::default()
    };
    server::services(store, HashParams::OWASP, policy).await
}

fn signing_key(database: &crate::cli::DatabaseArg) -> anyhow::Result<Option<[u8; 32]>> {
    database
        .signing_key_file
        .as_deref()
        .map(server::read_signing_key)
        .transpose()
}
