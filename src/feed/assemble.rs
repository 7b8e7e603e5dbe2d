//! Index → feeds: the two pure steps around content rendering. [`Assembler::select`] says
//! which posts each changed feed shows (its newest `max_entries`) and which of them still need
//! their body rendered; the caller renders exactly those (I/O); [`Assembler::assemble`] makes the
//! entries and feeds. Entries are kept per post version, so a feed is rebuilt from cached
//! entries and only a changed post is rendered again.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use url::Url;

use super::index::{FeedIndex, FeedKey, Listed, SharedPath};
use super::links::permalink;
use super::{DocumentLink, Entry, Feed};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::ledger::IdLedger;
use crate::post::Post;

/// The feed model of a whole site, with what kept some posts out of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// The main feed first, then one feed per tag, ordered by the tag's path.
    pub feeds: Vec<Feed>,
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
        diagnostics: index.diagnostics(),
        published: index.published(),
        next_due: index.next_due(),
        ledger: index.ledger().clone(),
    }
}

/// The posts the changed feeds show, and the bodies still to render for them.
#[derive(Debug, Default)]
pub struct Selection {
    /// Each changed feed with the paths of its entries in order; empty when it has none left.
    feeds: Vec<(FeedKey, Vec<SharedPath>)>,
    /// Posts shown in a changed feed whose entry is not made yet, with the page their relative
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
    feeds: BTreeMap<FeedKey, Feed>,
    entries: HashMap<PathBuf, Made>,
}

impl Assembler {
    /// The feeds in document order: the main feed first, then the tags' by slug.
    pub fn feeds(&self) -> impl Iterator<Item = &Feed> {
        self.feeds.values()
    }

    /// The feed of `key`, when it has one.
    pub fn feed(&self, key: &FeedKey) -> Option<&Feed> {
        self.feeds.get(key)
    }

    /// Which posts the feeds touched since the last selection show. Pure.
    pub fn select(&self, config: &Config, index: &mut FeedIndex) -> Selection {
        let mut touched = std::mem::take(&mut index.published.touched);
        if !self.feeds.contains_key(&None) {
            // The main feed exists even while nothing is published.
            touched.insert(None);
        }
        let mut selection = Selection::default();
        let mut seen = std::collections::HashSet::new();
        for key in touched {
            let ranked = match &key {
                None => Some(&index.published.main),
                Some(slug) => index.published.tags.get(slug),
            };
            let paths: Vec<SharedPath> = ranked
                .into_iter()
                .flat_map(|r| r.values().take(config.max_entries))
                .cloned()
                .collect();
            for path in &paths {
                let Some(listed) = index.listed.get(path) else {
                    continue;
                };
                if !self.is_made(path, listed) && seen.insert(Arc::clone(path)) {
                    let page = page(config, &listed.post);
                    selection.to_render.push((listed.post.clone(), page));
                }
            }
            selection.feeds.push((key, paths));
        }
        selection
    }

    fn is_made(&self, path: &Path, listed: &Listed) -> bool {
        self.entries
            .get(path)
            .is_some_and(|m| Arc::ptr_eq(&m.post, &listed.post) && m.id == listed.id)
    }

    /// Makes the selected feeds from cached entries and the `rendered` bodies (by path); returns
    /// the keys of the feeds that differ from before (a feed with no entries left is removed).
    pub fn assemble(
        &mut self,
        config: &Config,
        index: &FeedIndex,
        selection: Selection,
        mut rendered: HashMap<PathBuf, String>,
    ) -> Vec<FeedKey> {
        for (post, _) in &selection.to_render {
            let Some(listed) = index.listed.get(post.path.as_path()) else {
                continue;
            };
            let html = rendered.remove(&post.path).unwrap_or_default();
            let entry = Arc::new(make_entry(config, listed, html));
            let made = Made {
                post: listed.post.clone(),
                id: Arc::clone(&listed.id),
                entry,
            };
            self.entries.insert(post.path.clone(), made);
        }
        let mut changed = Vec::new();
        for (key, paths) in selection.feeds {
            if self.assemble_feed(config, index, &key, &paths) {
                changed.push(key);
            }
        }
        self.forget_unused_entries();
        changed
    }

