//! Feed → [`Document`]: the bytes of one feed in one format, with what HTTP needs to serve them.
//!
//! Pure and deterministic: the same feed gives the same bytes, and the ETag is a hash of them.

use chrono::{DateTime, Utc};

use crate::config::Format;

/// One rendered document, ready to be written to a folder or served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Path below `base_url` and the output folder, e.g. `atom.xml`.
    pub path: String,
    pub format: Format,
    pub body: Vec<u8>,
    /// Strong validator: a quoted hash of `body`.
    pub etag: String,
    /// From the content (the feed's `updated`), never from the clock.
    pub last_modified: DateTime<Utc>,
}

impl Document {
    pub fn content_type(&self) -> &'static str {
        self.format.content_type()
    }
}
