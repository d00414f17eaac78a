//! List and count statements: scope, filter, free-text search, keyset, order, limit.

use tenantry_core::model::AccountPath;
use tenantry_core::query::{Filter, LikePattern, ListRequest, SortOrder};
use tenantry_core::store::Scope;

use crate::columns::column;
use crate::filter::{self, bind_value};
use crate::statement::{Bind, Dialect, Statement};

/// How one listable table is laid out.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    /// The SELECT list the store's row type reads.
    pub columns: &'static str,
    /// The column with the account path that scopes rows (`path` for accounts).
    pub path_column: &'static str,
    /// The column naming the owning account (`parent_id` for accounts); `None` to scope one
    /// account's rows by path equality instead (the audit log).
    pub owner_column: Option<&'static str>,
    /// SQLite's FTS5 table over `search_text`, when free-text search is offered.
    pub fts: Option<Fts>,
}

/// An FTS5 table indexing a table's `search_text`, and each row's tenant as
/// [`search_tenant_key`], keyed by the table's id.
#[derive(Debug, Clone, Copy)]
pub struct Fts {
    pub table: &'static str,
    /// `<table>.rowid`, spelled out for joins.
    pub rowid: &'static str,
}

/// When SQLite's full-text table can drive the query: the search is long enough for trigrams
/// and the list is in id order, which is the FTS table's own rowid order. Joining from it then
/// reads matches already sorted and stops after one page, however common the text is.
fn fts_drives(dialect: Dialect, table: &Table, request: &ListRequest) -> Option<Fts> {
    let fts = table.fts?;
    searches_full_text(dialect, table, request).then_some(fts)
}

/// Whether `request`'s free text is looked up in `table`'s full-text index on `dialect`: SQLite,
/// a table with one, and text long enough for trigrams.
pub fn searches_full_text(dialect: Dialect, table: &Table, request: &ListRequest) -> bool {
    dialect == Dialect::Sqlite
        && table.fts.is_some()
        && request
            .search
            .as_deref()
            .is_some_and(long_enough_for_trigrams)
}

/// ` FROM table`, or the full-text table joined to it. `CROSS JOIN` makes SQLite read the
/// matches first, in id order, testing each one's row, whatever it estimates: for a tenant of
/// 77,000 users among a million it chose to walk the tenant's users and run the full-text
/// query for each of them instead (526 ms a search at the median, alone; 3.4 ms now).
fn from(statement: &mut Statement, table: &Table, fts: Option<Fts>) {
    statement.push(" FROM ");
    match fts {
        Some(fts) => {
            statement
                .push(fts.table)
                .push(" CROSS JOIN ")
                .push(table.name)
                .push(" ON ")
                .push(table.name)
                .push(".id = ")
                .push(fts.rowid);
        }
        None => {
            statement.push(table.name);
        }
    }
    statement.push(" WHERE TRUE");
}

/// `SELECT … WHERE scope AND filter AND search AND keyset ORDER BY sort, id LIMIT n`.
pub fn select(dialect: Dialect, table: &Table, scope: &Scope, request: &ListRequest) -> Statement {
    let mut statement = Statement::new(dialect);
    let by_id = column(request.sort.field.id) == "id";
    let fts = fts_drives(dialect, table, request).filter(|_| by_id);
    statement.push("SELECT ").push(table.columns);
    from(&mut statement, table, fts);
    conditions(&mut statement, table, scope, request, fts);
    let sort_column = match fts {
        Some(fts) => fts.rowid,
        None => column(request.sort.field.id),
    };
    keyset(&mut statement, request, sort_column);
    statement.push(" ORDER BY ");
    if !by_id {
        statement
            .push(sort_column)
            .push(direction(request))
            .push(", ");
    }
    statement.push(if by_id { sort_column } else { "id" });
    // PostgreSQL's estimates for trigram matches are poor: walking the primary key and testing
    // every row can read the whole table for a rare term. Ordering by an expression keeps it on
    // the trigram index, whose cost follows the number of matches instead. (`walk::select`
    // walks the primary key on purpose, a bounded number of rows, for common terms.)
    if by_id && dialect == Dialect::Postgres && request.search.is_some() && fts.is_none() {
        statement.push(" + 0");
    }
    statement.push(direction(request));
    page(&mut statement, request);
    statement
}

