//! `tenantry`: the multi-tenant account and user service. See `tenantry --help`.

/// jemalloc for every allocation in the process, SQLite's C code included: it hands freed
/// memory back to the system after a few seconds, where glibc's per-thread heaps kept what
/// searches had freed resident for good (40 of 68 MB of heap after `search-text`). With it, in
/// alternating benchmark runs at 1 M users, the peak RSS of every scenario fell under 100 MB
/// (`login` 113-115 -> 90-91 MB, searches 69-75 -> 49-54 MB), searches served 25-50 % more
/// and `create-user` 1.5-2.6x as many. Its decay settings are compiled in from
/// `.cargo/config.toml` (`JEMALLOC_SYS_WITH_MALLOC_CONF`): freed pages go back after one second.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
