//! The audit trail.

use axum::Json;
use axum::extract::State;
use tenantry_core::page::PageRequest;

use super::dto::{AuditPage, PageQuery};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppQuery, Authenticated};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "audit",
    summary = "Read the audit trail",
    description = "Records of the caller's account subtree (a service token: all), newest first. \
                   Needs \"View Audit\".",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of audit records", body = AuditPage),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 422, description = "Bad limit or cursor", body = ErrorBody),
    )
)]
pub async fn list_audit(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppQuery(query): AppQuery<PageQuery>,
) -> ApiResult<Json<AuditPage>> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let records = app.services.audit.list(&caller, page).await?;
    Ok(Json(records.into()))
}
