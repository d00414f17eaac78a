//! The typed filter tree every parser produces and every store compiles.
//!
//! Literals are already checked against their field's type: a timestamp field holds a
//! [`Value::Time`], a case-folded text field holds lower-cased text, an enum field one of its
//! words. Its `Display` is the canonical SCIM form, which the SCIM parser reads back to the same
//! tree.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::fields::{FieldKind, FieldSpec};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
    Time(OffsetDateTime),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn scim(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
        }
    }
}

/// One piece of a LIKE pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    /// Any run of characters (`%`).
    Any,
    /// Exactly one character (`_`).
    One,
}

/// A LIKE pattern, normalised: no empty literals, no two literals in a row, no `%%`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LikePattern(Vec<Piece>);

impl LikePattern {
    pub fn new(pieces: impl IntoIterator<Item = Piece>) -> LikePattern {
        let mut out: Vec<Piece> = Vec::new();
        for piece in pieces {
            match (out.last_mut(), piece) {
                (_, Piece::Lit(s)) if s.is_empty() => {}
                (Some(Piece::Lit(prev)), Piece::Lit(s)) => prev.push_str(&s),
                (Some(Piece::Any), Piece::Any) => {}
                (_, piece) => out.push(piece),
            }
        }
        LikePattern(out)
    }

    pub fn contains(text: &str) -> LikePattern {
        LikePattern::new([Piece::Any, Piece::Lit(text.to_owned()), Piece::Any])
    }

    pub fn starts_with(text: &str) -> LikePattern {
        LikePattern::new([Piece::Lit(text.to_owned()), Piece::Any])
    }

    pub fn ends_with(text: &str) -> LikePattern {
        LikePattern::new([Piece::Any, Piece::Lit(text.to_owned())])
    }

    /// Parses SQL LIKE syntax: `%` any run, `_` one character, `\` escapes the next character.
    pub fn parse_sql(pattern: &str) -> LikePattern {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            match c {
                '%' | '_' => {
                    pieces.push(Piece::Lit(std::mem::take(&mut literal)));
                    pieces.push(if c == '%' { Piece::Any } else { Piece::One });
                }
                '\\' => literal.push(chars.next().unwrap_or('\\')),
                c => literal.push(c),
            }
        }
        pieces.push(Piece::Lit(literal));
        LikePattern::new(pieces)
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.0
    }

    /// `Some(prefix)` when the pattern is "starts with a literal", which an index can answer.
    pub fn as_prefix(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Piece::Lit(prefix), Piece::Any] => Some(prefix),
            _ => None,
        }
    }

    /// `Some(text)` when the pattern is "contains a literal".
    pub fn as_contains(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Piece::Any, Piece::Lit(text), Piece::Any] => Some(text),
            _ => None,
        }
    }

    fn lower(self) -> LikePattern {
        LikePattern(
            self.0
                .into_iter()
                .map(|p| match p {
                    Piece::Lit(s) => Piece::Lit(s.to_lowercase()),
                    other => other,
                })
                .collect(),
        )
    }

    /// The SCIM operator and operand this pattern prints as, if SCIM can say it.
    fn scim(&self) -> Option<(&'static str, &str)> {
        match self.0.as_slice() {
            [Piece::Any, Piece::Lit(s), Piece::Any] => Some(("co", s)),
            [Piece::Lit(s), Piece::Any] => Some(("sw", s)),
            [Piece::Any, Piece::Lit(s)] => Some(("ew", s)),
            // `sw ""`, `ew ""` and `co ""` all mean "any text"; found by fuzzing.
            [Piece::Any] => Some(("sw", "")),
            _ => None,
        }
    }
}

