//! Index → feeds: the two pure steps around content rendering. [`Assembler::select`] says
//! which posts each changed feed's pages show (the subscription document's and those of the
//! archive pages that changed, see `archive`) and which of them still need their body rendered;
//! the caller renders exactly those (I/O); [`Assembler::assemble`] makes the entries and pages.
//! Entries are kept per post version, so a page is rebuilt from cached entries and only a
//! changed post is rendered again.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use url::Url;

use super::archive::{Page, PageKey, Plan};
use super::index::{FeedIndex, FeedKey, Listed, Rank, SharedPath};
use super::make::{self, Identity, tag_name};
use super::period::Period;
use super::{Entry, Feed, History};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::ledger::IdLedger;
use crate::post::{Content, Post};

/// The feed model of a whole site, with what kept some posts out of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// The main feed first, then one feed per tag, ordered by the tag's path.
    pub feeds: Vec<Feed>,
    /// Each feed's archive pages, newest first, in the order of `feeds`.
    pub archives: Vec<Vec<Feed>>,
    /// Duplicate ids; the posts involved (all but the first by path) are left out.
    pub diagnostics: Vec<Diagnostic>,
    /// How many posts are published (not drafts, not scheduled, not duplicates).
    pub published: usize,
    /// When the earliest scheduled post comes due; the daemon rebuilds then.
    pub next_due: Option<DateTime<Utc>>,
    /// The ids published by this build, to resolve the next one against.
    pub ledger: IdLedger,
}

/// Gives a post's body as HTML with every relative URL resolved against the given page (see
/// [`absolutize_html`](super::absolutize_html)).
pub type ContentFn<'a> = dyn Fn(&Post, &Url) -> Content + 'a;

/// Builds the site's feeds from every parsed post in one go: the index from scratch, then the
/// three steps with `content` as the rendering step. `now` only decides which scheduled posts
/// are due; nothing in the output depends on it otherwise.
pub fn build(
    config: &Config,
    posts: &[Arc<Post>],
    ledger: &IdLedger,
    content: &ContentFn<'_>,
    now: DateTime<Utc>,
) -> Built {
    let mut index = FeedIndex::new(ledger.clone());
    let changes = posts.iter().map(|p| (p.path.clone(), Some(p.clone())));
    index.apply(config, changes.collect(), now);
    let mut assembler = Assembler::default();
    let selection = assembler.select(config, &mut index);
    let rendered = selection
        .to_render
        .iter()
        .map(|(post, page)| (post.path.clone(), content(post, page)))
        .collect();
    assembler.assemble(config, &index, selection, rendered);
    Built {
        feeds: assembler.feeds().cloned().collect(),
        archives: assembler
            .feeds
            .keys()
            .map(|key| assembler.archives(key).cloned().collect())
            .collect(),
        diagnostics: index.diagnostics(),
        published: index.published(),
        next_due: index.next_due(),
        ledger: index.ledger().clone(),
    }
}

/// The posts the changed feeds' pages show, and the bodies still to render for them.
#[derive(Debug, Default)]
pub struct Selection {
    /// Each changed feed's pages, and which of its archive pages to make again.
    plans: Vec<Plan>,
    /// Posts shown on a changed page whose entry is not made yet, with the page their relative
    /// URLs resolve against.
    pub to_render: Vec<(Arc<Post>, Url)>,
}

/// A made entry, valid while the post is the same version with the same id.
#[derive(Debug)]
struct Made {
    post: Arc<Post>,
    id: Arc<str>,
    entry: Arc<Entry>,
}

/// The feeds as last assembled, and the entries they are made of.
#[derive(Debug, Default)]
pub struct Assembler {
    /// Each feed's subscription document.
    feeds: BTreeMap<FeedKey, Feed>,
    /// Each feed's archive pages by period; no entry for a feed without any.
    archives: BTreeMap<FeedKey, BTreeMap<Period, Feed>>,
    entries: HashMap<PathBuf, Made>,
}

impl Assembler {
    /// The body and summary the post at `path` was last shown with, if it was shown.
    pub fn content_of(&self, path: &Path) -> Option<Content> {
        self.entries.get(path).map(|made| Content {
            html: made.entry.content_html.clone(),
            excerpt: made.entry.summary.clone(),
        })
    }

    /// The feeds' subscription documents in document order: the main feed first, then the
    /// tags' by slug.
    pub fn feeds(&self) -> impl Iterator<Item = &Feed> {
        self.feeds.values()
    }

