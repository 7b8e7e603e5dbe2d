//! [`ETag`]: a strong entity tag, kept in one form, quoted as it is sent.
//!
//! Ground-floor vocabulary like `format`: render mints ETags, snapshot derives one per encoding,
//! http sends and compares them, the daemon remembers them. Keeping the quotes inside one type
//! means no module strips or adds them by hand, and none can mix a quoted tag with a bare one.

use std::fmt;

/// A strong validator: `"` + opaque tag + `"`, as in an `ETag` header (RFC 9110 §8.8.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag(String);

impl ETag {
    /// The validator of `body`: its 128-bit xxh3 hash in hex.
    ///
    /// An ETag only has to change when the bytes do, not to resist forgery, so a fast
    /// non-cryptographic hash serves; every rebuild hashes every document, which with SHA-256 was
    /// a fifth of a large site's build time.
    pub fn of(body: &[u8]) -> ETag {
        ETag::from_hash(xxhash_rust::xxh3::xxh3_128(body))
    }

    /// The validator of bytes whose xxh3-128 hash is `hash`: a file hashed as it was copied
    /// gets the tag [`ETag::of`] would give its bytes.
    pub fn from_hash(hash: u128) -> ETag {
        ETag(format!("\"{hash:032x}\""))
    }

    /// An ETag with a given opaque part, for tests that need tags of their own choosing.
    #[cfg(test)]
    pub(crate) fn from_opaque(opaque: &str) -> ETag {
        ETag(format!("\"{opaque}\""))
    }

    /// As sent in the `ETag` header: quoted.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The opaque part between the quotes, which `If-None-Match` lists are compared by.
    pub fn opaque(&self) -> &str {
        // Every constructor writes both quotes, so the tag is at least two ASCII bytes long.
        &self.0[1..self.0.len() - 1]
    }

    /// The tag of another representation of the same bytes (an encoding of them): the suffix goes
    /// inside the quotes, so `"3f2a"` becomes `"3f2a-gz"`.
    pub fn with_suffix(&self, suffix: &str) -> ETag {
        ETag(format!("\"{}{suffix}\"", self.opaque()))
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_is_a_quoted_hash_of_the_body() {
        assert_eq!(
            ETag::of(b"").as_str(),
            "\"99aa06d3014798d86001c324468d497f\""
        );
        assert_eq!(ETag::of(b"").opaque(), "99aa06d3014798d86001c324468d497f");
        assert_ne!(ETag::of(b"a"), ETag::of(b"b"));
    }

    #[test]
    fn a_suffix_goes_inside_the_quotes() {
        let tag = ETag::from_opaque("3f2a");
        assert_eq!(tag.with_suffix("-gz").as_str(), "\"3f2a-gz\"");
        assert_eq!(tag.with_suffix("").to_string(), "\"3f2a\"");
    }
}
