//! Files that readers never see half-written: every write goes to a temporary file in the target's
//! own folder (so the rename cannot cross filesystems), is flushed to disk, and is renamed over
//! the old file only when complete.
//!
//! Two shapes: [`write`] replaces one file; [`Staged`] holds a finished temporary file until the
//! caller decides to [`Staged::commit`] it, so a set of files can be written in full first and
//! put in place only when every one of them succeeded (`output` does that for a set of
//! documents). A staged file that is dropped without being committed is deleted. A set is
//! flushed with one [`sync_all`] before any of it is renamed: the files' flushes then overlap,
//! where one `fsync` after another waits for the disk once per file.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use tempfile::TempPath;

/// The prefix of every temporary file; also how stale ones are recognised.
pub const TEMP_PREFIX: &str = ".feedd-";

/// How many flushes [`sync_all`] keeps in flight: enough to keep a disk's queue full, few
/// enough that a set of thousands of files does not start thousands of threads.
const SYNCS_IN_FLIGHT: usize = 16;

/// A complete temporary file waiting to be renamed to `dest`.
#[derive(Debug)]
pub struct Staged {
    temp: TempPath,
    dest: PathBuf,
}

impl Staged {
    /// Writes `bytes` beside `dest`, not yet flushed to disk (see [`sync_all`]); `dest` itself
    /// is untouched.
    pub fn new(dest: &Path, bytes: &[u8]) -> std::io::Result<Staged> {
        let folder = parent(dest);
        let mut file = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(".tmp")
            .tempfile_in(folder)
            .map_err(without_temp_path)?;
        file.write_all(bytes)?;
        set_readable(file.as_file())?;
        Ok(Staged {
            temp: file.into_temp_path(),
            dest: dest.to_path_buf(),
        })
    }

    /// Copies `source` beside `dest` in chunks (never whole in memory), not yet flushed, and
    /// returns the xxh3-128 hash of the bytes copied (an [`crate::etag::ETag`]'s) and how many
    /// there were. What the source held while it was read is what is copied: a caller that must
    /// not copy a file being written compares its metadata before and after.
    pub fn copy(source: &Path, dest: &Path) -> std::io::Result<(Staged, Copied)> {
        let mut input = std::fs::File::open(source)?;
        let mut file = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(".tmp")
            .tempfile_in(parent(dest))
            .map_err(without_temp_path)?;
        let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
        let mut chunk = vec![0; COPY_CHUNK];
        let mut length = 0u64;
        loop {
            let read = match input.read(&mut chunk) {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&chunk[..read]);
            file.write_all(&chunk[..read])?;
            length += read as u64;
        }
        set_readable(file.as_file())?;
        let staged = Staged {
            temp: file.into_temp_path(),
            dest: dest.to_path_buf(),
        };
        let hash = hasher.digest128();
        Ok((staged, Copied { hash, length }))
    }

    /// The same temporary file, to be renamed to `dest` instead (in the same folder: a rename
    /// cannot cross filesystems).
    pub fn with_dest(self, dest: PathBuf) -> Staged {
        Staged { dest, ..self }
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// The temporary file, to flush it.
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// Renames the file into place; it must have been flushed first ([`sync_all`]). The folder
    /// is not synced here: callers that commit many files sync each folder once afterwards
    /// ([`sync_all`] again).
    pub fn commit(self) -> std::io::Result<()> {
        self.temp.persist(&self.dest).map_err(|e| e.error)
    }
}

/// What [`Staged::copy`] copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// xxh3-128 of the bytes.
    pub hash: u128,
    pub length: u64,
}

/// How much of a file [`Staged::copy`] holds at once.
const COPY_CHUNK: usize = 256 * 1024;

/// Replaces `path` with `bytes` atomically and durably, creating its folder if needed.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(parent(path))?;
    let staged = Staged::new(path, bytes)?;
    sync_all(&[staged.temp()]).map_err(|(_, error)| error)?;
    staged.commit()?;
    sync_all(&[parent(path)]).map_err(|(_, error)| error)
}

/// Flushes files or folders to disk, several at a time, and waits for all of them. On failure it
/// returns a path that failed; the others may or may not have been flushed.
pub fn sync_all<P: AsRef<Path> + Sync>(paths: &[P]) -> Result<(), (PathBuf, std::io::Error)> {
    let next = AtomicUsize::new(0);
    let flush = || -> Result<(), (PathBuf, std::io::Error)> {
        while let Some(path) = paths.get(next.fetch_add(1, Ordering::Relaxed)) {
            let path = path.as_ref();
            sync_one(path).map_err(|error| (path.to_path_buf(), error))?;
        }
        Ok(())
    };
    let threads = paths.len().clamp(1, SYNCS_IN_FLIGHT);
    std::thread::scope(|scope| {
        // A thread that cannot be started leaves its share to the others.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, flush).ok())
            .collect();
        let mine = flush();
        helpers
            .into_iter()
            .map(|helper| {
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .fold(mine, Result::and)
    })
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

/// Makes `path` survive a crash: a file's bytes, or a folder's renames and removals. Any open
/// descriptor flushes the file, so it is opened read-only.
fn sync_one(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
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
    fn sync_all_flushes_every_path_and_names_one_that_failed() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths: Vec<PathBuf> = (0..40)
            .map(|i| {
                let path = dir.path().join(format!("{i}.xml"));
                std::fs::write(&path, "x").unwrap();
                path
            })
            .collect();
        paths.push(dir.path().to_path_buf());
        assert!(sync_all(&paths).is_ok());
        assert!(sync_all::<&Path>(&[]).is_ok(), "nothing to flush");
        let missing = dir.path().join("missing.xml");
        paths.insert(7, missing.clone());
        let (path, error) = sync_all(&paths).unwrap_err();
        assert_eq!(
            (path, error.kind()),
            (missing, std::io::ErrorKind::NotFound)
        );
    }

    #[test]
    fn a_copy_is_staged_with_the_hash_an_etag_of_its_bytes_has() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("episode.mp3");
        let bytes: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&source, &bytes).unwrap();
        let dest = dir.path().join("copy.mp3");
        let (staged, copied) = Staged::copy(&source, &dest).unwrap();
        assert_eq!(copied.length, 700_000);
        assert_eq!(
            crate::etag::ETag::from_hash(copied.hash),
            crate::etag::ETag::of(&bytes)
        );
        assert!(!dest.exists());
        let elsewhere = dir.path().join("elsewhere.mp3");
        staged.with_dest(elsewhere.clone()).commit().unwrap();
        assert_eq!(std::fs::read(&elsewhere).unwrap(), bytes);
        assert_eq!(names(dir.path()), ["elsewhere.mp3", "episode.mp3"]);
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
