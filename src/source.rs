//! The one place that finds and reads post files, and says what it could not read.
//!
//! Walks the source folder (subfolders included), skips hidden files and editor leftovers, and
//! returns each post file's path. What it cannot read, or must not read, is a typed
//! [`SourceProblem`], never an absence: a folder that cannot be listed is reported as such so the
//! cache keeps the posts below it, a symlink that leads out of the source folder is refused
//! unless the config allows it, and a file over `max_post_bytes` is refused before it is read.
//! It never writes anything below the source folder.

use std::cell::RefCell;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use walkdir::{DirEntry, WalkDir};

use crate::diagnostic::Diagnostic;
use crate::post::PostFormat;

/// The source folder itself cannot be read; nothing can be built.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    // `error`, not `source`: the message includes it, and a source would be printed twice.
    #[error("source folder {}: {error}; check `source_dir` in the config", path.display())]
    Folder {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl SourceError {
    /// The problem as a diagnostic on the folder, for `/healthz`.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            SourceError::Folder { path, error } => Diagnostic::for_file(
                path,
                format!(
                    "source folder unusable ({error}); still serving the last good documents until it is back"
                ),
            ),
        }
    }
}

/// Something below the source folder that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceProblem {
    /// A folder or file that exists but cannot be read (permissions, I/O error): the posts
    /// below it keep their last good version.
    #[error(
        "{}: cannot read: {reason}; its posts keep their last good version until the user feedd runs as can read it",
        path.display()
    )]
    Unreadable { path: PathBuf, reason: String },
    /// A symlink that resolves outside the source folder, refused by default.
    #[error(
        "{}: symlink to {} outside the source folder, refused; set `follow_symlinks_outside = true` in the config to publish it",
        link.display(), target.display()
    )]
    OutsideLink { link: PathBuf, target: PathBuf },
    #[error(
        "{}: {len} bytes is over `max_post_bytes = {limit}`; split the post or raise the limit in the config",
        path.display()
    )]
    TooLarge { path: PathBuf, len: u64, limit: u64 },
    #[error("{}:{line}: not valid UTF-8 (byte {offset}); save the file as UTF-8", path.display())]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        offset: usize,
    },
}

impl SourceProblem {
    pub fn path(&self) -> &Path {
        match self {
            SourceProblem::Unreadable { path, .. }
            | SourceProblem::TooLarge { path, .. }
            | SourceProblem::NotUtf8 { path, .. } => path,
            SourceProblem::OutsideLink { link, .. } => link,
        }
    }

    /// Whether the posts at or below [`SourceProblem::path`] keep their last good version: the
    /// file or folder is there but could not be read. A refused link or a file over the limit
    /// was read as far as needed and is not published.
    pub fn keeps_last_good(&self) -> bool {
        matches!(self, SourceProblem::Unreadable { .. })
    }
}

impl From<SourceProblem> for Diagnostic {
    fn from(problem: SourceProblem) -> Diagnostic {
        let line = match &problem {
            SourceProblem::NotUtf8 { line, .. } => Some(*line),
            _ => None,
        };
        let path = problem.path().to_path_buf();
        let full = problem.to_string();
        let prefix = match line {
            Some(line) => format!("{}:{line}: ", path.display()),
            None => format!("{}: ", path.display()),
        };
        let message = full.strip_prefix(&prefix).unwrap_or(&full).to_string();
        Diagnostic::new(path, line, message)
    }
}

/// How the source folder may be read; from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Publish files that symlinks below the source folder lead to outside it.
    pub follow_symlinks_outside: bool,
    /// Larger post files are refused unread.
    pub max_post_bytes: u64,
}

/// Whether a path (relative to the source folder) is one feedd never reads: hidden files and
/// folders, editor swap/backup/lock files, and files of other extensions.
pub fn is_ignored(relative: &Path) -> bool {
    let hidden_or_temp = relative.components().any(|c| match c {
        Component::Normal(name) => name.to_str().is_none_or(is_temp_name),
        _ => false,
    });
    hidden_or_temp || PostFormat::of(relative).is_none()
}

/// Whether a folder is one feedd does not descend into (hidden folders such as `.git`).
fn is_ignored_dir(name: &str) -> bool {
    is_temp_name(name)
}

