//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), from structs of our own and `serde_json`.
//!
//! Optional fields are left out rather than written empty; dates are RFC 3339 with the offset
//! they were written with. Pretty-printed: the documents are read by people debugging feeds too.

use serde::Serialize;

use super::xml_text::CleanFeed;
use crate::feed::{DocumentLink, Entry, History, link_for};
use crate::format::Format;

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    /// The archive page of the posts just before these (JSON Feed's pagination).
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    /// The feed's larger image (`logo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<&'a str>,
    /// Its small square icon (`icon`).
    #[serde(skip_serializing_if = "Option::is_none")]
    favicon: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    /// WebSub hubs to subscribe through, instead of polling `feed_url`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment<'a>>,
}

#[derive(Serialize)]
struct Attachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    size_in_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_in_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
}

/// What comes between two items in the document: the pretty printer's comma and indent.
pub(super) const SEPARATOR: &[u8] = b",\n    ";

/// How deep items sit in the document: inside the top-level object and its `items` array.
const ITEM_INDENT: &[u8] = b"    ";

pub(super) fn render(feed: &CleanFeed, link: &DocumentLink) -> Vec<u8> {
    write(feed, link, feed.entries.iter().map(|e| item(e)).collect())
}

/// The bytes `entry` has inside any document: the item pretty-printed on its own and indented
/// as deep as the document's items are. JSON strings hold no raw line breaks, so every line
/// break is the printer's and can be indented.
pub(super) fn fragment(entry: &Entry) -> Vec<u8> {
    let alone = serde_json::to_vec_pretty(&item(entry))
        .expect("structs of strings always serialise to JSON");
    let mut indented = Vec::with_capacity(alone.len() + alone.len() / 16);
    for &byte in &alone {
        indented.push(byte);
        if byte == b'\n' {
            indented.extend_from_slice(ITEM_INDENT);
        }
    }
    indented
}

/// `feed`'s document with `sentinel` as its only item, for [`super::frame::Frame::around`].
pub(super) fn shell(feed: &CleanFeed, link: &DocumentLink, sentinel: &Entry) -> Vec<u8> {
    write(feed, link, vec![item(sentinel)])
}

fn write<'a>(feed: &'a CleanFeed, link: &'a DocumentLink, items: Vec<Item<'a>>) -> Vec<u8> {
    // JSON Feed has no archives: an archive page is a page of the subscription feed, which its
    // `feed_url` names, and each page's `next_url` leads to the older posts.
    let (feed_url, next_url) = match &feed.history {
        History::Unpaged | History::Complete => (link.url.as_str(), None),
        History::Subscription { prev_archive } => (link.url.as_str(), json_link(prev_archive)),
        History::Archive {
            current,
            prev_archive,
            ..
        } => (
            json_link(current).unwrap_or(&link.url),
            json_link(prev_archive),
        ),
    };
    let document = JsonFeed {
        version: VERSION,
        title: &feed.title,
        home_page_url: &feed.home_url,
        feed_url,
        next_url,
        description: &feed.description,
        icon: feed.logo.as_deref(),
        favicon: feed.icon.as_deref(),
        language: feed.language.as_deref(),
        authors: feed.author.as_deref().map(author).into_iter().collect(),
        hubs: (feed.hubs.iter())
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items,
    };
    let mut body =
        serde_json::to_vec_pretty(&document).expect("structs of strings always serialise to JSON");
    body.push(b'\n');
    body
}

fn json_link(links: &[DocumentLink]) -> Option<&str> {
    link_for(links, Format::Json).map(|l| l.url.as_str())
}

fn item(entry: &Entry) -> Item<'_> {
    Item {
        id: &entry.id,
        url: &entry.link,
        title: &entry.title,
        content_html: &entry.content_html,
        summary: &entry.summary,
        date_published: entry.published.to_rfc3339(),
        date_modified: entry.updated.to_rfc3339(),
        authors: entry.authors.iter().map(|a| author(a)).collect(),
        tags: &entry.tags,
        language: entry.lang.as_deref(),
        image: entry.image.as_deref(),
        attachments: (entry.enclosures.iter())
            .map(|e| Attachment {
                url: &e.url,
                mime_type: &e.mime,
                size_in_bytes: e.length,
                duration_in_seconds: e.duration_secs,
                title: e.title.as_deref(),
            })
            .collect(),
    }
}

fn author(name: &str) -> Author<'_> {
    Author { name }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::feed::Feed;
    use crate::format::Format;
    use crate::render::fixtures::{self, HOSTILE_CLEAN, entry};

    fn rendered(feed: &Feed) -> Value {
        let clean = CleanFeed::new(feed);
        let link = clean
            .document(Format::Json)
            .expect("fixture feeds build JSON");
        serde_json::from_slice(&render(&clean, link)).expect("rendered JSON parses")
    }

    #[test]
    fn feed_and_item_carry_every_field() {
        let mut e = entry(3);
        e.lang = Some("de".to_owned());
        e.updated = fixtures::date("2024-06-01T08:30:00-05:00");
        let value = rendered(&fixtures::feed(vec![e]));
        assert_eq!(
            value,
            json!({
                "version": "https://jsonfeed.org/version/1.1",
                "title": "Example Site",
                "home_page_url": "https://example.com/",
                "feed_url": "https://example.com/feed.json",
                "description": "Notes about examples",
                "language": "en",
                "authors": [{"name": "Site Owner"}],
                "items": [{
                    "id": "tag:example.com,2024:post-3",
                    "url": "https://example.com/posts/post-3/",
                    "title": "Post 3",
                    "content_html": "<p>Body of post 3.</p>",
                    "summary": "Summary of post 3.",
                    "date_published": "2024-05-03T10:00:00+02:00",
                    "date_modified": "2024-06-01T08:30:00-05:00",
                    "authors": [{"name": "Ann Author"}],
                    "tags": ["rust", "feeds"],
                    "language": "de",
                }],
            })
        );
    }

    #[test]
    fn absent_optionals_are_left_out() {
        let mut e = entry(1);
        e.summary.clear();
        e.authors.clear();
        e.tags.clear();
        let mut feed = fixtures::feed(vec![e]);
        feed.description.clear();
        feed.language = None;
        feed.author = None;
        let value = rendered(&feed);
        for key in ["description", "language", "authors"] {
            assert!(value.get(key).is_none(), "feed has {key}");
        }
        for key in ["summary", "authors", "tags", "language"] {
            assert!(value["items"][0].get(key).is_none(), "item has {key}");
        }
    }

    #[test]
    fn empty_feed_has_an_empty_item_list() {
        assert_eq!(rendered(&fixtures::feed(vec![]))["items"], json!([]));
    }

    #[test]
    fn hostile_text_arrives_cleaned_as_in_the_xml_formats() {
        let value = rendered(&fixtures::hostile_feed());
        let item = &value["items"][0];
        assert_eq!(item["title"], format!("Title {HOSTILE_CLEAN}"));
        assert_eq!(item["summary"], format!("Summary {HOSTILE_CLEAN}"));
        assert_eq!(
            item["authors"][0]["name"],
            format!("Author {HOSTILE_CLEAN}")
        );
        assert_eq!(item["tags"][0], format!("tag {HOSTILE_CLEAN}"));
        assert_eq!(value["title"], format!("Feed {HOSTILE_CLEAN}"));
    }
}
