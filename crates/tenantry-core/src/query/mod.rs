//! The query language: one filter AST, several parsers, limits, sorting and keyset cursors.
//!
//! Every list in every surface goes through here. A surface parses its own syntax into a
//! [`Filter`] over a resource's [`fields`] catalogue (names, types, and which may be sorted);
//! each store compiles the filter to parameterized SQL, binding every literal.
//!
//! - [`fields`]: what each resource exposes to filters and sorts, with types.
//! - [`ast`]: the typed [`Filter`] tree, and its canonical (SCIM) printed form.
//! - [`limits`]: bounds on query length, nesting depth, terms and literals.
//! - [`lexer`]: the tokenizer the SCIM and CEQL parsers share.
//! - [`scim`]: the SCIM 2.0 filter syntax (the native `filter` parameter).
//! - [`ceql`]: Cloud Elements' CEQL `where` clause.
//! - [`fulltext`]: Ioto's `filter` full-text string.
//! - [`list`]: a validated list request — filter, free text, sort, page — and its cursor.
//! - [`keyed`]: how each record yields its sort value and id for the next cursor.

pub mod ast;
pub mod ceql;
pub mod fields;
pub mod fulltext;
pub mod keyed;
pub mod lexer;
pub mod limits;
pub mod list;
pub mod scim;

pub use ast::{CmpOp, Filter, LikePattern, Literal, Piece, Value};
pub use fields::{FieldId, FieldKind, FieldNames, FieldSpec, ListResource};
pub use keyed::Keyed;
pub use limits::QueryLimits;
pub use list::{
    CursorKey, Keyset, ListPage, ListRequest, NativeListParams, SortKey, SortOrder, Total,
};

/// A parse or validation error, with the byte position in the query where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at position {position}: {message}")]
pub struct QueryError {
    pub position: usize,
    pub message: String,
}

impl QueryError {
    pub fn new(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests;
