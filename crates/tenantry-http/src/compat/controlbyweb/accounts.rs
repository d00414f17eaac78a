//! `/v1/accounts/{AccountId}`: read an account and the tree below it, edit it, create children,
//! delete it.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tenantry_core::model::{Account, AccountId, AccountStatus};
use tenantry_core::query::ListResource;
use tenantry_core::services::Within;
use tenantry_core::services::accounts::{CreateAccount, UpdateAccount};
use tenantry_core::values::{Text, TextLimit};

use super::error::{CbwError, CbwResult};
use super::lists;
use super::records::{AccountNode, AccountRecord, AccountRecords};
use super::request::{CbwCaller, CbwPath, Fields, path_id};
use crate::state::AppState;

pub fn success() -> Json<Value> {
    Json(json!({ "message": "success" }))
}

pub async fn get(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath(account_id): CbwPath<String>,
) -> CbwResult<Json<AccountRecord>> {
    let id = AccountId(path_id(&account_id)?);
    let mut records = AccountRecords::new(&app, &caller);
    Ok(Json(records.record(id).await?))
}

/// `children` and `allChildren` are flat lists starting with the account itself;
/// `descendants` (also spelled `decendants`, as the vendor's docs do) is the same tree nested
/// by `children`, as a one-element list.
pub async fn get_with_option(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath((account_id, option)): CbwPath<(String, String)>,
) -> CbwResult<Json<Value>> {
    let id = AccountId(path_id(&account_id)?);
    let within = match option.as_str() {
        "children" => Within::Account(id),
        "allChildren" => Within::Below(id),
        "descendants" | "decendants" => Within::Below(id),
        _ => return Err(CbwError::new(StatusCode::NOT_FOUND, "Not found")),
    };
    let mut records = AccountRecords::new(&app, &caller);
    let head = records.account(id).await?.clone();
    let below = lists::whole(ListResource::Accounts, "accounts", |request| {
        app.services.accounts.list(&caller, within, request)
    })
    .await?;
    records.know(below.iter().cloned());
    let mut flat = vec![records.record(id).await?];
    for account in &below {
        flat.push(records.record(account.id).await?);
    }
    if option == "children" || option == "allChildren" {
        return Ok(Json(serde_json::to_value(flat).map_err(internal)?));
    }
    let tree = nest(&head, &below, flat);
    Ok(Json(serde_json::to_value([tree]).map_err(internal)?))
}

fn internal(error: serde_json::Error) -> CbwError {
    tenantry_core::Error::internal(error.to_string()).into()
}

/// Nests `records` (the head's first, then one per account of `below`, in the same order)
/// under their parents.
fn nest(head: &Account, below: &[Account], records: Vec<AccountRecord>) -> AccountNode {
    let mut by_id: HashMap<i64, AccountRecord> =
        records.into_iter().map(|r| (r.account_id, r)).collect();
    let mut children_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for account in below {
        if let Some(parent) = account.parent_id {
            children_of
                .entry(parent.get())
                .or_default()
                .push(account.id.get());
        }
    }
    // Iterative post-order, so a deep tree cannot overflow the stack.
    let mut built: HashMap<i64, AccountNode> = HashMap::new();
    let mut stack = vec![(head.id.get(), false)];
    while let Some((id, expanded)) = stack.pop() {
        let kids = children_of.get(&id).cloned().unwrap_or_default();
        if !expanded {
            stack.push((id, true));
            stack.extend(kids.iter().rev().map(|k| (*k, false)));
            continue;
        }
        let children = kids.iter().filter_map(|k| built.remove(k)).collect();
        if let Some(account) = by_id.remove(&id) {
            built.insert(id, AccountNode { account, children });
        }
    }
    built.remove(&head.id.get()).unwrap_or_else(|| AccountNode {
        account: AccountRecord::new(head, 0),
        children: Vec::new(),
    })
}

fn name(fields: &Fields, field: &str) -> CbwResult<Option<Text>> {
    fields
        .text(field)?
        .map(|raw| {
            Text::parse(&raw, TextLimit::NAME).map_err(|m| CbwError::invalid_field(field, m))
        })
        .transpose()
}

