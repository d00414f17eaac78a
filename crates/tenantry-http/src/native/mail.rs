//! The mail outbox, read-only: what was sent, what waits for a retry and why, what failed.
//! Links are shown without their tokens.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tenantry_core::error::{Error, FieldCollector};
use tenantry_core::mail::templates::{WITHHELD, link_path};
use tenantry_core::model::mail::MailFilter;
use tenantry_core::model::{MailId, MailStatus, OutboxMail};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppPath, AppQuery, Authenticated};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 204,
    "kind": "invitation",
    "recipient": "bob@acme.example",
    "tenant_id": 7,
    "user_id": 63,
    "status": "sent",
    "attempts": 1,
    "last_error": null,
    "next_attempt": "2024-06-10T08:15:00Z",
    "link": "/invitations/accept?token=[token withheld]",
    "params": {
        "account_name": "Acme Robotics",
        "inviter": "Ann Lee",
        "expires": "2024-06-17 08:15 UTC"
    },
    "created": "2024-06-10T08:15:00Z",
    "sent": "2024-06-10T08:15:02Z"
}))]
pub struct MailDto {
    pub id: i64,
    /// `invitation`, `verify_email` or `password_reset`.
    pub kind: &'static str,
    pub recipient: String,
    pub tenant_id: i64,
    pub user_id: Option<i64>,
    /// `pending`, `sent`, `logged` (no mail server configured) or `failed`.
    pub status: &'static str,
    pub attempts: u32,
    /// The last delivery error, if any.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending mails).
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt: OffsetDateTime,
    /// The path the mail links to; its token is never shown here.
    #[schema(example = "/invitations/accept?token=[token withheld]")]
    pub link: String,
    #[schema(value_type = Object)]
    pub params: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent: Option<OffsetDateTime>,
}

impl From<OutboxMail> for MailDto {
    fn from(m: OutboxMail) -> Self {
        MailDto {
            id: m.id.get(),
            kind: m.kind.as_str(),
            recipient: m.recipient,
            tenant_id: m.tenant_id.get(),
            user_id: m.user_id.map(|u| u.get()),
            status: m.status.as_str(),
            attempts: m.attempts,
            last_error: m.last_error,
            next_attempt: m.next_attempt,
            link: format!("{}?token={WITHHELD}", link_path(m.kind)),
            params: m.params,
            created: m.created,
            sent: m.sent,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MailQuery {
    /// Only mails in this state: `pending`, `sent`, `logged` or `failed`.
    pub status: Option<String>,
    /// The next page: mails with a smaller id than this.
    pub before: Option<i64>,
    /// 1 to 500, default 100.
    pub limit: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/api/mail",
    tag = "mail",
    summary = "List the mail outbox",
    description = "Mails of your subtree (a service token: all), newest first. Needs \"View \
                   Audit\". Failures stay listed with their last error.",
    security(("bearer" = [])),
    params(MailQuery),
    responses(
        (status = 200, description = "Mails", body = [MailDto]),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 422, description = "Unknown status", body = ErrorBody),
    )
)]
pub async fn list_mail(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppQuery(query): AppQuery<MailQuery>,
) -> ApiResult<Json<Vec<MailDto>>> {
    let mut f = FieldCollector::new();
    let status = f.take(
        "status",
        query
            .status
            .as_deref()
            .map(|s| {
                s.parse::<MailStatus>()
                    .map_err(|()| "must be pending, sent, logged or failed".to_owned())
            })
            .transpose(),
    );
    let status = f.finish_with(|| status)?;
    let filter = MailFilter {
        status,
        before: query.before.map(MailId),
        limit: query.limit.unwrap_or(100),
    };
    let mails = app.services.mail.list(&caller, filter).await?;
    Ok(Json(mails.into_iter().map(MailDto::from).collect()))
}

#[utoipa::path(
    get,
    path = "/api/mail/{id}",
    tag = "mail",
    summary = "Get one mail of the outbox",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Mail id")),
    responses(
        (status = 200, description = "The mail", body = MailDto),
        (status = 404, description = "No such mail (or not yours)", body = ErrorBody),
    )
)]
pub async fn get_mail(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<MailDto>> {
    if id <= 0 {
        return Err(Error::NotFound(tenantry_core::Resource::Mail).into());
    }
    let mail = app.services.mail.get(&caller, MailId(id)).await?;
    Ok(Json(mail.into()))
}
