//! ControlByWeb's rules: every URL names an account; an account out of the caller's reach is
//! 403 "This action is unauthorized." (the vendor never says whether it exists), as is a role
//! without the named permission ("Edit Accounts", "Add Users", …); no token is 401. Service
//! owner tokens reach every account.

use axum::http::Method;
use tenantry_core::auth::Permission;

use super::compat::{Case, FORM, SentBody, Surface, bearer, case};
use super::world::{Caller, Expect, On, Target, World};
use crate::helpers::TestApp;

pub struct ControlByWeb;

const BASE: &str = "/compat/controlbyweb/api";

pub struct Rule {
    /// `None` for the token endpoint, which signs in by what the form carries.
    permission: Option<Permission>,
    form: fn(&str) -> String,
}

fn none(_: &str) -> String {
    String::new()
}

impl Surface for ControlByWeb {
    type Rule = Rule;

    fn cases() -> Vec<Case<Rule>> {
        use Method as M;
        use On::*;
        use Permission::*;
        type Row = (
            Method,
            &'static str,
            On,
            bool,
            Permission,
            fn(&str) -> String,
        );
        let rows: Vec<Row> = vec![
            (
                M::GET,
                "/v1/accounts/{account_id}",
                Account,
                false,
                ViewAccounts,
                none,
            ),
            (
                M::POST,
                "/v1/accounts/{account_id}",
                Account,
                true,
                EditAccounts,
                |u| format!("account_name={u}"),
            ),
            (
                M::DELETE,
                "/v1/accounts/{account_id}",
                FreshChild,
                true,
                DeleteAccounts,
                none,
            ),
            (
                M::GET,
                "/v1/accounts/{account_id}/{option}",
                Account,
                false,
                ViewAccounts,
                none,
            ),
            (
                M::POST,
                "/v1/accounts/{account_id}/{option}",
                Account,
                true,
                AddAccounts,
                |u| format!("account_name={u}"),
            ),
            (
                M::GET,
                "/v1/accounts/{account_id}/users",
                Account,
                false,
                ViewUsers,
                none,
            ),
            (
                M::POST,
                "/v1/accounts/{account_id}/users",
                Account,
                true,
                AddUsers,
                |u| format!("username={u}&email={u}%40cbw.test&password=correct+horse+battery"),
            ),
            (
                M::GET,
                "/v1/accounts/{account_id}/users/{user_id}",
                User,
                false,
                ViewUsers,
                none,
            ),
            (
                M::POST,
                "/v1/accounts/{account_id}/users/{user_id}",
                User,
                true,
                EditUsers,
                |u| format!("first_name={u}"),
            ),
            (
                M::PUT,
                "/v1/accounts/{account_id}/users/{user_id}",
                User,
                true,
                EditUsers,
                |u| format!("first_name={u}"),
            ),
            (
                M::DELETE,
                "/v1/accounts/{account_id}/users/{user_id}",
                FreshUser,
                true,
                DeleteUsers,
                none,
            ),
            (
                M::GET,
                "/v1/accounts/{account_id}/devices",
                Account,
                false,
                ViewDevices,
                none,
            ),
            (
                M::GET,
                "/v1/accounts/{account_id}/devices/info",
                Account,
                false,
                ViewDevices,
                none,
            ),
            (
                M::GET,
                "/v1/accounts/{account_id}/tokens",
                Account,
                false,
                ManageTokens,
                none,
            ),
            (
                M::GET,
                "/v1/accounts/{account_id}/tokens/create",
                Account,
                true,
                ManageTokens,
                none,
            ),
            (
                M::POST,
                "/v1/accounts/{account_id}/tokens/create",
                Account,
                true,
                ManageTokens,
                none,
            ),
            (
                M::DELETE,
                "/v1/accounts/{account_id}/tokens/{token}",
                FreshCertificateToken,
                true,
                ManageTokens,
                none,
            ),
        ];
        let mut cases = vec![case(
            M::POST,
            "/compat/controlbyweb/api/v1/auth/token",
            None,
            false,
            Rule {
                permission: None,
                form: none,
            },
        )];
        for (method, path, on, changes, permission, form) in rows {
            let path: &'static str = Box::leak(format!("{BASE}{path}").into_boxed_str());
            let rule = Rule {
                permission: Some(permission),
                form,
            };
            cases.push(case(method, path, Some(on), changes, rule));
        }
        cases
    }

    async fn credentials(_app: &TestApp, world: &World) -> Vec<Option<String>> {
        world
            .callers
            .iter()
            .map(|c| c.token.as_deref().map(bearer))
            .collect()
    }

    fn expected(caller: &Caller, place: Option<&str>, case: &Case<Rule>) -> Option<Expect> {
        let permission = case.rule.permission?;
        if caller.service {
            return Some(Expect::Allowed);
        }
        let Some(role) = caller.role() else {
            return Some(Expect::Unauthenticated);
        };
        let reaches = place.is_none_or(|p| caller.reaches(p));
        Some(if reaches && role.has(permission) {
            Expect::Allowed
        } else {
            Expect::Forbidden
        })
    }

    fn request(case: &Case<Rule>, target: Option<&Target>, unique: &str) -> (String, SentBody) {
        let mut path = case.path.to_owned();
        if let Some(t) = target {
            // The account in the URL: the record itself for account routes, else its account.
            let account = if matches!(case.on, Some(On::Account | On::FreshChild)) {
                t.id
            } else {
                t.account
            };
            path = path
                .replace("{account_id}", &account.to_string())
                .replace("{user_id}", &t.id.to_string())
                .replace("{option}", "children");
            if let Some((_, token)) = &t.token {
                path = path.replace("{token}", token);
            }
        }
        let form = (case.rule.form)(unique);
        let body = (!form.is_empty()).then_some((FORM, form));
        (path, body)
    }
}
