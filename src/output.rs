//! Writes documents into an output folder so that no reader ever sees a half-written file, nor a
//! mix of old and new documents.
//!
//! All or nothing: every changed document is first written in full to a temporary file beside
//! its destination and synced; only when all of them succeeded are they renamed into place. On
//! any failure (a full disk, a read-only folder) the temporary files are removed and the folder
//! is left exactly as it was. Files whose bytes did not change are left alone (their mtime too,
//! so static hosts and rsync see no change). Files feedd wrote before and no longer produces (a
//! tag that went away) are removed; the list of what feedd wrote is kept in the state folder
//! (never in the output folder, which holds only what is published), so files that other tools
//! put in the same folder are never touched. The media files the documents link to are copied
//! beside them under the same rules (`media`).

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use crate::atomic_file::{self, Staged};
use crate::render::Document;

mod media;

pub use media::{CopyError, copy_whole, stamp};

/// Where earlier versions kept the list of written files, inside the output folder itself.
const LEGACY_MANIFEST: &str = ".feedd-manifest";

/// Why the output folder could not be brought up to date. Unless said otherwise, the folder was
/// left as it was.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("output folder {}: is a file, not a folder; point --out or `output_dir` at a folder", path.display())]
    NotAFolder { path: PathBuf },
    #[error(
        "output folder {} is inside the source folder {}: its documents would be read back as posts; choose a folder outside it",
        dir.display(), source_dir.display()
    )]
    InsideSource { dir: PathBuf, source_dir: PathBuf },
    // `error`, not `source`: the message includes it, and a source would be printed twice.
    #[error("cannot write {}: {error}; the previous documents were left as they were", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}; the previous files were left as they were")]
    Media(CopyError),
    #[error("cannot {what} {}: {error}", path.display())]
    Tidy {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
}

/// What a write changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: usize,
    pub removed: Vec<String>,
}

/// An output folder checked for use, with the place its list of written files is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFolder {
    dir: PathBuf,
    manifest: PathBuf,
}

