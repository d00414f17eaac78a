//! Layered configuration, weakest first: built-in defaults, then a TOML file, then `TENANTRY_*`
//! environment variables, then flags. The file is `--config FILE` (or `TENANTRY_CONFIG`), else
//! `tenantry.toml` in the working directory when there is one.
//!
//! A file holds one key per command-line option, named like the option (`rate_per_address =
//! 100` or `rate-per-address = 100`). Its values become the options' defaults before clap
//! parses, so environment and flags still win, and every value goes through the option's own
//! parser: a file cannot say what a flag could not. Unknown keys are errors that name the key.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command, ConfigCommand};

pub const DEFAULT_FILE: &str = "tenantry.toml";

/// Options a file cannot set: they choose the file, or are not settings.
const NOT_IN_FILES: [&str; 3] = ["config", "help", "version"];

/// Options shown only as set or not: they hold credentials.
const SECRETS: [&str; 2] = ["smtp-url", "metrics-token"];

/// A parsed command line, with what it was parsed from.
pub struct Invocation {
    pub cli: Cli,
    pub matches: ArgMatches,
    pub file: Option<ConfigFile>,
}

/// A configuration file's values, keyed by option name (`rate-per-address`).
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub values: Vec<(String, String)>,
}

/// Parses the process's command line with the configuration file applied; exits with a
/// message (status 2, as clap does) when the line or the file is unusable.
pub fn parse() -> Invocation {
    let args: Vec<OsString> = std::env::args_os().collect();
    let plain = parse_plain(&args);
    // `config check` reports on a file; it never runs with one applied.
    if let Command::Config {
        command: ConfigCommand::Check { .. },
    } = &plain.cli.command
    {
        return plain;
    }
    let file = match chosen_file(plain.cli.config.as_deref()).map(|p| read(&p)) {
        None => return plain,
        Some(Ok(file)) => file,
        Some(Err(error)) => {
            eprintln!("error: {error:#}");
            std::process::exit(2);
        }
    };
    let command = with_defaults(Cli::command(), &file.values);
    let matches = command.get_matches_from(&args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    Invocation {
        cli,
        matches,
        file: Some(file),
    }
}

/// The command line alone, as clap reads it (exiting on an error).
fn parse_plain(args: &[OsString]) -> Invocation {
    let matches = Cli::command().get_matches_from(args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    Invocation {
        cli,
        matches,
        file: None,
    }
}

/// The file named, else the default file if it exists.
fn chosen_file(named: Option<&Path>) -> Option<PathBuf> {
    match named {
        Some(path) => Some(path.to_owned()),
        None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.exists()),
    }
}

/// Reads and validates a file: TOML, known keys only, each value acceptable to its option.
pub fn read(path: &Path) -> anyhow::Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    // toml's own message quotes the offending line, which may hold a password: say only
    // where, and what.
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map_or(0, |span| {
            text[..span.start.min(text.len())].lines().count().max(1)
        });
        anyhow::anyhow!(
            "{} is not valid TOML: line {line}: {}",
            path.display(),
            e.message()
        )
    })?;
    let command = Cli::command();
    let mut values = Vec::new();
    let mut problems = Vec::new();
    for (key, value) in table {
        let name = key.replace('_', "-");
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            other => {
                problems.push(format!(
                    "`{key}` must be a string, number or boolean, not a {}",
                    other.type_str()
                ));
                continue;
            }
        };
        let Some(option) = setting(&command, &name) else {
            problems.push(format!(
                "unknown key `{key}` (the keys are the options of `tenantry serve --help`)"
            ));
            continue;
        };
        match accepted(option, &name, &value) {
            Ok(value) => values.push((name, value)),
            Err(reason) => problems.push(format!("`{key}`: {reason}")),
        }
    }
    if !problems.is_empty() {
        bail!("{}:\n  {}", path.display(), problems.join("\n  "));
    }
    Ok(ConfigFile {
        path: path.to_owned(),
        values,
    })
}

/// The option a file key sets: an option of `serve`, or the global `--log-format`.
fn setting<'a>(root: &'a clap::Command, name: &str) -> Option<&'a clap::Arg> {
    if NOT_IN_FILES.contains(&name) {
        return None;
    }
    let serve = root.find_subcommand("serve")?;
    [root, serve]
        .into_iter()
        .find_map(|command| command.get_arguments().find(|a| a.get_long() == Some(name)))
}

