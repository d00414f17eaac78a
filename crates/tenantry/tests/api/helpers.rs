//! `TestApp`: the real router over a fresh database, with typed request helpers.

use std::any::Any;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tenantry_core::auth::HashParams;
use tenantry_core::model::Actor;
use tenantry_core::services::{ServiceConfig, Services};
use tenantry_core::store::Store;
use tenantry_core::values::{Text, TextLimit};
use tenantry_http::{AppState, HttpLimits};
use tenantry_store_postgres::{PostgresOptions, PostgresStore, test_support};
use tenantry_store_sqlite::SqliteStore;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    router: Router,
    /// A service owner token.
    pub owner: String,
    /// The store underneath, for reading what the API does not show (the outbox's tokens).
    pub store: Arc<dyn Store>,
    _keep_alive: Box<dyn Any + Send + Sync>,
}

/// A response: status, selected headers and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    #[track_caller]
    pub fn expect(self, status: StatusCode) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }

    /// Asserts a native error body with this status and code.
    #[track_caller]
    pub fn expect_error(self, status: StatusCode, code: &str) -> Value {
        let body = self.expect(status);
        assert_eq!(body["code"], code, "error body: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        body
    }
}

/// Generates, for each named `async fn(TestApp)`, one test on SQLite and one on PostgreSQL
/// (skipped unless `TENANTRY_TEST_POSTGRES_URL` is set).
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::helpers::TestApp::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    if let Some(app) = $crate::helpers::TestApp::postgres().await {
                        super::$test(app).await;
                    }
                }
            )*
        }
    };
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::sqlite_with(|state| state).await
    }

    /// A SQLite app whose HTTP state `configure` adjusts (limits, trusted proxies).
    pub async fn sqlite_with(configure: impl FnOnce(AppState) -> AppState) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("api.db").display());
        let store = Arc::new(SqliteStore::connect(&url).await.unwrap());
        Self::over_with(store, Box::new(dir), configure).await
    }

    /// `None` (skip) unless `TENANTRY_TEST_POSTGRES_URL` is set; a schema of its own otherwise.
    pub async fn postgres() -> Option<TestApp> {
        let url = test_support::test_url()?;
        let (scoped, guard) = test_support::fresh_schema(&url).await;
        let options = PostgresOptions {
            pool_size: 8,
            ..PostgresOptions::default()
        };
        let store = Arc::new(PostgresStore::connect(&scoped, &options).await.unwrap());
        Some(Self::over(store, Box::new(guard)).await)
    }

    /// An app over a store the test opened itself (to look at the same database from outside).
    pub async fn over_store(store: Arc<dyn Store>) -> TestApp {
        Self::over(store, Box::new(())).await
    }

    async fn over(store: Arc<dyn Store>, keep_alive: Box<dyn Any + Send + Sync>) -> TestApp {
        Self::over_with(store, keep_alive, |state| state).await
    }

    async fn over_with(
        store: Arc<dyn Store>,
        keep_alive: Box<dyn Any + Send + Sync>,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let hasher =
            tenantry_core::auth::PasswordHasher::new(HashParams::INSECURE_FAST_FOR_TESTS, 4)
                .unwrap();
        let services = Services::new(
            store.clone(),
            Arc::new(tenantry_core::clock::SystemClock),
            hasher,
            ServiceConfig::default(),
        );
        let (_, secret) = services
            .service_tokens
            .create(
                Actor::Cli,
                Text::parse("tests", TextLimit::TOKEN_NAME).unwrap(),
                None,
            )
            .await
            .unwrap();
        let state = configure(AppState::new(services, HttpLimits::default()));
        let router = tenantry_http::router(state);
        TestApp {
            router,
            owner: secret.expose().to_owned(),
            store,
            _keep_alive: keep_alive,
        }
    }

    pub async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("non-JSON body: {}", String::from_utf8_lossy(&bytes)))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Like [`TestApp::raw`], but a body that is not JSON comes back as a JSON string.
    pub async fn raw_text(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.call_traced(method, path, token, body, None).await
    }

    /// Like [`TestApp::call`], for routes that may answer other than JSON (see
    /// [`TestApp::raw_text`]).
    pub async fn call_text(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.raw_text(request(method, path, token, body, None))
            .await
    }

    /// Like [`TestApp::call`], sending `X-Request-Id: request_id` when given.
    pub async fn call_traced(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        request_id: Option<&str>,
    ) -> Reply {
        self.raw(request(method, path, token, body, request_id))
            .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Creates an account as the service owner; returns its id.
    pub async fn account(&self, parent: Option<i64>, name: &str, seats: i64) -> i64 {
        let body = json!({ "parent_id": parent, "name": name, "device_seats": seats });
        self.post("/api/accounts", &self.owner, body)
            .await
            .expect(StatusCode::CREATED)["id"]
            .as_i64()
            .unwrap()
    }

    /// Creates a user with [`PASSWORD`] as the service owner and logs in; returns (id, token).
    pub async fn user(&self, account: i64, email: &str, role: &str) -> (i64, String) {
        let body = json!({ "email": email, "role": role, "password": PASSWORD });
        let id = self
            .post(&format!("/api/accounts/{account}/users"), &self.owner, body)
            .await
            .expect(StatusCode::CREATED)["id"]
            .as_i64()
            .unwrap();
        (id, self.login(email).await)
    }

    pub async fn login(&self, email: &str) -> String {
        let body = json!({ "email": email, "password": PASSWORD });
        let reply = self
            .call(Method::POST, "/api/auth/login", None, Some(body))
            .await
            .expect(StatusCode::OK);
        reply["access_token"].as_str().unwrap().to_owned()
    }
}

impl TestApp {
    /// The token in the newest mail of `kind` ("invitation", "verify_email", "password_reset")
    /// to `recipient`, read from the outbox as the dispatcher would.
    pub async fn mailed_token(&self, kind: &str, recipient: &str) -> String {
        let filter = tenantry_core::model::mail::MailFilter {
            limit: 500,
            ..Default::default()
        };
        self.store
            .mails(None, &filter)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.kind.as_str() == kind && m.recipient == recipient)
            .and_then(|m| m.token)
            .unwrap_or_else(|| panic!("no {kind} mail with a token to {recipient}"))
    }
}

/// A request with an optional bearer token, JSON body and request id.
fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    request_id: Option<&str>,
) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    request.unwrap()
}
