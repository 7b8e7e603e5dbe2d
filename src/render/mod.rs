//! Feed → [`Document`]: the bytes of one feed in one format, with what HTTP needs to serve them.
//!
//! Pure and deterministic: the same feed gives the same bytes, and the ETag is a hash of them.
//! Nothing here reads the clock or the environment. Each format has its own module (`rss`, `atom`,
//! `json`); all of them render from a `xml_text::CleanFeed`, so text that XML cannot carry is
//! dropped the same way everywhere. Documents are spliced from entries rendered once
//! (`fragments`, `frame`), byte for byte what rendering them whole gives. Where the documents go
//! (files, HTTP) is for others to decide.

mod atom;
mod fragments;
mod frame;
mod history;
pub mod html;
mod json;
mod podcast;
mod rss;
mod xml_text;

#[cfg(test)]
pub(crate) mod fixtures;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::etag::ETag;
use crate::feed::{DocumentLink, Feed};
use crate::format::{DocumentKind, Format};
use xml_text::CleanFeed;

pub use fragments::Renderer;

/// Written as each document's generator. Without a version, so that a new build of feedd does not
/// change the bytes (and ETags) of documents whose input did not change.
const GENERATOR: &str = "feedd";

/// One rendered document, ready to be written to a folder or served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Path below `base_url` and the output folder, e.g. `atom.xml`.
    pub path: String,
    /// A feed in one format, or a page (see `html`).
    pub kind: DocumentKind,
    /// Shared, so keeping the last build and serving it never copies the bytes.
    pub body: Bytes,
    /// Strong validator: a hash of `body`.
    pub etag: ETag,
    /// From the content (the feed's `updated`), never from the clock.
    pub last_modified: DateTime<Utc>,
    pub lifetime: Lifetime,
}

/// How long a document's bytes are expected to stay as they are, which says how long caches
/// may keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lifetime {
    /// A subscription document: it changes whenever a post does.
    #[default]
    Current,
    /// An archive page: fixed once written, changed only by an edit to one of its own posts.
    Archived,
}

impl Lifetime {}

impl Document {
    /// A feed document of `body`, for tests of what is done with documents once made.
    #[cfg(test)]
    pub(crate) fn for_test(path: &str, format: Format, body: &str, lifetime: Lifetime) -> Document {
        Document {
            path: path.into(),
            kind: DocumentKind::Feed(format),
            body: Bytes::copy_from_slice(body.as_bytes()),
            etag: ETag::of(body.as_bytes()),
            last_modified: DateTime::UNIX_EPOCH,
            lifetime,
        }
    }

    pub fn content_type(&self) -> &'static str {
        self.kind.content_type()
    }

    /// The feed format, for a feed document (`None` for a page).
    pub fn format(&self) -> Option<Format> {
        self.kind.format()
    }
}

/// Renders `feed` in `format` whole, as the reference the spliced documents must equal; `None`
/// when the feed has no document of that format.
#[cfg(test)]
pub(crate) fn render(feed: &Feed, format: Format) -> Option<Document> {
    let clean = CleanFeed::new(feed);
    let link = clean.document(format)?;
    let body = render_whole(&clean, link);
    Some(Document {
        path: link.path.clone(),
        kind: DocumentKind::Feed(link.format),
        etag: ETag::of(&body),
        body: Bytes::from(body),
        last_modified: feed.updated.with_timezone(&Utc),
        lifetime: lifetime(feed),
    })
}

/// Every document of every feed, in a stable order: feeds as given, each feed's documents in the
/// order of its `documents`. For a single run; the daemon keeps a [`Renderer`] between runs.
pub fn render_all<'a>(feeds: impl IntoIterator<Item = &'a Feed>) -> Vec<Document> {
    let feeds: Vec<&Feed> = feeds.into_iter().collect();
    Renderer::default()
        .render(&feeds)
        .into_iter()
        .flatten()
        .collect()
}

/// The bytes of `link`'s document, every entry rendered in place.
/// Media RSS (<https://www.rssboard.org/media-rss>): only its `media:thumbnail`, the entry's
/// image for readers that show one beside each item. Declared on the root element of documents
/// with an entry that has an image, so documents without media stay as they were.
pub(super) mod media_rss {
    pub const PREFIX: &str = "media";
    pub const NAMESPACE: &str = "http://search.yahoo.com/mrss/";

    /// Whether a document of these entries has a thumbnail, and so declares the namespace.
    pub fn used_by<'a>(
        mut entries: impl Iterator<Item = &'a std::sync::Arc<crate::feed::Entry>>,
    ) -> bool {
        entries.any(|entry| entry.image.is_some())
    }
}

