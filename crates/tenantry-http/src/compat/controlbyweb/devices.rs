//! `/v1/accounts/{AccountId}/devices` (every device of the account and the accounts below it),
//! `devices/info` (seat and connection figures), and the account's certificate request tokens.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde_json::Value;
use tenantry_core::model::AccountId;
use tenantry_core::query::ListResource;
use tenantry_core::services::Within;

use super::accounts::success;
use super::error::CbwResult;
use super::lists;
use super::records::{AccountRecords, DeviceInfo, DeviceRecord, TokenRecord};
use super::request::{CbwCaller, CbwPath, path_id};
use crate::list_json::ListJson;
use crate::state::AppState;

pub async fn list(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath(account_id): CbwPath<String>,
) -> CbwResult<ListJson<Vec<DeviceRecord>>> {
    let id = AccountId(path_id(&account_id)?);
    let devices = lists::whole(ListResource::Devices, "devices", |request| {
        app.services
            .devices
            .list(&caller, Within::Subtree(id), request)
    })
    .await?;
    let mut accounts = AccountRecords::new(&app, &caller);
    let mut records = Vec::with_capacity(devices.len());
    for device in &devices {
        let account = accounts.record(device.account_id).await?;
        records.push(DeviceRecord::new(device, account));
    }
    Ok(ListJson(records))
}

pub async fn info(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath(account_id): CbwPath<String>,
) -> CbwResult<Json<DeviceInfo>> {
    let id = AccountId(path_id(&account_id)?);
    let (account, statistics) = app.services.devices.statistics(&caller, id).await?;
    Ok(Json(DeviceInfo::new(&account, &statistics)))
}

/// The account's live certificate request tokens, keyed by token id (as strings).
pub async fn tokens(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath(account_id): CbwPath<String>,
) -> CbwResult<Json<BTreeMap<String, TokenRecord>>> {
    let id = AccountId(path_id(&account_id)?);
    let tokens = app
        .services
        .device_tokens
        .certificate_tokens(&caller, id)
        .await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| (t.record.id.get().to_string(), TokenRecord::from(t)))
            .collect(),
    ))
}

/// A new certificate request token: 32 letters and digits, multi-use, valid for 12 hours.
pub async fn create_token(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath(account_id): CbwPath<String>,
) -> CbwResult<Json<TokenRecord>> {
    let id = AccountId(path_id(&account_id)?);
    let token = app
        .services
        .device_tokens
        .create_certificate_token(&caller, id)
        .await?;
    Ok(Json(token.into()))
}

/// Invalidates a certificate request token at once.
pub async fn delete_token(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath((account_id, token)): CbwPath<(String, String)>,
) -> CbwResult<Json<Value>> {
    let id = AccountId(path_id(&account_id)?);
    app.services
        .device_tokens
        .delete_certificate_token(&caller, id, &token)
        .await?;
    Ok(success())
}