/// The value as the option's default, if the option would take it on the command line. Flags
/// (on/off options) take `true` or `false`.
fn accepted(option: &clap::Arg, name: &str, value: &str) -> Result<String, String> {
    if matches!(option.get_action(), ArgAction::SetTrue) {
        return match value {
            "true" | "false" => Ok(value.to_owned()),
            _ => Err(format!("must be true or false, not {value:?}")),
        };
    }
    // The option alone, without its environment variable, given the value as a flag would be.
    let probe = clap::Command::new("tenantry")
        .no_binary_name(true)
        .arg(option.clone().env(None).required(false).global(false));
    match probe.try_get_matches_from([format!("--{name}={value}")]) {
        Ok(_) => Ok(value.to_owned()),
        Err(error) => {
            let error = error.to_string();
            let first = error.lines().next().unwrap_or_default();
            Err(first.trim_start_matches("error: ").to_owned())
        }
    }
}

/// Makes the file's values the defaults of the options they name, in every subcommand.
fn with_defaults(mut command: clap::Command, values: &[(String, String)]) -> clap::Command {
    for (name, value) in values {
        // clap keeps defaults as `&'static str`; a handful of strings, once per process.
        let value: &'static str = Box::leak(value.clone().into_boxed_str());
        command = with_default(command, name, value);
    }
    command
}

fn with_default(mut command: clap::Command, name: &str, value: &'static str) -> clap::Command {
    let ids: Vec<clap::Id> = command
        .get_arguments()
        .filter(|a| a.get_long() == Some(name))
        .map(|a| a.get_id().clone())
        .collect();
    for id in ids {
        command = command.mut_arg(id, |arg| arg.default_value(value));
    }
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for sub in subcommands {
        command = command.mut_subcommand(sub, |s| with_default(s, name, value));
    }
    command
}

/// `tenantry config print` and `tenantry config check`.
pub fn run(
    command: ConfigCommand,
    config: Option<&Path>,
    matches: &ArgMatches,
    file: Option<&ConfigFile>,
) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Check { file: named } => {
            let Some(path) = named.or_else(|| chosen_file(config)) else {
                bail!("no configuration file: name one, or create {DEFAULT_FILE}");
            };
            let file = read(&path)?;
            println!(
                "{}: {} settings, all valid",
                path.display(),
                file.values.len()
            );
            Ok(())
        }
        ConfigCommand::Print(_) => {
            print!("{}", effective(matches, file));
            Ok(())
        }
    }
}

/// The effective configuration of `config print` (the options of `serve`) as TOML, with the
/// source of each value.
fn effective(root: &ArgMatches, file: Option<&ConfigFile>) -> String {
    let mut out = match file {
        Some(file) => format!("# Configuration file: {}\n", file.path.display()),
        None => "# No configuration file\n".to_owned(),
    };
    let command = Cli::command();
    let Some(print) = command
        .find_subcommand("config")
        .and_then(|c| c.find_subcommand("print"))
    else {
        return out;
    };
    let Some(matches) = root
        .subcommand_matches("config")
        .and_then(|m| m.subcommand_matches("print"))
    else {
        return out;
    };
    let from_file = |name: &str| file.is_some_and(|f| f.values.iter().any(|(k, _)| k == name));
    // The global options first (the log format), then those of `serve`.
    let options = command
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| (a, root))
        .chain(print.get_arguments().map(|a| (a, matches)));
    for (option, matches) in options {
        let Some(name) = option.get_long() else {
            continue;
        };
        if NOT_IN_FILES.contains(&name) {
            continue;
        }
        let id = option.get_id().as_str();
        let key = name.replace('-', "_");
        let source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => "flag",
            Some(ValueSource::EnvVariable) => "environment",
            Some(ValueSource::DefaultValue) if from_file(name) => "file",
            _ => "default",
        };
        let raw: Option<String> = matches
            .get_raw(id)
            .and_then(|mut values| values.next())
            .map(|v| v.to_string_lossy().into_owned());
        let Some(raw) = raw else {
            out.push_str(&format!("# {key} is not set\n"));
            continue;
        };
        let shown = if SECRETS.contains(&name) {
            "\"(hidden)\"".to_owned()
        } else if name == "database" {
            toml_string(&crate::database::redact(&raw))
        } else if matches!(option.get_action(), ArgAction::SetTrue) || raw.parse::<i64>().is_ok() {
            raw
        } else {
            toml_string(&raw)
        };
        out.push_str(&format!("{key} = {shown}  # {source}\n"));
    }
    out
}

fn toml_string(raw: &str) -> String {
    toml::Value::String(raw.to_owned()).to_string()
}
