//! A parsed post, and the dispatch from a file's extension to its parser.
//!
//! Parsers are pure: they take the file's path (for messages, the date prefix and the slug) and
//! its text, and return a [`Post`] or a [`Diagnostic`]. Reading files is `source`'s job; turning
//! posts into feed entries (ids, links, order) is `feed`'s.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

use crate::diagnostic::Diagnostic;

/// The kinds of source file feedd reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostFormat {
    Markdown,
    PlainText,
}

impl PostFormat {
    /// The format a file is read as, from its extension; `None` for files feedd ignores.
    pub fn of(path: &Path) -> Option<PostFormat> {
        match path.extension()?.to_str()? {
            "md" | "markdown" => Some(PostFormat::Markdown),
            "txt" => Some(PostFormat::PlainText),
            _ => None,
        }
    }
}

/// One post as its author wrote it, before feed-level decisions (id, permalink, order).
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Path relative to the source folder; used in messages and as the cache key.
    pub path: PathBuf,
    pub title: String,
    /// When the post was first published.
    pub date: DateTime<FixedOffset>,
    /// When it was last meaningfully changed, if the author said so.
    pub updated: Option<DateTime<FixedOffset>>,
    pub authors: Vec<String>,
    /// The author's own summary (front matter `summary`).
    pub summary: Option<String>,
    /// The first paragraph as plain text, the summary when the author gave none.
    pub excerpt: String,
    pub tags: Vec<String>,
    /// An explicit id from front matter; overrides the minted one.
    pub id: Option<String>,
    /// From front matter `slug`, else the file name without date prefix and extension.
    pub slug: String,
    pub draft: bool,
    /// An external URL the entry points to instead of its permalink.
    pub link: Option<String>,
    pub lang: Option<String>,
    /// The body as HTML; relative URLs are still relative here.
    pub content_html: String,
}

/// Everything a parser needs besides the file itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParseOptions {
    /// The zone for dates written without an offset.
    pub timezone: Tz,
}
