//! Request rate limits, per client address and per credential, on every route but the probes:
//! a burst is allowed, then a steady rate; past it the answer is 429 with `Retry-After`, in the
//! error format of the surface asked.
//!
//! The limits are per server (in memory): with several servers behind one balancer each allows
//! its share. What must hold across servers — login failures per user and per address — is
//! kept in the database instead (see `tenantry_core::auth::lockout`).
//!
//! Credentials are keyed by a hash of the `Authorization` header, never the header itself.
//! Keys idle for long are forgotten regularly, so a flood of one-off keys cannot grow memory.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tenantry_core::auth::TokenHash;
use tower::{Layer, Service};

use crate::state::AppState;

/// A steady rate with a burst allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

/// The limits to enforce; `None` turns one off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub per_address: Option<Rate>,
    pub per_credential: Option<Rate>,
}

/// The limiters' state, shared by every request of a server.
pub struct Limiters {
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_credential: Option<DefaultKeyedRateLimiter<[u8; 32]>>,
    clock: DefaultClock,
}

impl Limiters {
    pub fn new(limits: RateLimits) -> Arc<Limiters> {
        Arc::new(Limiters {
            per_address: limits.per_address.map(|r| RateLimiter::keyed(r.quota())),
            per_credential: limits.per_credential.map(|r| RateLimiter::keyed(r.quota())),
            clock: DefaultClock::default(),
        })
    }

    /// Forgets keys whose allowance has fully refilled; run now and then.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_address {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_credential {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// How long the caller must wait, if they are over a limit.
    fn check(&self, address: Option<IpAddr>, credential: Option<&[u8]>) -> Option<Duration> {
        let now = self.clock.now();
        if let (Some(limiter), Some(address)) = (&self.per_address, address)
            && let Err(not_until) = limiter.check_key(&address)
        {
            return Some(not_until.wait_time_from(now));
        }
        if let (Some(limiter), Some(credential)) = (&self.per_credential, credential) {
            let key = *TokenHash::of(&String::from_utf8_lossy(credential)).as_bytes();
            if let Err(not_until) = limiter.check_key(&key) {
                return Some(not_until.wait_time_from(now));
            }
        }
        None
    }
}

/// Routes no limit applies to: probes must answer whatever the traffic.
fn exempt(path: &str) -> bool {
    crate::health::PROBES.contains(&path)
}

/// Applies the limits to every request but the probes. A plain tower layer (not `from_fn`
/// middleware), so admitting a request boxes nothing.
#[derive(Clone)]
pub struct RateLimitLayer {
    state: AppState,
}

impl RateLimitLayer {
    pub fn new(state: AppState) -> Self {
        RateLimitLayer { state }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimited<S>;

    fn layer(&self, inner: S) -> RateLimited<S> {
        RateLimited {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RateLimited<S> {
    inner: S,
    state: AppState,
}

impl<S> Service<Request> for RateLimited<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Gate<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if exempt(request.uri().path()) {
            return Gate::Admitted {
                inner: self.inner.call(request),
            };
        }
        let (parts, body) = request.into_parts();
        let address = crate::extract::client_address(&parts, &self.state);
        let credential = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        if let Some(wait) = self.state.limiters.check(address, credential) {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Gate::Refused {
                response: Some(too_many(parts.uri.path(), seconds.max(1))),
            };
        }
        Gate::Admitted {
            inner: self.inner.call(Request::from_parts(parts, body)),
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer to a request: a 429 at once, or whatever the route answers.
    #[project = GateProjection]
    pub enum Gate<F> {
        Refused { response: Option<Response> },
        Admitted { #[pin] inner: F },
    }
}

impl<F, E> Future for Gate<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GateProjection::Refused { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_default()))
            }
            GateProjection::Admitted { inner } => inner.poll(cx),
        }
    }
}

/// 429 in the error format of the surface the path belongs to.
fn too_many(path: &str, retry_after: u64) -> Response {
    let error = tenantry_core::Error::RateLimited { retry_after };
    let mut response = if path.starts_with("/compat/ioto") {
        crate::compat::ioto::error::IotoError::from(error).into_response()
    } else if path.starts_with("/compat/controlbyweb") {
        crate::compat::controlbyweb::error::CbwError::from(error).into_response()
    } else if path.starts_with("/compat/cloud-elements") {
        crate::compat::cloud_elements::error::CeError::from(error).into_response()
    } else {
        crate::error::ApiError::from(error).into_response()
    };
    debug_assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(per_second: u32, burst: u32) -> Option<Rate> {
        Some(Rate {
            per_second: NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        })
    }

    #[test]
    fn bursts_pass_then_the_rate_holds_per_key() {
        let limiters = Limiters::new(RateLimits {
            per_address: rate(1, 3),
            per_credential: rate(1, 2),
        });
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(limiters.check(Some(a), None).is_none());
        }
        let wait = limiters.check(Some(a), None);
        assert!(
            wait.is_some_and(|w| w <= Duration::from_secs(1)),
            "{wait:?}"
        );
        assert!(limiters.check(Some(b), None).is_none());
        assert!(limiters.check(None, Some(b"Bearer x")).is_none());
        assert!(limiters.check(None, Some(b"Bearer x")).is_none());
        assert!(limiters.check(None, Some(b"Bearer x")).is_some());
        assert!(limiters.check(None, Some(b"Bearer y")).is_none());
        assert!(limiters.check(None, None).is_none());
        limiters.forget_idle();
    }
}
