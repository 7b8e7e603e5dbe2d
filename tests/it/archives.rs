//! RFC 5005 archives through the real binary: the subscription document and the archive pages
//! together hold every published post exactly once, the `prev-archive`/`next-archive` chains walk
//! the whole history, every page is valid, and pages stay fixed when newer posts arrive.

use std::collections::{BTreeMap, BTreeSet};

use rss::validation::Validate;

use crate::support::*;

const BASE: &str = "https://example.org/";
const HISTORY: &str = "http://purl.org/syndication/history/1.0";
const ATOM: &str = "http://www.w3.org/2005/Atom";

/// A document as a reader sees it: its entry ids (read by feed-rs), its feed-level links by
/// `rel` (as paths below the site), and its RFC 5005 marker elements.
#[derive(Debug)]
struct Page {
    ids: Vec<String>,
    links: BTreeMap<String, String>,
    markers: Vec<String>,
}

fn path_of(url: &str) -> String {
    url.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{url} is not below {BASE}"))
        .to_owned()
}

fn read_page(site: &Site, path: &str) -> Page {
    let bytes = std::fs::read(site.out().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let ids = entry_ids(&parse_feed(&bytes));
    let mut links = BTreeMap::new();
    let mut markers = Vec::new();
    if path.ends_with(".json") {
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        if let Some(next) = json["next_url"].as_str() {
            links.insert("next_url".to_owned(), path_of(next));
        }
        links.insert(
            "feed_url".to_owned(),
            path_of(json["feed_url"].as_str().unwrap()),
        );
        return Page {
            ids,
            links,
            markers,
        };
    }
    let text = std::str::from_utf8(&bytes).unwrap();
    let xml = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let root = xml.root_element();
    let head = if root.has_tag_name("rss") {
        let channel = rss::Channel::read_from(&bytes[..]).unwrap();
        channel.validate().unwrap_or_else(|e| panic!("{path}: {e}"));
        root.children().find(|n| n.has_tag_name("channel")).unwrap()
    } else {
        root
    };
    for node in head.children().filter(|n| n.is_element()) {
        let name = node.tag_name();
        if name.namespace() == Some(HISTORY) {
            markers.push(name.name().to_owned());
        } else if name.namespace() == Some(ATOM) && name.name() == "link" {
            let rel = node.attribute("rel").unwrap_or("alternate");
            if rel != "alternate" {
                links.insert(rel.to_owned(), path_of(node.attribute("href").unwrap()));
            }
        }
    }
    Page {
        ids,
        links,
        markers,
    }
}

/// Archives are off unless asked for; `site_of` appends its `config` inside this table.
const ARCHIVES_ON: &str = "[archives]\nenabled = true\n";

/// A site of `count` posts, one every `hours` hours from 2001-01-01, ids in date order.
fn site_of(count: usize, hours: i64, config: &str) -> (Site, Vec<String>) {
    let site = Site::with_config(&format!(
        "{BASE_CONFIG}max_entries = 10\n{ARCHIVES_ON}{config}"
    ));
    let start = chrono::DateTime::parse_from_rfc3339("2001-01-01T00:00:00Z").unwrap();
    let mut ids = Vec::new();
    for i in 0..count {
        let date = start + chrono::Duration::hours(hours * i as i64);
        let slug = format!("p{i:05}");
        site.write(
            &format!("{slug}.md"),
            &md(&format!("Post {i}"), &date.to_rfc3339(), "", "Body."),
        );
        ids.push(format!(
            "tag:example.org,{}:{slug}",
            date.format("%Y-%m-%d")
        ));
    }
    (site, ids)
}

/// Walks from the subscription document `name` down the `prev-archive` chain (JSON: `next_url`)
/// and back up `next-archive`; checks the pages' markers and links; returns every entry id seen
/// and the archive pages in the order walked (newest first).
fn walk(site: &Site, name: &str) -> (Vec<String>, Vec<String>) {
    let json = name.ends_with(".json");
    let older = if json { "next_url" } else { "prev-archive" };
    let current = read_page(site, name);
    let mut ids = current.ids.clone();
    let mut pages = Vec::new();
    let mut next = current.links.get(older).cloned();
    if !json {
        let expected: &[&str] = if next.is_some() { &[] } else { &["complete"] };
        assert_eq!(current.markers, expected, "{name}");
    }
    while let Some(path) = next {
        assert!(!pages.contains(&path), "{path}: the chain has a cycle");
        let page = read_page(site, &path);
        assert!(!page.ids.is_empty(), "{path}: an empty page");
        if json {
            assert_eq!(page.links["feed_url"], name, "{path}");
        } else {
            assert_eq!(page.markers, ["archive"], "{path}");
            assert_eq!(page.links["current"], name, "{path}");
            let newer = pages.last().map(String::as_str);
            assert_eq!(
                page.links.get("next-archive").map(String::as_str),
                newer,
                "{path}"
            );
        }
        ids.extend(page.ids);
        next = page.links.get(older).cloned();
        pages.push(path);
    }
    (ids, pages)
}

/// Every format's history holds exactly `expected`, each once, and the archive pages the walk
/// found are all the output holds.
fn assert_whole_history(site: &Site, expected: &[String]) -> Vec<String> {
    let want: BTreeSet<&String> = expected.iter().collect();
    let mut all_pages = Vec::new();
    for name in ["atom.xml", "rss.xml", "feed.json"] {
        let (ids, pages) = walk(site, name);
        let seen: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(seen.len(), ids.len(), "{name}: an entry appears twice");
        assert_eq!(seen, want, "{name}: the history is not the published posts");
        all_pages.extend(pages);
    }
    let archive = site.out().join("archive");
    let on_disk = std::fs::read_dir(&archive).map_or(0, |d| d.count());
    assert_eq!(
        on_disk * 3,
        all_pages.len(),
        "one folder per page, three formats each"
    );
    all_pages
}

#[test]
fn ten_posts_fit_and_say_complete() {
    let (site, ids) = site_of(10, 24, "");
    assert_success(&site.once());
    assert!(assert_whole_history(&site, &ids).is_empty());
    let index = site.read_out("index.html");
    assert!(!index.contains("All posts"), "nothing to link: {index}");
}

#[test]
fn a_thousand_posts_are_all_reachable_once_through_monthly_pages() {
    let (site, ids) = site_of(1000, 31, "");
    assert_success(&site.once());
    let pages = assert_whole_history(&site, &ids);
    // The index links the history from its newest end.
    let index = site.read_out("index.html");
    let newest = read_page(&site, "atom.xml").links["prev-archive"].clone();
    assert!(
        index.contains(&format!(
            "<a href=\"https://example.org/{newest}\">All posts</a>"
        )),
        "{index}"
    );
    // 1,000 posts 31 hours apart span 43 months; the newest ten are in the last one.
    assert_eq!(pages.len(), 42 * 3);
    assert_eq!(pages[0], "archive/2004-06/atom.xml");
}

#[test]
fn ten_thousand_posts_are_all_reachable_once_through_yearly_pages() {
    let (site, ids) = site_of(10_000, 7, "period = \"year\"\n");
    assert_success(&site.once());
    let pages = assert_whole_history(&site, &ids);
    assert_eq!(pages.len(), 7 * 3, "2001 to 2008, the newest posts in 2008");
}

/// Each archive page's bytes, by path.
fn archive_bytes(site: &Site) -> BTreeMap<String, Vec<u8>> {
    let mut pages = BTreeMap::new();
    for folder in std::fs::read_dir(site.out().join("archive")).unwrap() {
        let folder = folder.unwrap().path();
        for file in std::fs::read_dir(&folder).unwrap() {
            let file = file.unwrap().path();
            let relative = file.strip_prefix(site.out()).unwrap();
            pages.insert(
                relative.to_string_lossy().into_owned(),
                std::fs::read(&file).unwrap(),
            );
        }
    }
    pages
}

fn changed(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
) -> BTreeSet<String> {
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .cloned()
        .collect()
}

#[test]
fn new_posts_leave_archive_pages_alone_until_they_push_a_month_into_the_archive() {
    // One post a day through January to mid-March 2001; ten newest are in March.
    let (site, mut ids) = site_of(74, 24, "");
    assert_success(&site.once());
    let first = archive_bytes(&site);
    assert_eq!(first.len(), 2 * 3, "January and February");

    site.write("new.md", &md("New", "2001-03-16T12:00:00Z", "", "Body."));
    ids.push("tag:example.org,2001-03-16:new".to_owned());
    assert_success(&site.once());
    let second = archive_bytes(&site);
    assert!(
        changed(&first, &second).is_empty(),
        "no archive page changed"
    );
    assert_whole_history(&site, &ids);

    // Enough April posts push all of March out of the newest ten.
    for day in 1..=10 {
        let slug = format!("april-{day}");
        site.write(
            &format!("{slug}.md"),
            &md(&slug, &format!("2001-04-{day:02}T12:00:00Z"), "", "Body."),
        );
        ids.push(format!("tag:example.org,2001-04-{day:02}:{slug}"));
    }
    assert_success(&site.once());
    let third = archive_bytes(&site);
    let differ = changed(&second, &third);
    let expected: BTreeSet<String> = ["2001-02", "2001-03"]
        .iter()
        .flat_map(|m| ["rss.xml", "atom.xml", "feed.json"].map(|f| format!("archive/{m}/{f}")))
        .collect();
    // The JSON pages link only to older pages, so February's stays as it was.
    let json_february: BTreeSet<String> = ["archive/2001-02/feed.json".to_owned()].into();
    let expected: BTreeSet<String> = expected.difference(&json_february).cloned().collect();
    assert_eq!(
        differ, expected,
        "March is new; February only gains its next-archive link"
    );
    for name in ["archive/2001-02/atom.xml", "archive/2001-02/rss.xml"] {
        let page = String::from_utf8(third[name].clone()).unwrap();
        let was = String::from_utf8(second[name].clone()).unwrap();
        let link_start = page
            .find("rel=\"next-archive\"")
            .expect("the link is there");
        let line_start = page[..link_start].rfind('<').unwrap();
        let line_end = line_start + page[line_start..].find('>').unwrap() + 1;
        let without = format!("{}{}", &page[..line_start], &page[line_end..]);
        assert_eq!(without, was, "{name}: only the next-archive link was added");
    }
    assert_whole_history(&site, &ids);
}

#[test]
fn editing_an_old_post_rewrites_only_its_page_and_deleting_a_months_last_post_removes_it() {
    let (site, ids) = site_of(100, 24, "");
    assert_success(&site.once());
    let before = archive_bytes(&site);
    // p00040 is on 10 February 2001.
    site.write(
        "p00040.md",
        &md("Post 40, corrected", "2001-02-10T00:00:00Z", "", "Body."),
    );
    assert_success(&site.once());
    let after = archive_bytes(&site);
    let expected: BTreeSet<String> = ["rss.xml", "atom.xml", "feed.json"]
        .map(|f| format!("archive/2001-02/{f}"))
        .into();
    assert_eq!(changed(&before, &after), expected);
    assert_whole_history(&site, &ids);

    // A month with one post: deleting it removes the page, and its files from the output.
    let (site, mut ids) = site_of(30, 24 * 20, "");
    assert_success(&site.once());
    assert!(site.out().join("archive/2001-02/atom.xml").exists());
    std::fs::remove_file(site.src().join("p00002.md")).unwrap();
    ids.remove(2);
    assert_success(&site.once());
    assert!(
        !site.out().join("archive/2001-02").exists(),
        "the stale page is gone"
    );
    assert_whole_history(&site, &ids);
}

#[test]
fn tag_feeds_have_their_own_archive_pages_and_archives_can_be_turned_off() {
    let site = Site::with_config(&format!("{BASE_CONFIG}max_entries = 1\n{ARCHIVES_ON}"));
    for (slug, date) in [
        ("a", "2001-01-05"),
        ("b", "2001-02-05"),
        ("c", "2001-03-05"),
    ] {
        site.write(
            &format!("{slug}.md"),
            &md(slug, date, "tags = [\"Rust\"]\n", "Body."),
        );
    }
    assert_success(&site.once());
    let (ids, pages) = walk(&site, "tags/rust/atom.xml");
    assert_eq!(ids.len(), 3);
    assert_eq!(
        pages,
        [
            "tags/rust/archive/2001-02/atom.xml",
            "tags/rust/archive/2001-01/atom.xml"
        ]
    );
    std::fs::write(
        site.config(),
        format!("{BASE_CONFIG}max_entries = 1\n[archives]\nenabled = false\n"),
    )
    .unwrap();
    assert_success(&site.once());
    let page = read_page(&site, "atom.xml");
    assert_eq!((page.ids.len(), page.markers.len()), (1, 0));
    assert!(!page.links.contains_key("prev-archive"));
    assert!(
        !site.out().join("archive").exists(),
        "archive pages are removed"
    );
}

#[test]
fn the_daemon_serves_archive_pages_as_immutable_and_keeps_them_current() {
    let (site, _) = site_of(70, 24, "[server]\narchive_max_age = 86400\n");
    let daemon = crate::running::Daemon::start(&site.config());
    let page = daemon.get("/archive/2001-01/atom.xml");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("cache-control"),
        Some("public, max-age=86400, immutable")
    );
    let gzip = daemon.request(
        "GET",
        "/archive/2001-01/atom.xml",
        &[("accept-encoding", "gzip")],
    );
    assert_eq!(gzip.header("content-encoding"), None, "served as it is");
    assert_eq!(
        daemon.get("/atom.xml").header("cache-control"),
        Some("public, max-age=300")
    );
    // An edit to a January post reaches its page, and only that page.
    let february = daemon.get("/archive/2001-02/atom.xml");
    site.write(
        "p00003.md",
        &md("Post 3, corrected", "2001-01-04T00:00:00Z", "", "Body."),
    );
    daemon.poll_until("/archive/2001-01/atom.xml", "the edit", |reply| {
        reply.text().contains("Post 3, corrected")
    });
    assert_eq!(daemon.get("/archive/2001-02/atom.xml").body, february.body);
}
