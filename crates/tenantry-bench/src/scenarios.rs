//! The named load scenarios, and the fixtures they need (tokens, ids, search terms, a deep
//! cursor), gathered from the running server before measuring.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use serde_json::{Value, json};

use crate::client::Connection;
use crate::rng::Rng;
use crate::seed::PASSWORD;

/// Scenarios whose latency is also measured alone, on one connection, where queueing behind
/// other requests does not hide the cost of the query itself.
pub const LATENCY: &[&str] = &[
    "get-account",
    "list-users",
    "list-users-deep",
    "search-email-prefix",
    "search-scim",
    "search-text",
    "search-text-tenant",
    "search-ceql",
    "audit-target",
];

pub const ALL: &[&str] = &[
    "healthz",
    "get-account",
    "get-user",
    "me",
    "list-users",
    "list-users-deep",
    "search-email-prefix",
    "search-scim",
    "search-text",
    "search-text-tenant",
    "search-ceql",
    "audit-target",
    "create-user",
    "create-account",
    "seat-move",
    "login",
    "mixed",
];

/// Everything the scenarios draw on.
pub struct Fixtures {
    pub owner: String,
    pub admin: String,
    admin_email: String,
    /// The admin's `Authorization` on the Cloud Elements surface: `User …, Organization …`.
    cloud_elements: String,
    root: i64,
    children: Vec<i64>,
    accounts: Vec<i64>,
    users: Vec<i64>,
    email_prefixes: Vec<String>,
    last_names: Vec<String>,
    text_terms: Vec<String>,
    /// An admin of a tenant no scenario writes to (tenant 1 grows by every creation), and
    /// pieces of its users' family names: `search-text-tenant`.
    quiet_admin: String,
    quiet_terms: Vec<String>,
    deep_cursor: Option<String>,
    tag: String,
    /// Numbers new emails and names, so no two creations in a run collide.
    sequence: AtomicU64,
}

/// One request to send.
pub struct Request {
    pub method: &'static str,
    pub path: String,
    /// The `Authorization` header's value.
    pub authorization: Option<String>,
    pub body: Option<String>,
}

fn get(path: String, token: &str) -> Request {
    Request {
        method: "GET",
        path,
        authorization: Some(format!("Bearer {token}")),
        body: None,
    }
}

fn post(path: String, token: Option<&str>, body: Value) -> Request {
    Request {
        method: "POST",
        path,
        authorization: token.map(|t| format!("Bearer {t}")),
        body: Some(body.to_string()),
    }
}

/// Where the Cloud Elements surface's API lives.
const CLOUD_ELEMENTS: &str = "/compat/cloud-elements/elements/api-v2";

pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

async fn json(connection: &mut Connection, request: Request) -> anyhow::Result<Value> {
    let response = connection
        .send(
            request.method,
            &request.path,
            request.authorization.as_deref(),
            request.body.as_deref(),
        )
        .await?;
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    if response.status >= 400 {
        anyhow::bail!(
            "{} {} answered {}: {body}",
            request.method,
            request.path,
            response.status
        );
    }
    Ok(body)
}

