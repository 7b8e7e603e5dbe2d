//! Text that every format can carry: a cleaned copy of the feed the renderers work from.
//!
//! XML 1.0 has no way to write some characters at all (most C0 controls, U+FFFE, U+FFFF), not even
//! as character references, so a post containing one would make the RSS and Atom documents
//! ill-formed and unreadable. They are dropped here, once, before any renderer sees the feed, and
//! the JSON Feed document is rendered from the same cleaned copy so all three formats carry the
//! same text. Escaping markup (`<`, `&`, `]]>`) is left to the XML writers, which do it correctly.

use std::ops::Deref;
use std::sync::Arc;

use crate::feed::{DocumentLink, Entry, Feed, History};
use crate::media::Enclosure;
use crate::podcast::{Channel, Episode, Owner, Transcript};

/// A feed whose every string holds only characters XML 1.0 can represent.
///
/// Renderers take this rather than [`Feed`], so none can be handed unclean text by mistake.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CleanFeed(Feed);

impl CleanFeed {
    /// `feed` with every text cleaned, its entries' too.
    pub(super) fn new(feed: &Feed) -> Self {
        let mut clean = CleanFeed::head(feed);
        clean.0.entries = feed
            .entries
            .iter()
            .map(|e| Arc::new(clean_entry(e)))
            .collect();
        clean
    }

    /// `feed`'s own texts cleaned, without its entries, which are cleaned one at a time as they
    /// are rendered (see `fragments`).
    pub(super) fn head(feed: &Feed) -> Self {
        // Destructured in full so that a new field cannot be added to the model without deciding
        // here whether it needs cleaning.
        let Feed {
            id,
            title,
            description,
            home_url,
            language,
            author,
            tag,
            updated,
            max_age,
            documents,
            entries: _,
            history,
            hubs,
            podcast,
            icon,
            logo,
        } = feed;
        CleanFeed(Feed {
            id: clean(id),
            title: clean(title),
            description: clean(description),
            home_url: clean(home_url),
            language: language.as_deref().map(clean),
            author: author.as_deref().map(clean),
            tag: tag.as_deref().map(clean),
            updated: *updated,
            max_age: *max_age,
            documents: documents.iter().map(clean_link).collect(),
            entries: Vec::new(),
            history: clean_history(history),
            hubs: hubs.iter().map(|hub| clean(hub)).collect(),
            podcast: podcast.as_ref().map(clean_channel),
            icon: icon.as_deref().map(clean),
            logo: logo.as_deref().map(clean),
        })
    }
}

impl Deref for CleanFeed {
    type Target = Feed;

    fn deref(&self) -> &Feed {
        &self.0
    }
}

pub(super) fn clean_link(link: &DocumentLink) -> DocumentLink {
    let DocumentLink { format, path, url } = link;
    DocumentLink {
        format: *format,
        // The path names a file and never reaches a document body; it is kept as given.
        path: path.clone(),
        url: clean(url),
    }
}

fn clean_history(history: &History) -> History {
    let links = |links: &[DocumentLink]| links.iter().map(clean_link).collect();
    match history {
        History::Unpaged => History::Unpaged,
        History::Complete => History::Complete,
        History::Subscription { prev_archive } => History::Subscription {
            prev_archive: links(prev_archive),
        },
        History::Archive {
            current,
            prev_archive,
            next_archive,
        } => History::Archive {
            current: links(current),
            prev_archive: links(prev_archive),
            next_archive: links(next_archive),
        },
    }
}

pub(super) fn clean_entry(entry: &Entry) -> Entry {
    let Entry {
        id,
        title,
        link,
        id_is_link,
        published,
        updated,
        authors,
        summary,
        content_html,
        tags,
        lang,
        enclosures,
        image,
        episode,
    } = entry;
    Entry {
        id: clean(id),
        title: clean(title),
        link: clean(link),
        id_is_link: *id_is_link,
        published: *published,
        updated: *updated,
        authors: authors.iter().map(|a| clean(a)).collect(),
        summary: clean(summary),
        content_html: clean(content_html),
        tags: tags.iter().map(|t| clean(t)).collect(),
        lang: lang.as_deref().map(clean),
        enclosures: enclosures
            .iter()
            .map(|e| Enclosure {
                url: clean(&e.url),
                mime: clean(&e.mime),
                length: e.length,
                duration_secs: e.duration_secs,
                title: e.title.as_deref().map(clean),
            })
            .collect(),
        image: image.as_deref().map(clean),
        episode: episode.as_ref().map(clean_episode),
    }
}

