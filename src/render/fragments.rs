//! [`Renderer`]: documents put together from entries rendered once and kept between rebuilds.
//!
//! After an edit, the feeds that show the edited post change, but in each of them only one
//! entry does; rendering all fifty entries of each again would make every edit cost as much as
//! the feeds are long. So each entry is rendered once per format (and site context) into a
//! fragment, and a document is its [`Frame`] with the fragments of its entries spliced in.
//!
//! Fragments cost no memory of their own while their documents are current: once a document is
//! made, each fragment is kept as a slice of that document's bytes, which the snapshot holds
//! anyway. A fragment is counted by the documents made of it and dropped with the last one.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use rayon::prelude::*;

use super::frame::Frame;
use super::xml_text::{CleanFeed, clean_entry};
use super::{Document, atom, json, rss};
use crate::etag::ETag;
use crate::feed::{DocumentLink, Entry, Feed};
use crate::format::{DocumentKind, Format};

/// One entry rendered in one format for one site context. The entry is named by its address,
/// which is safe because the fragment holds the entry: the address cannot be reused meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    format: Format,
    entry: usize,
    /// What besides the entry goes into its bytes (see [`context`]).
    context: u64,
}

#[derive(Debug)]
struct Fragment {
    entry: Arc<Entry>,
    bytes: Bytes,
    /// How many current documents are made of it.
    users: usize,
}

/// A current document: what it is made of, and its bytes (to tell which fragments point into
/// them when it is replaced).
#[derive(Debug)]
struct Made {
    keys: Vec<Key>,
    body: Bytes,
}

/// Renders documents and keeps their entries for the next time.
#[derive(Debug, Default)]
pub struct Renderer {
    fragments: HashMap<Key, Fragment>,
    /// By document path.
    documents: HashMap<String, Made>,
}

/// A document made in this run, before the bookkeeping.
struct Rendered {
    document: Document,
    keys: Vec<Key>,
    /// Where each entry sits in the body; empty when the document was rendered whole.
    ranges: Vec<Range<usize>>,
}

impl Renderer {
    /// Every document of each of `feeds`, in the order of each feed's `documents`; a document
    /// of the same path made before is replaced. Entries not rendered before are rendered on all
    /// cores, then the documents are put together on all cores.
    pub fn render(&mut self, feeds: &[&Feed]) -> Vec<Vec<Document>> {
        self.render_missing(feeds);
        let jobs: Vec<(usize, &Feed, &DocumentLink)> = feeds
            .iter()
            .enumerate()
            .flat_map(|(i, feed)| feed.documents.iter().map(move |link| (i, *feed, link)))
            .collect();
        let rendered: Vec<(usize, Rendered)> = jobs
            .par_iter()
            .map(|&(i, feed, link)| (i, self.document(feed, link)))
            .collect();
        let replaced = self.keep(&rendered);
        self.release(replaced);
        let mut out: Vec<Vec<Document>> = feeds.iter().map(|_| Vec::new()).collect();
        for (i, rendered) in rendered {
            out[i].push(rendered.document);
        }
        out
    }

    /// Lets go of the documents at `paths`, which are no longer published.
    pub fn forget<'a>(&mut self, paths: impl IntoIterator<Item = &'a str>) {
        let gone = paths
            .into_iter()
            .filter_map(|path| self.documents.remove(path))
            .collect();
        self.release(gone);
    }

    /// Renders, on all cores, each entry of `feeds` that has no fragment yet.
    fn render_missing(&mut self, feeds: &[&Feed]) {
        let mut missing: HashMap<Key, (&Arc<Entry>, &Feed)> = HashMap::new();
        for feed in feeds {
            for link in &feed.documents {
                for entry in &feed.entries {
                    let key = key(link.format, entry, feed);
                    let kept = self.fragments.get(&key);
                    if !kept.is_some_and(|f| Arc::ptr_eq(&f.entry, entry)) {
                        missing.entry(key).or_insert((entry, feed));
                    }
                }
            }
        }
        let made: Vec<(Key, Fragment)> = missing
            .into_par_iter()
            .map(|(key, (entry, feed))| {
                let bytes = fragment(key.format, &clean_entry(entry), feed);
                let fragment = Fragment {
                    entry: Arc::clone(entry),
                    bytes: Bytes::from(bytes),
                    users: 0,
                };
                (key, fragment)
            })
            .collect();
        self.fragments.extend(made);
    }

    /// One document of `feed`, from the fragments `render_missing` made sure of.
    fn document(&self, feed: &Feed, link: &DocumentLink) -> Rendered {
        let keys: Vec<Key> = feed
            .entries
            .iter()
            .map(|e| key(link.format, e, feed))
            .collect();
        let head = CleanFeed::head(feed);
        let parts: Option<Vec<&[u8]>> = keys
            .iter()
            .map(|k| self.fragments.get(k).map(|f| &f.bytes[..]))
            .collect();
        let spliced = match (parts, frame(&head, link, feed)) {
            (Some(parts), Some(frame)) if !parts.is_empty() => Some(frame.join(parts.into_iter())),
            _ => None,
        };
        let (body, ranges) = spliced.unwrap_or_else(|| {
            // An empty feed, or a frame that could not be found: rendered whole, as it always
            // could be.
            let mut body = super::render_whole(&CleanFeed::new(feed), link);
            body.shrink_to_fit();
            (body, Vec::new())
        });
        Rendered {
            document: Document {
                path: link.path.clone(),
                kind: DocumentKind::Feed(link.format),
                etag: ETag::of(&body),
                body: Bytes::from(body),
                last_modified: feed.updated.with_timezone(&Utc),
                lifetime: super::lifetime(feed),
            },
            keys,
            ranges,
        }
    }

    /// Records what each new document is made of, and points its fragments into its bytes.
    /// Returns what the documents it replaced were made of.
    fn keep(&mut self, rendered: &[(usize, Rendered)]) -> Vec<Made> {
        let mut replaced = Vec::new();
        for (_, made) in rendered {
            let body = &made.document.body;
            for (i, key) in made.keys.iter().enumerate() {
                let Some(fragment) = self.fragments.get_mut(key) else {
                    continue;
                };
                fragment.users += 1;
                if let Some(range) = made.ranges.get(i) {
                    fragment.bytes = body.slice(range.clone());
                }
            }
            let kept = Made {
                keys: made.keys.clone(),
                body: body.clone(),
            };
            replaced.extend(self.documents.insert(made.document.path.clone(), kept));
        }
        replaced
    }

    /// Drops the fragments no current document is made of any more. One still in use that
    /// points into a replaced document's bytes is copied out, so the old bytes can be freed.
    fn release(&mut self, replaced: Vec<Made>) {
        for made in replaced {
            let old = made.body.as_ptr_range();
            for key in made.keys {
                let Some(fragment) = self.fragments.get_mut(&key) else {
                    continue;
                };
                fragment.users = fragment.users.saturating_sub(1);
                if fragment.users == 0 {
                    self.fragments.remove(&key);
                } else if old.contains(&fragment.bytes.as_ptr()) {
                    fragment.bytes = Bytes::copy_from_slice(&fragment.bytes);
                }
            }
        }
    }

    /// How many fragments are kept, for tests.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.fragments.len()
    }
}

