//! [`Snapshot`]: everything the server answers with, built once and never changed, and the
//! [`Publisher`] that swaps a new one in whole.
//!
//! A snapshot holds each rendered [`Document`] together with its gzip and brotli encodings,
//! compressed here when the snapshot is built so that no request ever compresses anything, plus
//! the diagnostics and counts `/healthz` reports. Requests load the current snapshot without a
//! lock; the rebuild loop publishes a new one in one step, and a failed rebuild simply publishes
//! nothing, so the last good snapshot stays. Rendering is left to `render`, answering requests to
//! `http`, writing files to `output`.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::format::Format;
use crate::render::Document;

/// gzip's default level: on feed-sized text, level 9 gains about 1% for twice the time, and a
/// large site recompresses megabytes after each edit.
const GZIP_LEVEL: u32 = 6;
/// Brotli quality 6 still beats gzip 9 on text at several times the speed of quality 9, which
/// matters when one new post changes the main feeds and every tag feed it appears in.
const BROTLI_QUALITY: i32 = 6;
const BROTLI_WINDOW_BITS: i32 = 22;

/// A content coding the server can send a document in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` token; `None` for identity, which is never named in a response.
    pub fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }

    /// RFC 9110 §8.8.3 wants a different validator for each representation, so an encoded body's
    /// ETag carries a suffix inside the quotes.
    fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Identity => "",
            Encoding::Gzip => "-gz",
            Encoding::Brotli => "-br",
        }
    }
}

/// One representation of a document: its bytes in one encoding and the ETag that names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    encoding: Encoding,
    body: Bytes,
    etag: String,
}

impl Variant {
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Cheap to clone: serving a body shares this buffer instead of copying it.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// A quoted strong entity tag, e.g. `"3f2a…-gz"`.
    pub fn etag(&self) -> &str {
        &self.etag
    }
}

/// A document as served: its metadata and every encoding worth sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedDocument {
    path: String,
    format: Format,
    last_modified: DateTime<Utc>,
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

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn content_type(&self) -> &'static str {
        self.format.content_type()
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

    fn build(document: Document, built_at: DateTime<Utc>, reuse: Option<&ServedDocument>) -> Self {
        let last_modified = clamp_http_date(document.last_modified, built_at);
        let opaque = document.etag.trim_matches('"').to_string();
        if let Some(previous) = reuse {
            return ServedDocument {
                path: document.path,
                format: document.format,
                last_modified,
                ..previous.clone()
            };
        }
        ServedDocument {
            path: document.path,
            format: document.format,
            last_modified,
            identity: Variant {
                encoding: Encoding::Identity,
                etag: format!("\"{opaque}\""),
                body: document.body,
            },
            compressed: false,
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
        let identity = &self.identity;
        let opaque = identity.etag.trim_matches('"');
        let encode = |encoding: Encoding, compress: fn(&[u8]) -> Option<Vec<u8>>| {
            compress(&identity.body)
                .filter(|encoded| encoded.len() < identity.body.len())
                .map(|encoded| Variant {
                    encoding,
                    body: Bytes::from(encoded),
                    etag: format!("\"{opaque}{}\"", encoding.etag_suffix()),
                })
        };
        let (gzip, brotli) = rayon::join(
            || encode(Encoding::Gzip, gzip),
            || encode(Encoding::Brotli, brotli),
        );
        ServedDocument {
            compressed: true,
            gzip,
            brotli,
            ..self.clone()
        }
    }
}

/// Everything served at one moment. Immutable: a change means a new snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    generation: u64,
    built_at: DateTime<Utc>,
    entry_count: usize,
    diagnostics: Vec<Diagnostic>,
    documents: BTreeMap<String, ServedDocument>,
}

impl Snapshot {
    /// Compresses every document; CPU-bound, so an async caller should run it on a blocking
    /// thread. `built_at` is wall-clock time, reported by `/healthz` and used as the latest
    /// `Last-Modified` any document may claim. A later document with an already-used path
    /// replaces the earlier one.
    pub fn new(
        generation: u64,
        documents: Vec<Document>,
        diagnostics: Vec<Diagnostic>,
        entry_count: usize,
        built_at: DateTime<Utc>,
    ) -> Snapshot {
        Self::build(
            generation,
            documents,
            diagnostics,
            entry_count,
            built_at,
            None,
        )
        .with_encodings()
    }

    /// The snapshot after `previous` (generation + 1). Documents whose bytes are unchanged keep
    /// `previous`'s compressed encodings, so one edited post recompresses only the feeds it is in.
    #[cfg(test)]
    pub(crate) fn next(
        previous: &Snapshot,
        documents: Vec<Document>,
        diagnostics: Vec<Diagnostic>,
        entry_count: usize,
        built_at: DateTime<Utc>,
    ) -> Snapshot {
        Self::build(
            previous.generation.wrapping_add(1),
            documents,
            diagnostics,
            entry_count,
            built_at,
            Some(previous),
        )
        .with_encodings()
    }

