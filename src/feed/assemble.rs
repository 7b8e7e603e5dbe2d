//! Posts → feeds: which posts are published, their order, the limit, and one feed per tag.
//!
//! Entries are made only for posts that appear in some document (the newest `max_entries` of the
//! main feed and of each tag's feed), so a site of 100,000 posts pays for link rewriting of a few
//! hundred, not of all of them.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use url::Url;

use super::ids::minted_id;
use super::links::permalink;
use super::{DocumentLink, Entry, Feed};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::ledger::{Claim, IdLedger};
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
/// [`absolutize_html`]). Only posts that appear in some document are asked for, so a caller can
/// render lazily and keep the result while the post and its page stay the same.
pub type ContentFn<'a> = dyn Fn(&Post, &Url) -> String + 'a;

/// A post that made it into the feed, with its id resolved.
struct Candidate<'a> {
    post: &'a Post,
    id: String,
}

/// Builds the site's feeds from every parsed post. `now` only decides which scheduled posts are
/// due; nothing in the output depends on it otherwise.
pub fn build(
    config: &Config,
    posts: &[Arc<Post>],
    ledger: &IdLedger,
    content: &ContentFn<'_>,
    now: DateTime<Utc>,
) -> Built {
    // Scheduled posts get their ids now, so the lock file lists them before they come due and a
    // CI build that publishes one (`--locked`) finds it already recorded.
    let listed: Vec<&Post> = posts.iter().filter(|p| !p.draft).map(Arc::as_ref).collect();
    let claims: Vec<Claim<'_>> = listed
        .iter()
        .map(|post| Claim {
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
        })
        .collect();
    let (ids, ledger) = ledger.resolve(&claims);
    let mut next_due: Option<DateTime<Utc>> = None;
    let mut candidates: Vec<Candidate<'_>> = Vec::with_capacity(listed.len());
    for (post, id) in listed.into_iter().zip(ids) {
        let date = post.date.with_timezone(&Utc);
        if date > now {
            next_due = Some(next_due.map_or(date, |d| d.min(date)));
        } else {
            candidates.push(Candidate { post, id });
        }
    }
    let diagnostics = drop_duplicate_ids(&mut candidates);
    candidates.sort_by(|a, b| (Reverse(a.post.date), &a.id).cmp(&(Reverse(b.post.date), &b.id)));

    let mut entries: HashMap<usize, Arc<Entry>> = HashMap::new();
    let mut entry_at = |index: usize| -> Arc<Entry> {
        entries
            .entry(index)
            .or_insert_with(|| Arc::new(make_entry(config, &candidates[index], content)))
            .clone()
    };

    let limit = config.max_entries;
    let main_entries: Vec<Arc<Entry>> = (0..candidates.len().min(limit))
        .map(&mut entry_at)
        .collect();
    let mut feeds = vec![make_feed(config, None, "", main_entries)];

    if let Some(pattern) = &config.paths.tags {
        for (tag_slug, (name, indices)) in group_by_tag(&candidates) {
            let folder = pattern.replace("{tag}", &tag_slug);
            let tag_entries = indices.into_iter().take(limit).map(&mut entry_at).collect();
            feeds.push(make_feed(config, Some(name), &folder, tag_entries));
        }
    }
    Built {
        feeds,
        diagnostics,
        published: candidates.len(),
        next_due,
        ledger,
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

/// Keeps the first post (by path) of each id and reports the others, naming both files.
fn drop_duplicate_ids(candidates: &mut Vec<Candidate<'_>>) -> Vec<Diagnostic> {
    candidates.sort_by(|a, b| (&a.id, &a.post.path).cmp(&(&b.id, &b.post.path)));
    let mut diagnostics = Vec::new();
    candidates.dedup_by(|later, first| {
        let duplicate = later.id == first.id;
        if duplicate {
            diagnostics.push(Diagnostic::for_file(
                &later.post.path,
                format!(
                    "duplicate id `{}`: {} has it too; give one of them a different `slug` or `id` in its front matter (or file name)",
                    later.id,
                    first.post.path.display()
                ),
            ));
        }
        duplicate
    });
    diagnostics
}

/// Tag slug → (the tag as first written, indices of its posts in feed order).
///
/// A site has few distinct tags and many tagged posts, so each tag is slugified once.
fn group_by_tag(candidates: &[Candidate<'_>]) -> BTreeMap<String, (String, Vec<usize>)> {
    let mut tags: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
    let mut slugs: HashMap<&str, String> = HashMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        for tag in &candidate.post.tags {
            let key = slugs.entry(tag).or_insert_with(|| slug::slugify(tag));
            if key.is_empty() {
                continue;
            }
            if !tags.contains_key(key.as_str()) {
                tags.insert(key.clone(), (tag.clone(), Vec::new()));
            }
            let Some((_, indices)) = tags.get_mut(key.as_str()) else {
                continue;
            };
            if indices.last() != Some(&index) {
                indices.push(index);
            }
        }
    }
    tags
}

fn make_entry(config: &Config, candidate: &Candidate<'_>, content: &ContentFn<'_>) -> Entry {
    let post = candidate.post;
    let page = permalink(
        &config.base_url,
        &config.post_path,
        &post.slug,
        &post.date,
        config.timezone,
    );
    let link = post.link.clone().unwrap_or_else(|| page.to_string());
    Entry {
        id_is_link: candidate.id == link,
        id: candidate.id.clone(),
        title: post.title.clone(),
        link,
        published: post.date,
        updated: post.updated.unwrap_or(post.date),
        authors: post.authors.clone(),
        summary: post.summary.clone().unwrap_or_else(|| post.excerpt.clone()),
        content_html: content(post, &page),
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
