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
use super::index::{FeedIndex, FeedKey, Listed, Rank};
use super::make::{self, Identity, tag_name};
use super::period::Period;
use super::{Entry, Feed, History};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::ledger::IdLedger;
use crate::post::Post;

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
pub type ContentFn<'a> = dyn Fn(&Post, &Url) -> String + 'a;

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
    id: String,
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
            let ranked: &BTreeMap<Rank, PathBuf> = match &key {
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
        mut rendered: HashMap<PathBuf, String>,
    ) -> Vec<PageKey> {
        for (post, _) in &selection.to_render {
            let Some(listed) = index.listed.get(&post.path) else {
                continue;
            };
            let html = rendered.remove(&post.path).unwrap_or_default();
            let entry = Arc::new(make::entry(config, listed, html));
            let made = Made {
                post: listed.post.clone(),
                id: listed.id.clone(),
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
        let folder = match &key {
            None => String::new(),
            Some(slug) => match config.paths.tags.as_deref() {
                Some(pattern) => pattern.replace("{tag}", slug),
                None => return,
            },
        };
        let identity = Identity {
            config,
            folder: &folder,
            tagged: key.is_some(),
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
        let periods = layout.periods();
        let links = |period: &Period| identity.documents(&identity.archive_folder(&period.label()));
        let history = match periods.first() {
            _ if !layout.paged => History::Unpaged,
            None => History::Complete,
            Some(newest) => History::Subscription {
                prev_archive: links(newest),
            },
        };
        let tag = |paths: &[PathBuf]| {
            key.as_deref()
                .map(|slug| tag_name(index, slug, paths.first().map(PathBuf::as_path)))
        };
        let documents = identity.documents(&folder);
        let feed = identity.feed(tag(&layout.current), documents.clone(), current, history);
        if self.feeds.get(&key) != Some(&feed) {
            self.feeds.insert(key.clone(), feed);
            changed.push((key.clone(), Page::Current));
        }
        let pages = self.archives.entry(key.clone()).or_default();
        let kept: BTreeSet<Period> = periods.iter().copied().collect();
        pages.retain(|period, _| {
            let keep = kept.contains(period);
            if !keep {
                changed.push((key.clone(), Page::Archive(*period)));
            }
            keep
        });
        for (period, paths) in remake {
            let at = periods
                .iter()
                .position(|p| *p == period)
                .unwrap_or_default();
            let history = History::Archive {
                current: documents.clone(),
                prev_archive: periods.get(at + 1).map(links).unwrap_or_default(),
                next_archive: at
                    .checked_sub(1)
                    .map(|i| links(&periods[i]))
                    .unwrap_or_default(),
            };
            let entries = entries_of(&self.entries, &paths);
            let page = identity.feed(tag(&paths), links(&period), entries, history);
            if pages.get(&period) != Some(&page) {
                pages.insert(period, page);
                changed.push((key.clone(), Page::Archive(period)));
            }
        }
        if pages.is_empty() {
            self.archives.remove(&key);
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

/// The made entries of `paths`, in their order.
fn entries_of(entries: &HashMap<PathBuf, Made>, paths: &[PathBuf]) -> Vec<Arc<Entry>> {
    paths
        .iter()
        .filter_map(|p| entries.get(p).map(|m| m.entry.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::DocumentLink;
    use std::path::{Path, PathBuf};

    fn config(extra: &str) -> Config {
        let text = format!(
            "title = \"Site\"\nbase_url = \"https://example.org/\"\nid_authority = \"example.org\"\n{extra}"
        );
        Config::from_str(&text, Path::new("config.toml")).unwrap()
    }

    fn post(path: &str, date: &str, tags: &[&str]) -> Arc<Post> {
        let slug = Path::new(path)
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        Arc::new(Post {
            path: PathBuf::from(path),
            title: format!("Title of {slug}"),
            date: DateTime::parse_from_rfc3339(date).unwrap(),
            updated: None,
            authors: vec![],
            summary: None,
            excerpt: "First paragraph.".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            id: None,
            slug,
            draft: false,
            link: None,
            lang: None,
            body_hash: 0,
        })
    }

    fn html(_: &Post, page: &Url) -> String {
        crate::feed::absolutize_html("<p><img src=\"a.png\"></p>", page)
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn ids(feed: &Feed) -> Vec<&str> {
        feed.entries.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn newest_first_ties_broken_by_id() {
        let posts = vec![
            post("b.md", "2019-06-30T00:00:00Z", &[]),
            post("a.md", "2019-06-30T00:00:00Z", &[]),
            post("c.md", "2019-07-05T00:00:00Z", &[]),
        ];
        let built = build(&config(""), &posts, &IdLedger::default(), &html, now());
        assert_eq!(
            ids(&built.feeds[0]),
            [
                "tag:example.org,2019-07-05:c",
                "tag:example.org,2019-06-30:a",
                "tag:example.org,2019-06-30:b"
            ]
        );
        assert_eq!(built.published, 3);
    }

    /// Post `p{n}` on the first of month `n` of 2019, for n in 1..=9, tagged `x`.
    fn monthly() -> Vec<Arc<Post>> {
        (1..=9)
            .map(|n| {
                post(
                    &format!("p{n}.md"),
                    &format!("2019-0{n}-01T00:00:00Z"),
                    &["x"],
                )
            })
            .collect()
    }

    #[test]
    fn max_entries_limits_each_feed() {
        let built = build(
            &config("max_entries = 3\n[archives]\nenabled = false"),
            &monthly(),
            &IdLedger::default(),
            &html,
            now(),
        );
        assert_eq!(built.feeds[0].entries.len(), 3);
        assert_eq!(built.feeds[1].entries.len(), 3);
        assert_eq!(
            built.feeds[0].entries[0].id,
            "tag:example.org,2019-09-01:p9"
        );
        assert_eq!(built.feeds[0].history, History::Unpaged);
        assert_eq!(built.archives, [Vec::<Feed>::new(), Vec::new()]);
        assert_eq!(built.published, 9);
    }

    #[test]
    fn older_posts_fall_on_one_archive_page_per_month_linked_both_ways() {
        let built = build(
            &config("max_entries = 3"),
            &monthly(),
            &IdLedger::default(),
            &html,
            now(),
        );
        let main = &built.feeds[0];
        assert_eq!(ids(main).len(), 3);
        let pages = &built.archives[0];
        let month_of = |feed: &Feed| feed.entries[0].published.format("%m").to_string();
        let months: Vec<String> = pages.iter().map(month_of).collect();
        assert_eq!(months, ["06", "05", "04", "03", "02", "01"], "newest first");
        let atom = |links: &[DocumentLink]| {
            crate::feed::link_for(links, crate::format::Format::Atom).map(|l| l.path.clone())
        };
        let History::Subscription { prev_archive } = &main.history else {
            panic!("{:?}", main.history);
        };
        assert_eq!(
            atom(prev_archive).as_deref(),
            Some("archive/2019-06/atom.xml")
        );
        for (i, page) in pages.iter().enumerate() {
            assert_eq!(page.id, main.id, "pages are parts of one feed");
            assert_eq!(page.updated, page.entries[0].updated);
            let History::Archive {
                current,
                prev_archive,
                next_archive,
            } = &page.history
            else {
                panic!("{:?}", page.history);
            };
            assert_eq!(atom(current).as_deref(), Some("atom.xml"));
            let path = |j: usize| pages.get(j).and_then(|p| atom(&p.documents));
            assert_eq!(atom(prev_archive), path(i + 1));
            assert_eq!(atom(next_archive), i.checked_sub(1).and_then(path));
        }
        let tag_pages = &built.archives[1];
        assert_eq!(
            atom(&tag_pages[0].documents).as_deref(),
            Some("tags/x/archive/2019-06/atom.xml")
        );
        assert_eq!(tag_pages[0].title, "Site: x");
    }

    #[test]
    fn a_feed_that_holds_every_post_says_it_is_complete() {
        let built = build(&config(""), &monthly(), &IdLedger::default(), &html, now());
        assert_eq!(built.feeds[0].entries.len(), 9);
        assert_eq!(built.feeds[0].history, History::Complete);
        assert!(built.archives[0].is_empty());
    }

    #[test]
    fn drafts_and_future_posts_are_left_out_until_due() {
        let mut draft = (*post("d.md", "2019-01-01T00:00:00Z", &[])).clone();
        draft.draft = true;
        let posts = vec![
            Arc::new(draft),
            post("f.md", "2030-01-01T00:00:00Z", &[]),
            post("p.md", "2019-01-01T00:00:00Z", &[]),
        ];
        let built = build(&config(""), &posts, &IdLedger::default(), &html, now());
        assert_eq!(ids(&built.feeds[0]), ["tag:example.org,2019-01-01:p"]);
        assert_eq!(
            built.next_due.map(|d| d.to_rfc3339()),
            Some("2030-01-01T00:00:00+00:00".into())
        );
        let later = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            build(&config(""), &posts, &IdLedger::default(), &html, later).feeds[0]
                .entries
                .len(),
            2
        );
    }

    #[test]
    fn duplicate_ids_name_both_files_and_keep_one() {
        let a = post("x/same.md", "2019-01-01T00:00:00Z", &[]);
        let b = post("y/same.md", "2019-01-01T00:00:00Z", &[]);
        let built = build(&config(""), &[b, a], &IdLedger::default(), &html, now());
        assert_eq!(built.feeds[0].entries.len(), 1);
        assert_eq!(built.diagnostics.len(), 1);
        let message = built.diagnostics[0].to_string();
        assert!(message.starts_with("y/same.md: duplicate id"), "{message}");
        assert!(message.contains("x/same.md"), "{message}");
    }

    #[test]
    fn one_feed_per_tag_with_self_links() {
        let posts = vec![
            post("a.md", "2019-01-01T00:00:00Z", &["Rust", "web"]),
            post("b.md", "2019-01-02T00:00:00Z", &["rust"]),
        ];
        let built = build(&config(""), &posts, &IdLedger::default(), &html, now());
        let tags: Vec<_> = built.feeds[1..]
            .iter()
            .map(|f| f.tag.clone().unwrap())
            .collect();
        assert_eq!(tags, ["rust", "web"], "named as the newest post writes it");
        assert_eq!(built.feeds[1].entries.len(), 2, "tags are grouped by slug");
        let atom = built.feeds[1]
            .document(crate::format::Format::Atom)
            .unwrap();
        assert_eq!(atom.path, "tags/rust/atom.xml");
        assert_eq!(atom.url, "https://example.org/tags/rust/atom.xml");
        assert_eq!(
            built.feeds[0]
                .document(crate::format::Format::Json)
                .unwrap()
                .url,
            "https://example.org/feed.json"
        );
    }

    #[test]
    fn feed_updated_is_newest_entry_never_build_time() {
        let mut edited = (*post("a.md", "2019-01-01T00:00:00Z", &[])).clone();
        edited.updated = Some(DateTime::parse_from_rfc3339("2020-05-05T00:00:00Z").unwrap());
        let posts = vec![Arc::new(edited), post("b.md", "2019-06-01T00:00:00Z", &[])];
        let built = build(&config(""), &posts, &IdLedger::default(), &html, now());
        assert_eq!(
            built.feeds[0].updated.to_rfc3339(),
            "2020-05-05T00:00:00+00:00"
        );
        let empty = build(&config(""), &[], &IdLedger::default(), &html, now());
        assert_eq!(empty.feeds[0].updated.timestamp(), 0);
    }

    #[test]
    fn ids_survive_base_url_and_folder_changes_but_links_follow() {
        let a = build(
            &config(""),
            &[post("2019/a.md", "2019-01-01T00:00:00Z", &[])],
            &IdLedger::default(),
            &html,
            now(),
        );
        let mut moved = config("");
        moved.base_url = url::Url::parse("http://other.example.net/x/").unwrap();
        let b = build(
            &moved,
            &[post("elsewhere/a.md", "2019-01-01T00:00:00Z", &[])],
            &IdLedger::default(),
            &html,
            now(),
        );
        assert_eq!(ids(&a.feeds[0]), ids(&b.feeds[0]));
        assert_eq!(
            b.feeds[0].entries[0].link,
            "http://other.example.net/x/posts/a/"
        );
        assert_eq!(
            b.feeds[0].entries[0].content_html,
            "<p><img src=\"http://other.example.net/x/posts/a/a.png\"></p>"
        );
        assert!(!b.feeds[0].entries[0].id_is_link);
    }
}
