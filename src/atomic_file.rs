//! Files that readers never see half-written: every write goes to a temporary file in the target's
//! own folder (so the rename cannot cross filesystems), is flushed to disk, and is renamed over
//! the old file only when complete.
//!
//! Two shapes: [`write`] replaces one file; [`Staged`] holds a finished temporary file until the
//! caller decides to [`Staged::commit`] it, so a set of files can be written in full first and
//! put in place only when every one of them succeeded (`output` does that for a set of
//! documents). A staged file that is dropped without being committed is deleted.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::TempPath;

/// The prefix of every temporary file; also how stale ones are recognised.
pub const TEMP_PREFIX: &str = ".feedd-";

/// A complete, synced temporary file waiting to be renamed to `dest`.
#[derive(Debug)]
pub struct Staged {
    temp: TempPath,
    dest: PathBuf,
}

impl Staged {
    /// Writes `bytes` beside `dest` and syncs them; `dest` itself is untouched.
    pub fn new(dest: &Path, bytes: &[u8]) -> std::io::Result<Staged> {
        let folder = parent(dest);
        let mut file = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(".tmp")
            .tempfile_in(folder)
            .map_err(without_temp_path)?;
        file.write_all(bytes)?;
        file.as_file().sync_all()?;
        set_readable(file.as_file())?;
        Ok(Staged {
            temp: file.into_temp_path(),
            dest: dest.to_path_buf(),
        })
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Renames the file into place. The folder is not synced here: callers that commit many
    /// files sync each folder once afterwards ([`sync_folder`]).
    pub fn commit(self) -> std::io::Result<()> {
        self.temp.persist(&self.dest).map_err(|e| e.error)
    }
}

/// Replaces `path` with `bytes` atomically and durably, creating its folder if needed.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(parent(path))?;
    Staged::new(path, bytes)?.commit()?;
    sync_folder(parent(path))
}

/// tempfile names its random file in errors ("… at path \".feedd-x1Y2.tmp\"") and keeps the OS
/// error out of reach; callers name the destination instead, and a message that is the same each
/// time can be reported once.
fn without_temp_path(error: std::io::Error) -> std::io::Error {
    let text = error.to_string();
    match text.split_once(" at path ") {
        Some((message, _)) => std::io::Error::new(error.kind(), message.to_string()),
        None => error,
    }
}

/// Makes renames and removals in `folder` survive a crash.
pub fn sync_folder(folder: &Path) -> std::io::Result<()> {
    std::fs::File::open(folder)?.sync_all()
}

/// The folder `path` is in (`.` for a bare file name).
pub fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Temporary files are created 0600; published documents are meant to be read by a web server.
fn set_readable(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_staged_file_is_invisible_until_committed_and_gone_if_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.xml");
        std::fs::write(&dest, "old").unwrap();
        let staged = Staged::new(&dest, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "old");
        staged.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new");
        drop(Staged::new(&dest, b"newer").unwrap());
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new");
        assert_eq!(names(dir.path()), ["a.xml"], "no temporary file is left");
    }

    #[test]
    fn errors_do_not_name_the_random_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Staged::new(&dir.path().join("missing/a.xml"), b"x").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(!err.to_string().contains(TEMP_PREFIX), "{err}");
    }

    #[test]
    fn write_creates_the_folder_and_leaves_a_readable_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x/y/z.txt");
        write(&path, b"hello").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
}
