//! The daemon's copies of the media files it serves, in `<state_dir>/media/`, one file per
//! content, named by the xxh3-128 hash of its bytes (which is also its ETag).
//!
//! Why copies: a source file can be replaced, or rewritten in place, while a listener downloads
//! it. Served from the source, a download could end with bytes of two versions under one ETag.
//! A copy is written once, under a name that is its content, and never changed: a snapshot
//! names the copies it serves, a download keeps its open file (a copy removed meanwhile stays
//! readable until it is closed), and a new version of a file is a new copy under a new ETag.
//! Copies are made hashing as they copy, one read of the source; an unchanged file is
//! recognised by its path, length and modification time (kept in `index.json` beside the
//! copies, so a restart re-reads nothing), and an identical file under another name shares the
//! copy. A source that changes while it is copied (still being written) is not published: the
//! previous copy at its path keeps being served until the next rebuild finds it complete.
//! Copies no snapshot names are removed after each publish.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::atomic_file::{self, TEMP_PREFIX};
use crate::diagnostic::Diagnostic;
use crate::etag::ETag;
use crate::media::MediaFile;
use crate::output::{CopyError, copy_whole, stamp};
use crate::snapshot::{ServedMedia, Snapshot};

/// The file, beside the copies, that remembers which source gave which copy.
const INDEX: &str = "index.json";

/// What the store knows of one source file: its stamp when it was copied, and the copy's hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Known {
    source: PathBuf,
    length: u64,
    /// The modification time since the Unix epoch, in nanoseconds (as text: JSON numbers are
    /// not wide enough).
    modified: String,
    hash: String,
}

#[derive(Debug)]
pub struct MediaStore {
    dir: PathBuf,
    /// By source path, the stamp and copy of its last copy.
    known: HashMap<PathBuf, Known>,
    /// What `index.json` holds, to write it only when it changes.
    saved: Vec<Known>,
    /// The files the last [`MediaStore::publish`] could not copy.
    problems: Vec<Diagnostic>,
}

impl MediaStore {
    /// The store in `state_dir`, with what it knew when the daemon last ran. An index that
    /// cannot be read only costs copying the files again; temporary files left by a crash are
    /// removed.
    pub fn open(state_dir: &Path) -> MediaStore {
        let dir = state_dir.join("media");
        let saved: Vec<Known> = std::fs::read(dir.join(INDEX))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let known = (saved.iter().cloned())
            .map(|k| (k.source.clone(), k))
            .collect();
        let store = MediaStore {
            dir,
            known,
            saved,
            problems: Vec::new(),
        };
        store.remove_files(|name| name.starts_with(TEMP_PREFIX));
        store
    }

    /// Each of `media` as served, from its copy (made now when its source changed). A file that
    /// cannot be copied is reported ([`MediaStore::problems`]) and keeps the copy `previous`
    /// served at its path, if any; so does one that changed while it was copied, without a
    /// report.
    pub fn publish(
        &mut self,
        media: &[MediaFile],
        previous: Option<&Snapshot>,
    ) -> Vec<ServedMedia> {
        let mut served = Vec::new();
        let mut problems = Vec::new();
        for file in media {
            match self.copy_of(file) {
                Ok(copy) => served.push(copy),
                Err(error) => {
                    if let CopyError::Changed { .. } = error {
                        tracing::info!("{error}");
                    } else {
                        problems.push(Diagnostic::for_file(&file.source, error.to_string()));
                    }
                    let kept = previous.and_then(|p| p.media(&file.path)).cloned();
                    served.extend(kept);
                }
            }
        }
        self.save(&served);
        self.problems = problems;
        served
    }

    /// The files the last publish could not copy, for `/healthz`.
    pub fn problems(&self) -> &[Diagnostic] {
        &self.problems
    }

    /// Removes every copy `current` does not serve. A download of one keeps reading it.
    pub fn tidy(&self, current: &Snapshot) {
        let names: HashSet<String> = (current.media_files())
            .map(|m| m.etag().opaque().to_owned())
            .collect();
        self.remove_files(|name| is_copy_name(name) && !names.contains(name));
    }

    /// `file` served from its copy, which is made first unless the index knows it.
    fn copy_of(&mut self, file: &MediaFile) -> Result<ServedMedia, CopyError> {
        let io = |error| CopyError::Io {
            path: file.source.clone(),
            error,
        };
        let (length, modified) = stamp(&file.source).map_err(io)?;
        let nanos = nanos(modified);
        let known = self.known.get(&file.source).filter(|k| {
            k.length == length
                && k.modified == nanos
                && stamp(&self.dir.join(&k.hash)).is_ok_and(|(len, _)| len == length)
        });
        let hash = match known {
            Some(known) => known.hash.clone(),
            None => self.copy(&file.source)?,
        };
        self.known.insert(
            file.source.clone(),
            Known {
                source: file.source.clone(),
                length,
                modified: nanos,
                hash: hash.clone(),
            },
        );
        let etag = ETag::from_hash(u128::from_str_radix(&hash, 16).unwrap_or_default());
        let copy = self.dir.join(&hash);
        let mime = file.mime.clone();
        Ok(ServedMedia::new(
            file.path.clone(),
            copy,
            etag,
            length,
            mime,
            modified,
        ))
    }

    /// Copies `source` into the store; returns the copy's name, its hash in hex.
    fn copy(&self, source: &Path) -> Result<String, CopyError> {
        let io = |error| CopyError::Io {
            path: source.to_path_buf(),
            error,
        };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let (staged, copied) = copy_whole(source, &self.dir.join("pending"))?;
        let name = format!("{:032x}", copied.hash);
        let dest = self.dir.join(&name);
        if stamp(&dest).is_ok_and(|(length, _)| length == copied.length) {
            // The same bytes are there already (another file, or a file changed back).
            return Ok(name);
        }
        let staged = staged.with_dest(dest);
        atomic_file::sync_all(&[staged.temp()]).map_err(|(_, e)| io(e))?;
        staged.commit().map_err(io)?;
        tracing::debug!(source = %source.display(), copy = name, "media file copied");
        Ok(name)
    }

    /// Keeps the index to the files served now; a failure only costs copying them again.
    fn save(&mut self, served: &[ServedMedia]) {
        let copies: HashSet<&str> = served.iter().map(|m| m.etag().opaque()).collect();
        self.known.retain(|_, k| copies.contains(k.hash.as_str()));
        let mut index: Vec<Known> = self.known.values().cloned().collect();
        index.sort_by(|a, b| a.source.cmp(&b.source));
        if index == self.saved {
            return;
        }
        let written = serde_json::to_vec_pretty(&index)
            .map_err(std::io::Error::other)
            .and_then(|json| atomic_file::write(&self.dir.join(INDEX), &json));
        match written {
            Ok(()) => self.saved = index,
            Err(error) => tracing::warn!(
                "cannot record the media copies in {}: {error}; a restart will copy them again",
                self.dir.display()
            ),
        }
    }

    fn remove_files(&self, doomed: impl Fn(&str) -> bool) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str().filter(|n| doomed(n)) else {
                continue;
            };
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::debug!(copy = name, "media copy removed"),
                Err(error) => {
                    tracing::warn!(path = %entry.path().display(), %error, "cannot remove an unused media copy")
                }
            }
        }
    }
}

/// A copy's name: 32 lowercase hex digits.
fn is_copy_name(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn nanos(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    since.as_nanos().to_string()
}

#[cfg(test)]
#[path = "media_store_tests.rs"]
mod tests;
