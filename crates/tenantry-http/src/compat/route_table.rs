//! A router that can say which routes it serves. axum's `Router` cannot list its routes, and
//! the authorization matrix must fail when a vendor route is added without a row in its table;
//! so the vendor surfaces build their routers through [`RouteTable`], which records every
//! method and path it routes, prefixes included.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, on};

use crate::state::AppState;

/// The methods the vendor surfaces route; each maps onto axum's filter and the HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Patch => MethodFilter::PATCH,
            Verb::Delete => MethodFilter::DELETE,
        }
    }

    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Put => Method::PUT,
            Verb::Patch => Method::PATCH,
            Verb::Delete => Method::DELETE,
        }
    }
}

/// One routed method and path (a template such as `/accounts/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListedRoute {
    pub method: Method,
    pub path: String,
}

/// A router under construction, with the list of what it routes.
pub struct RouteTable {
    router: Router<AppState>,
    listed: Vec<ListedRoute>,
}

impl Default for RouteTable {
    fn default() -> Self {
        RouteTable {
            router: Router::new(),
            listed: Vec::new(),
        }
    }
}

impl RouteTable {
    /// Routes `verb path` to `handler`. Several verbs on one path merge, as with `Router::route`.
    pub fn route<H, T>(mut self, verb: Verb, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, on(verb.filter(), handler));
        self.listed.push(ListedRoute {
            method: verb.method(),
            path: path.to_owned(),
        });
        self
    }

    /// Mounts `inner` (with its own fallbacks) under `prefix`.
    pub fn nest(mut self, prefix: &str, inner: RouteTable) -> Self {
        self.router = self.router.nest(prefix, inner.router);
        self.listed
            .extend(inner.listed.into_iter().map(|route| ListedRoute {
                method: route.method,
                path: format!("{prefix}{}", route.path),
            }));
        self
    }

    /// Joins two tables whose paths do not overlap.
    pub fn merge(mut self, other: RouteTable) -> Self {
        self.router = self.router.merge(other.router);
        self.listed.extend(other.listed);
        self
    }

    /// Changes the router (fallbacks, layers) without changing what it routes.
    pub fn map_router(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = f(self.router);
        self
    }

    pub fn listed(&self) -> &[ListedRoute] {
        &self.listed
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
