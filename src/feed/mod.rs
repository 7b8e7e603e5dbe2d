//! The feed model: which posts become entries, in what order, with which ids and links.
//!
//! Pure: built from parsed posts, the config and the current time (only to hold back posts
//! dated in the future). Rendering it into bytes is `render`'s job.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use crate::format::Format;
use crate::media::Enclosure;
use crate::podcast::{Channel, Episode};

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
    /// Media the post attaches, in the order given; empty for most posts.
    pub enclosures: Vec<Enclosure>,
    /// Absolute URL of the entry's image (JSON Feed `image`, `media:thumbnail`).
    pub image: Option<String>,
    /// On a podcast site, what RSS says of the entry as an episode; `None` elsewhere.
    pub episode: Option<Episode>,
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
    /// Seconds a reader or cache may keep a document of this feed (see `polling`); RSS says it
    /// as `<ttl>` and `sy:updatePeriod`.
    pub max_age: u32,
    pub documents: Vec<DocumentLink>,
    /// Newest first, ties broken by id: the newest `max_entries` (with archives, plus the rest
    /// of the period the oldest of them falls in), or one archive page's.
    pub entries: Vec<Arc<Entry>>,
    /// Where this document sits in the feed's RFC 5005 history.
    pub history: History,
    /// The WebSub hubs every document of the feed names (absolute URLs), so a reader can
    /// subscribe through one instead of polling; empty when none is configured.
    pub hubs: Vec<String>,
    /// On a podcast site, what its RSS channel says of the show; `None` elsewhere.
    pub podcast: Option<Channel>,
    /// Absolute URL of the feed's small square icon (Atom `<icon>`, JSON Feed `favicon`).
    pub icon: Option<String>,
    /// Absolute URL of its larger image (Atom `<logo>`, RSS `<image>`, JSON Feed `icon`).
    pub logo: Option<String>,
}

impl Feed {
    /// The link of `format`'s document, when that format is built.
    pub fn document(&self, format: Format) -> Option<&DocumentLink> {
        link_for(&self.documents, format)
    }
}

/// A document's place among its feed's pages (RFC 5005 archived feeds); each list holds the
/// linked page's documents, one per format, as [`Feed::documents`] does.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum History {
    /// Archives are off: the newest `max_entries`, and nothing older is published.
    #[default]
    Unpaged,
    /// The subscription document, holding every published post (`fh:complete`).
    Complete,
    /// The subscription document; older posts are on archive pages, the newest linked here.
    Subscription { prev_archive: Vec<DocumentLink> },
    /// An archive page (`fh:archive`): a fixed set of older posts.
    Archive {
        current: Vec<DocumentLink>,
        /// The page of the posts just before these; none on the oldest page.
        prev_archive: Vec<DocumentLink>,
        /// The page of the posts just after these; none on the newest page.
        next_archive: Vec<DocumentLink>,
    },
}

impl History {
    /// Whether the document is an archive page, whose bytes only change when one of its own
    /// posts does (or a neighbouring page appears or goes).
    pub fn is_archive(&self) -> bool {
        matches!(self, History::Archive { .. })
    }
}

/// The link among `links` to the document in `format`.
pub fn link_for(links: &[DocumentLink], format: Format) -> Option<&DocumentLink> {
    links.iter().find(|d| d.format == format)
}

mod archive;
mod assemble;
mod ids;
mod index;
mod links;
mod make;
mod period;
pub mod polling;
#[cfg(test)]
mod test_config;

pub use archive::{Page, PageKey};
pub use assemble::{Assembler, Built, ContentFn, Selection, build};
pub use ids::minted_id;
pub use index::{FeedIndex, FeedKey};
pub use links::{absolutize_html, permalink};
pub use period::Period;
