//! `tenantry export` and `tenantry import`: the whole service, or one tenant, as JSON lines.
//!
//! A dump is a header line (`{"tenantry_dump": 1, "schema": …, "scope": …}`), one line per
//! row (`{"table": "users", "row": {…}}`, tables in the order of
//! [`tenantry_core::model::dump::TABLES`], parents before children), and a footer with the
//! row count, so a cut-off dump is recognised. Import loads batches of rows, each in one
//! transaction. A row the target already holds with the same values is skipped, so an import
//! can be run again; one it holds with other values (another installation's account 3, a
//! taken address) stops the import before that batch is written: loading on would attach the
//! dump's rows to someone else's records. At the end the id sequences move on and every
//! invariant is checked.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use tenantry_core::model::AccountId;
use tenantry_core::model::dump::{DumpRow, FORMAT, TABLES, TableSpec, check_row, table};
use tenantry_core::store::Store;

/// Rows read per page when exporting, and loaded per transaction when importing.
const PAGE: u32 = 5000;
const BATCH: usize = 2000;

/// Writes the dump of everything, or of the tenant whose root account is `tenant`; returns
/// the number of rows written.
pub async fn export(
    store: Arc<dyn Store>,
    tenant: Option<i64>,
    out: &mut impl Write,
) -> anyhow::Result<u64> {
    let tenant = match tenant {
        None => None,
        Some(id) => {
            let account = store
                .account(AccountId(id))
                .await?
                .with_context(|| format!("no account {id}"))?;
            if account.parent_id.is_some() {
                bail!(
                    "account {id} is not a tenant: export its root, account {}",
                    account.tenant_id.get()
                );
            }
            Some(account.id)
        }
    };
    if tenant.is_some() {
        eprintln!(
            "note: a tenant's dump leaves out the installation keys; Cloud Elements secrets and \
             certificate tokens derived from them must be rotated where it is imported"
        );
    }
    let health = store.health().await?;
    let scope = tenant.map_or(json!("all"), |t| json!({ "tenant": t.get() }));
    let header = json!({
        "tenantry_dump": FORMAT,
        "schema": health.schema_applied,
        "scope": scope,
        "exported_at": tenantry_core::model::dump::format_time(time::OffsetDateTime::now_utc()),
    });
    writeln!(out, "{header}")?;
    let mut total = 0u64;
    for spec in TABLES {
        let mut after = None;
        loop {
            let rows = store.dump_rows(spec, tenant, after, PAGE).await?;
            for row in &rows {
                serde_json::to_writer(&mut *out, &json!({ "table": spec.name, "row": row }))?;
                out.write_all(b"\n")?;
            }
            total += rows.len() as u64;
            let Some(key) = spec.key else { break };
            match rows.last().and_then(|r| r.get(key)).and_then(Value::as_i64) {
                Some(last) if rows.len() == PAGE as usize => after = Some(last),
                _ => break,
            }
        }
    }
    writeln!(out, "{}", json!({ "end": true, "rows": total }))?;
    out.flush()?;
    Ok(total)
}

/// Per table: rows read from the dump, and how many of them were new; how long loading and
/// then building indexes took.
#[derive(Debug, Default)]
pub struct Imported {
    pub tables: BTreeMap<&'static str, (u64, u64)>,
    pub loading: Duration,
    pub finishing: Duration,
}

impl Imported {
    pub fn report(&self) -> String {
        let mut out = String::new();
        for (name, (read, new)) in &self.tables {
            let kept = read - new;
            out.push_str(&format!(
                "{name}: {read} rows, {new} new, {kept} already there\n"
            ));
        }
        out.push_str(&format!(
            "loaded in {:.1} s, then indexes and sequences in {:.1} s\n",
            self.loading.as_secs_f64(),
            self.finishing.as_secs_f64()
        ));
        out
    }
}

/// Loads a dump; shows progress on a terminal.
pub async fn import(store: Arc<dyn Store>, input: impl BufRead) -> anyhow::Result<Imported> {
    let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} rows ({per_sec}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    progress.enable_steady_tick(Duration::from_millis(200));
    let started = Instant::now();
    let result = load(&store, input, &progress).await;
    let loading = started.elapsed();
    progress.set_message("building indexes");
    // Batches before a failure are committed: build the indexes set aside and move the
    // sequences past those rows either way, so a server started before the import is run
    // again never runs without indexes or hands out an imported id.
    let finished = store.finish_load().await;
    progress.finish_and_clear();
    // The loading error is the one to act on; finishing after it usually fails for the same
    // reason (the database went away).
    let mut imported = match (result, finished) {
        (Err(loading), Err(finishing)) => {
            eprintln!("finishing the import failed too: {finishing:#}");
            return Err(loading);
        }
        (Err(loading), Ok(())) => return Err(loading),
        (Ok(_), Err(finishing)) => return Err(finishing.into()),
        (Ok(imported), Ok(())) => imported,
    };
    imported.loading = loading;
    imported.finishing = started.elapsed() - loading;
    let violations = store.invariant_violations().await?;
    if !violations.is_empty() {
        bail!(
            "the imported data breaks {} invariant(s):\n{}",
            violations.len(),
            violations.join("\n")
        );
    }
    Ok(imported)
}