fn render_whole(feed: &CleanFeed, link: &DocumentLink) -> Vec<u8> {
    match link.format {
        Format::Rss => rss::render(feed, link),
        Format::Atom => atom::render(feed, link),
        Format::Json => json::render(feed, link),
    }
}

/// How long `feed`'s documents stay as they are: an archive page's for good.
fn lifetime(feed: &Feed) -> Lifetime {
    if feed.history.is_archive() {
        Lifetime::Archived
    } else {
        Lifetime::Current
    }
}

#[cfg(test)]
mod tests {
    use ::rss::Channel;
    use ::rss::validation::Validate;
    use chrono::DateTime;

    use super::*;
    use fixtures::{HOSTILE_CLEAN, entry, hostile_feed};

    /// Checks that `document` is well-formed and valid in its format, and returns what a
    /// general-purpose reader (`feed-rs`) makes of it.
    fn read_back(document: &Document) -> feed_rs::model::Feed {
        let text = std::str::from_utf8(&document.body).expect("documents are UTF-8");
        match document.kind {
            DocumentKind::Feed(Format::Rss | Format::Atom) => {
                roxmltree::Document::parse(text).expect("XML is well-formed");
            }
            DocumentKind::Feed(Format::Json) => {
                serde_json::from_str::<serde_json::Value>(text).expect("JSON is valid");
            }
            DocumentKind::Page => panic!("feeds render no pages"),
        }
        if document.format() == Some(Format::Rss) {
            let channel = Channel::read_from(&document.body[..]).expect("RSS reads back");
            channel.validate().expect("RSS is valid");
        }
        feed_rs::parser::parse(&document.body[..]).expect("feed-rs reads the document")
    }

    /// The text of the first element named `name` below the first `parent` element.
    fn xml_text(body: &[u8], parent: &str, name: &str) -> String {
        let text = std::str::from_utf8(body).expect("documents are UTF-8");
        let xml = roxmltree::Document::parse(text).expect("XML is well-formed");
        let parent = xml
            .descendants()
            .find(|n| n.has_tag_name(parent))
            .expect("parent element present");
        let node = parent
            .children()
            .find(|n| n.tag_name().name() == name)
            .expect("element present");
        node.text().unwrap_or_default().to_owned()
    }

    fn utc(date: DateTime<chrono::FixedOffset>) -> Option<DateTime<Utc>> {
        Some(date.with_timezone(&Utc))
    }

    #[test]
    fn render_uses_the_feeds_path_and_is_none_for_formats_not_built() {
        let mut feed = fixtures::feed(vec![entry(1)]);
        feed.documents.retain(|d| d.format != Format::Json);
        feed.documents[0].path = "tags/rust/rss.xml".to_owned();
        let document = render(&feed, Format::Rss).expect("RSS is built");
        assert_eq!(document.path, "tags/rust/rss.xml");
        assert_eq!(document.kind, DocumentKind::Feed(Format::Rss));
        assert_eq!(
            document.content_type(),
            "application/rss+xml; charset=utf-8"
        );
        assert_eq!(render(&feed, Format::Json), None);
    }

    #[test]
    fn etag_is_a_hash_of_the_body_and_last_modified_is_updated_in_utc() {
        let feed = fixtures::feed(vec![entry(5)]);
        for document in render_all([&feed]) {
            assert_eq!(document.etag, ETag::of(&document.body));
            assert_eq!(
                document.last_modified,
                fixtures::date("2024-05-05T08:00:00Z").with_timezone(&Utc)
            );
        }
    }

    #[test]
    fn render_all_keeps_feed_then_document_order() {
        let main = fixtures::feed(vec![entry(1)]);
        let mut tag = fixtures::feed(vec![entry(2)]);
        for d in &mut tag.documents {
            d.path = format!("tags/rust/{}", d.path);
        }
        tag.documents.reverse();
        let paths: Vec<_> = render_all([&main, &tag])
            .into_iter()
            .map(|d| d.path)
            .collect();
        assert_eq!(
            paths,
            [
                "rss.xml",
                "atom.xml",
                "feed.json",
                "tags/rust/feed.json",
                "tags/rust/atom.xml",
                "tags/rust/rss.xml",
            ]
        );
    }

    #[test]
    fn same_feed_renders_to_the_same_bytes() {
        let feed = hostile_feed();
        let first = render_all([&feed]);
        assert_eq!(first.len(), 3);
        assert_eq!(first, render_all([&feed.clone()]));
        let other = fixtures::feed(vec![entry(1)]);
        assert_ne!(
            Some(&first[0].etag),
            render(&other, Format::Rss).map(|d| d.etag).as_ref()
        );
    }

