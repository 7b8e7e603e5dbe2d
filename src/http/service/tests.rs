use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use hyper::header::{ACCEPT_ENCODING, IF_MODIFIED_SINCE, IF_NONE_MATCH};

use super::*;
use crate::diagnostic::Diagnostic;
use crate::etag::ETag;
use crate::format::{DocumentKind, Format};
use crate::render::Document;
use crate::snapshot::{Contents, Encoding};

/// Sun, 06 Nov 1994 08:49:37.250 GMT: the fraction must not leak into comparisons.
fn last_modified() -> DateTime<Utc> {
    Utc.timestamp_opt(784_111_777, 250_000_000).unwrap()
}

fn document(path: &str, format: Format, body: String, etag: &str) -> Document {
    Document {
        path: path.into(),
        kind: DocumentKind::Feed(format),
        body: body.into_bytes().into(),
        etag: ETag::from_opaque(etag),
        last_modified: last_modified(),
        lifetime: crate::render::Lifetime::Current,
    }
}

fn atom_body() -> String {
    (0..100)
        .map(|i| format!("<entry><title>post {i}</title></entry>\n"))
        .collect()
}

fn snapshot_with(diagnostics: Vec<Diagnostic>) -> Snapshot {
    let documents = vec![
        document("atom.xml", Format::Atom, atom_body(), "a1"),
        document("tags/café/rss.xml", Format::Rss, atom_body(), "t1"),
        document("tiny.json", Format::Json, "{}".into(), "j1"),
    ];
    let built_at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    let contents = Contents {
        documents,
        views: Vec::new(),
        diagnostics,
        entry_count: 100,
        built_at,
        discovery: None,
    };
    let snapshot = Snapshot::from_build(contents, None);
    snapshot.compressed().unwrap_or(snapshot)
}

fn snapshot() -> Snapshot {
    snapshot_with(vec![])
}

fn settings() -> Settings {
    Settings {
        max_age: 300,
        max_connections: 4,
        header_read_timeout: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(1),
        ..Settings::default()
    }
}

/// An HTTP/1.1 request with a `Host` unless `headers` set their own.
fn request(method: Method, path: &str, headers: &[(HeaderName, &str)]) -> Request<()> {
    let mut builder = Request::builder().method(method).uri(path);
    if !headers.iter().any(|(name, _)| name == HOST) {
        builder = builder.header(HOST, "example.org");
    }
    for (name, value) in headers {
        builder = builder.header(name, *value);
    }
    builder.body(()).unwrap()
}

fn send(method: Method, path: &str, headers: &[(HeaderName, &str)]) -> Response<Bytes> {
    respond(&snapshot(), &settings(), &request(method, path, headers))
}

fn get(path: &str, headers: &[(HeaderName, &str)]) -> Response<Bytes> {
    send(Method::GET, path, headers)
}

fn header(response: &Response<Bytes>, name: HeaderName) -> Option<&str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[test]
fn document_has_type_validators_caching_and_length() {
    let response = get("/atom.xml", &[]);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, CONTENT_TYPE),
        Some(Format::Atom.content_type())
    );
    assert_eq!(header(&response, ETAG), Some("\"a1\""));
    assert_eq!(
        header(&response, LAST_MODIFIED),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );
    assert_eq!(
        header(&response, CACHE_CONTROL),
        Some("public, max-age=300")
    );
    assert_eq!(header(&response, VARY), Some("Accept-Encoding"));
    assert_eq!(header(&response, CONTENT_ENCODING), None);
    assert_eq!(
        header(&response, CONTENT_LENGTH),
        Some(atom_body().len().to_string().as_str())
    );
    assert_eq!(response.body(), atom_body().as_bytes());
}

#[test]
fn body_shares_the_snapshot_buffer() {
    let snapshot = snapshot();
    let response = respond(
        &snapshot,
        &settings(),
        &request(Method::GET, "/atom.xml", &[]),
    );
    let stored = snapshot.get("atom.xml").unwrap().identity().body();
    assert_eq!(response.body().as_ptr(), stored.as_ptr());
}

