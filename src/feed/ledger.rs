//! The id ledger: which id each post file was published under, so a rename keeps its id.
//!
//! A minted id contains the slug, and the slug comes from the file name, so renaming a file
//! would mint a new id and readers would show the post twice. The ledger records, after each
//! build, every published post's file, id, date, title and a hash of its content. On the next
//! build a file keeps the id recorded for its path; a file the ledger has not seen inherits the id
//! of a file that vanished at the same time if they share the date and either the title or the
//! content — a rename, possibly with an edit. Anything else gets a freshly minted id.
//!
//! Resolution is pure; `output` loads and saves the ledger file.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// What the ledger remembers of one published post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub date: DateTime<FixedOffset>,
    pub title: String,
    /// Fingerprint of the post's body, to recognise a renamed file whose title changed.
    pub content: String,
}

/// Post file (relative to the source folder, `/`-separated) → what was published from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdLedger {
    pub version: u32,
    pub posts: BTreeMap<String, Record>,
}

/// One post as the ledger sees it, with the id it would get without the ledger.
pub struct Claim<'a> {
    pub key: String,
    pub explicit_id: Option<&'a str>,
    pub minted_id: String,
    pub date: DateTime<FixedOffset>,
    pub title: &'a str,
    pub body_hash: u64,
}

impl IdLedger {
    /// The id of every claim, in order, and the ledger to keep for the next build.
    ///
    /// An explicit id always wins; then the id recorded for the same file; then the id of a
    /// vanished file that this one was renamed from; then the minted id.
    pub fn resolve(&self, claims: &[Claim<'_>]) -> (Vec<String>, IdLedger) {
        // Only a file the ledger has not seen can be a rename; the list of vanished files is
        // worked out the first time one shows up, which on most rebuilds is never.
        let mut vanished: Option<Vec<(&String, &Record)>> = None;
        let mut ids = Vec::with_capacity(claims.len());
        let mut records = Vec::with_capacity(claims.len());
        for claim in claims {
            let content = format!("{:016x}", claim.body_hash);
            let id = match (claim.explicit_id, self.posts.get(&claim.key)) {
                (Some(explicit), _) => explicit.to_string(),
                (None, Some(record)) => record.id.clone(),
                (None, None) => {
                    let vanished = vanished.get_or_insert_with(|| self.vanished(claims));
                    let renamed_from = vanished.iter().position(|(_, r)| {
                        r.date == claim.date && (r.title == claim.title || r.content == content)
                    });
                    match renamed_from {
                        Some(index) => {
                            let (old_key, record) = vanished.remove(index);
                            tracing::info!(
                                "{} was renamed from {old_key}; it keeps id {}",
                                claim.key,
                                record.id
                            );
                            record.id.clone()
                        }
                        None => claim.minted_id.clone(),
                    }
                }
            };
            let record = Record {
                id: id.clone(),
                date: claim.date,
                title: claim.title.to_string(),
                content,
            };
            records.push((claim.key.clone(), record));
            ids.push(id);
        }
        // Built from a list in one go, which for 100,000 posts is several times faster than
        // inserting one by one.
        let next = IdLedger {
            version: 1,
            posts: records.into_iter().collect(),
        };
        (ids, next)
    }

    /// Recorded files that no claim names any more, in path order.
    fn vanished(&self, claims: &[Claim<'_>]) -> Vec<(&String, &Record)> {
        let present: HashSet<&str> = claims.iter().map(|c| c.key.as_str()).collect();
        self.posts
            .iter()
            .filter(|(key, _)| !present.contains(key.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim<'a>(key: &str, title: &'a str, content: &str) -> Claim<'a> {
        Claim {
            key: key.into(),
            explicit_id: None,
            minted_id: format!("minted:{key}"),
            date: DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z").unwrap(),
            title,
            body_hash: xxhash_rust::xxh3::xxh3_64(content.as_bytes()),
        }
    }

    #[test]
    fn first_build_mints_and_records() {
        let (ids, ledger) = IdLedger::default().resolve(&[claim("a.md", "A", "x")]);
        assert_eq!(ids, ["minted:a.md"]);
        assert_eq!(ledger.posts["a.md"].id, "minted:a.md");
    }

    #[test]
    fn a_renamed_file_keeps_its_id_even_with_an_edited_title() {
        let (_, ledger) =
            IdLedger::default().resolve(&[claim("a.md", "A", "x"), claim("b.md", "B", "y")]);
        let (ids, next) = ledger.resolve(&[
            claim("renamed.md", "A, edited", "x"),
            claim("b.md", "B", "y"),
        ]);
        assert_eq!(ids, ["minted:a.md", "minted:b.md"]);
        assert!(!next.posts.contains_key("a.md"));
        let (ids, _) = next.resolve(&[claim("renamed.md", "A, edited", "x, edited too")]);
        assert_eq!(ids, ["minted:a.md"], "the new path is now recorded");
    }

    #[test]
    fn a_new_file_beside_an_existing_one_is_not_taken_for_a_rename() {
        let (_, ledger) = IdLedger::default().resolve(&[claim("a.md", "A", "x")]);
        let (ids, _) = ledger.resolve(&[claim("a.md", "A", "x"), claim("copy.md", "A", "x")]);
        assert_eq!(ids, ["minted:a.md", "minted:copy.md"]);
    }

    #[test]
    fn a_different_post_on_another_date_gets_a_new_id() {
        let (_, ledger) = IdLedger::default().resolve(&[claim("a.md", "A", "x")]);
        let mut other = claim("b.md", "A", "x");
        other.date = DateTime::parse_from_rfc3339("2021-01-01T00:00:00Z").unwrap();
        let (ids, _) = ledger.resolve(&[other]);
        assert_eq!(ids, ["minted:b.md"]);
    }

    #[test]
    fn explicit_ids_win() {
        let (_, ledger) = IdLedger::default().resolve(&[claim("a.md", "A", "x")]);
        let mut pinned = claim("a.md", "A", "x");
        pinned.explicit_id = Some("urn:x");
        let (ids, next) = ledger.resolve(&[pinned]);
        assert_eq!(ids, ["urn:x"]);
        assert_eq!(next.posts["a.md"].id, "urn:x");
    }
}
