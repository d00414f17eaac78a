//! Rows out and in for `tenantry export` and `tenantry import`, column by column as
//! [`tenantry_core::model::dump`] lists them: times as TIMESTAMPTZ, binary as BYTEA, JSON as
//! JSONB. After loading, the id sequences move past the ids loaded.

use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::query_builder::Separated;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgPool, Postgres, QueryBuilder, Row};
use tenantry_core::model::AccountId;
use tenantry_core::model::dump::{
    ColumnType, DumpRow, TABLES, TableSpec, check_row, decode_bytes, encode_bytes, format_time,
    new_rows, parse_time,
};
use tenantry_core::{Error, Result};
use tenantry_store_sql::{Dialect, Statement};
use time::OffsetDateTime;

use crate::errors::db;

/// Bound values per INSERT: under PostgreSQL's limit of 65,535.
const MAX_BINDS: usize = 60_000;

pub(crate) async fn rows(
    pool: &PgPool,
    table: &TableSpec,
    tenant: Option<AccountId>,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<DumpRow>> {
    let Some(statement) =
        tenantry_store_sql::dump::select(Dialect::Postgres, table, tenant, after, limit)
    else {
        return Ok(Vec::new());
    };
    let mut conn = pool.acquire().await.map_err(db)?;
    fetch(&mut conn, table, statement).await
}

/// Runs a statement of `tenantry_store_sql::dump` and reads its rows as a dump has them.
async fn fetch(
    conn: &mut sqlx::PgConnection,
    table: &TableSpec,
    statement: Statement,
) -> Result<Vec<DumpRow>> {
    // The SQL holds only tenantry-store-sql's fragments; every value is a bind.
    let arguments = crate::lists::arguments(statement.binds)?;
    let rows = sqlx::query_with(AssertSqlSafe(statement.sql), arguments)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    rows.iter().map(|row| to_dump(table, row)).collect()
}

fn to_dump(table: &TableSpec, row: &PgRow) -> Result<DumpRow> {
    let mut out = DumpRow::new();
    for (i, (column, kind)) in table.columns.iter().enumerate() {
        let value = match kind {
            ColumnType::Int => row
                .try_get::<Option<i64>, _>(i)
                .map_err(db)?
                .map(Value::from),
            ColumnType::Text => row
                .try_get::<Option<String>, _>(i)
                .map_err(db)?
                .map(Value::from),
            ColumnType::Bool => row
                .try_get::<Option<bool>, _>(i)
                .map_err(db)?
                .map(Value::from),
            ColumnType::Time => row
                .try_get::<Option<OffsetDateTime>, _>(i)
                .map_err(db)?
                .map(|t| Value::from(format_time(t))),
            ColumnType::Bytes => row
                .try_get::<Option<Vec<u8>>, _>(i)
                .map_err(db)?
                .map(|b| Value::from(encode_bytes(&b))),
            ColumnType::Json => row
                .try_get::<Option<Json<Value>>, _>(i)
                .map_err(db)?
                .map(|json| json.0),
        };
        out.insert((*column).to_owned(), value.unwrap_or(Value::Null));
    }
    Ok(out)
}

pub(crate) async fn load(pool: &PgPool, table: &TableSpec, rows: &[DumpRow]) -> Result<u64> {
    for row in rows {
        check_row(table, row).map_err(Error::invalid)?;
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let head = format!("INSERT INTO {} ({}) ", table.name, columns.join(", "));
    let mut tx = pool.begin().await.map_err(db)?;
    // Each batch need not wait for its WAL to reach the disk: a crash loses at most the last
    // batches, and the import is made to be run again.
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    // What the target already has under these identities, read in the same transaction as
    // the insert: identical rows were loaded before (import runs again safely); rows with
    // other values mean the dump does not belong here, and nothing of the batch is written.
    let mut existing = Vec::new();
    for chunk in rows.chunks((MAX_BINDS / table.identity.len()).max(1)) {
        let statement = tenantry_store_sql::dump::select_existing(Dialect::Postgres, table, chunk);
        existing.extend(fetch(&mut tx, table, statement).await?);
    }
    let new = new_rows(table, rows, &existing).map_err(Error::Conflict)?;
    for chunk in new.chunks((MAX_BINDS / columns.len()).max(1)) {
        let mut insert = QueryBuilder::<Postgres>::new(head.clone());
        insert.push_values(chunk, |mut out, row| {
            for (column, kind) in table.columns {
                bind(&mut out, *kind, &row[*column]);
            }
        });
        // A unique value (an address, a token hash) taken by another row is a conflict too.
        insert
            .build()
            .execute(&mut *tx)
            .await
            .map_err(|e| match db(e) {
                Error::Conflict(what) => Error::Conflict(format!(
                    "{}: a row takes a unique value another row already has ({what})",
                    table.name
                )),
                other => other,
            })?;
    }
    tx.commit().await.map_err(db)?;
    Ok(new.len() as u64)
}

/// Binds a checked value as this store keeps its column type.
fn bind(out: &mut Separated<'_, Postgres, &'static str>, kind: ColumnType, value: &Value) {
    match kind {
        ColumnType::Int => out.push_bind(value.as_i64()),
        ColumnType::Text => out.push_bind(value.as_str().map(str::to_owned)),
        ColumnType::Bool => out.push_bind(value.as_bool()),
        ColumnType::Time => out.push_bind(value.as_str().and_then(parse_time)),
        ColumnType::Bytes => out.push_bind(value.as_str().and_then(decode_bytes)),
        // JSON columns are never NULL: a JSON null is the document `null`.
        ColumnType::Json => out.push_bind(Json(value.clone())),
    };
}

/// Moves every id sequence past the largest id now in its table, so rows created after an
/// import never reuse an imported id.
pub(crate) async fn finish(pool: &PgPool) -> Result<()> {
    for table in TABLES.iter().filter(|t| t.key == Some("id")) {
        let name = table.name;
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{name}', 'id'), \
             GREATEST((SELECT max(id) FROM {name}), 1))"
        );
        sqlx::query(AssertSqlSafe(sql))
            .execute(pool)
            .await
            .map_err(db)?;
    }
    Ok(())
}
