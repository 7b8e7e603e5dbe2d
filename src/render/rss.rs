//! RSS 2.0, written by the `rss` crate, with the content, Dublin Core and Atom extensions.
//!
//! Authors are bare names, so they go in `dc:creator` (RSS `author` wants an e-mail address).
//! An item's `description` is HTML to every reader, so the plain-text summary is HTML-escaped
//! first: a summary reading `<script>` is shown, not run.
//! The crate writes item `description` and `content:encoded` as CDATA and splits any `]]>` inside
//! across two sections, so content cannot end the section early; every other text is escaped.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, TimeZone};
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::{self, DublinCoreExtension};
use rss::extension::{Extension, ExtensionMap};
use rss::{Category, Channel, Enclosure, Guid, Image, Item};

use super::GENERATOR;
use super::history;
use super::media_rss;
use super::xml_text::CleanFeed;
use crate::feed::polling::Refresh;
use crate::feed::{DocumentLink, Entry, History};

const CONTENT_NAMESPACE: &str = "http://purl.org/rss/1.0/modules/content/";
const SYNDICATION_NAMESPACE: &str = rss::extension::syndication::NAMESPACE;
const SY_PREFIX: &str = "sy";

pub(super) fn render(feed: &CleanFeed, link: &DocumentLink) -> Vec<u8> {
    let items = feed
        .entries
        .iter()
        .map(|e| item(e, feed.author.as_deref()))
        .collect();
    let thumbnails = media_rss::used_by(feed.entries.iter());
    write(channel(feed, link, items, thumbnails))
}

/// The bytes `entry` has inside any channel of a site whose author is `site_author`: the
/// `<item>` element of a channel holding only it, which the crate writes the same wherever it is.
pub(super) fn fragment(entry: &Entry, site_author: Option<&str>) -> Vec<u8> {
    let lone = Channel {
        items: vec![item(entry, site_author)],
        ..Channel::default()
    };
    super::frame::element(&write(lone), b"<item>", b"</item>")
}

/// `feed`'s channel with `sentinel` as its only item, for [`super::frame::Frame::around`];
/// `thumbnails` says whether any real entry has an image.
pub(super) fn shell(
    feed: &CleanFeed,
    link: &DocumentLink,
    sentinel: &Entry,
    thumbnails: bool,
) -> Vec<u8> {
    write(channel(
        feed,
        link,
        vec![item(sentinel, feed.author.as_deref())],
        thumbnails,
    ))
}

fn write(channel: Channel) -> Vec<u8> {
    channel
        .write_to(Vec::new())
        .expect("writing XML into a Vec cannot fail")
}

fn channel(feed: &CleanFeed, link: &DocumentLink, items: Vec<Item>, thumbnails: bool) -> Channel {
    // Declared whether or not an item uses them, so the root element does not depend on content.
    let mut namespaces = BTreeMap::from([
        (
            "atom".to_owned(),
            rss::extension::atom::NAMESPACE.to_owned(),
        ),
        ("content".to_owned(), CONTENT_NAMESPACE.to_owned()),
        ("dc".to_owned(), dublincore::NAMESPACE.to_owned()),
    ]);
    let links = atom_links(feed, link);
    if thumbnails {
        namespaces.insert(
            media_rss::PREFIX.to_owned(),
            media_rss::NAMESPACE.to_owned(),
        );
    }
    let (namespaces, extensions) = history_marker(&feed.history, namespaces);
    let (mut namespaces, mut extensions) = refresh(feed.max_age, namespaces, extensions);
    let itunes_ext = (feed.podcast.as_ref())
        .map(|show| super::podcast::channel(show, &mut namespaces, &mut extensions));
    Channel {
        title: feed.title.clone(),
        link: feed.home_url.clone(),
        // RSS requires a description; the title is the best one there is when none was given.
        description: if feed.description.is_empty() {
            feed.title.clone()
        } else {
            feed.description.clone()
        },
        language: feed.language.clone(),
        last_build_date: Some(rfc2822(feed.updated)),
        ttl: Some(Refresh::of(feed.max_age).ttl_minutes.to_string()),
        generator: Some(GENERATOR.to_owned()),
        atom_ext: Some(AtomExtension { links }),
        namespaces,
        extensions,
        itunes_ext,
        // `managingEditor` wants an e-mail address; `dc:creator` takes the name as given.
        dublin_core_ext: feed.author.as_ref().map(|author| DublinCoreExtension {
            creators: vec![author.clone()],
            ..DublinCoreExtension::default()
        }),
        image: feed.logo.as_ref().map(|url| Image {
            url: url.clone(),
            title: feed.title.clone(),
            link: feed.home_url.clone(),
            ..Image::default()
        }),
        items,
        ..Channel::default()
    }
}