    /// Like [`Snapshot::new`] (with `previous`: like [`Snapshot::next`]) but leaves new documents
    /// uncompressed, so a rebuild can be served at once; [`Snapshot::compressed`] then adds the
    /// encodings, and until it is published clients that accept gzip or brotli get identity.
    pub fn uncompressed(
        previous: Option<&Snapshot>,
        documents: Vec<Document>,
        diagnostics: Vec<Diagnostic>,
        entry_count: usize,
        built_at: DateTime<Utc>,
    ) -> Snapshot {
        Self::build(
            previous.map_or(1, |p| p.generation.wrapping_add(1)),
            documents,
            diagnostics,
            entry_count,
            built_at,
            previous,
        )
    }

    /// The same snapshot (same generation) with every document's encodings, compressed on all
    /// cores; `None` when there was nothing left to compress.
    pub fn compressed(&self) -> Option<Snapshot> {
        if self.documents.values().all(|d| d.compressed) {
            return None;
        }
        let documents = self
            .documents
            .par_iter()
            .map(|(path, document)| (path.clone(), document.compress()))
            .collect();
        Some(Snapshot {
            documents,
            diagnostics: self.diagnostics.clone(),
            ..*self
        })
    }

    /// The same documents with other problems (generation + 1), for a problem found after the
    /// build was published: the output folder or the lock file could not be written.
    pub fn with_diagnostics(&self, diagnostics: Vec<Diagnostic>) -> Snapshot {
        Snapshot {
            generation: self.generation.wrapping_add(1),
            documents: self.documents.clone(),
            diagnostics,
            ..*self
        }
    }

    fn with_encodings(self) -> Snapshot {
        self.compressed().unwrap_or(self)
    }

    /// Every document, new ones uncompressed; unchanged ones keep `previous`'s encodings.
    fn build(
        generation: u64,
        documents: Vec<Document>,
        diagnostics: Vec<Diagnostic>,
        entry_count: usize,
        built_at: DateTime<Utc>,
        previous: Option<&Snapshot>,
    ) -> Snapshot {
        // Keyed by ETag rather than path, so a document that only moved is reused too.
        let reusable: HashMap<&str, &ServedDocument> = previous
            .map(|p| {
                p.documents
                    .values()
                    .map(|d| (d.identity.etag.trim_matches('"'), d))
                    .collect()
            })
            .unwrap_or_default();
        let documents = documents
            .into_par_iter()
            .map(|document| {
                let reuse = reusable
                    .get(document.etag.trim_matches('"'))
                    .copied()
                    // The ETag is a hash of the body; comparing the bytes too costs a memcmp and
                    // guards against a renderer that got its ETag wrong.
                    .filter(|d| d.identity.body[..] == document.body[..]);
                let served = ServedDocument::build(document, built_at, reuse);
                (served.path.clone(), served)
            })
            .collect();
        Snapshot {
            generation,
            built_at,
            entry_count,
            diagnostics,
            documents,
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

    /// The document served at `path` (below `base_url`, no leading `/`).
    pub fn get(&self, path: &str) -> Option<&ServedDocument> {
        self.documents.get(path)
    }

    /// Every document, ordered by path.
    pub fn documents(&self) -> impl ExactSizeIterator<Item = &ServedDocument> {
        self.documents.values()
    }
}

/// The one place snapshots change hands: cloned into the server and the rebuild loop.
#[derive(Debug, Clone)]
pub struct Publisher {
    current: Arc<ArcSwap<Snapshot>>,
}

impl Publisher {
    pub fn new(first: Snapshot) -> Publisher {
        Publisher {
            current: Arc::new(ArcSwap::from_pointee(first)),
        }
    }

    /// The snapshot being served now; lock-free, and stays valid after a newer one is published.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Like [`Publisher::current`] without touching the reference count, for the request path;
    /// hold the guard only briefly.
    pub fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// Makes `next` the snapshot every later request sees, in one step.
    pub fn publish(&self, next: Snapshot) {
        tracing::debug!(generation = next.generation, "publishing snapshot");
        self.current.store(Arc::new(next));
    }

    /// Publishes `next` only if `expected` is still the current snapshot, in one atomic step;
    /// returns whether it did. Lets work started on one snapshot (compressing it) never
    /// overwrite a newer one.
    pub fn replace(&self, expected: &Arc<Snapshot>, next: Snapshot) -> bool {
        let previous = self.current.compare_and_swap(expected, Arc::new(next));
        Arc::ptr_eq(&previous, expected)
    }
}

/// HTTP dates cover 1970–9999 only (and `httpdate` panics outside), and must not lie in the future.
fn clamp_http_date(t: DateTime<Utc>, built_at: DateTime<Utc>) -> DateTime<Utc> {
    t.min(built_at).max(DateTime::UNIX_EPOCH)
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::new(GZIP_LEVEL),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

fn brotli(body: &[u8]) -> Option<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: BROTLI_WINDOW_BITS,
        size_hint: body.len(),
        mode: brotli::enc::backward_references::BrotliEncoderMode::BROTLI_MODE_TEXT,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(body.len() / 4);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests;
