//! Bounds on what one query may ask, so that no filter is too costly to parse, plan or run.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Bytes of query text.
    pub max_length: usize,
    /// Nesting of parentheses and `not`.
    pub max_depth: usize,
    /// Comparisons in one filter.
    pub max_terms: usize,
    /// Values in one `IN (…)` list.
    pub max_in_values: usize,
    /// Characters in one string literal.
    pub max_literal: usize,
}

impl QueryLimits {
    pub const DEFAULT: QueryLimits = QueryLimits {
        max_length: 2048,
        max_depth: 12,
        max_terms: 64,
        max_in_values: 100,
        max_literal: 256,
    };
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
