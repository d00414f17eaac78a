//! The `tenantry` binary's parts, as a library so tests can start the real server in-process.
//!
//! - [`cli`]: the command line (clap).
//! - [`config`]: the configuration file, layered under environment and flags; `tenantry config`.
//! - [`database`]: choosing the store from the database URL's scheme.
//! - [`server`]: serving the HTTP application on a listener until told to stop.
//! - [`connections`]: the HTTP/1.1 connection loop, with a header read timeout.
//! - [`commands`]: what each subcommand does.
//! - [`dump_cli`]: `tenantry export` and `tenantry import`.
//! - [`logging`]: tracing set-up.
//! - [`mail`]: SMTP delivery and the background loop that drains the mail outbox.
//! - [`mail_cli`]: `tenantry mail list/show`.

pub mod cli;
pub mod commands;
pub mod config;
pub mod connections;
pub mod database;
pub mod dump_cli;
pub mod logging;
pub mod mail;
pub mod mail_cli;
pub mod server;
