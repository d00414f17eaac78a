//! Cloud Elements' roles and how they map onto Tenantry's ranked roles.
//!
//! A user's vendor roles are derived, never stored: everyone holds the membership role of
//! where they are (`org` in the organization's Default account, `user` in a company account);
//! an `admin` also holds `admin`; an owner of the Default account (the organization
//! administrator) also holds `org-admin` and `admin`. Granting `admin` or `org-admin` raises
//! the user's Tenantry role (`admin`, `owner`), withdrawing it lowers it, under the core's rank
//! rules. `sys-admin` exists and can be granted by nobody. Account roles are stored as given.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use tenantry_core::auth::Role;
use tenantry_core::model::{AccountId, User, UserId};

use super::error::{CeError, CeResult};
use super::request::{CeCaller, CePath, path_id, require_organization_admin};
use crate::state::AppState;

#[derive(Debug)]
pub struct RoleDef {
    pub id: i64,
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

pub const SYS_ADMIN: RoleDef = RoleDef {
    id: 1,
    key: "sys-admin",
    name: "System Administrator",
    description: "Cloud Elements System Administrator.",
};
pub const ADMIN: RoleDef = RoleDef {
    id: 3,
    key: "admin",
    name: "Administrator",
    description: "Cloud Elements Application Administrator.",
};
pub const USER: RoleDef = RoleDef {
    id: 4,
    key: "user",
    name: "Default User",
    description: "Default User",
};
pub const ORG_ADMIN: RoleDef = RoleDef {
    id: 930,
    key: "org-admin",
    name: "Organization Administrator",
    description: "Organization Administrator",
};
pub const ORG: RoleDef = RoleDef {
    id: 2717,
    key: "org",
    name: "Organization User",
    description: "Organization User",
};

const ALL: [&RoleDef; 5] = [&SYS_ADMIN, &ADMIN, &USER, &ORG_ADMIN, &ORG];

/// A role as clients name it in bodies: `{"key": "admin"}`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RoleKey {
    pub key: String,
}

/// A role as the vendor shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RoleRecord {
    pub id: i64,
    pub name: &'static str,
    pub key: &'static str,
    pub active: bool,
    pub description: &'static str,
    pub features: [(); 0],
}

impl From<&RoleDef> for RoleRecord {
    fn from(role: &RoleDef) -> Self {
        RoleRecord {
            id: role.id,
            name: role.name,
            key: role.key,
            active: true,
            description: role.description,
            features: [],
        }
    }
}

/// The role with this key; an unknown key is a bad request (checked before anything else).
pub fn lookup(key: &str) -> CeResult<&'static RoleDef> {
    ALL.into_iter()
        .find(|r| r.key == key)
        .ok_or_else(|| CeError::bad_request(format!("Unknown role key {key:?}")))
}

fn in_default_account(user: &User) -> bool {
    user.account_id == user.tenant_id
}

/// The vendor roles a user holds.
pub fn of_user(user: &User) -> Vec<&'static RoleDef> {
    let membership = if in_default_account(user) {
        &ORG
    } else {
        &USER
    };
    match user.role {
        Role::Owner if in_default_account(user) => vec![&ORG_ADMIN, &ADMIN, membership],
        Role::Owner | Role::Admin => vec![&ADMIN, membership],
        Role::User => vec![membership],
    }
}

pub fn records(roles: &[&RoleDef]) -> Vec<RoleRecord> {
    roles.iter().map(|r| RoleRecord::from(*r)).collect()
}

/// The Tenantry role that a set of vendor role keys asks for, for a user in the Default
/// account or not.
pub fn role_for_keys(keys: &[String], in_default: bool) -> CeResult<Role> {
    let mut role = Role::User;
    for key in keys {
        let wanted = match lookup(key)?.key {
            "sys-admin" => return Err(CeError::forbidden("Nobody may grant sys-admin")),
            "org-admin" if !in_default => {
                return Err(CeError::bad_request(
                    "org-admin is only for users of the Default account",
                ));
            }
            "org-admin" => Role::Owner,
            "admin" => Role::Admin,
            // Membership roles (`org`, `user`) come with the account; clients echo them back,
            // whichever they are.
            _ => Role::User,
        };
        role = role.max(wanted);
    }
    Ok(role)
}

