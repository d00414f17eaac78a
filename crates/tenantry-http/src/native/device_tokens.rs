//! Device seat tokens (minted by operators, redeemed by accounts for more seats), certificate
//! request tokens (a device presents one to join an account), and device enrolment.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_core::error::FieldCollector;
use tenantry_core::model::{AccountId, CertificateTokenId};
use tenantry_core::services::device_tokens::ShownCertificateToken;
use tenantry_core::services::devices::CreateDevice;
use tenantry_core::values::{Text, TextLimit};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::dto::{AccountDto, DeviceDto};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, Authenticated};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"seats": 25, "expires_in_days": 30}))]
pub struct MintSeatTokenBody {
    /// Seats the token adds when redeemed.
    #[schema(example = 25)]
    pub seats: i64,
    /// Days until it expires unredeemed (1–366, default 30).
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 12,
    "token": "tnt_ds_8ZWLyUY1JxN9K0i44Ym2SqUWrehX2EDrbITgZ9YXnVY",
    "seats": 25,
    "expires": "2024-07-10T09:00:00Z"
}))]
pub struct SeatTokenDto {
    pub id: i64,
    /// Shown this once; stored only as a hash.
    pub token: String,
    pub seats: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
}

#[utoipa::path(
    post,
    path = "/api/seat-tokens",
    tag = "accounts",
    summary = "Mint a device seat token",
    description = "Service owner tokens only. The token adds its seats to whichever account \
                   redeems it, once.",
    security(("bearer" = [])),
    request_body = MintSeatTokenBody,
    responses(
        (status = 201, description = "Minted", body = SeatTokenDto),
        (status = 403, description = "Not a service owner token", body = ErrorBody),
        (status = 422, description = "Invalid seats or lifetime", body = ErrorBody),
    )
)]
pub async fn mint_seat_token(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppJson(body): AppJson<MintSeatTokenBody>,
) -> ApiResult<(StatusCode, Json<SeatTokenDto>)> {
    let ttl = body
        .expires_in_days
        .map(|days| time::Duration::days(days.clamp(-1, 100_000)));
    let (token, secret) = app
        .services
        .device_tokens
        .mint_seat_token(&caller, body.seats, ttl)
        .await?;
    let dto = SeatTokenDto {
        id: token.id.get(),
        token: secret.expose().to_owned(),
        seats: token.seats,
        expires: token.expires,
    };
    Ok((StatusCode::CREATED, Json(dto)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "tnt_ds_8ZWLyUY1JxN9K0i44Ym2SqUWrehX2EDrbITgZ9YXnVY"}))]
pub struct RedeemSeatTokenBody {
    pub token: String,
}

#[utoipa::path(
    post,
    path = "/api/accounts/{id}/seats/redeem",
    tag = "accounts",
    summary = "Redeem a device seat token",
    description = "Needs \"Edit Accounts\" on the account, which may be your own: this is how an \
                   account's own allocation grows. Each token works once.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    request_body = RedeemSeatTokenBody,
    responses(
        (status = 200, description = "The account with its new allocation", body = AccountDto),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account or token", body = ErrorBody),
        (status = 409, description = "Token already redeemed or expired", body = ErrorBody),
    )
)]
pub async fn redeem_seat_token(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(account_id): AppPath<i64>,
    AppJson(body): AppJson<RedeemSeatTokenBody>,
) -> ApiResult<Json<AccountDto>> {
    let account = app
        .services
        .device_tokens
        .redeem_seat_token(&caller, AccountId(account_id), body.token.trim())
        .await?;
    Ok(Json(account.into()))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 5,
    "account_id": 42,
    "token": "GuX8bAGFv5QQWCdhngTJEelh0WWUNP5d",
    "created": "2024-06-10T09:00:00Z",
    "expires": "2024-06-10T21:00:00Z"
}))]
pub struct CertificateTokenDto {
    pub id: i64,
    pub account_id: i64,
    /// 32 letters and digits; multi-use until it expires.
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
}

