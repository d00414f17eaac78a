//! `tenantry`: the multi-tenant account and user service. See `tenantry --help`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let invocation = tenantry::config::parse();
    tenantry::logging::init(invocation.cli.log_format);
    match tenantry::commands::run(invocation).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
