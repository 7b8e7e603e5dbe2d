//! The rule against the request headers real clients send. Where each string comes from:
//! - captured here from the client itself, sending to a local listener: curl 7.88.1,
//!   newsboat 2.21.0, Python feedparser 6.0.14 and headless Chromium 156 (Debian packages and the
//!   test venv);
//! - Miniflux: `defaultAcceptHeader` in miniflux/v2 `internal/reader/fetcher/request_builder.go`;
//! - FreshRSS fetches through SimplePie, whose `Accept` is in simplepie/simplepie `src/File.php`
//!   and `src/Locator.php`;
//! - Nextcloud News: `DEFAULT_ACCEPT` in nextcloud/news `lib/Config/FetcherConfig.php`;
//! - NetNewsWire sets only `User-Agent` (Ranchero-Software/NetNewsWire
//!   `Modules/RSWeb/Sources/RSWeb/DownloadSession.swift`), so Apple's URLSession sends its
//!   default `Accept: */*`;
//! - Feedly's fetcher documents only its User-Agent (`Feedly/1.0 (+http://www.feedly.com/fetcher.html;
//!   like FeedFetcher-Google)`), so both an absent `Accept` and `*/*` are checked;
//! - Firefox and Safari navigation headers: MDN, "List of default Accept values" and "Sec-Fetch-*"
//!   (Firefox 128+ and Safari 16.4+ send Fetch Metadata).

use hyper::header::{HeaderMap, HeaderName, HeaderValue};

use super::*;

const CHROMIUM_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,\
     image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
const FIREFOX_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const SAFARI_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Fetch Metadata of a top-level navigation typed into the address bar.
const NAVIGATE: &[(&str, &str)] = &[
    ("sec-fetch-site", "none"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-user", "?1"),
    ("sec-fetch-dest", "document"),
];

/// Request headers as (name, value) pairs.
type Headers = Vec<(&'static str, &'static str)>;

/// (client, headers it sends, whether it is shown a page).
fn clients() -> Vec<(&'static str, Headers, bool)> {
    let with = |accept: &'static str, extra: &[(&'static str, &'static str)]| {
        let mut headers = vec![("accept", accept)];
        headers.extend_from_slice(extra);
        headers
    };
    vec![
        ("curl", with("*/*", &[]), false),
        ("newsboat", with("*/*", &[]), false),
        (
            "feedparser",
            with(
                "application/atom+xml,application/rdf+xml,application/rss+xml,\
                 application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1",
                &[],
            ),
            false,
        ),
        (
            "Miniflux",
            with(
                "application/xml, application/atom+xml, application/rss+xml, \
                 application/rdf+xml, application/feed+json, text/html, */*;q=0.9",
                &[],
            ),
            false,
        ),
        (
            "FreshRSS (SimplePie)",
            with(
                "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, \
                 application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.7, unknown/unknown;q=0.1, \
                 application/unknown;q=0.1, */*;q=0.1",
                &[],
            ),
            false,
        ),
        (
            "Nextcloud News",
            with(
                "application/rss+xml, application/rdf+xml;q=0.8, application/atom+xml;q=0.6, \
                 application/xml;q=0.4, text/xml;q=0.4, */*;q=0.2",
                &[],
            ),
            false,
        ),
        ("NetNewsWire (URLSession)", with("*/*", &[]), false),
        ("Feedly fetcher, no Accept", vec![], false),
        ("Feedly fetcher, */*", with("*/*", &[]), false),
        ("Chromium navigation", with(CHROMIUM_ACCEPT, NAVIGATE), true),
        ("Firefox navigation", with(FIREFOX_ACCEPT, NAVIGATE), true),
        ("Safari navigation", with(SAFARI_ACCEPT, NAVIGATE), true),
        (
            "Chromium fetch() from a page",
            with(
                "*/*",
                &[
                    ("sec-fetch-site", "same-origin"),
                    ("sec-fetch-mode", "cors"),
                    ("sec-fetch-dest", "empty"),
                ],
            ),
            false,
        ),
        (
            "Firefox feed in an iframe",
            with(
                FIREFOX_ACCEPT,
                &[
                    ("sec-fetch-site", "same-origin"),
                    ("sec-fetch-mode", "navigate"),
                    ("sec-fetch-dest", "iframe"),
                ],
            ),
            false,
        ),
        (
            "a browser extension's background fetch with the page's Accept",
            with(CHROMIUM_ACCEPT, &[("sec-fetch-site", "none")]),
            false,
        ),
        (
            "Chromium over plain HTTP to a remote host (no Fetch Metadata)",
            with(CHROMIUM_ACCEPT, &[]),
            true,
        ),
        (
            "Safari before 16.4 (no Fetch Metadata)",
            with(SAFARI_ACCEPT, &[]),
            true,
        ),
    ]
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    map
}

