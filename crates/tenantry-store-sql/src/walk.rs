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
//! store looks at how many rows the walk did find. When they were dense enough that a longer walk
//! ([`longer_walk_rows`]) should fill the page and costs less than the trigram query would, the
//! store walks again, further; otherwise, or if that walk falls short too, it runs the trigram
//! query, whose cost then follows a rare term.

use tenantry_core::query::ListRequest;
use tenantry_core::store::Scope;

use crate::list::{
    Table, keyset, limit, long_enough_for_trigrams, order_by_id, page, scope_and_filter,
    search_condition,
};
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

/// The most rows a second walk is expected to read before its page is full. Measured at a
/// million users on PostgreSQL 15, a walk reads a row in about 0.4 µs; the trigram query takes
/// about 3.5 ms in the index and 2.5 µs a match after it. A term that fills a page of 51 in
/// 15,000 rows is in one row of 300, about 3,400 matches at that size: 6 ms of walking
/// against 12 ms of trigram query. Rarer terms go to the trigram query.
pub const LONGER_WALK_EXPECTED_MOST: i64 = 15_000;

/// The longest second walk: half as long again as expected, so that a term somewhat rarer
/// further on still fills the page. A walk stops when its page is full, so the margin costs
/// only when the walk falls short.
pub const LONGER_WALK_MOST: i64 = 20_000;

/// The walk for a free-text list in id order on PostgreSQL; `None` for any other list, which
/// [`crate::select`] answers directly.
///
/// `SELECT … FROM t WHERE id IN (SELECT id FROM (SELECT id, search_text FROM t WHERE scope AND
/// filter AND keyset ORDER BY id LIMIT walk) AS t WHERE search ORDER BY id LIMIT n) ORDER BY
/// id`. The inner LIMIT keeps PostgreSQL from folding the walk into the query around it, so
/// the search can only test the walked rows. The walk takes out of each row only what the
/// search tests (every column, for text too short for trigrams, which tests the start of
/// each searchable field), and the page's whole rows are read afterwards by id: at a million
/// users that took a fifth off each walk (5,100 rows 3.3–3.4 → 2.6–2.9 ms, 20,000 rows 11.0 →
/// 8.4–8.5 ms; two terms, the fastest of five runs), where every column of every walked row
/// was copied before.
pub fn select(
    dialect: Dialect,
    table: &Table,
    scope: &Scope,
    request: &ListRequest,
) -> Option<Statement> {
    select_walking(dialect, table, scope, request, walk_rows(request)?)
}

/// [`select`], walking `walk` rows: the second walk, of [`longer_walk_rows`].
pub fn select_walking(
    dialect: Dialect,
    table: &Table,
    scope: &Scope,
    request: &ListRequest,
    walk: i64,
) -> Option<Statement> {
    let text = request.search.as_deref()?;
    let by_id = crate::columns::column(request.sort.field.id) == "id";
    if dialect != Dialect::Postgres || !by_id {
        return None;
    }
    let walked_columns = if long_enough_for_trigrams(text) {
        "id, search_text"
    } else {
        "*"
    };
    let mut statement = Statement::new(dialect);
    statement
        .push("SELECT ")
        .push(table.columns)
        .push(" FROM ")
        .push(table.name)
        .push(" WHERE id IN (SELECT id FROM (SELECT ")
        .push(walked_columns)
        .push(" FROM ")
        .push(table.name)
        .push(" WHERE TRUE");
    scope_and_filter(&mut statement, table, scope, request);
    keyset(&mut statement, request, "id");
    order_by_id(&mut statement, request);
    statement.push(" LIMIT ");
    limit(&mut statement, walk);
    statement.push(") AS ").push(table.name).push(" WHERE TRUE");
    search_condition(&mut statement, table, scope, request, text);
    order_by_id(&mut statement, request);
    page(&mut statement, request);
    statement.push(")");
    order_by_id(&mut statement, request);
    Some(statement)
}

/// How many rows the walk reads for `request`'s page; `None` when a page that deep or that
/// large should not be walked for.
pub fn walk_rows(request: &ListRequest) -> Option<i64> {
    let needed = i64::from(request.offset).saturating_add(request.fetch_limit());
    (needed <= NEEDED_MOST).then(|| needed.saturating_mul(WALK_PER_ROW).min(WALK_MOST))
}

/// The length of a second walk after a first of `walked` rows returned `returned` (fewer than
/// the page needs): `None` when the first found too few for a longer walk to be the cheaper way
/// to a full page (see [`LONGER_WALK_EXPECTED_MOST`]), or too few to tell: the first walk must
/// have found at least a third of the rows the page needs, so that one or two early matches
/// in a short walk do not send a small page on a long one.
///
/// The rows the first walk found include those an offset skipped; when it returned none, how
/// many it skipped is unknown, and there is no second walk.
pub fn longer_walk_rows(request: &ListRequest, walked: i64, returned: usize) -> Option<i64> {
    let returned = i64::try_from(returned).ok().filter(|&n| n > 0)?;
    let found = returned.saturating_add(i64::from(request.offset));
    let needed = i64::from(request.offset).saturating_add(request.fetch_limit());
    // Rows at the density the first walk saw, rounded up.
    let expected = needed.saturating_mul(walked).saturating_add(found - 1) / found;
    (found.saturating_mul(3) >= needed && expected <= LONGER_WALK_EXPECTED_MOST)
        .then(|| (expected.saturating_mul(3).saturating_add(1) / 2).min(LONGER_WALK_MOST))
}

#[cfg(test)]
mod tests;
