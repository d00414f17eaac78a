//! Lists and counts, compiled by `tenantry-store-sql` for SQLite and run here.
//!
//! Accounts, users and counts run through rusqlite on the readers' threads (`read_threads`):
//! sqlx copies every value of every row out of SQLite and makes a trip between threads for
//! each row, which was a fifth of the server's CPU in `list-users` (perf). Devices and audit
//! records, and any read that cannot run that way now, go through the sqlx readers.

use sqlx::query::QueryAs;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, FromRow, Sqlite};
use tenantry_core::Result;
use tenantry_core::model::{Account, AuditRecord, Device, User};
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::store::Scope;
use tenantry_store_sql::{Bind, Dialect, Fts, Statement, Table};

use crate::errors::db;
use crate::readers::Readers;
use crate::rows::{
    AccountRow, AuditRow, DeviceRow, UserRow, account_columns, audit_columns, convert_all,
    device_columns, user_columns,
};
use crate::timestamps::to_db;

const ACCOUNTS: Table = Table {
    name: "accounts",
    columns: account_columns!(),
    path_column: "path",
    owner_column: Some("parent_id"),
    fts: Some(Fts {
        table: "accounts_search",
        rowid: "accounts_search.rowid",
    }),
};

const USERS: Table = Table {
    name: "users",
    columns: user_columns!(),
    path_column: "account_path",
    owner_column: Some("account_id"),
    fts: Some(Fts {
        table: "users_search",
        rowid: "users_search.rowid",
    }),
};

const DEVICES: Table = Table {
    name: "devices",
    columns: device_columns!(),
    path_column: "account_path",
    owner_column: Some("account_id"),
    fts: None,
};

const AUDIT: Table = Table {
    name: "audit_log",
    columns: audit_columns!(),
    path_column: "account_path",
    owner_column: None,
    fts: None,
};

fn table(resource: ListResource) -> &'static Table {
    match resource {
        ListResource::Accounts => &ACCOUNTS,
        ListResource::Users => &USERS,
        ListResource::Devices => &DEVICES,
        ListResource::Audit => &AUDIT,
    }
}

async fn rows<R>(readers: &Readers, statement: Statement) -> Result<Vec<R>>
where
    R: for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
{
    bound(statement)
        .fetch_all(&mut *readers.acquire().await?)
        .await
        .map_err(db)
}

/// The statement's values, for rusqlite.
fn values(binds: &[Bind]) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value;
    binds
        .iter()
        .map(|value| match value {
            Bind::Int(n) => Value::Integer(*n),
            Bind::Text(s) => Value::Text(s.clone()),
            Bind::Bool(b) => Value::Integer(i64::from(*b)),
            Bind::Time(t) => Value::Integer(to_db(*t)),
        })
        .collect()
}

