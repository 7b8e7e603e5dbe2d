//! [`Snapshot`]: everything the server answers with, built once and never changed, and the
//! [`Publisher`] that swaps a new one in whole.
//!
//! Three jobs, one file each: `served` is the model (each rendered document with its encodings,
//! plus the diagnostics and counts `/healthz` reports), `codec` encodes bodies (gzip, brotli),
//! and `publisher` hands the current snapshot to requests without a lock. A snapshot is made from
//! one build ([`Snapshot::from_build`]) and gains its encodings in one step
//! ([`Snapshot::compressed`]), so no request ever compresses anything; a failed rebuild publishes
//! nothing, so the last good snapshot stays. Rendering is left to `render`, answering requests
//! to `http`, writing files to `output`.

mod codec;
mod media;
mod publisher;
mod served;

pub use codec::Encoding;
pub use media::ServedMedia;
pub use publisher::Publisher;
pub use served::{Contents, Discovery, ServedDocument, Snapshot, Variant};

#[cfg(test)]
mod tests;
