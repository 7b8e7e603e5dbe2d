//! Media that posts attach (episodes, videos, images): what a feed says of each piece, and the
//! local files that are published beside the documents.
//!
//! Shared vocabulary between the stages: `post` reads what front matter declares, probing fills
//! in what the file on disk says, `feed` puts [`Enclosure`]s on entries, `render` writes them,
//! and `output` and `http` publish each [`MediaFile`]. Imports nothing from the crate.

mod declared;
pub mod probe;

pub use declared::{
    Declared, LineError, Src, parse_duration, read_image, read_media, read_site_src,
};

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

/// A piece of media as a feed shows it: a probed local file, or a URL with what its author
/// declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub at: Located,
    pub mime: String,
    pub length: u64,
    pub duration_secs: Option<u64>,
    pub title: Option<String>,
}

/// Where an [`Attachment`] is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// A file of the source folder, published beside the documents.
    File(MediaFile),
    /// An absolute http(s) URL, as given.
    Url(String),
}

impl Located {
    /// The absolute URL readers fetch it from: a local file's path below `base_url`, each
    /// segment percent-encoded.
    pub fn url(&self, base_url: &url::Url) -> String {
        match self {
            Located::Url(url) => url.clone(),
            Located::File(file) => published_url(base_url, &file.path),
        }
    }
}

impl Attachment {
    /// The absolute URL readers fetch it from: a local file's path below `base_url`, each
    /// segment percent-encoded.
    pub fn url(&self, base_url: &url::Url) -> String {
        self.at.url(base_url)
    }

    /// As every feed format renders it.
    pub fn enclosure(&self, base_url: &url::Url) -> Enclosure {
        Enclosure {
            url: self.url(base_url),
            mime: self.mime.clone(),
            length: self.length,
            duration_secs: self.duration_secs,
            title: self.title.clone(),
        }
    }
}

/// The URL of a file published at `path` (relative, `/`-separated) below `base_url`.
pub fn published_url(base_url: &url::Url, path: &str) -> String {
    let mut url = base_url.to_string();
    if !url.ends_with('/') {
        url.push('/');
    }
    let encoded: Vec<String> = path
        .split('/')
        .map(|segment| percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string())
        .collect();
    url.push_str(&encoded.join("/"));
    url
}

/// What a path segment must escape (the WHATWG path set, plus `%`, `?`, `#` of file names).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'%')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'|')
    .add(b'\\');

/// What probing found for one post's `media` and `image`: empty until the post's media is
/// probed, and for posts that declare none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probed {
    pub media: Vec<Attachment>,
    pub image: Option<Located>,
}

impl Probed {
    /// The local files among them.
    pub fn files(&self) -> impl Iterator<Item = &MediaFile> {
        (self.media.iter().map(|a| &a.at))
            .chain(&self.image)
            .filter_map(|at| match at {
                Located::File(file) => Some(file),
                Located::Url(_) => None,
            })
    }
}
