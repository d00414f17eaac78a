//! Lists and counts, compiled by `tenantry-store-sql` for PostgreSQL and run here.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Arguments, AssertSqlSafe, FromRow, PgPool};
use tenantry_core::model::{Account, AuditRecord, Device, User};
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::store::Scope;
use tenantry_core::{Error, Result};
use tenantry_store_sql::{Bind, Dialect, Statement, Table, walk};

use crate::errors::db;
use crate::rows::{
    AccountRow, AuditRow, DeviceRow, UserRow, account_columns, audit_columns, convert_all,
    device_columns, user_columns,
};

// Free text uses `search_text LIKE '%…%'`, answered by the pg_trgm GIN index.
const ACCOUNTS: Table = Table {
    name: "accounts",
    columns: account_columns!(),
    path_column: "path",
    owner_column: Some("parent_id"),
    fts: None,
};

const USERS: Table = Table {
    name: "users",
    columns: user_columns!(),
    path_column: "account_path",
    owner_column: Some("account_id"),
    fts: None,
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

async fn rows<R>(pool: &PgPool, statement: Statement) -> Result<Vec<R>>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    // The SQL holds only tenantry-store-sql's fragments; every client value is a bind.
    let arguments = arguments(statement.binds)?;
    sqlx::query_as_with::<_, R, _>(AssertSqlSafe(statement.sql), arguments)
        .fetch_all(pool)
        .await
        .map_err(db)
}

/// A statement's binds, in order, as PostgreSQL arguments.
pub(crate) fn arguments(binds: Vec<Bind>) -> Result<PgArguments> {
    let mut arguments = PgArguments::default();
    for value in binds {
        let added = match value {
            Bind::Int(n) => arguments.add(n),
            Bind::Text(s) => arguments.add(s),
            Bind::Bool(b) => arguments.add(b),
            Bind::Time(t) => arguments.add(t),
        };
        added.map_err(|e| Error::internal(format!("cannot bind a list parameter: {e}")))?;
    }
    Ok(arguments)
}

fn select(scope: &Scope, request: &ListRequest) -> Statement {
    tenantry_store_sql::select(Dialect::Postgres, table(request.resource), scope, request)
}

fn walk(scope: &Scope, request: &ListRequest) -> Option<Statement> {
    walk::select(Dialect::Postgres, table(request.resource), scope, request)
}

/// The rows a walk of `length` rows finds, when the list is walked at all.
async fn walked<R>(
    pool: &PgPool,
    scope: &Scope,
    request: &ListRequest,
    length: i64,
) -> Result<Option<Vec<R>>>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let resource = table(request.resource);
    match walk::select_walking(Dialect::Postgres, resource, scope, request, length) {
        Some(statement) => rows(pool, statement).await.map(Some),
        None => Ok(None),
    }
}

/// Whether a walk of `walked` rows read the whole list: its scope, before any filter, search
/// or cursor narrows it, holds no more rows than that (counted through the scope's index).
/// Never for the whole installation, which is not worth counting.
async fn walked_whole(
    pool: &PgPool,
    scope: &Scope,
    request: &ListRequest,
    walked: i64,
) -> Result<bool> {
    let Ok(cap) = u64::try_from(walked) else {
        return Ok(false);
    };
    if matches!(scope, Scope::All) {
        return Ok(false);
    }
    let scope_only = ListRequest::all(request.resource, 1);
    Ok(count(pool, scope, &scope_only, cap).await? <= cap)
}

/// A page of a list. A free-text search in id order first walks the start of the list (see
/// `tenantry_store_sql::walk`): a full page from the walk is the answer, and so is any page
/// from a walk that read the whole list (a tenant's search in a tenant smaller than the walk,
/// which the trigram index would answer by finding the text in every tenant first). When the
/// walk found enough to expect a page from a longer one, that walk comes next; anything less,
/// and the trigram index answers instead.
async fn page<R>(pool: &PgPool, scope: &Scope, request: &ListRequest) -> Result<Vec<R>>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let full = |found: &[R]| i64::try_from(found.len()).is_ok_and(|n| n == request.fetch_limit());
    if let Some(first) = walk::walk_rows(request)
        && let Some(found) = walked::<R>(pool, scope, request, first).await?
    {
        if full(&found) || walked_whole(pool, scope, request, first).await? {
            return Ok(found);
        }
        if let Some(second) = walk::longer_walk_rows(request, first, found.len())
            && let Some(found) = walked::<R>(pool, scope, request, second).await?
            && full(&found)
        {
            return Ok(found);
        }
    }
    rows(pool, select(scope, request)).await
}

pub(crate) async fn accounts(
    pool: &PgPool,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Vec<Account>> {
    convert_all(page::<AccountRow>(pool, scope, request).await?)
}

pub(crate) async fn users(
    pool: &PgPool,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Vec<User>> {
    convert_all(page::<UserRow>(pool, scope, request).await?)
}

pub(crate) async fn devices(
    pool: &PgPool,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Vec<Device>> {
    convert_all(page::<DeviceRow>(pool, scope, request).await?)
}

pub(crate) async fn audit(
    pool: &PgPool,
    scope: &Scope,
    request: &ListRequest,
) -> Result<Vec<AuditRecord>> {
    let rows = page::<AuditRow>(pool, scope, request).await?;
    Ok(rows.into_iter().map(AuditRecord::from).collect())
}

pub(crate) async fn count(
    pool: &PgPool,
    scope: &Scope,
    request: &ListRequest,
    cap: u64,
) -> Result<u64> {
    let statement = tenantry_store_sql::count(
        Dialect::Postgres,
        table(request.resource),
        scope,
        request,
        cap,
    );
    let counted: Vec<(i64,)> = rows(pool, statement).await?;
    Ok(counted
        .first()
        .map_or(0, |(n,)| u64::try_from(*n).unwrap_or(0)))
}

/// The plans PostgreSQL would use for a list (the walk's first, when it has one), one line per
/// row of `EXPLAIN`, with sequential scans disabled so the plan shows whether an index *can*
/// answer the query (on a small test table the planner would otherwise rightly prefer a scan).
/// For tests.
pub async fn explain(pool: &PgPool, scope: &Scope, request: &ListRequest) -> Result<Vec<String>> {
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let mut plans = Vec::new();
    for statement in walk(scope, request)
        .into_iter()
        .chain([select(scope, request)])
    {
        let explained = format!("EXPLAIN {}", statement.sql);
        let arguments = arguments(statement.binds)?;
        let query = sqlx::query_scalar_with::<_, String, _>(AssertSqlSafe(explained), arguments);
        plans.extend(query.fetch_all(&mut *tx).await.map_err(db)?);
    }
    tx.rollback().await.map_err(db)?;
    Ok(plans)
}
