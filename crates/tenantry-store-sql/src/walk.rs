//! PostgreSQL's free-text lists, first tried as a short walk of the list in id order.
//!
//! `LIKE '%…%'` on PostgreSQL is answered by the pg_trgm index, which finds every match before
//! the first page is known: a piece of a common family name (18,000 of a million users) took
//! 50 ms alone and 655 ms at the 99th percentile under load, and a term in every row (a mail
//! domain) reads the whole table. Walking the list in id order and testing each row instead
//! finds a page of a common term in a few thousand rows, but walks the whole list for a rare
//! one. So the store first runs [`select`]: the first rows of the list, no more than
//! [`WALK_PER_ROW`] for each row the page needs, tested for the text. A full page from them is
//! the answer, since they are a prefix of the list in its own order; anything less, and the
//! store runs the trigram query instead, whose cost then follows a term matching under 1 % of
//! the rows.

use tenantry_core::query::ListRequest;
use tenantry_core::store::Scope;

use crate::list::{Table, keyset, limit, order_by_id, page, scope_and_filter, search_condition};
use crate::statement::{Dialect, Statement};

/// Rows walked for each row a page needs (`offset + limit + 1`): a term in at least one row of
/// every hundred fills the page from the walk.
pub const WALK_PER_ROW: i64 = 100;

/// The longest walk, for deep offsets and large pages: about the cost of a trigram query that
/// finds as many rows.
pub const WALK_MOST: i64 = 10_000;

/// Past this many rows a page (deep offsets, the largest pages) would need a term in more than
/// one row in ten to come from the longest walk, so there is none.
const NEEDED_MOST: i64 = WALK_MOST / 10;

/// The walk for a free-text list in id order on PostgreSQL; `None` for any other list, which
/// [`crate::select`] answers directly.
///
/// `SELECT … FROM (SELECT * FROM t WHERE scope AND filter AND keyset ORDER BY id LIMIT walk)
/// AS t WHERE search ORDER BY id LIMIT n`. The LIMIT keeps PostgreSQL from folding the inner
/// query into the outer one, so the search can only test the walked rows.
pub fn select(
    dialect: Dialect,
    table: &Table,
    scope: &Scope,
    request: &ListRequest,
) -> Option<Statement> {
    let text = request.search.as_deref()?;
    let by_id = crate::columns::column(request.sort.field.id) == "id";
    if dialect != Dialect::Postgres || !by_id {
        return None;
    }
    let walk = walk_rows(request)?;
    let mut statement = Statement::new(dialect);
    statement
        .push("SELECT ")
        .push(table.columns)
        .push(" FROM (SELECT * FROM ")
        .push(table.name)
        .push(" WHERE TRUE");
    scope_and_filter(&mut statement, table, scope, request);
    keyset(&mut statement, request, "id");
    order_by_id(&mut statement, request);
    statement.push(" LIMIT ");
    limit(&mut statement, walk);
    statement.push(") AS ").push(table.name).push(" WHERE TRUE");
    search_condition(&mut statement, table, request, text);
    order_by_id(&mut statement, request);
    page(&mut statement, request);
    Some(statement)
}

/// How many rows the walk reads for `request`'s page; `None` when a page that deep or that
/// large should not be walked for.
pub fn walk_rows(request: &ListRequest) -> Option<i64> {
    let needed = i64::from(request.offset).saturating_add(request.fetch_limit());
    (needed <= NEEDED_MOST).then(|| needed.saturating_mul(WALK_PER_ROW).min(WALK_MOST))
}

#[cfg(test)]
mod tests;
