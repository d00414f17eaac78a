//! The audit trail a seeded installation would have: one record for each account and each user
//! it created, as the service writes them (`account.create`, `user.create`), so that lookups in
//! the trail and the cost of adding to it are measured at the size they would have.

use anyhow::Context;
use serde_json::{Value, json};
use tenantry_core::model::dump::{self, DumpRow, TableSpec};
use tenantry_core::model::{Account, AccountId, AccountPath, User};
use tenantry_core::store::Store;
use time::OffsetDateTime;

use crate::rng::Rng;

/// Records waiting to be written, and the id the next one takes.
pub struct Trail {
    table: &'static TableSpec,
    rows: Vec<DumpRow>,
    next_id: i64,
    /// Request ids only: the seeded accounts and users stay what they were without a trail.
    rng: Rng,
    pub written: u64,
}

/// Records written to the store at a time, in one transaction.
const BATCH: usize = 10_000;

impl Trail {
    pub fn new() -> anyhow::Result<Trail> {
        Ok(Trail {
            table: dump::table("audit_log").context("the dump format has no audit_log")?,
            rows: Vec::with_capacity(BATCH),
            next_id: 1,
            rng: Rng::new(0xA0D1_7000),
            written: 0,
        })
    }

    pub async fn account_created(
        &mut self,
        store: &dyn Store,
        account: &Account,
    ) -> anyhow::Result<()> {
        let details = json!({
            "parent_id": account.parent_id.map(AccountId::get),
            "device_seats": account.device_seats,
        });
        let row = self.row(
            "account.create",
            ("account", account.id.get()),
            (account.tenant_id, &account.path),
            details,
            account.created,
        )?;
        self.push(store, row).await
    }

    pub async fn user_created(&mut self, store: &dyn Store, user: &User) -> anyhow::Result<()> {
        let details = json!({ "role": user.role.as_str() });
        let row = self.row(
            "user.create",
            ("user", user.id.get()),
            (user.tenant_id, &user.account_path),
            details,
            user.created,
        )?;
        self.push(store, row).await
    }

    /// Writes what is still waiting.
    pub async fn flush(&mut self, store: &dyn Store) -> anyhow::Result<()> {
        if !self.rows.is_empty() {
            self.written += store.load_rows(self.table, &self.rows).await?;
            self.rows.clear();
        }
        Ok(())
    }

    async fn push(&mut self, store: &dyn Store, row: DumpRow) -> anyhow::Result<()> {
        self.rows.push(row);
        if self.rows.len() >= BATCH {
            self.flush(store).await?;
        }
        Ok(())
    }

    fn row(
        &mut self,
        action: &str,
        (target_type, target_id): (&str, i64),
        (tenant, path): (AccountId, &AccountPath),
        details: Value,
        at: OffsetDateTime,
    ) -> anyhow::Result<DumpRow> {
        let id = self.next_id;
        self.next_id += 1;
        // As random as the service's request ids (UUIDs), so their values spread alike.
        let request_id = format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64());
        let value = json!({
            "id": id,
            "tenant_id": tenant.get(),
            "account_path": path.as_str(),
            "actor": "cli",
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "request_id": request_id,
            "details": details,
            "at": dump::format_time(at),
        });
        match value {
            Value::Object(row) => Ok(row),
            other => anyhow::bail!("an audit record is not an object: {other}"),
        }
    }
}
