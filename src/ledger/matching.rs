//! Which id each post gets, given what the ledger remembers: the rule that keeps a renamed,
//! moved or swapped post under the id its readers already have.
//!
//! A minted id contains the slug, and the slug comes from the file name, so renaming a file
//! would mint a new id and readers would show the post twice. The ledger records every post's
//! file, id, date, title and a hash of its body. A post keeps an old entry's id when one of
//! three things ties it to that entry:
//!
//! - its **file**: the same path as the entry (an edit in place, however large);
//! - its **body**: the same body hash (a rename, a date fix, a new title);
//! - its **title and date**: both the same (a rename with an edited body).
//!
//! Ties are matched in that order of strength across the whole site, each old entry used at most
//! once: first every file that still ties to its own entry by body or title keeps it; then posts
//! with no such tie look for an entry tied by body, then by title and date, among the entries of
//! vanished files and of files whose content now ties elsewhere (two posts swapped); then a file
//! with its own entry still free keeps it; anything else gets a freshly minted id. An explicit
//! front matter `id` always wins.
//!
//! Pure: no files, no clock. `ledger::LockFile` loads and saves it.

use std::collections::{HashMap, HashSet};

use imbl::OrdMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// What the ledger remembers of one post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub date: DateTime<FixedOffset>,
    pub title: String,
    /// Fingerprint of the post's body, to recognise a renamed file whose title changed.
    pub content: String,
}

/// Post file (relative to the source folder, `/`-separated) → what was published from it.
///
/// A persistent map: a copy shares every record with the original and costs nothing, so the
/// daemon hands the lock file's writer a copy after each edit without copying 100,000 records,
/// and an edit then changes only the path to the records it touches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdLedger {
    pub version: u32,
    pub posts: OrdMap<String, Record>,
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

impl Claim<'_> {
    fn content(&self) -> String {
        format!("{:016x}", self.body_hash)
    }

    fn tie(&self, record: &Record) -> Option<Tie> {
        if record.content == self.content() {
            Some(Tie::Body)
        } else if record.title == self.title && record.date == self.date {
            Some(Tie::TitleAndDate)
        } else {
            None
        }
    }
}

/// How strongly a post is tied to an old entry; the stronger tie is matched first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tie {
    Body,
    TitleAndDate,
}

impl Tie {
    fn describe(self) -> &'static str {
        match self {
            Tie::Body => "body",
            Tie::TitleAndDate => "title and date",
        }
    }
}

impl IdLedger {
    /// The version written by this feedd.
    pub const VERSION: u32 = 2;

    /// The id of every claim, in order, and the ledger to keep for the next build.
    pub fn resolve(&self, claims: &[Claim<'_>]) -> (Vec<String>, IdLedger) {
        let mut ids: Vec<Option<String>> = vec![None; claims.len()];
        let mut taken: HashSet<&str> = HashSet::new();
        // Most rebuilds end after this pass: every post still ties to its own entry.
        for (slot, claim) in ids.iter_mut().zip(claims) {
            if let Some(explicit) = claim.explicit_id {
                *slot = Some(explicit.to_string());
            } else if let Some((key, record)) = self.posts.get_key_value(&claim.key) {
                if claim.tie(record).is_some() {
                    taken.insert(key.as_str());
                    *slot = Some(record.id.clone());
                }
            }
        }
        if ids.iter().any(Option::is_none) {
            self.match_loose_claims(claims, &mut ids, &mut taken);
        }
        let ids: Vec<String> = ids
            .into_iter()
            .zip(claims)
            .map(|(id, claim)| id.unwrap_or_else(|| claim.minted_id.clone()))
            .collect();
        let next = IdLedger {
            version: Self::VERSION,
            // Built from a list in one go, several times faster than inserting one by one.
            posts: claims
                .iter()
                .zip(&ids)
                .map(|(claim, id)| {
                    let record = Record {
                        id: id.clone(),
                        date: claim.date,
                        title: claim.title.to_string(),
                        content: claim.content(),
                    };
                    (claim.key.clone(), record)
                })
                .collect(),
        };
        (ids, next)
    }

    /// Gives posts with no tie to their own entry the id of a free entry they tie to, strongest
    /// tie first; then their own entry when it is still free.
    fn match_loose_claims<'l>(
        &'l self,
        claims: &[Claim<'_>],
        ids: &mut [Option<String>],
        taken: &mut HashSet<&'l str>,
    ) {
        // Indexed once, so a thousand renames in one commit cost one pass over the ledger.
        let mut by_body: HashMap<&str, Vec<&'l String>> = HashMap::new();
        let mut by_title: HashMap<(&str, DateTime<FixedOffset>), Vec<&'l String>> = HashMap::new();
        for (key, record) in &self.posts {
            by_body
                .entry(record.content.as_str())
                .or_default()
                .push(key);
            by_title
                .entry((record.title.as_str(), record.date))
                .or_default()
                .push(key);
        }
        for strength in [Tie::Body, Tie::TitleAndDate] {
            for (slot, claim) in ids.iter_mut().zip(claims) {
                if slot.is_some() {
                    continue;
                }
                let content = claim.content();
                let candidates = match strength {
                    Tie::Body => by_body.get(content.as_str()),
                    Tie::TitleAndDate => by_title.get(&(claim.title, claim.date)),
                };
                let free = candidates
                    .into_iter()
                    .flatten()
                    .find(|key| !taken.contains(key.as_str()));
                let Some(key) = free else { continue };
                let record = &self.posts[key.as_str()];
                if **key != claim.key {
                    tracing::info!(
                        "{} was {key} (same {}); it keeps id {}",
                        claim.key,
                        strength.describe(),
                        record.id
                    );
                }
                taken.insert(key.as_str());
                *slot = Some(record.id.clone());
            }
        }
        for (slot, claim) in ids.iter_mut().zip(claims) {
            if slot.is_none() {
                if let Some((key, record)) = self.posts.get_key_value(&claim.key) {
                    if taken.insert(key.as_str()) {
                        *slot = Some(record.id.clone());
                    }
                }
            }
        }
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

    fn dated<'a>(mut claim: Claim<'a>, date: &str) -> Claim<'a> {
        claim.date = DateTime::parse_from_rfc3339(date).unwrap();
        claim
    }