/// The status change `suspended` asks for, if any. Forms re-send every field, so a value equal
/// to the current one is no change. An account deactivated elsewhere (Tenantry's soft delete)
/// is not brought back by `suspended=false`.
fn status_change(account: &Account, suspended: Option<bool>) -> CbwResult<Option<AccountStatus>> {
    let current = account.status;
    match suspended {
        None => Ok(None),
        Some(true) if current == AccountStatus::Active => Ok(Some(AccountStatus::Suspended)),
        Some(false) if current == AccountStatus::Suspended => Ok(Some(AccountStatus::Active)),
        Some(false) if current == AccountStatus::Deactivated => Err(CbwError::invalid_field(
            "suspended",
            "cannot reactivate a deactivated account; use Tenantry's API",
        )),
        Some(_) => Ok(None),
    }
}

/// Edits the account ("Edit Accounts"); `device_seats` only from an account above it. Seats
/// of one's own account grow only by redeeming a `device_seat_token`, which must come alone so
/// that nothing is applied in part. Values equal to the current ones are no change (forms
/// re-send every field, as the vendor's own example does), and a request changing nothing
/// succeeds.
pub async fn edit(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath(account_id): CbwPath<String>,
    fields: Fields,
) -> CbwResult<Json<Value>> {
    let id = AccountId(path_id(&account_id)?);
    let token = fields
        .text("device_seat_token")?
        .filter(|t| !t.trim().is_empty());
    if let Some(token) = token {
        if fields.any_except(&["device_seat_token"]) {
            return Err(CbwError::invalid_field(
                "device_seat_token",
                "must be sent on its own, without other changes",
            ));
        }
        app.services
            .device_tokens
            .redeem_seat_token(&caller, id, token.trim())
            .await?;
        return Ok(success());
    }
    let account = app.services.accounts.get(&caller, id).await?;
    let command = UpdateAccount {
        name: name(&fields, "account_name")?.filter(|n| n.as_str() != account.name),
        device_seats: fields
            .int("device_seats")?
            .filter(|seats| *seats != account.device_seats),
        status: status_change(&account, fields.boolean("suspended")?)?,
        log_retention: fields
            .int("logging")?
            .filter(|level| *level != account.log_retention),
        ..UpdateAccount::default()
    };
    let changes_nothing = command.name.is_none()
        && command.device_seats.is_none()
        && command.status.is_none()
        && command.log_retention.is_none();
    if !changes_nothing {
        app.services.accounts.update(&caller, id, command).await?;
    } else {
        // Nothing to write, but the caller must still be allowed to edit this account.
        app.services.accounts.check_editable(&caller, &account)?;
    }
    Ok(success())
}

/// `POST /v1/accounts/{AccountId}/children` creates a child ("Add Accounts"), whose seats come
/// from the account's free seats. Any other option matches nothing.
pub async fn create_child(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath((account_id, option)): CbwPath<(String, String)>,
    fields: Fields,
) -> CbwResult<Json<Value>> {
    let parent = AccountId(path_id(&account_id)?);
    if option != "children" {
        return Err(CbwError::new(StatusCode::NOT_FOUND, "Not found"));
    }
    let account_name = name(&fields, "account_name")?
        .ok_or_else(|| CbwError::invalid_field("account_name", "is required"))?;
    let command = CreateAccount {
        parent_id: Some(parent),
        name: account_name,
        email: None,
        description: None,
        external_id: None,
        device_seats: fields.int("device_seats")?.unwrap_or(0),
        suspended: fields.boolean("suspended")?.unwrap_or(false),
    };
    let account = app.services.accounts.create(&caller, command).await?;
    Ok(Json(
        json!({ "message": "success", "account_id": account.id.get() }),
    ))
}

/// Deletes an account below the caller's ("Delete Accounts"), only once it has no child
/// accounts, users or devices; its seats return to its parent.
pub async fn delete(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath(account_id): CbwPath<String>,
) -> CbwResult<Json<Value>> {
    let id = AccountId(path_id(&account_id)?);
    app.services.accounts.delete_empty(&caller, id).await?;
    Ok(success())
}
