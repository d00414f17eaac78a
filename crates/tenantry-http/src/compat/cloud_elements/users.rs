//! Users: under an account (`/accounts/{id}/users`, the organization administrator's) and
//! across the organization (`/users`, for whoever may see users: the organization
//! administrator sees all, an account administrator their part of the tree).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value};
use tenantry_core::auth::Caller;
use tenantry_core::model::{User, UserId, UserStatus};
use tenantry_core::query::ListResource;
use tenantry_core::services::Within;
use tenantry_core::services::users::{CreateUser, UpdateUser};
use tenantry_core::values::{Email, Password, Preferences, Text, TextLimit};

use super::accounts::account;
use super::error::{CeError, CeResult};
use super::paging::{self, PageQuery};
use super::records::{ADDRESS_FIELDS, UserRecord};
use super::request::{CeCaller, CeJson, CePath, CeQuery, path_id, require_organization_admin};
use super::roles::{self, RoleKey};
use crate::compat::whole_list;
use crate::list_json::ListJson;
use crate::state::AppState;

/// The header that, carrying the user's password, reveals their secret.
const PASSWORD_HEADER: &str = "elements-user-password";

fn name(field: &str, raw: Option<&str>) -> CeResult<Option<Text>> {
    raw.map(|s| {
        Text::parse(s, TextLimit::PERSON_NAME)
            .map_err(|m| CeError::bad_request(format!("{field}: {m}")))
    })
    .transpose()
}

fn email(raw: &str) -> CeResult<Email> {
    Email::parse(raw).map_err(|m| CeError::bad_request(format!("email: {m}")))
}

