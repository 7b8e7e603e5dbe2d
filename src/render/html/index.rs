//! The site's index page: what the site is, every feed to subscribe to (announced in `<head>` for
//! autodiscovery, and listed with addresses to copy), and the newest entries.

use maud::{Markup, html};

use super::layout::{self, Alternate};
use super::page_feed::PageFeed;
use crate::feed::Feed;

/// What the index page shows.
#[derive(Debug, Clone)]
pub struct Index<'a> {
    /// Where it is published, below `base_url`.
    pub path: &'a str,
    /// The main feed first, then each tag's.
    pub feeds: Vec<&'a Feed>,
    /// Where every post ever published can be read, linked as "All posts" when there is such a
    /// place (the archive of older entries).
    pub all_posts: Option<&'a str>,
}

/// The page for `main` (with its entries) and `tags` (listed only).
pub(super) fn render(index: &Index<'_>, main: &PageFeed, tags: &[PageFeed]) -> String {
    let alternates: Vec<Alternate<'_>> = std::iter::once(main)
        .chain(tags)
        .flat_map(layout::alternates)
        .collect();
    let body = html! {
        header {
            h1 { (main.title) }
            @if !main.description.is_empty() {
                p { (main.description) }
            }
        }
        main {
            h2 { "Subscribe" }
            p { "Paste one of these addresses into your feed reader." }
            (feed_addresses(main, 0))
            @if let Some(all_posts) = index.all_posts {
                p { a href=(all_posts) { "All posts" } }
            }
            @if !tags.is_empty() {
                details {
                    summary { "Feeds by tag (" (tags.len()) ")" }
                    ul class="feeds" {
                        @for (n, tag) in tags.iter().enumerate() {
                            li {
                                h3 { (tag.tag.as_deref().unwrap_or_default()) }
                                (feed_addresses(tag, n + 1))
                            }
                        }
                    }
                }
            }
            h2 { "Newest posts" }
            (layout::entry_list(&main.entries))
        }
    };
    layout::page(&main.title, main.language.as_deref(), &alternates, body)
}

/// One field per document of `feed`; `n` numbers the feed so field ids stay unique.
fn feed_addresses(feed: &PageFeed, n: usize) -> Markup {
    html! {
        @for link in &feed.documents {
            (layout::address_field(
                layout::format_name(link.format),
                &link.url,
                &format!("feed-{n}-{}", link.format.name()),
            ))
        }
    }
}

/// A site without even its main feed (which always exists): a page that says only that.
pub(super) fn render_empty() -> String {
    layout::page(
        "Feeds",
        None,
        &[],
        html! { h1 { "Feeds" } p { "There are no feeds yet." } },
    )
}
