//! Serving pages: the index at `/`, and a feed's address answering a browser's navigation with
//! the feed's page while every other client gets the feed, each representation with its own
//! validators.

use chrono::{TimeZone, Utc};
use hyper::header::CONTENT_SECURITY_POLICY;

use super::*;
use crate::etag::ETag;
use crate::format::{DocumentKind, Format};
use crate::render::Document;
use crate::snapshot::Contents;

const FEED: &str = "<feed><entry><title>one</title></entry></feed>\n";
const PAGE: &str = "<!DOCTYPE html><title>one</title>\n";
const FEED_TAG: &str = "\"feed\"";
const PAGE_TAG: &str = "\"page\"";

fn document(path: &str, kind: DocumentKind, body: &str, etag: &str) -> Document {
    Document {
        path: path.into(),
        kind,
        body: body.as_bytes().to_vec().into(),
        etag: ETag::from_opaque(etag),
        last_modified: Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap(),
        lifetime: crate::render::Lifetime::Current,
    }
}

/// `atom.xml` with a page, `rss.xml` without one, and the index (unless `index` is false).
fn snapshot(index: bool) -> Snapshot {
    snapshot_with_page(index, PAGE)
}

fn snapshot_with_page(index: bool, page: &str) -> Snapshot {
    let atom = DocumentKind::Feed(Format::Atom);
    let mut documents = vec![
        document("atom.xml", atom, FEED, "feed"),
        document("rss.xml", DocumentKind::Feed(Format::Rss), FEED, "rss"),
    ];
    if index {
        documents.push(document("index.html", DocumentKind::Page, PAGE, "index"));
    }
    let contents = Contents {
        documents,
        views: vec![document("atom.xml", DocumentKind::Page, page, "page")],
        built_at: Utc.with_ymd_and_hms(2024, 5, 2, 0, 0, 0).unwrap(),
        ..Contents::default()
    };
    Snapshot::from_build(contents, None)
}

const BROWSER: &[(&str, &str)] = &[
    (
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-dest", "document"),
    ("sec-fetch-site", "none"),
];
const READER: &[(&str, &str)] = &[("accept", "application/atom+xml,*/*;q=0.1")];

fn get_from(
    snapshot: &Snapshot,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Response<Bytes> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, "example.org");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let settings = Settings {
        max_age: 60,
        ..Settings::default()
    };
    respond(snapshot, &settings, &builder.body(()).unwrap())
}

fn get(path: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    get_from(&snapshot(true), Method::GET, path, headers)
}

fn header<'r>(response: &'r Response<Bytes>, name: &HeaderName) -> Option<&'r str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[test]
fn the_root_is_the_index_page_with_a_strict_policy() {
    for path in ["/", "/index.html"] {
        let response = get(path, &[]);
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.body(), PAGE.as_bytes());
        assert_eq!(
            header(&response, &CONTENT_TYPE),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            header(&response, &CONTENT_SECURITY_POLICY),
            Some(crate::render::html::CONTENT_SECURITY_POLICY)
        );
        assert_eq!(header(&response, &X_CONTENT_TYPE_OPTIONS), Some("nosniff"));
        assert_eq!(
            header(&response, &VARY),
            Some("Accept-Encoding"),
            "one representation"
        );
    }
    let without = get_from(&snapshot(false), Method::GET, "/", &[]);
    assert_eq!(
        without.status(),
        StatusCode::NOT_FOUND,
        "no index configured"
    );
}

#[test]
fn a_browser_navigation_gets_the_page_and_everyone_else_the_feed() {
    let page = get("/atom.xml", BROWSER);
    assert_eq!(page.body(), PAGE.as_bytes());
    assert_eq!(
        header(&page, &CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&page, &ETAG), Some(PAGE_TAG));
    assert!(header(&page, &CONTENT_SECURITY_POLICY).is_some());
    for headers in [READER, &[], &[("accept", "*/*")]] {
        let feed = get("/atom.xml", headers);
        assert_eq!(feed.body(), FEED.as_bytes(), "{headers:?}");
        assert_eq!(
            header(&feed, &CONTENT_TYPE),
            Some(Format::Atom.content_type())
        );
        assert_eq!(header(&feed, &ETAG), Some(FEED_TAG));
        assert_eq!(header(&feed, &CONTENT_SECURITY_POLICY), None);
    }
    for response in [&page, &get("/atom.xml", READER)] {
        assert_eq!(header(response, &VARY), Some(negotiation::VARY));
    }
}

#[test]
fn a_feed_without_a_page_is_the_feed_for_browsers_too() {
    let response = get("/rss.xml", BROWSER);
    assert_eq!(response.body(), FEED.as_bytes());
    assert_eq!(header(&response, &VARY), Some("Accept-Encoding"));
}

#[test]
fn each_representation_is_revalidated_by_its_own_etag() {
    let with = |headers: &[(&'static str, &'static str)], tag: &'static str| {
        let mut all = headers.to_vec();
        all.push(("if-none-match", tag));
        get("/atom.xml", &all)
    };
    let page_fresh = with(BROWSER, PAGE_TAG);
    assert_eq!(page_fresh.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&page_fresh, &ETAG), Some(PAGE_TAG));
    assert_eq!(header(&page_fresh, &VARY), Some(negotiation::VARY));
    let page_for_feed_tag = with(BROWSER, FEED_TAG);
    assert_eq!(page_for_feed_tag.status(), StatusCode::OK);
    assert_eq!(page_for_feed_tag.body(), PAGE.as_bytes());
    let feed_for_page_tag = with(READER, PAGE_TAG);
    assert_eq!(feed_for_page_tag.status(), StatusCode::OK);
    assert_eq!(feed_for_page_tag.body(), FEED.as_bytes());
    assert_eq!(with(READER, FEED_TAG).status(), StatusCode::NOT_MODIFIED);
}

#[test]
fn pages_are_compressed_and_head_matches_get() {
    let long_page = PAGE.repeat(100);
    let snapshot = snapshot_with_page(true, &long_page);
    let compressed = snapshot.compressed().expect("the page is compressed");
    let mut headers = BROWSER.to_vec();
    headers.push(("accept-encoding", "gzip"));
    let get = get_from(&compressed, Method::GET, "/atom.xml", &headers);
    let head = get_from(&compressed, Method::HEAD, "/atom.xml", &headers);
    assert_eq!(head.headers(), get.headers());
    assert!(head.body().is_empty());
    assert_eq!(
        header(&get, &CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&get, &CONTENT_ENCODING), Some("gzip"));
    assert_eq!(header(&get, &ETAG), Some("\"page-gz\""));
}