fn direction(request: &ListRequest) -> &'static str {
    match request.sort.order {
        SortOrder::Asc => " ASC",
        SortOrder::Desc => " DESC",
    }
}

/// ` AND (sort, id) > (after)`: the rows past the cursor, in the list's order.
pub(crate) fn keyset(statement: &mut Statement, request: &ListRequest, sort_column: &str) {
    let Some(after) = &request.after else { return };
    let comparison = match request.sort.order {
        SortOrder::Asc => " > ",
        SortOrder::Desc => " < ",
    };
    statement.push(" AND ");
    if sort_column == "id" {
        statement
            .push("id")
            .push(comparison)
            .bind(Bind::Int(after.id));
    } else {
        statement
            .push("(")
            .push(sort_column)
            .push(", id)")
            .push(comparison);
        statement
            .push("(")
            .bind(bind_value(&after.value))
            .push(", ");
        statement.bind(Bind::Int(after.id)).push(")");
    }
}

/// ` ORDER BY id ASC` (or DESC): a list in id order.
pub(crate) fn order_by_id(statement: &mut Statement, request: &ListRequest) {
    statement.push(" ORDER BY id").push(direction(request));
}

/// ` LIMIT n [OFFSET o]`: one page, and one row more to tell whether another follows.
pub(crate) fn page(statement: &mut Statement, request: &ListRequest) {
    statement.push(" LIMIT ");
    limit(statement, request.fetch_limit());
    // An offset only feeds the running statement, so it stays a bind: written in, every page
    // of an offset walk would be a statement of its own.
    if request.offset > 0 {
        statement
            .push(" OFFSET ")
            .bind(Bind::Int(i64::from(request.offset)));
    }
}

/// `SELECT COUNT(*)` of the rows `select` would page through, stopping after `cap + 1`.
pub fn count(
    dialect: Dialect,
    table: &Table,
    scope: &Scope,
    request: &ListRequest,
    cap: u64,
) -> Statement {
    let mut statement = Statement::new(dialect);
    let fts = fts_drives(dialect, table, request);
    statement.push("SELECT COUNT(*) FROM (SELECT 1");
    from(&mut statement, table, fts);
    conditions(&mut statement, table, scope, request, fts);
    let most_rows = i64::try_from(cap.saturating_add(1)).unwrap_or(i64::MAX);
    statement.push(" LIMIT ");
    limit(&mut statement, most_rows);
    statement.push(") AS capped");
    statement
}

/// A LIMIT's value: written in on SQLite (see [`Statement::push_int`]), bound on PostgreSQL.
/// There a literal changed the plan of `search-scim` and cost it 18 % of its throughput in
/// side-by-side runs, while the first and deep pages gained 12-17 %; the bind keeps the plans
/// PostgreSQL's tables were measured with.
pub(crate) fn limit(statement: &mut Statement, n: i64) {
    match statement.dialect {
        Dialect::Sqlite => statement.push_int(n),
        Dialect::Postgres => statement.bind(Bind::Int(n)),
    };
}

fn conditions(
    statement: &mut Statement,
    table: &Table,
    scope: &Scope,
    request: &ListRequest,
    fts: Option<Fts>,
) {
    scope_and_filter(statement, table, scope, request);
    match (&request.search, fts) {
        (Some(text), Some(fts)) => {
            statement
                .push(" AND ")
                .push(fts.table)
                .push(" MATCH ")
                .bind(Bind::Text(full_text_query(text, scope)));
        }
        (Some(text), None) => search_condition(statement, table, scope, request, text),
        (None, _) => {}
    }
}

/// The FTS5 query for `text` in `scope`: the text as a phrase, and within a tenant (or a part
/// of one) the tenant's key too, so that the index itself returns only that tenant's matches.
/// Tested on each match's row, a search of a term common elsewhere and rare in the tenant read
/// thousands of other tenants' matches (see the SQLite store's migration 11). The rest of a
/// narrower scope (an account, a subtree's paths) is tested on the rows of the tenant's
/// matches.
fn full_text_query(text: &str, scope: &Scope) -> String {
    let tenant = match scope {
        Scope::All => return phrase(text),
        Scope::Account { tenant_id, .. } => tenant_id.get(),
        Scope::Subtree(path) | Scope::Below(path) => tenant_of(path),
    };
    format!(
        "{} AND {}",
        phrase(text),
        phrase(&search_tenant_key(tenant))
    )
}

