//! The audit trail.

use axum::extract::State;
use tenantry_core::model::AccountId;
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::services::Within;

use super::dto::{AuditPage, list_query};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppQuery, Authenticated};
use crate::list_json::ListJson;
use crate::state::AppState;

list_query!(
    /// Which audit records to list.
    AuditQuery {
        /// Only records of this account and everything below it.
        within: Option<i64>,
    }
);

#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "audit",
    summary = "Read the audit trail",
    description = "Records of the caller's account subtree (a service token: all), newest first \
                   unless `sort=id`. Filter with SCIM over `actor`, `action`, `target_type`, \
                   `target_id`, `request_id` and `at`. Needs \"View Audit\".",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit records", body = AuditPage),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 422, description = "Bad filter, sort, limit or cursor", body = ErrorBody),
    )
)]
pub async fn list_audit(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppQuery(query): AppQuery<AuditQuery>,
) -> ApiResult<ListJson<AuditPage>> {
    let request = ListRequest::native(ListResource::Audit, &query.list_params())?;
    let within = query
        .within
        .map_or(Within::Visible, |id| Within::Subtree(AccountId(id)));
    let records = app.services.audit.list(&caller, within, request).await?;
    Ok(ListJson(records.into()))
}