impl OutputFolder {
    /// Refuses a folder that is a file or lies inside `source_dir`, before anything is written.
    /// The manifest lives in `state_dir`, named after the folder, so several output folders
    /// (`--out`) keep separate lists.
    pub fn open(dir: &Path, source_dir: &Path, state_dir: &Path) -> Result<Self, OutputError> {
        if dir.exists() && !dir.is_dir() {
            return Err(OutputError::NotAFolder {
                path: dir.to_path_buf(),
            });
        }
        let resolved = resolve(dir);
        let source = resolve(source_dir);
        if resolved.starts_with(&source) {
            return Err(OutputError::InsideSource {
                dir: dir.to_path_buf(),
                source_dir: source_dir.to_path_buf(),
            });
        }
        let key = xxhash_rust::xxh3::xxh3_64(resolved.as_os_str().as_encoded_bytes());
        Ok(OutputFolder {
            dir: dir.to_path_buf(),
            manifest: state_dir.join(format!("output-{key:016x}.manifest")),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Brings the folder in line with `documents`: all changed documents or none. Every staged
    /// file is flushed before the first rename, and the folders after the last.
    pub fn write(&self, documents: &[Document]) -> Result<WriteReport, OutputError> {
        let mut report = WriteReport::default();
        let staged = self.stage(documents, &mut report)?;
        let temps: Vec<&Path> = staged.iter().map(Staged::temp).collect();
        atomic_file::sync_all(&temps).map_err(|(temp, error)| {
            let dest = staged.iter().find(|s| s.temp() == temp).map(Staged::dest);
            OutputError::Write {
                path: dest.unwrap_or(&self.dir).to_path_buf(),
                error,
            }
        })?;
        let mut folders = BTreeSet::new();
        for file in staged {
            folders.insert(atomic_file::parent(file.dest()).to_path_buf());
            let dest = file.dest().to_path_buf();
            file.commit()
                .map_err(|error| OutputError::Write { path: dest, error })?;
        }
        let folders: Vec<PathBuf> = folders.into_iter().collect();
        atomic_file::sync_all(&folders).map_err(|(path, error)| OutputError::Tidy {
            what: "sync",
            path,
            error,
        })?;
        let current: BTreeSet<&str> = documents.iter().map(|d| d.path.as_str()).collect();
        self.remove_stale(&current, &mut report)?;
        Ok(report)
    }

    /// Writes every changed document to a temporary file. On failure the staged files are
    /// dropped (deleted), and so are the folders made for them.
    fn stage(
        &self,
        documents: &[Document],
        report: &mut WriteReport,
    ) -> Result<Vec<Staged>, OutputError> {
        let mut staged = Vec::new();
        let mut made = Vec::new();
        let result = documents.iter().try_for_each(|document| {
            let path = self.dir.join(&document.path);
            if std::fs::read(&path).is_ok_and(|old| old == document.body) {
                report.unchanged += 1;
                return Ok(());
            }
            let folder = atomic_file::parent(&path);
            if !folder.is_dir() {
                made.push(path.clone());
            }
            std::fs::create_dir_all(folder)
                .and_then(|()| Staged::new(&path, &document.body))
                .map(|file| staged.push(file))
                .map_err(|error| OutputError::Write {
                    path: path.clone(),
                    error,
                })?;
            report.written.push(document.path.clone());
            Ok(())
        });
        if let Err(error) = result {
            drop(staged);
            for path in made {
                remove_empty_parents(&self.dir, &path);
            }
            return Err(error);
        }
        Ok(staged)
    }

    /// Removes the files `previous` (a manifest's text: one path a line) lists that `current`
    /// does not, then records `current` in `manifest` (`recording` says what, for the error). Paths that are not plainly below the
    /// folder are never touched, whatever a damaged manifest says.
    fn retire(
        &self,
        previous: &str,
        current: &BTreeSet<&str>,
        manifest: &Path,
        recording: &'static str,
        report: &mut WriteReport,
    ) -> Result<(), OutputError> {
        let tidy = |what: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |error| OutputError::Tidy { what, path, error }
        };
        for stale in previous
            .lines()
            .filter(|p| is_safe_relative(p) && !current.contains(p))
        {
            let path = self.dir.join(stale);
            match std::fs::remove_file(&path) {
                Ok(()) => report.removed.push(stale.to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(tidy("remove", &path)(e)),
            }
            remove_empty_parents(&self.dir, &path);
        }
        let listing: String = current.iter().map(|p| format!("{p}\n")).collect();
        if std::fs::read_to_string(manifest).ok().as_ref() != Some(&listing) {
            atomic_file::write(manifest, listing.as_bytes()).map_err(tidy(recording, manifest))?;
        }
        Ok(())
    }

    /// Removes documents listed in the last manifest that are no longer produced, then records
    /// the current list.
    fn remove_stale(
        &self,
        current: &BTreeSet<&str>,
        report: &mut WriteReport,
    ) -> Result<(), OutputError> {
        let tidy = |what: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |error| OutputError::Tidy { what, path, error }
        };
        let legacy = self.dir.join(LEGACY_MANIFEST);
        let previous = std::fs::read_to_string(&self.manifest)
            .or_else(|_| std::fs::read_to_string(&legacy))
            .unwrap_or_default();
        self.retire(
            &previous,
            current,
            &self.manifest,
            "record the documents in",
            report,
        )?;
        if legacy.exists() {
            std::fs::remove_file(&legacy).map_err(tidy("remove", &legacy))?;
            tracing::info!(
                "moved the list of written documents from {} to {}",
                legacy.display(),
                self.manifest.display()
            );
        }
        Ok(())
    }
}

/// `path` with symbolic links and `..` resolved as far as it exists, so that two spellings of
/// one folder compare equal even before the folder is created.
fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |p, c| p.join(c));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// Manifest lines are only trusted when they stay inside the output folder.
fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut folder = file.parent();
    while let Some(dir) = folder {
        if dir == root || !dir.starts_with(root) || std::fs::remove_dir(dir).is_err() {
            break;
        }
        folder = dir.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etag::ETag;
    use crate::format::{DocumentKind, Format};
    use chrono::DateTime;

    fn doc(path: &str, body: &str) -> Document {
        Document {
            path: path.into(),
            kind: DocumentKind::Feed(Format::Atom),
            body: body.as_bytes().to_vec().into(),
            etag: ETag::from_opaque("x"),
            last_modified: DateTime::UNIX_EPOCH,
            lifetime: crate::render::Lifetime::Current,
        }
    }

    struct Scratch {
        root: tempfile::TempDir,
    }

    impl Scratch {
        fn new() -> Scratch {
            let root = tempfile::tempdir().unwrap();
            std::fs::create_dir(root.path().join("src")).unwrap();
            Scratch { root }
        }
        fn out(&self) -> PathBuf {
            self.root.path().join("out")
        }
        fn folder(&self) -> OutputFolder {
            let root = self.root.path();
            OutputFolder::open(&self.out(), &root.join("src"), &root.join("state")).unwrap()
        }
        fn listing(&self) -> Vec<String> {
            let mut names: Vec<String> = walkdir::WalkDir::new(self.out())
                .min_depth(1)
                .into_iter()
                .map(|e| {
                    let e = e.unwrap();
                    e.path()
                        .strip_prefix(self.out())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            names.sort();
            names
        }
    }

    #[test]
    fn writes_then_skips_unchanged_files() {
        let scratch = Scratch::new();
        let docs = [doc("atom.xml", "a"), doc("tags/x/atom.xml", "b")];
        let first = scratch.folder().write(&docs).unwrap();
        assert_eq!(first.written, ["atom.xml", "tags/x/atom.xml"]);
        let read = |p: &str| std::fs::read_to_string(scratch.out().join(p)).unwrap();
        assert_eq!(read("tags/x/atom.xml"), "b");
        let mtime = || {
            std::fs::metadata(scratch.out().join("atom.xml"))
                .unwrap()
                .modified()
                .unwrap()
        };
        let before = mtime();
        let second = scratch.folder().write(&docs).unwrap();
        assert!(second.written.is_empty());
        assert_eq!(second.unchanged, 2);
        assert_eq!(before, mtime());
    }

    #[test]
    fn stale_documents_are_removed_but_foreign_files_stay() {
        let scratch = Scratch::new();
        std::fs::create_dir_all(scratch.out()).unwrap();
        std::fs::write(scratch.out().join("index.html"), "not ours").unwrap();
        let folder = scratch.folder();
        folder
            .write(&[doc("atom.xml", "a"), doc("tags/x/atom.xml", "b")])
            .unwrap();
        let report = folder.write(&[doc("atom.xml", "a2")]).unwrap();
        assert_eq!(report.removed, ["tags/x/atom.xml"]);
        assert_eq!(
            scratch.listing(),
            ["atom.xml", "index.html"],
            "empty tag folders go too, and nothing but documents is in the folder"
        );
    }

    #[test]
    fn a_failed_write_leaves_the_previous_set_exactly_as_it_was() {
        let scratch = Scratch::new();
        let folder = scratch.folder();
        folder
            .write(&[doc("a.xml", "old a"), doc("b.xml", "old b")])
            .unwrap();
        // A folder where a document's folder must go makes its write fail after `a.xml` staged.
        std::fs::write(scratch.out().join("tags"), "a file in the way").unwrap();
        let err = folder
            .write(&[
                doc("a.xml", "new a"),
                doc("tags/x/b.xml", "new b"),
                doc("b.xml", "new b"),
            ])
            .unwrap_err();
        assert!(matches!(err, OutputError::Write { .. }), "{err}");
        assert!(err.to_string().contains("tags/x/b.xml"), "{err}");
        let read = |p: &str| std::fs::read_to_string(scratch.out().join(p)).unwrap();
        assert_eq!(
            (read("a.xml"), read("b.xml")),
            ("old a".into(), "old b".into())
        );
        assert_eq!(scratch.listing(), ["a.xml", "b.xml", "tags"]);
    }

    #[test]
    fn a_file_or_a_folder_inside_the_sources_is_refused() {
        let scratch = Scratch::new();
        let root = scratch.root.path();
        let (src, state) = (root.join("src"), root.join("state"));
        std::fs::write(root.join("file"), "").unwrap();
        let err = OutputFolder::open(&root.join("file"), &src, &state).unwrap_err();
        assert!(matches!(err, OutputError::NotAFolder { .. }), "{err}");
        for inside in [src.clone(), src.join("public"), root.join("src/../src/x/y")] {
            let err = OutputFolder::open(&inside, &src, &state).unwrap_err();
            assert!(matches!(err, OutputError::InsideSource { .. }), "{err}");
        }
        assert!(OutputFolder::open(&root.join("srcfoo"), &src, &state).is_ok());
    }

    #[test]
    fn a_legacy_manifest_in_the_output_folder_is_used_then_removed() {
        let scratch = Scratch::new();
        std::fs::create_dir_all(scratch.out().join("tags/old")).unwrap();
        std::fs::write(scratch.out().join("tags/old/atom.xml"), "x").unwrap();
        std::fs::write(
            scratch.out().join(LEGACY_MANIFEST),
            "atom.xml\ntags/old/atom.xml\n",
        )
        .unwrap();
        let report = scratch.folder().write(&[doc("atom.xml", "a")]).unwrap();
        assert_eq!(report.removed, ["tags/old/atom.xml"]);
        assert_eq!(scratch.listing(), ["atom.xml"]);
    }

    #[test]
    fn manifest_lines_cannot_escape_the_folder() {
        assert!(!is_safe_relative("../etc/passwd"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(is_safe_relative("tags/x/atom.xml"));
    }
}
