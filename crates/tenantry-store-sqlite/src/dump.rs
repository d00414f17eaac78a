//! Rows out and in for `tenantry export` and `tenantry import`, column by column as
//! [`tenantry_core::model::dump`] lists them. Times are stored here as microseconds, booleans
//! as integers and JSON as text; a dump has them as RFC 3339, `true`/`false` and JSON.

use serde_json::Value;
use sqlx::query_builder::Separated;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, QueryBuilder, Row, Sqlite};
use tenantry_core::model::AccountId;
use tenantry_core::model::dump::{
    ColumnType, DumpRow, TableSpec, check_row, decode_bytes, encode_bytes, format_time, new_rows,
    parse_time,
};
use tenantry_core::{Error, Result};
use tenantry_store_sql::{Bind, Dialect, Statement};

use crate::errors::db;
use crate::group_commit::{Writer, begin_write, commit};
use crate::readers::Readers;
use crate::timestamps::{from_db, to_db};

/// Bound values per INSERT: under SQLite's limit of 32,766.
const MAX_BINDS: usize = 30_000;

pub(crate) async fn rows(
    readers: &Readers,
    table: &TableSpec,
    tenant: Option<AccountId>,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<DumpRow>> {
    let Some(statement) =
        tenantry_store_sql::dump::select(Dialect::Sqlite, table, tenant, after, limit)
    else {
        return Ok(Vec::new());
    };
    let mut conn = readers.acquire().await?;
    fetch(&mut conn, table, statement).await
}

/// Runs a statement of `tenantry_store_sql::dump` and reads its rows as a dump has them.
async fn fetch(
    conn: &mut sqlx::SqliteConnection,
    table: &TableSpec,
    statement: Statement,
) -> Result<Vec<DumpRow>> {
    // The SQL holds only tenantry-store-sql's fragments; every value is a bind.
    let mut query = sqlx::query(AssertSqlSafe(statement.sql));
    for value in statement.binds {
        query = match value {
            Bind::Int(n) => query.bind(n),
            Bind::Text(s) => query.bind(s),
            Bind::Bool(b) => query.bind(b),
            Bind::Time(t) => query.bind(to_db(t)),
        };
    }
    let rows = query.fetch_all(&mut *conn).await.map_err(db)?;
    rows.iter().map(|row| to_dump(table, row)).collect()
}

fn to_dump(table: &TableSpec, row: &SqliteRow) -> Result<DumpRow> {
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
            ColumnType::Time => match row.try_get::<Option<i64>, _>(i).map_err(db)? {
                Some(micros) => Some(Value::from(format_time(from_db(micros)?))),
                None => None,
            },
            ColumnType::Bytes => row
                .try_get::<Option<Vec<u8>>, _>(i)
                .map_err(db)?
                .map(|b| Value::from(encode_bytes(&b))),
            ColumnType::Json => match row.try_get::<Option<String>, _>(i).map_err(db)? {
                Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                    Error::internal(format!("{}.{column} holds bad JSON: {e}", table.name))
                })?),
                None => None,
            },
        };
        out.insert((*column).to_owned(), value.unwrap_or(Value::Null));
    }
    Ok(out)
}

pub(crate) async fn load(writer: &Writer, table: &TableSpec, rows: &[DumpRow]) -> Result<u64> {
    for row in rows {
        check_row(table, row).map_err(Error::invalid)?;
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let head = format!("INSERT INTO {} ({}) ", table.name, columns.join(", "));
    let mut tx = begin_write(writer).await?;
    // What the target already has under these identities, read in the same transaction as
    // the insert: identical rows were loaded before (import runs again safely); rows with
    // other values mean the dump does not belong here, and nothing of the batch is written.
    let mut existing = Vec::new();
    for chunk in rows.chunks((MAX_BINDS / table.identity.len()).max(1)) {
        let statement = tenantry_store_sql::dump::select_existing(Dialect::Sqlite, table, chunk);
        existing.extend(fetch(&mut tx, table, statement).await?);
    }
    let new = new_rows(table, rows, &existing).map_err(Error::Conflict)?;
    for chunk in new.chunks((MAX_BINDS / columns.len()).max(1)) {
        let mut insert = QueryBuilder::<Sqlite>::new(head.clone());
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
    commit(tx).await?;
    Ok(new.len() as u64)
}

/// Binds a checked value as this store keeps its column type.
fn bind(out: &mut Separated<'_, Sqlite, &'static str>, kind: ColumnType, value: &Value) {
    match kind {
        ColumnType::Int => out.push_bind(value.as_i64()),
        ColumnType::Text => out.push_bind(value.as_str().map(str::to_owned)),
        ColumnType::Bool => out.push_bind(value.as_bool()),
        ColumnType::Time => out.push_bind(value.as_str().and_then(parse_time).map(to_db)),
        ColumnType::Bytes => out.push_bind(value.as_str().and_then(decode_bytes)),
        // JSON columns are never NULL: a JSON null is the document `null`.
        ColumnType::Json => out.push_bind(value.to_string()),
    };
}
