//! The pipeline both drivers share: cached posts → feed model → rendered documents.
//!
//! `once` runs it a single time; `daemon` runs it after every batch of changes. Neither knows how
//! posts become bytes; this module does not know where the bytes go.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::feed::{self, IdLedger};
use crate::post::ParseOptions;
use crate::post_cache::PostCache;
use crate::render::{self, Document};

/// Every document of the site, and everything that went wrong on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    pub documents: Vec<Document>,
    /// Sorted by path and line, so reports are stable.
    pub diagnostics: Vec<Diagnostic>,
    /// Posts in the main feed's pool (published, not drafts or scheduled).
    pub published: usize,
    /// When the earliest scheduled post comes due.
    pub next_due: Option<DateTime<Utc>>,
    /// The ids this build published, to keep them across renames in the next one.
    pub ledger: IdLedger,
}

/// What posts are parsed with under `config`.
pub fn parse_options(config: &Config) -> ParseOptions {
    ParseOptions {
        timezone: config.timezone,
    }
}

/// Renders every document from the posts in `cache`, keeping the ids in `ledger`. `now` only
/// decides which scheduled posts are due.
pub fn build(config: &Config, cache: &PostCache, ledger: &IdLedger, now: DateTime<Utc>) -> Build {
    let content = |post: &crate::post::Post| cache.content_html(post);
    let built = feed::build(config, &cache.posts(), ledger, &content, now);
    let documents = render::render_all(&built.feeds);
    let mut diagnostics = cache.diagnostics();
    diagnostics.extend(built.diagnostics);
    diagnostics.sort();
    Build {
        documents,
        diagnostics,
        published: built.published,
        next_due: built.next_due,
        ledger: built.ledger,
    }
}
