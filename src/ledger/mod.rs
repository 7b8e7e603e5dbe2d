//! The id ledger's one home: the lock file (`feedd.lock` beside `config.toml`) that remembers the
//! id of every post, how it is found, read, checked and saved, and the matching rules that keep
//! a renamed post under its old id (`matching`).
//!
//! The ledger is site state that belongs with the sources, like `Cargo.lock`: both drivers read
//! it the same way, `feedd --once` and the daemon update it when posts appear, move or vanish,
//! and `--locked` (CI) only checks that it is current. The output folder never holds it.

mod lock_format;
mod lock_lines;
mod matching;

use std::fmt;
use std::path::{Path, PathBuf};

pub use matching::{Claim, IdLedger, Record};

use crate::atomic_file;
use crate::config::Config;
use crate::diagnostic::Diagnostic;

/// The lock file's default name, beside `config.toml`.
pub use crate::config::defaults::LOCK_FILE;

/// Where earlier versions kept the ledger by default: inside the output folder.
pub const LEGACY_LEDGER: &str = ".feedd-ids.json";

/// The lock file exists but cannot be used, or cannot be written.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct LedgerError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

/// The lock file of a site, as read when the driver started and as last saved.
#[derive(Debug)]
pub struct LockFile {
    path: PathBuf,
    /// What the file holds now (or is about to: see [`LockFile::stage`]); `None` while it does
    /// not exist.
    saved: Option<IdLedger>,
    /// A ledger of an earlier version that was read instead, removed once the lock is written.
    legacy: Option<PathBuf>,
}

impl LockFile {
    /// Reads the site's lock file. When it does not exist yet, the ledger of an earlier version
    /// is looked for (the old `id_ledger` file, or `.feedd-ids.json` in `output_dirs`) and used.
    pub fn open(config: &Config, output_dirs: &[&Path]) -> Result<LockFile, LedgerError> {
        let path = config.lock_file.clone();
        if let Some(saved) = read(&path)? {
            return Ok(LockFile {
                path,
                saved: Some(saved),
                legacy: None,
            });
        }
        let legacy_places = config
            .legacy_ledger
            .iter()
            .cloned()
            .chain(output_dirs.iter().map(|dir| dir.join(LEGACY_LEDGER)));
        for place in legacy_places {
            if read(&place)?.is_some() {
                return Ok(LockFile {
                    path,
                    saved: None,
                    legacy: Some(place),
                });
            }
        }
        Ok(LockFile {
            path,
            saved: None,
            legacy: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The ledger to resolve ids against: the lock file's, else an earlier version's, else empty.
    pub fn ledger(&self) -> Result<IdLedger, LedgerError> {
        match (&self.saved, &self.legacy) {
            (Some(saved), _) => Ok(saved.clone()),
            (None, Some(legacy)) => Ok(read(legacy)?.unwrap_or_default()),
            (None, None) => Ok(IdLedger::default()),
        }
    }

    /// Writes `next` when it differs from the file (and removes an earlier version's ledger),
    /// returning what changed; `None` when the file already says exactly this.
    pub fn save(&mut self, next: &IdLedger) -> Result<Option<Changes>, LedgerError> {
        self.stage(next)?.map(StagedLock::write).transpose()
    }

    /// `next`, to be written, and taken as written from now on: the daemon hands the write to a
    /// thread of its own, which tries again until it succeeds, and which also works out what
    /// changed and the file's text (at 100,000 posts that work is tens of milliseconds).
    /// `None` when the file already says exactly this.
    pub fn stage(&mut self, next: &IdLedger) -> Result<Option<StagedLock>, LedgerError> {
        // Cheap: the two share all but the records an edit touched, and equality skips what
        // they share.
        if self.saved.as_ref() == Some(next) && self.legacy.is_none() {
            return Ok(None);
        }
        let before = match (&self.saved, &self.legacy) {
            (Some(saved), _) => saved.clone(),
            (None, Some(legacy)) => read(legacy)?.unwrap_or_default(),
            (None, None) => IdLedger::default(),
        };
        // A copy of a persistent map: no record is copied.
        let next = next.clone();
        self.saved = Some(next.clone());
        Ok(Some(StagedLock {
            path: self.path.clone(),
            before,
            next,
            replaces: self.legacy.take(),
        }))
    }

    /// For `--locked`: every way in which `next` (what the sources resolve to) differs from the
    /// lock file, as problems that name the post and the fix.
    pub fn locked_problems(&self, next: &IdLedger, source_dir: &Path) -> Vec<Diagnostic> {
        let name = self.file_name();
        let fix = format!("run `feedd --once` locally and commit {name}");
        let Some(saved) = &self.saved else {
            let found = match &self.legacy {
                Some(legacy) => format!(" (ids of an earlier version are in {})", legacy.display()),
                None => String::new(),
            };
            return vec![Diagnostic::for_file(
                &self.path,
                format!("missing{found}: {fix}"),
            )];
        };
        let changes = Changes::between(saved, next);
        let mut problems = Vec::new();
        for key in &changes.added {
            problems.push(Diagnostic::for_file(
                source_dir.join(key),
                format!("this post is not in {name}: {fix}"),
            ));
        }
        for (from, to) in &changes.renamed {
            problems.push(Diagnostic::for_file(
                source_dir.join(to),
                format!("this post is {from} renamed, and {name} does not say so yet: {fix}"),
            ));
        }
        for key in &changes.removed {
            problems.push(Diagnostic::for_file(
                &self.path,
                format!("names {key}, which is gone: {fix}"),
            ));
        }
        for (key, old, new) in &changes.reassigned {
            problems.push(Diagnostic::for_file(
                source_dir.join(key),
                format!("gets id {new}, but {name} records {old}: {fix}"),
            ));
        }
        problems
    }

    fn file_name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// The ids a lock file is to hold, not yet written (see [`LockFile::stage`]).
#[derive(Debug)]
pub struct StagedLock {
    path: PathBuf,
    /// What the file held when this was staged: what the changes are reported against.
    before: IdLedger,
    next: IdLedger,
    /// An earlier version's ledger, removed once the lock file is written.
    replaces: Option<PathBuf>,
}

impl StagedLock {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This in place of `earlier`, which was never written: the changes are reported from what
    /// the file held before `earlier`, and the earlier version's ledger is still removed.
    pub fn after(mut self, earlier: StagedLock) -> StagedLock {
        self.before = earlier.before;
        self.replaces = self.replaces.or(earlier.replaces);
        self
    }

    /// Writes the file (atomically) and removes the earlier version's ledger it replaces;
    /// returns what changed. A failure leaves `self` as it was, to be tried again.
    pub fn try_write(&mut self) -> Result<Changes, LedgerError> {
        let text = lock_format::to_text(&self.next);
        atomic_file::write(&self.path, text.as_bytes()).map_err(|e| LedgerError {
            path: self.path.clone(),
            line: None,
            message: format!(
                "cannot write: {e}; ids of new and renamed posts are not remembered \
                 (set `lock_file` to a writable place)"
            ),
        })?;
        let mut changes = Changes::between(&self.before, &self.next);
        // Reported once: a later write of the same ids would report nothing new.
        self.before = self.next.clone();
        if let Some(legacy) = self.replaces.take() {
            if let Err(e) = std::fs::remove_file(&legacy) {
                tracing::warn!(
                    "cannot remove {}: {e}; it is no longer used",
                    legacy.display()
                );
            }
            changes.moved_from = Some(legacy);
        }
        Ok(changes)
    }

    /// [`StagedLock::try_write`] for a caller that does not try again.
    pub fn write(mut self) -> Result<Changes, LedgerError> {
        self.try_write()
    }
}

/// Reads a lock file (or an earlier version's ledger); `None` when there is no file.
fn read(path: &Path) -> Result<Option<IdLedger>, LedgerError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(LedgerError {
                path: path.to_path_buf(),
                line: None,
                message: format!("cannot read: {e}"),
            });
        }
    };
    lock_format::from_text(&text)
        .map(Some)
        .map_err(|e| LedgerError {
            path: path.to_path_buf(),
            line: Some(e.line),
            message: format!(
                "{}; fix it (or restore it from version control) — deleting it would give renamed posts new ids",
                e.message
            ),
        })
}

/// What a build changed in the ledger, post by post.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Posts recorded for the first time.
    pub added: Vec<String>,
    /// Posts that kept their id under a new file name: (old file, new file).
    pub renamed: Vec<(String, String)>,
    /// Files whose posts are gone.
    pub removed: Vec<String>,
    /// Files that kept their name but now carry another id: (file, old id, new id).
    pub reassigned: Vec<(String, String, String)>,
    /// Files whose title, date or body changed, same id.
    pub edited: usize,
    /// Where the ids were read from when they came from an earlier version's ledger.
    pub moved_from: Option<PathBuf>,
}