    /// Makes one feed; whether it differs from the one it replaces.
    fn assemble_feed(
        &mut self,
        config: &Config,
        index: &FeedIndex,
        key: &FeedKey,
        paths: &[SharedPath],
    ) -> bool {
        let entries: Vec<Arc<Entry>> = paths
            .iter()
            .filter_map(|p| self.entries.get(p.as_ref()).map(|m| m.entry.clone()))
            .collect();
        let feed = match key {
            None => make_feed(config, None, "", entries),
            Some(_) if entries.is_empty() => return self.feeds.remove(key).is_some(),
            Some(slug) => {
                let name = tag_name(index, slug, &paths[0]);
                let folder = config
                    .paths
                    .tags
                    .as_deref()
                    .map(|pattern| pattern.replace("{tag}", slug));
                let Some(folder) = folder else {
                    return false;
                };
                make_feed(config, Some(name), &folder, entries)
            }
        };
        if self.feeds.get(key) == Some(&feed) {
            return false;
        }
        self.feeds.insert(key.clone(), feed);
        true
    }

    /// Drops entries no feed shows any more, once they outnumber the shown ones; so memory
    /// follows the feeds, not every post ever shown.
    fn forget_unused_entries(&mut self) {
        let shown: usize = self.feeds.values().map(|f| f.entries.len()).sum();
        if self.entries.len() <= 2 * shown + 1024 {
            return;
        }
        let keep: std::collections::HashSet<*const Entry> = self
            .feeds
            .values()
            .flat_map(|f| f.entries.iter().map(Arc::as_ptr))
            .collect();
        self.entries
            .retain(|_, m| keep.contains(&Arc::as_ptr(&m.entry)));
    }
}

/// The tag as the newest post in its feed first writes it.
fn tag_name(index: &FeedIndex, slug: &str, newest: &Path) -> String {
    index
        .listed
        .get(newest)
        .and_then(|l| l.post.tags.iter().find(|t| slug::slugify(t) == slug))
        .cloned()
        .unwrap_or_else(|| slug.to_string())
}

/// The post's own page, which its relative URLs resolve against.
fn page(config: &Config, post: &Post) -> Url {
    permalink(
        &config.base_url,
        &config.post_path,
        &post.slug,
        &post.date,
        config.timezone,
    )
}

fn make_entry(config: &Config, listed: &Listed, content_html: String) -> Entry {
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
        summary: post.summary.clone().unwrap_or_else(|| post.excerpt.clone()),
        content_html,
        tags: post.tags.clone(),
        lang: post.lang.clone(),
    }
}

fn make_feed(config: &Config, tag: Option<String>, folder: &str, entries: Vec<Arc<Entry>>) -> Feed {
    let documents = config
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
        .collect();
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or_else(epoch);
    let (id, title) = match &tag {
        None => (
            format!("tag:{},2000:feed", config.id_authority),
            config.title.clone(),
        ),
        Some(name) => (
            format!(
                "tag:{},2000:feed/{}",
                config.id_authority,
                folder.trim_end_matches('/')
            ),
            format!("{}: {name}", config.title),
        ),
    };
    Feed {
        id,
        title,
        description: config.description.clone(),
        home_url: config.base_url.to_string(),
        language: config.language.clone(),
        author: config.author.clone(),
        tag,
        updated,
        documents,
        entries,
    }
}

fn epoch() -> DateTime<FixedOffset> {
    DateTime::<Utc>::UNIX_EPOCH.fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn max_entries_limits_each_feed() {
        let posts: Vec<_> = (1..=9)
            .map(|d| {
                post(
                    &format!("p{d}.md"),
                    &format!("2019-07-0{d}T00:00:00Z"),
                    &["x"],
                )
            })
            .collect();
        let built = build(
            &config("max_entries = 3"),
            &posts,
            &IdLedger::default(),
            &html,
            now(),
        );
        assert_eq!(built.feeds[0].entries.len(), 3);
        assert_eq!(built.feeds[1].entries.len(), 3);
        assert_eq!(
            built.feeds[0].entries[0].id,
            "tag:example.org,2019-07-09:p9"
        );
        assert_eq!(built.published, 9);
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
