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
use crate::media::published_url;
use crate::podcast::{Channel, Episode, Transcript};
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
            icon: config.icon.as_ref().map(|src| src.url(&config.base_url)),
            logo: config.logo.as_ref().map(|src| src.url(&config.base_url)),
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
        tags: post.tags.clone(),
        lang: post.lang.clone(),
        episode: config.podcast.as_ref().map(|_| episode(config, post)),
        enclosures: (post.probed.media.iter())
            .map(|attachment| attachment.enclosure(&config.base_url))
            .collect(),
        image: match &post.probed.image {
            Some(image) => Some(image.url(&config.base_url)),
            None => first_image(&content.html),
        },
        content_html: content.html,
    }
}

/// The `src` of the first `<img>` in `html` (whose URLs are already absolute), when it is an
/// http(s) URL: the entry's image when front matter names none.
fn first_image(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(at) = find_ascii_ci(rest, "<img") {
        rest = &rest[at + 4..];
        if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        let Some(src) = attribute(tag, "src") else {
            continue;
        };
        let src = decode_entities(src);
        return (src.starts_with("https://") || src.starts_with("http://")).then_some(src);
    }
    None
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The value of `name` in the inside of a start tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(at) = find_ascii_ci(rest, name) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + name.len()..].trim_start();
        rest = &rest[at + name.len()..];
        if !before.is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(value) = after.strip_prefix('=').map(str::trim_start) else {
            continue;
        };
        return Some(match value.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let value = &value[1..];
                &value[..value.find(quote).unwrap_or(value.len())]
            }
            _ => {
                &value[..value
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .unwrap_or(value.len())]
            }
        });
    }
    None
}

/// The few entities an attribute written by the Markdown renderer or an author holds.
fn decode_entities(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// What the post says as an episode of the site's podcast.
fn episode(config: &Config, post: &Post) -> Episode {
    let url = |file: &crate::media::MediaFile| published_url(&config.base_url, &file.path);
    let files = &post.episode_files;
    Episode {
        keys: post.episode,
        transcripts: (files.transcripts.iter())
            .map(|file| Transcript {
                url: url(file),
                mime: file.mime.clone(),
            })
            .collect(),
        chapters: files.chapters.as_ref().map(url),
    }
}

fn epoch() -> DateTime<FixedOffset> {
    DateTime::<Utc>::UNIX_EPOCH.fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::first_image;

    #[test]
    fn the_first_image_of_the_content_is_the_default() {
        let cases = [
            (
                "<p>x</p><img src=\"https://e.org/a.png\" alt=\"a\" /><img src=\"https://e.org/b.png\">",
                Some("https://e.org/a.png"),
            ),
            (
                "<IMG alt='x' SRC='https://e.org/a.png?x=1&amp;y=2'>",
                Some("https://e.org/a.png?x=1&y=2"),
            ),
            (
                "<img data-src=\"https://e.org/no.png\" src=https://e.org/yes.png>",
                Some("https://e.org/yes.png"),
            ),
            (
                "<imgx src=\"https://e.org/no.png\"><img src=\"data:image/png;base64,AA\">",
                None,
            ),
            ("<p>no image</p>", None),
            ("<img", None),
        ];
        for (html, want) in cases {
            assert_eq!(first_image(html).as_deref(), want, "{html}");
        }
    }
}
