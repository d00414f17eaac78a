//! Devices.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use tenantry_core::error::FieldCollector;
use tenantry_core::model::{AccountId, DeviceId};
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::services::Within;
use tenantry_core::services::devices::{CreateDevice, UpdateDevice};
use tenantry_core::values::{Text, TextLimit};
use utoipa::ToSchema;

use super::dto::{DeviceDto, DevicePage};
use super::users::ScopedListQuery;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery, Authenticated};
use crate::list_json::ListJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Boiler room sensor",
    "serial": "SN-000123",
    "is_test": false,
    "is_cell": false
}))]
pub struct CreateDeviceBody {
    #[schema(example = "Boiler room sensor")]
    pub name: String,
    /// Unique within the tenant.
    #[schema(example = "SN-000123")]
    pub serial: String,
    /// A test device occupies no seat. Default false.
    #[serde(default)]
    pub is_test: bool,
    /// A cellular device. Default false.
    #[serde(default)]
    pub is_cell: bool,
}

impl CreateDeviceBody {
    fn into_command(self) -> Result<CreateDevice, ApiError> {
        let mut f = FieldCollector::new();
        let name = f.take("name", Text::parse(&self.name, TextLimit::NAME));
        let serial = f.take("serial", Text::parse(&self.serial, TextLimit::SERIAL));
        let command = f.finish_with(|| {
            Some(CreateDevice {
                name: name?,
                serial: serial?,
                is_test: self.is_test,
                is_cell: self.is_cell,
            })
        })?;
        Ok(command)
    }
}

#[utoipa::path(
    post,
    path = "/api/accounts/{id}/devices",
    tag = "devices",
    summary = "Register a device in an account",
    description = "Needs \"Add Devices\". A non-test device takes one of the account's free seats.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    request_body = CreateDeviceBody,
    responses(
        (status = 201, description = "Registered", body = DeviceDto),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 409, description = "Serial already registered in this tenant", body = ErrorBody),
        (status = 422, description = "Invalid fields, or no free seat", body = ErrorBody),
    )
)]
pub async fn create_device(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(account_id): AppPath<i64>,
    AppJson(body): AppJson<CreateDeviceBody>,
) -> ApiResult<(StatusCode, Json<DeviceDto>)> {
    let command = body.into_command()?;
    let device = app
        .services
        .devices
        .create(&caller, AccountId(account_id), command)
        .await?;
    Ok((StatusCode::CREATED, Json(device.into())))
}

#[utoipa::path(
    get,
    path = "/api/accounts/{id}/devices",
    tag = "devices",
    summary = "List an account's devices",
    description = "Filter with SCIM, sort by `id`, `name`, `serial` or `created`; pages by cursor.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id"), ScopedListQuery),
    responses(
        (status = 200, description = "A page of devices", body = DevicePage),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 422, description = "Bad filter, sort, limit or cursor", body = ErrorBody),
    )
)]
pub async fn list_devices(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(account_id): AppPath<i64>,
    AppQuery(query): AppQuery<ScopedListQuery>,
) -> ApiResult<ListJson<DevicePage>> {
    let request = ListRequest::native(ListResource::Devices, &query.list_params())?;
    let within = if query.subtree.unwrap_or(false) {
        Within::Subtree(AccountId(account_id))
    } else {
        Within::Account(AccountId(account_id))
    };
    let devices = app.services.devices.list(&caller, within, request).await?;
    Ok(ListJson(devices.into()))
}

#[utoipa::path(
    get,
    path = "/api/devices/{id}",
    tag = "devices",
    summary = "Read a device",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Device id")),
    responses(
        (status = 200, description = "The device", body = DeviceDto),
        (status = 404, description = "No such device (or not yours)", body = ErrorBody),
    )
)]
pub async fn get_device(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<DeviceDto>> {
    let device = app.services.devices.get(&caller, DeviceId(id)).await?;
    Ok(Json(device.into()))
}

/// Only the fields present change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Boiler room sensor (east wing)", "connected": true}))]
pub struct UpdateDeviceBody {
    pub name: Option<String>,
    /// Whether the device is connected now (as the device cloud last saw it).
    pub connected: Option<bool>,
}

#[utoipa::path(
    patch,
    path = "/api/devices/{id}",
    tag = "devices",
    summary = "Rename a device or record its connection state",
    description = "Needs \"Edit Devices\".",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Device id")),
    request_body = UpdateDeviceBody,
    responses(
        (status = 200, description = "The device as it is now", body = DeviceDto),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such device (or not yours)", body = ErrorBody),
        (status = 422, description = "Invalid fields, or nothing to change", body = ErrorBody),
    )
)]
pub async fn update_device(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<UpdateDeviceBody>,
) -> ApiResult<Json<DeviceDto>> {
    let mut f = FieldCollector::new();
    let name = f.take(
        "name",
        body.name
            .as_deref()
            .map(|n| Text::parse(n, TextLimit::NAME))
            .transpose(),
    );
    let command = f.finish_with(|| {
        Some(UpdateDevice {
            name: name?,
            connected: body.connected,
        })
    })?;
    let device = app
        .services
        .devices
        .update(&caller, DeviceId(id), command)
        .await?;
    Ok(Json(device.into()))
}

#[utoipa::path(
    delete,
    path = "/api/devices/{id}",
    tag = "devices",
    summary = "Remove a device",
    description = "Needs \"Delete Devices\". Its seat becomes free again.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Device id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such device (or not yours)", body = ErrorBody),
    )
)]
pub async fn delete_device(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    app.services.devices.delete(&caller, DeviceId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
