//! WebSub topics: feedd's feed documents, each named by its absolute URL.
//!
//! A topic changed when its bytes did: a rebuild that rewrites a document with the same bytes
//! (a touched file, an edit to a post not in it) announces nothing, so hubs and subscribers are
//! never sent a notification that carries no news.

use bytes::Bytes;
use url::Url;

use crate::format::DocumentKind;
use crate::snapshot::{ServedDocument, Snapshot};

/// One feed document whose bytes differ from the last snapshot's (or that is new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedTopic {
    /// The document's canonical URL: `base_url` joined with its path (the `rel="self"` link).
    pub url: Url,
    /// The document's path below `base_url`, as the snapshot and the output folder name it.
    pub path: String,
    pub content_type: &'static str,
    /// The whole new document (identity encoding), as content distribution sends it.
    pub body: Bytes,
}

/// The feed documents of `after` whose bytes are not those `before` served at the same path.
/// Pages for people are not topics.
pub fn changed_topics(before: &Snapshot, after: &Snapshot, base_url: &Url) -> Vec<ChangedTopic> {
    after
        .documents()
        .filter(|document| matches!(document.kind(), DocumentKind::Feed(_)))
        .filter(|document| {
            before
                .get(document.path())
                .is_none_or(|old| old.identity().etag() != document.identity().etag())
        })
        .filter_map(|document| topic_of(document, base_url))
        .collect()
}

/// Every feed document of `snapshot` as a topic, for `--once --ping` and first announcements.
pub fn all_topics(snapshot: &Snapshot, base_url: &Url) -> Vec<ChangedTopic> {
    snapshot
        .documents()
        .filter(|document| matches!(document.kind(), DocumentKind::Feed(_)))
        .filter_map(|document| topic_of(document, base_url))
        .collect()
}

/// The URL a topic is known by; `None` only for a path that cannot be joined to `base_url`,
/// which config validation rules out.
pub fn topic_url(base_url: &Url, path: &str) -> Option<Url> {
    base_url.join(path).ok()
}

fn topic_of(document: &ServedDocument, base_url: &Url) -> Option<ChangedTopic> {
    Some(ChangedTopic {
        url: topic_url(base_url, document.path())?,
        path: document.path().to_owned(),
        content_type: document.content_type(),
        body: document.identity().body().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::render::{Document, Lifetime};
    use crate::snapshot::Contents;

    fn document(path: &str, body: &str) -> Document {
        Document::for_test(path, Format::Atom, body, Lifetime::Current)
    }

    fn snapshot(documents: Vec<Document>, previous: Option<&Snapshot>) -> Snapshot {
        let contents = Contents {
            documents,
            ..Contents::default()
        };
        Snapshot::from_build(contents, previous)
    }

    #[test]
    fn only_feeds_whose_bytes_changed_are_topics() {
        let base = Url::parse("https://example.org/blog/").unwrap();
        let first = snapshot(
            vec![
                document("rss.xml", "<rss>1</rss>"),
                document("atom.xml", "<feed>1</feed>"),
            ],
            None,
        );
        let second = snapshot(
            vec![
                document("rss.xml", "<rss>2</rss>"),
                document("atom.xml", "<feed>1</feed>"),
                document("tags/a/rss.xml", "<rss>a</rss>"),
            ],
            Some(&first),
        );
        let changed = changed_topics(&first, &second, &base);
        let urls: Vec<&str> = changed.iter().map(|t| t.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://example.org/blog/rss.xml",
                "https://example.org/blog/tags/a/rss.xml"
            ]
        );
        assert_eq!(&changed[0].body[..], b"<rss>2</rss>");
        assert!(changed_topics(&second, &second, &base).is_empty());
        assert_eq!(all_topics(&second, &base).len(), 3);
    }
}
