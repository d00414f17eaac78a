//! The authorization matrix of the vendor surfaces. Each surface lists a case for every route
//! it serves: what record the route acts on and the rule that decides who may. The engine
//! tries every case as every caller of the [`world`](super::world), against the record in
//! every place, and compares the answer with the rule's, in the surface's own statuses. A
//! route the surface serves (as its route table lists it) without a case fails the test, and
//! every change a case makes must appear in the audit trail under its request id.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Method, Request, header};

use super::world::{Caller, Expect, On, PLACES, Target, World, audited_request_ids, class};
use crate::helpers::{Reply, TestApp};

/// One route of a vendor surface.
pub struct Case<R> {
    pub method: Method,
    /// The path as the surface's route table lists it.
    pub path: &'static str,
    /// What the route acts on; `None` for routes about no particular record (tried once).
    pub on: Option<On>,
    /// Whether a success changes something (and so must be audited).
    pub changes: bool,
    pub rule: R,
}

/// A request body and its content type.
pub type SentBody = Option<(&'static str, String)>;

/// What the engine needs of a surface.
pub trait Surface {
    type Rule;

    fn cases() -> Vec<Case<Self::Rule>>;

    /// Each caller's `Authorization` header on this surface, in the world's caller order.
    async fn credentials(app: &TestApp, world: &World) -> Vec<Option<String>>;

    /// The answer the rule calls for, or `None` for a public route whose answer must not
    /// depend on who calls.
    fn expected(caller: &Caller, place: Option<&str>, case: &Case<Self::Rule>) -> Option<Expect>;

    /// The concrete path and body for a case on a target (`None` for routes about no record).
    fn request(
        case: &Case<Self::Rule>,
        target: Option<&Target>,
        unique: &str,
    ) -> (String, SentBody);
}

/// A short constructor for surface tables.
pub fn case<R>(
    method: Method,
    path: &'static str,
    on: Option<On>,
    changes: bool,
    rule: R,
) -> Case<R> {
    Case {
        method,
        path,
        on,
        changes,
        rule,
    }
}

/// Runs every case of surface `S`; returns the failures.
pub async fn run<S: Surface>(app: &TestApp, world: &World, tag: &str) -> Vec<String> {
    let credentials = S::credentials(app, world).await;
    let mut failures = Vec::new();
    let mut changes = Vec::new();
    let mut n = 0;
    for case in S::cases() {
        let places: Vec<Option<&str>> = match case.on {
            Some(_) => PLACES.iter().map(|p| Some(*p)).collect(),
            None => vec![None],
        };
        for place in places {
            // Public routes: the same answer whoever calls.
            let mut public_answers = BTreeMap::new();
            for (caller, auth) in world.callers.iter().zip(&credentials) {
                n += 1;
                let unique = format!("{tag}{n}");
                let target = match (case.on, place) {
                    (Some(on), Some(place)) => {
                        Some(super::world::target(app, world, on, place, &unique).await)
                    }
                    _ => None,
                };
                let (path, body) = S::request(&case, target.as_ref(), &unique);
                let request_id = format!("{tag}-matrix-{n}");
                let reply =
                    send(app, &case.method, &path, auth.as_deref(), body, &request_id).await;
                let what = format!(
                    "{} {} on the {} record as {}",
                    case.method,
                    case.path,
                    place.unwrap_or("(no)"),
                    caller.name
                );
                if reply.status.is_server_error() {
                    failures.push(format!("{what}: {} {}", reply.status, reply.body));
                    continue;
                }
                if case.changes && reply.status.is_success() {
                    changes.push((request_id, what.clone()));
                }
                let got = class(reply.status);
                match S::expected(caller, place, &case) {
                    Some(want) if got != want => failures.push(format!(
                        "{what}: expected {want:?}, got {} {}",
                        reply.status, reply.body
                    )),
                    Some(_) => {}
                    None => {
                        public_answers.insert(caller.name, reply.status);
                    }
                }
            }
            let distinct: BTreeSet<_> = public_answers.values().collect();
            if distinct.len() > 1 {
                failures.push(format!(
                    "{} {}: a public route answered by caller: {public_answers:?}",
                    case.method, case.path
                ));
            }
        }
    }
    let audited = audited_request_ids(app).await;
    for (request_id, change) in &changes {
        if !audited.contains(request_id) {
            failures.push(format!(
                "{change} changed something but left no audit record"
            ));
        }
    }
    if changes.len() < 20 {
        failures.push(format!(
            "{tag}: the matrix made only {} changes",
            changes.len()
        ));
    }
    failures
}

async fn send(
    app: &TestApp,
    method: &Method,
    path: &str,
    auth: Option<&str>,
    body: SentBody,
    request_id: &str,
) -> Reply {
    let mut request = Request::builder()
        .method(method.clone())
        .uri(path)
        .header("x-request-id", request_id);
    if let Some(auth) = auth {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let body = match body {
        Some((content_type, body)) => {
            request = request.header(header::CONTENT_TYPE, content_type);
            Body::from(body)
        }
        None => Body::empty(),
    };
    app.raw_text(request.body(body).unwrap()).await
}

/// Every route a surface serves under `prefix` that its table has no case for.
pub fn uncovered<R>(prefix: &str, cases: &[Case<R>]) -> Vec<String> {
    let covered: BTreeSet<(String, &str)> = cases
        .iter()
        .map(|c| (c.method.to_string(), c.path))
        .collect();
    tenantry_http::compat::listed_routes()
        .into_iter()
        .filter(|r| r.path.starts_with(prefix))
        .filter(|r| !covered.contains(&(r.method.to_string(), r.path.as_str())))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// Fails with every failure, if any.
pub fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} of the matrix's cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A bearer `Authorization` header.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub const FORM: &str = "application/x-www-form-urlencoded";
pub const JSON: &str = "application/json";
