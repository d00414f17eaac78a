//! `account/create`, `account/close`, `account/get`, `account/find`, `account/updateIdentity`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tenantry_core::auth::{Caller, Principal, Role};
use tenantry_core::model::AccountId;
use tenantry_core::query::{CmpOp, Filter, ListResource, Literal};
use tenantry_core::services::Within;
use tenantry_core::services::accounts::{CreateAccount, UpdateAccount};
use tenantry_core::services::users::CreateUser;
use tenantry_core::values::{Email, Text, TextLimit};

use super::error::{IotoError, IotoResult};
use super::paging::{self, Paged, QueryOptions};
use super::records::{IotoAccount, IotoUser};
use super::request::{IotoBody, IotoCaller, id, require_field_role, require_role};
use crate::list_json::ListJson;
use crate::state::AppState;

fn email(raw: &str) -> IotoResult<Email> {
    Email::parse(raw).map_err(|m| IotoError::bad_request(format!("email {m}")))
}

fn name(raw: &str) -> IotoResult<Text> {
    Text::parse(raw, TextLimit::NAME).map_err(|m| IotoError::bad_request(format!("name {m}")))
}

/// The account a call is about: the one named by `id` (owners only), else the caller's own.
fn target_account(caller: &Caller, id: Option<i64>) -> IotoResult<AccountId> {
    require_field_role(caller, id.is_some(), "id", Role::Owner)?;
    match (id, &caller.principal) {
        (Some(id), _) => Ok(AccountId(id)),
        (None, Principal::User(user)) => Ok(user.account_id),
        (None, Principal::Service(_)) => Err(IotoError::bad_request(
            "A CloudAPI token must name the account with \"id\"",
        )),
    }
}

#[derive(Debug, Deserialize)]
pub struct CreateBody {
    email: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Created {
    account: IotoAccount,
    user: IotoUser,
}

/// Creates an account (a tenant) and its first user, an owner, who signs in with this email.
/// Accounts are the cloud's to create: this needs a CloudAPI token.
pub async fn create(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<CreateBody>,
) -> IotoResult<Json<Created>> {
    if !caller.principal.is_service() {
        return Err(IotoError::forbidden(
            "Accounts are created by signing up, or with a CloudAPI token",
        ));
    }
    let address = email(
        body.email
            .as_deref()
            .ok_or_else(|| IotoError::bad_request("Missing email"))?,
    )?;
    let account_name = name(
        body.name
            .as_deref()
            .ok_or_else(|| IotoError::bad_request("Missing name"))?,
    )?;
    let command = CreateAccount {
        parent_id: None,
        name: account_name,
        email: Some(address.clone()),
        description: None,
        external_id: None,
        device_seats: 0,
        suspended: false,
    };
    let first = CreateUser {
        email: address,
        username: None,
        first_name: None,
        last_name: None,
        role: Role::Owner,
        password: None,
        preferences: None,
        terms_agreed: false,
    };
    let (account, user) = app
        .services
        .accounts
        .create_tenant(&caller, command, first)
        .await?;
    let cloud = app.compat.ioto_cloud_id.as_str();
    Ok(Json(Created {
        account: IotoAccount::new(account, cloud),
        user: IotoUser::new(user, cloud),
    }))
}

#[derive(Debug, Deserialize)]
pub struct IdBody {
    #[serde(default, deserialize_with = "id")]
    id: Option<i64>,
}

/// Closes an account for good: its users, devices and the account itself are deleted. Closing
/// one's own account needs the owner role (the docs' prose: "owner can close the account").
pub async fn close(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<IdBody>,
) -> IotoResult<StatusCode> {
    require_role(&caller, Role::Admin)?;
    let target = target_account(&caller, body.id)?;
    app.services.accounts.delete(&caller, target).await?;
    Ok(StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct GetBody {
    #[serde(default, deserialize_with = "id")]
    id: Option<i64>,
    email: Option<String>,
}

pub async fn get(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<GetBody>,
) -> IotoResult<Json<IotoAccount>> {
    require_field_role(&caller, body.email.is_some(), "email", Role::Owner)?;
    let account = match &body.email {
        Some(address) if body.id.is_none() => {
            app.services
                .accounts
                .find_by_email(&caller, &email(address)?)
                .await?
        }
        _ => {
            let target = target_account(&caller, body.id)?;
            app.services.accounts.get(&caller, target).await?
        }
    };
    Ok(Json(IotoAccount::new(account, &app.compat.ioto_cloud_id)))
}

#[derive(Debug, Deserialize)]
pub struct FindBody {
    #[serde(default, deserialize_with = "id")]
    id: Option<i64>,
    email: Option<String>,
    #[serde(rename = "_params")]
    params: Option<QueryOptions>,
}

/// Lists accounts: an owner (CloudAPI token) every top-level account, narrowed by `id` or
/// `email`; anyone else just their own account.
pub async fn find(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    Query(query): Query<HashMap<String, String>>,
    IotoBody(body): IotoBody<FindBody>,
) -> IotoResult<ListJson<Paged<IotoAccount>>> {
    require_role(&caller, Role::Admin)?;
    let options = QueryOptions::merge(&query, body.params)?;
    options.check(&caller)?;
    let field = |name: &str| {
        ListResource::Accounts
            .field(name)
            .ok_or_else(|| IotoError::bad_request("unknown field"))
    };
    let mut conditions = Vec::new();
    match &caller.principal {
        Principal::User(user) => conditions.push(eq_int(field("id")?, user.account_id.get())?),
        Principal::Service(_) => {
            conditions.push(Filter::Not(Box::new(Filter::Present(field("parent_id")?))));
        }
    }
    if let Some(id) = body.id {
        conditions.push(eq_int(field("id")?, id)?);
    }
    if let Some(address) = &body.email {
        let address = email(address)?;
        let filter = Filter::cmp(
            field("email")?,
            CmpOp::Eq,
            Literal::Str(address.as_str().to_owned()),
        )
        .map_err(IotoError::bad_request)?;
        conditions.push(filter);
    }
    let extra = Some(Filter::And(conditions));
    let base = paging::base_request(ListResource::Accounts, extra, &options)?;
    let services = &app.services;
    let (items, next, prev) = paging::page(services, base, &options, |request| {
        services.accounts.list(&caller, Within::Visible, request)
    })
    .await?;
    let cloud = app.compat.ioto_cloud_id.as_str();
    Ok(ListJson(Paged {
        data: items
            .into_iter()
            .map(|a| IotoAccount::new(a, cloud))
            .collect(),
        next,
        prev,
        paged: true,
    }))
}

fn eq_int(field: &'static tenantry_core::query::FieldSpec, value: i64) -> IotoResult<Filter> {
    Filter::cmp(field, CmpOp::Eq, Literal::Int(value)).map_err(IotoError::bad_request)
}

#[derive(Debug, Deserialize)]
pub struct UpdateIdentityBody {
    #[serde(default, deserialize_with = "id")]
    id: Option<i64>,
    email: Option<String>,
    name: Option<String>,
}

pub async fn update_identity(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<UpdateIdentityBody>,
) -> IotoResult<Json<IotoAccount>> {
    require_role(&caller, Role::Admin)?;
    let target = target_account(&caller, body.id)?;
    let command = UpdateAccount {
        name: body.name.as_deref().map(name).transpose()?,
        email: body
            .email
            .as_deref()
            .map(|e| email(e).map(Some))
            .transpose()?,
        ..UpdateAccount::default()
    };
    let account = app
        .services
        .accounts
        .update(&caller, target, command)
        .await?;
    Ok(Json(IotoAccount::new(account, &app.compat.ioto_cloud_id)))
}