    #[test]
    fn empty_feed_renders_valid_documents() {
        let feed = fixtures::feed(vec![]);
        let documents = render_all([&feed]);
        assert_eq!(documents.len(), 3);
        for document in &documents {
            let parsed = read_back(document);
            assert!(parsed.entries.is_empty(), "{:?}", document.kind);
            assert_eq!(document.last_modified, DateTime::UNIX_EPOCH);
        }
    }

    #[test]
    fn hostile_text_keeps_every_document_well_formed_and_readable() {
        let feed = hostile_feed();
        let title = format!("Title {HOSTILE_CLEAN}");
        for document in render_all([&feed]) {
            let parsed = read_back(&document);
            let format = document.format().expect("a feed document");
            assert_eq!(parsed.entries.len(), feed.entries.len(), "{format:?}");
            for (seen, entry) in parsed.entries.iter().zip(&feed.entries) {
                assert_eq!(seen.id, entry.id, "{format:?}");
                let links: Vec<_> = seen.links.iter().map(|l| l.href.as_str()).collect();
                assert_eq!(links, [entry.link.as_str()], "{format:?}");
                assert_eq!(seen.published, utc(entry.published), "{format:?}");
                if format != Format::Rss {
                    assert_eq!(seen.updated, utc(entry.updated), "{format:?}");
                }
            }
            let seen_title = parsed.entries[0].title.as_ref().map(|t| t.content.as_str());
            assert_eq!(seen_title, Some(title.as_str()), "{format:?}");
            match format {
                Format::Rss => assert_eq!(xml_text(&document.body, "item", "title"), title),
                Format::Atom => assert_eq!(xml_text(&document.body, "entry", "title"), title),
                Format::Json => {
                    let json: serde_json::Value =
                        serde_json::from_slice(&document.body).expect("JSON is valid");
                    assert_eq!(json["items"][0]["title"], title.as_str());
                }
            }
        }
    }

    #[test]
    fn hubs_are_named_in_every_format_beside_the_self_link_and_spliced_as_rendered_whole() {
        let mut feed = fixtures::feed(vec![entry(1), entry(2)]);
        feed.hubs = vec![
            "https://example.com/websub".to_owned(),
            "https://hub.example/?a=1&b=2".to_owned(),
        ];
        let spliced = render_all([&feed]);
        for document in &spliced {
            let format = document.format().expect("a feed document");
            let whole = render(&feed, format).expect("format is built");
            assert_eq!(document.body, whole.body, "{format:?}");
            let text = std::str::from_utf8(&document.body).expect("UTF-8");
            let links: Vec<(String, String)> = match format {
                Format::Json => {
                    let json: serde_json::Value = serde_json::from_str(text).expect("JSON");
                    assert_eq!(json["feed_url"], "https://example.com/feed.json");
                    let hubs = json["hubs"].as_array().expect("hubs").iter();
                    hubs.map(|h| {
                        assert_eq!(h["type"], "WebSub");
                        ("hub".to_owned(), h["url"].as_str().unwrap_or("").to_owned())
                    })
                    .collect()
                }
                Format::Rss | Format::Atom => {
                    let xml = roxmltree::Document::parse(text).expect("well-formed");
                    let atom = "http://www.w3.org/2005/Atom";
                    let links = xml.descendants().filter(|n| n.has_tag_name((atom, "link")));
                    links
                        .filter(|n| matches!(n.attribute("rel"), Some("hub" | "self")))
                        .map(|n| {
                            let rel = n.attribute("rel").unwrap_or("").to_owned();
                            (rel, n.attribute("href").unwrap_or("").to_owned())
                        })
                        .collect()
                }
            };
            let mut expected = Vec::new();
            if format != Format::Json {
                let own = feed.document(format).expect("built").url.clone();
                expected.push(("self".to_owned(), own));
            }
            expected.extend(feed.hubs.iter().map(|h| ("hub".to_owned(), h.clone())));
            assert_eq!(links, expected, "{format:?}");
            read_back(document);
        }
    }