fn clean_episode(episode: &Episode) -> Episode {
    let Episode {
        keys,
        transcripts,
        chapters,
    } = episode;
    Episode {
        keys: *keys,
        transcripts: transcripts
            .iter()
            .map(|t| Transcript {
                url: clean(&t.url),
                mime: clean(&t.mime),
            })
            .collect(),
        chapters: chapters.as_deref().map(clean),
    }
}

fn clean_channel(channel: &Channel) -> Channel {
    let Channel {
        author,
        owner,
        image,
        categories,
        explicit,
        show_type,
        locked,
        guid,
    } = channel;
    Channel {
        author: clean(author),
        owner: Owner {
            name: clean(&owner.name),
            email: clean(&owner.email),
        },
        image: image.as_deref().map(clean),
        // Apple's names, from a fixed list.
        categories: categories.clone(),
        explicit: *explicit,
        show_type: *show_type,
        locked: *locked,
        guid: guid.clone(),
    }
}

/// `text` without the characters XML 1.0 forbids, and with CR LF and lone CR turned into LF.
///
/// Line ends are normalised because every XML reader does so on input: without it the JSON
/// document would carry different text from the XML ones.
pub(super) fn clean(text: &str) -> String {
    // Nearly all text needs no change; a byte scan says so much faster than the char filter.
    let plain_bytes = text.bytes().all(|b| b >= 0x20 || b == b'\t' || b == b'\n');
    if plain_bytes && !text.contains(['\u{FFFE}', '\u{FFFF}']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().filter(|&c| is_xml_char(c)).peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() != Some(&'\n') {
                out.push('\n');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// XML 1.0's `Char` production; surrogates cannot occur in a Rust `char`.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn drops_every_character_xml_forbids() {
        for c in (0u32..0x20)
            .chain([0xFFFE, 0xFFFF])
            .filter_map(char::from_u32)
        {
            let expected = match c {
                '\t' | '\n' => format!("a{c}b"),
                '\r' => "a\nb".to_owned(),
                _ => "ab".to_owned(),
            };
            assert_eq!(clean(&format!("a{c}b")), expected, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn keeps_markup_emoji_and_right_to_left_text() {
        let text = "<b>]]>&amp;</b> 🦀 مرحبا שלום \u{E000}\u{FFFD}\u{10FFFF}";
        assert_eq!(clean(text), text);
    }

    #[test]
    fn normalises_line_ends_after_dropping_controls() {
        assert_eq!(clean("a\r\nb\rc\r\u{1}\nd"), "a\nb\nc\nd");
    }

    #[test]
    fn cleans_every_string_of_feed_and_entries() {
        let dirty = |s: &str| format!("{s}\u{0}\u{B}");
        let mut feed = fixtures::feed(vec![fixtures::entry(1)]);
        feed.title = dirty("T");
        feed.description = dirty("D");
        feed.author = Some(dirty("A"));
        feed.language = Some(dirty("en"));
        feed.documents[0].url = dirty("https://example.com/rss.xml");
        let mut entry = fixtures::entry(2);
        entry.title = dirty("title");
        entry.summary = dirty("summary");
        entry.content_html = dirty("<p>x</p>");
        entry.authors = vec![dirty("Ann")];
        entry.tags = vec![dirty("rust")];
        entry.lang = Some(dirty("fr"));
        feed.entries.push(Arc::new(entry));

        let clean = CleanFeed::new(&feed);
        assert_eq!(clean.title, "T");
        assert_eq!(clean.description, "D");
        assert_eq!(clean.author.as_deref(), Some("A"));
        assert_eq!(clean.language.as_deref(), Some("en"));
        assert_eq!(clean.documents[0].url, "https://example.com/rss.xml");
        let e = &clean.entries[1];
        assert_eq!(
            (
                e.title.as_str(),
                e.summary.as_str(),
                e.content_html.as_str()
            ),
            ("title", "summary", "<p>x</p>")
        );
        assert_eq!(
            (e.authors.clone(), e.tags.clone()),
            (vec!["Ann".to_owned()], vec!["rust".to_owned()])
        );
        assert_eq!(e.lang.as_deref(), Some("fr"));
        assert_eq!(*clean.entries[0], fixtures::entry(1));
    }
}
