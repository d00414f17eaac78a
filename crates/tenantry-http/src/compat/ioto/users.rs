//! `user/create`, `get`, `find`, `getRoles`, `login`, `remove`, `update`, `updateRole`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tenantry_core::auth::{Caller, Principal, Role};
use tenantry_core::model::{AccountId, InvitationId, User, UserId};
use tenantry_core::query::{CmpOp, Filter, ListResource, Literal};
use tenantry_core::services::Within;
use tenantry_core::services::users::{CreateUser, UpdateUser};
use tenantry_core::values::{Email, Preferences, Text, TextLimit};

use super::error::{IotoError, IotoResult};
use super::paging::{self, Paged, QueryOptions};
use super::records::{IotoAccount, IotoUser};
use super::request::{IotoBody, IotoCaller, id, require_field_role, require_role};
use crate::list_json::ListJson;
use crate::state::AppState;

fn email(raw: &str) -> IotoResult<Email> {
    Email::parse(raw).map_err(|m| IotoError::bad_request(format!("email {m}")))
}

fn role(raw: &str) -> IotoResult<Role> {
    raw.parse()
        .map_err(|m: String| IotoError::bad_request(format!("role {m}")))
}

fn person(raw: &str, field: &str) -> IotoResult<Option<Text>> {
    Text::parse_optional(raw, TextLimit::PERSON_NAME)
        .map_err(|m| IotoError::bad_request(format!("{field} {m}")))
}

/// The user a call is about: by `id`, by `email`, or (with neither) the caller.
async fn target_user(
    app: &AppState,
    caller: &Caller,
    id: Option<i64>,
    address: Option<&str>,
) -> IotoResult<User> {
    match (id, address, &caller.principal) {
        (Some(id), _, _) => Ok(app.services.users.get(caller, UserId(id)).await?),
        (None, Some(address), _) => Ok(app
            .services
            .users
            .find_by_email(caller, &email(address)?)
            .await?),
        (None, None, Principal::User(me)) => Ok(app.services.users.get(caller, me.user_id).await?),
        (None, None, Principal::Service(_)) => Err(IotoError::bad_request(
            "A CloudAPI token must name the user with \"id\" or \"email\"",
        )),
    }
}

fn record(app: &AppState, user: User) -> IotoUser {
    IotoUser::new(user, &app.compat.ioto_cloud_id)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    email: Option<String>,
    role: Option<String>,
    #[serde(default)]
    send_invite: bool,
    #[serde(default, deserialize_with = "id")]
    account_id: Option<i64>,
}

pub async fn create(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<CreateBody>,
) -> IotoResult<Json<IotoUser>> {
    require_role(&caller, Role::Admin)?;
    require_field_role(&caller, body.account_id.is_some(), "accountId", Role::Owner)?;
    let account = match (body.account_id, &caller.principal) {
        (Some(id), _) => AccountId(id),
        (None, Principal::User(me)) => me.account_id,
        (None, Principal::Service(_)) => {
            return Err(IotoError::bad_request(
                "A CloudAPI token must name the account with \"accountId\"",
            ));
        }
    };
    let command = CreateUser {
        email: email(
            body.email
                .as_deref()
                .ok_or_else(|| IotoError::bad_request("Missing email"))?,
        )?,
        username: None,
        first_name: None,
        last_name: None,
        role: role(
            body.role
                .as_deref()
                .ok_or_else(|| IotoError::bad_request("Missing role"))?,
        )?,
        password: None,
        preferences: None,
        terms_agreed: false,
    };
    let user = if body.send_invite {
        // The user, the invitation and its mail are written in one transaction.
        let invitation = app
            .services
            .invitations
            .invite(&caller, account, command)
            .await?;
        app.services.users.get(&caller, invitation.user_id).await?
    } else {
        app.services.users.create(&caller, account, command).await?
    };
    Ok(Json(record(&app, user)))
}

#[derive(Debug, Deserialize)]
pub struct SelectBody {
    #[serde(default, deserialize_with = "id")]
    id: Option<i64>,
    email: Option<String>,
}

