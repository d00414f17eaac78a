//! `/v1/accounts/{AccountId}/users`: the users of an account and of every account below it.
//!
//! `account_admin=1` makes a user an administrator of their account (Tenantry's `admin`);
//! `0`, a user who sees the account and its devices. Laravel turns empty strings into null, so
//! an empty `first_name` or `last_name` clears it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tenantry_core::auth::{Caller, Role};
use tenantry_core::model::{AccountId, User, UserId};
use tenantry_core::query::ListResource;
use tenantry_core::services::Within;
use tenantry_core::services::users::{CreateUser, UpdateUser};
use tenantry_core::values::{Email, Password, Text, TextLimit, Username};

use super::accounts::success;
use super::error::{CbwError, CbwResult};
use super::lists;
use super::records::{AccountRecords, UserRecord, is_account_admin};
use super::request::{CbwCaller, CbwPath, Fields, path_id};
use crate::list_json::ListJson;
use crate::state::AppState;

fn parsed<T>(
    field: &str,
    raw: Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> CbwResult<Option<T>> {
    raw.map(|raw| parse(&raw).map_err(|m| CbwError::invalid_field(field, m)))
        .transpose()
}

fn person_name(raw: &str) -> Result<Text, String> {
    Text::parse(raw, TextLimit::PERSON_NAME)
}

/// `Some(None)` for an empty value (clear it), `Some(Some(_))` for a new one.
fn clearable_name(fields: &Fields, field: &str) -> CbwResult<Option<Option<Text>>> {
    match fields.text(field)? {
        None => Ok(None),
        Some(raw) if raw.trim().is_empty() => Ok(Some(None)),
        Some(raw) => Ok(Some(Some(
            person_name(&raw).map_err(|m| CbwError::invalid_field(field, m))?,
        ))),
    }
}

fn role(account_admin: bool) -> Role {
    if account_admin {
        Role::Admin
    } else {
        Role::User
    }
}

/// The user, if they belong to exactly this account (the vendor's rule for user URLs).
async fn user_of(
    app: &AppState,
    caller: &Caller,
    account: AccountId,
    user: &str,
) -> CbwResult<User> {
    let id = UserId(path_id(user)?);
    // Reading the account first answers 403 for an account out of reach, like every other
    // account URL, before anything is said about the user.
    app.services.accounts.get(caller, account).await?;
    let user = app.services.users.get(caller, id).await?;
    if user.account_id != account {
        return Err(CbwError::new(StatusCode::NOT_FOUND, "Not found"));
    }
    Ok(user)
}

pub async fn list(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath(account_id): CbwPath<String>,
) -> CbwResult<ListJson<Vec<UserRecord>>> {
    let id = AccountId(path_id(&account_id)?);
    let users = lists::whole(ListResource::Users, "users", |request| {
        app.services
            .users
            .list(&caller, Within::Subtree(id), request)
    })
    .await?;
    let mut accounts = AccountRecords::new(&app, &caller);
    let mut records = Vec::with_capacity(users.len());
    for user in &users {
        let account_name = accounts.account(user.account_id).await?.name.clone();
        records.push(UserRecord::new(user, Some(account_name)));
    }
    Ok(ListJson(records))
}

/// One user, as a one-element list (so the vendor documents it).
pub async fn get(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath((account_id, user_id)): CbwPath<(String, String)>,
) -> CbwResult<ListJson<Vec<UserRecord>>> {
    let account = AccountId(path_id(&account_id)?);
    let user = user_of(&app, &caller, account, &user_id).await?;
    Ok(ListJson(vec![UserRecord::new(&user, None)]))
}

/// Creates a user in the account ("Add Users"): `username`, `email` and `password` are
/// required; `first_name`, `last_name`, `account_admin` and `terms_agreed` are optional.
pub async fn create(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath(account_id): CbwPath<String>,
    fields: Fields,
) -> CbwResult<Json<Value>> {
    let account = AccountId(path_id(&account_id)?);
    let username = parsed(
        "username",
        Some(fields.required_text("username")?),
        Username::parse,
    )?;
    let email = parsed("email", Some(fields.required_text("email")?), Email::parse)?;
    let password = parsed(
        "password",
        Some(fields.required_text("password")?),
        Password::parse,
    )?;
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(tenantry_core::Error::internal("a required field went missing").into());
    };
    let command = CreateUser {
        email,
        username: Some(username),
        first_name: clearable_name(&fields, "first_name")?.flatten(),
        last_name: clearable_name(&fields, "last_name")?.flatten(),
        role: role(fields.boolean("account_admin")?.unwrap_or(false)),
        password: Some(password),
        preferences: None,
        terms_agreed: fields.boolean("terms_agreed")?.unwrap_or(false),
    };
    let user = app.services.users.create(&caller, account, command).await?;
    Ok(Json(
        json!({ "message": "success", "user_id": user.id.get() }),
    ))
}

/// Changes a user ("Edit Users"), all fields at once or none: `username`, `email`,
/// `first_name`, `last_name`, `password` (not your own: that needs your current one),
/// `account_admin` (not your own), `terms_agreed`.
pub async fn update(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath((account_id, user_id)): CbwPath<(String, String)>,
    fields: Fields,
) -> CbwResult<Json<Value>> {
    let account = AccountId(path_id(&account_id)?);
    let user = user_of(&app, &caller, account, &user_id).await?;
    let wanted_role = fields.boolean("account_admin")?.map(role);
    // Re-sending the role a user already has is not a role change (which nobody may make to
    // themselves); an owner stays an owner when the flag says "administrator".
    let role_change = wanted_role.filter(|r| is_account_admin(*r) != is_account_admin(user.role));
    let command = UpdateUser {
        email: parsed("email", fields.text("email")?, Email::parse)?,
        username: parsed("username", fields.text("username")?, Username::parse)?.map(Some),
        first_name: clearable_name(&fields, "first_name")?,
        last_name: clearable_name(&fields, "last_name")?,
        terms_agreed: fields.boolean("terms_agreed")?,
        role: role_change,
        password: parsed("password", fields.text("password")?, Password::parse)?,
        ..UpdateUser::default()
    };
    let changes_nothing = command.email.is_none()
        && command.username.is_none()
        && command.first_name.is_none()
        && command.last_name.is_none()
        && command.terms_agreed.is_none()
        && command.role.is_none()
        && command.password.is_none();
    if changes_nothing {
        // A form re-sending what is already there (say, the same `account_admin`) succeeds, as
        // an update to the same values does in the vendor's service, if the caller may edit.
        app.services.users.check_editable(&caller, &user)?;
        return Ok(success());
    }
    app.services.users.update(&caller, user.id, command).await?;
    Ok(success())
}

/// Deletes a user of the account ("Delete Users"); never yourself.
pub async fn delete(
    State(app): State<AppState>,
    CbwCaller(caller): CbwCaller,
    CbwPath((account_id, user_id)): CbwPath<(String, String)>,
) -> CbwResult<Json<Value>> {
    let account = AccountId(path_id(&account_id)?);
    let user = user_of(&app, &caller, account, &user_id).await?;
    app.services.users.delete(&caller, user.id).await?;
    Ok(success())
}
