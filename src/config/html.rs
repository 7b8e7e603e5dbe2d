//! `[html]`: the pages feedd makes for people, beside the feeds for readers.
//!
//! Both are on by default: the index page costs one small document per build, and a feed page is
//! only ever sent to a browser's top-level navigation (see `http::negotiation`), so no feed reader
//! sees a difference.

use serde::Deserialize;

use super::defaults;

/// Where the site's index page is published below `base_url` (and served at `/`).
pub const INDEX_PATH: &str = "index.html";

/// Which pages to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Html {
    /// `index.html` (served at `/`): every feed with autodiscovery links, and the newest entries.
    pub index: bool,
    /// Whether the daemon answers a browser that opens a feed URL with that feed as a page.
    pub feed_pages: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHtml {
    index: Option<bool>,
    feed_pages: Option<bool>,
}

impl RawHtml {
    /// The section with defaults filled in; `feed_paths` may not take the index page's path.
    pub(super) fn build<'a>(
        self,
        mut feed_paths: impl Iterator<Item = &'a str>,
    ) -> Result<Html, String> {
        let html = Html {
            index: self.index.unwrap_or(defaults::html::INDEX),
            feed_pages: self.feed_pages.unwrap_or(defaults::html::FEED_PAGES),
        };
        if html.index && feed_paths.any(|path| path == INDEX_PATH) {
            return Err(format!(
                "a feed is published at `{INDEX_PATH}`, where the index page goes; \
                 choose another path under `[paths]` or set `[html] index = false`"
            ));
        }
        Ok(html)
    }
}
