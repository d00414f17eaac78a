//! ControlByWeb lists come back whole, unpaged. They are read here page by page through the
//! core's keyset lists, up to a ceiling: past it the answer is a clear 422, never an unbounded
//! response.

use std::future::Future;

use axum::http::StatusCode;
use tenantry_core::query::{ListPage, ListRequest, ListResource};

use super::error::{CbwError, CbwResult};

/// The most rows one list answer carries.
pub const MAX_ROWS: usize = 10_000;

/// Every row `fetch` yields for `resource`, in its default order.
pub async fn whole<T, F, Fut>(resource: ListResource, what: &str, mut fetch: F) -> CbwResult<Vec<T>>
where
    F: FnMut(ListRequest) -> Fut,
    Fut: Future<Output = tenantry_core::Result<ListPage<T>>>,
{
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let mut request = ListRequest::all(resource, ListRequest::MAX_LIMIT);
        request.cursor = cursor.take();
        let page = fetch(request).await?;
        rows.extend(page.items);
        if rows.len() > MAX_ROWS {
            return Err(CbwError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "More than {MAX_ROWS} {what} match; list a smaller part of the tree \
                     (or use Tenantry's paged API at /api)."
                ),
            ));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(rows),
        }
    }
}
