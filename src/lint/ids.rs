//! Entry ids: missing, duplicated within a document, or changed since the lock file.

use std::collections::HashMap;

use super::Context;
use super::finding::{Anchor, Code, Finding};
use super::model::RawFeed;
use crate::ledger::IdLedger;

/// Duplicate and missing ids in one document.
pub fn check(feed: &RawFeed, cx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for entry in &feed.entries {
        match &entry.id {
            Some(id) if !id.value.is_empty() => {
                if let Some(first) = first_line.get(id.value.as_str()) {
                    findings.push(
                        Finding::new(
                            Code::DuplicateId,
                            cx.document,
                            Some(id.line),
                            format!(
                                "id {} is already used by the entry at line {first}",
                                id.value
                            ),
                        )
                        .about(Some(&id.value), Some(Anchor::Key("id"))),
                    );
                } else {
                    first_line.insert(&id.value, id.line);
                }
            }
            _ => findings.push(Finding::new(
                Code::MissingId,
                cx.document,
                Some(entry.line),
                "entry has no id".to_string(),
            )),
        }
    }
    findings
}

/// Each post (lock file key) whose id differs from the one the lock file recorded for the same
/// file: (key, recorded id, id now).
pub fn changed_since_lock<'a>(
    recorded: &'a IdLedger,
    resolved: &'a IdLedger,
) -> Vec<(&'a str, &'a str, &'a str)> {
    resolved
        .posts
        .iter()
        .filter_map(|(key, now)| {
            let before = recorded.posts.get(key)?;
            (before.id != now.id).then_some((key.as_str(), before.id.as_str(), now.id.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::model::{Located, RawEntry};
    use crate::lint::tests::context;

    fn feed(ids: &[Option<&str>]) -> RawFeed {
        RawFeed {
            entries: ids
                .iter()
                .enumerate()
                .map(|(i, id)| RawEntry {
                    line: i + 1,
                    id: id.map(|id| Located::new(id.to_string(), i + 1)),
                    ..RawEntry::default()
                })
                .collect(),
            ..RawFeed::default()
        }
    }

    type Case = (&'static [Option<&'static str>], &'static [(Code, usize)]);

    #[test]
    fn duplicate_and_missing_ids() {
        let cases: &[Case] = &[
            (&[Some("a"), Some("b")], &[]),
            (&[Some("a"), Some("a")], &[(Code::DuplicateId, 2)]),
            (
                &[Some("a"), None, Some("a"), Some("a")],
                &[
                    (Code::MissingId, 2),
                    (Code::DuplicateId, 3),
                    (Code::DuplicateId, 4),
                ],
            ),
            (&[Some("")], &[(Code::MissingId, 1)]),
        ];
        for (ids, wanted) in cases {
            let got: Vec<(Code, usize)> = check(&feed(ids), &context())
                .iter()
                .map(|f| (f.code, f.line.unwrap()))
                .collect();
            assert_eq!(&got, wanted, "{ids:?}");
        }
    }

    #[test]
    fn ids_changed_since_the_lock_file() {
        let ledger = |pairs: &[(&str, &str)]| IdLedger {
            version: IdLedger::VERSION,
            posts: pairs
                .iter()
                .map(|(key, id)| {
                    let record = crate::ledger::Record {
                        id: id.to_string(),
                        date: chrono::DateTime::parse_from_rfc3339("2019-07-05T00:00:00+09:00")
                            .unwrap(),
                        title: "t".into(),
                        content: "0".into(),
                    };
                    (key.to_string(), record)
                })
                .collect(),
        };
        let recorded = ledger(&[
            ("a.md", "tag:x,2019:a"),
            ("b.md", "tag:x,2019:b"),
            ("gone.md", "tag:x,2019:g"),
        ]);
        let resolved = ledger(&[
            ("a.md", "tag:x,2019:a"),
            ("b.md", "urn:new"),
            ("new.md", "tag:x,2019:n"),
        ]);
        assert_eq!(
            changed_since_lock(&recorded, &resolved),
            [("b.md", "tag:x,2019:b", "urn:new")]
        );
    }
}
