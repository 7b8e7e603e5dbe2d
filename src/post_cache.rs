//! Parsed posts kept per path, so a rebuild re-reads and re-parses only what changed.
//!
//! Each file keeps its latest parse result and its last good post: when an edit breaks a post, the
//! feed keeps the last good version and the error is reported until the file is fixed. Parsing
//! reads only what every post needs (front matter, dates, first paragraph); the full content is
//! rendered on demand for the posts that appear in a document, and kept until the file changes.
//! The cache reads files only through `source`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::post::{ParseOptions, Post, render_content};
use crate::source::{self, SourceError};

#[derive(Debug, Default)]
struct Cached {
    /// Fingerprint of the text last read, to skip re-parsing a file that was only touched or
    /// rewritten with the same bytes.
    text_hash: Option<u64>,
    error: Option<Diagnostic>,
    last_good: Option<Arc<Post>>,
    /// The last good version's body as HTML, rendered on first use (most posts never appear in
    /// a document, so most are never rendered).
    content: OnceLock<Arc<str>>,
}

/// What a refresh did, for the rebuild log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Refresh {
    pub parsed: usize,
    pub removed: usize,
    pub unchanged: usize,
}

impl Refresh {
    /// Whether anything that can change the output happened.
    pub fn changed(&self) -> bool {
        self.parsed > 0 || self.removed > 0
    }
}

/// The outcome of reading one file, computed in parallel and applied in order.
enum Read {
    Unchanged,
    Parsed(u64, Box<Result<Post, Diagnostic>>),
    Failed(Diagnostic),
}

/// Every post file of the source folder, parsed, keyed by its path.
#[derive(Debug)]
pub struct PostCache {
    source_dir: PathBuf,
    options: ParseOptions,
    /// Hashed rather than ordered: the feed orders posts itself, and 100,000 path comparisons
    /// per scan are measurable.
    files: HashMap<PathBuf, Cached>,
    /// Problems of the folder itself (unreadable subfolders), from the last full scan.
    scan_problems: Vec<Diagnostic>,
}

impl PostCache {
    pub fn new(source_dir: &Path, options: ParseOptions) -> PostCache {
        PostCache {
            source_dir: source_dir.to_path_buf(),
            options,
            files: HashMap::new(),
            scan_problems: Vec::new(),
        }
    }

    /// Whether this cache was made for `source_dir` and `options`; a config reload that changes
    /// either needs a fresh cache, since every date may parse differently.
    pub fn fits(&self, source_dir: &Path, options: &ParseOptions) -> bool {
        self.source_dir == source_dir && self.options == *options
    }

    /// Scans the whole folder: reads new and changed files, forgets deleted ones.
    pub fn refresh_all(&mut self) -> Result<Refresh, SourceError> {
        let scan = source::scan(&self.source_dir)?;
        self.scan_problems = scan.problems;
        let present: HashSet<PathBuf> = scan.files.into_iter().map(|f| f.absolute).collect();
        let before = self.files.len();
        self.files.retain(|path, _| present.contains(path));
        let mut refresh = Refresh {
            removed: before - self.files.len(),
            ..Refresh::default()
        };
        self.reload_all(present.into_iter().collect(), &mut refresh);
        Ok(refresh)
    }

