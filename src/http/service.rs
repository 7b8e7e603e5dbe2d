//! Request → response, as a pure function of the current [`Snapshot`]: routing, methods, headers,
//! feed or page (`negotiation`), conditional GET and content coding. No sockets, no clock, no
//! I/O, so every rule is unit-tested directly; the accept loop and hyper wiring live in
//! `http/mod.rs`.
//!
//! Bodies are `Bytes` clones of the snapshot's buffers, so serving a document copies nothing.

use std::time::SystemTime;

use bytes::Bytes;
use hyper::header::{
    ALLOW, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_SECURITY_POLICY as CONTENT_SECURITY_POLICY_HEADER, CONTENT_TYPE, ETAG, HOST, HeaderMap,
    HeaderName, HeaderValue, LAST_MODIFIED, VARY, X_CONTENT_TYPE_OPTIONS,
};
use hyper::{Method, Request, Response, StatusCode, Version};
use percent_encoding::percent_decode_str;

use super::body::Payload;
use super::{Settings, conditional, discovery, encoding, health, media, negotiation};
use crate::config::INDEX_PATH;
use crate::feed::polling;
use crate::format::DocumentKind;
use crate::render::Lifetime;
use crate::render::html::CONTENT_SECURITY_POLICY;
use crate::snapshot::{ServedDocument, ServedMedia, Snapshot, Variant};

/// Where monitors ask whether the last build was clean.
pub const HEALTH_PATH: &str = "/healthz";

const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

/// The whole answer to `request` from `snapshot`. Never fails: every outcome is a response.
pub fn respond(snapshot: &Snapshot, settings: &Settings, request: &Request<()>) -> Response<Bytes> {
    let method = request.method();
    let path = request.uri().path();
    if !host_is_valid(request) {
        return plain(
            method,
            StatusCode::BAD_REQUEST,
            "bad request: an HTTP/1.1 request needs exactly one Host header\n",
        );
    }
    if path == HEALTH_PATH {
        if !is_read(method) {
            return method_not_allowed();
        }
        let (status, body) =
            health::report(snapshot, &settings.publish_status, &settings.deploy_status);
        let mut response = with_body(method, status, body);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(polling::NO_STORE));
        return response;
    }
    let Some(document) = lookup(snapshot, path) else {
        return plain(method, StatusCode::NOT_FOUND, "not found\n");
    };
    if !is_read(method) {
        return method_not_allowed();
    }
    // An address with a page has two representations, and every response from it says what
    // chooses between them, so a cache never hands a reader the page.
    let mut response = match snapshot.view(document.path()) {
        Some(page) if negotiation::wants_page(request.headers()) => {
            serve_document(page, negotiation::VARY, settings, request)
        }
        Some(_) => serve_document(document, negotiation::VARY, settings, request),
        None => serve_document(document, "Accept-Encoding", settings, request),
    };
    discovery::add_links(response.headers_mut(), snapshot, document);
    response
}

/// [`respond`], and the media files published beside the documents: their bodies stay on disk
/// (`media`). A document's path wins over a media file's, which a build never lets them share.
pub fn answer(
    snapshot: &Snapshot,
    settings: &Settings,
    request: &Request<()>,
) -> Response<Payload> {
    let path = request.uri().path();
    if host_is_valid(request) && lookup(snapshot, path).is_none() {
        if let Some(file) = lookup_media(snapshot, path) {
            if !is_read(request.method()) {
                return method_not_allowed().map(Payload::Bytes);
            }
            return media::respond(file, settings, request);
        }
    }
    respond(snapshot, settings, request).map(Payload::Bytes)
}

/// RFC 9112 §3.2: a request with more than one `Host`, or an HTTP/1.1 request with none, is a
/// 400. HTTP/1.0 may omit it.
fn host_is_valid(request: &Request<()>) -> bool {
    match request.headers().get_all(HOST).iter().count() {
        0 => request.version() != Version::HTTP_11,
        1 => true,
        _ => false,
    }
}

fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// Request paths are percent-encoded; document paths are not, and have no leading `/`. The site's
/// root is its index page.
pub(super) fn lookup<'s>(snapshot: &'s Snapshot, path: &str) -> Option<&'s ServedDocument> {
    if path == "/" {
        return snapshot.get(INDEX_PATH);
    }
    let relative = path.strip_prefix('/')?;
    let decoded = percent_decode_str(relative).decode_utf8().ok()?;
    snapshot.get(&decoded)
}

/// The media file at the request path `path`, decoded as [`lookup`] decodes it.
pub(super) fn lookup_media<'s>(snapshot: &'s Snapshot, path: &str) -> Option<&'s ServedMedia> {
    let relative = path.strip_prefix('/')?;
    let decoded = percent_decode_str(relative).decode_utf8().ok()?;
    snapshot.media(&decoded)
}

/// `document` under conditional GET and content coding; `vary` names what chose it.
fn serve_document(
    document: &ServedDocument,
    vary: &'static str,
    settings: &Settings,
    request: &Request<()>,
) -> Response<Bytes> {
    let encoding = encoding::negotiate(request.headers(), |e| document.variant(e).is_some());
    let negotiated = document.variant(encoding).unwrap_or(document.identity());
    let fresh = |variant: &Variant| {
        conditional::not_modified(request.headers(), variant.etag(), document.last_modified())
    };
    // A client holding the uncompressed body of the current bytes (say it fetched while the
    // snapshot was not compressed yet) is told its copy is current, under the tag it holds,
    // rather than sent the same content again in another coding.
    let (variant, not_modified) = if fresh(negotiated) {
        (negotiated, true)
    } else if fresh(document.identity()) {
        (document.identity(), true)
    } else {
        (negotiated, false)
    };

    // The validators and caching headers a 304 must repeat (RFC 9110 §15.4.5).
    let mut validators = HeaderMap::new();
    insert_text(&mut validators, ETAG, variant.etag().as_str());
    let last_modified = httpdate::fmt_http_date(SystemTime::from(document.last_modified()));
    insert_text(&mut validators, LAST_MODIFIED, &last_modified);
    let archived = document.lifetime() == Lifetime::Archived;
    let cache_control = settings.policy().cache_control(archived);
    insert_text(&mut validators, CACHE_CONTROL, &cache_control);
    // Even a document kept only in identity varies: the next snapshot may compress it.
    validators.insert(VARY, HeaderValue::from_static(vary));

    let mut response = if not_modified {
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        full_response(request.method(), document, variant)
    };
    response.headers_mut().extend(validators);
    response
}

/// A 200 with `variant`'s body and what describes it; a page also carries its security policy.
fn full_response(method: &Method, document: &ServedDocument, variant: &Variant) -> Response<Bytes> {
    let mut response = with_body(method, StatusCode::OK, variant.body().clone());
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(document.content_type()),
    );
    if let Some(token) = variant.encoding().token() {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(token));
    }
    if document.kind() == DocumentKind::Page {
        headers.insert(
            CONTENT_SECURITY_POLICY_HEADER,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    }
    response
}

/// A response whose `Content-Length` is `body`'s, and which sends the body only for non-HEAD.
fn with_body(method: &Method, status: StatusCode, body: Bytes) -> Response<Bytes> {
    let length = HeaderValue::from(body.len());
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        body
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_LENGTH, length);
    response
}

fn plain(method: &Method, status: StatusCode, text: &'static str) -> Response<Bytes> {
    let mut response = with_body(method, status, Bytes::from_static(text.as_bytes()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(PLAIN_TEXT));
    response
}

fn method_not_allowed() -> Response<Bytes> {
    let mut response = plain(
        &Method::GET,
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed; use GET or HEAD\n",
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

/// Our header texts are ASCII by construction; a value that is not (an ETag from a faulty
/// renderer) is left out rather than failing the request.
fn insert_text(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    match HeaderValue::from_str(value) {
        Ok(value) => {
            headers.insert(name, value);
        }
        Err(_) => tracing::warn!(header = %name, value, "not a valid header value; left out"),
    }
}

#[cfg(test)]
mod page_tests;
#[cfg(test)]
mod tests;