impl fmt::Display for LikePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for piece in &self.0 {
            match piece {
                Piece::Any => f.write_str("%")?,
                Piece::One => f.write_str("_")?,
                Piece::Lit(s) => {
                    for c in s.chars() {
                        if matches!(c, '%' | '_' | '\\') {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Cmp {
        field: &'static FieldSpec,
        op: CmpOp,
        value: Value,
    },
    Like {
        field: &'static FieldSpec,
        pattern: LikePattern,
    },
    In {
        field: &'static FieldSpec,
        values: Vec<Value>,
    },
    /// The field has a value (is not null).
    Present(&'static FieldSpec),
}

impl Filter {
    /// `field op value` with the literal checked against the field's type.
    pub fn cmp(field: &'static FieldSpec, op: CmpOp, literal: Literal) -> Result<Filter, String> {
        if literal == Literal::Null {
            return match op {
                CmpOp::Eq => Ok(Filter::Not(Box::new(Filter::Present(field)))),
                CmpOp::Ne => Ok(Filter::Present(field)),
                _ => Err(format!("{} cannot be compared with null", field.name)),
            };
        }
        if !matches!(op, CmpOp::Eq | CmpOp::Ne)
            && matches!(field.kind, FieldKind::Boolean | FieldKind::Enum(_))
        {
            return Err(format!(
                "{} can only be compared for (in)equality",
                field.name
            ));
        }
        Ok(Filter::Cmp {
            field,
            op,
            value: coerce(field, literal)?,
        })
    }

    /// A LIKE-style match; only text fields take one.
    pub fn like(field: &'static FieldSpec, pattern: LikePattern) -> Result<Filter, String> {
        match field.kind {
            FieldKind::TextFolded => Ok(Filter::Like {
                field,
                pattern: pattern.lower(),
            }),
            FieldKind::Text => Ok(Filter::Like { field, pattern }),
            _ => Err(format!(
                "{} is not a text field; pattern matches need text",
                field.name
            )),
        }
    }

    pub fn is_in(field: &'static FieldSpec, literals: Vec<Literal>) -> Result<Filter, String> {
        let values = literals
            .into_iter()
            .map(|l| coerce(field, l))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Filter::In { field, values })
    }

    /// Nesting depth, counting `and`/`or`/`not` levels.
    pub fn depth(&self) -> usize {
        match self {
            Filter::And(children) | Filter::Or(children) => {
                1 + children.iter().map(Filter::depth).max().unwrap_or(0)
            }
            Filter::Not(inner) => 1 + inner.depth(),
            _ => 0,
        }
    }
}

/// A literal as a parser read it, before it meets its field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
}

/// Checks a literal against a field's type and converts it.
pub fn coerce(field: &FieldSpec, literal: Literal) -> Result<Value, String> {
    let name = field.name;
    match (field.kind, literal) {
        (_, Literal::Null) => Err(format!("{name} cannot be compared with null here")),
        (FieldKind::TextFolded, Literal::Str(s)) => Ok(Value::Text(s.to_lowercase())),
        (FieldKind::Text, Literal::Str(s)) => Ok(Value::Text(s)),
        (FieldKind::Text | FieldKind::TextFolded, _) => Err(format!("{name} expects a string")),
        (FieldKind::Integer, Literal::Int(n)) => Ok(Value::Int(n)),
        (FieldKind::Integer, Literal::Str(s)) => s
            .trim()
            .parse()
            .map(Value::Int)
            .map_err(|_| format!("{name} expects an integer, not {s:?}")),
        (FieldKind::Integer, _) => Err(format!("{name} expects an integer")),
        (FieldKind::Boolean, Literal::Bool(b)) => Ok(Value::Bool(b)),
        (FieldKind::Boolean, Literal::Str(s)) => match s.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("{name} expects true or false")),
        },
        (FieldKind::Boolean, _) => Err(format!("{name} expects true or false")),
        (FieldKind::Timestamp, Literal::Str(s)) => {
            parse_time(&s).map(Value::Time).ok_or_else(|| {
                format!("{name} expects a date (YYYY-MM-DD) or an RFC 3339 timestamp, not {s:?}")
            })
        }
        (FieldKind::Timestamp, _) => Err(format!("{name} expects a quoted date or timestamp")),
        (FieldKind::Enum(words), Literal::Str(s)) => {
            let lower = s.to_ascii_lowercase();
            if words.contains(&lower.as_str()) {
                Ok(Value::Text(lower))
            } else {
                Err(format!("{name} is one of: {}", words.join(", ")))
            }
        }
        (FieldKind::Enum(words), _) => Err(format!("{name} is one of: {}", words.join(", "))),
    }
}

/// RFC 3339 (`2024-01-17T10:00:00Z`, fractions and offsets allowed), or a plain date taken as
/// midnight UTC; either within the years RFC 3339 can write in UTC (see `clock::rfc3339_utc`).
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return crate::clock::rfc3339_utc(t);
    }
    // `[year]` also takes a sign ("-2026-01-01").
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format)
        .ok()
        .and_then(|d| crate::clock::rfc3339_utc(d.midnight().assume_utc()))
}

