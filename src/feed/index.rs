//! Which posts are published, in which order, under which ids: kept between rebuilds, so one
//! edit costs a few ordered-set updates instead of a pass over the whole site.
//!
//! The index holds each listed (non-draft) post with its resolved id, the due posts per id (the
//! first by path wins, the others are duplicates), the published posts in feed order (newest
//! first, ties by id) for the main feed and for each tag, the scheduled posts by due time, and
//! the id ledger. [`FeedIndex::apply`] takes the posts of changed files only: their old entries
//! leave every set, their ledger records are freed, and rename matching runs for the new
//! versions against those freed records alone (plus the records nobody claims yet and those of
//! posts with an explicit id, which stay matchable as in a full resolution). A from-scratch build
//! is the same call with every post. Pure: no files, no clock; entries are made in `select`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};

use super::ids::minted_id;
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::ledger::{Claim, IdLedger};
use crate::post::Post;

/// A published post's place in a feed: newest first, ties broken by id.
pub(super) type Rank = (Reverse<DateTime<FixedOffset>>, Arc<str>);

/// A post's file, shared by every set that names it: the index holds each path once, not once
/// per feed, so its memory follows the number of posts and not posts × tags.
pub(super) type SharedPath = Arc<Path>;

/// Which feed: `None` for the main one, else a tag's slug.
pub type FeedKey = Option<String>;

/// One listed (non-draft) post.
#[derive(Debug)]
pub(super) struct Listed {
    pub post: Arc<Post>,
    pub key: String,
    pub id: Arc<str>,
    /// The distinct non-empty slugs of its tags, each slugified once.
    pub slugs: Vec<String>,
    pub due: bool,
}

impl Listed {
    fn rank(&self) -> Rank {
        (Reverse(self.post.date), self.id.clone())
    }
}

/// The published posts in feed order, and which feeds gained or lost one since last asked, with
/// the dates of the posts that came or went (they say which archive pages changed).
#[derive(Debug, Default)]
pub(super) struct Published {
    pub main: BTreeMap<Rank, SharedPath>,
    pub tags: BTreeMap<String, BTreeMap<Rank, SharedPath>>,
    pub touched: BTreeMap<FeedKey, Vec<DateTime<FixedOffset>>>,
}

impl Published {
    fn insert(&mut self, path: &SharedPath, listed: &Listed) {
        self.main.insert(listed.rank(), Arc::clone(path));
        self.touch(None, listed);
        for slug in &listed.slugs {
            let tag = self.tags.entry(slug.clone()).or_default();
            tag.insert(listed.rank(), Arc::clone(path));
            self.touch(Some(slug.clone()), listed);
        }
    }

    fn touch(&mut self, key: FeedKey, listed: &Listed) {
        self.touched.entry(key).or_default().push(listed.post.date);
    }

    fn remove(&mut self, listed: &Listed) {
        let rank = listed.rank();
        self.main.remove(&rank);
        self.touch(None, listed);
        for slug in &listed.slugs {
            if let Some(tag) = self.tags.get_mut(slug) {
                tag.remove(&rank);
                if tag.is_empty() {
                    self.tags.remove(slug);
                }
            }
            self.touch(Some(slug.clone()), listed);
        }
    }
}

/// The site's posts as the feeds see them, kept between rebuilds.
#[derive(Debug)]
pub struct FeedIndex {
    /// The ids of every listed post, as the lock file records them.
    ledger: IdLedger,
    /// Records no post has claimed yet (the lock file as read at start); matched once, then gone.
    loose: IdLedger,
    /// Keys of listed posts with a front matter `id`: their records stay open to matching.
    explicit: BTreeSet<String>,
    pub(super) listed: HashMap<SharedPath, Listed>,
    scheduled: BTreeSet<(DateTime<Utc>, SharedPath)>,
    /// Due posts per id, sorted; the first path is published, the others are duplicates. Nearly
    /// always one path, so a sorted `Vec` rather than a set that allocates a node for it.
    by_id: HashMap<Arc<str>, Vec<SharedPath>>,
    /// Ids with more than one due post.
    duplicated: BTreeSet<Arc<str>>,
    pub(super) published: Published,
    /// Whether the ledger changed since [`FeedIndex::take_ledger_change`] was last asked.
    ledger_changed: bool,
}

impl FeedIndex {
    /// An empty index whose first [`FeedIndex::apply`] resolves ids against `ledger`.
    pub fn new(ledger: IdLedger) -> FeedIndex {
        FeedIndex {
            ledger: IdLedger {
                version: IdLedger::VERSION,
                posts: imbl::OrdMap::new(),
            },
            loose: ledger,
            explicit: BTreeSet::new(),
            listed: HashMap::new(),
            scheduled: BTreeSet::new(),
            by_id: HashMap::new(),
            duplicated: BTreeSet::new(),
            published: Published::default(),
            ledger_changed: true,
        }
    }

