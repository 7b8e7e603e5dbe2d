//! Media that posts attach (episodes, videos, images): what a feed says of each piece, and the
//! local files that are published beside the documents.
//!
//! Shared vocabulary between the stages: `post` reads what front matter declares, probing fills
//! in what the file on disk says, `feed` puts [`Enclosure`]s on entries, `render` writes them,
//! and `output` and `http` publish each [`MediaFile`]. Imports nothing from the crate.

use std::path::PathBuf;
use std::time::SystemTime;

/// One attachment as every format renders it: RSS `<enclosure>` (the first one), Atom
/// `<link rel="enclosure">`, JSON Feed `attachments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosure {
    /// Absolute URL: the published copy of a local file, or the URL the author gave.
    pub url: String,
    /// The MIME type, e.g. `audio/mpeg`.
    pub mime: String,
    /// Size in bytes; readers and podcast apps show it and some refuse an enclosure without it.
    pub length: u64,
    /// Playing time in whole seconds, for audio and video.
    pub duration_secs: Option<u64>,
    pub title: Option<String>,
}

/// A local file that a document links to, published at `path` (below `base_url` and the output
/// folder) exactly as it is on disk: never compressed, never held in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// Where it is published, e.g. `episodes/episode-12.mp3`; `/`-separated, no leading `/`.
    pub path: String,
    /// The file in the source folder.
    pub source: PathBuf,
    pub mime: String,
    /// The size and modification time it had when it was probed, so a copy or a response can
    /// tell that the file changed since.
    pub length: u64,
    pub modified: SystemTime,
}
