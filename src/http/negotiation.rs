//! Feed or page: whether a request for a feed's address comes from a person's browser opening it
//! (who is shown the feed as a page) or from anything else (which gets the feed, as always).
//!
//! Getting this wrong breaks subscriptions, so the rule is conservative:
//! - When the request carries any Fetch Metadata header (`Sec-Fetch-Dest`, `-Mode`, `-Site`,
//!   `-User`: every current browser sends them, no feed reader does), it is a page exactly when
//!   `Sec-Fetch-Mode: navigate` and `Sec-Fetch-Dest: document` (a top-level navigation; a feed
//!   fetched by a script or shown in a frame stays a feed).
//! - Only without any of them (an older browser, or plain HTTP to a host other than localhost,
//!   where browsers leave them out) does `Accept` decide: a page when it gives `text/html` a
//!   higher quality than every range that could match a feed or XML type (`*/*`, `application/*`,
//!   `text/*`, `application/xml`, `text/xml`, `application/json`, any `+xml` or `+json` type but
//!   `application/xhtml+xml`, and the feed types themselves). A tie, `*/*`, an Accept that cannot
//!   be read, or none at all is a feed.
//!
//! The tests beside this file hold the rule to the headers real readers and browsers send.

use hyper::header::{ACCEPT, HeaderMap};

use super::encoding::parse_qvalue;
use crate::format::{DocumentKind, Format};

/// `Vary` for an address that has both a feed and a page: every header the choice may read,
/// with `Accept-Encoding`, which chooses the content coding of either.
pub const VARY: &str =
    "Accept-Encoding, Accept, Sec-Fetch-Dest, Sec-Fetch-Mode, Sec-Fetch-Site, Sec-Fetch-User";

/// The Fetch Metadata request headers; the presence of any one means a browser sent the request.
const FETCH_METADATA: [&str; 4] = [
    "sec-fetch-dest",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-fetch-user",
];

/// Whether the request is a browser's top-level navigation that should be shown a page.
pub fn wants_page(headers: &HeaderMap) -> bool {
    if FETCH_METADATA
        .iter()
        .any(|name| headers.contains_key(*name))
    {
        return single(headers, "sec-fetch-mode")
            .is_some_and(|v| v.eq_ignore_ascii_case("navigate"))
            && single(headers, "sec-fetch-dest")
                .is_some_and(|v| v.eq_ignore_ascii_case("document"));
    }
    accept_prefers_html(headers)
}

/// The one value of header `name`; `None` when it is absent, repeated or not text.
fn single<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    value.to_str().ok().map(str::trim)
}

/// Whether `Accept` (all its fields together) strictly prefers `text/html` to anything a feed
/// could be served as.
fn accept_prefers_html(headers: &HeaderMap) -> bool {
    let mut html = 0;
    let mut feed = 0;
    for field in headers.get_all(ACCEPT) {
        let Ok(text) = field.to_str() else {
            return false;
        };
        for range in text.split(',').filter(|r| !r.trim().is_empty()) {
            let Some((media_range, q)) = parse_range(range) else {
                return false;
            };
            if media_range == DocumentKind::Page.media_type() {
                html = html.max(q);
            } else if could_be_a_feed(&media_range) {
                feed = feed.max(q);
            }
        }
    }
    html > 0 && html > feed
}

/// A media range, lowercased, with its quality in thousandths; `None` when the quality is not a
/// valid `qvalue` (RFC 9110 §12.4.2).
fn parse_range(range: &str) -> Option<(String, u16)> {
    let mut parts = range.split(';');
    let media_range = parts.next()?.trim().to_ascii_lowercase();
    let mut q = 1000;
    for param in parts {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            q = parse_qvalue(value.trim())?;
        }
    }
    Some((media_range, q))
}

/// Whether `media_range` matches a type feedd's feeds are, or that a reader may take a feed as.
fn could_be_a_feed(media_range: &str) -> bool {
    let Some((kind, subtype)) = media_range.split_once('/') else {
        return false;
    };
    let generic = matches!(
        media_range,
        "*/*" | "application/*" | "text/*" | "application/xml" | "text/xml" | "application/json"
    );
    let structured =
        (subtype.ends_with("+xml") && subtype != "xhtml+xml") || subtype.ends_with("+json");
    let ours = Format::ALL
        .iter()
        .any(|f| f.media_type().eq_ignore_ascii_case(media_range));
    !kind.is_empty() && (generic || structured || ours)
}

#[cfg(test)]
mod tests;
