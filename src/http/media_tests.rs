use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use hyper::header::HeaderName;

use super::*;
use crate::etag::ETag;
use crate::http::answer;
use crate::snapshot::{Contents, Snapshot};

const LENGTH: u64 = 1000;
/// Sun, 06 Nov 1994 08:49:37 GMT
const MODIFIED: u64 = 784_111_777;
const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

fn media() -> ServedMedia {
    ServedMedia::new(
        "episodes/one.mp3".into(),
        PathBuf::from("/state/media/abc"),
        ETag::of(b"the bytes"),
        LENGTH,
        "audio/mpeg".into(),
        // The file's time has nanoseconds; the date sent has whole seconds.
        UNIX_EPOCH + Duration::from_secs(MODIFIED) + Duration::from_nanos(123_456_789),
    )
}

fn tag() -> String {
    ETag::of(b"the bytes").as_str().to_owned()
}

fn request(method: Method, headers: &[(&str, &str)]) -> Request<()> {
    let mut builder = Request::builder()
        .method(method)
        .uri("/episodes/one.mp3")
        .header("host", "example.org");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

fn get(headers: &[(&str, &str)]) -> Response<Payload> {
    respond(
        &media(),
        &Settings::default(),
        &request(Method::GET, headers),
    )
}

fn header<'r>(response: &'r Response<Payload>, name: &str) -> Option<&'r str> {
    let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

/// The file part a response sends: (start, length).
fn sent(response: &Response<Payload>) -> Option<(u64, u64)> {
    match response.body() {
        Payload::File(part) => {
            assert_eq!(part.file_length, LENGTH);
            assert_eq!(&*part.file, std::path::Path::new("/state/media/abc"));
            Some((part.start, part.length))
        }
        Payload::Bytes(bytes) => {
            assert!(bytes.is_empty() || response.status() == StatusCode::RANGE_NOT_SATISFIABLE);
            None
        }
    }
}

#[test]
fn a_get_is_the_whole_file_streamed_with_its_validators() {
    let response = get(&[("accept-encoding", "gzip, br")]);
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(sent(&response), Some((0, LENGTH)));
    assert_eq!(header(&response, "content-length"), Some("1000"));
    assert_eq!(header(&response, "content-type"), Some("audio/mpeg"));
    assert_eq!(header(&response, "accept-ranges"), Some("bytes"));
    assert_eq!(header(&response, "etag"), Some(tag().as_str()));
    assert_eq!(header(&response, "last-modified"), Some(DATE));
    assert_eq!(
        header(&response, "cache-control"),
        Some("public, max-age=300")
    );
    assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
    assert_eq!(
        header(&response, "content-encoding"),
        None,
        "never compressed"
    );
    assert_eq!(header(&response, "content-range"), None);
}

#[test]
fn one_range_is_a_206_with_its_content_range() {
    let table: &[(&str, (u64, u64), &str)] = &[
        ("bytes=10-19", (10, 10), "bytes 10-19/1000"),
        ("bytes=0-", (0, 1000), "bytes 0-999/1000"),
        ("bytes=-100", (900, 100), "bytes 900-999/1000"),
        ("bytes=990-5000", (990, 10), "bytes 990-999/1000"),
        ("bytes=0-9,10-19", (0, 20), "bytes 0-19/1000"),
    ];
    for (range, part, content_range) in table {
        let response = get(&[("range", range)]);
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(sent(&response), Some(*part), "{range}");
        assert_eq!(header(&response, "content-range"), Some(*content_range));
        let length = part.1.to_string();
        assert_eq!(header(&response, "content-length"), Some(length.as_str()));
        assert_eq!(header(&response, "etag"), Some(tag().as_str()));
        assert_eq!(header(&response, "content-type"), Some("audio/mpeg"));
    }
}

