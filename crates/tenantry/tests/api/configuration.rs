//! Configuration as operators layer it: a `tenantry.toml` under `TENANTRY_*` variables under
//! flags; unknown keys and bad values refused by name; `config print` shows where each value
//! came from and hides secrets; and `serve` really runs with what the file says.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::process::{BINARY, exchange};

/// Runs `tenantry ARGS…` in `dir` with extra environment: (success, stdout, stderr).
async fn tenantry(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let output = Command::new(BINARY)
        .current_dir(dir)
        .env_remove("TENANTRY_CONFIG")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The line of `config print` for `key`.
fn line<'a>(printed: &'a str, key: &str) -> &'a str {
    printed
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in {printed}"))
}

#[tokio::test]
async fn file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tenantry.toml"),
        "rate_per_address = 70\nburst-per-address = 700\nrate_per_credential = 7\n\
         disable_signup = true\nsmtp_url = \"smtp://bob:hunter2@mail.example\"\n\
         database = \"postgres://app:s3cret@db.example/tenantry\"\n",
    )
    .unwrap();
    let (ok, printed, stderr) = tenantry(
        dir.path(),
        &[
            ("TENANTRY_BURST_PER_ADDRESS", "800"),
            ("TENANTRY_RATE_PER_CREDENTIAL", "8"),
        ],
        &["config", "print", "--rate-per-credential", "9"],
    )
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(
        line(&printed, "rate_per_address"),
        "rate_per_address = 70  # file"
    );
    assert_eq!(
        line(&printed, "burst_per_address"),
        "burst_per_address = 800  # environment"
    );
    assert_eq!(
        line(&printed, "rate_per_credential"),
        "rate_per_credential = 9  # flag"
    );
    assert_eq!(
        line(&printed, "disable_signup"),
        "disable_signup = true  # file"
    );
    assert_eq!(
        line(&printed, "header_read_timeout"),
        "header_read_timeout = 10  # default"
    );
    assert_eq!(
        line(&printed, "smtp_url"),
        "smtp_url = \"(hidden)\"  # file"
    );
    assert!(
        !printed.contains("hunter2") && !printed.contains("s3cret"),
        "{printed}"
    );
    // What `print` shows is itself a valid file.
    let copy = dir.path().join("printed.toml");
    std::fs::write(&copy, &printed).unwrap();
    let (ok, said, stderr) = tenantry(dir.path(), &[], &["config", "check", "printed.toml"]).await;
    assert!(ok, "{said}{stderr}");
}

#[tokio::test]
async fn unknown_keys_and_bad_values_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "listen = \"127.0.0.1:0\"\nrate_per_adress = 5\nheader_read_timeout = 0\nmail = { from = \"x\" }\n",
    )
    .unwrap();
    let (ok, _, stderr) = tenantry(dir.path(), &[], &["config", "check", "bad.toml"]).await;
    assert!(!ok);
    assert!(stderr.contains("unknown key `rate_per_adress`"), "{stderr}");
    assert!(stderr.contains("`header_read_timeout`"), "{stderr}");
    assert!(
        stderr.contains("`mail` must be a string, number or boolean"),
        "{stderr}"
    );
    assert!(!stderr.contains("`listen`"), "{stderr}");
    // Every command refuses to run with it, before doing anything.
    let (ok, _, stderr) = tenantry(dir.path(), &[], &["--config", "bad.toml", "migrate"]).await;
    assert!(!ok);
    assert!(stderr.contains("unknown key `rate_per_adress`"), "{stderr}");
    assert!(
        !dir.path().join("tenantry.db").exists(),
        "nothing was created"
    );
    // A named file that is not there is an error, not silently nothing.
    let (ok, _, stderr) = tenantry(
        dir.path(),
        &[("TENANTRY_CONFIG", "missing.toml")],
        &["migrate"],
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("missing.toml"), "{stderr}");
    let (ok, said, _) = tenantry(dir.path(), &[], &["config", "check", "missing.toml"]).await;
    assert!(!ok, "{said}");
}

/// `serve` runs with the file's settings: here its database and a metrics token.
#[tokio::test]
async fn serve_runs_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("from-file.db").display());
    std::fs::write(
        dir.path().join("tenantry.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"{database}\"\nmetrics_token = \"scrape\"\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(BINARY)
        .current_dir(dir.path())
        .env_remove("TENANTRY_CONFIG")
        .env("RUST_LOG", "warn")
        .arg("serve")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut first = String::new();
    let stdout = child.stdout.take().unwrap();
    tokio::time::timeout(
        Duration::from_secs(60),
        BufReader::new(stdout).read_line(&mut first),
    )
    .await
    .unwrap()
    .unwrap();
    let address = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .parse()
        .unwrap();
    let (status, ..) = exchange(address, "GET", "/metrics", &[], None)
        .await
        .unwrap();
    assert_eq!(status, 401);
    let (status, _, text) = exchange(
        address,
        "GET",
        "/metrics",
        &[("Authorization", "Bearer scrape")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(text.contains("tenantry_build_info"));
    assert!(dir.path().join("from-file.db").exists());
    child.kill().await.unwrap();
}

/// A syntax error says where, never the line itself: the line may hold a password.
#[tokio::test]
async fn a_syntax_error_does_not_echo_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tenantry.toml"),
        "listen = \"127.0.0.1:0\"\nsmtp_url = \"smtp://mailer:s3cr\\qt@mail.example\"\n",
    )
    .unwrap();
    let (ok, _, stderr) = tenantry(dir.path(), &[], &["config", "check"]).await;
    assert!(!ok);
    assert!(stderr.contains("line 2"), "{stderr}");
    assert!(!stderr.contains("s3cr"), "{stderr}");
    let (ok, _, stderr) = tenantry(dir.path(), &[], &["migrate"]).await;
    assert!(!ok);
    assert!(!stderr.contains("s3cr"), "{stderr}");
}
