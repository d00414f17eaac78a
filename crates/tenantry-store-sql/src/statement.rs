//! A statement being built: SQL text plus its bound values, with the dialect's placeholders.

use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `?` placeholders, GLOB for case-sensitive patterns, times as integer microseconds.
    Sqlite,
    /// `$n` placeholders, LIKE … ESCAPE, TIMESTAMPTZ.
    Postgres,
}

/// A value to bind, in the order its placeholder appears.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Int(i64),
    Text(String),
    Bool(bool),
    Time(OffsetDateTime),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub dialect: Dialect,
    pub sql: String,
    pub binds: Vec<Bind>,
}

impl Statement {
    pub fn new(dialect: Dialect) -> Statement {
        Statement {
            dialect,
            sql: String::new(),
            binds: Vec::new(),
        }
    }

    /// Appends SQL text of this crate's own (never client text).
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends an integer the server chose (a page size, a cap) as a literal, for a LIMIT.
    ///
    /// SQLite plans a statement for the LIMIT it is given, so binding a new value to a `LIMIT ?`
    /// throws the prepared statement away and compiles it again at its next step: 8 % of the
    /// server's CPU in `list-users` (perf). As a literal, a statement is prepared once for each
    /// page size and then reused from the connection's statement cache.
    pub fn push_int(&mut self, n: i64) -> &mut Self {
        self.sql.push_str(&n.to_string());
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        match self.dialect {
            Dialect::Sqlite => self.sql.push('?'),
            Dialect::Postgres => {
                self.sql.push('$');
                self.sql.push_str(&self.binds.len().to_string());
            }
        }
        self
    }
}
