//! `feedd lint`: what the W3C feed validator and real readers trip over, in the documents feedd
//! would publish (`site`) or in any RSS, Atom or JSON Feed document (`input`).
//!
//! Each document is read raw (`xml`, `json`) into a small model of its own (`model`), since a
//! linter must see what a reader's model hides (a missing self link, a date it could not parse);
//! one module per concern judges it (`links`, `ids`, `dates`, `summary`, `content_html`,
//! `size`) and returns [`Finding`]s. `site` traces a finding about an entry back to its post's
//! file and line; `report` prints them as text or JSON. Exit codes are for the binary to decide
//! ([`exit_code`]).

mod content_html;
mod dates;
pub mod finding;
mod ids;
pub mod input;
mod json;
mod links;
mod model;
mod podcast;
pub mod report;
pub mod site;
mod size;
mod summary;
mod xml;

use chrono::{DateTime, Utc};
use url::Url;

pub use finding::{Code, Finding, RULES, Severity};

/// What one document is judged against.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The document's name in reports: its path below `base_url`, a file name, or `-`.
    pub document: &'a str,
    /// Where the document is published, when known: the self link should say the same.
    pub address: Option<&'a Url>,
    /// The site's `base_url`, for documents feedd builds.
    pub base_url: Option<&'a Url>,
    /// Dates after this (plus a few minutes' skew) are in the future.
    pub now: DateTime<Utc>,
}

/// Every finding in one document's bytes, ordered by line.
pub fn lint_document(bytes: &[u8], cx: &Context<'_>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = size::check(bytes.len(), cx).into_iter().collect();
    let text = String::from_utf8_lossy(bytes);
    // A byte order mark is allowed before XML and tolerated before JSON by readers.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let read = if text.trim_start().starts_with('{') {
        json::read(text)
    } else {
        xml::read(text)
    };
    match read {
        Ok(feed) => {
            findings.extend(links::check(&feed, cx));
            findings.extend(ids::check(&feed, cx));
            findings.extend(dates::check(&feed, cx));
            findings.extend(summary::check(&feed, cx));
            findings.extend(content_html::check(&feed, cx));
            if podcast::is_podcast(text) {
                findings.extend(podcast::check(text, cx));
            }
        }
        Err(err) => findings.push(Finding::new(
            Code::Unreadable,
            cx.document,
            Some(err.line),
            err.message,
        )),
    }
    findings.sort_by_key(|f| (f.line, f.code));
    findings
}

/// The exit status for `findings`: 1 when any is an error (or, with `strict`, a warning).
pub fn exit_code(findings: &[Finding], strict: bool) -> u8 {
    let fails = |f: &Finding| match f.severity {
        Severity::Error => true,
        Severity::Warning => strict,
        Severity::Info => false,
    };
    u8::from(findings.iter().any(fails))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A context for rule tests: document `feed.xml`, clock at 2026-01-01T00:00:00Z.
    pub fn context() -> Context<'static> {
        Context {
            document: "feed.xml",
            address: None,
            base_url: None,
            now: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    fn codes(text: &str) -> Vec<&'static str> {
        lint_document(text.as_bytes(), &context())
            .iter()
            .map(|f| f.code.as_str())
            .collect()
    }

    #[test]
    fn a_clean_atom_feed_has_no_findings() {
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><updated>2019-07-05T00:00:00Z</updated>\
            <link rel=\"self\" href=\"https://x.org/atom.xml\"/>\
            <entry><id>tag:x.org,2019:a</id><updated>2019-07-05T00:00:00Z</updated><summary>s</summary>\
            <content type=\"html\">&lt;a href=\"https://x.org/\"&gt;x&lt;/a&gt;</content></entry></feed>";
        assert_eq!(codes(atom), Vec::<&str>::new());
    }

    #[test]
    fn a_byte_order_mark_is_allowed() {
        let json = "\u{feff}{\"version\": \"https://jsonfeed.org/version/1.1\", \"feed_url\": \"https://x.org/feed.json\", \"items\": []}";
        assert_eq!(codes(json), Vec::<&str>::new());
    }

    #[test]
    fn documents_that_are_not_feeds() {
        assert_eq!(codes("<p>"), ["FD001"]);
        assert_eq!(codes("{\"version\": 1}"), ["FD001"]);
    }

    #[test]
    fn exit_codes() {
        let finding = |code: Code| Finding::new(code, "d", None, String::new());
        let info = [finding(Code::SameUpdated)];
        let warning = [finding(Code::MissingSummary)];
        let error = [finding(Code::DuplicateId)];
        assert_eq!(exit_code(&[], true), 0);
        assert_eq!(exit_code(&info, true), 0);
        assert_eq!(exit_code(&warning, false), 0);
        assert_eq!(exit_code(&warning, true), 1);
        assert_eq!(exit_code(&error, false), 1);
    }
}