#[test]
fn an_unsatisfiable_range_is_a_416_naming_the_length() {
    for range in ["bytes=1000-", "bytes=-0", "bytes=5000-6000, 2000-"] {
        let response = get(&[("range", range)]);
        assert_eq!(
            response.status(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            "{range}"
        );
        assert_eq!(header(&response, "content-range"), Some("bytes */1000"));
        assert_eq!(sent(&response), None);
        let Payload::Bytes(body) = response.body() else {
            panic!("a 416 has a short text body")
        };
        let length = body.len().to_string();
        assert_eq!(header(&response, "content-length"), Some(length.as_str()));
    }
}

#[test]
fn malformed_or_several_disjoint_ranges_get_the_whole_file() {
    for range in ["bytes=5-4", "items=0-1", "bytes=0-1,5-6", "bytes=x"] {
        let response = get(&[("range", range)]);
        assert_eq!(response.status(), StatusCode::OK, "{range}");
        assert_eq!(sent(&response), Some((0, LENGTH)), "{range}");
        assert_eq!(header(&response, "content-range"), None);
    }
    let twice = get(&[("range", "bytes=0-1"), ("range", "bytes=2-3")]);
    assert_eq!(twice.status(), StatusCode::OK);
}

#[test]
fn if_range_honours_the_range_only_for_the_current_bytes() {
    let strong = tag();
    let weak = format!("W/{strong}");
    let table: &[(&str, StatusCode)] = &[
        (strong.as_str(), StatusCode::PARTIAL_CONTENT),
        ("\"other\"", StatusCode::OK),
        (weak.as_str(), StatusCode::OK),
        (DATE, StatusCode::PARTIAL_CONTENT),
        ("Sun, 06 Nov 1994 08:49:38 GMT", StatusCode::OK),
        ("Sun, 06 Nov 1994 08:49:36 GMT", StatusCode::OK),
        ("yesterday", StatusCode::OK),
    ];
    for (if_range, want) in table {
        let response = get(&[("range", "bytes=0-9"), ("if-range", if_range)]);
        assert_eq!(response.status(), *want, "If-Range: {if_range}");
    }
    // Without a Range, If-Range changes nothing.
    assert_eq!(get(&[("if-range", "\"other\"")]).status(), StatusCode::OK);
}

#[test]
fn conditional_requests_get_a_304_before_any_range() {
    let strong = tag();
    for headers in [
        vec![("if-none-match", strong.as_str())],
        vec![("if-none-match", strong.as_str()), ("range", "bytes=0-9")],
        vec![("if-modified-since", DATE)],
    ] {
        let response = get(&headers);
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{headers:?}");
        assert_eq!(sent(&response), None);
        assert_eq!(header(&response, "etag"), Some(strong.as_str()));
        assert_eq!(
            header(&response, "cache-control"),
            Some("public, max-age=300")
        );
        assert_eq!(header(&response, "content-range"), None);
    }
    let changed = get(&[("if-none-match", "\"other\""), ("range", "bytes=0-9")]);
    assert_eq!(changed.status(), StatusCode::PARTIAL_CONTENT);
}

#[test]
fn head_gets_the_headers_of_the_whole_file_and_no_body() {
    for headers in [vec![], vec![("range", "bytes=0-9")]] {
        let response = respond(
            &media(),
            &Settings::default(),
            &request(Method::HEAD, &headers),
        );
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "Range applies to GET only"
        );
        assert_eq!(sent(&response), None);
        assert_eq!(header(&response, "content-length"), Some("1000"));
        assert_eq!(header(&response, "accept-ranges"), Some("bytes"));
    }
}

#[test]
fn an_empty_file_is_a_200_with_no_body() {
    let empty = ServedMedia::new(
        "e.txt".into(),
        PathBuf::from("/state/media/e"),
        ETag::of(b""),
        0,
        "text/plain".into(),
        UNIX_EPOCH,
    );
    let response = respond(&empty, &Settings::default(), &request(Method::GET, &[]));
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), &Payload::Bytes(Bytes::new()));
    assert_eq!(header(&response, "content-length"), Some("0"));
}

#[test]
fn the_snapshot_routes_media_paths_percent_decoded_and_read_only() {
    let contents = Contents {
        built_at: Utc::now(),
        ..Contents::default()
    };
    let mut spaced = media();
    spaced = ServedMedia::new(
        "episodes/two words.mp3".into(),
        spaced.file().to_path_buf(),
        spaced.etag().clone(),
        LENGTH,
        "audio/mpeg".into(),
        SystemTime::now() + Duration::from_secs(3600),
    );
    let snapshot = Snapshot::from_build(contents, None).with_media(vec![media(), spaced]);
    let settings = Settings::default();
    let ask = |method: Method, path: &str| {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "example.org")
            .body(())
            .unwrap();
        answer(&snapshot, &settings, &request)
    };
    assert_eq!(
        ask(Method::GET, "/episodes/one.mp3").status(),
        StatusCode::OK
    );
    let spaced = ask(Method::GET, "/episodes/two%20words.mp3");
    assert_eq!(spaced.status(), StatusCode::OK);
    // A modification time in the future is clamped to the build's.
    let last_modified = header(&spaced, "last-modified").unwrap();
    let last_modified = httpdate::parse_http_date(last_modified).unwrap();
    assert!(last_modified <= SystemTime::now());
    assert_eq!(
        ask(Method::GET, "/episodes/three.mp3").status(),
        StatusCode::NOT_FOUND
    );
    let post = ask(Method::POST, "/episodes/one.mp3");
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&post, "allow"), Some("GET, HEAD"));
}
