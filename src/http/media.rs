//! The answer to a request for a media file (an episode, an image), as a pure function of the
//! [`ServedMedia`] and the request: the body is a [`FilePart`] that `connection` streams from
//! disk, never compressed, never held in memory.
//!
//! The rules, in RFC 9110's order (§13.2.2):
//! 1. `If-None-Match`, else `If-Modified-Since` (`conditional`): 304 with the validators.
//! 2. `Range` (GET only; §14.2 defines it for no other method), when `If-Range` holds: one range
//!    is a 206 with `Content-Range`, a set no byte of which exists is a 416 with
//!    `Content-Range: bytes */LENGTH`; `range` says how several ranges are answered.
//! 3. Otherwise the whole file, 200.
//!
//! `If-Range` holds when absent, when it is the current strong ETag (strong comparison: a weak
//! tag never matches), or when it is the exact `Last-Modified` date; otherwise the client's
//! partial copy is of other bytes and it gets the whole file. Every answer says
//! `Accept-Ranges: bytes` and carries the strong ETag (a hash of the bytes), `Last-Modified` and
//! `Cache-Control` from the polling policy.

use std::ops::RangeInclusive;
use std::time::SystemTime;

use bytes::Bytes;
use hyper::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderMap,
    HeaderValue, IF_RANGE, LAST_MODIFIED, RANGE, X_CONTENT_TYPE_OPTIONS,
};
use hyper::{Method, Request, Response, StatusCode};

use super::body::{FilePart, Payload};
use super::range::{self, Ranged};
use super::{Settings, conditional};
use crate::snapshot::ServedMedia;

/// The answer to a GET or HEAD of `media`.
pub(super) fn respond(
    media: &ServedMedia,
    settings: &Settings,
    request: &Request<()>,
) -> Response<Payload> {
    let headers = request.headers();
    let validators = validators(media, settings);
    if conditional::not_modified(headers, media.etag(), media.last_modified()) {
        return with_headers(
            StatusCode::NOT_MODIFIED,
            Payload::Bytes(Bytes::new()),
            validators,
        );
    }
    let ranged = match single(headers, RANGE) {
        Some(range) if request.method() == Method::GET && if_range_holds(headers, media) => {
            range::select(range, media.length())
        }
        _ => Ranged::Full,
    };
    match ranged {
        Ranged::Full => part(media, request.method(), None, validators),
        Ranged::Partial(bytes) => part(media, request.method(), Some(bytes), validators),
        Ranged::Unsatisfiable => unsatisfiable(media, validators),
    }
}

/// `ETag`, `Last-Modified`, `Cache-Control` and `Accept-Ranges`: sent with every answer,
/// a 304 included (RFC 9110 §15.4.5).
fn validators(media: &ServedMedia, settings: &Settings) -> HeaderMap {
    let mut headers = HeaderMap::new();
    insert(&mut headers, ETAG, media.etag().as_str());
    let date = httpdate::fmt_http_date(SystemTime::from(media.last_modified()));
    insert(&mut headers, LAST_MODIFIED, &date);
    insert(
        &mut headers,
        CACHE_CONTROL,
        &settings.policy().media_cache_control(),
    );
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers
}

/// The bytes `range` of `media` (within it, as `range::select` gives them) as a 206, or the
/// whole file as a 200. HEAD gets the headers alone.
fn part(
    media: &ServedMedia,
    method: &Method,
    range: Option<RangeInclusive<u64>>,
    mut headers: HeaderMap,
) -> Response<Payload> {
    let total = media.length();
    let (status, start, length) = match range {
        Some(range) => {
            let (start, end) = range.into_inner();
            insert(
                &mut headers,
                CONTENT_RANGE,
                &format!("bytes {start}-{end}/{total}"),
            );
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        None => (StatusCode::OK, 0, total),
    };
    insert(&mut headers, CONTENT_TYPE, media.mime());
    // A file named like a media type but holding HTML must not be run as a page.
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    let payload = if method == Method::HEAD || length == 0 {
        Payload::Bytes(Bytes::new())
    } else {
        Payload::File(FilePart {
            file: media.file().clone(),
            file_length: total,
            start,
            length,
        })
    };
    with_headers(status, payload, headers)
}

fn unsatisfiable(media: &ServedMedia, mut headers: HeaderMap) -> Response<Payload> {
    let total = media.length();
    let text = format!("range not satisfiable: the file is {total} bytes\n");
    insert(&mut headers, CONTENT_RANGE, &format!("bytes */{total}"));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(text.len()));
    let body = Payload::Bytes(Bytes::from(text));
    with_headers(StatusCode::RANGE_NOT_SATISFIABLE, body, headers)
}

/// Whether a `Range` may be honoured: no `If-Range`, or one naming the bytes served now.
fn if_range_holds(headers: &HeaderMap, media: &ServedMedia) -> bool {
    if !headers.contains_key(IF_RANGE) {
        return true;
    }
    let Some(value) = single(headers, IF_RANGE) else {
        return false;
    };
    if value.starts_with('"') {
        return value == media.etag().as_str();
    }
    if value.starts_with("W/") {
        return false;
    }
    // HTTP dates count whole seconds: the date sent as `Last-Modified` is the time cut down.
    let sent = media.last_modified().timestamp();
    httpdate::parse_http_date(value).is_ok_and(|date| {
        date.duration_since(SystemTime::UNIX_EPOCH)
            .is_ok_and(|since| i64::try_from(since.as_secs()) == Ok(sent))
    })
}

/// The one value of `name`, trimmed; `None` when absent, repeated or not text.
fn single(headers: &HeaderMap, name: hyper::header::HeaderName) -> Option<&str> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.to_str().ok().map(str::trim),
        _ => None,
    }
}

fn with_headers(status: StatusCode, body: Payload, headers: HeaderMap) -> Response<Payload> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Header texts are built from the snapshot's values; one that is not a valid header value (a
/// MIME type with a control character) is left out rather than failing the request.
fn insert(headers: &mut HeaderMap, name: hyper::header::HeaderName, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(value) => {
            headers.insert(name, value);
        }
        Err(_) => tracing::warn!(header = %name, value, "not a valid header value; left out"),
    }
}

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
