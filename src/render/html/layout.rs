//! What every page shares: the document shell (head with autodiscovery links, inline style and
//! script), a feed address to copy, and the list of entries.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::META_CONTENT_SECURITY_POLICY;
use super::page_feed::{PageEntry, PageFeed};
use crate::feed::DocumentLink;
use crate::format::Format;

/// Included byte for byte: the policy's hash is of exactly this text.
pub(super) const STYLE: &str = include_str!("style.css");
/// Adds a "Copy" button beside each address field; the page reads the same without it.
pub(super) const COPY_SCRIPT: &str = include_str!("copy.js");

/// A feed document a page announces in its `<head>`, so readers and browser extensions find it.
pub(super) struct Alternate<'a> {
    pub title: String,
    pub link: &'a DocumentLink,
}

/// The whole page: `<head>` from `title`, `lang` and `alternates`, then `body`.
pub(super) fn page(
    title: &str,
    lang: Option<&str>,
    alternates: &[Alternate<'_>],
    body: Markup,
) -> String {
    html! {
        (DOCTYPE)
        html lang=[lang] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta http-equiv="Content-Security-Policy" content=(META_CONTENT_SECURITY_POLICY);
                title { (title) }
                @for alternate in alternates {
                    link rel="alternate" type=(alternate.link.format.media_type())
                        title=(alternate.title) href=(alternate.link.url);
                }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (body)
                footer { p { "Published with feedd." } }
                script { (PreEscaped(COPY_SCRIPT)) }
            }
        }
    }
    .into_string()
}

/// How a page names a format to people.
pub(super) fn format_name(format: Format) -> &'static str {
    match format {
        Format::Rss => "RSS",
        Format::Atom => "Atom",
        Format::Json => "JSON Feed",
    }
}

/// The feed's own name: the site's title, with the tag for a tag's feed.
pub(super) fn feed_title(feed: &PageFeed) -> String {
    match &feed.tag {
        Some(tag) => format!("{} · {tag}", feed.title),
        None => feed.title.clone(),
    }
}

/// Each document of `feed`, titled for the autodiscovery list.
pub(super) fn alternates(feed: &PageFeed) -> impl Iterator<Item = Alternate<'_>> {
    feed.documents.iter().map(move |link| Alternate {
        title: format!("{} ({})", feed_title(feed), format_name(link.format)),
        link,
    })
}

/// A labelled read-only field holding `url`, easy to select and copy (the script adds a button).
/// `id` must be unique on the page.
pub(super) fn address_field(label: &str, url: &str, id: &str) -> Markup {
    html! {
        div class="feed" {
            label for=(id) { (label) }
            input id=(id) type="url" readonly value=(url) data-copy;
        }
    }
}

/// The entries, newest first: linked title, date, authors and summary.
pub(super) fn entry_list(entries: &[PageEntry]) -> Markup {
    html! {
        @for entry in entries {
            article lang=[&entry.lang] {
                h3 { a href=(entry.link) { (entry.title) } }
                p class="meta" {
                    time datetime=(entry.published.to_rfc3339()) {
                        (entry.published.format("%Y-%m-%d"))
                    }
                    @if !entry.authors.is_empty() {
                        " · " (entry.authors.join(", "))
                    }
                }
                @if !entry.summary.is_empty() {
                    p { (entry.summary) }
                }
            }
        }
        @if entries.is_empty() {
            p { "Nothing is published yet." }
        }
    }
}
