//! Vendor lists that come back whole, read page by page through the core's keyset lists up to
//! a ceiling, so no answer is unbounded.

use std::future::Future;

use tenantry_core::query::{ListPage, ListRequest, ListResource};

/// The most rows one whole list carries.
pub const MAX_ROWS: usize = 10_000;

/// Every row `fetch` yields for `resource` in its default order, or `too_many()` past
/// [`MAX_ROWS`].
pub async fn whole<T, E, F, Fut>(
    resource: ListResource,
    mut fetch: F,
    too_many: impl FnOnce() -> E,
) -> Result<Vec<T>, E>
where
    E: From<tenantry_core::Error>,
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
            return Err(too_many());
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(rows),
        }
    }
}
