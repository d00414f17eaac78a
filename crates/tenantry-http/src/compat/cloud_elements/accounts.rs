//! `/accounts`: the organization's accounts (its Default account, the root, and the company
//! accounts below it), for the organization administrator only. Deleting is the vendor's soft
//! delete: the account is deactivated and so are its users, who stay so if it comes back.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use tenantry_core::auth::Caller;
use tenantry_core::model::{Account, AccountId, AccountStatus};
use tenantry_core::query::ListResource;
use tenantry_core::services::Within;
use tenantry_core::services::accounts::{CreateAccount, UpdateAccount};
use tenantry_core::values::{Text, TextLimit};

use super::error::{CeError, CeResult};
use super::paging::{self, PageQuery};
use super::records::AccountRecord;
use super::request::{CeCaller, CeJson, CePath, CeQuery, path_id, require_organization_admin};
use crate::list_json::ListJson;
use crate::state::AppState;

/// The organization's root (its Default account) for an organization administrator.
fn organization(caller: &Caller) -> CeResult<AccountId> {
    require_organization_admin(caller)?;
    caller
        .principal
        .as_user()
        .map(|u| u.tenant_id)
        .ok_or_else(|| {
            CeError::unauthorized("Only the organization administrator may manage accounts")
        })
}

pub async fn account(app: &AppState, caller: &Caller, raw_id: &str) -> CeResult<Account> {
    let id = AccountId(path_id(raw_id, "account")?);
    Ok(app.services.accounts.get(caller, id).await?)
}

fn text(field: &str, raw: Option<&str>, limit: TextLimit) -> CeResult<Option<Text>> {
    raw.map(|s| Text::parse(s, limit).map_err(|m| CeError::bad_request(format!("{field}: {m}"))))
        .transpose()
}

pub async fn list(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CeQuery(query): CeQuery<PageQuery>,
) -> CeResult<(HeaderMap, ListJson<Vec<AccountRecord>>)> {
    let root = organization(&caller)?;
    let request = paging::request(ListResource::Accounts, &query)?;
    let page = app
        .services
        .accounts
        .list(&caller, Within::Subtree(root), request)
        .await?;
    let headers = paging::headers(&page);
    Ok((
        headers,
        ListJson(page.items.iter().map(AccountRecord::from).collect()),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub active: Option<bool>,
}

/// Creates a company account: `externalId` is required and unique in the organization; `name`
/// and `description` default to it.
pub async fn create(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CeJson(body): CeJson<AccountBody>,
) -> CeResult<Json<AccountRecord>> {
    let root = organization(&caller)?;
    let external_id = body
        .external_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| CeError::bad_request("externalId is required"))?;
    let external_id = text("externalId", Some(external_id), TextLimit::EXTERNAL_ID)?;
    let fallback = external_id.as_ref().map(|t| t.as_str().to_owned());
    let name = text(
        "name",
        body.name.as_deref().or(fallback.as_deref()),
        TextLimit::NAME,
    )?;
    let description = text(
        "description",
        body.description.as_deref().or(fallback.as_deref()),
        TextLimit::DESCRIPTION,
    )?;
    let (Some(name), Some(external_id)) = (name, external_id) else {
        return Err(CeError::bad_request("externalId is required"));
    };
    let command = CreateAccount {
        parent_id: Some(root),
        name,
        email: None,
        description,
        external_id: Some(external_id),
        device_seats: 0,
        suspended: false,
    };
    let account = app.services.accounts.create(&caller, command).await?;
    Ok(Json(AccountRecord::from(&account)))
}

pub async fn get(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(id): CePath<String>,
) -> CeResult<Json<AccountRecord>> {
    organization(&caller)?;
    let account = account(&app, &caller, &id).await?;
    Ok(Json(AccountRecord::from(&account)))
}

/// Deactivating, by `active: false` or by delete: the Default account never; otherwise the
/// account's users are deactivated with it.
fn deactivation(account: &Account) -> CeResult<UpdateAccount> {
    if account.is_root() {
        return Err(CeError::bad_request(
            "The organization's Default account cannot be deactivated or deleted",
        ));
    }
    Ok(UpdateAccount {
        status: Some(AccountStatus::Deactivated),
        disable_users: true,
        ..UpdateAccount::default()
    })
}

/// Changes `name`, `description`, `externalId`; `active` deactivates (like delete) or
/// reactivates (the users stay deactivated). Values equal to the current ones are no change.
pub async fn update(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(id): CePath<String>,
    CeJson(body): CeJson<AccountBody>,
) -> CeResult<Json<AccountRecord>> {
    organization(&caller)?;
    let account = account(&app, &caller, &id).await?;
    if body.name.is_none()
        && body.description.is_none()
        && body.external_id.is_none()
        && body.active.is_none()
    {
        return Err(CeError::bad_request(
            "Send at least one of name, description, externalId, active",
        ));
    }
    let active_now = account.status == AccountStatus::Active;
    let mut command = match body.active {
        Some(false) if active_now => deactivation(&account)?,
        Some(true) if !active_now => UpdateAccount {
            status: Some(AccountStatus::Active),
            ..UpdateAccount::default()
        },
        _ => UpdateAccount::default(),
    };
    command.name =
        text("name", body.name.as_deref(), TextLimit::NAME)?.filter(|n| n.as_str() != account.name);
    command.description = text(
        "description",
        body.description.as_deref(),
        TextLimit::DESCRIPTION,
    )?
    .filter(|d| account.description.as_deref() != Some(d.as_str()))
    .map(Some);
    command.external_id = text(
        "externalId",
        body.external_id.as_deref(),
        TextLimit::EXTERNAL_ID,
    )?
    .filter(|x| account.external_id.as_deref() != Some(x.as_str()))
    .map(Some);
    let changes_nothing = command.name.is_none()
        && command.description.is_none()
        && command.external_id.is_none()
        && command.status.is_none();
    if changes_nothing {
        return Ok(Json(AccountRecord::from(&account)));
    }
    let updated = app
        .services
        .accounts
        .update(&caller, account.id, command)
        .await?;
    Ok(Json(AccountRecord::from(&updated)))
}

/// The vendor's soft delete: 200 with an empty body; deleting again changes nothing.
pub async fn delete(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(id): CePath<String>,
) -> CeResult<()> {
    organization(&caller)?;
    let account = account(&app, &caller, &id).await?;
    let command = deactivation(&account)?;
    if account.status != AccountStatus::Deactivated {
        app.services
            .accounts
            .update(&caller, account.id, command)
            .await?;
    }
    Ok(())
}
