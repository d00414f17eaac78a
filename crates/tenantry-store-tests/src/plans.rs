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
    /// The index the plan must name, where picking the wrong one of several is the risk.
    pub index: Option<&'static str>,
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
/// account subtree, equality on a name, free text, deep keyset pages, and a record's history.
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
            index: None,
            scope: Scope::All,
            request: request(users, Some(r#"email sw "ann""#), None, None),
        },
        Case {
            name: "users: first name equality (CEQL firstName='x')",
            index: None,
            scope: Scope::All,
            request: request(users, Some(r#"first_name eq "ann""#), None, None),
        },
        // A tenant's users by a common family name: thousands of users across the installation
        // share it, so the plan must look up the tenant and the name together.
        Case {
            name: "users: last name within a tenant (CEQL lastName='x' for an organization)",
            index: Some("users_tenant_last_name"),
            scope: Scope::Subtree(tenant.clone()),
            request: request(
                users,
                Some(r#"last_name eq "berg" and status eq "active""#),
                None,
                None,
            ),
        },
        Case {
            name: "users: first name within a tenant",
            index: Some("users_tenant_first_name"),
            scope: Scope::Subtree(tenant.clone()),
            request: request(users, Some(r#"first_name eq "ann""#), None, None),
        },
        Case {
            name: "users: status within a tenant",
            index: None,
            scope: Scope::Subtree(tenant.clone()),
            request: request(users, Some(r#"status eq "active""#), None, None),
        },
        Case {
            name: "users: created range",
            index: None,
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
            index: None,
            scope: Scope::Subtree(branch.clone()),
            request: request(users, None, None, None),
        },
        Case {
            name: "users: free text",
            index: None,
            scope: Scope::All,
            request: request(users, None, Some("annlee"), None),
        },
        // An account small enough to be read whole is searched through its own rows, in id
        // order (SQLite's choice of this over its full-text index is tested with the SQLite
        // store; PostgreSQL walks any small scope, a whole tenant too).
        Case {
            name: "users: free text within a small account",
            index: Some("users_account"),
            scope: Scope::Account {
                tenant_id: AccountId(1),
                account_id: AccountId(7),
                path: branch.clone(),
            },
            request: request(users, None, Some("annlee"), None),
        },
        Case {
            name: "users: deep page by email",
            index: None,
            scope: Scope::All,
            request: deep_page,
        },
        Case {
            name: "accounts: name prefix",
            index: None,
            scope: Scope::All,
            request: request(accounts, Some(r#"name sw "acme""#), None, None),
        },
        Case {
            name: "accounts: children of one account",
            index: None,
            scope: Scope::Account {
                tenant_id: AccountId(1),
                account_id: AccountId(7),
                path: branch.clone(),
            },
            request: request(accounts, None, None, None),
        },
        Case {
            name: "accounts: free text",
            index: None,
            scope: Scope::All,
            request: request(accounts, None, Some("widget"), None),
        },
        // A record's history, by the tenant's admins, by a branch's, and across the whole
        // installation: each newest first, so an index in id order would walk the trail. A
        // branch's admin reads the branch's own records (SQLite, with no statistics, takes
        // the path range for the narrower): bounded by the branch's trail, not the tenant's.
        Case {
            name: "audit: a target's records within a tenant",
            index: Some("audit_target"),
            scope: Scope::Subtree(tenant.clone()),
            request: request(ListResource::Audit, Some("target_id eq 42"), None, None),
        },
        Case {
            name: "audit: a target's records within a branch",
            index: None,
            scope: Scope::Subtree(branch.clone()),
            request: request(ListResource::Audit, Some("target_id eq 42"), None, None),
        },
        Case {
            name: "audit: a target's records",
            index: Some("audit_target"),
            scope: Scope::All,
            request: request(ListResource::Audit, Some("target_id eq 42"), None, None),
        },
    ]
}
