//! What stands between a request and [`answer`] (`respond`, and the media files): `/metrics` (`metrics.rs`), the per-client
//! rate limit (`rate_limit.rs`), and counting every answer. These need the client's address
//! or shared state, which the pure `respond` is kept free of.

use std::net::IpAddr;
use std::time::Instant;

use bytes::Bytes;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};

use super::body::Payload;
use super::connection::client_key;
use super::rate_limit::{RateLimiter, retry_after};
use super::{Settings, answer, metrics};
use crate::snapshot::Snapshot;

/// The state the front keeps between requests. Public so the benches can time a request's
/// whole path, [`respond`] and all.
pub struct Front {
    limiter: Option<RateLimiter>,
}

impl Front {
    pub fn new(settings: &Settings) -> Front {
        Front {
            limiter: RateLimiter::new(settings.rate_limit),
        }
    }

    /// The answer to `request` from `peer`.
    pub fn answer(
        &self,
        snapshot: &Snapshot,
        settings: &Settings,
        request: &Request<()>,
        peer: IpAddr,
    ) -> Response<Payload> {
        let endpoint = settings
            .metrics
            .then(|| {
                metrics::endpoint(
                    snapshot,
                    (&settings.publish_status, &settings.deploy_status),
                    request,
                    peer,
                )
            })
            .flatten();
        let response = match endpoint {
            Some(response) => response.map(Payload::Bytes),
            None => self.limited(answer(snapshot, settings, request), request.method(), peer),
        };
        if settings.metrics {
            metrics::record(snapshot, request, &response);
        }
        response
    }

    /// `response`, or a 429 when it costs something and `peer` has used up its allowance. The
    /// response is made first since it is cheap (the body is shared, not copied), and a 304 is
    /// never refused.
    fn limited(
        &self,
        response: Response<Payload>,
        method: &Method,
        peer: IpAddr,
    ) -> Response<Payload> {
        let Some(limiter) = &self.limiter else {
            return response;
        };
        if response.status() == StatusCode::NOT_MODIFIED {
            return response;
        }
        match limiter.take(client_key(peer), Instant::now()) {
            Ok(()) => response,
            Err(wait) => {
                crate::metrics::global().rate_limited();
                too_many_requests(method, retry_after(wait)).map(Payload::Bytes)
            }
        }
    }
}

/// RFC 6585 §4, with the seconds until the next request would be served.
fn too_many_requests(method: &Method, seconds: u64) -> Response<Bytes> {
    let body = format!(
        "too many requests from your address; retry in {seconds} s, \
         and send If-None-Match with the ETag you hold: a 304 is never limited\n"
    );
    let length = HeaderValue::from(body.len());
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(body)
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let headers = response.headers_mut();
    headers.insert(CONTENT_LENGTH, length);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}
