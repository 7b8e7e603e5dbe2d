//! What a page shows of a feed, its text cleaned as the feeds' is (so a page carries the same
//! text, and no character HTML forbids): the feed's names and addresses, and its entries' titles,
//! links, dates, authors and summaries. Bodies are left out: pages show summaries, and copying
//! every body of every feed to render the index would cost more than rendering it.

use chrono::{DateTime, FixedOffset};

use crate::feed::{DocumentLink, Entry, Feed};
use crate::render::xml_text::{clean, clean_link};

/// A feed as a page shows it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PageFeed {
    pub title: String,
    pub description: String,
    pub home_url: String,
    pub language: Option<String>,
    pub tag: Option<String>,
    pub updated: DateTime<FixedOffset>,
    pub documents: Vec<DocumentLink>,
    pub entries: Vec<PageEntry>,
}

/// An entry as a page shows it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PageEntry {
    pub title: String,
    pub link: String,
    pub published: DateTime<FixedOffset>,
    pub authors: Vec<String>,
    /// Plain text.
    pub summary: String,
    /// The entry's own language, when it has one.
    pub lang: Option<String>,
}

impl PageFeed {
    /// `feed` with its entries.
    pub fn new(feed: &Feed) -> PageFeed {
        PageFeed {
            entries: feed.entries.iter().map(|e| page_entry(e)).collect(),
            ..PageFeed::listed(feed)
        }
    }

    /// `feed` without its entries, for a page that only lists it.
    pub fn listed(feed: &Feed) -> PageFeed {
        PageFeed {
            title: clean(&feed.title),
            description: clean(&feed.description),
            home_url: clean(&feed.home_url),
            language: feed.language.as_deref().map(clean),
            tag: feed.tag.as_deref().map(clean),
            updated: feed.updated,
            documents: feed.documents.iter().map(clean_link).collect(),
            entries: Vec::new(),
        }
    }
}

fn page_entry(entry: &Entry) -> PageEntry {
    PageEntry {
        title: clean(&entry.title),
        link: clean(&entry.link),
        published: entry.published,
        authors: entry.authors.iter().map(|a| clean(a)).collect(),
        summary: clean(&entry.summary),
        lang: entry.lang.as_deref().map(clean),
    }
}
