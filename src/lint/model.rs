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
    /// Every enclosure, as written.
    pub enclosures: Vec<Located<RawEnclosure>>,
}

/// An enclosure's attributes as written: RSS `url length type`, Atom `href length type`, JSON
/// `url size_in_bytes mime_type`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawEnclosure {
    pub url: String,
    pub length: Option<String>,
    pub mime: Option<String>,
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

/// Byte offset → 1-based line, in O(log n) per look-up: asking the parser for a position counts
/// newlines from the start each time, which made a long document quadratic.
#[derive(Debug, Clone)]
pub struct Lines {
    /// Where each line after the first starts.
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let starts = (text.bytes().enumerate())
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        Lines { starts }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_offsets() {
        let lines = Lines::new("ab\ncd\n\ne");
        for (offset, line) in [(0, 1), (2, 1), (3, 2), (5, 2), (6, 3), (7, 4), (99, 4)] {
            assert_eq!(lines.line(offset), line, "{offset}");
        }
    }
}