    /// Re-reads the given files (absolute paths below the source folder, as the watcher reports
    /// them); a path that no longer exists, or is not a post file, is forgotten.
    pub fn refresh_paths<'a>(&mut self, paths: impl IntoIterator<Item = &'a PathBuf>) -> Refresh {
        let mut refresh = Refresh::default();
        let mut present = Vec::new();
        for path in paths {
            let is_post = path
                .strip_prefix(&self.source_dir)
                .is_ok_and(|relative| !source::is_ignored(relative));
            if is_post && path.is_file() {
                present.push(path.clone());
            } else if self.files.remove(path).is_some() {
                refresh.removed += 1;
            }
        }
        self.reload_all(present, &mut refresh);
        refresh
    }

    /// Reads and parses files on all cores, then records the results.
    fn reload_all(&mut self, paths: Vec<PathBuf>, refresh: &mut Refresh) {
        let files = &self.files;
        let options = &self.options;
        let results: Vec<(PathBuf, Read)> = paths
            .into_par_iter()
            .map(|path| {
                let known = files.get(&path).and_then(|c| c.text_hash);
                let read = read_one(&path, known, options);
                (path, read)
            })
            .collect();
        for (path, read) in results {
            let cached = self.files.entry(path).or_default();
            match read {
                Read::Unchanged => refresh.unchanged += 1,
                Read::Parsed(hash, result) => {
                    refresh.parsed += 1;
                    cached.text_hash = Some(hash);
                    match *result {
                        Ok(post) => {
                            cached.last_good = Some(Arc::new(post));
                            cached.error = None;
                            cached.content = OnceLock::new();
                        }
                        // The last good version (and its rendered content) stays published.
                        Err(diagnostic) => cached.error = Some(diagnostic),
                    }
                }
                Read::Failed(diagnostic) => {
                    refresh.parsed += 1;
                    cached.text_hash = None;
                    cached.error = Some(diagnostic);
                }
            }
        }
    }

    /// The posts to publish: each file's last good version.
    pub fn posts(&self) -> Vec<Arc<Post>> {
        self.files
            .values()
            .filter_map(|c| c.last_good.clone())
            .collect()
    }

    /// The body of `post` (one of [`PostCache::posts`]) as HTML, rendered once per version.
    ///
    /// Rendering reads the file again. If it cannot be read or rendered any more (it was broken
    /// or removed since it was parsed), the post's first paragraph stands in until the next
    /// rebuild, which the same change triggers.
    pub fn content_html(&self, post: &Post) -> String {
        let render = || -> Arc<str> {
            let rendered =
                source::read(&post.path).and_then(|text| render_content(&post.path, &text));
            match rendered {
                Ok(html) => html.into(),
                Err(diagnostic) => {
                    tracing::warn!("{diagnostic}; using the first paragraph as content for now");
                    let mut html = String::from("<p>");
                    // Writing into a String cannot fail.
                    let _ = pulldown_cmark_escape::escape_html(&mut html, &post.excerpt);
                    html.push_str("</p>\n");
                    html.into()
                }
            }
        };
        match self.files.get(&post.path) {
            Some(cached) => cached.content.get_or_init(render).to_string(),
            None => render().to_string(),
        }
    }

    /// Every current problem: unreadable folders and files that fail to parse.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.scan_problems
            .iter()
            .cloned()
            .chain(self.files.values().filter_map(|c| c.error.clone()))
            .collect()
    }
}

fn read_one(path: &Path, known: Option<u64>, options: &ParseOptions) -> Read {
    match source::read(path) {
        Ok(text) => {
            let hash = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
            if known == Some(hash) {
                Read::Unchanged
            } else {
                Read::Parsed(hash, Box::new(Post::parse(path, &text, options)))
            }
        }
        Err(diagnostic) => Read::Failed(diagnostic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "Title\n\nPosted on 2019-07-05 by Jane\n\nBody.\n";

    fn cache(dir: &Path) -> PostCache {
        PostCache::new(
            dir,
            ParseOptions {
                timezone: chrono_tz::Tz::UTC,
            },
        )
    }

    #[test]
    fn unchanged_files_are_not_reparsed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), GOOD).unwrap();
        let mut cache = cache(dir.path());
        assert_eq!(cache.refresh_all().unwrap().parsed, 1);
        let again = cache.refresh_all().unwrap();
        assert_eq!((again.parsed, again.unchanged), (0, 1));
        assert!(!again.changed());
    }

    #[test]
    fn a_broken_edit_keeps_the_last_good_post_until_fixed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, GOOD).unwrap();
        let mut cache = cache(dir.path());
        cache.refresh_all().unwrap();
        std::fs::write(&path, "Title\n\nPosted on someday by Jane\n").unwrap();
        cache.refresh_paths([&path]);
        assert_eq!(cache.posts().len(), 1, "last good version stays");
        assert_eq!(cache.posts()[0].title, "Title");
        assert_eq!(cache.diagnostics().len(), 1);
        std::fs::write(&path, GOOD.replace("Title", "Fixed")).unwrap();
        cache.refresh_paths([&path]);
        assert!(cache.diagnostics().is_empty());
        assert_eq!(cache.posts()[0].title, "Fixed");
    }

    #[test]
    fn removed_and_ignored_paths_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, GOOD).unwrap();
        let mut cache = cache(dir.path());
        cache.refresh_all().unwrap();
        std::fs::remove_file(&path).unwrap();
        let swap = dir.path().join(".a.txt.swp");
        std::fs::write(&swap, "junk").unwrap();
        let refresh = cache.refresh_paths([&path, &swap]);
        assert_eq!(refresh.removed, 1);
        assert!(cache.posts().is_empty());
        assert!(cache.diagnostics().is_empty());
    }
}
