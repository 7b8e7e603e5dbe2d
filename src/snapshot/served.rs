//! The served model: a [`Snapshot`] of [`ServedDocument`]s, each with the [`Variant`]s (one per
//! encoding) a response may carry, the pages browsers are shown instead of a feed (its *views*),
//! and the diagnostics and counts `/healthz` reports.
//!
//! A snapshot is made from one build, new documents uncompressed so a rebuild can be served at
//! once; documents whose bytes did not change keep the previous snapshot's encodings. Encoding
//! bodies is `codec`'s job, handing snapshots to requests `publisher`'s.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use url::Url;

use super::codec::Encoding;
use super::media::ServedMedia;
use crate::diagnostic::Diagnostic;
use crate::etag::ETag;
use crate::format::DocumentKind;
use crate::render::{Document, Lifetime};

/// What one build gives a snapshot: its documents and what `/healthz` reports about it.
#[derive(Debug, Clone, Default)]
pub struct Contents {
    /// A later document with an already-used path replaces the earlier one.
    pub documents: Vec<Document>,
    /// Pages shown to a browser that opens a feed, each at the path of the feed it shows.
    pub views: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
    /// How many posts are published (not drafts, not scheduled).
    pub entry_count: usize,
    /// Wall-clock time, reported by `/healthz` and the latest `Last-Modified` any document may
    /// claim.
    pub built_at: DateTime<Utc>,
    /// What feed responses name in `Link` headers; `None` when no WebSub hub is configured.
    pub discovery: Option<Discovery>,
}

/// What every response from a feed's address names besides its body (WebSub §4): the hubs to
/// subscribe through, and the base its own URL (`rel="self"`, the topic) is joined to. Kept in
/// the snapshot, beside the documents that name the same hubs, so headers and bodies change
/// in the same step when a reload names other hubs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub base_url: Url,
    /// Built-in first, then the outside ones, as the documents list them.
    pub hubs: Vec<Url>,
}

impl Discovery {
    /// The canonical URL of the document at `path`, its WebSub topic.
    pub fn self_url(&self, path: &str) -> Option<Url> {
        self.base_url.join(path).ok()
    }
}

/// One representation of a document: its bytes in one encoding and the ETag that names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    encoding: Encoding,
    body: bytes::Bytes,
    etag: ETag,
}

impl Variant {
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Cheap to clone: serving a body shares this buffer instead of copying it.
    pub fn body(&self) -> &bytes::Bytes {
        &self.body
    }

    /// Names this representation only: an encoded body's tag carries the encoding's suffix.
    pub fn etag(&self) -> &ETag {
        &self.etag
    }

    /// The representation of `self`'s bytes in `encoding`, when that makes them smaller.
    fn encoded(&self, encoding: Encoding) -> Option<Variant> {
        encoding.encode(&self.body).map(|body| Variant {
            encoding,
            body,
            etag: self.etag.with_suffix(encoding.etag_suffix()),
        })
    }
}

/// A document as served: its metadata and every encoding worth sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedDocument {
    path: String,
    kind: DocumentKind,
    last_modified: DateTime<Utc>,
    lifetime: Lifetime,
    identity: Variant,
    /// Whether compressing was tried yet; a snapshot may be published before it is (see
    /// [`Snapshot::compressed`]).
    compressed: bool,
    gzip: Option<Variant>,
    brotli: Option<Variant>,
}