impl Fixtures {
    /// Prepares fixtures in tenant 1 of a seeded database, through the API.
    pub async fn gather(
        connection: &mut Connection,
        owner: String,
        deep_page_rows: u64,
    ) -> anyhow::Result<Fixtures> {
        let tag = format!("{:x}", time::OffsetDateTime::now_utc().unix_timestamp());
        let root = 1;
        let admin_email = format!("bench-admin-{tag}@bench.example");
        let (admin_id, admin) = admin_in(connection, &owner, root, &admin_email)
            .await
            .context("creating the benchmark admin (is the database seeded?)")?;
        let mut secret = async |path: String| -> anyhow::Result<String> {
            let body = json(connection, post(path, Some(&owner), json!({}))).await?;
            Ok(body["secret"].as_str().context("no secret")?.to_owned())
        };
        let cloud_elements = format!(
            "User {}, Organization {}",
            secret(format!("/api/users/{admin_id}/secret/rotate")).await?,
            secret(format!("/api/accounts/{root}/organization-secret/rotate")).await?
        );
        let ids = |page: &Value| -> Vec<i64> {
            page["data"]
                .as_array()
                .map(|rows| rows.iter().filter_map(|r| r["id"].as_i64()).collect())
                .unwrap_or_default()
        };
        let children = ids(&json(
            connection,
            get(format!("/api/accounts/{root}/children?limit=20"), &admin),
        )
        .await?);
        let accounts = ids(&json(
            connection,
            get(format!("/api/accounts?within={root}&limit=1000"), &admin),
        )
        .await?);
        let users_page = json(
            connection,
            get(format!("/api/users?within={root}&limit=1000"), &admin),
        )
        .await?;
        let users = ids(&users_page);
        let mut email_prefixes = Vec::new();
        let mut last_names = Vec::new();
        for user in users_page["data"].as_array().into_iter().flatten() {
            let email = user["email"].as_str().unwrap_or_default();
            // "ann.smith.12…": name and the first digits of the id, as a person types it.
            if let Some(digits) = email.find(|c: char| c.is_ascii_digit()) {
                email_prefixes.push(email[..(digits + 2).min(email.len())].to_owned());
            }
            if let Some(last) = user["last_name"].as_str() {
                last_names.push(last.to_owned());
            }
        }
        let text_terms = name_pieces(&users_page);
        // The next tenant's root (tenant 1's if there is no other).
        let roots = format!("not (parent_id pr) and id gt {root}");
        let quiet_root = ids(&json(
            connection,
            get(
                format!("/api/accounts?filter={}&limit=1", encode(&roots)),
                &owner,
            ),
        )
        .await?)
        .first()
        .copied()
        .unwrap_or(root);
        let quiet_email = format!("bench-tenant-admin-{tag}@bench.example");
        let (_, quiet_admin) = admin_in(connection, &owner, quiet_root, &quiet_email).await?;
        let quiet_terms = name_pieces(
            &json(
                connection,
                get(format!("/api/users?within={quiet_root}&limit=1000"), &owner),
            )
            .await?,
        );
        let deep_cursor = if deep_page_rows > 0 {
            Some(walk_to(connection, &owner, deep_page_rows).await?)
        } else {
            None
        };
        Ok(Fixtures {
            owner,
            admin,
            admin_email,
            cloud_elements,
            root,
            children,
            accounts,
            users,
            email_prefixes,
            last_names,
            text_terms,
            quiet_admin,
            quiet_terms,
            deep_cursor,
            tag,
            sequence: AtomicU64::new(0),
        })
    }