#[test]
fn head_has_the_get_headers_and_no_body() {
    for (path, accept) in [
        ("/atom.xml", "identity"),
        ("/atom.xml", "gzip"),
        ("/healthz", ""),
    ] {
        let headers = [(ACCEPT_ENCODING, accept)];
        let get = get(path, &headers);
        let head = send(Method::HEAD, path, &headers);
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(head.headers(), get.headers(), "{path}");
        assert!(head.body().is_empty(), "{path}");
        assert_eq!(
            header(&head, CONTENT_LENGTH),
            Some(get.body().len().to_string().as_str())
        );
    }
}

#[test]
fn unknown_paths_are_404_for_any_method() {
    for path in [
        "/",
        "/nope.xml",
        "/atom.xml/",
        "//atom.xml",
        "/ATOM.XML",
        "/tags/",
        "/healthz/",
    ] {
        for method in [Method::GET, Method::POST] {
            let response = send(method.clone(), path, &[]);
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(header(&response, CONTENT_TYPE), Some(PLAIN_TEXT));
            assert_eq!(response.body(), "not found\n");
        }
    }
}

#[test]
fn percent_encoded_paths_and_queries() {
    assert_eq!(get("/tags/caf%C3%A9/rss.xml", &[]).status(), StatusCode::OK);
    assert_eq!(get("/atom%2Exml", &[]).status(), StatusCode::OK);
    assert_eq!(
        get("/tags/caf%FF/rss.xml", &[]).status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/atom.xml?utm_source=reader", &[]).status(),
        StatusCode::OK
    );
}

#[test]
fn other_methods_get_405_with_allow() {
    for path in ["/atom.xml", "/healthz"] {
        for method in [
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::PATCH,
        ] {
            let response = send(method.clone(), path, &[]);
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(header(&response, ALLOW), Some("GET, HEAD"));
        }
    }
}

#[test]
fn accept_encoding_selects_the_stored_encoding() {
    let snapshot = snapshot();
    let doc = snapshot.get("atom.xml").unwrap();
    for (accept, encoding, etag) in [
        ("gzip", Encoding::Gzip, "\"a1-gz\""),
        ("gzip, br", Encoding::Brotli, "\"a1-br\""),
        ("br;q=0.5, gzip", Encoding::Gzip, "\"a1-gz\""),
        ("identity", Encoding::Identity, "\"a1\""),
    ] {
        let response = respond(
            &snapshot,
            &settings(),
            &request(Method::GET, "/atom.xml", &[(ACCEPT_ENCODING, accept)]),
        );
        let variant = doc.variant(encoding).unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, CONTENT_ENCODING),
            encoding.token(),
            "{accept}"
        );
        assert_eq!(header(&response, ETAG), Some(etag), "{accept}");
        assert_eq!(response.body(), variant.body(), "{accept}");
        assert_eq!(
            header(&response, CONTENT_LENGTH),
            Some(variant.body().len().to_string().as_str())
        );
        assert_eq!(header(&response, VARY), Some("Accept-Encoding"), "{accept}");
    }
}

#[test]
fn document_too_small_to_compress_is_sent_as_is_but_still_varies() {
    let response = get("/tiny.json", &[(ACCEPT_ENCODING, "br, gzip")]);
    assert_eq!(header(&response, CONTENT_ENCODING), None);
    assert_eq!(header(&response, ETAG), Some("\"j1\""));
    assert_eq!(header(&response, VARY), Some("Accept-Encoding"));
    assert_eq!(response.body(), "{}");
}

fn assert_not_modified(response: &Response<Bytes>, etag: &str) {
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(response, ETAG), Some(etag));
    assert_eq!(
        header(response, LAST_MODIFIED),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );
    assert_eq!(header(response, CACHE_CONTROL), Some("public, max-age=300"));
    assert_eq!(header(response, VARY), Some("Accept-Encoding"));
    assert_eq!(header(response, CONTENT_LENGTH), None);
    assert!(response.body().is_empty());
}

#[test]
fn if_none_match_gives_304_for_the_current_tag() {
    for inm in ["\"a1\"", "\"zz\", \"a1\"", "W/\"a1\"", "*"] {
        assert_not_modified(&get("/atom.xml", &[(IF_NONE_MATCH, inm)]), "\"a1\"");
        assert_not_modified(
            &send(Method::HEAD, "/atom.xml", &[(IF_NONE_MATCH, inm)]),
            "\"a1\"",
        );
    }
    for inm in ["\"zz\"", "\"a1-gz\"", "W/\"a2\""] {
        assert_eq!(
            get("/atom.xml", &[(IF_NONE_MATCH, inm)]).status(),
            StatusCode::OK,
            "{inm}"
        );
    }
}