    /// Replaces the posts of the given files (`None`: the file holds no post any more) and
    /// publishes the scheduled posts that are due at `now`. Returns how many posts it indexed
    /// (files whose post really changed).
    pub fn apply(
        &mut self,
        config: &Config,
        changes: Vec<(PathBuf, Option<Arc<Post>>)>,
        now: DateTime<Utc>,
    ) -> usize {
        let mut indexed = 0;
        let mut freed = std::mem::take(&mut self.loose);
        let mut fresh: Vec<Arc<Post>> = Vec::new();
        // A file named twice counts with its last post.
        let changes: HashMap<PathBuf, Option<Arc<Post>>> = changes.into_iter().collect();
        for (path, post) in changes {
            let same = match (self.listed.get(path.as_path()), &post) {
                (Some(listed), Some(post)) => Arc::ptr_eq(&listed.post, post),
                (None, None) => true,
                _ => false,
            };
            if same {
                continue;
            }
            indexed += 1;
            if let Some(old) = self.unlist(&path) {
                if let Some(record) = self.ledger.posts.remove(&old.key) {
                    freed.posts.insert(old.key, record);
                }
            }
            fresh.extend(post.filter(|p| !p.draft));
        }
        sort_by_path(&mut fresh);
        let ids = self.resolve(config, &fresh, freed);
        for (post, id) in fresh.into_iter().zip(ids) {
            self.list(config, post, id, now);
        }
        self.advance(now);
        indexed
    }

    /// Resolves the ids of `fresh` against the freed records and those still open to matching,
    /// and records them in the ledger.
    fn resolve(&mut self, config: &Config, fresh: &[Arc<Post>], freed: IdLedger) -> Vec<String> {
        if fresh.is_empty() && freed.posts.is_empty() {
            return Vec::new();
        }
        let claims: Vec<Claim<'_>> = fresh.iter().map(|p| claim(config, p)).collect();
        if self.ledger.posts.is_empty() {
            // A build from scratch: no record in force to keep open for matching or to merge
            // with, so the freed records are the whole pool and the result is the whole ledger.
            let (ids, next) = freed.resolve(&claims);
            self.ledger_changed |= next.posts != freed.posts;
            self.ledger.posts = next.posts;
            return ids;
        }
        let mut pool = freed.clone();
        for key in &self.explicit {
            if let Some(record) = self.ledger.posts.get(key) {
                pool.posts.insert(key.clone(), record.clone());
            }
        }
        let (ids, next) = pool.resolve(&claims);
        let mut changed = false;
        for (key, record) in next.posts {
            changed |= freed.posts.get(&key) != Some(&record);
            self.ledger.posts.insert(key, record);
        }
        changed |= freed
            .posts
            .keys()
            .any(|key| !self.ledger.posts.contains_key(key));
        self.ledger_changed |= changed;
        ids
    }

    /// Adds a post whose id is resolved: scheduled when its date is after `now`, else due.
    fn list(&mut self, config: &Config, post: Arc<Post>, id: String, now: DateTime<Utc>) {
        let id: Arc<str> = Arc::from(id);
        let key = ledger_key(&config.source_dir, &post.path);
        if post.id.is_some() {
            self.explicit.insert(key.clone());
        }
        let mut slugs: Vec<String> = Vec::new();
        for tag in &post.tags {
            let slug = slug::slugify(tag);
            if !slug.is_empty() && !slugs.contains(&slug) {
                slugs.push(slug);
            }
        }
        let path: SharedPath = Arc::from(post.path.as_path());
        let date = post.date.with_timezone(&Utc);
        let due = date <= now;
        let listed = Listed {
            post,
            key,
            id,
            slugs,
            due,
        };
        self.listed.insert(Arc::clone(&path), listed);
        if due {
            self.make_due(&path);
        } else {
            self.scheduled.insert((date, path));
        }
    }

    /// Publishes every scheduled post whose time has come.
    fn advance(&mut self, now: DateTime<Utc>) {
        while let Some((date, path)) = self.scheduled.first().cloned() {
            if date > now {
                break;
            }
            self.scheduled.remove(&(date, Arc::clone(&path)));
            if let Some(listed) = self.listed.get_mut(&path) {
                listed.due = true;
            }
            self.make_due(&path);
        }
    }

