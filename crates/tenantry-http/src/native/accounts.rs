//! The account tree: create, read, update, delete, list below, move seats.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_core::error::FieldCollector;
use tenantry_core::model::AccountId;
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::services::Within;
use tenantry_core::services::accounts::{CreateAccount, UpdateAccount};
use tenantry_core::values::{Email, Text, TextLimit};
use utoipa::ToSchema;

use super::dto::{
    AccountDto, AccountPage, AccountStatusDto, account_example, clearable, list_query, nullable,
    opt_ref, optional,
};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery, Authenticated};
use crate::list_json::ListJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "parent_id": 7,
    "name": "Acme Robotics",
    "email": "robotics@acme.example",
    "description": "Warehouse robots, Berlin site",
    "external_id": "ACME-ROB-01",
    "device_seats": 25
}))]
pub struct CreateAccountBody {
    /// The parent account; omit to create a root account (a tenant), which needs a service
    /// owner token.
    pub parent_id: Option<i64>,
    #[schema(example = "Acme Robotics")]
    pub name: String,
    pub email: Option<String>,
    pub description: Option<String>,
    /// Your own identifier for the account; unique within the tenant.
    pub external_id: Option<String>,
    /// Seats to allocate; for a child they come out of the parent's free seats. Default 0.
    pub device_seats: Option<i64>,
}

impl CreateAccountBody {
    fn into_command(self) -> Result<CreateAccount, ApiError> {
        let mut f = FieldCollector::new();
        let name = f.take("name", Text::parse(&self.name, TextLimit::NAME));
        let email = f.take("email", optional(self.email.as_deref(), Email::parse));
        let description = f.take(
            "description",
            optional(self.description.as_deref(), |s| {
                Text::parse_optional(s, TextLimit::DESCRIPTION)
            }),
        );
        let external_id = f.take(
            "external_id",
            optional(self.external_id.as_deref(), |s| {
                Text::parse(s, TextLimit::EXTERNAL_ID)
            }),
        );
        let command = f.finish_with(|| {
            Some(CreateAccount {
                parent_id: self.parent_id.map(AccountId),
                name: name?,
                email: email?,
                description: description?.flatten(),
                external_id: external_id?,
                device_seats: self.device_seats.unwrap_or(0),
                suspended: false,
            })
        })?;
        Ok(command)
    }
}

/// Only the fields present change; `null` clears `email`, `description` or `external_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Acme Robotics Berlin",
    "description": null,
    "log_retention": 3
}))]
pub struct UpdateAccountBody {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    /// Only from an account above this one (or a service token).
    pub status: Option<AccountStatusDto>,
    /// The new allocation; the difference moves from or to the parent's free seats. Only from an
    /// account above this one; a root's only with a service token.
    pub device_seats: Option<i64>,
    /// How long device logs are kept, as a level from 0 to 100.
    pub log_retention: Option<i64>,
}

impl UpdateAccountBody {
    fn into_command(self) -> Result<UpdateAccount, ApiError> {
        let mut f = FieldCollector::new();
        let name = f.take(
            "name",
            optional(self.name.as_deref(), |s| Text::parse(s, TextLimit::NAME)),
        );
        let email = f.take("email", clearable(opt_ref(&self.email), Email::parse));
        let description = f.take(
            "description",
            clearable(opt_ref(&self.description), |s| {
                Text::parse(s, TextLimit::DESCRIPTION)
            }),
        );
        let external_id = f.take(
            "external_id",
            clearable(opt_ref(&self.external_id), |s| {
                Text::parse(s, TextLimit::EXTERNAL_ID)
            }),
        );
        let command = f.finish_with(|| {
            Some(UpdateAccount {
                name: name?,
                email: email?,
                description: description?,
                external_id: external_id?,
                status: self.status.map(Into::into),
                device_seats: self.device_seats,
                log_retention: self.log_retention,
                disable_users: false,
            })
        })?;
        Ok(command)
    }
}

#[utoipa::path(
    post,
    path = "/api/accounts",
    tag = "accounts",
    summary = "Create an account",
    description = "A child needs \"Add Accounts\" on its parent and takes its seats from the \
                   parent's free seats. A root account (a tenant) needs a service owner token.",
    security(("bearer" = [])),
    request_body = CreateAccountBody,
    responses(
        (status = 201, description = "Created", body = AccountDto),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such parent (or not yours)", body = ErrorBody),
        (status = 409, description = "external_id already used in this tenant", body = ErrorBody),
        (status = 422, description = "Invalid fields, or too few free seats", body = ErrorBody),
    )
)]
pub async fn create_account(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppJson(body): AppJson<CreateAccountBody>,
) -> ApiResult<(StatusCode, Json<AccountDto>)> {
    let command = body.into_command()?;
    let account = app.services.accounts.create(&caller, command).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

#[utoipa::path(
    get,
    path = "/api/accounts/{id}",
    tag = "accounts",
    summary = "Read an account",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account", body = AccountDto),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
    )
)]
pub async fn get_account(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<AccountDto>> {
    let account = app.services.accounts.get(&caller, AccountId(id)).await?;
    Ok(Json(account.into()))
}

#[utoipa::path(
    patch,
    path = "/api/accounts/{id}",
    tag = "accounts",
    summary = "Change an account",
    description = "Needs \"Edit Accounts\". Status and seats change only from an account above.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    request_body = UpdateAccountBody,
    responses(
        (status = 200, description = "The changed account", body = AccountDto),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 409, description = "external_id already used in this tenant", body = ErrorBody),
        (status = 422, description = "Invalid fields, nothing to change, or too few free seats", body = ErrorBody),
    )
)]
pub async fn update_account(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<UpdateAccountBody>,
) -> ApiResult<Json<AccountDto>> {
    let command = body.into_command()?;
    let account = app
        .services
        .accounts
        .update(&caller, AccountId(id), command)
        .await?;
    Ok(Json(account.into()))
}