#[test]
fn readers_get_the_feed_and_browser_navigations_get_the_page() {
    for (client, pairs, page) in clients() {
        assert_eq!(wants_page(&headers(&pairs)), page, "{client}: {pairs:?}");
    }
}

#[test]
fn fetch_metadata_decides_alone_when_present() {
    let navigate_without_html = headers(&[
        ("accept", "application/atom+xml"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
    ]);
    assert!(
        wants_page(&navigate_without_html),
        "a typed URL is a navigation"
    );
    for (mode, dest) in [("NAVIGATE", "Document"), ("navigate", " document ")] {
        let h = headers(&[("sec-fetch-mode", mode), ("sec-fetch-dest", dest)]);
        assert!(
            wants_page(&h),
            "{mode} {dest}: tokens compare without case or padding"
        );
    }
    let mut twice = headers(NAVIGATE);
    twice.append("sec-fetch-dest", HeaderValue::from_static("document"));
    assert!(!wants_page(&twice), "a repeated header is not trusted");
    let only_user = headers(&[("accept", "text/html"), ("sec-fetch-user", "?1")]);
    assert!(
        !wants_page(&only_user),
        "any Fetch Metadata turns Accept off"
    );
}

#[test]
fn accept_must_strictly_prefer_html_to_every_feed_or_xml_range() {
    let cases = [
        ("text/html", true),
        ("text/html;q=0.9, application/xml;q=0.8", true),
        ("TEXT/HTML ; Q=1", true),
        ("text/html, application/xhtml+xml", true),
        ("text/html, */*", false),
        ("text/html;q=0.5, */*;q=0.5", false),
        ("text/html;q=0.5, text/*;q=0.6", false),
        ("text/html, application/atom+xml", false),
        ("text/html, application/feed+json", false),
        ("text/html, application/ld+json", false),
        ("text/html;q=0.8, application/*;q=0.9", false),
        ("text/html;q=0", false),
        ("text/html;q=2", false),
        ("text/html;q=0.1234", false),
        ("text/html;q=abc", false),
        ("*/*", false),
        ("", false),
        ("image/png, text/html", true),
    ];
    for (accept, page) in cases {
        let h = headers(&[("accept", accept)]);
        assert_eq!(wants_page(&h), page, "Accept: {accept}");
    }
    let mut split = headers(&[("accept", "text/html")]);
    split.append("accept", HeaderValue::from_static("application/rss+xml"));
    assert!(!wants_page(&split), "every Accept field counts");
}

#[test]
fn qvalues_read_as_rfc_9110_writes_them() {
    assert_eq!(parse_qvalue("1"), Some(1000));
    assert_eq!(parse_qvalue("1.000"), Some(1000));
    assert_eq!(parse_qvalue("0.8"), Some(800));
    assert_eq!(parse_qvalue("0.05"), Some(50));
    assert_eq!(parse_qvalue("0"), Some(0));
    assert_eq!(parse_qvalue("1.001"), None);
    assert_eq!(parse_qvalue("-1"), None);
    assert_eq!(parse_qvalue("0.1234"), None);
}

#[test]
fn vary_names_every_header_the_choice_reads() {
    let named: Vec<String> = VARY.split(", ").map(str::to_ascii_lowercase).collect();
    for header in FETCH_METADATA.iter().chain(&["accept", "accept-encoding"]) {
        assert!(named.iter().any(|n| n == header), "{header} in {VARY}");
    }
}
