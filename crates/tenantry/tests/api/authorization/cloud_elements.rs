//! Cloud Elements' rules: callers sign in with their user and organization secrets; there is
//! no service owner on this surface (its token is no pair of secrets, so 401). `/accounts…`
//! belongs to the organization administrator (an owner in the Default, root, account); anyone
//! else gets 401, as the vendor documents. A record outside the caller's subtree is 403 ("belongs
//! to another organization"), as is a role without the permission. The console
//! login and `getSecrets` sign in by what the form or cookie carries.

use axum::http::Method;
use serde_json::{Value, json};
use tenantry_core::auth::{Permission, Role};

use super::compat::{Case, FORM, JSON, SentBody, Surface, bearer, case};
use super::world::{Caller, Expect, On, Target, World};
use crate::helpers::{PASSWORD, TestApp};

pub struct CloudElements;

const API: &str = "/compat/cloud-elements/elements/api-v2";

#[derive(Clone, Copy)]
pub enum Access {
    Public,
    OrganizationAdmin,
    Permission(Permission),
}

pub struct Rule {
    access: Access,
    body: fn(&str) -> Option<Value>,
}

fn none(_: &str) -> Option<Value> {
    None
}

fn new_user(u: &str) -> Option<Value> {
    Some(json!({
        "firstName": "New", "lastName": "User",
        "email": format!("{u}@ce-made.test"), "password": PASSWORD,
    }))
}

fn renamed(u: &str) -> Option<Value> {
    Some(json!({ "firstName": u }))
}

impl Surface for CloudElements {
    type Rule = Rule;

    fn cases() -> Vec<Case<Rule>> {
        use Access::{OrganizationAdmin, Permission as Needs};
        use Method as M;
        use On::*;
        use Permission::*;
        type Row = (
            Method,
            &'static str,
            Option<On>,
            bool,
            Access,
            fn(&str) -> Option<Value>,
        );
        let mut rows: Vec<Row> = Vec::new();
        for slash in ["/accounts", "/accounts/"] {
            rows.push((M::GET, slash, None, false, OrganizationAdmin, none));
            rows.push((M::POST, slash, None, true, OrganizationAdmin, |u| {
                Some(json!({ "externalId": u }))
            }));
        }
        for slash in ["/users", "/users/"] {
            rows.push((M::GET, slash, None, false, Needs(ViewUsers), none));
        }
        rows.extend::<Vec<Row>>(vec![
            (
                M::GET,
                "/accounts/{id}",
                Some(Account),
                false,
                OrganizationAdmin,
                none,
            ),
            (
                M::PATCH,
                "/accounts/{id}",
                Some(Account),
                true,
                OrganizationAdmin,
                |u| Some(json!({ "description": u })),
            ),
            (
                M::DELETE,
                "/accounts/{id}",
                Some(FreshChild),
                true,
                OrganizationAdmin,
                none,
            ),
            (
                M::GET,
                "/accounts/{id}/users",
                Some(Account),
                false,
                OrganizationAdmin,
                none,
            ),
            (
                M::POST,
                "/accounts/{id}/users",
                Some(Account),
                true,
                OrganizationAdmin,
                new_user,
            ),
            (
                M::GET,
                "/accounts/{id}/users/{user}",
                Some(User),
                false,
                OrganizationAdmin,
                none,
            ),
            (
                M::PATCH,
                "/accounts/{id}/users/{user}",
                Some(User),
                true,
                OrganizationAdmin,
                renamed,
            ),
            (
                M::GET,
                "/accounts/{id}/roles",
                Some(Account),
                false,
                OrganizationAdmin,
                none,
            ),
            (
                M::PUT,
                "/accounts/{id}/roles/{key}",
                Some(Account),
                true,
                OrganizationAdmin,
                none,
            ),
            (
                M::DELETE,
                "/accounts/{id}/roles/{key}",
                Some(Account),
                true,
                OrganizationAdmin,
                none,
            ),
            (
                M::GET,
                "/users/{user}",
                Some(User),
                false,
                Needs(ViewUsers),
                none,
            ),
            (
                M::PATCH,
                "/users/{user}",
                Some(User),
                true,
                Needs(EditUsers),
                renamed,
            ),
            (
                M::DELETE,
                "/users/{user}",
                Some(FreshUser),
                true,
                Needs(DeleteUsers),
                none,
            ),
            (
                M::GET,
                "/users/{user}/roles",
                Some(User),
                false,
                Needs(ViewUsers),
                none,
            ),
            (
                M::PUT,
                "/users/{user}/roles/{key}",
                Some(FreshUser),
                true,
                Needs(EditUsers),
                none,
            ),
            (
                M::DELETE,
                "/users/{user}/roles/{key}",
                Some(FreshAdmin),
                true,
                Needs(EditUsers),
                none,
            ),
        ]);
        let mut cases = vec![
            case(
                M::POST,
                "/compat/cloud-elements/elements/j_spring_security_check",
                None,
                false,
                Rule {
                    access: Access::Public,
                    body: none,
                },
            ),
            case(
                M::GET,
                "/compat/cloud-elements/elements/api-v1/ui/getSecrets",
                None,
                false,
                Rule {
                    access: Access::Public,
                    body: none,
                },
            ),
        ];
        for (method, path, on, changes, access, body) in rows {
            let path: &'static str = Box::leak(format!("{API}{path}").into_boxed_str());
            cases.push(case(method, path, on, changes, Rule { access, body }));
        }
        cases
    }

    async fn credentials(app: &TestApp, world: &World) -> Vec<Option<String>> {
        let mut headers = Vec::new();
        for caller in &world.callers {
            headers.push(match (caller.email, &caller.token) {
                (Some(email), _) => Some(crate::cloud_elements::authorization(app, email).await),
                (None, Some(token)) => Some(bearer(token)),
                (None, None) => None,
            });
        }
        headers
    }

    fn expected(caller: &Caller, place: Option<&str>, case: &Case<Rule>) -> Option<Expect> {
        let Some(role) = caller.role() else {
            return match case.rule.access {
                Access::Public => None,
                _ => Some(Expect::Unauthenticated),
            };
        };
        let reaches = place.is_none_or(|p| caller.reaches(p));
        Some(match case.rule.access {
            Access::Public => return None,
            Access::OrganizationAdmin => {
                let at_root = matches!(caller.home, Some(("parent" | "other tenant", _)));
                if !(at_root && role == Role::Owner) {
                    Expect::Unauthenticated
                } else if !reaches {
                    Expect::Forbidden
                } else {
                    Expect::Allowed
                }
            }
            Access::Permission(permission) if reaches && role.has(permission) => Expect::Allowed,
            Access::Permission(_) => Expect::Forbidden,
        })
    }

    fn request(case: &Case<Rule>, target: Option<&Target>, unique: &str) -> (String, SentBody) {
        let mut path = case.path.to_owned();
        if let Some(t) = target {
            let account = if matches!(case.on, Some(On::Account | On::FreshChild)) {
                t.id
            } else {
                t.account
            };
            path = path
                .replace("{id}", &account.to_string())
                .replace("{user}", &t.id.to_string())
                .replace("{key}", "admin");
        }
        let body = match case.rule.access {
            // The console's form, with nothing in it.
            Access::Public if case.method == Method::POST => Some((FORM, String::new())),
            _ => (case.rule.body)(unique).map(|b| (JSON, b.to_string())),
        };
        (path, body)
    }
}
