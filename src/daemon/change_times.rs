//! `Last-Modified` as the instant a document's bytes last changed, kept across restarts.
//!
//! A client that sends only `If-Modified-Since` sees a change only if `Last-Modified` moves
//! forward with every change of the bytes. The newest entry's date does not (an edit, or the
//! deletion of an older or the newest post, leaves it or moves it back), so the daemon stamps
//! each document with the time it saw the document's ETag change, and remembers the stamps in
//! `state_dir` so a restart that changes no bytes changes no `Last-Modified`.
//!
//! HTTP dates have one-second resolution, so a change is stamped at least one second after the
//! previous one: two changes within the same second would otherwise share a `Last-Modified`, and
//! a client holding the first would be told the second is not modified. In a burst of changes
//! the stamp may therefore run a second or two ahead of the clock until the burst ends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::atomic_file;
use crate::diagnostic::Diagnostic;
use crate::render::Document;

/// The file in `state_dir` the stamps are kept in.
const FILE: &str = "last-modified.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    etag: String,
    changed: DateTime<Utc>,
}

/// The last change of each served document, by path.
#[derive(Debug, Default)]
pub struct ChangeTimes {
    path: PathBuf,
    stamps: BTreeMap<String, Stamp>,
    /// Whether `stamps` differs from the file.
    dirty: bool,
}

impl ChangeTimes {
    /// Reads the stamps kept in `state_dir`; a missing or unreadable file is no stamps (every
    /// document is then stamped with the current time, which is never too early).
    pub fn load(state_dir: &Path) -> ChangeTimes {
        let path = state_dir.join(FILE);
        let stamps = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!("{}: {e}; Last-Modified starts afresh", path.display());
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        };
        ChangeTimes {
            path,
            stamps,
            dirty: false,
        }
    }

    /// Sets each document's `last_modified` to when its bytes last changed: the kept stamp when
    /// its ETag is the same, else `now` (at least a second after the previous stamp).
    pub fn stamp(&mut self, documents: &mut [Document], now: DateTime<Utc>) {
        let now = whole_seconds(now);
        let mut next = BTreeMap::new();
        for document in documents.iter_mut() {
            let stamp = match self.stamps.get(&document.path) {
                Some(kept) if kept.etag == document.etag.as_str() => kept.clone(),
                previous => Stamp {
                    etag: document.etag.as_str().to_owned(),
                    changed: previous.map_or(now, |p| now.max(p.changed + TimeDelta::seconds(1))),
                },
            };
            document.last_modified = stamp.changed;
            // Stamps of documents that went away are forgotten.
            next.insert(document.path.clone(), stamp);
        }
        if next != self.stamps {
            self.stamps = next;
            self.dirty = true;
        }
    }

    /// The paths of `documents` whose bytes differ from those the kept stamps were made for,
    /// or that had none: what changed while the daemon was stopped. Empty when nothing was kept
    /// (a first start has nothing to compare with). Call before [`ChangeTimes::stamp`].
    pub fn changed(&self, documents: &[Document]) -> Vec<String> {
        if self.stamps.is_empty() {
            return Vec::new();
        }
        documents
            .iter()
            .filter(|d| (self.stamps.get(&d.path)).is_none_or(|kept| kept.etag != d.etag.as_str()))
            .map(|d| d.path.clone())
            .collect()
    }

    /// Gives each page shown instead of a feed the `last_modified` of that feed (by path): a
    /// page changes only when the feed it shows does. Call after [`ChangeTimes::stamp`].
    pub fn stamp_views(&self, views: &mut [Document]) {
        for view in views {
            if let Some(stamp) = self.stamps.get(&view.path) {
                view.last_modified = stamp.changed;
            }
        }
    }

    /// The stamps as the file is to hold them, when they changed since they were last taken:
    /// the daemon writes them on a thread of its own (see `disk_writer`).
    pub fn take_unsaved(&mut self) -> Option<StagedTimes> {
        if !self.dirty {
            return None;
        }
        self.dirty = false;
        Some(StagedTimes {
            path: self.path.clone(),
            // A map of strings to strings and dates: serialising it cannot fail.
            bytes: serde_json::to_vec_pretty(&self.stamps).unwrap_or_default(),
        })
    }
}