fn key(format: Format, entry: &Arc<Entry>, feed: &Feed) -> Key {
    Key {
        format,
        entry: Arc::as_ptr(entry) as usize,
        context: context(format, feed),
    }
}

/// A hash of what an entry's bytes depend on besides the entry: RSS names the site's author
/// where the entry has none, Atom marks an entry's language where it differs from the feed's.
fn context(format: Format, feed: &Feed) -> u64 {
    let text = match format {
        Format::Rss => feed.author.as_deref(),
        Format::Atom => feed.language.as_deref(),
        Format::Json => None,
    };
    match text {
        Some(text) => xxhash_rust::xxh3::xxh3_64(text.as_bytes()),
        // Apart from every hash of a text, including the empty one.
        None => u64::MAX,
    }
}

fn fragment(format: Format, entry: &Entry, feed: &Feed) -> Vec<u8> {
    let clean = |text: Option<&str>| text.map(super::xml_text::clean);
    match format {
        Format::Rss => rss::fragment(entry, clean(feed.author.as_deref()).as_deref()),
        Format::Atom => atom::fragment(entry, clean(feed.language.as_deref()).as_deref()),
        Format::Json => json::fragment(entry),
    }
}

/// `link`'s document around its entries, found by rendering it around a sentinel entry.
fn frame(head: &CleanFeed, link: &DocumentLink, feed: &Feed) -> Option<Frame> {
    let sentinel = sentinel(feed);
    let (shell, alone, separator) = match link.format {
        Format::Rss => {
            let author = head.author.as_deref();
            let thumbnails = super::media_rss::used_by(feed.entries.iter());
            let shell = rss::shell(head, link, &sentinel, thumbnails);
            (shell, rss::fragment(&sentinel, author), &b""[..])
        }
        Format::Atom => {
            let anonymous = feed.entries.iter().any(|e| e.authors.is_empty());
            let thumbnails = super::media_rss::used_by(feed.entries.iter());
            let shell = atom::shell(head, link, &sentinel, (anonymous, thumbnails));
            let alone = atom::fragment(&sentinel, head.language.as_deref());
            (shell, alone, &b""[..])
        }
        Format::Json => {
            let shell = json::shell(head, link, &sentinel);
            (shell, json::fragment(&sentinel), json::SEPARATOR)
        }
    };
    Frame::around(&shell, &alone, separator)
}

/// An entry no post can be confused with: its id is not a URL any feed could contain.
fn sentinel(feed: &Feed) -> Entry {
    Entry {
        id: "urn:x-feedd:frame-sentinel".to_owned(),
        title: "frame sentinel".to_owned(),
        link: "urn:x-feedd:frame-sentinel".to_owned(),
        id_is_link: false,
        published: feed.updated,
        updated: feed.updated,
        authors: vec!["frame sentinel".to_owned()],
        summary: String::new(),
        content_html: String::new(),
        tags: Vec::new(),
        lang: None,
        enclosures: Vec::new(),
        image: None,
        episode: None,
    }
}

#[cfg(test)]
#[path = "fragments_tests.rs"]
mod tests;
