//! What a deploy round must do: which documents and media files to upload and which objects to
//! delete, from what a build published and the manifest of what the target already holds. Pure.
//!
//! A document is uploaded when its fingerprint (ETag, `Content-Type` and `Cache-Control`
//! together) differs from the one recorded when it was last uploaded, so a changed `max_age`
//! re-sends the headers too, and an unchanged document is never sent again. Only what feedd
//! uploaded itself (what the manifest names) is ever deleted.

use std::collections::BTreeMap;

use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use bytes::Bytes;

use crate::feed::polling::Policy;
use crate::media::MediaFile;
use crate::render::{Document, Lifetime};

/// One document or media file as the target should hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// Its path below `base_url` (and the output folder), e.g. `tags/rust/rss.xml`.
    pub path: String,
    pub body: Body,
    pub content_type: String,
    pub cache_control: String,
    /// Hex hash of the body's ETag and both headers: what the manifest records.
    pub fingerprint: String,
}

/// What an upload sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A document's bytes.
    Bytes(Bytes),
    /// A media file, read from disk as it is sent.
    File(PathBuf),
}

impl Upload {
    /// `document` with the headers the HTTP server sends it with, under `policy`.
    pub fn new(document: &Document, policy: Policy) -> Upload {
        let content_type = document.content_type();
        let cache_control = policy.cache_control(document.lifetime == Lifetime::Archived);
        // The ETag is already a hash of the body: hashing it instead keeps a round cheap.
        let etag = document.etag.as_str().as_bytes();
        Upload {
            path: document.path.clone(),
            body: Body::Bytes(document.body.clone()),
            content_type: content_type.to_owned(),
            fingerprint: fingerprint(&[content_type.as_bytes(), cache_control.as_bytes(), etag]),
            cache_control,
        }
    }

    /// `file` with the headers the HTTP server sends it with, never compressed. Its length and
    /// modification time stand for its bytes in the fingerprint, so a round reads no file that
    /// did not change.
    pub fn media(file: &MediaFile, policy: Policy) -> Upload {
        let cache_control = policy.media_cache_control();
        let since = file.modified.duration_since(UNIX_EPOCH).unwrap_or_default();
        let stamp = format!("{}:{}", file.length, since.as_nanos());
        let parts = [
            file.mime.as_bytes(),
            cache_control.as_bytes(),
            stamp.as_bytes(),
        ];
        Upload {
            path: file.path.clone(),
            body: Body::File(file.source.clone()),
            content_type: file.mime.clone(),
            fingerprint: fingerprint(&parts),
            cache_control,
        }
    }
}

/// Hex hash of `parts`, each prefixed by its length so no two lists hash alike by accident.
fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    format!("{:032x}", hasher.digest128())
}

/// Every document and media file of a build, as uploads: the media first, so a document never
/// reaches the target before what it links to.
pub fn uploads(documents: &[Document], media: &[MediaFile], policy: Policy) -> Vec<Upload> {
    let media = media.iter().map(|m| Upload::media(m, policy));
    media
        .chain(documents.iter().map(|d| Upload::new(d, policy)))
        .collect()
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
        let done = manifest(&uploads(&old, &[], POLICY));
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
            let wanted = uploads(&documents, &[], policy);
            let plan = plan(&wanted, &done);
            let put_paths: Vec<&str> = plan.put.iter().map(|&i| wanted[i].path.as_str()).collect();
            assert_eq!(put_paths, put, "{name}");
            assert_eq!(plan.delete, delete, "{name}");
            assert_eq!(plan.unchanged, wanted.len() - put.len(), "{name}");
        }
        assert!(plan(&[], &Manifest::new()).is_empty());
    }

    #[test]
    fn media_go_first_with_their_type_and_are_sent_again_only_when_they_change() {
        let file = MediaFile {
            path: "episodes/one.mp3".into(),
            source: PathBuf::from("/src/episodes/one.mp3"),
            mime: "audio/mpeg".into(),
            length: 1000,
            modified: UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        };
        let docs = [document("rss.xml", "a", Lifetime::Current)];
        let first = uploads(&docs, std::slice::from_ref(&file), POLICY);
        assert_eq!(first[0].path, "episodes/one.mp3");
        assert_eq!(first[0].content_type, "audio/mpeg");
        assert_eq!(first[0].cache_control, "public, max-age=300");
        assert_eq!(first[0].body, Body::File(file.source.clone()));
        let done = manifest(&first);
        assert!(plan(&uploads(&docs, std::slice::from_ref(&file), POLICY), &done).is_empty());
        let changed = MediaFile {
            length: 1001,
            ..file
        };
        let plan = plan(&uploads(&docs, &[changed], POLICY), &done);
        assert_eq!(plan.put, [0]);
        let gone = super::plan(&uploads(&docs, &[], POLICY), &done);
        assert_eq!(gone.delete, ["episodes/one.mp3"]);
    }
}