impl From<ShownCertificateToken> for CertificateTokenDto {
    fn from(shown: ShownCertificateToken) -> Self {
        CertificateTokenDto {
            id: shown.record.id.get(),
            account_id: shown.record.account_id.get(),
            token: shown.token,
            created: shown.record.created,
            expires: shown.record.expires,
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/accounts/{id}/certificate-tokens",
    tag = "devices",
    summary = "Create a certificate request token",
    description = "Needs \"Manage Tokens\". Devices present it to join the account, for 12 hours.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 201, description = "Created", body = CertificateTokenDto),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 409, description = "Too many live tokens", body = ErrorBody),
    )
)]
pub async fn create_certificate_token(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(account_id): AppPath<i64>,
) -> ApiResult<(StatusCode, Json<CertificateTokenDto>)> {
    let token = app
        .services
        .device_tokens
        .create_certificate_token(&caller, AccountId(account_id))
        .await?;
    Ok((StatusCode::CREATED, Json(token.into())))
}

#[utoipa::path(
    get,
    path = "/api/accounts/{id}/certificate-tokens",
    tag = "devices",
    summary = "List an account's live certificate request tokens",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 200, description = "Oldest first", body = Vec<CertificateTokenDto>),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
    )
)]
pub async fn list_certificate_tokens(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(account_id): AppPath<i64>,
) -> ApiResult<Json<Vec<CertificateTokenDto>>> {
    let tokens = app
        .services
        .device_tokens
        .certificate_tokens(&caller, AccountId(account_id))
        .await?;
    Ok(Json(tokens.into_iter().map(Into::into).collect()))
}

#[utoipa::path(
    delete,
    path = "/api/accounts/{id}/certificate-tokens/{token_id}",
    tag = "devices",
    summary = "Invalidate a certificate request token",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Account id"),
        ("token_id" = i64, Path, description = "The token's id (not the token)"),
    ),
    responses(
        (status = 204, description = "Invalidated"),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account or token", body = ErrorBody),
    )
)]
pub async fn delete_certificate_token(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath((account_id, token_id)): AppPath<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.services
        .device_tokens
        .delete_certificate_token_by_id(
            &caller,
            AccountId(account_id),
            CertificateTokenId(token_id),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "token": "GuX8bAGFv5QQWCdhngTJEelh0WWUNP5d",
    "name": "Boiler room sensor",
    "serial": "SN-000123",
    "is_cell": false
}))]
pub struct EnrolDeviceBody {
    /// A live certificate request token of the account to join.
    pub token: String,
    pub name: String,
    /// Unique within the tenant.
    pub serial: String,
    #[serde(default)]
    pub is_cell: bool,
}

#[utoipa::path(
    post,
    path = "/api/devices/enrol",
    tag = "devices",
    summary = "Enrol a device with a certificate request token",
    description = "No bearer token: the certificate request token is the device's credential. \
                   The device joins the token's account and takes one of its free seats.",
    request_body = EnrolDeviceBody,
    responses(
        (status = 201, description = "Enrolled", body = DeviceDto),
        (status = 401, description = "Unknown or expired token", body = ErrorBody),
        (status = 409, description = "Serial already registered in this tenant", body = ErrorBody),
        (status = 422, description = "Invalid fields, or no free seat", body = ErrorBody),
    )
)]
pub async fn enrol_device(
    State(app): State<AppState>,
    parts: axum::http::request::Parts,
    AppJson(body): AppJson<EnrolDeviceBody>,
) -> ApiResult<(StatusCode, Json<DeviceDto>)> {
    let mut f = FieldCollector::new();
    let name = f.take("name", Text::parse(&body.name, TextLimit::NAME));
    let serial = f.take("serial", Text::parse(&body.serial, TextLimit::SERIAL));
    let command = f.finish_with(|| {
        Some(CreateDevice {
            name: name?,
            serial: serial?,
            is_test: false,
            is_cell: body.is_cell,
        })
    })?;
    let device = app
        .services
        .devices
        .enrol(&body.token, command, crate::extract::request_id(&parts))
        .await?;
    Ok((StatusCode::CREATED, Json(device.into())))
}