    /// The subscription document of `key`, when it has one.
    pub fn feed(&self, key: &FeedKey) -> Option<&Feed> {
        self.feeds.get(key)
    }

    /// The archive pages of `key`'s feed, newest first (an index page lists them as "all posts").
    pub fn archives(&self, key: &FeedKey) -> impl Iterator<Item = &Feed> {
        self.archives
            .get(key)
            .into_iter()
            .flat_map(|p| p.values().rev())
    }

    /// One page of one feed, when it exists.
    pub fn page(&self, (key, page): &PageKey) -> Option<&Feed> {
        match page {
            Page::Current => self.feeds.get(key),
            Page::Archive(period) => self.archives.get(key)?.get(period),
        }
    }

    /// Which posts the pages of the feeds touched since the last selection show. Pure.
    pub fn select(&self, config: &Config, index: &mut FeedIndex) -> Selection {
        let mut touched = std::mem::take(&mut index.published.touched);
        if !self.feeds.contains_key(&None) {
            // The main feed exists even while nothing is published.
            touched.entry(None).or_default();
        }
        let mut selection = Selection::default();
        let mut seen = HashSet::new();
        let nothing = BTreeMap::new();
        for (key, dates) in touched {
            if key.is_some() && config.paths.tags.is_none() {
                continue;
            }
            let ranked: &BTreeMap<Rank, SharedPath> = match &key {
                None => &index.published.main,
                Some(slug) => index.published.tags.get(slug).unwrap_or(&nothing),
            };
            let before: Vec<Period> = self
                .archives
                .get(&key)
                .map(|pages| pages.keys().rev().copied().collect())
                .unwrap_or_default();
            let plan = Plan::new(config, key, ranked, &before, &dates);
            let shown = plan.layout.current.iter();
            for path in shown.chain(plan.remake.iter().flat_map(|(_, paths)| paths)) {
                let Some(listed) = index.listed.get(path) else {
                    continue;
                };
                if !self.is_made(path, listed) && seen.insert(path.clone()) {
                    let page = make::page(config, &listed.post);
                    selection.to_render.push((listed.post.clone(), page));
                }
            }
            selection.plans.push(plan);
        }
        selection
    }

    fn is_made(&self, path: &Path, listed: &Listed) -> bool {
        self.entries
            .get(path)
            .is_some_and(|m| Arc::ptr_eq(&m.post, &listed.post) && m.id == listed.id)
    }

    /// Makes the selected pages from cached entries and the `rendered` bodies (by path);
    /// returns the pages that differ from before, or are gone (a feed with no entries left is
    /// removed, and so are pages no post falls on any more).
    pub fn assemble(
        &mut self,
        config: &Config,
        index: &FeedIndex,
        selection: Selection,
        mut rendered: HashMap<PathBuf, Content>,
    ) -> Vec<PageKey> {
        for (post, _) in &selection.to_render {
            let Some(listed) = index.listed.get(post.path.as_path()) else {
                continue;
            };
            let content = rendered.remove(&post.path).unwrap_or_default();
            let entry = Arc::new(make::entry(config, listed, content));
            let made = Made {
                post: listed.post.clone(),
                id: Arc::clone(&listed.id),
                entry,
            };
            self.entries.insert(post.path.clone(), made);
        }
        let mut changed = Vec::new();
        for plan in selection.plans {
            self.assemble_feed(config, index, plan, &mut changed);
        }
        self.forget_unused_entries();
        changed
    }

    /// Makes one feed's subscription document and the archive pages its plan names, drops the
    /// pages it no longer has, and records in `changed` every page that differs.
    fn assemble_feed(
        &mut self,
        config: &Config,
        index: &FeedIndex,
        plan: Plan,
        changed: &mut Vec<PageKey>,
    ) {
        let Plan {
            key,
            layout,
            remake,
        } = plan;
        let Some(folder) = feed_folder(config, &key) else {
            return;
        };
        let current = entries_of(&self.entries, &layout.current);
        if key.is_some() && current.is_empty() {
            if self.feeds.remove(&key).is_some() {
                changed.push((key.clone(), Page::Current));
            }
            let gone = self.archives.remove(&key).unwrap_or_default();
            changed.extend(gone.into_keys().map(|p| (key.clone(), Page::Archive(p))));
            return;
        }
        let identity = Identity {
            config,
            folder: &folder,
            tagged: key.is_some(),
        };
        let pages = Pages {
            documents: identity.documents(&folder),
            identity,
            index,
            key: &key,
            periods: layout.periods(),
        };
        let history = match pages.periods.first() {
            _ if !layout.paged => History::Unpaged,
            None => History::Complete,
            Some(newest) => History::Subscription {
                prev_archive: pages.links(newest),
            },
        };
        let tag = pages.tag(&layout.current);
        let feed = pages
            .identity
            .feed(tag, pages.documents.clone(), current, history);
        if self.feeds.get(&key) != Some(&feed) {
            self.feeds.insert(key.clone(), feed);
            changed.push((key.clone(), Page::Current));
        }
        self.assemble_archives(&pages, remake, changed);
    }