    /// The `i`-th request of `scenario` on connection `worker`.
    pub fn request(&self, scenario: &str, worker: usize, i: u64, rng: &mut Rng) -> Request {
        let admin = self.admin.as_str();
        match scenario {
            "healthz" => Request {
                method: "GET",
                path: "/healthz".into(),
                authorization: None,
                body: None,
            },
            "get-account" => get(format!("/api/accounts/{}", rng.pick(&self.accounts)), admin),
            "get-user" => get(format!("/api/users/{}", rng.pick(&self.users)), admin),
            "me" => get("/api/me".into(), admin),
            "list-users" => get("/api/users?limit=50".into(), &self.owner),
            "list-users-deep" => match &self.deep_cursor {
                Some(cursor) => get(format!("/api/users?limit=50&cursor={cursor}"), &self.owner),
                None => get("/api/users?limit=50".into(), &self.owner),
            },
            "search-email-prefix" => {
                let filter = format!("email sw \"{}\"", rng.pick(&self.email_prefixes));
                get(
                    format!("/api/users?filter={}", encode(&filter)),
                    &self.owner,
                )
            }
            "search-scim" => {
                let filter = format!(
                    "last_name eq \"{}\" and status eq \"active\"",
                    rng.pick(&self.last_names)
                );
                get(
                    format!("/api/users?filter={}", encode(&filter)),
                    &self.owner,
                )
            }
            "search-text" => get(
                format!(
                    "/api/users?q={}",
                    encode(rng.pick(&self.text_terms).as_str())
                ),
                &self.owner,
            ),
            // The same kind of search by a tenant's admin: that tenant's users only, the
            // search a tenant's own admins make.
            "search-text-tenant" => get(
                format!(
                    "/api/users?q={}",
                    encode(rng.pick(&self.quiet_terms).as_str())
                ),
                &self.quiet_admin,
            ),
            // The search-scim query in the Cloud Elements dialect, on its page size.
            "search-ceql" => {
                // CEQL strings are SQL's: a quote inside is doubled (O''Brien).
                let clause = format!(
                    "lastName = '{}' AND active = true",
                    rng.pick(&self.last_names).replace('\'', "''")
                );
                Request {
                    method: "GET",
                    path: format!(
                        "{CLOUD_ELEMENTS}/users?pageSize=50&where={}",
                        encode(&clause)
                    ),
                    authorization: Some(self.cloud_elements.clone()),
                    body: None,
                }
            }
            // A user's history, as its tenant's admin looks it up: the records about it
            // among all of the trail's.
            "audit-target" => {
                let filter = format!("target_id eq {}", rng.pick(&self.users));
                get(format!("/api/audit?filter={}", encode(&filter)), admin)
            }
            "create-user" => {
                let n = self.sequence.fetch_add(1, Ordering::Relaxed);
                post(
                    format!("/api/accounts/{}/users", self.root),
                    Some(admin),
                    json!({"email": format!("bench-{}-{n}@bench.example", self.tag)}),
                )
            }
            "create-account" => {
                let n = self.sequence.fetch_add(1, Ordering::Relaxed);
                post(
                    "/api/accounts".into(),
                    Some(admin),
                    json!({"parent_id": self.root, "name": format!("bench {} {n}", self.tag)}),
                )
            }
            "seat-move" => post(
                format!("/api/accounts/{}/seats", self.root),
                Some(&self.owner),
                json!({
                    "child_id": self.children[worker % self.children.len().max(1)],
                    "seats": if i.is_multiple_of(2) { 1 } else { -1 },
                }),
            ),
            "login" => post(
                "/api/auth/login".into(),
                None,
                json!({"email": self.admin_email, "password": PASSWORD}),
            ),
            _ => match i % 20 {
                0 => self.request("create-user", worker, i, rng),
                1 | 2 => self.request("search-text", worker, i, rng),
                3 | 4 => self.request("search-email-prefix", worker, i, rng),
                5 => self.request("list-users", worker, i, rng),
                n if n % 3 == 0 => self.request("get-account", worker, i, rng),
                n if n % 3 == 1 => self.request("get-user", worker, i, rng),
                _ => self.request("me", worker, i, rng),
            },
        }
    }
}

/// Pieces of the family names on a page of users, as a person types one into a search box:
/// five letters from the second on, of names at least six long.
fn name_pieces(users_page: &Value) -> Vec<String> {
    let names = users_page["data"].as_array().into_iter().flatten();
    names
        .filter_map(|user| user["last_name"].as_str())
        .filter(|last| last.chars().count() >= 6)
        .map(|last| last.chars().skip(1).take(5).collect())
        .collect()
}

/// Creates an admin of account `root` with the benchmark's password and logs it in: its id
/// and access token.
async fn admin_in(
    connection: &mut Connection,
    owner: &str,
    root: i64,
    email: &str,
) -> anyhow::Result<(i64, String)> {
    let created = json(
        connection,
        post(
            format!("/api/accounts/{root}/users"),
            Some(owner),
            json!({"email": email, "role": "admin", "password": PASSWORD}),
        ),
    )
    .await?;
    let id = created["id"].as_i64().context("no user id")?;
    let tokens = json(
        connection,
        post(
            "/api/auth/login".into(),
            None,
            json!({"email": email, "password": PASSWORD}),
        ),
    )
    .await?;
    let token = tokens["access_token"].as_str().context("no token")?;
    Ok((id, token.to_owned()))
}

/// Walks the whole-installation user list 1,000 rows at a time until `rows` rows in, and
/// returns the cursor there: a real deep page.
async fn walk_to(connection: &mut Connection, owner: &str, rows: u64) -> anyhow::Result<String> {
    let mut cursor: Option<String> = None;
    let mut walked = 0;
    while walked < rows {
        let path = match &cursor {
            Some(c) => format!("/api/users?limit=1000&cursor={c}"),
            None => "/api/users?limit=1000".to_owned(),
        };
        let page = json(connection, get(path, owner)).await?;
        walked += 1000;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    cursor.context("the user list is too short for a deep page")
}