fn password(raw: &str) -> CeResult<Password> {
    Password::parse(raw).map_err(|m| CeError::bad_request(format!("password: {m}")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserBody {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub roles: Option<Vec<RoleKey>>,
    pub active: Option<bool>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl UserBody {
    fn role_keys(&self) -> Option<Vec<String>> {
        self.roles
            .as_ref()
            .map(|roles| roles.iter().map(|r| r.key.clone()).collect())
    }

    /// The address fields sent, as the `address` preference (merged into `base`, the user's
    /// preferences as they are, when updating).
    fn address(&self, base: Option<&Preferences>) -> CeResult<Option<Preferences>> {
        let fields: Map<String, Value> = self
            .other
            .iter()
            .filter(|(k, _)| ADDRESS_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| match v {
                Value::String(_) => Ok((k.clone(), v.clone())),
                _ => Err(CeError::bad_request(format!("{k} must be a string"))),
            })
            .collect::<CeResult<_>>()?;
        if fields.is_empty() {
            return Ok(None);
        }
        let mut preferences = base.map(|p| p.as_map().clone()).unwrap_or_default();
        // Fields sent replace those stored; fields not sent stay.
        let mut address = match preferences.remove("address") {
            Some(Value::Object(stored)) => stored,
            _ => Map::new(),
        };
        address.extend(fields);
        preferences.insert("address".to_owned(), Value::Object(address));
        Preferences::parse(Value::Object(preferences))
            .map(Some)
            .map_err(|m| CeError::bad_request(format!("address: {m}")))
    }
}

/// A user as the vendor shows one that was just written: with roles.
fn with_roles(user: &User) -> UserRecord {
    let mut record = UserRecord::from(user);
    record.roles = Some(roles::records(&roles::of_user(user)));
    record
}

/// Creates a user in the account: `firstName`, `lastName`, `email`, `password` required;
/// `roles` and the address fields optional. The answer carries the user's secret and roles.
pub async fn create_in_account(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(id): CePath<String>,
    CeJson(body): CeJson<UserBody>,
) -> CeResult<Json<UserRecord>> {
    require_organization_admin(&caller)?;
    let account = account(&app, &caller, &id).await?;
    let required = |field: &str, value: &Option<String>| {
        value
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .ok_or_else(|| CeError::bad_request(format!("{field} is required")))
    };
    let first = required("firstName", &body.first_name)?;
    let last = required("lastName", &body.last_name)?;
    let address = required("email", &body.email)?;
    let secret = required("password", &body.password)?;
    let role = roles::role_for_keys(&body.role_keys().unwrap_or_default(), account.is_root())?;
    let command = CreateUser {
        email: email(&address)?,
        username: None,
        first_name: name("firstName", Some(&first))?,
        last_name: name("lastName", Some(&last))?,
        role,
        password: Some(password(&secret)?),
        preferences: body.address(None)?,
        terms_agreed: false,
    };
    let user = app
        .services
        .users
        .create(&caller, account.id, command)
        .await?;
    let mut record = with_roles(&user);
    record.secret = Some(app.services.secrets.user_secret(&caller, &user).await?);
    Ok(Json(record))
}

/// The account's users; none is a 404 "No users found", as the vendor answers.
pub async fn list_in_account(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(id): CePath<String>,
) -> CeResult<ListJson<Vec<UserRecord>>> {
    require_organization_admin(&caller)?;
    let account = account(&app, &caller, &id).await?;
    let users = whole_list::whole(
        ListResource::Users,
        |request| {
            app.services
                .users
                .list(&caller, Within::Account(account.id), request)
        },
        || {
            CeError::bad_request(format!(
                "More than {} users; list them with GET /users and paging",
                whole_list::MAX_ROWS
            ))
        },
    )
    .await?;
    if users.is_empty() {
        return Err(CeError::not_found("No users found"));
    }
    // The vendor's list shows a placeholder where the password would be.
    Ok(ListJson(
        users
            .iter()
            .map(|user| UserRecord {
                password: Some("secured"),
                ..UserRecord::from(user)
            })
            .collect(),
    ))
}

/// A user by id or email address (the address may come quoted: `'a@b.com'`).
async fn find(app: &AppState, caller: &Caller, raw: &str) -> CeResult<User> {
    let raw = raw.trim();
    let unquoted = raw
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(raw);
    if unquoted.contains('@') {
        // By address, a user of another organization is as absent as nobody: addresses are
        // unique across the installation, and a 403 would confirm one is taken elsewhere.
        let not_found = || CeError::not_found("No user found");
        let address = Email::parse(unquoted).map_err(|_| not_found())?;
        return match app.services.users.find_by_email(caller, &address).await {
            Err(tenantry_core::Error::OutOfScope(_) | tenantry_core::Error::NotFound(_)) => {
                Err(not_found())
            }
            other => Ok(other?),
        };
    }
    let id = UserId(path_id(unquoted, "user")?);
    Ok(app.services.users.get(caller, id).await?)
}

pub async fn get_in_account(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath((id, user)): CePath<(String, String)>,
) -> CeResult<Json<UserRecord>> {
    require_organization_admin(&caller)?;
    let account = account(&app, &caller, &id).await?;
    let user = find(&app, &caller, &user).await?;
    if user.account_id != account.id {
        return Err(CeError::not_found("No user found"));
    }
    Ok(Json(UserRecord::from(&user)))
}

pub async fn update_in_account(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath((id, user)): CePath<(String, String)>,
    CeJson(body): CeJson<UserBody>,
) -> CeResult<Json<UserRecord>> {
    require_organization_admin(&caller)?;
    let account = account(&app, &caller, &id).await?;
    let user = find(&app, &caller, &user).await?;
    if user.account_id != account.id {
        return Err(CeError::not_found("No user found"));
    }
    let body = UserBody {
        password: None,
        roles: None,
        active: None,
        ..body
    };
    apply(&app, &caller, &user, body).await.map(Json)
}

pub async fn list(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CeQuery(query): CeQuery<PageQuery>,
) -> CeResult<(HeaderMap, ListJson<Vec<UserRecord>>)> {
    let request = paging::request(ListResource::Users, &query)?;
    let page = app
        .services
        .users
        .list(&caller, Within::Visible, request)
        .await?;
    let headers = paging::headers(&page);
    Ok((
        headers,
        ListJson(page.items.iter().map(UserRecord::from).collect()),
    ))
}

/// One user; with `elements-user-password: <their password>`, their secret too.
pub async fn get(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(user): CePath<String>,
    headers: HeaderMap,
) -> CeResult<Json<UserRecord>> {
    let user = find(&app, &caller, &user).await?;
    let mut record = UserRecord::from(&user);
    if let Some(password) = headers.get(PASSWORD_HEADER) {
        let password = password
            .to_str()
            .map_err(|_| CeError::bad_request("elements-user-password must be text"))?;
        record.secret = Some(
            app.services
                .secrets
                .user_secret_with_password(&caller, &user, password)
                .await?,
        );
    }
    Ok(Json(record))
}

/// Changes `firstName`, `lastName`, `email`, `password`, `roles` (the whole set), `active`,
/// all at once or none.
pub async fn update(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(user): CePath<String>,
    CeJson(body): CeJson<UserBody>,
) -> CeResult<Json<UserRecord>> {
    let user = find(&app, &caller, &user).await?;
    apply(&app, &caller, &user, body).await.map(Json)
}

async fn apply(
    app: &AppState,
    caller: &Caller,
    user: &User,
    body: UserBody,
) -> CeResult<UserRecord> {
    let sent_something = body.first_name.is_some()
        || body.last_name.is_some()
        || body.email.is_some()
        || body.password.is_some()
        || body.roles.is_some()
        || body.active.is_some()
        || body
            .other
            .keys()
            .any(|k| ADDRESS_FIELDS.contains(&k.as_str()));
    if !sent_something {
        return Err(CeError::bad_request(
            "Send at least one of firstName, lastName, email, password, roles, active",
        ));
    }
    let role = match body.role_keys() {
        Some(keys) => {
            let role = roles::role_for_keys(&keys, user.account_id == user.tenant_id)?;
            (role != user.role).then_some(role)
        }
        None => None,
    };
    let status = body
        .active
        .map(|a| {
            if a {
                UserStatus::Active
            } else {
                UserStatus::Disabled
            }
        })
        .filter(|s| *s != user.status);
    let command = UpdateUser {
        email: body
            .email
            .as_deref()
            .map(email)
            .transpose()?
            .filter(|e| e.as_str() != user.email),
        first_name: name("firstName", body.first_name.as_deref())?
            .filter(|n| user.first_name.as_deref() != Some(n.as_str()))
            .map(Some),
        last_name: name("lastName", body.last_name.as_deref())?
            .filter(|n| user.last_name.as_deref() != Some(n.as_str()))
            .map(Some),
        status,
        preferences: body
            .address(Some(&user.preferences))?
            .filter(|p| *p != user.preferences),
        role,
        password: body.password.as_deref().map(password).transpose()?,
        ..UpdateUser::default()
    };
    let password_changed = command.password.is_some();
    let nothing = command.email.is_none()
        && command.first_name.is_none()
        && command.last_name.is_none()
        && command.status.is_none()
        && command.preferences.is_none()
        && command.role.is_none()
        && !password_changed;
    let updated = if nothing {
        app.services.users.check_editable(caller, user)?;
        user.clone()
    } else {
        app.services.users.update(caller, user.id, command).await?
    };
    let mut record = with_roles(&updated);
    if password_changed {
        record.password = Some("secured");
    }
    Ok(record)
}

/// A hard delete: the user is gone for good. 200 with an empty body.
pub async fn delete(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(user): CePath<String>,
) -> CeResult<StatusCode> {
    let user = find(&app, &caller, &user).await?;
    app.services.users.delete(&caller, user.id).await?;
    Ok(StatusCode::OK)
}
