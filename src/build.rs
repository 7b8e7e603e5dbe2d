//! The pipeline both drivers share, opened once and run after every change: changed posts →
//! feed index (ids, order) → selection (pure) → bodies rendered (I/O) → feeds assembled (pure)
//! → documents rendered for the feeds that changed, and the pages that show them.
//!
//! `once` runs it a single time over every post; `daemon` keeps it and runs it with the files
//! each batch changed, so an edit costs in proportion to the edit, not to the site. Neither
//! knows how posts become bytes; this module does not know where the bytes go.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use url::Url;

use crate::config::{Config, INDEX_PATH};
use crate::diagnostic::Diagnostic;
use crate::feed::{
    Assembler, Feed, FeedIndex, FeedKey, History, Page, PageKey, absolutize_html, link_for,
};
use crate::format::Format;
use crate::ledger::IdLedger;
use crate::media::{MediaFile, Src, published_url};
use crate::post::{Content, ParseOptions, Post};
use crate::post_cache::PostCache;
use crate::render::html::{self, Index};
use crate::render::{Document, Renderer};

/// Every document of the site, and everything that went wrong on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// The feeds, and the index page when `[html] index` is on.
    pub documents: Vec<Document>,
    /// Each feed document as a page for browsers, at the feed's path (only served, never
    /// written: a static host cannot choose between the two).
    pub views: Vec<Document>,
    /// Sorted by path and line, so reports are stable.
    pub diagnostics: Vec<Diagnostic>,
    /// Posts in the main feed's pool (published, not drafts or scheduled).
    pub published: usize,
    /// When the earliest scheduled post comes due.
    pub next_due: Option<DateTime<Utc>>,
    /// What this run had to do, which follows the change, not the size of the site.
    pub work: Work,
    /// Every local media file a document links to, sorted by path: published beside the
    /// documents, and only these.
    pub media: Vec<MediaFile>,
}

/// How much one run of the pipeline did, for the rebuild log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// Posts whose ids were resolved and places in the feeds updated.
    pub indexed: usize,
    /// Post bodies read and rendered.
    pub bodies: usize,
    /// Pages (subscription documents and archive pages) whose documents were rendered.
    pub feeds: usize,
}

impl std::fmt::Display for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::wording::count;
        let bodies = if self.bodies == 1 { "body" } else { "bodies" };
        write!(
            f,
            "{} indexed, {} {bodies} and {} rendered",
            count(self.indexed, "post"),
            self.bodies,
            count(self.feeds, "feed"),
        )
    }
}

/// What posts are parsed with under `config`.
pub fn parse_options(config: &Config) -> ParseOptions {
    ParseOptions {
        timezone: config.timezone,
    }
}

/// The pipeline's state between runs: the index, the assembled feeds and the documents of each
/// of their pages (subscription documents and archive pages).
#[derive(Debug)]
pub struct Pipeline {
    index: FeedIndex,
    assembler: Assembler,
    renderer: Renderer,
    documents: BTreeMap<PageKey, Vec<Document>>,
    /// Whether each feed's documents are also rendered as pages (a server's pipeline).
    feed_pages: bool,
    views: BTreeMap<FeedKey, Vec<Document>>,
    index_page: Option<Document>,
    /// The assembler before [`Pipeline::reopen`], until the next run: what a post whose file
    /// cannot be read any more was last shown with.
    before_reopen: Option<Assembler>,
}

impl Pipeline {
    /// A pipeline that has seen no post yet; ids are resolved against `ledger`.
    pub fn open(ledger: IdLedger) -> Pipeline {
        Pipeline {
            index: FeedIndex::new(ledger),
            assembler: Assembler::default(),
            renderer: Renderer::default(),
            documents: BTreeMap::new(),
            feed_pages: false,
            views: BTreeMap::new(),
            index_page: None,
            before_reopen: None,
        }
    }

    /// Also renders each feed document as a page for browsers, when `[html] feed_pages` is on;
    /// for a pipeline whose documents are served, where a browser can be told from a reader.
    pub fn with_feed_pages(mut self) -> Pipeline {
        self.feed_pages = true;
        self
    }

    /// Starts again from nothing but the ids, for a run over every post (after a rescan or a
    /// config change, which may change every entry).
    pub fn reopen(&mut self) {
        let index = std::mem::replace(&mut self.index, FeedIndex::new(IdLedger::default()));
        let before = std::mem::take(&mut self.assembler);
        let feed_pages = self.feed_pages;
        *self = Pipeline::open(index.into_ledger());
        self.feed_pages = feed_pages;
        self.before_reopen = Some(before);
    }

    /// Runs over every post in `cache`. `now` only decides which scheduled posts are due.
    pub fn run_all(&mut self, config: &Config, cache: &PostCache, now: DateTime<Utc>) -> Build {
        let changes = cache
            .posts()
            .into_iter()
            .map(|post| (post.path.clone(), Some(post)))
            .collect();
        self.run(config, cache, changes, now)
    }

