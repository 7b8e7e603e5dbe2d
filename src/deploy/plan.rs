//! What a deploy round must do: which documents to upload and which objects to delete, from the
//! documents a build wrote and the manifest of what the target already holds. Pure.
//!
//! A document is uploaded when its fingerprint (ETag, `Content-Type` and `Cache-Control`
//! together) differs from the one recorded when it was last uploaded, so a changed `max_age`
//! re-sends the headers too, and an unchanged document is never sent again. Only what feedd
//! uploaded itself (what the manifest names) is ever deleted.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::feed::polling::Policy;
use crate::render::{Document, Lifetime};

/// One document as the target should hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The document's path below `base_url` (and the output folder), e.g. `tags/rust/rss.xml`.
    pub path: String,
    pub body: Bytes,
    pub content_type: &'static str,
    pub cache_control: String,
    /// Hex hash of the body's ETag and both headers: what the manifest records.
    pub fingerprint: String,
}

impl Upload {
    /// `document` with the headers the HTTP server sends it with, under `policy`.
    pub fn new(document: &Document, policy: Policy) -> Upload {
        let content_type = document.content_type();
        let cache_control = policy.cache_control(document.lifetime == Lifetime::Archived);
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        // The ETag is already a hash of the body: hashing it instead keeps a round cheap.
        let etag = document.etag.as_str().as_bytes();
        for part in [content_type.as_bytes(), cache_control.as_bytes(), etag] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Upload {
            path: document.path.clone(),
            body: document.body.clone(),
            content_type,
            cache_control,
            fingerprint: format!("{:032x}", hasher.digest128()),
        }
    }
}

/// Every document of a build, as uploads.
pub fn uploads(documents: &[Document], policy: Policy) -> Vec<Upload> {
    documents.iter().map(|d| Upload::new(d, policy)).collect()
}

/// Path → fingerprint of what the target holds, as far as feedd uploaded it.
pub type Manifest = BTreeMap<String, String>;

/// A round's work: indexes into the uploads to send, and paths to delete once they are in place.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    pub put: Vec<usize>,
    pub delete: Vec<String>,
    pub unchanged: usize,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.delete.is_empty()
    }

    /// Objects still to write or remove.
    pub fn pending(&self) -> usize {
        self.put.len() + self.delete.len()
    }
}

/// Upload what the manifest does not record as it is now; delete what it records and the build
/// no longer has. Deletions are sorted, uploads follow `uploads`' order.
pub fn plan(uploads: &[Upload], manifest: &Manifest) -> Plan {
    let mut plan = Plan::default();
    for (i, upload) in uploads.iter().enumerate() {
        if manifest.get(&upload.path) == Some(&upload.fingerprint) {
            plan.unchanged += 1;
        } else {
            plan.put.push(i);
        }
    }
    let wanted: std::collections::HashSet<&str> = uploads.iter().map(|u| u.path.as_str()).collect();
    plan.delete = (manifest.keys())
        .filter(|path| !wanted.contains(path.as_str()))
        .cloned()
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;

    fn document(path: &str, body: &str, lifetime: Lifetime) -> Document {
        Document::for_test(path, Format::Rss, body, lifetime)
    }

    const POLICY: Policy = Policy {
        max_age: 300,
        archive_max_age: 86400,
    };

    fn manifest(of: &[Upload]) -> Manifest {
        of.iter()
            .map(|u| (u.path.clone(), u.fingerprint.clone()))
            .collect()
    }

    #[test]
    fn uploads_carry_the_servers_headers() {
        let current = Upload::new(&document("rss.xml", "a", Lifetime::Current), POLICY);
        assert_eq!(current.content_type, "application/rss+xml; charset=utf-8");
        assert_eq!(current.cache_control, "public, max-age=300");
        let archived = Upload::new(
            &document("archive/2024-01/rss.xml", "a", Lifetime::Archived),
            POLICY,
        );
        assert_eq!(archived.cache_control, "public, max-age=86400, immutable");
        assert_ne!(current.fingerprint, archived.fingerprint, "headers count");
    }

    #[test]
    fn plans() {
        let old = [
            document("rss.xml", "one", Lifetime::Current),
            document("atom.xml", "one", Lifetime::Current),
            document("tags/gone/rss.xml", "one", Lifetime::Current),
        ];
        let done = manifest(&uploads(&old, POLICY));
        let longer = Policy {
            max_age: 600,
            ..POLICY
        };
        // (case, documents, policy, uploaded, deleted)
        type Case<'a> = (&'a str, Vec<Document>, Policy, Vec<&'a str>, Vec<&'a str>);
        let cases: [Case; 5] = [
            ("nothing changed", old.to_vec(), POLICY, vec![], vec![]),
            (
                "one body changed, a tag went away",
                vec![
                    document("rss.xml", "two", Lifetime::Current),
                    document("atom.xml", "one", Lifetime::Current),
                ],
                POLICY,
                vec!["rss.xml"],
                vec!["tags/gone/rss.xml"],
            ),
            (
                "a new document",
                [
                    old.to_vec(),
                    vec![document("feed.json", "{}", Lifetime::Current)],
                ]
                .concat(),
                POLICY,
                vec!["feed.json"],
                vec![],
            ),
            (
                "max_age changed: every header is sent again",
                old.to_vec(),
                longer,
                vec!["rss.xml", "atom.xml", "tags/gone/rss.xml"],
                vec![],
            ),
            (
                "the build is empty",
                vec![],
                POLICY,
                vec![],
                vec!["atom.xml", "rss.xml", "tags/gone/rss.xml"],
            ),
        ];
        for (name, documents, policy, put, delete) in cases {
            let wanted = uploads(&documents, policy);
            let plan = plan(&wanted, &done);
            let put_paths: Vec<&str> = plan.put.iter().map(|&i| wanted[i].path.as_str()).collect();
            assert_eq!(put_paths, put, "{name}");
            assert_eq!(plan.delete, delete, "{name}");
            assert_eq!(plan.unchanged, wanted.len() - put.len(), "{name}");
        }
        assert!(plan(&[], &Manifest::new()).is_empty());
    }
}
