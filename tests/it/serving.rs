//! HTTP behaviour of the running daemon, seen from a raw client, and over each protocol
//! (HTTP/1.1, h2c, HTTPS with HTTP/1.1 and with HTTP/2) through `protocols`.

use crate::protocols::{Client, each_protocol};
use crate::running::Daemon;
use crate::support::*;

fn daemon() -> (Site, Daemon) {
    let site = Site::sample();
    let daemon = Daemon::start(&site.config());
    (site, daemon)
}

#[test]
fn each_format_has_its_content_type_and_caching_headers() {
    each_protocol(
        Site::sample,
        each_format_has_its_content_type_and_caching_headers_on,
    );
}

fn each_format_has_its_content_type_and_caching_headers_on(daemon: &Client) {
    for (path, kind) in [
        ("/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
    ] {
        let reply = daemon.get(path);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-type"), Some(kind), "{path}");
        assert_eq!(
            reply.header("cache-control"),
            Some("public, max-age=300"),
            "{path}"
        );
        assert_eq!(reply.header("vary"), Some(FEED_VARY), "{path}");
        assert!(
            reply.header("etag").is_some_and(|e| e.starts_with('"')),
            "{path}"
        );
        assert!(reply.header("last-modified").is_some(), "{path}");
        assert_eq!(parse_feed(&reply.body).entries.len(), 10, "{path}");
    }
}

#[test]
fn head_has_the_headers_of_get_and_no_body() {
    each_protocol(Site::sample, head_has_the_headers_of_get_and_no_body_on);
}

fn head_has_the_headers_of_get_and_no_body_on(daemon: &Client) {
    let get = daemon.get("/atom.xml");
    let head = daemon.request("HEAD", "/atom.xml", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    for name in [
        "content-type",
        "content-length",
        "etag",
        "last-modified",
        "cache-control",
    ] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
}

#[test]
fn other_methods_get_405_with_allow_and_unknown_paths_404() {
    each_protocol(
        Site::sample,
        other_methods_get_405_with_allow_and_unknown_paths_404_on,
    );
}

fn other_methods_get_405_with_allow_and_unknown_paths_404_on(daemon: &Client) {
    let post = daemon.request("POST", "/atom.xml", &[("Content-Length", "0")]);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    assert_eq!(daemon.get("/nope.xml").status, 404);
}

#[test]
fn conditional_get_answers_304_with_the_same_validators() {
    each_protocol(
        Site::sample,
        conditional_get_answers_304_with_the_same_validators_on,
    );
}

fn conditional_get_answers_304_with_the_same_validators_on(daemon: &Client) {
    let full = daemon.get("/atom.xml");
    let etag = full.header("etag").unwrap().to_string();
    let modified = full.header("last-modified").unwrap().to_string();
    let by_etag = daemon.request(
        "GET",
        "/atom.xml",
        &[("If-None-Match", &format!("\"other\", {etag}"))],
    );
    assert_eq!(by_etag.status, 304);
    assert!(by_etag.body.is_empty());
    for name in ["etag", "last-modified", "cache-control", "vary"] {
        assert_eq!(by_etag.header(name), full.header(name), "{name}");
    }
    assert_eq!(
        daemon
            .request("GET", "/atom.xml", &[("If-None-Match", "*")])
            .status,
        304
    );
    assert_eq!(
        daemon
            .request(
                "GET",
                "/atom.xml",
                &[("If-None-Match", &format!("W/{etag}"))]
            )
            .status,
        304
    );
    assert_eq!(
        daemon
            .request("GET", "/atom.xml", &[("If-Modified-Since", &modified)])
            .status,
        304
    );
    // If-None-Match takes precedence over If-Modified-Since.
    let mismatch = daemon.request(
        "GET",
        "/atom.xml",
        &[
            ("If-None-Match", "\"other\""),
            ("If-Modified-Since", &modified),
        ],
    );
    assert_eq!(mismatch.status, 200);
    let old = "Mon, 01 Jan 2001 00:00:00 GMT";
    assert_eq!(
        daemon
            .request("GET", "/atom.xml", &[("If-Modified-Since", old)])
            .status,
        200
    );
}

#[test]
fn gzip_and_brotli_are_negotiated_with_q_values() {
    each_protocol(
        Site::sample,
        gzip_and_brotli_are_negotiated_with_q_values_on,
    );
}

fn gzip_and_brotli_are_negotiated_with_q_values_on(daemon: &Client) {
    let identity = daemon.get("/atom.xml");
    let br = daemon.request("GET", "/atom.xml", &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(br.header("content-encoding"), Some("br"));
    let gz = daemon.request(
        "GET",
        "/atom.xml",
        &[("Accept-Encoding", "gzip;q=1, br;q=0.5")],
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gz.body[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, identity.body);
    assert_ne!(
        gz.header("etag"),
        identity.header("etag"),
        "each representation has its own validator"
    );
    let none = daemon.request(
        "GET",
        "/atom.xml",
        &[("Accept-Encoding", "gzip;q=0, br;q=0")],
    );
    assert_eq!(none.header("content-encoding"), None);
    let cached = daemon.request(
        "GET",
        "/atom.xml",
        &[
            ("Accept-Encoding", "gzip"),
            ("If-None-Match", gz.header("etag").unwrap()),
        ],
    );
    assert_eq!(cached.status, 304);
}

#[test]
fn healthz_reports_generation_entries_and_problems() {
    let (_site, daemon) = daemon();
    let reply = daemon.get("/healthz");
    assert_eq!(reply.status, 200);
    let health: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(health["generation"], 1);
    assert_eq!(health["entries"], 10);
    assert_eq!(health["diagnostics"], serde_json::json!([]));
}

#[test]
fn a_client_that_refuses_every_coding_gets_the_document_uncompressed() {
    each_protocol(
        Site::sample,
        a_client_that_refuses_every_coding_gets_the_document_uncompressed_on,
    );
}

/// RFC 9110 §12.5.3 allows 406 or the unencoded document; feedd sends the document.
fn a_client_that_refuses_every_coding_gets_the_document_uncompressed_on(daemon: &Client) {
    let reply = daemon.request(
        "GET",
        "/atom.xml",
        &[("Accept-Encoding", "identity;q=0, *;q=0")],
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.header("vary"), Some(FEED_VARY));
    assert_eq!(parse_feed(&reply.body).entries.len(), 10);
}
