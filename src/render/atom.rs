//! Atom 1.0 (RFC 4287), written by the `atom_syndication` crate.
//!
//! The crate escapes every text and writes `type="html"` content as escaped text (no CDATA), so
//! markup and `]]>` in posts stay data. Dates keep the offset they were written with.

use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{
    Category, Content, Entry as AtomEntry, Feed as AtomFeed, Generator, Link, Person, Text,
    WriteConfig,
};

use std::collections::BTreeMap;

use super::GENERATOR;
use super::history;
use super::media_rss;
use super::xml_text::CleanFeed;
use crate::feed::{DocumentLink, Entry, History};
use crate::format::Format;

pub(super) fn render(feed: &CleanFeed, link: &DocumentLink) -> Vec<u8> {
    let entries = feed
        .entries
        .iter()
        .map(|e| atom_entry(e, feed.language.as_deref()))
        .collect();
    let anonymous = feed.entries.iter().any(|e| e.authors.is_empty());
    let thumbnails = media_rss::used_by(feed.entries.iter());
    let mut body = write(atom_feed(feed, link, entries, (anonymous, thumbnails)));
    insert_history_marker(&mut body, &feed.history);
    body
}

/// The bytes `entry` has inside any feed in `feed_lang`: the `<entry>` element of a feed holding
/// only it, which the crate writes the same wherever it is.
pub(super) fn fragment(entry: &Entry, feed_lang: Option<&str>) -> Vec<u8> {
    let lone = AtomFeed {
        entries: vec![atom_entry(entry, feed_lang)],
        ..AtomFeed::default()
    };
    super::frame::element(&write(lone), b"<entry>", b"</entry>")
}

/// `feed`'s document with `sentinel` as its only entry, for [`super::frame::Frame::around`];
/// `anonymous` says whether any real entry has no author of its own, `thumbnails` whether any
/// has an image.
pub(super) fn shell(
    feed: &CleanFeed,
    link: &DocumentLink,
    sentinel: &Entry,
    (anonymous, thumbnails): (bool, bool),
) -> Vec<u8> {
    let entries = vec![atom_entry(sentinel, feed.language.as_deref())];
    let mut body = write(atom_feed(feed, link, entries, (anonymous, thumbnails)));
    insert_history_marker(&mut body, &feed.history);
    body
}

fn write(feed: AtomFeed) -> Vec<u8> {
    feed.write_with_config(Vec::new(), WriteConfig::default())
        .expect("writing XML into a Vec cannot fail")
}

fn atom_feed(
    feed: &CleanFeed,
    link: &DocumentLink,
    entries: Vec<AtomEntry>,
    (anonymous, thumbnails): (bool, bool),
) -> AtomFeed {
    // Atom requires an author on every entry, inherited from the feed when the entry has none.
    // Without a site author, the site's own name is the most honest stand-in.
    let authors = match &feed.author {
        Some(author) => vec![person(author)],
        None if anonymous => vec![person(&feed.title)],
        None => Vec::new(),
    };
    let mut links = vec![
        atom_link("self", &link.url),
        Link {
            href: feed.home_url.clone(),
            rel: "alternate".to_owned(),
            mime_type: Some("text/html".to_owned()),
            ..Link::default()
        },
    ];
    links.extend(
        history::links(&feed.history, Format::Atom)
            .into_iter()
            .map(|(rel, href)| atom_link(rel, href)),
    );
    // WebSub §4: each hub beside the `self` link; a hub is no Atom document, so no type.
    links.extend(feed.hubs.iter().map(|hub| Link {
        href: hub.clone(),
        rel: "hub".to_owned(),
        ..Link::default()
    }));
    let mut namespaces = match history::marker(&feed.history) {
        Some(_) => BTreeMap::from([(history::PREFIX.to_owned(), history::NAMESPACE.to_owned())]),
        None => BTreeMap::new(),
    };
    if thumbnails {
        namespaces.insert(
            media_rss::PREFIX.to_owned(),
            media_rss::NAMESPACE.to_owned(),
        );
    }
    AtomFeed {
        id: feed.id.clone(),
        title: Text::plain(feed.title.clone()),
        updated: feed.updated,
        links,
        namespaces,
        subtitle: (!feed.description.is_empty()).then(|| Text::plain(feed.description.clone())),
        generator: Some(Generator {
            value: GENERATOR.to_owned(),
            uri: None,
            version: None,
        }),
        authors,
        lang: feed.language.clone(),
        icon: feed.icon.clone(),
        logo: feed.logo.clone(),
        entries,
        ..AtomFeed::default()
    }
}

fn atom_link(rel: &str, href: &str) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(Format::Atom.media_type().to_owned()),
        ..Link::default()
    }
}