pub async fn get(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<SelectBody>,
) -> IotoResult<Json<IotoUser>> {
    require_field_role(&caller, body.id.is_some(), "id", Role::Admin)?;
    require_field_role(&caller, body.email.is_some(), "email", Role::Admin)?;
    let user = target_user(&app, &caller, body.id, body.email.as_deref()).await?;
    Ok(Json(record(&app, user)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindBody {
    #[serde(default, deserialize_with = "id")]
    id: Option<i64>,
    email: Option<String>,
    #[serde(default, deserialize_with = "id")]
    account_id: Option<i64>,
    #[serde(rename = "_params")]
    params: Option<QueryOptions>,
}

/// A user finds only themselves; an admin the users of their account; an owner (CloudAPI token)
/// users of any account, narrowed by `accountId`.
pub async fn find(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    Query(query): Query<HashMap<String, String>>,
    IotoBody(body): IotoBody<FindBody>,
) -> IotoResult<ListJson<Paged<IotoUser>>> {
    require_field_role(&caller, body.id.is_some(), "id", Role::Admin)?;
    require_field_role(&caller, body.email.is_some(), "email", Role::Admin)?;
    require_field_role(&caller, body.account_id.is_some(), "accountId", Role::Owner)?;
    let options = QueryOptions::merge(&query, body.params)?;
    options.check(&caller)?;
    let within = match (&caller.principal, body.account_id) {
        (_, Some(account)) => Within::Account(AccountId(account)),
        (Principal::Service(_), None) => Within::Visible,
        (Principal::User(me), None) if me.role >= Role::Admin => Within::Account(me.account_id),
        (Principal::User(me), None) => {
            let user = app.services.users.get(&caller, me.user_id).await?;
            return Ok(ListJson(Paged {
                data: vec![record(&app, user)],
                next: None,
                prev: None,
                paged: true,
            }));
        }
    };
    let field = |name: &str| {
        ListResource::Users
            .field(name)
            .ok_or_else(|| IotoError::bad_request("unknown field"))
    };
    let mut conditions = Vec::new();
    if let Some(id) = body.id {
        conditions.push(
            Filter::cmp(field("id")?, CmpOp::Eq, Literal::Int(id))
                .map_err(IotoError::bad_request)?,
        );
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
    let extra = (!conditions.is_empty()).then_some(Filter::And(conditions));
    let base = paging::base_request(ListResource::Users, extra, &options)?;
    let services = &app.services;
    let (items, next, prev) = paging::page(services, base, &options, |request| {
        services.users.list(&caller, within, request)
    })
    .await?;
    Ok(ListJson(Paged {
        data: items.into_iter().map(|u| record(&app, u)).collect(),
        next,
        prev,
        paged: true,
    }))
}

/// Ioto's "roles object": each role with its rank and what it may do.
fn roles() -> Value {
    let mut roles = Map::new();
    for role in Role::ALL {
        let permissions: Vec<&str> = role.permissions().iter().map(|p| p.as_str()).collect();
        roles.insert(
            role.as_str().to_owned(),
            json!({ "rank": role.rank(), "permissions": permissions }),
        );
    }
    Value::Object(roles)
}

pub async fn get_roles(IotoCaller(caller): IotoCaller) -> IotoResult<Json<Value>> {
    require_role(&caller, Role::Admin)?;
    Ok(Json(roles()))
}

/// `register` and `social` are accepted and have no effect here: sign-up already made the
/// account, and social logins are not offered.
#[derive(Debug, Deserialize)]
pub struct LoginBody {
    invite: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct LoggedIn {
    account: IotoAccount,
    user: IotoUser,
    roles: Value,
}

/// Loads the signed-in user's account and user records. The account was created when the user
/// signed up (or joined through an invitation); `invite` accepts an invitation to this user.
pub async fn login(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<LoginBody>,
) -> IotoResult<Json<LoggedIn>> {
    let Principal::User(me) = &caller.principal else {
        return Err(IotoError::forbidden(
            "user/login needs a user's access token",
        ));
    };
    let user = match &body.invite {
        None | Some(Value::Null) => app.services.users.get(&caller, me.user_id).await?,
        Some(raw) => {
            let id = match raw {
                Value::String(s) => s.trim().parse::<i64>().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            }
            .ok_or_else(|| IotoError::bad_request("invite is not an invitation id"))?;
            app.services
                .invitations
                .accept_own(&caller, InvitationId(id))
                .await?
        }
    };
    let account = app.services.accounts.get(&caller, user.account_id).await?;
    Ok(Json(LoggedIn {
        account: IotoAccount::new(account, &app.compat.ioto_cloud_id),
        user: record(&app, user),
        roles: roles(),
    }))
}

pub async fn remove(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<SelectBody>,
) -> IotoResult<StatusCode> {
    require_role(&caller, Role::Admin)?;
    if body.id.is_none() && body.email.is_none() {
        return Err(IotoError::bad_request(
            "Name the user with \"id\" or \"email\"",
        ));
    }
    let user = target_user(&app, &caller, body.id, body.email.as_deref()).await?;
    app.services.users.delete(&caller, user.id).await?;
    Ok(StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub struct UpdateBody {
    #[serde(default, deserialize_with = "id")]
    id: Option<i64>,
    email: Option<String>,
    first: Option<String>,
    last: Option<String>,
    preferences: Option<Value>,
}

/// Users update themselves; updating someone else (by `id`) needs the admin role.
pub async fn update(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<UpdateBody>,
) -> IotoResult<Json<IotoUser>> {
    let target = target_user(&app, &caller, body.id, None).await?;
    if caller.user_id() != Some(target.id) {
        require_role(&caller, Role::Admin)?;
    }
    let command = UpdateUser {
        email: body.email.as_deref().map(email).transpose()?,
        first_name: body
            .first
            .as_deref()
            .map(|f| person(f, "first"))
            .transpose()?,
        last_name: body
            .last
            .as_deref()
            .map(|l| person(l, "last"))
            .transpose()?,
        preferences: body
            .preferences
            .map(|p| {
                Preferences::parse(p)
                    .map_err(|m| IotoError::bad_request(format!("preferences {m}")))
            })
            .transpose()?,
        ..UpdateUser::default()
    };
    let user = app
        .services
        .users
        .update(&caller, target.id, command)
        .await?;
    Ok(Json(record(&app, user)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRoleBody {
    #[serde(default, deserialize_with = "id")]
    id: Option<i64>,
    role: Option<String>,
    #[serde(default)]
    send_invite: bool,
}

pub async fn update_role(
    State(app): State<AppState>,
    IotoCaller(caller): IotoCaller,
    IotoBody(body): IotoBody<UpdateRoleBody>,
) -> IotoResult<Json<IotoUser>> {
    require_role(&caller, Role::Admin)?;
    let id = body
        .id
        .ok_or_else(|| IotoError::bad_request("Missing id"))?;
    let new_role = role(
        body.role
            .as_deref()
            .ok_or_else(|| IotoError::bad_request("Missing role"))?,
    )?;
    let user = app
        .services
        .users
        .set_role(&caller, UserId(id), new_role)
        .await?;
    if body.send_invite && !user.has_password {
        app.services
            .invitations
            .invite_user(&caller, user.id)
            .await?;
    }
    Ok(Json(record(&app, user)))
}
