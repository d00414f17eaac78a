//! Users and roles.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use tenantry_core::error::FieldCollector;
use tenantry_core::model::{AccountId, UserId};
use tenantry_core::query::{ListRequest, ListResource};
use tenantry_core::services::Within;
use tenantry_core::services::users::{CreateUser, UpdateUser};
use tenantry_core::values::{Email, Password, Preferences, Text, TextLimit, Username};
use utoipa::ToSchema;

use super::dto::{
    RoleDto, UserDto, UserPage, UserStatusDto, clearable, list_query, nullable, opt_ref, optional,
};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery, Authenticated};
use crate::list_json::ListJson;
use crate::state::AppState;

fn person_name(s: &str) -> Result<Text, String> {
    Text::parse(s, TextLimit::PERSON_NAME)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "carl@acme.example",
    "username": "carl.hansen",
    "first_name": "Carl",
    "last_name": "Hansen",
    "role": "user",
    "password": "correct horse battery staple",
    "preferences": {"language": "de"},
    "terms_agreed": true
}))]
pub struct CreateUserBody {
    /// Unique across the service, ignoring case.
    #[schema(example = "carl@acme.example")]
    pub email: String,
    /// Optional login handle, unique ignoring case.
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// At most your own role. Default `user`.
    pub role: Option<RoleDto>,
    /// 8 to 1024 bytes. Without one the user cannot log in yet.
    pub password: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub preferences: Option<Value>,
    /// The user agreed to the terms of service. Default false.
    #[serde(default)]
    pub terms_agreed: bool,
}

impl CreateUserBody {
    fn into_command(self) -> Result<CreateUser, ApiError> {
        let mut f = FieldCollector::new();
        let email = f.take("email", Email::parse(&self.email));
        let username = f.take(
            "username",
            optional(self.username.as_deref(), Username::parse),
        );
        let first_name = f.take(
            "first_name",
            optional(self.first_name.as_deref(), person_name),
        );
        let last_name = f.take(
            "last_name",
            optional(self.last_name.as_deref(), person_name),
        );
        let password = f.take(
            "password",
            optional(self.password.as_deref(), Password::parse),
        );
        let preferences = f.take(
            "preferences",
            self.preferences.map(Preferences::parse).transpose(),
        );
        let command = f.finish_with(|| {
            Some(CreateUser {
                email: email?,
                username: username?,
                first_name: first_name?,
                last_name: last_name?,
                role: self.role.unwrap_or(RoleDto::User).into(),
                password: password?,
                preferences: preferences?,
                terms_agreed: self.terms_agreed,
            })
        })?;
        Ok(command)
    }
}

/// Only the fields present change; `null` clears `username`, `first_name` or `last_name`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "last_name": "Lee-Marsh",
    "username": null,
    "preferences": {"language": "en", "timezone": "Europe/Berlin"}
}))]
pub struct UpdateUserBody {
    /// Changing it marks the address unverified.
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub username: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    /// Not for yourself. Disabling ends the user's sessions.
    pub status: Option<UserStatusDto>,
    /// Replaces the preferences object.
    #[schema(value_type = Option<Object>)]
    pub preferences: Option<Value>,
    /// `true` records agreement to the terms now (an earlier date is kept); `false` withdraws it.
    pub terms_agreed: Option<bool>,
    /// Sets another user's password (ending their sessions). Your own changes through
    /// `POST /api/me/password`, with the current one.
    pub password: Option<String>,
}

impl UpdateUserBody {
    fn into_command(self) -> Result<UpdateUser, ApiError> {
        let mut f = FieldCollector::new();
        let email = f.take("email", optional(self.email.as_deref(), Email::parse));
        let username = f.take(
            "username",
            clearable(opt_ref(&self.username), Username::parse),
        );
        let first_name = f.take(
            "first_name",
            clearable(opt_ref(&self.first_name), person_name),
        );
        let last_name = f.take(
            "last_name",
            clearable(opt_ref(&self.last_name), person_name),
        );
        let preferences = f.take(
            "preferences",
            self.preferences.map(Preferences::parse).transpose(),
        );
        let password = f.take(
            "password",
            optional(self.password.as_deref(), Password::parse),
        );
        let command = f.finish_with(|| {
            Some(UpdateUser {
                email: email?,
                username: username?,
                first_name: first_name?,
                last_name: last_name?,
                status: self.status.map(Into::into),
                preferences: preferences?,
                terms_agreed: self.terms_agreed,
                password: password?,
                role: None,
            })
        })?;
        Ok(command)
    }
}

