//! [`ServedMedia`]: a media file as the server answers with it. The bytes stay on disk, in a
//! file nothing rewrites (the daemon's content-addressed copy of the source file), so every
//! response from one snapshot sends the same bytes under the same ETag, however the source file
//! changes meanwhile.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use crate::etag::ETag;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedMedia {
    path: String,
    file: Arc<Path>,
    etag: ETag,
    length: u64,
    mime: String,
    last_modified: DateTime<Utc>,
}

impl ServedMedia {
    /// `file` holds the bytes served at `path` (below `base_url`, no leading `/`): `length`
    /// bytes whose tag is `etag`, never changed while any snapshot names it.
    pub fn new(
        path: String,
        file: PathBuf,
        etag: ETag,
        length: u64,
        mime: String,
        modified: SystemTime,
    ) -> ServedMedia {
        ServedMedia {
            path,
            file: Arc::from(file),
            etag,
            length,
            mime,
            last_modified: DateTime::<Utc>::from(modified),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file to open for a response.
    pub fn file(&self) -> &Arc<Path> {
        &self.file
    }

    /// Strong: a hash of the bytes.
    pub fn etag(&self) -> &ETag {
        &self.etag
    }

    pub fn length(&self) -> u64 {
        self.length
    }

    pub fn mime(&self) -> &str {
        &self.mime
    }

    /// The source file's modification time, clamped as documents' are (see
    /// [`super::ServedDocument::last_modified`]).
    pub fn last_modified(&self) -> DateTime<Utc> {
        self.last_modified
    }

    pub(super) fn clamped(mut self, built_at: DateTime<Utc>) -> ServedMedia {
        self.last_modified = self.last_modified.min(built_at).max(DateTime::UNIX_EPOCH);
        self
    }
}
