//! The pages' bytes: escaping, autodiscovery, the policy's hashes, one page per feed document.

use sha2::{Digest, Sha256};

use super::*;
use crate::format::Format;
use crate::render::fixtures::{self, HOSTILE_CLEAN, entry, hostile_feed};

fn text(document: &Document) -> &str {
    std::str::from_utf8(&document.body).expect("pages are UTF-8")
}

fn index_of<'a>(feeds: Vec<&'a Feed>) -> Index<'a> {
    Index {
        path: "index.html",
        feeds,
        all_posts: None,
    }
}

fn tag_feed(tag: &str) -> Feed {
    let mut feed = fixtures::feed(vec![entry(3)]);
    feed.tag = Some(tag.to_owned());
    for link in &mut feed.documents {
        link.path = format!("tags/{tag}/{}", link.path);
        link.url = format!("{}{}", fixtures::HOME, link.path);
    }
    feed
}

/// Base64 of `bytes` (RFC 4648, with padding), as CSP hash sources write it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

#[test]
fn the_policy_allows_exactly_the_inline_style_and_script() {
    let style = format!("'sha256-{}'", base64(&Sha256::digest(layout::STYLE)));
    let script = format!("'sha256-{}'", base64(&Sha256::digest(layout::COPY_SCRIPT)));
    for policy in [CONTENT_SECURITY_POLICY, META_CONTENT_SECURITY_POLICY] {
        assert!(policy.contains(&format!("style-src {style};")), "{policy}");
        assert!(
            policy.contains(&format!("script-src {script};")),
            "{policy}"
        );
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
    }
    assert!(!META_CONTENT_SECURITY_POLICY.contains("frame-ancestors"));
    let page = render_index(&index_of(vec![&fixtures::feed(vec![entry(1)])]));
    let body = text(&page);
    assert!(body.contains(&format!("<style>{}</style>", layout::STYLE)));
    assert!(body.contains(&format!("<script>{}</script>", layout::COPY_SCRIPT)));
    assert!(
        !body.contains(" style="),
        "inline style attributes would be refused"
    );
}

#[test]
fn index_announces_every_feed_and_lists_the_newest_entries() {
    let main = fixtures::feed(vec![entry(2), entry(1)]);
    let rust = tag_feed("rust");
    let page = render_index(&index_of(vec![&main, &rust]));
    assert_eq!(page.path, "index.html");
    assert_eq!(page.kind, DocumentKind::Page);
    assert_eq!(page.etag, ETag::of(&page.body));
    let body = text(&page);
    assert!(
        body.starts_with("<!DOCTYPE html><html lang=\"en\">"),
        "{body}"
    );
    assert!(
        body.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    for feed in [&main, &rust] {
        for link in &feed.documents {
            let announced = format!(
                "<link rel=\"alternate\" type=\"{}\" title=\"{} ({})\" href=\"{}\">",
                link.format.media_type(),
                layout::feed_title(&PageFeed::listed(feed)),
                layout::format_name(link.format),
                link.url
            );
            assert!(body.contains(&announced), "{announced} in {body}");
            assert!(body.contains(&format!("readonly value=\"{}\"", link.url)));
        }
    }
    assert!(body.contains("title=\"Example Site · rust (Atom)\""));
    let newest = body.find(">Post 2</a>").expect("entry 2 listed");
    let older = body.find(">Post 1</a>").expect("entry 1 listed");
    assert!(newest < older, "newest first");
    assert!(body.contains("<time datetime=\"2024-05-02T10:00:00+02:00\">2024-05-02</time>"));
    assert!(body.contains("Summary of post 2."));
    assert!(!body.contains("All posts"), "no archive to link to");
}

#[test]
fn index_links_all_posts_when_there_is_an_archive() {
    let main = fixtures::feed(vec![entry(1)]);
    let mut index = index_of(vec![&main]);
    index.all_posts = Some("https://example.com/archive/1.xml");
    let page = render_index(&index);
    assert!(text(&page).contains("<a href=\"https://example.com/archive/1.xml\">All posts</a>"));
}

#[test]
fn field_ids_are_unique_on_a_page() {
    let main = fixtures::feed(vec![entry(1)]);
    let (a, b) = (tag_feed("a"), tag_feed("b"));
    let page = render_index(&index_of(vec![&main, &a, &b]));
    let body = text(&page);
    let ids: Vec<&str> = body
        .split(" id=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), 9, "{ids:?}");
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
}

#[test]
fn hostile_text_is_escaped_and_cleaned_everywhere() {
    let feed = hostile_feed();
    let mut pages = render_feed_pages(&feed);
    pages.push(render_index(&index_of(vec![&feed])));
    for page in &pages {
        let body = text(page);
        assert!(!body.contains("<script>alert"), "{body}");
        assert!(
            body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{body}"
        );
        assert!(
            body.contains("&amp;amp;"),
            "an entity in the text stays text"
        );
        assert!(
            !body.contains(['\u{0}', '\u{1}', '\u{FFFE}']),
            "controls dropped"
        );
        assert!(body.contains("🦀 مرحبا שלום"));
        assert!(
            body.contains("<article lang=\"ar\">"),
            "an entry keeps its language"
        );
    }
    let escaped = HOSTILE_CLEAN
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(text(&pages[0]).contains(&format!("<title>Feed {escaped}</title>")));
}

#[test]
fn each_feed_document_gets_its_own_page_with_its_own_address() {
    let feed = fixtures::feed(vec![entry(1)]);
    let pages = render_feed_pages(&feed);
    let paths: Vec<&str> = pages.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["rss.xml", "atom.xml", "feed.json"]);
    for (page, link) in pages.iter().zip(&feed.documents) {
        assert_eq!(page.kind, DocumentKind::Page);
        assert_eq!(page.content_type(), "text/html; charset=utf-8");
        let body = text(page);
        let field = format!(
            "id=\"feed-address\" type=\"url\" readonly value=\"{}\"",
            link.url
        );
        assert!(body.contains(&field), "{body}");
        assert!(body.contains("This is a feed"));
        assert!(body.contains(">Post 1</a>"));
        for other in feed.documents.iter().filter(|d| d.format != link.format) {
            assert!(body.contains(&format!("<a href=\"{}\">", other.url)));
        }
        assert_eq!(page.last_modified, feed.updated.with_timezone(&Utc));
    }
    assert_ne!(pages[0].etag, pages[1].etag);
}

#[test]
fn an_empty_site_still_gets_a_page() {
    let feed = fixtures::feed(vec![]);
    let page = render_index(&index_of(vec![&feed]));
    assert!(text(&page).contains("Nothing is published yet."));
    assert_eq!(page.last_modified, chrono::DateTime::UNIX_EPOCH);
    let json_only = {
        let mut f = fixtures::feed(vec![entry(1)]);
        f.documents.retain(|d| d.format == Format::Json);
        f
    };
    let pages = render_feed_pages(&json_only);
    assert_eq!(pages.len(), 1);
    assert!(
        !text(&pages[0]).contains("Also as"),
        "no other formats to offer"
    );
}

#[test]
fn pages_show_summaries_not_bodies_and_an_index_needs_no_feed() {
    let feed = fixtures::feed(vec![entry(1)]);
    let mut pages = render_feed_pages(&feed);
    pages.push(render_index(&index_of(vec![&feed])));
    for page in &pages {
        assert!(text(page).contains("Summary of post 1."));
        assert!(!text(page).contains("Body of post 1."), "{}", page.path);
    }
    let bare = render_index(&index_of(vec![]));
    assert!(text(&bare).contains("There are no feeds yet."));
    assert_eq!(bare.path, "index.html");
}
