//! The built-in WebSub hub's endpoint on the daemon's listener: the one path whose requests
//! carry a body. It is read here under a size cap ([`MAX_REQUEST_BYTES`]) and a deadline (the
//! header-read timeout), then handed to [`Hub::receive`], which decides the answer. Every other
//! path is `service::respond`'s, which never reads a body.

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::Settings;
use crate::snapshot::Publisher;
use crate::websub::hub::{Hub, MAX_REQUEST_BYTES};

/// Whether `request` is for the hub's endpoint.
pub(super) fn is_for(hub: &Hub, request: &Request<Incoming>) -> bool {
    request.uri().path() == hub.path()
}

/// The answer to a request for the hub's endpoint.
pub(super) async fn answer(
    hub: &Hub,
    snapshots: &Publisher,
    settings: &Settings,
    request: Request<Incoming>,
) -> Response<Bytes> {
    if request.method() != Method::POST {
        let mut response = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed; subscribe with a POST\n".into(),
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_REQUEST_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    let read = Limited::new(body, MAX_REQUEST_BYTES).collect();
    let body = match tokio::time::timeout(settings.header_read_timeout, read).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.is::<LengthLimitError>() => return too_large(),
        Ok(Err(error)) => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read: {error}\n"),
            );
        }
        Err(_) => {
            return plain(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time\n".into(),
            );
        }
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let answer = hub.receive(&snapshots.current(), content_type, &body).await;
    plain(answer.status, answer.text)
}

fn too_large() -> Response<Bytes> {
    plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("a subscription request is at most {MAX_REQUEST_BYTES} bytes\n"),
    )
}

fn plain(status: StatusCode, text: String) -> Response<Bytes> {
    let length = HeaderValue::from(text.len());
    let mut response = Response::new(Bytes::from(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_LENGTH, length);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
