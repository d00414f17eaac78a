//! Extractors whose failures answer in the native error format, and the authenticated caller.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use tenantry_core::auth::Caller;

use crate::error::ApiError;
use crate::state::AppState;

/// `Json<T>` whose rejections are native error bodies: 400 malformed JSON, 415 wrong content
/// type, 413 too large, 422 well-formed JSON of the wrong shape.
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(AppJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let message = match &rejection {
        JsonRejection::JsonSyntaxError(_) => format!("malformed JSON: {}", rejection.body_text()),
        JsonRejection::MissingJsonContentType(_) => {
            "expected a request body with Content-Type: application/json".to_owned()
        }
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
        _ => rejection.body_text(),
    };
    ApiError::new(status, message)
}

/// `Query<T>` answering 400 in the native format.
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| AppQuery(value))
            .map_err(|rejection: QueryRejection| {
                ApiError::bad_request(format!("invalid query string: {}", rejection.body_text()))
            })
    }
}

/// `Path<T>` answering 400 in the native format (e.g. `/api/accounts/abc`).
pub struct AppPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for AppPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| AppPath(value))
            .map_err(|rejection: PathRejection| {
                ApiError::bad_request(format!("invalid path: {}", rejection.body_text()))
            })
    }
}

/// The request id set by the request-id layer, for audit records.
pub fn request_id(parts: &Parts) -> Option<String> {
    request_id_of(&parts.headers)
}

/// [`request_id`] from the headers alone.
pub fn request_id_of(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The bearer token of `Authorization: Bearer <token>`, if the header has that form.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The authenticated caller. Rejects with 401 when the token is missing, malformed, unknown,
/// expired or revoked, or its user or account is no longer active.
pub struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer_token(parts) else {
            return Err(ApiError::unauthenticated(
                "send a token as Authorization: Bearer <token>",
            ));
        };
        let caller = state
            .services
            .auth
            .authenticate(token, request_id(parts))
            .await?;
        Ok(Authenticated(caller))
    }
}

/// The client's address: the connection's peer, or, when the state trusts a proxy in front, the
/// last address in `X-Forwarded-For`. `None` when neither is known (e.g. in-process tests).
pub fn client_address(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    if state.trust_forwarded_for
        && let Some(forwarded) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .next_back()
    {
        return Some(forwarded);
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Where a login attempt comes from: its request id and the client's address.
pub struct LoginOrigin(pub tenantry_core::services::auth::Origin);

impl FromRequestParts<AppState> for LoginOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(LoginOrigin(tenantry_core::services::auth::Origin {
            request_id: request_id(parts),
            address: client_address(parts, state),
        }))
    }
}
