//! Prometheus metrics at `/metrics`: requests by route template, method and status with a
//! latency histogram, requests in flight, logins and lockouts (counted in core), database
//! connections, the outbox backlog and build info. Labels never carry a concrete path, id or
//! token: only the route's template, so the set of series stays small.
//!
//! The recorder is process-wide (the `metrics` facade has one), installed at first use.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tenantry_core::auth::TokenHash;
use tower::{Layer, Service};

use crate::error::ApiError;
use crate::state::AppState;

const REQUEST_SECONDS: &str = "tenantry_http_request_duration_seconds";

/// Latency buckets from 100 µs to 10 s: most answers take well under a millisecond, logins
/// (password hashing) tens of milliseconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use. Should another recorder have
/// been installed first (an embedding program's), this one still renders, only emptier.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.to_owned()), &BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics shows less");
        }
        metrics::gauge!("tenantry_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    })
}

/// Drains recorded samples into the histograms. Rendering does this too; a server that is
/// never scraped calls it on a timer (`keep_drained`) so samples cannot pile up.
pub fn upkeep() {
    handle().run_upkeep();
}

/// How often `keep_drained` drains. Every request leaves one latency sample queued (about
/// 20 bytes) until a drain: when that was once a minute, a server answering 90,000 requests a
/// second grew by 1.7 MB a second and held over 100 MB before each drain (BENCHMARKS.md,
/// memory). The exporter's own upkeep task runs every five seconds; one second keeps the
/// queue to ~2 MB at that rate, and the samples are sorted into buckets either way.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(1);

/// Drains histogram samples every [`UPKEEP_EVERY`], for as long as it runs: spawn it beside
/// the server, whether or not anything scrapes `/metrics`.
pub async fn keep_drained() {
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    // After a stall, one drain covers what queued meanwhile: no burst of catch-up ticks.
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        upkeep();
    }
}

/// Counts every request once, with its route template, method, status and latency. A plain
/// tower layer rather than `from_fn` middleware: it runs on every request, `/healthz` included,
/// so it boxes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrackLayer;

impl<S> Layer<S> for TrackLayer {
    type Service = Track<S>;

    fn layer(&self, inner: S) -> Track<S> {
        Track { inner }
    }
}

#[derive(Debug, Clone)]
pub struct Track<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for Track<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Tracked<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        let method = method_label(request.method());
        let in_flight = InFlight::enter();
        Tracked {
            inner: self.inner.call(request),
            started: Instant::now(),
            route,
            method,
            in_flight: Some(in_flight),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's answer on its way, recorded when it is ready.
    pub struct Tracked<F> {
        #[pin]
        inner: F,
        started: Instant,
        route: Option<MatchedPath>,
        method: &'static str,
        in_flight: Option<InFlight>,
    }
}

impl<F, E> Future for Tracked<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        this.in_flight.take();
        if let Ok(response) = &output {
            let route = this
                .route
                .as_ref()
                .map_or("(no route)", MatchedPath::as_str);
            Series::record(
                route,
                this.method,
                response.status(),
                this.started.elapsed().as_secs_f64(),
            );
        }
        Poll::Ready(output)
    }
}

/// The request counter and latency histogram of one route template, method and status.
struct Series {
    requests: metrics::Counter,
    seconds: metrics::Histogram,
}

/// Series by route template.
type ByRoute = HashMap<Box<str>, Series>;

thread_local! {
    /// This thread's series, by method and status, then by route template. Looking a series
    /// up in the recorder builds its key from three freshly allocated label strings and hashes
    /// it, twice a request: 3-8 % of the server's CPU in `healthz` (`perf`, on two machines).
    /// Here a request's series is two lookups and no allocation. Routes, methods and statuses
    /// are the server's own short lists, so no client can grow the map. The recorder never
    /// drops a series (no idle timeout is set), so a kept handle stays the one it renders.
    static SERIES: RefCell<HashMap<(&'static str, u16), ByRoute>> = RefCell::new(HashMap::new());
}

impl Series {
    fn record(route: &str, method: &'static str, status: StatusCode, seconds: f64) {
        SERIES.with_borrow_mut(|series| {
            let by_route = series.entry((method, status.as_u16())).or_default();
            match by_route.get(route) {
                Some(series) => series.observe(seconds),
                None => {
                    let series = Series::register(route, method, status);
                    series.observe(seconds);
                    by_route.insert(route.into(), series);
                }
            }
        });
    }

    fn observe(&self, seconds: f64) {
        self.requests.increment(1);
        self.seconds.record(seconds);
    }

    fn register(route: &str, method: &'static str, status: StatusCode) -> Series {
        // Handles taken before the recorder is installed would count nowhere, for good.
        handle();
        let labels = [
            ("route", route.to_owned()),
            ("method", method.to_owned()),
            ("status", status.as_u16().to_string()),
        ];
        Series {
            requests: metrics::counter!("tenantry_http_requests_total", &labels),
            seconds: metrics::histogram!(REQUEST_SECONDS, &labels),
        }
    }
}

/// Counts a request in flight until dropped, also when the client goes away mid-request.
pub struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        in_flight().increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        in_flight().decrement(1.0);
    }
}

/// The requests-in-flight gauge, looked up in the recorder once rather than twice a request.
fn in_flight() -> &'static metrics::Gauge {
    static GAUGE: OnceLock<metrics::Gauge> = OnceLock::new();
    GAUGE.get_or_init(|| {
        handle();
        metrics::gauge!("tenantry_http_requests_in_flight")
    })
}

/// Methods outside the standard set share one label, so clients cannot mint series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    summary = "Prometheus metrics",
    description = "The Prometheus text format: requests by route template, method and status, \
                   latency histograms, requests in flight, logins and lockouts, database \
                   connections, the outbox backlog, build info. Open unless the server was \
                   started with a metrics token, which must then come as `Authorization: \
                   Bearer <token>`.",
    responses(
        (status = 200, description = "The metrics", content_type = "text/plain",
         body = String, example = "tenantry_http_requests_in_flight 1\n"),
        (status = 401, description = "A metrics token is configured and was not sent",
         body = crate::error::ErrorBody),
    )
)]
pub async fn metrics(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &app.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| TokenHash::of(token.trim()));
        if !presented.is_some_and(|p| p.ct_eq(expected)) {
            return ApiError::new(StatusCode::UNAUTHORIZED, "send the metrics token")
                .into_response();
        }
    }
    match crate::health::store_health(&app).await {
        Ok(health) => {
            let busy = health
                .connections_open
                .saturating_sub(health.connections_idle);
            metrics::gauge!("tenantry_db_up").set(1.0);
            metrics::gauge!("tenantry_db_connections", "state" => "idle")
                .set(f64::from(health.connections_idle));
            metrics::gauge!("tenantry_db_connections", "state" => "in_use").set(f64::from(busy));
            metrics::gauge!("tenantry_db_connections_max").set(f64::from(health.connections_max));
            metrics::gauge!("tenantry_db_schema_version").set(health.schema_applied as f64);
            metrics::gauge!("tenantry_mail_outbox_pending").set(health.mail_pending as f64);
        }
        Err(error) => {
            tracing::warn!(%error, "metrics: the database did not answer");
            metrics::gauge!("tenantry_db_up").set(0.0);
        }
    }
    let handle = handle();
    handle.run_upkeep();
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests;
