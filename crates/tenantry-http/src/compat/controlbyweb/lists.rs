//! ControlByWeb lists come back whole, unpaged, up to a ceiling: past it the answer is a clear
//! 422, never an unbounded response.

use std::future::Future;

use axum::http::StatusCode;
use tenantry_core::query::{ListPage, ListRequest, ListResource};

use super::error::{CbwError, CbwResult};
use crate::compat::whole_list;

pub use whole_list::MAX_ROWS;

/// Every row `fetch` yields for `resource`, in its default order.
pub async fn whole<T, F, Fut>(resource: ListResource, what: &str, fetch: F) -> CbwResult<Vec<T>>
where
    F: FnMut(ListRequest) -> Fut,
    Fut: Future<Output = tenantry_core::Result<ListPage<T>>>,
{
    whole_list::whole(resource, fetch, || {
        CbwError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "More than {MAX_ROWS} {what} match; list a smaller part of the tree \
                 (or use Tenantry's paged API at /api)."
            ),
        )
    })
    .await
}
