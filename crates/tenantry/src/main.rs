//! `tenantry`: the multi-tenant account and user service. See `tenantry --help`.

use clap::Parser;
use tenantry::cli::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tenantry::logging::init(cli.log_format);
    match tenantry::commands::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
