//! Ioto's query options — `limit`, `next`, `prev`, `filter`, `index`, `exists` — given as URL
//! query parameters or in a `_params` body object (the spec's section A.4), and pages that go
//! both ways.
//!
//! `next` and `prev` come back as opaque strings (signed cursors); a client may also send an
//! object `{"id": "…"}`, OneTable-style, naming the row to continue after. `prev` pages walk
//! backwards and are returned in ascending order like every page; `next` is left out on the last
//! page and `prev` on the first.

use std::collections::HashMap;
use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tenantry_core::auth::{Caller, Role};
use tenantry_core::query::{
    Filter, Keyed, Keyset, ListPage, ListRequest, ListResource, QueryLimits, SortKey, SortOrder,
    Value as QueryValue, fulltext,
};
use tenantry_core::services::Services;

use super::error::{IotoError, IotoResult};
use super::request::require_field_role;

/// The options as sent, from the query string or `_params`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct QueryOptions {
    #[serde(default, deserialize_with = "lenient_u32")]
    pub limit: Option<u32>,
    pub next: Option<Value>,
    pub prev: Option<Value>,
    pub filter: Option<String>,
    pub index: Option<String>,
    pub exists: Option<Value>,
}

fn lenient_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("limit must be a positive integer")),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("limit must be a positive integer")),
        Some(_) => Err(serde::de::Error::custom("limit must be a positive integer")),
    }
}

impl QueryOptions {
    /// The query string's options, overridden by those in the body's `_params`.
    pub fn merge(
        query: &HashMap<String, String>,
        params: Option<QueryOptions>,
    ) -> IotoResult<Self> {
        let mut from_query = QueryOptions {
            limit: match query.get("limit") {
                Some(raw) => Some(
                    raw.trim()
                        .parse()
                        .map_err(|_| IotoError::bad_request("limit must be a positive integer"))?,
                ),
                None => None,
            },
            next: query.get("next").map(|s| Value::String(s.clone())),
            prev: query.get("prev").map(|s| Value::String(s.clone())),
            filter: query.get("filter").cloned(),
            index: query.get("index").cloned(),
            exists: query.get("exists").map(|s| Value::String(s.clone())),
        };
        if let Some(params) = params {
            from_query.limit = params.limit.or(from_query.limit);
            from_query.next = params.next.or(from_query.next);
            from_query.prev = params.prev.or(from_query.prev);
            from_query.filter = params.filter.or(from_query.filter);
            from_query.index = params.index.or(from_query.index);
            from_query.exists = params.exists.or(from_query.exists);
        }
        Ok(from_query)
    }

    /// `index` is for owners only, and names one of Ioto's two indexes.
    pub fn check(&self, caller: &Caller) -> IotoResult<()> {
        require_field_role(caller, self.index.is_some(), "index", Role::Owner)?;
        match self.index.as_deref() {
            None | Some("primary" | "gs1") => Ok(()),
            Some(other) => Err(IotoError::bad_request(format!(
                "Unknown index {other:?}; use primary or gs1"
            ))),
        }
    }
}

/// Ioto's paged answer.
#[derive(Debug, Serialize)]
pub struct Paged<T> {
    pub data: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    pub paged: bool,
}

impl<T> crate::list_json::Records for Paged<T> {
    fn records(&self) -> usize {
        self.data.len()
    }
}

/// A list request in Ioto's terms: the resource, any extra filter, and the options.
pub fn base_request(
    resource: ListResource,
    extra: Option<Filter>,
    options: &QueryOptions,
) -> IotoResult<ListRequest> {
    let limit = ListRequest::validate_limit(options.limit).map_err(IotoError::bad_request)?;
    let text = match options.filter.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            fulltext::parse(text, resource, &QueryLimits::DEFAULT)
                .map_err(|e| IotoError::bad_request(format!("Invalid filter: {e}")))?,
        ),
    };
    let filter = match (extra, text) {
        (Some(a), Some(b)) => Some(Filter::And(vec![a, b])),
        (a, b) => a.or(b),
    };
    Ok(ListRequest {
        filter,
        limit,
        ..ListRequest::all(resource, limit)
    })
}

fn positioned(
    mut request: ListRequest,
    order: SortOrder,
    at: Option<&Value>,
) -> IotoResult<ListRequest> {
    request.sort = SortKey::by_id(request.resource, order);
    match at {
        None | Some(Value::Null) => {}
        Some(Value::String(cursor)) if cursor.is_empty() => {}
        Some(Value::String(cursor)) => request.cursor = Some(cursor.clone()),
        Some(Value::Object(key)) => {
            let id = match key.get("id") {
                Some(Value::String(s)) => s.trim().parse().ok(),
                Some(Value::Number(n)) => n.as_i64(),
                _ => None,
            }
            .ok_or_else(|| IotoError::bad_request("A next/prev object needs an \"id\""))?;
            request.after = Some(Keyset {
                value: QueryValue::Int(id),
                id,
            });
        }
        Some(_) => {
            return Err(IotoError::bad_request(
                "next and prev are strings or objects",
            ));
        }
    }
    Ok(request)
}

/// Runs `list` forwards (or, with `prev`, backwards) and builds both cursors.
pub async fn page<T, F, Fut>(
    services: &Services,
    base: ListRequest,
    options: &QueryOptions,
    list: F,
) -> IotoResult<(Vec<T>, Option<String>, Option<String>)>
where
    T: Keyed,
    F: Fn(ListRequest) -> Fut,
    Fut: Future<Output = tenantry_core::Result<ListPage<T>>>,
{
    let forward = positioned(base.clone(), SortOrder::Asc, options.next.as_ref())?;
    let backward_base = positioned(base.clone(), SortOrder::Desc, None)?;
    let forward_base = positioned(base, SortOrder::Asc, None)?;
    let key = |row: &T| Keyset {
        value: QueryValue::Int(row.id()),
        id: row.id(),
    };
    if options.prev.is_none() {
        let had_position = forward.cursor.is_some() || forward.after.is_some();
        let page = list(forward).await?;
        let prev = match (had_position, page.items.first()) {
            (true, Some(first)) => Some(services.cursor_after(&backward_base, &key(first))?),
            _ => None,
        };
        return Ok((page.items, page.next_cursor, prev));
    }
    let backward = positioned(backward_base, SortOrder::Desc, options.prev.as_ref())?;
    let page = list(backward).await?;
    let mut items = page.items;
    items.reverse();
    let next = match items.last() {
        Some(last) => Some(services.cursor_after(&forward_base, &key(last))?),
        None => None,
    };
    Ok((items, next, page.next_cursor))
}