impl ServedDocument {
    /// Path below `base_url` (no leading `/`), e.g. `tags/rust/atom.xml`.
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    pub fn content_type(&self) -> &'static str {
        self.kind.content_type()
    }

    /// How long caches may keep it.
    pub fn lifetime(&self) -> Lifetime {
        self.lifetime
    }

    /// The document's own `last_modified`, clamped to the snapshot's build time (a post dated in
    /// the future must not yield a `Last-Modified` later than the response's `Date`, RFC 9110
    /// §8.8.2.1) and to the years an HTTP date can express.
    pub fn last_modified(&self) -> DateTime<Utc> {
        self.last_modified
    }

    /// The uncompressed body and the document's own ETag.
    pub fn identity(&self) -> &Variant {
        &self.identity
    }

    /// The representation in `encoding`, when one was kept (an encoding that did not make the body
    /// smaller is dropped).
    pub fn variant(&self, encoding: Encoding) -> Option<&Variant> {
        match encoding {
            Encoding::Identity => Some(&self.identity),
            Encoding::Gzip => self.gzip.as_ref(),
            Encoding::Brotli => self.brotli.as_ref(),
        }
    }

    /// `document` as served; with `reuse` (the same bytes, served before) it keeps that one's
    /// encodings, else it starts uncompressed. The body is always `document`'s own: the build
    /// holds on to it, so keeping the previous copy of the same bytes would hold two.
    fn new(document: Document, built_at: DateTime<Utc>, reuse: Option<&ServedDocument>) -> Self {
        let last_modified = clamp_http_date(document.last_modified, built_at);
        if let Some(previous) = reuse {
            return ServedDocument {
                path: document.path,
                kind: document.kind,
                last_modified,
                identity: Variant {
                    body: document.body,
                    ..previous.identity.clone()
                },
                lifetime: document.lifetime,
                ..previous.clone()
            };
        }
        ServedDocument {
            path: document.path,
            kind: document.kind,
            last_modified,
            lifetime: document.lifetime,
            identity: Variant {
                encoding: Encoding::Identity,
                body: document.body,
                etag: document.etag,
            },
            // Archive pages are most of a large site's bytes and rarely fetched (caches keep them
            // for good): compressing them would cost minutes of CPU at start for little traffic
            // saved, so they are served as they are.
            compressed: document.lifetime == Lifetime::Archived,
            gzip: None,
            brotli: None,
        }
    }

    /// This document with its gzip and brotli encodings; an encoding that does not make the body
    /// smaller is left out.
    fn compress(&self) -> ServedDocument {
        if self.compressed {
            return self.clone();
        }
        let (gzip, brotli) = rayon::join(
            || self.identity.encoded(Encoding::Gzip),
            || self.identity.encoded(Encoding::Brotli),
        );
        ServedDocument {
            compressed: true,
            gzip,
            brotli,
            ..self.clone()
        }
    }
}

/// Whether `a` and `b` hold the same bytes. A document the pipeline kept shares its buffer with
/// the one served before, and a site's archive pages can add up to hundreds of megabytes, so the
/// shared buffer is recognised without comparing it.
fn same_bytes(a: &bytes::Bytes, b: &bytes::Bytes) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a[..] == b[..]
}

/// Everything served at one moment. Immutable: a change means a new snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    generation: u64,
    built_at: DateTime<Utc>,
    entry_count: usize,
    diagnostics: Vec<Diagnostic>,
    discovery: Option<Discovery>,
    documents: BTreeMap<String, ServedDocument>,
    /// By the path of the feed each one shows.
    views: BTreeMap<String, ServedDocument>,
    /// The media files published beside the documents, by path.
    media: BTreeMap<String, ServedMedia>,
}

impl Snapshot {
    /// The snapshot of one build, following `previous` (generation + 1; the first is 1). New
    /// documents are left uncompressed so a rebuild can be served at once, and until
    /// [`Snapshot::compressed`] is published clients that accept gzip or brotli get identity;
    /// documents whose bytes `previous` already served keep its encodings, so one edited post
    /// recompresses only the feeds it is in.
    pub fn from_build(contents: Contents, previous: Option<&Snapshot>) -> Snapshot {
        let Contents {
            documents,
            views,
            diagnostics,
            entry_count,
            built_at,
            discovery,
        } = contents;
        // Keyed by ETag rather than path, so a document that only moved is reused too.
        let reusable: HashMap<&ETag, &ServedDocument> = previous
            .map(|p| {
                p.documents
                    .values()
                    .chain(p.views.values())
                    .map(|d| (d.identity.etag(), d))
                    .collect()
            })
            .unwrap_or_default();
        Snapshot {
            generation: previous.map_or(1, |p| p.generation.wrapping_add(1)),
            built_at,
            entry_count,
            diagnostics,
            discovery,
            documents: serve(documents, built_at, &reusable),
            views: serve(views, built_at, &reusable),
            media: BTreeMap::new(),
        }
    }