/// Writes RFC 5005's `fh:complete` or `fh:archive` into `body` among the feed's metadata:
/// RFC 4287 has a feed's metadata precede its entries, and the crate writes extension elements
/// after them. Text and attributes are escaped, so the first `<entry>` is the first entry.
fn insert_history_marker(body: &mut Vec<u8>, history: &History) {
    let Some(marker) = history::marker(history) else {
        return;
    };
    let find = |needle: &[u8]| body.windows(needle.len()).position(|w| w == needle);
    let at = find(b"<entry>").or_else(|| find(b"</feed>"));
    if let Some(at) = at {
        let element = format!("<{}:{marker}/>", history::PREFIX);
        body.splice(at..at, element.into_bytes());
    }
}

fn atom_entry(entry: &Entry, feed_lang: Option<&str>) -> AtomEntry {
    // The crate has no `xml:lang` on `entry` itself, so an entry in another language than its feed
    // says so on each of its texts.
    let lang = entry.lang.clone().filter(|l| Some(l.as_str()) != feed_lang);
    let text = |value: &str| Text {
        lang: lang.clone(),
        ..Text::plain(value)
    };
    AtomEntry {
        id: entry.id.clone(),
        title: text(&entry.title),
        links: std::iter::once(Link {
            href: entry.link.clone(),
            rel: "alternate".to_owned(),
            ..Link::default()
        })
        .chain(entry.enclosures.iter().map(|e| Link {
            href: e.url.clone(),
            rel: "enclosure".to_owned(),
            mime_type: Some(e.mime.clone()),
            length: Some(e.length.to_string()),
            title: e.title.clone(),
            ..Link::default()
        }))
        .collect(),
        published: Some(entry.published),
        updated: entry.updated,
        authors: entry.authors.iter().map(|a| person(a)).collect(),
        categories: entry
            .tags
            .iter()
            .map(|t| Category {
                term: t.clone(),
                ..Category::default()
            })
            .collect(),
        summary: (!entry.summary.is_empty()).then(|| text(&entry.summary)),
        content: Some(Content {
            value: Some(entry.content_html.clone()),
            content_type: Some("html".to_owned()),
            lang: lang.clone(),
            ..Content::default()
        }),
        extensions: entry.image.as_deref().map(thumbnail).unwrap_or_default(),
        ..AtomEntry::default()
    }
}