#[test]
fn if_none_match_compares_with_the_negotiated_representation() {
    let gzip = (ACCEPT_ENCODING, "gzip");
    assert_not_modified(
        &get("/atom.xml", &[gzip.clone(), (IF_NONE_MATCH, "\"a1-gz\"")]),
        "\"a1-gz\"",
    );
    // A proxy may weaken the tag it stored; weak comparison still matches.
    assert_not_modified(
        &get("/atom.xml", &[gzip.clone(), (IF_NONE_MATCH, "W/\"a1-gz\"")]),
        "\"a1-gz\"",
    );
    // The client holds the current bytes uncompressed and now accepts gzip: its copy is
    // current, so it gets a 304 under the tag it holds, not the same content again.
    let response = get("/atom.xml", &[gzip.clone(), (IF_NONE_MATCH, "\"a1\"")]);
    assert_not_modified(&response, "\"a1\"");
    // A stale tag still gets the negotiated body.
    let response = get("/atom.xml", &[gzip, (IF_NONE_MATCH, "\"old\"")]);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CONTENT_ENCODING), Some("gzip"));
}

#[test]
fn if_modified_since_before_equal_after() {
    let ims = |date: &str| get("/atom.xml", &[(IF_MODIFIED_SINCE, date)]);
    assert_eq!(
        ims("Sun, 06 Nov 1994 08:49:36 GMT").status(),
        StatusCode::OK
    );
    assert_not_modified(&ims("Sun, 06 Nov 1994 08:49:37 GMT"), "\"a1\"");
    assert_not_modified(&ims("Mon, 07 Nov 1994 00:00:00 GMT"), "\"a1\"");
    assert_eq!(ims("not a date").status(), StatusCode::OK);
}

#[test]
fn echoed_last_modified_gives_304_despite_sub_second_modification_time() {
    let first = get("/atom.xml", &[]);
    let echoed = header(&first, LAST_MODIFIED).unwrap().to_string();
    assert_not_modified(&get("/atom.xml", &[(IF_MODIFIED_SINCE, &echoed)]), "\"a1\"");
}

#[test]
fn if_none_match_takes_precedence_over_if_modified_since() {
    let after = (IF_MODIFIED_SINCE, "Mon, 07 Nov 1994 00:00:00 GMT");
    let response = get("/atom.xml", &[(IF_NONE_MATCH, "\"old\""), after]);
    assert_eq!(response.status(), StatusCode::OK);
    let before = (IF_MODIFIED_SINCE, "Sat, 01 Jan 1994 00:00:00 GMT");
    assert_not_modified(
        &get("/atom.xml", &[(IF_NONE_MATCH, "\"a1\""), before]),
        "\"a1\"",
    );
}

#[test]
fn healthz_is_200_when_clean_and_never_cached() {
    let response = get("/healthz", &[]);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CACHE_CONTROL), Some("no-store"));
    assert_eq!(header(&response, CONTENT_TYPE), Some("application/json"));
    let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["generation"], 1);
    assert_eq!(json["documents"], 3);
    assert_eq!(json["entries"], 100);
}

#[test]
fn healthz_is_503_with_diagnostics() {
    let snapshot = snapshot_with(vec![Diagnostic::at_line("feed-src/a.md", 1, "no title")]);
    let response = respond(
        &snapshot,
        &settings(),
        &request(Method::GET, "/healthz", &[]),
    );
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&response, CACHE_CONTROL), Some("no-store"));
    let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(json["status"], "error");
    assert_eq!(
        json["diagnostics"],
        serde_json::json!(["feed-src/a.md:1: no title"])
    );
}

