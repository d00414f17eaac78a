//! The whole HTTP application: every surface plus the layers they share.

use std::any::Any;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::error::ApiError;
use crate::native;
use crate::state::AppState;

/// Builds the application. The caller serves it (see the `tenantry` binary), or drives it with
/// `tower::ServiceExt::oneshot` in tests.
pub fn router(state: AppState) -> Router {
    let limits = state.limits;
    // Installed before the first request, so nothing is recorded into the void.
    crate::metrics::handle();
    let (native, _) = native::routes();
    let native = native
        .merge(crate::compat::routes().into_router())
        .merge(crate::pages::router())
        .merge(api_docs());
    let layers = ServiceBuilder::new()
        // Honour a client's X-Request-Id if it is a sane token, else make one; echo it back.
        .layer(axum::middleware::map_request(drop_unusable_request_id))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        // One span per request carrying the request id. Neither headers nor the concrete path
        // are logged, only the route's template: some vendor routes carry a token in the path
        // (ControlByWeb's `DELETE …/tokens/{token}`), and tokens are never logged.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("(no route)", MatchedPath::as_str);
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        route = %route,
                        request_id = %request_id,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        // A bug must cost one request a 500, never the connection or the process.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ));
    native
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this route does not support that method",
            )
        })
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(crate::rate_limit::RateLimitLayer::new(state.clone()))
        .layer(layers)
        // Outermost, so every answer is counted: rate-limited, timed out, or a caught panic.
        .layer(crate::metrics::TrackLayer)
        .with_state(state)
}

/// Swagger UI at `/api/docs`, reading the served `/api/openapi.json`. Its assets are compiled
/// into the binary (vendored from crates.io), so the page works with no internet access.
fn api_docs() -> Router<AppState> {
    SwaggerUi::new("/api/docs")
        .config(SwaggerConfig::new(["/api/openapi.json"]))
        .into()
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Client-chosen request ids end up in logs and audit records, so only short ids of plain
/// characters are kept; anything else is replaced by a generated one.
async fn drop_unusable_request_id<B>(mut request: Request<B>) -> Request<B> {
    let usable = request.headers().get(&REQUEST_ID).map(|value| {
        let bytes = value.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= 128
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    });
    if usable == Some(false) {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}