/// The one trigram SQLite's full-text tables index for a row of tenant `tenant` (the generated
/// column `search_tenant`, migration 11): U+0001, which search text never holds (clients' text
/// with control characters is refused), then the id's two low 16-bit halves as characters of
/// the private use plane. Ids past 2^32 share keys; each row's tenant is tested as well.
pub fn search_tenant_key(tenant: i64) -> String {
    let plane = |half: i64| {
        let low = u32::try_from(half & 0xFFFF).unwrap_or(0);
        char::from_u32(0xF_0000 + low).unwrap_or('\u{F0000}')
    };
    ['\u{1}', plane(tenant >> 16), plane(tenant)]
        .into_iter()
        .collect()
}

/// ` AND scope AND filter`: the rows a list pages through, before any free-text search.
pub(crate) fn scope_and_filter(
    statement: &mut Statement,
    table: &Table,
    scope: &Scope,
    request: &ListRequest,
) {
    scope_condition(statement, table, scope);
    if let Some(filter) = &request.filter {
        statement.push(" AND ");
        filter::write(statement, filter);
    }
}

/// An FTS5 phrase of the whole text: with the trigram tokenizer, "contains".
fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn scope_condition(statement: &mut Statement, table: &Table, scope: &Scope) {
    let path = table.path_column;
    match scope {
        Scope::All => {}
        Scope::Account {
            tenant_id,
            account_id,
            path: account_path,
        } => {
            statement
                .push(" AND tenant_id = ")
                .bind(Bind::Int(tenant_id.get()));
            match table.owner_column {
                Some(owner) => {
                    statement
                        .push(" AND ")
                        .push(owner)
                        .push(" = ")
                        .bind(Bind::Int(account_id.get()));
                }
                None => {
                    statement
                        .push(" AND ")
                        .push(path)
                        .push(" = ")
                        .bind(Bind::Text(account_path.as_str().to_owned()));
                }
            }
        }
        Scope::Subtree(account_path) | Scope::Below(account_path) => {
            let tenant = tenant_of(account_path);
            statement.push(" AND tenant_id = ").bind(Bind::Int(tenant));
            let (low, high) = account_path.subtree_range();
            match scope {
                // A root's subtree is its whole tenant: the tenant condition says it all.
                Scope::Subtree(_) if account_path.depth() == 1 => {}
                Scope::Subtree(_) => {
                    statement
                        .push(" AND ")
                        .push(path)
                        .push(" >= ")
                        .bind(Bind::Text(low));
                    statement
                        .push(" AND ")
                        .push(path)
                        .push(" < ")
                        .bind(Bind::Text(high));
                }
                _ => {
                    statement
                        .push(" AND ")
                        .push(path)
                        .push(" > ")
                        .bind(Bind::Text(low));
                    statement
                        .push(" AND ")
                        .push(path)
                        .push(" < ")
                        .bind(Bind::Text(high));
                }
            }
        }
    }
}

/// The tenant of the accounts at and below `path`: its root's id.
fn tenant_of(path: &AccountPath) -> i64 {
    path.ids().next().map_or(0, |id| id.get())
}

/// Below this many characters a trigram index cannot help, so short text matches the start of
/// the searchable fields instead (an index range on each).
const TRIGRAM: usize = 3;

/// Whether free text `text` is long enough for trigrams: then its condition tests
/// `search_text` (or SQLite's full-text table) alone; shorter text tests the start of each
/// searchable field.
pub(crate) fn long_enough_for_trigrams(text: &str) -> bool {
    text.chars().count() >= TRIGRAM
}

