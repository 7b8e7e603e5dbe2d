//! The pages for people, through the real binary: `--once` writes `index.html` (and never a feed's
//! page), the daemon serves the index at `/` and a feed's page to a browser's navigation while
//! feed readers get the feed, and headless Chromium shows them as a person would see them.

use std::path::Path;

use crate::protocols::{Client, each_protocol};
use crate::running::Daemon;
use crate::support::*;

/// What headless Chromium 156 sends when a feed address is typed into its address bar.
const CHROMIUM: &[(&str, &str)] = &[
    (
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,\
         image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    ),
    ("Sec-Fetch-Site", "none"),
    ("Sec-Fetch-Mode", "navigate"),
    ("Sec-Fetch-User", "?1"),
    ("Sec-Fetch-Dest", "document"),
];

/// What Python feedparser 6.0.14 sends.
const FEEDPARSER: &[(&str, &str)] = &[(
    "Accept",
    "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,\
     application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1",
)];

/// The sample site and one tagged post, so there are tag feeds to list.
fn site() -> Site {
    let site = Site::sample();
    site.write(
        "2019-08-01-tagged.md",
        &md(
            "Tagged talks resume",
            "2019-08-01",
            "tags = [\"talks\"]\n",
            "Body.",
        ),
    );
    site
}

#[test]
fn once_writes_the_index_and_no_feed_pages() {
    let site = site();
    assert_success(&site.once());
    let index = site.read_out("index.html");
    assert!(index.starts_with("<!DOCTYPE html>"), "{index}");
    for url in [
        "https://feeds.example.org/atom.xml",
        "https://feeds.example.org/tags/talks/rss.xml",
    ] {
        assert!(
            index.contains(&format!("href=\"{url}\"")),
            "{url} in {index}"
        );
    }
    let atom = site.read_out("atom.xml");
    assert!(atom.starts_with("<?xml"), "the feed file is the feed");

    std::fs::write(
        site.config(),
        format!(
            "{}\n[html]\nindex = false\n",
            std::fs::read_to_string(site.config()).unwrap()
        ),
    )
    .unwrap();
    assert_success(&site.once());
    assert!(
        !site.out().join("index.html").exists(),
        "turned off, and removed"
    );
}

#[test]
fn the_daemon_shows_browsers_pages_and_readers_feeds() {
    each_protocol(site, shows_browsers_pages_and_readers_feeds);
}

fn shows_browsers_pages_and_readers_feeds(daemon: &Client) {
    let index = daemon.get("/");
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = index.header("content-security-policy").expect("a policy");
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert!(index.text().contains("Tagged talks resume"));

    let page = daemon.request("GET", "/atom.xml", CHROMIUM);
    let feed = daemon.request("GET", "/atom.xml", FEEDPARSER);
    let plain = daemon.get("/atom.xml");
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.text().contains("id=\"feed-address\""),
        "{}",
        page.text()
    );
    for reply in [&feed, &plain] {
        assert_eq!(
            reply.header("content-type"),
            Some("application/atom+xml; charset=utf-8")
        );
        parse_feed(&reply.body);
    }
    assert_eq!(feed.body, plain.body);
    assert_eq!(page.header("vary"), Some(FEED_VARY));
    assert_eq!(feed.header("vary"), Some(FEED_VARY));
    let (page_tag, feed_tag) = (page.header("etag").unwrap(), feed.header("etag").unwrap());
    assert_ne!(page_tag, feed_tag);

    let revalidate = |headers: &[(&str, &str)], tag: &str| {
        let mut all = headers.to_vec();
        all.push(("If-None-Match", tag));
        daemon.request("GET", "/atom.xml", &all).status
    };
    assert_eq!(revalidate(CHROMIUM, page_tag), 304);
    assert_eq!(revalidate(FEEDPARSER, feed_tag), 304);
    assert_eq!(revalidate(CHROMIUM, feed_tag), 200);
    assert_eq!(revalidate(FEEDPARSER, page_tag), 200);
}

#[test]
fn turning_feed_pages_off_takes_effect_on_reload() {
    let site = site();
    let daemon = Daemon::start(&site.config());
    let page = daemon.request("GET", "/atom.xml", CHROMIUM);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        format!("{config}\n[html]\nfeed_pages = false\n"),
    )
    .unwrap();
    daemon.signal("HUP");
    let feed = daemon.poll_request("/atom.xml", CHROMIUM, "the feed for browsers too", |r| {
        r.header("content-type") == Some("application/atom+xml; charset=utf-8")
    });
    assert_eq!(feed.header("vary"), Some("Accept-Encoding"));
    assert_eq!(daemon.get("/").status, 200, "the index stays");
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Whether Chromium can be driven here. In CI its absence fails the test; elsewhere the test is
/// skipped with a note, so a machine without a browser can still run the rest.
fn chromium_available() -> bool {
    if on_path("chromium") && on_path("chromedriver") {
        return true;
    }
    let message = "chromium and chromedriver are not installed; run scripts/install-deps";
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("skipping the browser test: {message}");
    false
}

#[test]
fn headless_chromium_shows_the_index_and_a_feed_page() {
    if !chromium_available() {
        return;
    }
    let site = site();
    assert_success(&site.once());
    let index = site.read_out("index.html");
    let daemon = Daemon::start(&site.config());
    let titles: Vec<String> = index
        .split("<h3><a href=\"")
        .skip(1)
        .filter_map(|rest| Some(rest.split_once("\">")?.1.split_once("</a>")?.0.to_owned()))
        .collect();
    assert_eq!(
        titles.len(),
        11,
        "every post of the sample and the tagged one"
    );
    let alternates: Vec<[String; 2]> = ["", "tags/talks/"]
        .into_iter()
        .flat_map(|folder| {
            [
                ("application/rss+xml", "rss.xml"),
                ("application/atom+xml", "atom.xml"),
                ("application/feed+json", "feed.json"),
            ]
            .map(|(kind, file)| {
                [
                    kind.to_owned(),
                    format!("https://feeds.example.org/{folder}{file}"),
                ]
            })
        })
        .collect();
    let expected = serde_json::json!({
        "titles": titles,
        "alternates": alternates,
        "feed": "atom.xml",
        "feed_url": "https://feeds.example.org/atom.xml",
    });
    let expected_path = site.path().join("expected.json");
    std::fs::write(&expected_path, expected.to_string()).unwrap();
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pages");
    run_python_checker(
        "check_pages.py",
        [
            std::ffi::OsString::from(format!("http://{}", daemon.addr)),
            expected_path.into_os_string(),
            artifacts.clone().into_os_string(),
        ],
    );
    assert!(artifacts.join("index.png").is_file());
}
