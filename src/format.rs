//! [`Format`] and [`DocumentKind`]: the kinds of document feedd writes, with their media types and
//! default paths.
//!
//! Shared vocabulary on the ground floor: config, feed, render, snapshot, http and output all
//! name document kinds, and none of them should have to import another to learn what one is, so
//! this module imports nothing from the crate. Each media type is written here once.

use serde::{Deserialize, Serialize};

/// A document format feedd can write; `config.toml` names them in lowercase (`formats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Rss,
    Atom,
    Json,
}

/// What a published document is: one feed in one format, or a page for people reading in a
/// browser (the site's index, or a feed shown as HTML). Config names only [`Format`]s, so no
/// `formats` list can ask for a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocumentKind {
    Feed(Format),
    Page,
}

impl DocumentKind {
    /// The media type alone, as `Accept` names it.
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentKind::Feed(format) => format.media_type(),
            DocumentKind::Page => PAGE_TYPES.0,
        }
    }

    /// The HTTP `Content-Type`, with its charset.
    pub fn content_type(self) -> &'static str {
        match self {
            DocumentKind::Feed(format) => format.content_type(),
            DocumentKind::Page => PAGE_TYPES.1,
        }
    }

    /// The feed format, for a feed document.
    pub fn format(self) -> Option<Format> {
        match self {
            DocumentKind::Feed(format) => Some(format),
            DocumentKind::Page => None,
        }
    }
}

/// The media type and the `Content-Type` (media type with charset), built from one literal so
/// the two cannot drift apart.
macro_rules! with_charset {
    ($media_type:literal) => {
        ($media_type, concat!($media_type, "; charset=utf-8"))
    };
}

/// Pages for people are HTML.
const PAGE_TYPES: (&str, &str) = with_charset!("text/html");

impl Format {
    /// Every format, in the order documents of one feed are listed.
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    /// The name `config.toml` uses for it (`formats = ["rss", …]`).
    pub const fn name(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    /// The media type a `type` attribute names, e.g. in a `rel="self"` link.
    pub fn media_type(self) -> &'static str {
        self.types().0
    }

    /// The HTTP `Content-Type`: the media type with its charset (every document is UTF-8).
    pub fn content_type(self) -> &'static str {
        self.types().1
    }

    /// Where the document is published below `base_url` unless `[paths]` says otherwise.
    pub const fn default_path(self) -> &'static str {
        match self {
            Format::Rss => "rss.xml",
            Format::Atom => "atom.xml",
            Format::Json => "feed.json",
        }
    }

    fn types(self) -> (&'static str, &'static str) {
        match self {
            Format::Rss => with_charset!("application/rss+xml"),
            Format::Atom => with_charset!("application/atom+xml"),
            Format::Json => with_charset!("application/feed+json"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_is_the_media_type_with_a_charset() {
        for format in Format::ALL {
            assert_eq!(
                format.content_type(),
                format!("{}; charset=utf-8", format.media_type())
            );
        }
        assert_eq!(Format::Atom.media_type(), "application/atom+xml");
    }

    #[test]
    fn a_kind_is_served_as_its_format_or_as_html() {
        assert_eq!(
            DocumentKind::Feed(Format::Rss).content_type(),
            Format::Rss.content_type()
        );
        assert_eq!(
            DocumentKind::Page.content_type(),
            "text/html; charset=utf-8"
        );
        assert_eq!(DocumentKind::Page.media_type(), "text/html");
        assert_eq!(DocumentKind::Page.format(), None);
        assert_eq!(
            DocumentKind::Feed(Format::Json).format(),
            Some(Format::Json)
        );
    }

    #[test]
    fn names_are_what_config_toml_reads() {
        #[derive(Deserialize)]
        struct Formats {
            formats: Vec<Format>,
        }
        for format in Format::ALL {
            let text = format!("formats = [\"{}\"]", format.name());
            let read: Formats = toml::from_str(&text).expect("a format name parses");
            assert_eq!(read.formats, [format]);
        }
    }
}
