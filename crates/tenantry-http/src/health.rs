//! Probes. Liveness (`/healthz`) answers without authentication and without touching the
//! database, so a load balancer can tell a running process from a dead one even while the
//! database is down. Readiness (`/readyz`) answers 200 only while the database is reachable
//! and has every migration this build needs, so traffic goes to servers that can serve it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use std::time::{Duration, Instant};

use tenantry_core::model::health::StoreHealth;

use crate::state::AppState;

/// Paths no rate limit applies to: probes and scrapers must get through whatever the traffic.
pub const PROBES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    summary = "Liveness probe",
    responses((status = 200, description = "The process is up", body = Object, example = json!({"status": "ok"})))
)]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    summary = "Readiness probe",
    description = "200 while the database answers and has every migration this build needs; \
                   503 otherwise, with the reason. Needs no credentials and reveals nothing \
                   about tenants.",
    responses(
        (status = 200, description = "Ready to serve", body = Object,
         example = json!({"status": "ready", "schema_version": 8})),
        (status = 503, description = "Not ready: the database is unreachable or behind", body = Object,
         example = json!({"status": "not ready", "reason": "the database is unreachable"})),
    )
)]
pub async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Value>) {
    match store_health(&app).await {
        Ok(health) if health.schema_ready() => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "schema_version": health.schema_applied })),
        ),
        Ok(health) => not_ready(format!(
            "the database has schema version {}, this build needs {}",
            health.schema_applied, health.schema_expected
        )),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            not_ready("the database is unreachable".to_owned())
        }
    }
}

/// The store's report, read at most once a second however often probes and scrapers ask:
/// they need no credentials and no rate limit applies to them, so each asking must not cost
/// database work. Callers wait for a read in flight rather than start their own.
pub async fn store_health(app: &AppState) -> tenantry_core::Result<StoreHealth> {
    let mut cached = app.health_cache.lock().await;
    if let Some((read, health)) = cached.as_ref()
        && read.elapsed() < HEALTH_TTL
    {
        return health.clone().ok_or_else(|| {
            tenantry_core::Error::Unavailable("the database did not answer".to_owned())
        });
    }
    let health = app.services.store_health().await;
    *cached = Some((Instant::now(), health.as_ref().ok().cloned()));
    health
}

const HEALTH_TTL: Duration = Duration::from_secs(1);

/// The last store report and when it was read (`None` inside: the read failed).
pub type HealthCache = tokio::sync::Mutex<Option<(Instant, Option<StoreHealth>)>>;

fn not_ready(reason: String) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "not ready", "reason": reason })),
    )
}