impl ChangeTimes {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The stamps file's next contents, not yet written.
#[derive(Debug)]
pub struct StagedTimes {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl StagedTimes {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the file atomically; the failure is a problem naming the file.
    pub fn write(&self) -> Result<(), Diagnostic> {
        atomic_file::write(&self.path, &self.bytes).map_err(|error| {
            let message = format!("cannot keep the Last-Modified times: {error}");
            Diagnostic::for_file(&self.path, message)
        })
    }
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etag::ETag;
    use crate::format::{DocumentKind, Format};

    fn doc(path: &str, etag: &str) -> Document {
        Document {
            path: path.into(),
            kind: DocumentKind::Feed(Format::Atom),
            body: bytes::Bytes::new(),
            etag: ETag::from_opaque(etag),
            last_modified: DateTime::UNIX_EPOCH,
            lifetime: crate::render::Lifetime::Current,
        }
    }

    fn at(seconds: i64, nanos: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, nanos).unwrap()
    }

    #[test]
    fn changed_names_documents_with_other_bytes_or_none_kept_once_anything_was_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut times = ChangeTimes::load(dir.path());
        let docs = [doc("a.xml", "1"), doc("b.xml", "1")];
        assert!(
            times.changed(&docs).is_empty(),
            "nothing kept: a first start"
        );
        times.stamp(&mut docs.clone(), at(1000, 0));
        let later = [doc("a.xml", "1"), doc("b.xml", "2"), doc("c.xml", "1")];
        assert_eq!(times.changed(&later), ["b.xml", "c.xml"]);
    }

    #[test]
    fn a_document_keeps_its_stamp_until_its_bytes_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut times = ChangeTimes::load(dir.path());
        let mut docs = [doc("a.xml", "1"), doc("b.xml", "1")];
        times.stamp(&mut docs, at(1000, 500));
        assert_eq!(docs[0].last_modified, at(1000, 0), "whole seconds");
        let mut docs = [doc("a.xml", "1"), doc("b.xml", "2")];
        times.stamp(&mut docs, at(2000, 0));
        assert_eq!(docs[0].last_modified, at(1000, 0));
        assert_eq!(docs[1].last_modified, at(2000, 0));
    }

    #[test]
    fn changes_within_one_second_still_move_forward() {
        let dir = tempfile::tempdir().unwrap();
        let mut times = ChangeTimes::load(dir.path());
        let mut stamps = Vec::new();
        for (etag, nanos) in [("1", 0), ("2", 300), ("3", 600)] {
            let mut docs = [doc("a.xml", etag)];
            times.stamp(&mut docs, at(1000, nanos));
            stamps.push(docs[0].last_modified.timestamp());
        }
        assert_eq!(stamps, [1000, 1001, 1002]);
    }

    #[test]
    fn a_feeds_page_changes_when_its_feed_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut times = ChangeTimes::load(dir.path());
        times.stamp(&mut [doc("a.xml", "1")], at(1000, 0));
        times.stamp(&mut [doc("a.xml", "2")], at(3000, 0));
        let page = |path: &str| Document {
            kind: DocumentKind::Page,
            ..doc(path, "page")
        };
        let mut views = [page("a.xml"), page("gone.xml")];
        times.stamp_views(&mut views);
        assert_eq!(views[0].last_modified, at(3000, 0));
        assert_eq!(
            views[1].last_modified,
            DateTime::UNIX_EPOCH,
            "no feed, left as rendered"
        );
    }

    #[test]
    fn stamps_survive_a_restart_and_only_changes_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut times = ChangeTimes::load(dir.path());
        times.stamp(&mut [doc("a.xml", "1")], at(1000, 0));
        times
            .take_unsaved()
            .expect("stamps changed")
            .write()
            .unwrap();
        let written = std::fs::metadata(dir.path().join(FILE))
            .unwrap()
            .modified()
            .unwrap();
        let mut again = ChangeTimes::load(dir.path());
        let mut docs = [doc("a.xml", "1")];
        again.stamp(&mut docs, at(5000, 0));
        assert_eq!(docs[0].last_modified, at(1000, 0));
        assert!(
            again.take_unsaved().is_none(),
            "nothing changed, nothing to write"
        );
        let after = std::fs::metadata(dir.path().join(FILE))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(written, after);
    }
}