/// Names that editors and tools use for temporary files while saving.
fn is_temp_name(name: &str) -> bool {
    name.starts_with('.')          // hidden, vim .x.swp, emacs .#lock
        || name.starts_with('#')   // emacs auto-save #x#
        || name.ends_with('~')     // backups
        || name == "4913"          // vim's write-permission probe
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.ends_with(".part")
        || name.ends_with(".bak")
        || name.ends_with(".orig")
}

/// A post file found below the source folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Relative to the source folder.
    pub relative: PathBuf,
    pub absolute: PathBuf,
}

/// What a scan of the source folder found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Post files, in no particular order.
    pub files: Vec<SourceFile>,
    /// What could not or must not be read.
    pub problems: Vec<SourceProblem>,
}

impl Scan {
    /// Folders and files whose posts keep their last good version: they could not be read, so
    /// what is below them is unknown, not gone.
    pub fn unreadable(&self) -> impl Iterator<Item = &Path> {
        self.problems
            .iter()
            .filter(|p| p.keeps_last_good())
            .map(SourceProblem::path)
    }
}

/// What one path below the source folder is now, as a watcher event names it.
#[derive(Debug)]
pub enum Entry {
    /// A post file to read.
    Post,
    /// Not there (or not a post file any more): its post goes.
    Gone,
    /// There but not to be read: see [`SourceProblem::keeps_last_good`].
    Problem(SourceProblem),
}

/// The source folder and the rules for reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    root: PathBuf,
    policy: Policy,
}

impl Source {
    pub fn new(root: &Path, policy: Policy) -> Source {
        Source {
            root: root.to_path_buf(),
            policy,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Lists every post file below the source folder, and what could not be listed or read.
    ///
    /// Symlinks are followed within the rules; a symlink that leads back to one of its own
    /// ancestors is skipped with a warning instead of being walked forever.
    pub fn scan(&self) -> Result<Scan, SourceError> {
        let folder_error = |error| SourceError::Folder {
            path: self.root.clone(),
            error,
        };
        let metadata = std::fs::metadata(&self.root).map_err(folder_error)?;
        if !metadata.is_dir() {
            return Err(folder_error(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a folder",
            )));
        }
        let canonical = std::fs::canonicalize(&self.root).map_err(folder_error)?;
        let refused = RefCell::new(Vec::new());
        let mut scan = Scan::default();
        let walker = WalkDir::new(&self.root)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| self.admit(e, &canonical, &refused));
        for entry in walker {
            match entry {
                Ok(entry) => self.found(&entry, &mut scan),
                Err(err) => self.failed(&err, &mut scan),
            }
        }
        scan.problems.extend(refused.into_inner());
        Ok(scan)
    }

    /// Whether the walk goes into or reports `entry`; a refused link is recorded in `refused`.
    fn admit(
        &self,
        entry: &DirEntry,
        canonical_root: &Path,
        refused: &RefCell<Vec<SourceProblem>>,
    ) -> bool {
        if entry.depth() == 0 {
            return true;
        }
        let is_dir = entry.file_type().is_dir();
        if is_dir && entry.file_name().to_str().is_none_or(is_ignored_dir) {
            return false;
        }
        if !entry.path_is_symlink() || !is_dir && self.ignored(entry.path()) {
            return true;
        }
        match self.check_link(entry.path(), canonical_root) {
            Ok(()) => true,
            Err(problem) => {
                refused.borrow_mut().push(problem);
                false
            }
        }
    }

    fn found(&self, entry: &DirEntry, scan: &mut Scan) {
        if !entry.file_type().is_file() {
            return;
        }
        let Ok(relative) = entry.path().strip_prefix(&self.root) else {
            return;
        };
        if is_ignored(relative) {
            return;
        }
        scan.files.push(SourceFile {
            relative: relative.to_path_buf(),
            absolute: entry.path().to_path_buf(),
        });
    }