async fn load(
    store: &Arc<dyn Store>,
    input: impl BufRead,
    progress: &ProgressBar,
) -> anyhow::Result<Imported> {
    let mut lines = input.lines();
    let header: Value = match lines.next() {
        Some(line) => serde_json::from_str(&line?).context("the first line is not JSON")?,
        None => bail!("the dump is empty"),
    };
    if header["tenantry_dump"].as_i64() != Some(FORMAT) {
        bail!("not a Tenantry dump (format {FORMAT}): {header}");
    }
    let expected = store.health().await?.schema_expected;
    let schema = header["schema"].as_i64().unwrap_or(i64::MAX);
    if schema > expected {
        bail!("the dump has schema {schema}, newer than this build's {expected}: upgrade first");
    }
    progress.set_message(format!("({})", header["scope"]));
    // Into an empty installation, indexes are built once at the end rather than row by row.
    let set_aside = store.prepare_load().await?;
    if set_aside > 0 {
        progress.suspend(|| {
            eprintln!("the target is empty: {set_aside} indexes will be built after loading")
        });
    }
    let mut imported = Imported::default();
    let mut loader = Loader::default();
    let reading = read_rows(store, lines, progress, &mut loader, &mut imported).await;
    // Whatever stopped the reading, the batch being written finishes before the caller moves
    // the sequences on.
    let written = loader.wait(&mut imported).await;
    let (read, ended) = reading?;
    written?;
    match ended {
        Some(rows) if rows == read => Ok(imported),
        Some(rows) => bail!("the dump says {rows} rows but holds {read}"),
        None => bail!(
            "the dump ends without its footer after {read} rows (cut off?): what was read is \
             loaded; import the complete dump again"
        ),
    }
}

/// Reads the rows after the header, checking each, and hands them to the loader in batches;
/// returns how many were read and what the footer said.
async fn read_rows(
    store: &Arc<dyn Store>,
    lines: impl Iterator<Item = std::io::Result<String>>,
    progress: &ProgressBar,
    loader: &mut Loader,
    imported: &mut Imported,
) -> anyhow::Result<(u64, Option<u64>)> {
    let mut batch: Vec<DumpRow> = Vec::with_capacity(BATCH);
    let mut current: Option<&'static TableSpec> = None;
    let mut read = 0u64;
    let mut ended = None;
    for (number, line) in lines.enumerate() {
        let line = line?;
        let at = number + 2;
        if ended.is_some() {
            bail!("line {at}: rows after the dump's end");
        }
        let mut entry: Value =
            serde_json::from_str(&line).with_context(|| format!("line {at} is not JSON"))?;
        if entry["end"] == true {
            ended = entry["rows"].as_u64();
            continue;
        }
        let name = entry["table"].as_str().unwrap_or_default();
        let spec = table(name).with_context(|| format!("line {at}: unknown table {name:?}"))?;
        let Value::Object(row) = entry["row"].take() else {
            bail!("line {at}: no row");
        };
        check_row(spec, &row).map_err(|e| anyhow::anyhow!("line {at}: {e}"))?;
        if current.is_some_and(|c| c.name != spec.name) || batch.len() >= BATCH {
            loader.flush(store, current, &mut batch, imported).await?;
        }
        current = Some(spec);
        batch.push(row);
        read += 1;
        progress.set_position(read);
    }
    loader.flush(store, current, &mut batch, imported).await?;
    Ok((read, ended))
}

/// Loads batches one after another while the next is read: the batch being written runs as
/// its own task, and the next waits for it (so rows still arrive parents first).
#[derive(Default)]
struct Loader {
    writing: Option<tokio::task::JoinHandle<anyhow::Result<Written>>>,
}

/// A batch written: its table, its rows, and how many were new.
type Written = (&'static str, u64, u64);

impl Loader {
    /// Hands over `batch` (emptying it) once the batch before it is written.
    async fn flush(
        &mut self,
        store: &Arc<dyn Store>,
        table: Option<&'static TableSpec>,
        batch: &mut Vec<DumpRow>,
        imported: &mut Imported,
    ) -> anyhow::Result<()> {
        self.wait(imported).await?;
        let Some(table) = table else { return Ok(()) };
        if batch.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(batch, Vec::with_capacity(BATCH));
        let store = store.clone();
        self.writing = Some(tokio::spawn(async move {
            let new = store
                .load_rows(table, &rows)
                .await
                .with_context(|| format!("loading {} rows", table.name))?;
            Ok((table.name, rows.len() as u64, new))
        }));
        Ok(())
    }

    /// Waits for the batch being written, and counts it.
    async fn wait(&mut self, imported: &mut Imported) -> anyhow::Result<()> {
        if let Some(writing) = self.writing.take() {
            let (name, read, new) = writing.await.context("a loading task failed")??;
            let counts = imported.tables.entry(name).or_default();
            counts.0 += read;
            counts.1 += new;
        }
        Ok(())
    }
}
