//! The lock file's text: TOML, one line per post, sorted by file, so that a rename shows in
//! review as a one-line change and the file merges like any other text.
//!
//! ```toml
//! version = 2
//!
//! [posts]
//! "2019-07-05-point-man.txt" = { id = "tag:example.org,2019-07-05:point-man", date = "2019-07-05T00:00:00+09:00", title = "Point man", content = "7d3f0c1e2b4a5968" }
//! ```
//!
//! Earlier versions kept the same records as JSON (`.feedd-ids.json`); that text is still read,
//! so a site moves to the lock file on its first run.

use imbl::OrdMap;

use serde::Deserialize;

use super::matching::{IdLedger, Record};

const HEADER: &str = "\
# feedd.lock: the entry id of every post, so that a renamed post keeps its id in every reader.
# feedd keeps it up to date: commit it with the posts. `feedd --once --locked` checks it in CI.
";

/// The lock file's text for `ledger`.
pub fn to_text(ledger: &IdLedger) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut text = format!("{HEADER}version = {}\n\n[posts]\n", IdLedger::VERSION);
    for (key, record) in &ledger.posts {
        text.push_str(&format!(
            "{} = {{ id = {}, date = {}, title = {}, content = {} }}\n",
            quote(key),
            quote(&record.id),
            quote(&record.date.to_rfc3339()),
            quote(&record.title),
            quote(&record.content),
        ));
    }
    text
}

/// A lock file's text that cannot be read: the 1-based line and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LockText {
    version: u32,
    #[serde(default)]
    posts: OrdMap<String, Record>,
}

/// Reads the lock file's text, or the JSON ledger of earlier versions.
pub fn from_text(text: &str) -> Result<IdLedger, FormatError> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| FormatError {
            line: e.line(),
            message: e.to_string(),
        });
    }
    let lock = match super::lock_lines::read(text) {
        Some((version, posts)) => LockText { version, posts },
        None => full_parse(text)?,
    };
    if lock.version > IdLedger::VERSION {
        return Err(FormatError {
            line: 1,
            message: format!(
                "written by a newer feedd (version {}; this one reads up to {})",
                lock.version,
                IdLedger::VERSION
            ),
        });
    }
    Ok(IdLedger {
        version: lock.version,
        posts: lock.posts,
    })
}

/// Any TOML layout, with errors that name the line.
fn full_parse(text: &str) -> Result<LockText, FormatError> {
    toml::from_str(text).map_err(|e| FormatError {
        line: e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        }),
        message: e.message().trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn record(id: &str, title: &str) -> Record {
        Record {
            id: id.into(),
            date: DateTime::parse_from_rfc3339("2019-07-05T00:00:00+09:00").unwrap(),
            title: title.into(),
            content: "00000000000000ff".into(),
        }
    }

    fn ledger(posts: &[(&str, Record)]) -> IdLedger {
        IdLedger {
            version: IdLedger::VERSION,
            posts: posts
                .iter()
                .map(|(k, r)| (k.to_string(), r.clone()))
                .collect(),
        }
    }

    #[test]
    fn round_trips_awkward_text() {
        let original = ledger(&[
            (
                "b/é \"quoted\".md",
                record("tag:x,2019-07-05:b", "Line\nbreak \\ and \"quotes\""),
            ),
            ("a.txt", record("urn:uuid:1", "A")),
        ]);
        let text = to_text(&original);
        assert_eq!(from_text(&text).unwrap(), original);
    }

    #[test]
    fn the_quick_reader_reads_what_feedd_writes_as_the_full_parser_does() {
        let plain = ledger(&[
            (
                "2019/a b.md",
                record("tag:x,2019-07-05:a", "Ünïcode & <tags> 'quoted'"),
            ),
            ("c.txt", record("urn:uuid:1", "C")),
        ]);
        let text = to_text(&plain);
        let (version, posts) = super::super::lock_lines::read(&text).expect("feedd's own layout");
        let full = full_parse(&text).unwrap();
        assert_eq!((version, &posts), (full.version, &full.posts));
        assert_eq!(from_text(&text).unwrap(), plain);
    }

    #[test]
    fn one_sorted_line_per_post() {
        let text = to_text(&ledger(&[
            ("b.md", record("tag:x,2019-07-05:b", "B")),
            ("a.md", record("tag:x,2019-07-05:a", "A")),
        ]));
        let posts: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "[posts]")
            .skip(1)
            .collect();
        assert_eq!(posts.len(), 2, "{text}");
        assert!(
            posts[0].starts_with("\"a.md\" = { id = \"tag:x,2019-07-05:a\""),
            "{text}"
        );
        assert!(posts[1].starts_with("\"b.md\""), "{text}");
    }

    #[test]
    fn reads_the_json_ledger_of_earlier_versions() {
        let json =
            serde_json::to_string_pretty(&ledger(&[("a.md", record("urn:a", "A"))])).unwrap();
        assert_eq!(from_text(&json).unwrap().posts["a.md"].id, "urn:a");
    }

    #[test]
    fn errors_name_the_line() {
        let text = "version = 2\n\n[posts]\n\"a.md\" = { id = 3 }\n";
        let err = from_text(text).unwrap_err();
        assert_eq!(err.line, 4, "{err:?}");
        let err = from_text("version = 99\n").unwrap_err();
        assert!(err.message.contains("newer feedd"), "{err:?}");
    }
}
