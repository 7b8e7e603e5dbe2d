//! Posts → the model's values: one post's [`Entry`], and a [`Feed`] (the subscription document
//! or an archive page) around entries already made.
//!
//! Pure, and the one place that knows how a feed's identity, title and document links follow
//! from the config; `assemble` decides which entries go where, `archive` which page holds them.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use url::Url;

use super::index::{FeedIndex, Listed};
use super::links::permalink;
use super::polling::Policy;
use super::{DocumentLink, Entry, Feed, History};
use crate::config::{Artwork, Config};
use crate::format::Format;
use crate::podcast::{Channel, Episode};
use crate::post::{Content, Post};

/// Who a feed is, shared by its subscription document and its archive pages.
pub(super) struct Identity<'a> {
    pub config: &'a Config,
    /// The folder of the feed's own documents: empty for the main feed, else the tag's.
    pub folder: &'a str,
    /// Whether it is a tag's feed.
    pub tagged: bool,
}

impl Identity<'_> {
    /// The documents, one per format, of the page in `folder` (the feed's, or an archive
    /// page's below it).
    pub fn documents(&self, folder: &str) -> Vec<DocumentLink> {
        let config = self.config;
        config
            .formats
            .iter()
            .map(|&format| {
                let path = format!("{folder}{}", config.paths.file(format));
                let url = config
                    .base_url
                    .join(&path)
                    .map_or_else(|_| format!("{}{path}", config.base_url), String::from);
                DocumentLink { format, path, url }
            })
            .collect()
    }

    /// The folder of the archive page named `label`.
    pub fn archive_folder(&self, label: &str) -> String {
        format!("{}{}{label}/", self.folder, self.config.archives.folder)
    }

    /// A document of this feed: `tag` is the tag as its page's newest post writes it.
    pub fn feed(
        &self,
        tag: Option<String>,
        documents: Vec<DocumentLink>,
        entries: Vec<Arc<Entry>>,
        history: History,
    ) -> Feed {
        let config = self.config;
        let updated = entries
            .iter()
            .map(|e| e.updated)
            .max()
            .unwrap_or_else(epoch);
        // Every page carries the feed's id: RFC 5005 pages are parts of one feed.
        let (id, title) = match (&tag, self.tagged) {
            (Some(name), true) => (
                format!(
                    "tag:{},2000:feed/{}",
                    config.id_authority,
                    self.folder.trim_end_matches('/')
                ),
                format!("{}: {name}", config.title),
            ),
            _ => (
                format!("tag:{},2000:feed", config.id_authority),
                config.title.clone(),
            ),
        };
        Feed {
            id,
            title,
            description: config.description.clone(),
            home_url: config.base_url.to_string(),
            language: config.language.clone(),
            author: config.author.clone(),
            tag: tag.filter(|_| self.tagged),
            updated,
            max_age: Policy::from_server(&config.server).max_age(history.is_archive()),
            documents,
            entries,
            history,
            hubs: config
                .websub
                .advertised(&config.base_url)
                .into_iter()
                .map(String::from)
                .collect(),
            podcast: self.podcast_channel(),
        }
    }

    /// The show as this feed's RSS channel names it; its `podcast:guid` is that of the feed's
    /// own address (every archive page carries its subscription document's).
    fn podcast_channel(&self) -> Option<Channel> {
        let config = self.config;
        let podcast = config.podcast.as_ref()?;
        let feed_url = self
            .documents(self.folder)
            .into_iter()
            .find(|d| d.format == Format::Rss)?
            .url;
        let image = podcast.image.as_ref().map(|artwork| match artwork {
            Artwork::Local(path) => published_url(&config.base_url, path),
            Artwork::Url(url) => url.to_string(),
        });
        Some(Channel {
            author: podcast.author.clone(),
            owner: podcast.owner.clone(),
            image,
            categories: podcast.categories.clone(),
            explicit: podcast.explicit,
            show_type: podcast.show_type,
            locked: podcast.locked,
            guid: crate::podcast::guid::of_feed_url(&feed_url),
        })
    }
}

/// The address of the file at `path` (below the source folder, `/`-separated) once published
/// below `base_url`, each segment percent-encoded.
pub(super) fn published_url(base_url: &Url, path: &str) -> String {
    let mut url = base_url.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(path.split('/'));
    }
    url.to_string()
}

/// The tag as the newest post on a page first writes it.
pub(super) fn tag_name(index: &FeedIndex, slug: &str, newest: Option<&std::path::Path>) -> String {
    newest
        .and_then(|path| index.listed.get(path))
        .and_then(|l| l.post.tags.iter().find(|t| slug::slugify(t) == slug))
        .cloned()
        .unwrap_or_else(|| slug.to_string())
}

/// The post's own page, which its relative URLs resolve against.
pub(super) fn page(config: &Config, post: &Post) -> Url {
    permalink(
        &config.base_url,
        &config.post_path,
        &post.slug,
        &post.date,
        config.timezone,
    )
}

pub(super) fn entry(config: &Config, listed: &Listed, content: Content) -> Entry {
    let post = &listed.post;
    let link = post
        .link
        .clone()
        .unwrap_or_else(|| page(config, post).to_string());
    Entry {
        id_is_link: *listed.id == *link,
        id: listed.id.to_string(),
        title: post.title.clone(),
        link,
        published: post.date,
        updated: post.updated.unwrap_or(post.date),
        authors: post.authors.clone(),
        summary: post.summary.clone().unwrap_or(content.excerpt),
        content_html: content.html,
        tags: post.tags.clone(),
        lang: post.lang.clone(),
        enclosures: Vec::new(),
        image: None,
        episode: config.podcast.as_ref().map(|_| Episode {
            keys: post.episode,
            ..Episode::default()
        }),
    }
}

fn epoch() -> DateTime<FixedOffset> {
    DateTime::<Utc>::UNIX_EPOCH.fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_file_has_each_segment_percent_encoded_below_base_url() {
        let base = Url::parse("https://example.org/show/").unwrap();
        assert_eq!(
            published_url(&base, "art/cover art#1.png"),
            "https://example.org/show/art/cover%20art%231.png"
        );
    }
}