    /// Makes the archive pages in `remake` and drops those `pages` no longer has.
    fn assemble_archives(
        &mut self,
        pages: &Pages<'_>,
        remake: Vec<(Period, Vec<SharedPath>)>,
        changed: &mut Vec<PageKey>,
    ) {
        let key = pages.key;
        let made = self.archives.entry(key.clone()).or_default();
        let kept: BTreeSet<Period> = pages.periods.iter().copied().collect();
        made.retain(|period, _| {
            let keep = kept.contains(period);
            if !keep {
                changed.push((key.clone(), Page::Archive(*period)));
            }
            keep
        });
        for (period, paths) in remake {
            let entries = entries_of(&self.entries, &paths);
            let page = pages.identity.feed(
                pages.tag(&paths),
                pages.links(&period),
                entries,
                pages.archive_history(period),
            );
            if made.get(&period) != Some(&page) {
                made.insert(period, page);
                changed.push((key.clone(), Page::Archive(period)));
            }
        }
        if made.is_empty() {
            self.archives.remove(key);
        }
    }

    /// Drops entries no page shows any more, once they outnumber the shown ones; so memory
    /// follows the pages, not every post ever shown.
    fn forget_unused_entries(&mut self) {
        let pages = || {
            let archived = self.archives.values().flat_map(BTreeMap::values);
            self.feeds.values().chain(archived)
        };
        let shown: usize = pages().map(|f| f.entries.len()).sum();
        if self.entries.len() <= 2 * shown + 1024 {
            return;
        }
        let keep: HashSet<*const Entry> = pages()
            .flat_map(|f| f.entries.iter().map(Arc::as_ptr))
            .collect();
        self.entries
            .retain(|_, m| keep.contains(&Arc::as_ptr(&m.entry)));
    }
}

/// What every page of one feed shares while it is assembled.
struct Pages<'a> {
    identity: Identity<'a>,
    index: &'a FeedIndex,
    key: &'a FeedKey,
    /// The subscription document's links, one per format.
    documents: Vec<super::DocumentLink>,
    /// The archive pages' periods, newest first.
    periods: Vec<Period>,
}

impl Pages<'_> {
    /// The documents of `period`'s archive page.
    fn links(&self, period: &Period) -> Vec<super::DocumentLink> {
        let folder = self.identity.archive_folder(&period.label());
        self.identity.documents(&folder)
    }

    /// The tag as the newest of `paths` writes it, for a tag's feed.
    fn tag(&self, paths: &[SharedPath]) -> Option<String> {
        let newest = paths.first().map(AsRef::as_ref);
        self.key
            .as_deref()
            .map(|slug| tag_name(self.index, slug, newest))
    }

    /// `period`'s page links: the subscription document, and the pages just before and after.
    fn archive_history(&self, period: Period) -> History {
        let at = self.periods.iter().position(|p| *p == period);
        let older = at.and_then(|i| self.periods.get(i + 1));
        let newer = at.and_then(|i| i.checked_sub(1)).map(|i| &self.periods[i]);
        History::Archive {
            current: self.documents.clone(),
            prev_archive: older.map(|p| self.links(p)).unwrap_or_default(),
            next_archive: newer.map(|p| self.links(p)).unwrap_or_default(),
        }
    }
}

/// The folder of `key`'s documents; `None` for a tag while tag feeds are off.
fn feed_folder(config: &Config, key: &FeedKey) -> Option<String> {
    match key {
        None => Some(String::new()),
        Some(slug) => Some(config.paths.tags.as_deref()?.replace("{tag}", slug)),
    }
}

/// The made entries of `paths`, in their order.
fn entries_of(entries: &HashMap<PathBuf, Made>, paths: &[SharedPath]) -> Vec<Arc<Entry>> {
    paths
        .iter()
        .filter_map(|p| entries.get(p.as_ref()).map(|m| m.entry.clone()))
        .collect()
}

#[cfg(test)]
#[path = "assemble_tests.rs"]
mod tests;