    /// Runs over the posts of the files in `changed` (as `cache` now has them); with none, it
    /// only publishes the scheduled posts due at `now`.
    pub fn run_changed(
        &mut self,
        config: &Config,
        cache: &PostCache,
        changed: &[PathBuf],
        now: DateTime<Utc>,
    ) -> Build {
        let changes = changed
            .iter()
            .map(|path| (path.clone(), cache.post(path)))
            .collect();
        self.run(config, cache, changes, now)
    }

    fn run(
        &mut self,
        config: &Config,
        cache: &PostCache,
        changes: Vec<(PathBuf, Option<Arc<Post>>)>,
        now: DateTime<Utc>,
    ) -> Build {
        let indexed = self.index.apply(config, changes, now);
        let selection = self.assembler.select(config, &mut self.index);
        let bodies = selection.to_render.len();
        let before = self.before_reopen.take();
        let shown_before =
            |path: &Path| (before.as_ref().unwrap_or(&self.assembler)).content_of(path);
        let (rendered, unrendered) = render_bodies(cache, &selection.to_render, shown_before);
        let changed = self
            .assembler
            .assemble(config, &self.index, selection, rendered);
        self.render_documents(&changed, self.feed_pages && config.html.feed_pages);
        let feeds_changed = changed.iter().any(|(_, page)| *page == Page::Current);
        self.render_index(config, feeds_changed);
        let mut diagnostics = cache.diagnostics();
        // A file that cannot be read again is usually reported by the cache already.
        let known: std::collections::HashSet<PathBuf> =
            diagnostics.iter().map(|d| d.path.clone()).collect();
        diagnostics.extend(unrendered.into_iter().filter(|d| !known.contains(&d.path)));
        diagnostics.extend(self.index.diagnostics());
        let media = self.published_media(config, cache, &mut diagnostics);
        diagnostics.sort();
        Build {
            documents: (self.documents.values().flatten())
                .chain(&self.index_page)
                .cloned()
                .collect(),
            views: self.views.values().flatten().cloned().collect(),
            diagnostics,
            published: self.index.published(),
            next_due: self.index.next_due(),
            work: Work {
                indexed,
                bodies,
                feeds: changed.len(),
            },
            media,
        }
    }