    /// The same snapshot (same generation) with every document's encodings, compressed on all
    /// cores; `None` when there was nothing left to compress. CPU-bound, so an async caller should
    /// run it on a blocking thread.
    pub fn compressed(&self) -> Option<Snapshot> {
        let all = || self.documents.values().chain(self.views.values());
        if all().all(|d| d.compressed) {
            return None;
        }
        let compress = |documents: &BTreeMap<String, ServedDocument>| {
            documents
                .par_iter()
                .map(|(path, document)| (path.clone(), document.compress()))
                .collect()
        };
        let (documents, views) =
            rayon::join(|| compress(&self.documents), || compress(&self.views));
        Some(Snapshot {
            documents,
            views,
            media: self.media.clone(),
            diagnostics: self.diagnostics.clone(),
            discovery: self.discovery.clone(),
            ..*self
        })
    }

    /// The same documents with other problems (generation + 1), for a problem found after the
    /// build was published: the output folder or the lock file could not be written.
    pub fn with_diagnostics(&self, diagnostics: Vec<Diagnostic>) -> Snapshot {
        Snapshot {
            generation: self.generation.wrapping_add(1),
            documents: self.documents.clone(),
            views: self.views.clone(),
            media: self.media.clone(),
            diagnostics,
            discovery: self.discovery.clone(),
            ..*self
        }
    }

    /// Counts published snapshots, so `/healthz` shows whether a rebuild took effect.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn built_at(&self) -> DateTime<Utc> {
        self.built_at
    }

    /// How many posts are published (not drafts, not scheduled).
    pub fn entry_count(&self) -> usize {
        self.entry_count
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The hubs and base URL feed responses name, when WebSub is on.
    pub fn discovery(&self) -> Option<&Discovery> {
        self.discovery.as_ref()
    }

    /// The document served at `path` (below `base_url`, no leading `/`).
    pub fn get(&self, path: &str) -> Option<&ServedDocument> {
        self.documents.get(path)
    }

    /// Every document, ordered by path.
    pub fn documents(&self) -> impl ExactSizeIterator<Item = &ServedDocument> {
        self.documents.values()
    }

    /// The page a browser is shown instead of the feed at `path`, when there is one.
    pub fn view(&self, path: &str) -> Option<&ServedDocument> {
        self.views.get(path)
    }

    /// The same snapshot serving `media` beside its documents (a build's media are published
    /// into files of their own first, so they join the snapshot in a step of their own).
    pub fn with_media(mut self, media: Vec<ServedMedia>) -> Snapshot {
        let built_at = self.built_at;
        self.media = (media.into_iter())
            .map(|m| (m.path().to_owned(), m.clamped(built_at)))
            .collect();
        self
    }

    /// The media file served at `path` (below `base_url`, no leading `/`).
    pub fn media(&self, path: &str) -> Option<&ServedMedia> {
        self.media.get(path)
    }

    /// Every media file, ordered by path.
    pub fn media_files(&self) -> impl ExactSizeIterator<Item = &ServedMedia> {
        self.media.values()
    }
}

/// `documents` as served, by path; each reuses the encodings of a document in `reusable` with the
/// same bytes.
fn serve(
    documents: Vec<Document>,
    built_at: DateTime<Utc>,
    reusable: &HashMap<&ETag, &ServedDocument>,
) -> BTreeMap<String, ServedDocument> {
    documents
        .into_par_iter()
        .map(|document| {
            let reuse = reusable
                .get(&document.etag)
                .copied()
                // The ETag is a hash of the body; comparing the bytes too costs a memcmp and
                // guards against a renderer that got its ETag wrong.
                .filter(|d| same_bytes(&d.identity.body, &document.body));
            let served = ServedDocument::new(document, built_at, reuse);
            (served.path.clone(), served)
        })
        .collect()
}

/// HTTP dates cover 1970–9999 only (and `httpdate` panics outside), and must not lie in the future.
fn clamp_http_date(t: DateTime<Utc>, built_at: DateTime<Utc>) -> DateTime<Utc> {
    t.min(built_at).max(DateTime::UNIX_EPOCH)
}
