//! The filter tree as a WHERE condition.
//!
//! Two-valued logic throughout: a comparison on a nullable column is false (never NULL) when the
//! column is NULL, so `not (…)` means what it says. Only a comparison under an odd number of
//! `not`s needs the `col IS NOT NULL AND …` guard that makes it so: elsewhere NULL and false
//! keep the same rows out (AND and OR cannot turn an unknown into true), and a bare `col = ?`
//! lets the planners see the index on `col`, which SQLite did not through the guard.
//!
//! Patterns that are a plain prefix become an index range (`col >= 'ann' AND
//! col < 'ann\u{10FFFF}'`) on both databases; other patterns are `LIKE … ESCAPE '\'` on
//! PostgreSQL and `GLOB` on SQLite (whose LIKE ignores ASCII case).

use tenantry_core::query::{CmpOp, Filter, LikePattern, Piece, Value};

use crate::columns::column;
use crate::statement::{Bind, Dialect, Statement};

/// The character that sorts after every other, closing a prefix's range.
const PAST_EVERYTHING: char = '\u{10FFFF}';

pub fn bind_value(value: &Value) -> Bind {
    match value {
        Value::Text(s) => Bind::Text(s.clone()),
        Value::Int(n) => Bind::Int(*n),
        Value::Bool(b) => Bind::Bool(*b),
        Value::Time(t) => Bind::Time(*t),
    }
}

fn operator(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => " = ",
        CmpOp::Ne => " <> ",
        CmpOp::Lt => " < ",
        CmpOp::Le => " <= ",
        CmpOp::Gt => " > ",
        CmpOp::Ge => " >= ",
    }
}

pub fn write(statement: &mut Statement, filter: &Filter) {
    write_under(statement, filter, false);
}

/// `filter`, `negated` when an odd number of `not`s enclose it.
fn write_under(statement: &mut Statement, filter: &Filter, negated: bool) {
    match filter {
        Filter::And(children) | Filter::Or(children) => {
            let joiner = if matches!(filter, Filter::And(_)) {
                " AND "
            } else {
                " OR "
            };
            statement.push("(");
            for (i, child) in children.iter().enumerate() {
                if i > 0 {
                    statement.push(joiner);
                }
                write_under(statement, child, negated);
            }
            statement.push(")");
        }
        Filter::Not(inner) => {
            statement.push("NOT (");
            write_under(statement, inner, !negated);
            statement.push(")");
        }
        Filter::Present(field) => {
            statement.push(column(field.id)).push(" IS NOT NULL");
        }
        Filter::Cmp { field, op, value } => {
            let col = column(field.id);
            if field.nullable && *op == CmpOp::Ne {
                // True for NULL: `ne` keeps the rows without a value, negated or not.
                statement.push("(").push(col).push(" IS NULL OR ").push(col);
                statement
                    .push(operator(*op))
                    .bind(bind_value(value))
                    .push(")");
                return;
            }
            let guarded = open_guard(statement, col, field.nullable && negated);
            statement
                .push(col)
                .push(operator(*op))
                .bind(bind_value(value));
            close_guard(statement, guarded);
        }
        // `in` and patterns keep the guard under a `not` whatever the field's spec says, as
        // they always had it: a NULL in any column must not turn `not (…)` into unknown.
        Filter::In { field, values } => {
            let col = column(field.id);
            let guarded = open_guard(statement, col, negated);
            statement.push(col).push(" IN (");
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    statement.push(", ");
                }
                statement.bind(bind_value(value));
            }
            statement.push(")");
            close_guard(statement, guarded);
        }
        Filter::Like { field, pattern } => {
            let col = column(field.id);
            let guarded = open_guard(statement, col, negated);
            match pattern.as_prefix() {
                Some(prefix) => {
                    let mut end = prefix.to_owned();
                    end.push(PAST_EVERYTHING);
                    statement
                        .push("(")
                        .push(col)
                        .push(" >= ")
                        .bind(Bind::Text(prefix.to_owned()));
                    statement
                        .push(" AND ")
                        .push(col)
                        .push(" < ")
                        .bind(Bind::Text(end))
                        .push(")");
                }
                None => match statement.dialect {
                    Dialect::Postgres => {
                        statement
                            .push(col)
                            .push(" LIKE ")
                            .bind(Bind::Text(like(pattern)));
                        statement.push(" ESCAPE '\\'");
                    }
                    Dialect::Sqlite => {
                        statement
                            .push(col)
                            .push(" GLOB ")
                            .bind(Bind::Text(glob(pattern)));
                    }
                },
            }
            close_guard(statement, guarded);
        }
    }
}

