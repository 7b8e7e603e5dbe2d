//! Writes documents into an output folder so that no reader ever sees a half-written file.
//!
//! Each file is written to a temporary file in its own folder, flushed to disk, then renamed over
//! the old one. Files whose bytes did not change are left alone (their mtime too, so static hosts
//! and rsync see no change). Files feedd wrote before and no longer produces (a tag that went
//! away) are removed; the list of what feedd wrote is kept in `.feedd-manifest`, so files that
//! other tools put in the same folder are never touched.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::feed::IdLedger;
use crate::render::Document;

/// The list of files feedd wrote in the last run, one path per line.
pub const MANIFEST: &str = ".feedd-manifest";

/// The default name of the id ledger (see `feed::IdLedger`) in the output folder.
pub const LEDGER: &str = ".feedd-ids.json";

/// The id ledger file exists but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("id ledger {}: {message}; fix it or delete it to start afresh (renamed posts would then get new ids)", path.display())]
pub struct LedgerError {
    pub path: PathBuf,
    pub message: String,
}

/// Reads the id ledger; a missing file is an empty ledger.
pub fn read_ledger(path: &Path) -> Result<IdLedger, LedgerError> {
    let error = |message: String| LedgerError {
        path: path.to_path_buf(),
        message,
    };
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| error(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IdLedger::default()),
        Err(e) => Err(error(e.to_string())),
    }
}

/// Saves the id ledger atomically, unless it already holds exactly these bytes.
pub fn write_ledger(path: &Path, ledger: &IdLedger) -> Result<bool, OutputError> {
    let mut bytes = serde_json::to_vec_pretty(ledger).map_err(|e| OutputError {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    bytes.push(b'\n');
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    write_atomically(path, &bytes).map_err(|source| OutputError {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(true)
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct OutputError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// What a write changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: usize,
    pub removed: Vec<String>,
}

/// Brings `dir` in line with `documents`.
pub fn write_documents(dir: &Path, documents: &[Document]) -> Result<WriteReport, OutputError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut report = WriteReport::default();
    for document in documents {
        let path = dir.join(&document.path);
        if std::fs::read(&path).is_ok_and(|old| old == document.body) {
            report.unchanged += 1;
            continue;
        }
        write_atomically(&path, &document.body).map_err(io(&path))?;
        report.written.push(document.path.clone());
    }

    let current: BTreeSet<&str> = documents.iter().map(|d| d.path.as_str()).collect();
    let manifest_path = dir.join(MANIFEST);
    let previous = std::fs::read_to_string(&manifest_path).unwrap_or_default();
    for stale in previous
        .lines()
        .filter(|p| is_safe_relative(p) && !current.contains(p))
    {
        let path = dir.join(stale);
        match std::fs::remove_file(&path) {
            Ok(()) => report.removed.push(stale.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        remove_empty_parents(dir, &path);
    }

    let listing: String = current.iter().map(|p| format!("{p}\n")).collect();
    if previous != listing {
        write_atomically(&manifest_path, listing.as_bytes()).map_err(io(&manifest_path))?;
    }
    Ok(report)
}

/// Temp file in the same folder (so the rename cannot cross filesystems), fsync, rename, then
/// fsync the folder so the rename itself survives a crash.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".feedd-")
        .suffix(".tmp")
        .tempfile_in(folder)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    set_readable(temp.as_file())?;
    temp.persist(path).map_err(|e| e.error)?;
    std::fs::File::open(folder)?.sync_all()
}

/// Temp files are created 0600; published documents are meant to be read by a web server.
fn set_readable(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

/// Manifest lines are only trusted when they stay inside the output folder.
fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut folder = file.parent();
    while let Some(dir) = folder {
        if dir == root || std::fs::remove_dir(dir).is_err() {
            break;
        }
        folder = dir.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Format;
    use chrono::DateTime;

    fn doc(path: &str, body: &str) -> Document {
        Document {
            path: path.into(),
            format: Format::Atom,
            body: body.as_bytes().to_vec().into(),
            etag: "\"x\"".into(),
            last_modified: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn writes_then_skips_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let docs = [doc("atom.xml", "a"), doc("tags/x/atom.xml", "b")];
        let first = write_documents(dir.path(), &docs).unwrap();
        assert_eq!(first.written, ["atom.xml", "tags/x/atom.xml"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("tags/x/atom.xml")).unwrap(),
            "b"
        );
        let mtime = std::fs::metadata(dir.path().join("atom.xml"))
            .unwrap()
            .modified()
            .unwrap();
        let second = write_documents(dir.path(), &docs).unwrap();
        assert!(second.written.is_empty());
        assert_eq!(second.unchanged, 2);
        let after = std::fs::metadata(dir.path().join("atom.xml"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(mtime, after);
    }

    #[test]
    fn stale_documents_are_removed_but_foreign_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "not ours").unwrap();
        write_documents(
            dir.path(),
            &[doc("atom.xml", "a"), doc("tags/x/atom.xml", "b")],
        )
        .unwrap();
        let report = write_documents(dir.path(), &[doc("atom.xml", "a2")]).unwrap();
        assert_eq!(report.removed, ["tags/x/atom.xml"]);
        assert!(
            !dir.path().join("tags").exists(),
            "empty tag folders go too"
        );
        assert!(dir.path().join("index.html").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn ledger_round_trips_and_a_corrupt_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEDGER);
        assert_eq!(read_ledger(&path).unwrap(), IdLedger::default());
        let ledger = IdLedger {
            version: 1,
            ..IdLedger::default()
        };
        assert!(write_ledger(&path, &ledger).unwrap());
        assert!(
            !write_ledger(&path, &ledger).unwrap(),
            "same bytes are not rewritten"
        );
        assert_eq!(read_ledger(&path).unwrap(), ledger);
        std::fs::write(&path, "{not json").unwrap();
        let err = read_ledger(&path).unwrap_err().to_string();
        assert!(err.contains(".feedd-ids.json"), "{err}");
    }

    #[test]
    fn manifest_lines_cannot_escape_the_folder() {
        assert!(!is_safe_relative("../etc/passwd"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(is_safe_relative("tags/x/atom.xml"));
    }
}