/// The entry's image as `media:thumbnail`.
fn thumbnail(url: &str) -> ExtensionMap {
    let element = Extension {
        name: format!("{}:thumbnail", media_rss::PREFIX),
        attrs: BTreeMap::from([("url".to_owned(), url.to_owned())]),
        ..Extension::default()
    };
    BTreeMap::from([(
        media_rss::PREFIX.to_owned(),
        BTreeMap::from([("thumbnail".to_owned(), vec![element])]),
    )])
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_owned(),
        ..Person::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::Feed;
    use crate::render::fixtures::{self, HOSTILE_CLEAN, entry};

    /// Renders `feed` and reads the bytes back with the `atom_syndication` crate.
    fn rendered(feed: &Feed) -> (String, AtomFeed) {
        let clean = CleanFeed::new(feed);
        let link = clean
            .document(Format::Atom)
            .expect("fixture feeds build Atom");
        let body = String::from_utf8(render(&clean, link)).expect("Atom is UTF-8");
        let parsed = body.parse::<AtomFeed>().expect("rendered Atom reads back");
        (body, parsed)
    }

    #[test]
    fn feed_carries_id_title_links_subtitle_generator_and_author() {
        let (_, atom) = rendered(&fixtures::feed(vec![entry(1), entry(4)]));
        assert_eq!(atom.id, "tag:example.com,2024:feed");
        assert_eq!(atom.title.value, "Example Site");
        assert_eq!(atom.updated.to_rfc3339(), "2024-05-04T10:00:00+02:00");
        let links: Vec<_> = atom
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str(), l.mime_type.as_deref()))
            .collect();
        assert_eq!(
            links,
            [
                (
                    "self",
                    "https://example.com/atom.xml",
                    Some("application/atom+xml")
                ),
                ("alternate", "https://example.com/", Some("text/html")),
            ]
        );
        assert_eq!(
            atom.subtitle.map(|s| s.value).as_deref(),
            Some("Notes about examples")
        );
        let generator = atom.generator.expect("generator present");
        assert_eq!(
            (generator.value.as_str(), generator.version),
            ("feedd", None)
        );
        let authors: Vec<_> = atom.authors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(authors, ["Site Owner"]);
        assert_eq!(atom.lang.as_deref(), Some("en"));
    }

    #[test]
    fn entry_carries_every_field_with_its_own_offset() {
        let (body, atom) = rendered(&fixtures::feed(vec![entry(2)]));
        let e = &atom.entries[0];
        assert_eq!(e.id, "tag:example.com,2024:post-2");
        assert_eq!(e.title.value, "Post 2");
        assert_eq!(e.links.len(), 1);
        assert_eq!(
            (e.links[0].rel.as_str(), e.links[0].href.as_str()),
            ("alternate", "https://example.com/posts/post-2/")
        );
        assert!(body.contains("<published>2024-05-02T10:00:00+02:00</published>"));
        assert!(body.contains("<updated>2024-05-02T10:00:00+02:00</updated>"));
        let authors: Vec<_> = e.authors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(authors, ["Ann Author"]);
        let terms: Vec<_> = e.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(terms, ["rust", "feeds"]);
        let summary = e.summary.as_ref().expect("summary present");
        assert_eq!(summary.value, "Summary of post 2.");
        assert_eq!(summary.r#type, atom_syndication::TextType::Text);
        let content = e.content.as_ref().expect("content present");
        assert_eq!(content.content_type.as_deref(), Some("html"));
        assert_eq!(content.value.as_deref(), Some("<p>Body of post 2.</p>"));
    }

    #[test]
    fn empty_description_leaves_subtitle_out() {
        let mut feed = fixtures::feed(vec![entry(1)]);
        feed.description.clear();
        assert_eq!(rendered(&feed).1.subtitle, None);
    }

    #[test]
    fn feed_without_author_names_itself_only_when_an_entry_has_no_author() {
        let mut feed = fixtures::feed(vec![entry(1)]);
        feed.author = None;
        assert!(rendered(&feed).1.authors.is_empty());

        let mut anonymous = entry(2);
        anonymous.authors.clear();
        feed.entries.push(std::sync::Arc::new(anonymous));
        let authors: Vec<_> = rendered(&feed)
            .1
            .authors
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(authors, ["Example Site"]);
    }

    #[test]
    fn entry_in_another_language_marks_its_texts() {
        let mut french = entry(1);
        french.lang = Some("fr".to_owned());
        let mut english = entry(2);
        english.lang = Some("en".to_owned());
        let (_, atom) = rendered(&fixtures::feed(vec![french, english]));
        let fr = &atom.entries[0];
        assert_eq!(fr.title.lang.as_deref(), Some("fr"));
        assert_eq!(
            fr.summary.as_ref().and_then(|s| s.lang.as_deref()),
            Some("fr")
        );
        assert_eq!(
            fr.content.as_ref().and_then(|c| c.lang.as_deref()),
            Some("fr")
        );
        assert_eq!(atom.entries[1].title.lang, None);
    }

    #[test]
    fn markup_and_cdata_terminators_stay_text() {
        let (body, atom) = rendered(&fixtures::hostile_feed());
        assert!(!body.contains("<![CDATA["), "content is escaped, not CDATA");
        assert!(!body.contains("<script>"));
        let e = &atom.entries[0];
        assert_eq!(e.title.value, format!("Title {HOSTILE_CLEAN}"));
        assert_eq!(
            e.content.as_ref().and_then(|c| c.value.as_deref()),
            Some(format!("<p>{HOSTILE_CLEAN}</p><![CDATA[x]]>").as_str())
        );
        assert_eq!(e.categories[0].term, format!("tag {HOSTILE_CLEAN}"));
    }

    #[test]
    fn history_markers_come_before_the_entries_in_their_namespace() {
        let mut feed = fixtures::feed(vec![entry(1), entry(2)]);
        feed.history = History::Complete;
        let (body, _) = rendered(&feed);
        let marker = body.find("<fh:complete/>").expect("fh:complete is written");
        assert!(marker < body.find("<entry>").expect("entries are written"));
        assert!(body.contains(r#"xmlns:fh="http://purl.org/syndication/history/1.0""#));
        let xml = roxmltree::Document::parse(&body).expect("well-formed");
        let complete = xml
            .root_element()
            .children()
            .find(|n| n.tag_name().name() == "complete")
            .expect("a child of feed");
        assert_eq!(complete.tag_name().namespace(), Some(history::NAMESPACE));

        feed.entries.clear();
        feed.history = History::Archive {
            current: feed.documents.clone(),
            prev_archive: Vec::new(),
            next_archive: Vec::new(),
        };
        let (body, parsed) = rendered(&feed);
        assert!(body.ends_with("<fh:archive/></feed>"), "{body}");
        let rels: Vec<_> = parsed.links.iter().map(|l| l.rel.as_str()).collect();
        assert_eq!(rels, ["self", "alternate", "current"]);

        feed.history = History::Unpaged;
        let (body, _) = rendered(&feed);
        assert!(!body.contains("fh:"), "{body}");
    }
}