    #[test]
    fn first_build_mints_and_records() {
        let (ids, ledger) = IdLedger::default().resolve(&[claim("a.md", "A", "x")]);
        assert_eq!(ids, ["minted:a.md"]);
        assert_eq!(ledger.posts["a.md"].id, "minted:a.md");
        assert_eq!(ledger.version, IdLedger::VERSION);
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
    fn a_rename_with_a_new_body_keeps_its_id_by_title_and_date() {
        let (_, ledger) = IdLedger::default().resolve(&[claim("a.md", "A", "x")]);
        let (ids, _) = ledger.resolve(&[claim("renamed.md", "A", "rewritten")]);
        assert_eq!(ids, ["minted:a.md"]);
        let moved = dated(
            claim("renamed.md", "A", "rewritten"),
            "2021-01-01T00:00:00Z",
        );
        let (ids, _) = ledger.resolve(&[moved]);
        assert_eq!(
            ids,
            ["minted:renamed.md"],
            "a title alone on another date is no tie"
        );
    }

    #[test]
    fn a_rename_with_a_corrected_date_keeps_its_id_by_body() {
        let (_, ledger) = IdLedger::default().resolve(&[claim("2020-a.md", "A", "x")]);
        let fixed = dated(claim("2021-a.md", "A!", "x"), "2021-01-01T00:00:00Z");
        let (ids, _) = ledger.resolve(&[fixed]);
        assert_eq!(ids, ["minted:2020-a.md"]);
    }

    #[test]
    fn an_edit_in_place_keeps_the_id_whatever_changed() {
        let (_, ledger) = IdLedger::default().resolve(&[claim("a.md", "A", "x")]);
        let rewritten = dated(claim("a.md", "New", "new"), "2022-02-02T00:00:00Z");
        let (ids, _) = ledger.resolve(&[rewritten]);
        assert_eq!(ids, ["minted:a.md"]);
    }

    #[test]
    fn two_swapped_posts_swap_their_ids() {
        let (_, ledger) =
            IdLedger::default().resolve(&[claim("a.md", "A", "x"), claim("b.md", "B", "y")]);
        let (ids, next) = ledger.resolve(&[claim("a.md", "B", "y"), claim("b.md", "A", "x")]);
        assert_eq!(ids, ["minted:b.md", "minted:a.md"]);
        assert_eq!(next.posts["a.md"].id, "minted:b.md");
    }

    #[test]
    fn a_post_split_in_two_keeps_its_id_on_one_half_only() {
        let (_, ledger) = IdLedger::default().resolve(&[claim("a.md", "A", "x")]);
        let (ids, _) = ledger.resolve(&[
            claim("a-1.md", "A", "first half"),
            claim("a-2.md", "A", "second half"),
        ]);
        assert_eq!(ids, ["minted:a.md", "minted:a-2.md"]);
    }

    #[test]
    fn a_deleted_post_and_a_new_one_with_its_slug_are_different_posts() {
        let (_, ledger) = IdLedger::default().resolve(&[claim("2020-hello.md", "Hello", "x")]);
        let new = dated(
            claim("2021-hello.md", "Hello again", "y"),
            "2021-05-01T00:00:00Z",
        );
        let (ids, next) = ledger.resolve(&[new]);
        assert_eq!(ids, ["minted:2021-hello.md"]);
        assert_eq!(next.posts.len(), 1);
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
        let other = dated(claim("b.md", "A", "y"), "2021-01-01T00:00:00Z");
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
