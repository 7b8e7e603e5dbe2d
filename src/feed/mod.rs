//! The feed model: which posts become entries, in what order, with which ids and links.
//!
//! Pure: built from parsed posts, the config and the current time (only to hold back posts
//! dated in the future). Rendering it into bytes is `render`'s job.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use crate::format::Format;

/// One entry as every format renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable identity (see `ids`): Atom `id`, RSS `guid`, JSON Feed `id`.
    pub id: String,
    pub title: String,
    /// Absolute URL of the post (its permalink or its front matter `link`).
    pub link: String,
    /// Whether `link` is this site's permalink (RSS `guid isPermaLink`).
    pub id_is_link: bool,
    pub published: DateTime<FixedOffset>,
    /// Same as `published` unless the author gave `updated`.
    pub updated: DateTime<FixedOffset>,
    pub authors: Vec<String>,
    /// Plain text.
    pub summary: String,
    /// Full HTML with every relative URL made absolute.
    pub content_html: String,
    pub tags: Vec<String>,
    pub lang: Option<String>,
}

/// Where one rendered document of a feed lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLink {
    pub format: Format,
    /// Path below `base_url` and the output folder, e.g. `tags/rust/atom.xml`.
    pub path: String,
    /// Absolute URL, the document's `rel="self"`.
    pub url: String,
}

/// One feed (the main one or one tag's), rendered once per configured format.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// Stable Atom feed id.
    pub id: String,
    pub title: String,
    pub description: String,
    /// The site's home page.
    pub home_url: String,
    pub language: Option<String>,
    /// The site-wide author, used where an entry has none.
    pub author: Option<String>,
    /// The tag this feed is about, for per-tag feeds.
    pub tag: Option<String>,
    /// The newest entry's `updated`; the Unix epoch for an empty feed (never the build time).
    pub updated: DateTime<FixedOffset>,
    pub documents: Vec<DocumentLink>,
    /// Newest first, ties broken by id; at most `max_entries`.
    pub entries: Vec<Arc<Entry>>,
}

impl Feed {
    /// The link of `format`'s document, when that format is built.
    pub fn document(&self, format: Format) -> Option<&DocumentLink> {
        self.documents.iter().find(|d| d.format == format)
    }
}

mod assemble;
mod ids;
mod index;
mod links;

pub use assemble::{Assembler, Built, ContentFn, Selection, build};
pub use ids::minted_id;
pub use index::{FeedIndex, FeedKey};
pub use links::{absolutize_html, permalink};
