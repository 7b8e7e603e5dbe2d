//! The content codings feedd sends besides identity: [`Encoding`], and gzip and brotli at the
//! levels chosen for feed-sized text.
//!
//! Encodes bytes and names the result; which documents get encoded, and when, is the served
//! model's business (`served`), and which encoding a client gets is `http`'s.

use std::io::Write;

use bytes::Bytes;

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
    pub(super) fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Identity => "",
            Encoding::Gzip => "-gz",
            Encoding::Brotli => "-br",
        }
    }

    /// `body` in this coding, when encoding it made it smaller; `None` for identity, for a body
    /// that did not shrink, and in the unlikely case the encoder failed.
    pub(super) fn encode(self, body: &[u8]) -> Option<Bytes> {
        let encoded = match self {
            Encoding::Identity => return None,
            Encoding::Gzip => gzip(body)?,
            Encoding::Brotli => brotli(body)?,
        };
        // Served until the document changes: kept at its length, not the encoder's capacity.
        (encoded.len() < body.len()).then(|| Bytes::from(encoded.into_boxed_slice()))
    }
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