#[utoipa::path(
    post,
    path = "/api/accounts/{id}/users",
    tag = "users",
    summary = "Create a user in an account",
    description = "Needs \"Add Users\" over the account, and a rank at least the new user's role.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id")),
    request_body = CreateUserBody,
    responses(
        (status = 201, description = "Created", body = UserDto),
        (status = 403, description = "Missing permission, or role above your own", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 409, description = "Email or username already in use", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    )
)]
pub async fn create_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(account_id): AppPath<i64>,
    AppJson(body): AppJson<CreateUserBody>,
) -> ApiResult<(StatusCode, Json<UserDto>)> {
    let command = body.into_command()?;
    let user = app
        .services
        .users
        .create(&caller, AccountId(account_id), command)
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

list_query!(
    /// Rows of one account, or (`subtree=true`) of it and every account below.
    ScopedListQuery {
        /// Also list the rows of every account below (default false).
        subtree: Option<bool>,
    }
);

list_query!(
    /// Users anywhere the caller may see, or below one account.
    UsersQuery {
        /// Only the users of this account and every account below it.
        within: Option<i64>,
    }
);

fn scoped(account_id: i64, subtree: Option<bool>) -> Within {
    if subtree.unwrap_or(false) {
        Within::Subtree(AccountId(account_id))
    } else {
        Within::Account(AccountId(account_id))
    }
}

#[utoipa::path(
    get,
    path = "/api/accounts/{id}/users",
    tag = "users",
    summary = "List an account's users",
    description = "Needs \"View Users\" over the account. Filter with SCIM, search free text, \
                   sort by `id`, `email` or `created`; pages by cursor.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Account id"), ScopedListQuery),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 422, description = "Bad filter, sort, limit or cursor", body = ErrorBody),
    )
)]
pub async fn list_users(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(account_id): AppPath<i64>,
    AppQuery(query): AppQuery<ScopedListQuery>,
) -> ApiResult<ListJson<UserPage>> {
    let request = ListRequest::native(ListResource::Users, &query.list_params())?;
    let within = scoped(account_id, query.subtree);
    let users = app.services.users.list(&caller, within, request).await?;
    Ok(ListJson(users.into()))
}

#[utoipa::path(
    get,
    path = "/api/users",
    tag = "users",
    summary = "List and search users",
    description = "Every user the caller may see (a user with \"View Users\": its account's \
                   subtree; a service token: all), or those `within` an account's subtree.",
    security(("bearer" = [])),
    params(UsersQuery),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such account (or not yours)", body = ErrorBody),
        (status = 422, description = "Bad filter, sort, limit or cursor", body = ErrorBody),
    )
)]
pub async fn search_users(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppQuery(query): AppQuery<UsersQuery>,
) -> ApiResult<ListJson<UserPage>> {
    let request = ListRequest::native(ListResource::Users, &query.list_params())?;
    let within = query
        .within
        .map_or(Within::Visible, |id| Within::Subtree(AccountId(id)));
    let users = app.services.users.list(&caller, within, request).await?;
    Ok(ListJson(users.into()))
}

#[utoipa::path(
    get,
    path = "/api/users/{id}",
    tag = "users",
    summary = "Read a user",
    description = "Yourself always; others need \"View Users\" over their account.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = UserDto),
        (status = 403, description = "Missing permission", body = ErrorBody),
        (status = 404, description = "No such user (or not yours)", body = ErrorBody),
    )
)]
pub async fn get_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<UserDto>> {
    let user = app.services.users.get(&caller, UserId(id)).await?;
    Ok(Json(user.into()))
}

#[utoipa::path(
    patch,
    path = "/api/users/{id}",
    tag = "users",
    summary = "Change a user",
    description = "Yourself (not your status), or others with \"Edit Users\" who do not outrank you.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUserBody,
    responses(
        (status = 200, description = "The changed user", body = UserDto),
        (status = 403, description = "Missing permission or rank", body = ErrorBody),
        (status = 404, description = "No such user (or not yours)", body = ErrorBody),
        (status = 409, description = "Email or username already in use", body = ErrorBody),
        (status = 422, description = "Invalid fields or nothing to change", body = ErrorBody),
    )
)]
pub async fn update_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<UpdateUserBody>,
) -> ApiResult<Json<UserDto>> {
    let command = body.into_command()?;
    let user = app
        .services
        .users
        .update(&caller, UserId(id), command)
        .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(
    delete,
    path = "/api/users/{id}",
    tag = "users",
    summary = "Delete a user",
    description = "Needs \"Delete Users\" and a rank at least the user's; not yourself. Their \
                   sessions end.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Missing permission or rank, or yourself", body = ErrorBody),
        (status = 404, description = "No such user (or not yours)", body = ErrorBody),
        (status = 409, description = "The tenant's last owner stays", body = ErrorBody),
    )
)]
pub async fn delete_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<StatusCode> {
    app.services.users.delete(&caller, UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "admin"}))]
pub struct SetRoleBody {
    pub role: RoleDto,
}

#[utoipa::path(
    put,
    path = "/api/users/{id}/role",
    tag = "users",
    summary = "Set a user's role",
    description = "Needs \"Edit Users\"; the user's current and new role must be at most your own, \
                   and nobody changes their own role. Takes effect on the user's next request.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    request_body = SetRoleBody,
    responses(
        (status = 200, description = "The user with the new role", body = UserDto),
        (status = 403, description = "Missing permission or rank, or your own role", body = ErrorBody),
        (status = 404, description = "No such user (or not yours)", body = ErrorBody),
        (status = 409, description = "The last owner keeps the role, or the user's role changed meanwhile", body = ErrorBody),
        (status = 422, description = "Unknown role", body = ErrorBody),
    )
)]
pub async fn set_role(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<SetRoleBody>,
) -> ApiResult<Json<UserDto>> {
    let user = app
        .services
        .users
        .set_role(&caller, UserId(id), body.role.into())
        .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(
    post,
    path = "/api/users/{id}/unlock",
    tag = "users",
    summary = "Lift a user's login lock",
    description = "After repeated wrong passwords a user is locked out for a while (growing with \
                   each further failure); this lifts it at once. Needs \"Edit Users\" and a rank \
                   at least the user's.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user, unlocked", body = UserDto),
        (status = 403, description = "Missing permission or rank", body = ErrorBody),
        (status = 404, description = "No such user (or not yours)", body = ErrorBody),
    )
)]
pub async fn unlock_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    AppPath(id): AppPath<i64>,
) -> ApiResult<Json<UserDto>> {
    let user = app.services.users.unlock(&caller, UserId(id)).await?;
    Ok(Json(user.into()))
}
