//! Ioto's `filter`: a full-text string, matched case-insensitively as a substring of any text
//! field of the record.
//!
//! ```text
//! filter = any text (trimmed; 1 to `max_literal` characters)
//! ```
//!
//! It becomes an OR of "contains" over the resource's searchable text fields — the same tree a
//! SCIM `co` filter makes, so stores need nothing special for it.

use super::QueryError;
use super::ast::{Filter, LikePattern};
use super::fields::ListResource;
use super::limits::QueryLimits;

pub fn parse(
    input: &str,
    resource: ListResource,
    limits: &QueryLimits,
) -> Result<Filter, QueryError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(QueryError::new(0, "the filter is empty"));
    }
    if text.chars().count() > limits.max_literal {
        return Err(QueryError::new(
            0,
            format!(
                "the filter is longer than {} characters",
                limits.max_literal
            ),
        ));
    }
    let mut alternatives = Vec::new();
    for id in resource.searchable() {
        let Some(field) = resource.spec(*id) else {
            continue;
        };
        let filter =
            Filter::like(field, LikePattern::contains(text)).map_err(|m| QueryError::new(0, m))?;
        alternatives.push(filter);
    }
    Ok(match alternatives.len() {
        1 => alternatives.remove(0),
        _ => Filter::Or(alternatives),
    })
}