/// ` AND …`: the free-text condition when the full-text table does not drive the query: a sort
/// other than id order, which on SQLite collects `scope`'s matches from the full-text index
/// ([`full_text_query`]) and sorts them; text too short for trigrams; or PostgreSQL.
pub(crate) fn search_condition(
    statement: &mut Statement,
    table: &Table,
    scope: &Scope,
    request: &ListRequest,
    text: &str,
) {
    if !long_enough_for_trigrams(text) {
        let prefixes: Vec<Filter> = request
            .resource
            .searchable()
            .iter()
            .filter_map(|id| request.resource.spec(*id))
            .filter_map(|field| Filter::like(field, LikePattern::starts_with(text)).ok())
            .collect();
        statement.push(" AND ");
        filter::write(statement, &Filter::Or(prefixes));
        return;
    }
    match (statement.dialect, table.fts) {
        (Dialect::Sqlite, Some(fts)) => {
            statement
                .push(" AND id IN (SELECT rowid FROM ")
                .push(fts.table)
                .push(" WHERE ")
                .push(fts.table)
                .push(" MATCH ")
                .bind(Bind::Text(full_text_query(text, scope)))
                .push(")");
        }
        _ => {
            let pattern = filter::like(&LikePattern::contains(text));
            statement
                .push(" AND search_text LIKE ")
                .bind(Bind::Text(pattern))
                .push(" ESCAPE '\\'");
        }
    }
}

#[cfg(test)]
mod tests {
    use tenantry_core::model::{AccountId, AccountPath};
    use tenantry_core::query::{ListResource, NativeListParams};

    use super::*;

    const USERS: Table = Table {
        name: "users",
        columns: "id, email",
        path_column: "account_path",
        owner_column: Some("account_id"),
        fts: Some(Fts {
            table: "users_search",
            rowid: "users_search.rowid",
        }),
    };

    fn render(statement: &Statement) -> String {
        format!("{}\n  binds: {:?}", statement.sql, statement.binds)
    }

    fn request(params: NativeListParams<'_>) -> ListRequest {
        ListRequest::native(ListResource::Users, &params).unwrap()
    }

    #[test]
    fn statements_for_both_dialects() {
        let subtree = Scope::Subtree(AccountPath::root(AccountId(1)).child(AccountId(7)));
        let tenant = Scope::Subtree(AccountPath::root(AccountId(1)));
        let account = Scope::Account {
            tenant_id: AccountId(1),
            account_id: AccountId(7),
            path: AccountPath::root(AccountId(1)).child(AccountId(7)),
        };
        let mut cases = Vec::new();
        let filtered = request(NativeListParams {
            filter: Some(r#"email sw "Ann" and (status eq "active" or not (last_name co "x%"))"#),
            sort: Some("-email"),
            limit: Some(10),
            ..NativeListParams::default()
        });
        let searched = request(NativeListParams {
            q: Some("Lee \"o"),
            ..NativeListParams::default()
        });
        let by_email = request(NativeListParams {
            q: Some("Lee"),
            sort: Some("email"),
            ..NativeListParams::default()
        });
        let short = request(NativeListParams {
            q: Some("an"),
            ..NativeListParams::default()
        });
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            cases.push(render(&select(dialect, &USERS, &subtree, &filtered)));
            cases.push(render(&select(dialect, &USERS, &tenant, &searched)));
            cases.push(render(&select(dialect, &USERS, &subtree, &searched)));
            cases.push(render(&select(dialect, &USERS, &account, &searched)));
            cases.push(render(&select(dialect, &USERS, &tenant, &by_email)));
            cases.push(render(&select(dialect, &USERS, &Scope::All, &short)));
            cases.push(render(&count(dialect, &USERS, &subtree, &filtered, 10_000)));
        }
        insta::assert_snapshot!(cases.join("\n\n"));
    }

    #[test]
    fn client_text_only_ever_reaches_binds() {
        let hostile = "x' OR 1=1; DROP TABLE users; --";
        let filter = format!(r#"email eq "{hostile}" or first_name co "{hostile}""#);
        let request = request(NativeListParams {
            filter: Some(&filter),
            q: Some(hostile),
            ..NativeListParams::default()
        });
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let statement = select(dialect, &USERS, &Scope::All, &request);
            assert!(!statement.sql.contains("DROP"), "{}", statement.sql);
            assert!(!statement.sql.contains("1=1"), "{}", statement.sql);
            assert!(
                statement
                    .binds
                    .iter()
                    .any(|b| matches!(b, Bind::Text(t) if t.contains("drop table")))
            );
        }
    }
}
