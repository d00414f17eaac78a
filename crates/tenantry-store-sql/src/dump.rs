//! The statement that reads one page of a table for `tenantry export`: every column the dump
//! lists, narrowed to one tenant if asked, after a key, in key order.

use tenantry_core::model::AccountId;
use tenantry_core::model::dump::{DumpRow, TableSpec, TenantScope};

use crate::statement::{Bind, Dialect, Statement};

/// `None` when the table has nothing for a tenant (installation-wide rows).
pub fn select(
    dialect: Dialect,
    table: &TableSpec,
    tenant: Option<AccountId>,
    after: Option<i64>,
    limit: u32,
) -> Option<Statement> {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let mut statement = Statement::new(dialect);
    // Table and column names come from the static list in core, never from input.
    statement.push(&format!(
        "SELECT {} FROM {} WHERE 1 = 1",
        columns.join(", "),
        table.name
    ));
    if let Some(tenant) = tenant {
        let via = match table.scope {
            TenantScope::Column => " AND tenant_id = ",
            TenantScope::Account => {
                " AND account_id IN (SELECT id FROM accounts WHERE tenant_id = "
            }
            TenantScope::User => " AND user_id IN (SELECT id FROM users WHERE tenant_id = ",
            TenantScope::Installation => return None,
        };
        statement.push(via).bind(Bind::Int(tenant.get()));
        if table.scope != TenantScope::Column {
            statement.push(")");
        }
    }
    if let Some(key) = table.key {
        if let Some(after) = after {
            statement
                .push(&format!(" AND {key} > "))
                .bind(Bind::Int(after));
        }
        statement.push(&format!(" ORDER BY {key} LIMIT {limit}"));
    }
    Some(statement)
}

/// The rows the target already has with the identities of `rows` (see
/// [`TableSpec::identity`]), to tell new rows from rows loaded before.
pub fn select_existing(dialect: Dialect, table: &TableSpec, rows: &[DumpRow]) -> Statement {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let mut statement = Statement::new(dialect);
    let identity = table.identity.join(", ");
    statement.push(&format!(
        "SELECT {} FROM {} WHERE ({identity}) IN (",
        columns.join(", "),
        table.name
    ));
    if rows.is_empty() {
        // `IN ()` is not SQL; a tuple of NULLs matches nothing.
        let nulls = vec!["NULL"; table.identity.len()].join(", ");
        statement.push(&format!("({nulls})"));
    }
    for (i, row) in rows.iter().enumerate() {
        statement.push(if i == 0 { "(" } else { ", (" });
        for (j, column) in table.identity.iter().enumerate() {
            if j > 0 {
                statement.push(", ");
            }
            let value = &row[*column];
            let bind = match value.as_i64() {
                Some(n) => Bind::Int(n),
                None => Bind::Text(value.as_str().unwrap_or_default().to_owned()),
            };
            statement.bind(bind);
        }
        statement.push(")");
    }
    statement.push(")");
    statement
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_core::model::dump::table;

    fn sql(dialect: Dialect, name: &str, tenant: Option<i64>, after: Option<i64>) -> String {
        let spec = table(name).unwrap_or_else(|| panic!("{name}"));
        select(dialect, spec, tenant.map(AccountId), after, 10)
            .map_or_else(|| "(none)".to_owned(), |s| s.sql)
    }

    #[test]
    fn pages_narrow_to_a_tenant_through_their_owner() {
        let users = sql(Dialect::Postgres, "user_secrets", Some(7), Some(40));
        assert!(users.ends_with(
            "FROM user_secrets WHERE 1 = 1 AND user_id IN (SELECT id FROM users WHERE \
             tenant_id = $1) AND user_id > $2 ORDER BY user_id LIMIT 10"
        ));
        let roles = sql(Dialect::Sqlite, "account_roles", Some(7), None);
        assert!(
            roles.ends_with("(SELECT id FROM accounts WHERE tenant_id = ?)"),
            "{roles}"
        );
        assert_eq!(sql(Dialect::Sqlite, "api_tokens", Some(7), None), "(none)");
        let all = sql(Dialect::Sqlite, "api_tokens", None, None);
        assert!(
            all.ends_with("FROM api_tokens WHERE 1 = 1 ORDER BY id LIMIT 10"),
            "{all}"
        );
    }

    #[test]
    fn rows_are_found_by_their_whole_identity() {
        let spec = table("account_roles").unwrap_or_else(|| panic!("account_roles"));
        let row = |id: i64, key: &str| {
            let mut row = DumpRow::new();
            row.insert("account_id".into(), id.into());
            row.insert("role_key".into(), key.into());
            row
        };
        let statement = select_existing(Dialect::Postgres, spec, &[row(7, "admin"), row(8, "org")]);
        assert!(
            statement.sql.ends_with(
                "FROM account_roles WHERE (account_id, role_key) IN (($1, $2), ($3, $4))"
            ),
            "{}",
            statement.sql
        );
        assert_eq!(statement.binds[1], Bind::Text("admin".into()));
        let none = select_existing(Dialect::Sqlite, spec, &[]);
        assert!(none.sql.ends_with("IN ((NULL, NULL))"), "{}", none.sql);
    }
}