/// The channel's `atom:link`s: `self`, its RFC 5005 neighbours, and its WebSub hubs.
fn atom_links(feed: &CleanFeed, link: &DocumentLink) -> Vec<Link> {
    let atom_link = |rel: &str, href: &str| Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(link.format.media_type().to_owned()),
        ..Link::default()
    };
    let mut links = vec![atom_link("self", &link.url)];
    links.extend(
        history::links(&feed.history, link.format)
            .into_iter()
            .map(|(rel, href)| atom_link(rel, href)),
    );
    // WebSub §4: each hub as an `atom:link`, beside the `self` one RSS has no element for.
    links.extend(feed.hubs.iter().map(|hub| Link {
        href: hub.clone(),
        rel: "hub".to_owned(),
        ..Link::default()
    }));
    links
}

/// RFC 5005's namespace (added to `namespaces`) and its `fh:complete` or `fh:archive` element,
/// when the feed has one.
fn history_marker(
    history: &History,
    mut namespaces: BTreeMap<String, String>,
) -> (BTreeMap<String, String>, ExtensionMap) {
    let Some(marker) = history::marker(history) else {
        return (namespaces, ExtensionMap::new());
    };
    namespaces.insert(history::PREFIX.to_owned(), history::NAMESPACE.to_owned());
    let element = Extension {
        name: format!("{}:{marker}", history::PREFIX),
        ..Extension::default()
    };
    let extensions = BTreeMap::from([(
        history::PREFIX.to_owned(),
        BTreeMap::from([(marker.to_owned(), vec![element])]),
    )]);
    (namespaces, extensions)
}

/// The syndication module's `sy:updatePeriod` and `sy:updateFrequency`, the same advice as
/// `<ttl>` for readers that know this module instead. Written as plain elements rather than
/// through the crate's `SyndicationExtension`, which always adds an `sy:updateBase`.
fn refresh(
    max_age: u32,
    mut namespaces: BTreeMap<String, String>,
    mut extensions: ExtensionMap,
) -> (BTreeMap<String, String>, ExtensionMap) {
    let refresh = Refresh::of(max_age);
    namespaces.insert(SY_PREFIX.to_owned(), SYNDICATION_NAMESPACE.to_owned());
    let element = |name: &str, value: String| {
        let extension = Extension {
            name: format!("{SY_PREFIX}:{name}"),
            value: Some(value),
            ..Extension::default()
        };
        (name.to_owned(), vec![extension])
    };
    extensions.insert(
        SY_PREFIX.to_owned(),
        BTreeMap::from([
            element("updatePeriod", refresh.period.name().to_owned()),
            element("updateFrequency", refresh.frequency.to_string()),
        ]),
    );
    (namespaces, extensions)
}

