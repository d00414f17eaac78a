//! The query options of the vendor's lists: `where` (CEQL), `pageSize` (default and most 200),
//! and either `offset` (a 0-based record offset; `page`, 1-based, also works) or `nextPage`
//! (the token of the previous answer's `Elements-Next-Page-Token` header). Answers carry
//! `Elements-Total-Count`, `Elements-Returned-Count`, and the next page's token unless this is
//! the last page.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use tenantry_core::query::{
    CmpOp, FieldId, FieldNames, Filter, ListPage, ListRequest, ListResource, Literal, QueryLimits,
    ceql,
};

use super::error::{CeError, CeResult};
use super::fields;

pub const DEFAULT_PAGE_SIZE: u32 = 200;
pub const MAX_PAGE_SIZE: u32 = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    #[serde(rename = "where")]
    pub where_clause: Option<String>,
    pub offset: Option<String>,
    pub page: Option<String>,
    pub page_size: Option<String>,
    pub next_page: Option<String>,
}

fn number(name: &str, raw: Option<&str>) -> CeResult<Option<u64>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<u64>()
            .map(Some)
            .map_err(|_| CeError::bad_request(format!("{name} must be a non-negative integer"))),
    }
}

fn filter(
    resource: ListResource,
    names: &dyn FieldNames,
    clause: Option<&str>,
) -> CeResult<Option<Filter>> {
    match clause.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(clause) => ceql::parse(clause, names, &QueryLimits::DEFAULT)
            .map(Some)
            .map_err(|e| {
                CeError::bad_request(format!(
                    "Invalid CEQL for {resource:?} at position {}: {}",
                    e.position, e.message
                ))
            }),
    }
}

/// The list request these options ask for. Accounts leave out deactivated accounts unless the
/// clause itself says something about `active` (the vendor: deleted accounts are "not
/// retrieved by GET /accounts").
pub fn request(resource: ListResource, query: &PageQuery) -> CeResult<ListRequest> {
    let (names, hidden_inactive): (&dyn FieldNames, bool) = match resource {
        ListResource::Accounts => (&fields::Accounts, true),
        _ => (&fields::Users, false),
    };
    let mut filter = filter(resource, names, query.where_clause.as_deref())?;
    if hidden_inactive
        && !filter
            .as_ref()
            .is_some_and(|f| fields::mentions(f, FieldId::AccountActive))
    {
        let active = names
            .resolve("active")
            .ok_or_else(|| tenantry_core::Error::internal("accounts have no active field"))?;
        let only_active = Filter::cmp(active, CmpOp::Eq, Literal::Bool(true))
            .map_err(tenantry_core::Error::internal)?;
        filter = Some(match filter {
            Some(f) => Filter::And(vec![f, only_active]),
            None => only_active,
        });
    }
    let size = number("pageSize", query.page_size.as_deref())?.unwrap_or(DEFAULT_PAGE_SIZE.into());
    if size < 1 {
        return Err(CeError::bad_request("pageSize must be at least 1"));
    }
    let size = size.min(MAX_PAGE_SIZE.into()) as u32;
    let mut request = ListRequest {
        filter,
        count: true,
        // Far enough that `offset < total` reaches every page an offset may ask for.
        count_cap: u64::from(ListRequest::MAX_OFFSET) + u64::from(MAX_PAGE_SIZE),
        ..ListRequest::all(resource, size)
    };
    let offset = match (
        number("offset", query.offset.as_deref())?,
        number("page", query.page.as_deref())?,
    ) {
        (Some(offset), _) => offset,
        (None, Some(page)) => page.saturating_sub(1).saturating_mul(size.into()),
        (None, None) => 0,
    };
    let token = query
        .next_page
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if token.is_some() && offset > 0 {
        return Err(CeError::bad_request(
            "Send either nextPage or offset, not both",
        ));
    }
    if offset > u64::from(ListRequest::MAX_OFFSET) {
        return Err(CeError::bad_request(format!(
            "offset may be at most {}; page further with nextPage",
            ListRequest::MAX_OFFSET
        )));
    }
    request.offset = offset as u32;
    request.cursor = token.map(str::to_owned);
    Ok(request)
}

/// The paging headers of an answer.
pub fn headers<T>(page: &ListPage<T>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    if let Some(total) = page.total {
        set("elements-total-count", total.value.to_string());
    }
    set("elements-returned-count", page.items.len().to_string());
    if let Some(next) = &page.next_cursor {
        set("elements-next-page-token", next.clone());
    }
    headers
}