#[utoipa::path(
    delete,
    path = "/api/accounts/{id}",
    tag = "accounts",
    summary = "Delete an account",
    description = "Deletes the account with its users and devices; its seats return to the \
                   parent. Refused while it has child accounts. Needs \"Delete Accounts\", or \
                   \"Close Account\" (owners) for your own account. To keep the record, PATCH \
                   `status` to `deactivated` instead.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 409, description = "The account has child accounts", body = ErrorBody),
    )
)]
pub async fn delete_account(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    app.services.accounts.delete(&caller, AccountId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum DepthParam {
    /// Direct children only.
    #[default]
    Direct,
    /// Every account below, at any depth.
    All,
}

list_query!(
    /// Which accounts to list; without `parent_id` or `within`, every account the caller may see.
    AccountsQuery {
        /// Only the direct children of this account.
        parent_id: Option<i64>,
        /// Only this account and everything below it.
        within: Option<i64>,
    }
);

list_query!(
    /// Which accounts below this one to list.
    ChildrenQuery {
        /// `direct` (default) or `all`.
        #[param(inline)]
        depth: Option<DepthParam>,
    }
);

#[utoipa::path(
    get,
    path = "/api/accounts",
    tag = "accounts",
    summary = "List and search accounts",
    description = "Every account the caller may see (a user: its account and all below; a \
                   service token: all), or the children of `parent_id`, or the subtree of \
                   `within`. Filter with SCIM (`filter`), search free text (`q`), sort by \
                   `id`, `name` or `created`; pages by cursor.",
    security(("bearer" = [])),
    params(AccountsQuery),
    responses(
        (status = 200, description = "A page of accounts", body = AccountPage),
        (status = 400, description = "Unknown or malformed parameter", body = ErrorBody),
        (status = 404, description = "No such parent (or not yours)", body = ErrorBody),
        (status = 422, description = "Bad filter, sort, limit or cursor", body = ErrorBody),
    )
)]
pub async fn list_accounts(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppQuery(query): AppQuery<AccountsQuery>,
) -> ApiResult<ListJson<AccountPage>> {
    let within = match (query.parent_id, query.within) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request("give parent_id or within, not both"));
        }
        (Some(parent), None) => Within::Account(AccountId(parent)),
        (None, Some(root)) => Within::Subtree(AccountId(root)),
        (None, None) => Within::Visible,
    };
    let request = ListRequest::native(ListResource::Accounts, &query.list_params())?;
    let page = app.services.accounts.list(&caller, within, request).await?;
    Ok(ListJson(page.into()))
}

#[utoipa::path(
    get,
    path = "/api/accounts/{id}/children",
    tag = "accounts",
    summary = "List the accounts below an account",
    description = "Direct children, or (`depth=all`) every account below; filter, search, sort \
                   and page like `GET /api/accounts`.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id"), ChildrenQuery),
    responses(
        (status = 200, description = "A page of accounts", body = AccountPage),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 422, description = "Bad filter, sort, limit or cursor", body = ErrorBody),
    )
)]
pub async fn list_children(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<ChildrenQuery>,
) -> ApiResult<ListJson<AccountPage>> {
    let within = match query.depth.unwrap_or_default() {
        DepthParam::Direct => Within::Account(AccountId(id)),
        DepthParam::All => Within::Below(AccountId(id)),
    };
    let request = ListRequest::native(ListResource::Accounts, &query.list_params())?;
    let page = app.services.accounts.list(&caller, within, request).await?;
    Ok(ListJson(page.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"child_id": 42, "seats": 5}))]
pub struct MoveSeatsBody {
    /// A direct child of the account in the path.
    pub child_id: i64,
    /// Seats to move to the child; negative moves seats back to the parent.
    #[schema(example = 5)]
    pub seats: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "parent": {
        "id": 7,
        "parent_id": null,
        "tenant_id": 7,
        "name": "Acme Group",
        "email": "it@acme.example",
        "description": null,
        "external_id": null,
        "status": "active",
        "device_seats": 100,
        "used_devices": 40,
        "children_seats": 30,
        "free_seats": 30,
        "log_retention": 1,
        "created": "2024-03-11T08:00:00Z",
        "updated": "2024-06-10T09:12:40Z",
        "activity": "2024-06-10T08:55:03Z"
    },
    "child": account_example()
}))]
pub struct MoveSeatsResponse {
    pub parent: AccountDto,
    pub child: AccountDto,
}

#[utoipa::path(
    post,
    path = "/api/accounts/{id}/seats",
    tag = "accounts",
    summary = "Move seats between an account and a direct child",
    description = "Needs \"Edit Accounts\" on the parent. Both sides must keep free seats ≥ 0.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The parent account's id")),
    request_body = MoveSeatsBody,
    responses(
        (status = 200, description = "Both accounts after the move", body = MoveSeatsResponse),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 422, description = "Not a direct child, zero seats, or too few free seats", body = ErrorBody),
    )
)]
pub async fn move_seats(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<MoveSeatsBody>,
) -> ApiResult<Json<MoveSeatsResponse>> {
    let (parent, child) = app
        .services
        .accounts
        .move_seats(&caller, AccountId(id), AccountId(body.child_id), body.seats)
        .await?;
    Ok(Json(MoveSeatsResponse {
        parent: parent.into(),
        child: child.into(),
    }))
}