fn write_value(f: &mut fmt::Formatter<'_>, value: &Value) -> fmt::Result {
    match value {
        Value::Text(s) => write_string(f, s),
        Value::Int(n) => write!(f, "{n}"),
        Value::Bool(b) => write!(f, "{b}"),
        Value::Time(t) => match t.format(&Rfc3339) {
            Ok(s) => write_string(f, &s),
            Err(_) => Err(fmt::Error),
        },
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    // JSON string syntax, which SCIM uses for its literals.
    f.write_str(&serde_json::Value::String(s.to_owned()).to_string())
}

fn write_child(f: &mut fmt::Formatter<'_>, child: &Filter) -> fmt::Result {
    if matches!(child, Filter::And(_) | Filter::Or(_)) {
        write!(f, "({child})")
    } else {
        write!(f, "{child}")
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::And(children) | Filter::Or(children) => {
                let joiner = if matches!(self, Filter::And(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, child) in children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(joiner)?;
                    }
                    write_child(f, child)?;
                }
                Ok(())
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::Cmp { field, op, value } => {
                write!(f, "{} {} ", field.name, op.scim())?;
                write_value(f, value)
            }
            Filter::Like { field, pattern } => match pattern.scim() {
                Some((op, text)) => {
                    write!(f, "{} {op} ", field.name)?;
                    write_string(f, text)
                }
                // Not expressible in SCIM: printed in SQL LIKE form, for people to read.
                None => write!(f, "{} like \"{pattern}\"", field.name),
            },
            Filter::In { field, values } => {
                write!(f, "{} in (", field.name)?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_value(f, value)?;
                }
                f.write_str(")")
            }
            Filter::Present(field) => write!(f, "{} pr", field.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::fields::ListResource;

    fn users(name: &str) -> &'static FieldSpec {
        ListResource::Users.field(name).unwrap()
    }

    #[test]
    fn literals_are_checked_against_field_types() {
        assert!(Filter::cmp(users("email"), CmpOp::Eq, Literal::Int(3)).is_err());
        assert!(Filter::cmp(users("id"), CmpOp::Gt, Literal::Str("12".into())).is_ok());
        assert!(Filter::cmp(users("status"), CmpOp::Eq, Literal::Str("gone".into())).is_err());
        assert!(Filter::cmp(users("status"), CmpOp::Gt, Literal::Str("active".into())).is_err());
        assert!(
            Filter::cmp(
                users("created"),
                CmpOp::Ge,
                Literal::Str("2024-13-01".into())
            )
            .is_err()
        );
        let f = Filter::cmp(
            users("created"),
            CmpOp::Ge,
            Literal::Str("2024-01-17".into()),
        )
        .unwrap();
        assert_eq!(f.to_string(), r#"created ge "2024-01-17T00:00:00Z""#);
        let f = Filter::cmp(users("email"), CmpOp::Eq, Literal::Str("Ann@X.test".into())).unwrap();
        assert_eq!(f.to_string(), r#"email eq "ann@x.test""#);
        assert!(Filter::like(users("role"), LikePattern::contains("a")).is_err());
    }

    #[test]
    fn like_patterns_normalise_and_escape() {
        let p = LikePattern::parse_sql(r"Acc%%\_x_");
        assert_eq!(
            p.pieces(),
            [
                Piece::Lit("Acc".into()),
                Piece::Any,
                Piece::Lit("_x".into()),
                Piece::One
            ]
        );
        assert_eq!(p.to_string(), r"Acc%\_x_");
        assert_eq!(LikePattern::parse_sql("ann%").as_prefix(), Some("ann"));
        assert_eq!(LikePattern::parse_sql("%ann%").as_contains(), Some("ann"));
    }
}