    fn failed(&self, err: &walkdir::Error, scan: &mut Scan) {
        let path = err.path().unwrap_or(&self.root);
        if err.loop_ancestor().is_some() {
            tracing::warn!("{}: symlink loop, skipped", path.display());
            return;
        }
        let io = err.io_error();
        // A dangling link named like an editor leftover or an image is none of our business.
        if io.is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) && self.ignored(path) {
            return;
        }
        let reason = io.map_or_else(|| err.to_string(), ToString::to_string);
        scan.problems.push(SourceProblem::Unreadable {
            path: path.to_path_buf(),
            reason,
        });
    }

    fn ignored(&self, path: &Path) -> bool {
        path.strip_prefix(&self.root).is_ok_and(is_ignored)
    }

    /// Refuses `path` when it resolves outside the source folder, unless the policy allows it.
    fn check_link(&self, path: &Path, canonical_root: &Path) -> Result<(), SourceProblem> {
        if self.policy.follow_symlinks_outside {
            return Ok(());
        }
        let target = std::fs::canonicalize(path).map_err(|e| SourceProblem::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if target.starts_with(canonical_root) {
            Ok(())
        } else {
            Err(SourceProblem::OutsideLink {
                link: path.to_path_buf(),
                target,
            })
        }
    }

    /// What `path` (absolute, as the watcher reports it) is now: a post file to read, gone, or
    /// a problem. Only a path that is really not there is [`Entry::Gone`].
    pub fn inspect(&self, path: &Path) -> Entry {
        if !path.starts_with(&self.root) || self.ignored(path) {
            return Entry::Gone;
        }
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.is_file() => {}
            Ok(_) => return Entry::Gone,
            Err(e) if is_absent(&e) => return Entry::Gone,
            Err(e) => {
                return Entry::Problem(SourceProblem::Unreadable {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        }
        if self.policy.follow_symlinks_outside {
            return Entry::Post;
        }
        let checked = std::fs::canonicalize(&self.root)
            .map_err(|e| SourceProblem::Unreadable {
                path: self.root.clone(),
                reason: e.to_string(),
            })
            .and_then(|root| self.check_link(path, &root));
        match checked {
            Ok(()) => Entry::Post,
            Err(problem) => Entry::Problem(problem),
        }
    }

    /// Reads one post file as UTF-8 text; a file over `max_post_bytes` is refused after a
    /// `stat`, and never more than the limit plus one byte is read (it may grow meanwhile).
    pub fn read(&self, path: &Path) -> Result<String, SourceProblem> {
        let mut bytes = Vec::new();
        self.read_into(path, &mut bytes)?;
        // `read_into` checked that the bytes are UTF-8.
        String::from_utf8(bytes).map_err(|e| not_utf8(path, e.as_bytes(), e.utf8_error()))
    }

    /// Reads one post file into `buffer` (replacing what it held), as [`Source::read`] does, and
    /// returns its text with what `fstat` said of the open file before it was read. A scan over
    /// every post reuses one buffer per thread instead of allocating one per file, and needs no
    /// second `stat` to know the file's stamp.
    pub fn read_into<'b>(
        &self,
        path: &Path,
        buffer: &'b mut Vec<u8>,
    ) -> Result<(&'b str, std::fs::Metadata), SourceProblem> {
        let unreadable = |e: std::io::Error| SourceProblem::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let limit = self.policy.max_post_bytes;
        let too_large = |len| SourceProblem::TooLarge {
            path: path.to_path_buf(),
            len,
            limit,
        };
        let file = std::fs::File::open(path).map_err(unreadable)?;
        let metadata = file.metadata().map_err(unreadable)?;
        if metadata.len() > limit {
            return Err(too_large(metadata.len()));
        }
        buffer.clear();
        buffer.reserve(usize::try_from(metadata.len()).unwrap_or(0));
        file.take(limit.saturating_add(1))
            .read_to_end(buffer)
            .map_err(unreadable)?;
        if buffer.len() as u64 > limit {
            return Err(too_large(buffer.len() as u64));
        }
        match std::str::from_utf8(buffer) {
            Ok(text) => Ok((text, metadata)),
            Err(error) => Err(not_utf8(path, buffer, error)),
        }
    }
}

/// Whether a `stat` error means the path is not there (rather than not readable).
fn is_absent(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

fn not_utf8(path: &Path, bytes: &[u8], error: std::str::Utf8Error) -> SourceProblem {
    let offset = error.valid_up_to();
    let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
    SourceProblem::NotUtf8 {
        path: path.to_path_buf(),
        line,
        offset,
    }
}

#[cfg(test)]
mod tests;
