//! The filter tree as a WHERE condition.
//!
//! Two-valued logic throughout: a comparison on a nullable column is false (never NULL) when the
//! column is NULL, so `not (…)` means what it says. Patterns that are a plain prefix become an
//! index range (`col >= 'ann' AND col < 'ann\u{10FFFF}'`) on both databases; other patterns are
//! `LIKE … ESCAPE '\'` on PostgreSQL and `GLOB` on SQLite (whose LIKE ignores ASCII case).

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
                write(statement, child);
            }
            statement.push(")");
        }
        Filter::Not(inner) => {
            statement.push("NOT (");
            write(statement, inner);
            statement.push(")");
        }
        Filter::Present(field) => {
            statement.push(column(field.id)).push(" IS NOT NULL");
        }
        Filter::Cmp { field, op, value } => {
            let col = column(field.id);
            match (field.nullable, op) {
                (true, CmpOp::Ne) => {
                    statement.push("(").push(col).push(" IS NULL OR ").push(col);
                    statement
                        .push(operator(*op))
                        .bind(bind_value(value))
                        .push(")");
                }
                (true, _) => {
                    statement
                        .push("(")
                        .push(col)
                        .push(" IS NOT NULL AND ")
                        .push(col);
                    statement
                        .push(operator(*op))
                        .bind(bind_value(value))
                        .push(")");
                }
                (false, _) => {
                    statement
                        .push(col)
                        .push(operator(*op))
                        .bind(bind_value(value));
                }
            }
        }
        Filter::In { field, values } => {
            let col = column(field.id);
            statement
                .push("(")
                .push(col)
                .push(" IS NOT NULL AND ")
                .push(col)
                .push(" IN (");
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    statement.push(", ");
                }
                statement.bind(bind_value(value));
            }
            statement.push("))");
        }
        Filter::Like { field, pattern } => {
            let col = column(field.id);
            statement.push("(").push(col).push(" IS NOT NULL AND ");
            match pattern.as_prefix() {
                Some(prefix) => {
                    let mut end = prefix.to_owned();
                    end.push(PAST_EVERYTHING);
                    statement
                        .push(col)
                        .push(" >= ")
                        .bind(Bind::Text(prefix.to_owned()));
                    statement
                        .push(" AND ")
                        .push(col)
                        .push(" < ")
                        .bind(Bind::Text(end));
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
            statement.push(")");
        }
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

    #[test]
    fn patterns_escape_their_metacharacters() {
        let p = LikePattern::new([Piece::Any, Piece::Lit("50%_off*[x]?\\".into()), Piece::One]);
        assert_eq!(like(&p), r"%50\%\_off*[x]?\\_");
        assert_eq!(glob(&p), r"*50%_off[*][[]x][?]\?");
    }
}
