//! The pipeline both drivers share: cached posts → feed model → rendered documents.
//!
//! `once` runs it a single time; `daemon` runs it after every batch of changes. Neither knows how
//! posts become bytes; this module does not know where the bytes go.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use url::Url;

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::feed::{self, Feed};
use crate::ledger::IdLedger;
use crate::post::{ParseOptions, Post};
use crate::post_cache::PostCache;
use crate::render::{self, Document};

/// Every document of the site, and everything that went wrong on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// The feed model the documents were rendered from, to tell the next build what changed.
    pub feeds: Vec<Feed>,
    pub documents: Vec<Document>,
    /// Sorted by path and line, so reports are stable.
    pub diagnostics: Vec<Diagnostic>,
    /// Posts in the main feed's pool (published, not drafts or scheduled).
    pub published: usize,
    /// When the earliest scheduled post comes due.
    pub next_due: Option<DateTime<Utc>>,
    /// The ids this build published, to keep them across renames in the next one.
    pub ledger: IdLedger,
}

/// What posts are parsed with under `config`.
pub fn parse_options(config: &Config) -> ParseOptions {
    ParseOptions {
        timezone: config.timezone,
    }
}

/// Renders every document from the posts in `cache`, keeping the ids in `ledger`. `now` only
/// decides which scheduled posts are due. A feed equal to one of `previous`'s keeps its already
/// rendered documents, so after one edit only the feeds that post is in are rendered again.
pub fn build(
    config: &Config,
    cache: &PostCache,
    ledger: &IdLedger,
    previous: Option<&Build>,
    now: DateTime<Utc>,
) -> Build {
    let content = |post: &Post, page: &Url| cache.content_html(post, page);
    let built = feed::build(config, &cache.posts(), ledger, &content, now);
    let documents = render_changed(&built.feeds, previous);
    let mut diagnostics = cache.diagnostics();
    diagnostics.extend(built.diagnostics);
    diagnostics.sort();
    Build {
        feeds: built.feeds,
        documents,
        diagnostics,
        published: built.published,
        next_due: built.next_due,
        ledger: built.ledger,
    }
}

/// Every document of `feeds`, in order: reused from `previous` for a feed that did not change,
/// rendered (on all cores) for one that did.
fn render_changed(feeds: &[Feed], previous: Option<&Build>) -> Vec<Document> {
    let old_feeds: HashMap<&str, &Feed> = previous
        .map(|p| p.feeds.iter().map(|f| (f.id.as_str(), f)).collect())
        .unwrap_or_default();
    let old_documents: HashMap<&str, &Document> = previous
        .map(|p| p.documents.iter().map(|d| (d.path.as_str(), d)).collect())
        .unwrap_or_default();
    let per_feed: Vec<Vec<Document>> = feeds
        .par_iter()
        .map(|feed| {
            let unchanged = old_feeds
                .get(feed.id.as_str())
                .is_some_and(|old| *old == feed);
            let reused: Option<Vec<Document>> = unchanged
                .then(|| {
                    feed.documents
                        .iter()
                        .map(|link| old_documents.get(link.path.as_str()).map(|d| (*d).clone()))
                        .collect()
                })
                .flatten();
            reused.unwrap_or_else(|| render::render_all([feed]))
        })
        .collect();
    per_feed.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(posts: &[(&str, &str)]) -> (tempfile::TempDir, Config, PostCache) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("feed-src")).unwrap();
        for (name, text) in posts {
            std::fs::write(dir.path().join("feed-src").join(name), text).unwrap();
        }
        let config_path = dir.path().join("config.toml");
        std::fs::write(
            &config_path,
            "title = \"T\"\nbase_url = \"https://example.org/\"\nid_authority = \"example.org\"\n",
        )
        .unwrap();
        let config = Config::load(&config_path).unwrap();
        let mut cache = PostCache::new(config.source(), parse_options(&config));
        cache.refresh_all().unwrap();
        (dir, config, cache)
    }

    fn post(title: &str, tags: &str) -> String {
        format!("+++\ntitle = \"{title}\"\ndate = 2020-01-01\ntags = [{tags}]\n+++\nBody.\n")
    }

    #[test]
    fn an_edit_rerenders_only_the_feeds_it_touches() {
        let (dir, config, mut cache) =
            site(&[("a.md", &post("A", "\"x\"")), ("b.md", &post("B", "\"y\""))]);
        let now = Utc::now();
        let first = build(&config, &cache, &IdLedger::default(), None, now);
        let path = dir.path().join("feed-src/a.md");
        std::fs::write(&path, post("A edited", "\"x\"")).unwrap();
        cache.refresh_paths([&path]);
        let second = build(&config, &cache, &first.ledger, Some(&first), now);
        let fresh = build(&config, &cache, &first.ledger, None, now);
        assert_eq!(
            second.documents, fresh.documents,
            "reuse never changes the output"
        );
        let same_buffer = |path: &str| {
            let find = |b: &Build| {
                b.documents
                    .iter()
                    .find(|d| d.path == path)
                    .unwrap()
                    .body
                    .as_ptr()
            };
            find(&first) == find(&second)
        };
        assert!(
            same_buffer("tags/y/atom.xml"),
            "the untouched tag feed is reused"
        );
        assert!(!same_buffer("tags/x/atom.xml"));
        assert!(!same_buffer("atom.xml"));
        let atom = |b: &Build| {
            let document = b.documents.iter().find(|d| d.path == "atom.xml").unwrap();
            String::from_utf8(document.body.to_vec()).unwrap()
        };
        assert!(!atom(&first).contains("A edited"));
        assert!(atom(&second).contains("<title>A edited</title>"));
        assert!(
            atom(&second).contains("<title>B</title>"),
            "the other post stays"
        );
        assert_eq!((second.published, second.diagnostics.len()), (2, 0));
    }
}