    #[test]
    fn media_is_rendered_in_every_format_and_spliced_as_rendered_whole() {
        use crate::media::Enclosure;
        let mut with_media = entry(1);
        with_media.enclosures = vec![
            Enclosure {
                url: "https://example.com/ep%201.mp3".to_owned(),
                mime: "audio/mpeg".to_owned(),
                length: 12_345,
                duration_secs: Some(61),
                title: Some("Episode & one".to_owned()),
            },
            Enclosure {
                url: "https://cdn.example.com/ep1.ogg?a=1&b=2".to_owned(),
                mime: "audio/ogg".to_owned(),
                length: 999,
                duration_secs: None,
                title: None,
            },
        ];
        with_media.image = Some("https://example.com/cover.png".to_owned());
        let mut feed = fixtures::feed(vec![with_media, entry(2)]);
        feed.icon = Some("https://example.com/icon.png".to_owned());
        feed.logo = Some("https://example.com/logo.png".to_owned());
        for document in &render_all([&feed]) {
            let format = document.format().expect("a feed document");
            let whole = render(&feed, format).expect("format is built");
            assert_eq!(document.body, whole.body, "{format:?}");
            let read = read_back(document);
            // feed-rs reads RSS enclosures as media, Atom's and JSON Feed's as links with a length.
            let mut media: Vec<(String, Option<u64>, String)> = read.entries[0]
                .media
                .iter()
                .flat_map(|m| &m.content)
                .filter_map(|c| {
                    let url = c.url.as_ref()?.to_string();
                    Some((url, c.size, c.content_type.as_ref()?.to_string()))
                })
                .collect();
            media.extend(
                (read.entries[0].links.iter())
                    .filter(|l| l.length.is_some())
                    .map(|l| {
                        (
                            l.href.clone(),
                            l.length,
                            l.media_type.clone().unwrap_or_default(),
                        )
                    }),
            );
            let first = (
                "https://example.com/ep%201.mp3".to_owned(),
                Some(12_345),
                "audio/mpeg".to_owned(),
            );
            let second = (
                "https://cdn.example.com/ep1.ogg?a=1&b=2".to_owned(),
                Some(999),
                "audio/ogg".to_owned(),
            );
            match format {
                Format::Rss => assert_eq!(media, [first], "one enclosure"),
                _ => assert_eq!(media, [first, second], "{format:?}"),
            }
            assert!(read.entries[1].media.is_empty());
            let text = std::str::from_utf8(&document.body).expect("UTF-8");
            if format != Format::Json {
                let xml = roxmltree::Document::parse(text).expect("well-formed");
                let thumbnails: Vec<&str> = xml
                    .descendants()
                    .filter(|n| n.has_tag_name((media_rss::NAMESPACE, "thumbnail")))
                    .filter_map(|n| n.attribute("url"))
                    .collect();
                assert_eq!(thumbnails, ["https://example.com/cover.png"], "{format:?}");
            }
            match format {
                Format::Rss => {
                    let channel = Channel::read_from(&document.body[..]).expect("RSS");
                    let image = channel.image().expect("an <image>");
                    assert_eq!(image.url(), "https://example.com/logo.png");
                    assert_eq!(
                        (image.title(), image.link()),
                        ("Example Site", "https://example.com/")
                    );
                }
                Format::Atom => {
                    let atom: atom_syndication::Feed = text.parse().expect("Atom");
                    assert_eq!(atom.icon(), Some("https://example.com/icon.png"));
                    assert_eq!(atom.logo(), Some("https://example.com/logo.png"));
                    let link = &atom.entries()[0].links()[1];
                    assert_eq!(
                        (link.rel(), link.title()),
                        ("enclosure", Some("Episode & one"))
                    );
                }
                Format::Json => {
                    let json: serde_json::Value = serde_json::from_str(text).expect("JSON");
                    assert_eq!(json["icon"], "https://example.com/logo.png");
                    assert_eq!(json["favicon"], "https://example.com/icon.png");
                    let item = &json["items"][0];
                    assert_eq!(item["image"], "https://example.com/cover.png");
                    assert_eq!(item["attachments"][0]["duration_in_seconds"], 61);
                    assert_eq!(item["attachments"][0]["title"], "Episode & one");
                    assert!(item["attachments"][1].get("duration_in_seconds").is_none());
                }
            }
        }
        let plain = fixtures::feed(vec![entry(1)]);
        for document in &render_all([&plain]) {
            let text = std::str::from_utf8(&document.body).expect("UTF-8");
            assert!(
                !text.contains("mrss") && !text.contains("enclosure"),
                "{text}"
            );
        }
    }

    #[test]
    fn cdata_terminator_in_rss_content_stays_inside_content() {
        let document = render(&hostile_feed(), Format::Rss).expect("RSS is built");
        assert_eq!(
            xml_text(&document.body, "item", "encoded"),
            format!("<p>{HOSTILE_CLEAN}</p><![CDATA[x]]>")
        );
    }
}
