//! Feeds → pages for people: the site's index (`index.html`, served at `/`) and each feed
//! document shown as HTML to a browser that opens it.
//!
//! Pure, like the feed renderers: the same feeds give the same bytes, and the ETag is a hash of
//! them. Pages are written with `maud`, so every piece of text is escaped by construction. They
//! need nothing from outside: the style sheet and the one small script (which only adds "Copy"
//! buttons beside the feed addresses; without it the addresses are plain read-only fields) are
//! inline, allowed by their hashes in [`CONTENT_SECURITY_POLICY`], and everything else is refused.
//! Which request gets a page is for `http` to decide; which pages are made, for `build`.

mod feed_page;
mod index;
mod layout;
mod page_feed;

use bytes::Bytes;
use chrono::Utc;

use super::{Document, Lifetime};
use crate::etag::ETag;
use crate::feed::Feed;
use crate::format::DocumentKind;
use page_feed::PageFeed;

pub use index::Index;

/// What a page may run and style itself with: exactly the inline style sheet and script, named by
/// their SHA-256 (a test recomputes both). Written once for both policies below.
macro_rules! inline_sources {
    () => {
        "style-src 'sha256-TOIyUwqiQydry/kkJ9yqZT4FBJxY8sGxkoMSz+7YOzg='; \
         script-src 'sha256-gTWB+WXlOj5Od9RrzxLh2i7ExeVT5TUVpXfnQIdjlWU='; "
    };
}

/// The policy sent with every page: nothing may load but the inline style sheet and script.
pub const CONTENT_SECURITY_POLICY: &str = concat!(
    "default-src 'none'; ",
    inline_sources!(),
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
);

/// The same policy for a `<meta>` element, which protects a page a static host serves without
/// the header; `frame-ancestors` is left out because browsers ignore it there, with a warning.
const META_CONTENT_SECURITY_POLICY: &str = concat!(
    "default-src 'none'; ",
    inline_sources!(),
    "base-uri 'none'; form-action 'none'"
);

/// The site's index page, from every feed (the main one first, then the tags'); the main feed
/// has every post, so its `updated` is the site's.
pub fn render_index(index: &Index<'_>) -> Document {
    let Some((main, tags)) = index.feeds.split_first() else {
        return page(index.path.to_owned(), index::render_empty(), None);
    };
    let main = PageFeed::new(main);
    let tags: Vec<PageFeed> = tags.iter().map(|f| PageFeed::listed(f)).collect();
    let body = index::render(index, &main, &tags);
    page(index.path.to_owned(), body, Some(main.updated))
}

/// One page per document of `feed`, at that document's path: the same entries, with that
/// document's address to paste into a reader.
pub fn render_feed_pages(feed: &Feed) -> Vec<Document> {
    let shown = PageFeed::new(feed);
    // The pages differ only in the address they offer: their entries are rendered once.
    let entries = layout::entry_list(&shown.entries);
    (shown.documents.iter())
        .map(|link| {
            let body = feed_page::render(&shown, link, &entries);
            page(link.path.clone(), body, Some(shown.updated))
        })
        .collect()
}

fn page(
    path: String,
    body: String,
    updated: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> Document {
    Document {
        path,
        kind: DocumentKind::Page,
        etag: ETag::of(body.as_bytes()),
        body: Bytes::from(body),
        last_modified: updated.map_or(chrono::DateTime::UNIX_EPOCH, |u| u.with_timezone(&Utc)),
        lifetime: Lifetime::Current,
    }
}

#[cfg(test)]
mod tests;