/// Opens `(col IS NOT NULL AND ` when `needed`, so that what follows is false, not NULL, for a
/// row without a value; says whether it did.
fn open_guard(statement: &mut Statement, col: &str, needed: bool) -> bool {
    if needed {
        statement.push("(").push(col).push(" IS NOT NULL AND ");
    }
    needed
}

fn close_guard(statement: &mut Statement, guarded: bool) {
    if guarded {
        statement.push(")");
    }
}

/// SQL LIKE syntax, escaping with `\`.
pub fn like(pattern: &LikePattern) -> String {
    let mut out = String::new();
    for piece in pattern.pieces() {
        match piece {
            Piece::Any => out.push('%'),
            Piece::One => out.push('_'),
            Piece::Lit(text) => {
                for c in text.chars() {
                    if matches!(c, '%' | '_' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
        }
    }
    out
}

/// SQLite GLOB syntax (case-sensitive), where `[x]` matches a literal `x`.
pub fn glob(pattern: &LikePattern) -> String {
    let mut out = String::new();
    for piece in pattern.pieces() {
        match piece {
            Piece::Any => out.push('*'),
            Piece::One => out.push('?'),
            Piece::Lit(text) => {
                for c in text.chars() {
                    match c {
                        '*' | '?' | '[' => {
                            out.push('[');
                            out.push(c);
                            out.push(']');
                        }
                        c => out.push(c),
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry_core::query::{ListRequest, ListResource, NativeListParams};

    /// The WHERE condition of an audit list filtered by `filter`, in SQLite's dialect.
    fn audit_condition(filter: &str) -> String {
        let request = ListRequest::native(
            ListResource::Audit,
            &NativeListParams {
                filter: Some(filter),
                ..NativeListParams::default()
            },
        )
        .expect("a valid filter");
        let mut statement = Statement::new(Dialect::Sqlite);
        write(&mut statement, request.filter.as_ref().expect("a filter"));
        statement.sql
    }

    #[test]
    fn a_comparison_outside_any_not_is_bare_so_its_index_serves() {
        assert_eq!(audit_condition("target_id eq 5"), "target_id = ?");
        assert_eq!(
            audit_condition(r#"target_id eq 5 or request_id sw "req-""#),
            "(target_id = ? OR (request_id >= ? AND request_id < ?))"
        );
        assert_eq!(
            audit_condition("not (not (target_id gt 5))"),
            "NOT (NOT (target_id > ?))"
        );
    }

    #[test]
    fn a_comparison_under_a_not_is_false_for_a_missing_value() {
        assert_eq!(
            audit_condition("not (target_id eq 5)"),
            "NOT ((target_id IS NOT NULL AND target_id = ?))"
        );
        assert_eq!(
            audit_condition(r#"not (action eq "x" and request_id sw "req-")"#),
            "NOT ((action = ? AND (request_id IS NOT NULL AND (request_id >= ? AND request_id < ?))))"
        );
        // `ne` holds for a missing value whichever side of a `not` it is on.
        assert_eq!(
            audit_condition("target_id ne 5"),
            "(target_id IS NULL OR target_id <> ?)"
        );
        assert_eq!(
            audit_condition("not (target_id ne 5)"),
            "NOT ((target_id IS NULL OR target_id <> ?))"
        );
    }

    #[test]
    fn patterns_escape_their_metacharacters() {
        let p = LikePattern::new([Piece::Any, Piece::Lit("50%_off*[x]?\\".into()), Piece::One]);
        assert_eq!(like(&p), r"%50\%\_off*[x]?\\_");
        assert_eq!(glob(&p), r"*50%_off[*][[]x][?]\?");
    }
}
