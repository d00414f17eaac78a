//! The common lists, as plans: which must be answered from an index. Each store runs
//! [`check`] with its own `explain` and its own idea of what an index-less plan looks like.

use tenantry_core::model::{AccountId, AccountPath};
use tenantry_core::query::{ListRequest, ListResource, NativeListParams};
use tenantry_core::store::Scope;

/// A named list the plan of which must use an index.
pub struct Case {
    pub name: &'static str,
    pub scope: Scope,
    pub request: ListRequest,
}

fn request(
    resource: ListResource,
    filter: Option<&str>,
    q: Option<&str>,
    sort: Option<&str>,
) -> ListRequest {
    ListRequest::native(
        resource,
        &NativeListParams {
            filter,
            q,
            sort,
            ..NativeListParams::default()
        },
    )
    .expect("valid test request")
}

/// The lists the performance goals name: email prefix, name prefix, status, created range,
/// account subtree, equality on a name, free text, and deep keyset pages.
pub fn cases() -> Vec<Case> {
    let tenant = AccountPath::root(AccountId(1));
    let branch = tenant.child(AccountId(7));
    let users = ListResource::Users;
    let accounts = ListResource::Accounts;
    let mut deep_page = request(users, None, None, Some("email"));
    deep_page.after = Some(tenantry_core::query::Keyset {
        value: tenantry_core::query::Value::Text("m".into()),
        id: 500_000,
    });
    vec![
        Case {
            name: "users: email prefix",
            scope: Scope::All,
            request: request(users, Some(r#"email sw "ann""#), None, None),
        },
        Case {
            name: "users: first name equality (CEQL firstName='x')",
            scope: Scope::All,
            request: request(users, Some(r#"first_name eq "ann""#), None, None),
        },
        Case {
            name: "users: status within a tenant",
            scope: Scope::Subtree(tenant.clone()),
            request: request(users, Some(r#"status eq "active""#), None, None),
        },
        Case {
            name: "users: created range",
            scope: Scope::All,
            request: request(
                users,
                Some(r#"created ge "2024-01-01" and created lt "2024-02-01""#),
                None,
                None,
            ),
        },
        Case {
            name: "users: account subtree",
            scope: Scope::Subtree(branch.clone()),
            request: request(users, None, None, None),
        },
        Case {
            name: "users: free text",
            scope: Scope::All,
            request: request(users, None, Some("annlee"), None),
        },
        Case {
            name: "users: deep page by email",
            scope: Scope::All,
            request: deep_page,
        },
        Case {
            name: "accounts: name prefix",
            scope: Scope::All,
            request: request(accounts, Some(r#"name sw "acme""#), None, None),
        },
        Case {
            name: "accounts: children of one account",
            scope: Scope::Account {
                tenant_id: AccountId(1),
                account_id: AccountId(7),
                path: branch.clone(),
            },
            request: request(accounts, None, None, None),
        },
        Case {
            name: "accounts: free text",
            scope: Scope::All,
            request: request(accounts, None, Some("widget"), None),
        },
    ]
}
