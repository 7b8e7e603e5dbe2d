//! The feed-level RFC 5005 markup RSS and Atom share: which `prev-archive`, `next-archive` and
//! `current` links a document carries, and whether it says `fh:complete` or `fh:archive`.
//!
//! Which page is which is the feed model's decision (`feed::History`); this only spells it.

use crate::feed::{History, link_for};
use crate::format::Format;

/// RFC 5005's namespace, and the prefix feedd declares it under.
pub(super) const NAMESPACE: &str = "http://purl.org/syndication/history/1.0";
pub(super) const PREFIX: &str = "fh";

/// The paging links of a `format` document, as (`rel`, `href`), in a fixed order.
pub(super) fn links(history: &History, format: Format) -> Vec<(&'static str, &str)> {
    let href = |links| link_for(links, format).map(|l| l.url.as_str());
    let rels: Vec<(&'static str, Option<&str>)> = match history {
        History::Unpaged | History::Complete => Vec::new(),
        History::Subscription { prev_archive } => vec![("prev-archive", href(prev_archive))],
        History::Archive {
            current,
            prev_archive,
            next_archive,
        } => vec![
            ("current", href(current)),
            ("prev-archive", href(prev_archive)),
            ("next-archive", href(next_archive)),
        ],
    };
    rels.into_iter()
        .filter_map(|(rel, href)| Some((rel, href?)))
        .collect()
}

/// The empty element in RFC 5005's namespace that the document carries, by local name.
pub(super) fn marker(history: &History) -> Option<&'static str> {
    match history {
        History::Unpaged | History::Subscription { .. } => None,
        History::Complete => Some("complete"),
        History::Archive { .. } => Some("archive"),
    }
}
