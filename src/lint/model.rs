//! A feed as the linter sees it: the raw details of any RSS, Atom or JSON Feed document that the
//! rules judge (self links as written, dates as written, content HTML), each with its line.
//!
//! The readers' model (`feed-rs`) hides exactly what a linter must see, such as a missing self
//! link or a date it silently could not parse, so documents are read raw (`xml`, `json`).

use crate::format::Format;

/// A value and the 1-based line of the document it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
}

impl<T> Located<T> {
    pub fn new(value: T, line: usize) -> Located<T> {
        Located { value, line }
    }
}

/// One document, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFeed {
    pub format: Option<Format>,
    /// Every `self` link, as written.
    pub self_links: Vec<Located<String>>,
    /// The site's address (RSS `link`, Atom `rel="alternate"`, JSON `home_page_url`).
    pub site_link: Option<String>,
    /// The feed's own updated date, where the format has one (Atom requires it).
    pub updated: Option<Located<String>>,
    pub entries: Vec<RawEntry>,
}

/// One entry (RSS item, Atom entry, JSON Feed item).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawEntry {
    /// Where the entry starts.
    pub line: usize,
    pub id: Option<Located<String>>,
    /// The date readers order by: Atom `updated`, RSS `pubDate`, JSON `date_modified`, else
    /// `date_published`.
    pub updated: Option<Located<String>>,
    /// Every other date of the entry, for the format and future checks.
    pub dates: Vec<Located<String>>,
    pub has_summary: bool,
    /// HTML the reader renders: RSS `description` and `content:encoded`, Atom `content` and
    /// `summary` of type html or xhtml, JSON `content_html`.
    pub html: Vec<Located<String>>,
}

/// Why a document is not a feed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub message: String,
    pub line: usize,
}

impl ReadError {
    pub fn at_start(message: String) -> ReadError {
        ReadError { message, line: 1 }
    }
}