    /// Counts a due post under its id; it is published when it is the first by path.
    fn make_due(&mut self, path: &SharedPath) {
        let Some(listed) = self.listed.get(path) else {
            return;
        };
        let paths = self.by_id.entry(Arc::clone(&listed.id)).or_default();
        let winner = paths.first().cloned();
        if let Err(at) = paths.binary_search(path) {
            paths.insert(at, Arc::clone(path));
        }
        if paths.len() > 1 {
            self.duplicated.insert(Arc::clone(&listed.id));
        }
        match winner {
            Some(winner) if winner < *path => {}
            _ => {
                if let Some(old) = winner.as_ref().and_then(|w| self.listed.get(w)) {
                    self.published.remove(old);
                }
                self.published.insert(path, listed);
            }
        }
    }

    /// Takes a post out of every set; the next post with its id (by path) is published instead.
    fn unlist(&mut self, path: &Path) -> Option<Listed> {
        let (path, listed) = self.listed.remove_entry(path)?;
        self.explicit.remove(&listed.key);
        if !listed.due {
            let date = listed.post.date.with_timezone(&Utc);
            self.scheduled.remove(&(date, path));
            return Some(listed);
        }
        let Some(paths) = self.by_id.get_mut(&listed.id) else {
            return Some(listed);
        };
        let was_winner = paths.first() == Some(&path);
        paths.retain(|p| *p != path);
        let next = paths.first().cloned();
        if paths.len() < 2 {
            self.duplicated.remove(&listed.id);
        }
        if paths.is_empty() {
            self.by_id.remove(&listed.id);
        }
        if was_winner {
            self.published.remove(&listed);
            if let Some(next) = next
                .as_ref()
                .and_then(|n| self.listed.get(n).map(|l| (n, l)))
            {
                self.published.insert(next.0, next.1);
            }
        }
        Some(listed)
    }

    /// One problem per post left out for carrying another's id, naming the file that keeps it.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        for id in &self.duplicated {
            let Some(paths) = self.by_id.get(id) else {
                continue;
            };
            let Some(first) = paths.first() else { continue };
            for later in paths.iter().skip(1) {
                diagnostics.push(Diagnostic::for_file(
                    later,
                    format!(
                        "duplicate id `{id}`: {} has it too; give one of them a different `slug` or `id` in its front matter (or file name)",
                        first.display()
                    ),
                ));
            }
        }
        diagnostics
    }

    /// How many posts are published (not drafts, not scheduled, not duplicates).
    pub fn published(&self) -> usize {
        self.published.main.len()
    }

    /// When the earliest scheduled post comes due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.scheduled.first().map(|(date, _)| *date)
    }

    /// The ids in force, as the lock file should record them.
    pub fn ledger(&self) -> &IdLedger {
        &self.ledger
    }

    /// Every record the index knows: those in force and those nobody claimed yet; to start a
    /// new index from (after a config change or a rescan).
    pub fn into_ledger(self) -> IdLedger {
        let mut ledger = self.loose;
        ledger.version = IdLedger::VERSION;
        ledger.posts.extend(self.ledger.posts);
        ledger
    }

    /// Whether the ledger changed since this was last asked; so an edit that changes no record
    /// does not make the lock file compare or rewrite every record.
    pub fn take_ledger_change(&mut self) -> bool {
        std::mem::take(&mut self.ledger_changed)
    }

    /// Marks the ledger as changed again, after saving it failed.
    pub fn keep_ledger_change(&mut self) {
        self.ledger_changed = true;
    }
}

/// Sorts posts by path as `Path`'s order has it, comparing each path's components once split
/// rather than splitting both paths again at every comparison (a tenth of a from-scratch build
/// at 10,000 posts went there).
fn sort_by_path(posts: &mut Vec<Arc<Post>>) {
    let mut keyed: Vec<(Vec<std::path::Component<'_>>, &Arc<Post>)> = posts
        .iter()
        .map(|post| (post.path.components().collect(), post))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let sorted: Vec<Arc<Post>> = keyed.into_iter().map(|(_, post)| post.clone()).collect();
    *posts = sorted;
}

/// The ledger's view of a post.
fn claim<'a>(config: &Config, post: &'a Post) -> Claim<'a> {
    Claim {
        key: ledger_key(&config.source_dir, &post.path),
        explicit_id: post.id.as_deref(),
        minted_id: minted_id(
            &config.id_authority,
            &post.date,
            config.timezone,
            &post.slug,
        ),
        date: post.date,
        title: &post.title,
        body_hash: post.body_hash,
    }
}

/// The ledger's key for a post: its path below the source folder, with `/` separators, so the
/// ledger means the same whichever folder feedd was started from.
fn ledger_key(source_dir: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(source_dir).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
