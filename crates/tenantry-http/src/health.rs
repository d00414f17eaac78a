//! Liveness: answers without authentication and without touching the database, so a load
//! balancer can tell a running process from a dead one even while the database is down.

use axum::Json;
use serde_json::{Value, json};

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