    /// Every local file the documents link to (entries' enclosures and images, the feed's
    /// `icon` and `logo`), by path. A file whose path is also a document's is refused.
    fn published_media(
        &self,
        config: &Config,
        cache: &PostCache,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<MediaFile> {
        let mut media: BTreeMap<String, MediaFile> = BTreeMap::new();
        for (key, src) in [("icon", &config.icon), ("logo", &config.logo)] {
            if let Some(Src::Local(path)) = src {
                match cache.site_file(key, path) {
                    Ok(file) => drop(media.insert(file.path.clone(), file)),
                    Err(problem) => diagnostics.push(problem),
                }
            }
        }
        if let Some(file) = podcast_artwork(config, cache, diagnostics) {
            media.insert(file.path.clone(), file);
        }
        let candidates: HashMap<String, &MediaFile> = (cache.posts_with_media())
            .flat_map(|post| post.probed.files().chain(post.episode_files.files()))
            .map(|file| (published_url(&config.base_url, &file.path), file))
            .collect();
        if !candidates.is_empty() {
            let pages = self
                .documents
                .keys()
                .filter_map(|key| self.assembler.page(key));
            for entry in pages.flat_map(|feed| &feed.entries) {
                let urls = (entry.enclosures.iter().map(|e| &e.url))
                    .chain(&entry.image)
                    .chain(entry.episode.iter().flat_map(|e| e.urls()));
                for file in urls.filter_map(|url| candidates.get(url)) {
                    media
                        .entry(file.path.clone())
                        .or_insert_with(|| (*file).clone());
                }
            }
        }
        let documents = (self.documents.values().flatten()).chain(&self.index_page);
        for document in documents {
            if let Some(file) = media.remove(&document.path) {
                diagnostics.push(Diagnostic::for_file(
                    &file.source,
                    format!(
                        "media at `{}` would replace the document published there: rename or move the file",
                        file.path
                    ),
                ));
            }
        }
        media.into_values().collect()
    }

    /// Renders the documents of the pages that changed, and with `pages` a page for people of
    /// each changed subscription document too; the others keep theirs. A page that is gone takes
    /// its documents with it.
    fn render_documents(&mut self, changed: &[PageKey], pages: bool) {
        let (present, gone): (Vec<&PageKey>, Vec<&PageKey>) = changed
            .iter()
            .partition(|key| self.assembler.page(key).is_some());
        let feeds: Vec<&Feed> = present
            .iter()
            .filter_map(|key| self.assembler.page(key))
            .collect();
        let (rendered, views) = rayon::join(
            || self.renderer.render(&feeds),
            || {
                present
                    .par_iter()
                    .zip(feeds.par_iter())
                    .map(|((_, page), feed)| match page {
                        Page::Current if pages => html::render_feed_pages(feed),
                        _ => Vec::new(),
                    })
                    .collect::<Vec<_>>()
            },
        );
        for ((key, documents), views) in present.into_iter().zip(rendered).zip(views) {
            if key.1 == Page::Current {
                self.views.insert(key.0.clone(), views);
            }
            if let Some(old) = self.documents.insert(key.clone(), documents) {
                let kept = &self.documents[key];
                let dropped = old.iter().filter(|d| kept.iter().all(|k| k.path != d.path));
                self.renderer.forget(dropped.map(|d| d.path.as_str()));
            }
        }
        for key in gone {
            if key.1 == Page::Current {
                self.views.remove(&key.0);
            }
            if let Some(old) = self.documents.remove(key) {
                self.renderer.forget(old.iter().map(|d| d.path.as_str()));
            }
        }
    }

    /// Renders the index page again when a subscription document changed (it lists them all),
    /// or drops it when `[html] index` is off. Archive pages are not on it, except the newest,
    /// which only changes along with the main feed's subscription document.
    fn render_index(&mut self, config: &Config, feeds_changed: bool) {
        if !config.html.index {
            self.index_page = None;
        } else if feeds_changed || self.index_page.is_none() {
            let index = Index {
                path: INDEX_PATH,
                feeds: self.assembler.feeds().collect(),
                all_posts: self.assembler.feed(&None).and_then(newest_archive_page),
            };
            self.index_page = Some(html::render_index(&index));
        }
    }

    /// The feeds as last assembled: subscription documents and archive pages.
    pub fn assembler(&self) -> &Assembler {
        &self.assembler
    }

    /// The ids in force, as the lock file should record them.
    pub fn ledger(&self) -> &IdLedger {
        self.index.ledger()
    }

    /// Whether the ids changed since this was last asked (see [`FeedIndex::take_ledger_change`]).
    pub fn take_ledger_change(&mut self) -> bool {
        self.index.take_ledger_change()
    }

    /// Marks the ids as changed again, after the lock file could not be written.
    pub fn keep_ledger_change(&mut self) {
        self.index.keep_ledger_change();
    }
}

/// The step that reads: each selected post's body as HTML with its URLs resolved against its
/// page, and its first paragraph. A post that cannot be read or rendered any more keeps what it
/// was last shown with (`shown_before`), else shows only its title and summary; the failure is
/// a problem of this build either way.
fn render_bodies(
    cache: &PostCache,
    to_render: &[(Arc<Post>, Url)],
    shown_before: impl Fn(&Path) -> Option<Content> + Sync,
) -> (HashMap<PathBuf, Content>, Vec<Diagnostic>) {
    let results: Vec<(PathBuf, Content, Option<Diagnostic>)> = to_render
        .par_iter()
        .map(|(post, page)| {
            let (content, problem) = match cache.content(post) {
                Ok(content) => {
                    let html = absolutize_html(&content.html, page);
                    (Content { html, ..content }, None)
                }
                Err(problem) => {
                    let kept = shown_before(&post.path).unwrap_or_else(|| summary_only(post));
                    (kept, Some(problem))
                }
            };
            (post.path.clone(), content, problem)
        })
        .collect();
    let mut diagnostics = Vec::new();
    let mut rendered = HashMap::with_capacity(results.len());
    for (path, content, problem) in results {
        diagnostics.extend(problem);
        rendered.insert(path, content);
    }
    (rendered, diagnostics)
}

/// Where the main feed's history can be read from its newest end: its newest archive page,
/// in Atom when that is built.
fn newest_archive_page(main: &Feed) -> Option<&str> {
    let History::Subscription { prev_archive } = &main.history else {
        return None;
    };
    link_for(prev_archive, Format::Atom)
        .or(prev_archive.first())
        .map(|l| l.url.as_str())
}

/// The body of a post whose file cannot be read again: its summary, when the author wrote one.
fn summary_only(post: &Post) -> Content {
    let Some(summary) = &post.summary else {
        return Content::default();
    };
    let mut html = String::from("<p>");
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut html, summary);
    html.push_str("</p>\n");
    Content {
        html,
        excerpt: summary.clone(),
    }
}

/// `[podcast] image`, when it is a file of the source folder: published like `logo`.
fn podcast_artwork(
    config: &Config,
    cache: &PostCache,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<MediaFile> {
    let podcast = config.podcast.as_ref()?;
    let Some(crate::config::Artwork::Local(path)) = &podcast.image else {
        return None;
    };
    cache
        .site_file("podcast.image", path)
        .map_err(|problem| diagnostics.push(problem))
        .ok()
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
