//! The one place that finds and reads post files.
//!
//! Walks the source folder (subfolders included, symlinks followed with loop detection), skips
//! hidden files and editor leftovers, and returns each post file's path and text. It never
//! writes anything below the source folder.

use std::path::{Component, Path, PathBuf};

use crate::post::PostFormat;

/// Whether a path (relative to the source folder) is one feedd never reads: hidden files and
/// folders, editor swap/backup/lock files, and files of other extensions.
pub fn is_ignored(relative: &Path) -> bool {
    let hidden_or_temp = relative.components().any(|c| match c {
        Component::Normal(name) => name.to_str().is_none_or(is_temp_name),
        _ => false,
    });
    hidden_or_temp || PostFormat::of(relative).is_none()
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

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(is_ignored(Path::new(ignored)), "{ignored} should be ignored");
        }
        for read in ["post.md", "2019-07-05-a.txt", "sub/dir/post.markdown"] {
            assert!(!is_ignored(Path::new(read)), "{read} should be read");
        }
    }
}