impl Changes {
    /// What changed from `before` to `after`, found by walking only what the two do not share
    /// (see [`IdLedger`]): an edit's changes cost the same at 100 posts as at 100,000.
    fn between(before: &IdLedger, after: &IdLedger) -> Changes {
        use imbl::ordmap::DiffItem;
        let mut changes = Changes::default();
        let mut gone: Vec<(&String, &str)> = Vec::new();
        let mut appeared: Vec<(&String, &str)> = Vec::new();
        for item in before.posts.diff(&after.posts) {
            match item {
                DiffItem::Update { old, new } if old.1.id != new.1.id => {
                    (changes.reassigned).push((new.0.clone(), old.1.id.clone(), new.1.id.clone()));
                }
                DiffItem::Update { .. } => changes.edited += 1,
                DiffItem::Add(key, record) => appeared.push((key, &record.id)),
                DiffItem::Remove(key, record) => gone.push((key, &record.id)),
            }
        }
        // A file gone and one new with its id: the post was renamed.
        let gone_by_id: std::collections::HashMap<&str, &String> =
            gone.iter().map(|(key, id)| (*id, *key)).collect();
        let mut renamed_from = std::collections::HashSet::new();
        for (key, id) in appeared {
            match gone_by_id.get(id) {
                Some(old_key) if renamed_from.insert(*old_key) => {
                    changes.renamed.push(((*old_key).clone(), key.clone()));
                }
                _ => changes.added.push(key.clone()),
            }
        }
        changes.removed = gone
            .into_iter()
            .filter(|(key, _)| !renamed_from.contains(key))
            .map(|(key, _)| key.clone())
            .collect();
        changes
    }

    /// Whether a reviewer needs to see this: anything but edits of posts already recorded.
    pub fn is_notable(&self) -> bool {
        !(self.added.is_empty()
            && self.renamed.is_empty()
            && self.removed.is_empty()
            && self.reassigned.is_empty())
            || self.moved_from.is_some()
    }
}

impl fmt::Display for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |n: usize, noun: &str| (n > 0).then(|| crate::wording::count(n, noun));
        let parts: Vec<String> = [
            count(self.added.len(), "new id"),
            count(self.renamed.len(), "rename"),
            count(self.removed.len(), "removed post"),
            count(self.reassigned.len(), "changed id"),
            count(self.edited, "edited post"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            f.write_str("recorded no change")?;
        } else {
            write!(f, "recorded {}", parts.join(", "))?;
        }
        if let Some(from) = &self.moved_from {
            write!(f, " (ids moved from {})", from.display())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