/// The rows of `statement`, which returns at most `expected` of them (the room made up
/// front), read through rusqlite on a reader thread with `decode` (see `Readers::on_thread`),
/// or through the sqlx readers if it cannot run there now.
async fn rows_by<R>(
    readers: &Readers,
    statement: Statement,
    expected: usize,
    decode: fn(&rusqlite::Row<'_>) -> rusqlite::Result<R>,
) -> Result<Vec<R>>
where
    R: for<'r> FromRow<'r, SqliteRow> + Send + Unpin + 'static,
{
    let sql = statement.sql.clone();
    let values = values(&statement.binds);
    let read = move |conn: &rusqlite::Connection| {
        let mut prepared = conn.prepare_cached(&sql)?;
        let rows = prepared.query_map(rusqlite::params_from_iter(values), decode)?;
        // Room for the whole page at once: collected from an iterator of unknown length, a
        // page of 51 users grew from 4 rows to 64, moving every row each time (1.6 % of the
        // server's CPU in `list-users`, `perf`).
        let mut page = Vec::with_capacity(expected);
        for row in rows {
            page.push(row?);
        }
        Ok(page)
    };
    match readers.on_thread(read).await? {
        Some(rows) => Ok(rows),
        None => rows(readers, statement).await,
    }
}

/// The statement as a query with its values bound.
fn bound<R>(statement: Statement) -> QueryAs<'static, Sqlite, R, SqliteArguments>
where
    R: for<'r> FromRow<'r, SqliteRow>,
{
    // The SQL holds only tenantry-store-sql's fragments; every client value is a bind.
    let mut query = sqlx::query_as::<_, R>(AssertSqlSafe(statement.sql));
    for value in statement.binds {
        query = match value {
            Bind::Int(n) => query.bind(n),
            Bind::Text(s) => query.bind(s),
            Bind::Bool(b) => query.bind(b),
            Bind::Time(t) => query.bind(to_db(t)),
        };
    }
    query
}

/// The most rows a page's statement returns: its page and the one row that tells whether
/// another follows.
fn page_rows(request: &ListRequest) -> usize {
    usize::try_from(request.fetch_limit()).unwrap_or(0)
}

fn select(scope: &Scope, request: &ListRequest) -> Statement {
    tenantry_store_sql::select(Dialect::Sqlite, table(request.resource), scope, request)
}

/// A part of a tenant with at most this many rows is searched for free text by reading its own
/// rows through the scope's index and testing each (`LIKE`). The full-text index finds the
/// tenant's matches (see `tenantry_store_sql::list`'s `full_text_query`), and each one's row
/// must be read to test the rest of the scope, so a small account's search for a piece of a
/// name common in the rest of its tenant reads thousands of rows to fill a page with a few.
/// (For a tenant of 1,000 among a million users, when the index found every tenant's matches,
/// over the benchmark's 442 terms one at a time: 1.8 ms on average and 23 ms at the 99th
/// percentile, against 0.19 and 0.26 ms read whole.) Read whole, a scope costs at most this
/// many rows; one that may be larger stays with the index.
const SCANNED_SCOPE_MOST: u64 = 5_000;

/// `table` as a list of `request` in `scope` should read it. A whole tenant is searched in the
/// full-text index, which holds each row's tenant: in a tenant of 925 among a million users,
/// by hand over 394 terms, 0.35-0.37 ms a search on average against 0.60 ms counting and then
/// reading the tenant whole. A part of a tenant is searched without the index when it holds
/// few enough rows to read whole ([`SCANNED_SCOPE_MOST`]), counted first through the scope's
/// index.
async fn searched(
    readers: &Readers,
    table: &'static Table,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Table> {
    // Every tenant, or one whole tenant.
    let whole = match scope {
        Scope::All => true,
        Scope::Subtree(path) => path.depth() == 1,
        Scope::Account { .. } | Scope::Below(_) => false,
    };
    if whole || !tenantry_store_sql::searches_full_text(Dialect::Sqlite, table, request) {
        return Ok(*table);
    }
    let scope_only = ListRequest::all(request.resource, 1);
    let statement = tenantry_store_sql::count(
        Dialect::Sqlite,
        table,
        scope,
        &scope_only,
        SCANNED_SCOPE_MOST,
    );
    Ok(
        if counted(readers, statement).await? <= SCANNED_SCOPE_MOST {
            Table {
                fts: None,
                ..*table
            }
        } else {
            *table
        },
    )
}

/// The rows of the page of `request` in `scope`, searched as [`searched`] says.
async fn page<R>(
    readers: &Readers,
    scope: &Scope,
    request: &ListRequest,
    decode: fn(&rusqlite::Row<'_>) -> rusqlite::Result<R>,
) -> Result<Vec<R>>
where
    R: for<'r> FromRow<'r, SqliteRow> + Send + Unpin + 'static,
{
    let table = searched(readers, table(request.resource), scope, request).await?;
    let select = tenantry_store_sql::select(Dialect::Sqlite, &table, scope, request);
    rows_by(readers, select, page_rows(request), decode).await
}

pub(crate) async fn accounts(
    readers: &Readers,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Vec<Account>> {
    let decode = |row: &rusqlite::Row<'_>| AccountRow::from_by_key(row, 0);
    convert_all(page(readers, scope, request, decode).await?)
}

pub(crate) async fn users(
    readers: &Readers,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Vec<User>> {
    let decode = |row: &rusqlite::Row<'_>| UserRow::from_by_key(row, 0);
    convert_all(page(readers, scope, request, decode).await?)
}

pub(crate) async fn devices(
    readers: &Readers,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Vec<Device>> {
    convert_all(rows::<DeviceRow>(readers, select(scope, request)).await?)
}

pub(crate) async fn audit(
    readers: &Readers,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Vec<AuditRecord>> {
    convert_all(rows::<AuditRow>(readers, select(scope, request)).await?)
}

pub(crate) async fn count(
    readers: &Readers,
    scope: &Scope,
    request: &ListRequest,
    cap: u64,
) -> Result<u64> {
    let table = searched(readers, table(request.resource), scope, request).await?;
    counted(
        readers,
        tenantry_store_sql::count(Dialect::Sqlite, &table, scope, request, cap),
    )
    .await
}

/// The number a `SELECT COUNT(*)` statement answers.
async fn counted(readers: &Readers, statement: Statement) -> Result<u64> {
    let decode = |row: &rusqlite::Row<'_>| Ok((row.get::<_, i64>(0)?,));
    let counted: Vec<(i64,)> = rows_by(readers, statement, 1, decode).await?;
    Ok(counted
        .first()
        .map_or(0, |(n,)| u64::try_from(*n).unwrap_or(0)))
}

/// The query plan SQLite would use for a list, one step per line; for tests that check that
/// common filters are answered from an index.
pub(crate) async fn explain(
    readers: &Readers,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Vec<String>> {
    let table = searched(readers, table(request.resource), scope, request).await?;
    let mut statement = tenantry_store_sql::select(Dialect::Sqlite, &table, scope, request);
    statement.sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
    // An EXPLAIN never reads the schema version, so it would describe the plan for the schema
    // as this connection last saw it, before an index was added or dropped. A read first
    // brings the connection's copy up to date, and the EXPLAIN is not kept prepared.
    let mut conn = readers.acquire().await?;
    sqlx::query("SELECT 1 FROM sqlite_master LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let plan: Vec<(i64, i64, i64, String)> = bound(statement)
        .persistent(false)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    Ok(plan.into_iter().map(|(_, _, _, detail)| detail).collect())
}