/// The user, unless it is the caller: nobody changes their own roles.
async fn other_user(
    app: &AppState,
    caller: &tenantry_core::auth::Caller,
    id: &str,
) -> CeResult<User> {
    let user = app
        .services
        .users
        .get(caller, UserId(path_id(id, "user")?))
        .await?;
    if caller.user_id() == Some(user.id) {
        return Err(CeError::forbidden("You cannot change your own roles"));
    }
    Ok(user)
}

pub async fn user_roles(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(id): CePath<String>,
) -> CeResult<Json<Vec<RoleRecord>>> {
    let user = app
        .services
        .users
        .get(&caller, UserId(path_id(&id, "user")?))
        .await?;
    Ok(Json(records(&of_user(&user))))
}

pub async fn grant_user_role(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath((id, key)): CePath<(String, String)>,
) -> CeResult<Json<RoleRecord>> {
    let role = lookup(&key)?;
    let user = other_user(&app, &caller, &id).await?;
    if role.key == SYS_ADMIN.key {
        return Err(CeError::forbidden("Nobody may grant sys-admin"));
    }
    // Authority first: whether a role is held is only told to those who may change it.
    app.services.users.check_editable(&caller, &user)?;
    // Membership roles (`org`, `user`) come with the account: everyone holds theirs.
    let membership = role.key == ORG.key || role.key == USER.key;
    if membership || of_user(&user).iter().any(|held| held.key == role.key) {
        return Err(CeError::conflict(format!(
            "The user already has {}",
            role.key
        )));
    }
    let wanted = match role.key {
        "org-admin" if !in_default_account(&user) => {
            return Err(CeError::bad_request(
                "org-admin is only for users of the Default account",
            ));
        }
        "org-admin" => Role::Owner,
        _ => Role::Admin,
    };
    app.services
        .users
        .set_role(&caller, user.id, wanted)
        .await?;
    Ok(Json(role.into()))
}

pub async fn revoke_user_role(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath((id, key)): CePath<(String, String)>,
) -> CeResult<()> {
    let role = lookup(&key)?;
    let user = other_user(&app, &caller, &id).await?;
    app.services.users.check_editable(&caller, &user)?;
    if !of_user(&user).iter().any(|held| held.key == role.key) {
        return Err(CeError::not_found(format!(
            "The user does not have {}",
            role.key
        )));
    }
    let lowered = match (role.key, user.role) {
        ("org-admin", _) => Role::Admin,
        ("admin", Role::Owner) if in_default_account(&user) => {
            return Err(CeError::bad_request(
                "An organization administrator is an admin; withdraw org-admin first",
            ));
        }
        ("admin", _) => Role::User,
        _ => {
            return Err(CeError::bad_request(
                "Membership roles go with the account the user belongs to",
            ));
        }
    };
    app.services
        .users
        .set_role(&caller, user.id, lowered)
        .await?;
    Ok(())
}

pub async fn account_roles(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath(id): CePath<String>,
) -> CeResult<Json<Vec<RoleRecord>>> {
    require_organization_admin(&caller)?;
    let id = AccountId(path_id(&id, "account")?);
    let keys = app.services.accounts.roles(&caller, id).await?;
    Ok(Json(
        keys.iter()
            .filter_map(|k| lookup(k).ok())
            .map(RoleRecord::from)
            .collect(),
    ))
}

pub async fn grant_account_role(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath((id, key)): CePath<(String, String)>,
) -> CeResult<Json<RoleRecord>> {
    let role = lookup(&key)?;
    require_organization_admin(&caller)?;
    let id = AccountId(path_id(&id, "account")?);
    if role.key == SYS_ADMIN.key {
        // Read first, so another organization's account answers 403 like every other call.
        app.services.accounts.get(&caller, id).await?;
        return Err(CeError::forbidden("Nobody may grant sys-admin"));
    }
    app.services
        .accounts
        .set_role(&caller, id, role.key, true)
        .await?;
    Ok(Json(role.into()))
}

pub async fn revoke_account_role(
    State(app): State<AppState>,
    CeCaller(caller): CeCaller,
    CePath((id, key)): CePath<(String, String)>,
) -> CeResult<()> {
    let role = lookup(&key)?;
    require_organization_admin(&caller)?;
    let id = AccountId(path_id(&id, "account")?);
    app.services
        .accounts
        .set_role(&caller, id, role.key, false)
        .await?;
    Ok(())
}
