//! WebSub discovery in HTTP (§4): a response from a feed's address names each hub
//! (`Link: <…>; rel="hub"`) and the feed's own URL (`Link: <…>; rel="self"`), the topic a
//! subscriber must name. 304s carry them too, so a client that only revalidates still learns
//! of a hub added later.
//!
//! Which hubs there are is the snapshot's (`snapshot::Discovery`); this only writes headers.

use hyper::header::{HeaderMap, HeaderValue, LINK};
use url::Url;

use crate::format::DocumentKind;
use crate::snapshot::{ServedDocument, Snapshot};

/// Appends the `Link` headers of `document` to `headers`: none for a page, or without hubs.
pub(super) fn add_links(headers: &mut HeaderMap, snapshot: &Snapshot, document: &ServedDocument) {
    let Some(discovery) = snapshot.discovery() else {
        return;
    };
    if !matches!(document.kind(), DocumentKind::Feed(_)) {
        return;
    }
    let topic = discovery.self_url(document.path());
    let links =
        (discovery.hubs.iter().map(|hub| (hub, "hub"))).chain(topic.iter().map(|t| (t, "self")));
    for (url, rel) in links {
        if let Ok(value) = HeaderValue::from_str(&link(url, rel)) {
            headers.append(LINK, value);
        }
    }
}

/// One `Link` value (RFC 8288). A serialised URL is ASCII with `<`, `>` and spaces
/// percent-encoded, so it cannot end the reference early.
fn link(url: &Url, rel: &str) -> String {
    format!("<{url}>; rel=\"{rel}\"")
}