#[test]
fn http_1_1_without_exactly_one_host_is_a_400() {
    let mut request = request(Method::GET, "/atom.xml", &[]);
    request.headers_mut().remove(HOST);
    let response = respond(&snapshot(), &settings(), &request);
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    *request.version_mut() = Version::HTTP_10;
    let response = respond(&snapshot(), &settings(), &request);
    assert_eq!(response.status(), StatusCode::OK, "HTTP/1.0 may omit Host");

    let mut request = request_with_two_hosts();
    let response = respond(&snapshot(), &settings(), &request);
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    *request.version_mut() = Version::HTTP_10;
    let response = respond(&snapshot(), &settings(), &request);
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

fn request_with_two_hosts() -> Request<()> {
    let mut request = request(Method::GET, "/atom.xml", &[]);
    request
        .headers_mut()
        .append(HOST, HeaderValue::from_static("other.example"));
    request
}

#[test]
fn archive_pages_are_cached_long_and_immutable_the_rest_briefly() {
    let mut archived = document("archive/2024-05/atom.xml", Format::Atom, atom_body(), "p1");
    archived.lifetime = crate::render::Lifetime::Archived;
    let contents = Contents {
        documents: vec![
            archived,
            document("atom.xml", Format::Atom, atom_body(), "a1"),
        ],
        built_at: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
        ..Contents::default()
    };
    let snapshot = Snapshot::from_build(contents, None);
    let settings = Settings {
        archive_max_age: 86_400,
        ..settings()
    };
    let cache_control = |path: &str, headers: &[(HeaderName, &str)]| {
        let response = respond(&snapshot, &settings, &request(Method::GET, path, headers));
        header(&response, CACHE_CONTROL).map(str::to_owned)
    };
    let archive = "/archive/2024-05/atom.xml";
    let immutable = Some("public, max-age=86400, immutable".to_owned());
    assert_eq!(cache_control(archive, &[]), immutable);
    let revalidated = respond(
        &snapshot,
        &settings,
        &request(Method::GET, archive, &[(IF_NONE_MATCH, "\"p1\"")]),
    );
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        header(&revalidated, CACHE_CONTROL).map(str::to_owned),
        immutable,
        "a 304 repeats it"
    );
    assert_eq!(
        cache_control("/atom.xml", &[]),
        Some("public, max-age=300".to_owned())
    );
}

#[test]
fn feed_responses_name_each_hub_and_themselves_in_link_headers_and_pages_do_not() {
    let plain = get("/atom.xml", &[]);
    assert_eq!(
        plain.headers().get_all(hyper::header::LINK).iter().count(),
        0
    );

    let mut contents = Contents {
        documents: vec![
            document("tags/café/rss.xml", Format::Rss, atom_body(), "t1"),
            Document {
                kind: DocumentKind::Page,
                ..document("index.html", Format::Rss, "<p>hi</p>".into(), "p1")
            },
        ],
        ..Contents::default()
    };
    contents.discovery = Some(crate::snapshot::Discovery {
        base_url: url::Url::parse("https://example.org/blog/").unwrap(),
        hubs: vec![
            url::Url::parse("https://example.org/blog/websub").unwrap(),
            url::Url::parse("https://hub.example/").unwrap(),
        ],
    });
    let snapshot = Snapshot::from_build(contents, None);
    let links = |response: &Response<Bytes>| -> Vec<String> {
        (response.headers().get_all(hyper::header::LINK).iter())
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };
    let feed = respond(
        &snapshot,
        &settings(),
        &request(Method::GET, "/tags/caf%C3%A9/rss.xml", &[]),
    );
    let expected = [
        "<https://example.org/blog/websub>; rel=\"hub\"",
        "<https://hub.example/>; rel=\"hub\"",
        "<https://example.org/blog/tags/caf%C3%A9/rss.xml>; rel=\"self\"",
    ];
    assert_eq!(links(&feed), expected);
    let etag = header(&feed, ETAG).unwrap().to_owned();
    let revalidated = respond(
        &snapshot,
        &settings(),
        &request(
            Method::GET,
            "/tags/caf%C3%A9/rss.xml",
            &[(IF_NONE_MATCH, &etag)],
        ),
    );
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(links(&revalidated), expected, "a 304 names them too");
    let page = respond(
        &snapshot,
        &settings(),
        &request(Method::GET, "/index.html", &[]),
    );
    assert_eq!(page.status(), StatusCode::OK);
    assert!(links(&page).is_empty());
}
