//! Ioto's rules: every call is a `POST` whose body names its record. The docs give each
//! endpoint a minimum role and mark fields that only a higher role may use (`id` of an account,
//! `accountId`: owner; `id` or `email` of a user: admin), checked before the record is looked
//! up; past them, the record must lie in the caller's subtree (404) and the role must hold the
//! core permission (403). A service owner token is an owner everywhere, and the only caller
//! the `/tok/…` copy of the API lets in (`user/login` is the one call only a user may make). Authentication failures and role refusals are both
//! 403, as Ioto answers them.

use axum::http::Method;
use serde_json::{Value, json};
use tenantry_core::auth::{Permission, Role};

use super::compat::{Case, JSON, SentBody, Surface, case};
use super::world::{Caller, Expect, On, Target, World};
use crate::helpers::TestApp;

pub struct Ioto;

#[derive(Clone, Copy)]
pub enum Access {
    /// Signs in by what the body carries.
    Public,
    /// CloudAPI (service owner) tokens only.
    ServiceOnly,
    /// A user's access token, any role (the call is about the user themselves).
    UsersOnly,
    /// A minimum role checked before the record's scope, then the core permission (if any).
    RoleFirst(Role, Option<Permission>),
    /// The record's scope first, then a minimum role and the core permission.
    ScopeFirst(Role, Permission),
}

pub struct Rule {
    access: Access,
    /// Under `/compat/ioto/tok`.
    tok: bool,
    body: MakeBody,
}

fn id(t: Option<&Target>) -> i64 {
    t.map_or(0, |t| t.id)
}

type MakeBody = fn(Option<&Target>, &str) -> Value;

/// The routes relative to the surface's base, with their rules and bodies.
fn endpoints() -> Vec<(&'static str, Option<On>, bool, Access, MakeBody)> {
    use Access::*;
    use On::*;
    use Permission::*;
    vec![
        (
            "/account/create",
            None,
            true,
            ServiceOnly,
            |_, u| json!({ "email": format!("{u}@ioto-new.test"), "name": u }),
        ),
        (
            "/account/close",
            Some(FreshChild),
            true,
            RoleFirst(Role::Owner, Some(DeleteAccounts)),
            |t, _| json!({ "id": id(t) }),
        ),
        (
            "/account/get",
            Some(Account),
            false,
            RoleFirst(Role::Owner, Some(ViewAccounts)),
            |t, _| json!({ "id": id(t) }),
        ),
        (
            "/account/find",
            None,
            false,
            RoleFirst(Role::Admin, None),
            |_, _| json!({}),
        ),
        (
            "/account/updateIdentity",
            Some(Account),
            true,
            RoleFirst(Role::Owner, Some(EditAccounts)),
            |t, u| json!({ "id": id(t), "name": u }),
        ),
        (
            "/user/create",
            Some(Account),
            true,
            RoleFirst(Role::Owner, Some(AddUsers)),
            |t, u| json!({ "accountId": id(t), "email": format!("{u}@ioto-made.test"), "role": "user" }),
        ),
        (
            "/user/get",
            Some(User),
            false,
            RoleFirst(Role::Admin, Some(ViewUsers)),
            |t, _| json!({ "id": id(t) }),
        ),
        (
            "/user/find",
            Some(Account),
            false,
            RoleFirst(Role::Owner, Some(ViewUsers)),
            |t, _| json!({ "accountId": id(t) }),
        ),
        (
            "/user/getRoles",
            None,
            false,
            RoleFirst(Role::Admin, None),
            |_, _| json!({}),
        ),
        ("/user/login", None, false, UsersOnly, |_, _| json!({})),
        (
            "/user/remove",
            Some(FreshUser),
            true,
            RoleFirst(Role::Admin, Some(DeleteUsers)),
            |t, _| json!({ "id": id(t) }),
        ),
        (
            "/user/update",
            Some(User),
            true,
            ScopeFirst(Role::Admin, EditUsers),
            |t, u| json!({ "id": id(t), "first": u }),
        ),
        (
            "/user/updateRole",
            Some(User),
            true,
            RoleFirst(Role::Admin, Some(EditUsers)),
            |t, _| json!({ "id": id(t), "role": "user" }),
        ),
    ]
}

impl Surface for Ioto {
    type Rule = Rule;

    fn cases() -> Vec<Case<Rule>> {
        let mut cases = vec![case(
            Method::POST,
            "/compat/ioto/cognito",
            None,
            false,
            Rule {
                access: Access::Public,
                tok: false,
                body: |_, _| json!({}),
            },
        )];
        for (prefix, tok) in [("/compat/ioto", false), ("/compat/ioto/tok", true)] {
            for (path, on, changes, access, body) in endpoints() {
                // Leaked once per table: the paths must outlive the test's cases.
                let path: &'static str = Box::leak(format!("{prefix}{path}").into_boxed_str());
                let rule = Rule { access, tok, body };
                cases.push(case(Method::POST, path, on, changes, rule));
            }
        }
        cases
    }

    async fn credentials(_app: &TestApp, world: &World) -> Vec<Option<String>> {
        // Ioto takes the token bare (`Bearer` is optional).
        world.callers.iter().map(|c| c.token.clone()).collect()
    }

    fn expected(caller: &Caller, place: Option<&str>, case: &Case<Rule>) -> Option<Expect> {
        let access = case.rule.access;
        if matches!(access, Access::Public) {
            return None;
        }
        let Some(role) = caller.role().filter(|_| !case.rule.tok) else {
            let service_may = !matches!(access, Access::UsersOnly);
            return Some(if caller.service && service_may {
                Expect::Allowed
            } else {
                Expect::Forbidden
            });
        };
        let reaches = place.is_none_or(|p| caller.reaches(p));
        let answer = match access {
            Access::Public => unreachable!("handled above"),
            Access::ServiceOnly => Expect::Forbidden,
            Access::UsersOnly => Expect::Allowed,
            Access::RoleFirst(min, permission) => {
                if role.rank() < min.rank() {
                    Expect::Forbidden
                } else if !reaches {
                    Expect::NotFound
                } else if permission.is_some_and(|p| !role.has(p)) {
                    Expect::Forbidden
                } else {
                    Expect::Allowed
                }
            }
            Access::ScopeFirst(min, permission) => {
                if !reaches {
                    Expect::NotFound
                } else if role.rank() < min.rank() || !role.has(permission) {
                    Expect::Forbidden
                } else {
                    Expect::Allowed
                }
            }
        };
        Some(answer)
    }

    fn request(case: &Case<Rule>, target: Option<&Target>, unique: &str) -> (String, SentBody) {
        let body = (case.rule.body)(target, unique);
        (case.path.to_owned(), Some((JSON, body.to_string())))
    }
}
