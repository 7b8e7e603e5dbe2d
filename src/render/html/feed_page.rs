//! One feed document shown as a page, for a person who opened the feed's address in a browser:
//! what it is, how to subscribe (the very address they opened, ready to paste into a reader), and
//! the entries the feed holds.

use maud::{Markup, html};

use super::layout;
use super::page_feed::PageFeed;
use crate::feed::DocumentLink;

/// The page of `feed` at `shown`'s address, around `entries` (its entries, rendered).
pub(super) fn render(feed: &PageFeed, shown: &DocumentLink, entries: &Markup) -> String {
    let title = layout::feed_title(feed);
    let others: Vec<&DocumentLink> = feed
        .documents
        .iter()
        .filter(|d| d.path != shown.path)
        .collect();
    let body = html! {
        header {
            h1 { (title) }
            @if !feed.description.is_empty() {
                p { (feed.description) }
            }
        }
        main {
            section class="notice" {
                h2 { "This is a feed" }
                p {
                    "Feed readers follow it and show each new post. To subscribe, paste this address \
                     into your reader:"
                }
                (layout::address_field(layout::format_name(shown.format), &shown.url, "feed-address"))
                p class="meta" {
                    @if !others.is_empty() {
                        "Also as "
                        @for (n, other) in others.iter().enumerate() {
                            @if n > 0 { ", " }
                            a href=(other.url) { (layout::format_name(other.format)) }
                        }
                        " · "
                    }
                    a href=(feed.home_url) { "Site home" }
                }
            }
            h2 { "Entries" }
            (entries)
        }
    };
    let alternates: Vec<_> = layout::alternates(feed).collect();
    layout::page(&title, feed.language.as_deref(), &alternates, body)
}