/// One entry; its authors, else the site's `author`, as Atom and JSON Feed have them too.
fn item(entry: &Entry, site_author: Option<&str>) -> Item {
    let creators = if entry.authors.is_empty() {
        site_author.map(|a| vec![a.to_owned()]).unwrap_or_default()
    } else {
        entry.authors.clone()
    };
    Item {
        title: Some(entry.title.clone()),
        link: Some(entry.link.clone()),
        guid: Some(Guid {
            value: entry.id.clone(),
            permalink: entry.id_is_link,
        }),
        description: (!entry.summary.is_empty()).then(|| html_text(&entry.summary)),
        content: Some(entry.content_html.clone()),
        dublin_core_ext: (!creators.is_empty()).then(|| DublinCoreExtension {
            creators,
            ..DublinCoreExtension::default()
        }),
        categories: entry
            .tags
            .iter()
            .map(|t| Category::from(t.as_str()))
            .collect(),
        pub_date: Some(rfc2822(entry.published)),
        itunes_ext: super::podcast::item_itunes(entry),
        // RSS has one enclosure an item; the first is the one podcast apps play.
        enclosure: entry.enclosures.first().map(|e| Enclosure {
            url: e.url.clone(),
            length: e.length.to_string(),
            mime_type: e.mime.clone(),
        }),
        extensions: super::podcast::item_extensions(
            entry,
            entry.image.as_deref().map(thumbnail).unwrap_or_default(),
        ),
        ..Item::default()
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

/// Plain `text` as HTML that displays it.
fn html_text(text: &str) -> String {
    let mut html = String::with_capacity(text.len());
    pulldown_cmark_escape::escape_html_body_text(&mut html, text)
        .expect("writing to a String cannot fail");
    html
}

/// RFC 2822 has four-digit years only; a date outside them is written as the nearest one it can
/// express, rather than letting chrono panic on it.
fn rfc2822(date: DateTime<FixedOffset>) -> String {
    let (y, mo, d, h, mi, s) = match date.year() {
        0..=9999 => return date.to_rfc2822(),
        ..0 => (0, 1, 1, 0, 0, 0),
        _ => (9999, 12, 31, 23, 59, 59),
    };
    match date.offset().with_ymd_and_hms(y, mo, d, h, mi, s).single() {
        Some(nearest) => nearest.to_rfc2822(),
        // Unreachable for a fixed offset; kept total so no input can make rendering panic.
        None => date.format("%a, %d %b %Y %H:%M:%S %z").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use rss::validation::Validate;

    use super::*;
    use crate::feed::Feed;
    use crate::format::Format;
    use crate::render::fixtures::{self, HOSTILE_CLEAN, entry};

    /// Renders `feed`, reads the bytes back with the `rss` crate and validates them.
    fn rendered(feed: &Feed) -> Channel {
        let clean = CleanFeed::new(feed);
        let link = clean
            .document(Format::Rss)
            .expect("fixture feeds build RSS");
        let body = render(&clean, link);
        let channel = Channel::read_from(&body[..]).expect("rendered RSS reads back");
        channel.validate().expect("rendered RSS is valid");
        channel
    }

    #[test]
    fn channel_carries_site_fields_self_link_and_versionless_generator() {
        let channel = rendered(&fixtures::feed(vec![entry(1), entry(3)]));
        assert_eq!(channel.title, "Example Site");
        assert_eq!(channel.link, "https://example.com/");
        assert_eq!(channel.description, "Notes about examples");
        assert_eq!(channel.language.as_deref(), Some("en"));
        assert_eq!(
            channel.last_build_date.as_deref(),
            Some("Fri, 3 May 2024 10:00:00 +0200")
        );
        assert_eq!(channel.generator.as_deref(), Some("feedd"));
        let links = &channel.atom_ext.as_ref().expect("atom:link present").links;
        assert_eq!(links.len(), 1);
        assert_eq!(
            (links[0].rel.as_str(), links[0].href.as_str()),
            ("self", "https://example.com/rss.xml")
        );
        assert_eq!(links[0].mime_type.as_deref(), Some("application/rss+xml"));
    }

    #[test]
    fn declares_content_dc_and_atom_namespaces_even_without_items() {
        let channel = rendered(&fixtures::feed(vec![]));
        assert!(channel.items.is_empty());
        for (prefix, uri) in [
            ("content", CONTENT_NAMESPACE),
            ("dc", dublincore::NAMESPACE),
            ("atom", rss::extension::atom::NAMESPACE),
        ] {
            assert_eq!(
                channel.namespaces.get(prefix).map(String::as_str),
                Some(uri)
            );
        }
        assert_eq!(
            channel.last_build_date.as_deref(),
            Some("Thu, 1 Jan 1970 00:00:00 +0000")
        );
    }

    #[test]
    fn empty_description_falls_back_to_title() {
        let mut feed = fixtures::feed(vec![entry(1)]);
        feed.description.clear();
        assert_eq!(rendered(&feed).description, "Example Site");
    }

    #[test]
    fn item_carries_every_entry_field() {
        let channel = rendered(&fixtures::feed(vec![entry(2)]));
        let item = &channel.items[0];
        assert_eq!(item.title.as_deref(), Some("Post 2"));
        assert_eq!(
            item.link.as_deref(),
            Some("https://example.com/posts/post-2/")
        );
        let guid = item.guid.as_ref().expect("guid present");
        assert_eq!(guid.value, "tag:example.com,2024:post-2");
        assert!(!guid.permalink);
        assert_eq!(item.description.as_deref(), Some("Summary of post 2."));
        assert_eq!(item.content.as_deref(), Some("<p>Body of post 2.</p>"));
        let dc = item.dublin_core_ext.as_ref().expect("dc:creator present");
        assert_eq!(dc.creators, ["Ann Author"]);
        assert_eq!(item.author, None);
        let tags: Vec<_> = item.categories.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(tags, ["rust", "feeds"]);
        assert_eq!(
            item.pub_date.as_deref(),
            Some("Thu, 2 May 2024 10:00:00 +0200")
        );
    }

    #[test]
    fn guid_is_a_permalink_only_when_the_id_is_the_link() {
        let mut e = entry(1);
        e.id_is_link = true;
        e.id = e.link.clone();
        let channel = rendered(&fixtures::feed(vec![e]));
        assert!(channel.items[0].guid.as_ref().is_some_and(|g| g.permalink));
        let clean = CleanFeed::new(&fixtures::feed(vec![entry(1)]));
        let body = render(&clean, &clean.documents[0]);
        assert!(String::from_utf8_lossy(&body).contains(r#"<guid isPermaLink="false">"#));
    }

    #[test]
    fn empty_summary_and_authors_leave_their_elements_out() {
        let mut e = entry(1);
        e.summary.clear();
        e.authors.clear();
        let mut feed = fixtures::feed(vec![e]);
        feed.author = None;
        let channel = rendered(&feed);
        assert_eq!(channel.items[0].description, None);
        assert_eq!(channel.items[0].dublin_core_ext, None);
        assert_eq!(channel.dublin_core_ext, None);
    }

    #[test]
    fn the_site_author_stands_in_for_entries_without_one() {
        let mut e = entry(1);
        e.authors.clear();
        let channel = rendered(&fixtures::feed(vec![e, entry(2)]));
        let creators = |dc: Option<&DublinCoreExtension>| dc.map(|d| d.creators.clone());
        let site = Some(vec!["Site Owner".to_owned()]);
        assert_eq!(creators(channel.dublin_core_ext.as_ref()), site);
        assert_eq!(creators(channel.items[0].dublin_core_ext.as_ref()), site);
        assert_eq!(
            creators(channel.items[1].dublin_core_ext.as_ref()),
            Some(vec!["Ann Author".to_owned()]),
            "an entry's own author wins"
        );
    }

    #[test]
    fn plain_text_summary_is_escaped_as_html_in_description() {
        let mut e = entry(1);
        e.summary = "a < b && <script>x</script>".to_owned();
        let item = &rendered(&fixtures::feed(vec![e])).items[0];
        assert_eq!(
            item.description.as_deref(),
            Some("a &lt; b &amp;&amp; &lt;script&gt;x&lt;/script&gt;")
        );
    }

    #[test]
    fn cdata_terminator_in_content_cannot_end_the_section() {
        let channel = rendered(&fixtures::hostile_feed());
        let item = &channel.items[0];
        assert_eq!(
            item.content.as_deref(),
            Some(format!("<p>{HOSTILE_CLEAN}</p><![CDATA[x]]>").as_str())
        );
        assert_eq!(
            item.description.as_deref(),
            Some(html_text(&format!("Summary {HOSTILE_CLEAN}")).as_str())
        );
        assert_eq!(
            item.title.as_deref(),
            Some(format!("Title {HOSTILE_CLEAN}").as_str())
        );
    }

    #[test]
    fn years_rfc_2822_cannot_write_are_clamped_not_panicked_on() {
        let at = |offset_secs, year| {
            FixedOffset::east_opt(offset_secs)
                .and_then(|o| o.with_ymd_and_hms(year, 6, 1, 0, 0, 0).single())
                .expect("fixture date exists")
        };
        assert_eq!(rfc2822(at(3600, 10_000)), "Fri, 31 Dec 9999 23:59:59 +0100");
        assert_eq!(rfc2822(at(0, -1)), "Sat, 1 Jan 0000 00:00:00 +0000");
        let mut e = entry(1);
        e.published = at(0, 12_345);
        let channel = rendered(&fixtures::feed(vec![e]));
        assert_eq!(
            channel.items[0].pub_date.as_deref(),
            Some("Fri, 31 Dec 9999 23:59:59 +0000")
        );
    }

    #[test]
    fn archive_pages_link_their_neighbours_and_say_fh_archive() {
        let mut feed = fixtures::feed(vec![entry(1)]);
        let page = |label: &str| {
            let mut links = feed.documents.clone();
            for link in &mut links {
                link.url = format!("{}archive/{label}/{}", fixtures::HOME, link.path);
            }
            links
        };
        feed.history = crate::feed::History::Archive {
            current: feed.documents.clone(),
            prev_archive: page("2024-04"),
            next_archive: page("2024-06"),
        };
        let channel = rendered(&feed);
        let links: Vec<_> = channel
            .atom_ext
            .as_ref()
            .expect("atom links")
            .links
            .iter()
            .map(|l| (l.rel.as_str(), l.href.as_str(), l.mime_type.as_deref()))
            .collect();
        let rss = Some("application/rss+xml");
        assert_eq!(
            links,
            [
                ("self", "https://example.com/rss.xml", rss),
                ("current", "https://example.com/rss.xml", rss),
                (
                    "prev-archive",
                    "https://example.com/archive/2024-04/rss.xml",
                    rss
                ),
                (
                    "next-archive",
                    "https://example.com/archive/2024-06/rss.xml",
                    rss
                ),
            ]
        );
        assert_eq!(
            channel.namespaces.get("fh").map(String::as_str),
            Some(history::NAMESPACE)
        );
        let marker = channel.extensions.get("fh").and_then(|m| m.get("archive"));
        assert!(
            marker.is_some_and(|m| m.len() == 1),
            "{:?}",
            channel.extensions
        );
    }
}
