//! Parsed posts kept per path, so a rebuild re-reads and re-parses only what changed.
//!
//! Each file keeps its latest parse result and its last good post: when an edit breaks a post, the
//! feed keeps the last good version and the error is reported until the file is fixed. The cache
//! reads files only through `source`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::post::{ParseOptions, Post};
use crate::source::{self, SourceError};

#[derive(Debug)]
struct Cached {
    /// The exact text last parsed, to skip re-parsing a file that was only touched or rewritten
    /// with the same bytes.
    text: Option<Arc<str>>,
    error: Option<Diagnostic>,
    last_good: Option<Arc<Post>>,
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

/// Every post file of the source folder, parsed, keyed by its path.
#[derive(Debug)]
pub struct PostCache {
    source_dir: PathBuf,
    options: ParseOptions,
    files: BTreeMap<PathBuf, Cached>,
    /// Problems of the folder itself (unreadable subfolders), from the last full scan.
    scan_problems: Vec<Diagnostic>,
}

impl PostCache {
    pub fn new(source_dir: &Path, options: ParseOptions) -> PostCache {
        PostCache {
            source_dir: source_dir.to_path_buf(),
            options,
            files: BTreeMap::new(),
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
        let present: BTreeSet<PathBuf> = scan.files.into_iter().map(|f| f.absolute).collect();
        let mut refresh = Refresh::default();
        let before = self.files.len();
        self.files.retain(|path, _| present.contains(path));
        refresh.removed = before - self.files.len();
        for path in present {
            self.reload(path, &mut refresh);
        }
        Ok(refresh)
    }

    /// Re-reads the given files (absolute paths below the source folder, as the watcher reports
    /// them); a path that no longer exists, or is not a post file, is forgotten.
    pub fn refresh_paths<'a>(&mut self, paths: impl IntoIterator<Item = &'a PathBuf>) -> Refresh {
        let mut refresh = Refresh::default();
        for path in paths {
            let is_post = path
                .strip_prefix(&self.source_dir)
                .is_ok_and(|relative| !source::is_ignored(relative));
            if is_post && path.is_file() {
                self.reload(path.clone(), &mut refresh);
            } else if self.files.remove(path).is_some() {
                refresh.removed += 1;
            }
        }
        refresh
    }

    fn reload(&mut self, path: PathBuf, refresh: &mut Refresh) {
        let text = source::read(&path);
        let cached = self.files.entry(path.clone()).or_insert(Cached {
            text: None,
            error: None,
            last_good: None,
        });
        match text {
            Ok(text) if cached.text.as_deref() == Some(text.as_str()) => refresh.unchanged += 1,
            Ok(text) => {
                refresh.parsed += 1;
                match Post::parse(&path, &text, &self.options) {
                    Ok(post) => {
                        cached.last_good = Some(Arc::new(post));
                        cached.error = None;
                    }
                    Err(diagnostic) => cached.error = Some(diagnostic),
                }
                cached.text = Some(text.into());
            }
            Err(diagnostic) => {
                refresh.parsed += 1;
                cached.text = None;
                cached.error = Some(diagnostic);
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

    /// Every current problem: unreadable folders and files that fail to parse.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.scan_problems
            .iter()
            .cloned()
            .chain(self.files.values().filter_map(|c| c.error.clone()))
            .collect()
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
