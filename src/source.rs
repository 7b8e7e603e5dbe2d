//! The one place that finds and reads post files.
//!
//! Walks the source folder (subfolders included, symlinks followed with loop detection), skips
//! hidden files and editor leftovers, and returns each post file's path and text. It never
//! writes anything below the source folder.

use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostic::Diagnostic;
use crate::post::PostFormat;

/// The source folder itself cannot be read; nothing can be built.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("source folder {}: {source}; check `source_dir` in the config", path.display())]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
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
    /// Folders that could not be read (their posts would be missing).
    pub problems: Vec<Diagnostic>,
}

/// Lists every post file below `source_dir`.
///
/// Symlinks are followed; a symlink that leads back to one of its own ancestors is skipped with a
/// warning instead of being walked forever.
pub fn scan(source_dir: &Path) -> Result<Scan, SourceError> {
    let metadata = std::fs::metadata(source_dir).map_err(|source| SourceError::Folder {
        path: source_dir.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        return Err(SourceError::Folder {
            path: source_dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
        });
    }
    let mut scan = Scan::default();
    let walker = WalkDir::new(source_dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !e.file_type().is_dir()
                || !e.file_name().to_str().is_none_or(is_ignored_dir)
        });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) if err.loop_ancestor().is_some() => {
                let path = err.path().unwrap_or(source_dir);
                tracing::warn!("{}: symlink loop, skipped", path.display());
                continue;
            }
            Err(err) => {
                let path = err.path().unwrap_or(source_dir).to_path_buf();
                let message = err
                    .io_error()
                    .map_or_else(|| err.to_string(), |e| e.to_string());
                scan.problems.push(Diagnostic::for_file(
                    path,
                    format!("cannot read: {message}"),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(source_dir) else {
            continue;
        };
        if is_ignored(relative) {
            continue;
        }
        scan.files.push(SourceFile {
            relative: relative.to_path_buf(),
            absolute: entry.path().to_path_buf(),
        });
    }
    Ok(scan)
}

/// Reads one post file as UTF-8 text.
pub fn read(path: &Path) -> Result<String, Diagnostic> {
    let bytes =
        std::fs::read(path).map_err(|e| Diagnostic::for_file(path, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
        Diagnostic::at_line(
            path,
            line,
            format!("not valid UTF-8 (byte {offset}); save the file as UTF-8"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_reads_subfolders_skips_hidden_and_survives_symlink_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("2019/deep")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for f in [
            "a.md",
            "2019/b.txt",
            "2019/deep/c.markdown",
            ".git/d.md",
            "e.md.swp",
            "f.png",
        ] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        std::os::unix::fs::symlink(root, root.join("2019/loop")).unwrap();
        let scan = scan(root).unwrap();
        let mut found: Vec<_> = scan
            .files
            .iter()
            .map(|f| f.relative.to_str().unwrap())
            .collect();
        found.sort();
        assert_eq!(found, ["2019/b.txt", "2019/deep/c.markdown", "a.md"]);
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
    }

    #[test]
    fn missing_source_folder_is_an_error_naming_it() {
        let err = scan(Path::new("/nonexistent/feed-src"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/feed-src"), "{err}");
        assert!(err.contains("source_dir"), "{err}");
    }

    #[test]
    fn non_utf8_file_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"title\n\nbad \xff byte").unwrap();
        let d = read(&path).unwrap_err();
        assert_eq!(d.line, Some(3));
        assert!(d.message.contains("UTF-8"));
    }

    #[test]
    fn ignores_hidden_temp_and_foreign_files() {
        for ignored in [
            ".hidden.md",
            ".git/x.md",
            "drafts/.post.md.swp",
            "post.md~",
            ".#post.md",
            "#post.md#",
            "4913",
            "post.md.tmp",
            "image.png",
            "notes",
            "sub/.cache/x.txt",
        ] {
            assert!(
                is_ignored(Path::new(ignored)),
                "{ignored} should be ignored"
            );
        }
        for read in ["post.md", "2019-07-05-a.txt", "sub/dir/post.markdown"] {
            assert!(!is_ignored(Path::new(read)), "{read} should be read");
        }
    }
}
