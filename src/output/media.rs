//! Media files in an output folder: each one a build publishes is copied from the source
//! folder beside the documents, and the ones no document links to any more are removed.
//!
//! The rules the documents follow hold here too: a copy is written in full to a temporary file
//! and renamed into place, and only once every changed file was copied; a file whose copy
//! already has its bytes is left alone; only files feedd put there are removed (the list is
//! kept in the state folder beside the documents' list). Media are put in place before the
//! documents that link to them and removed after the documents stopped linking to them, so no
//! published feed ever names a missing file. The source folder is only read. A copy also gets
//! its source's modification time, so the next run can tell an unchanged file by its length and
//! time alone, and a static host's `Last-Modified` is the file's own.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{OutputError, OutputFolder, WriteReport};
use crate::atomic_file::{self, Copied, Staged};
use crate::media::MediaFile;

/// Why a media file could not be copied.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    // `error`, not `source`: the message includes it, and a source would be printed twice.
    #[error("cannot copy {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "{} changed while it was being copied; it is being written: publish again once it is complete",
        path.display()
    )]
    Changed { path: PathBuf },
}

/// Copies `source` to a temporary file beside `dest`, refusing a file that changed while it was
/// read (its length or modification time moved): such a copy could hold half of each version.
pub fn copy_whole(source: &Path, dest: &Path) -> Result<(Staged, Copied), CopyError> {
    let io = |error| CopyError::Io {
        path: source.to_path_buf(),
        error,
    };
    let before = stamp(source).map_err(io)?;
    let (staged, copied) = Staged::copy(source, dest).map_err(io)?;
    let after = stamp(source).map_err(io)?;
    if before != after || copied.length != before.0 {
        return Err(CopyError::Changed {
            path: source.to_path_buf(),
        });
    }
    Ok((staged, copied))
}

/// A file's length and modification time: what tells that it changed.
pub fn stamp(path: &Path) -> std::io::Result<(u64, SystemTime)> {
    let metadata = std::fs::metadata(path)?;
    Ok((metadata.len(), metadata.modified()?))
}

impl OutputFolder {
    /// Brings the folder in line with `documents` and `media`: changed media in place first,
    /// then the documents (all or nothing, see [`OutputFolder::write`]), then the media no
    /// document links to any more removed.
    pub fn publish(
        &self,
        documents: &[crate::render::Document],
        media: &[MediaFile],
    ) -> Result<WriteReport, OutputError> {
        let mut media_report = WriteReport::default();
        self.write_media(media, &mut media_report)?;
        let mut report = self.write(documents)?;
        self.remove_stale_media(media, &mut media_report)?;
        report.written.extend(media_report.written);
        report.unchanged += media_report.unchanged;
        report.removed.extend(media_report.removed);
        Ok(report)
    }

    fn media_manifest(&self) -> PathBuf {
        self.manifest.with_extension("media")
    }

    /// Copies each changed media file to a temporary file; renames them all into place only
    /// when every copy succeeded.
    fn write_media(
        &self,
        media: &[MediaFile],
        report: &mut WriteReport,
    ) -> Result<(), OutputError> {
        let mut staged = Vec::new();
        for file in media {
            let dest = self.dir.join(&file.path);
            if is_current(&file.source, &dest) {
                report.unchanged += 1;
                continue;
            }
            let write = |error| OutputError::Write {
                path: dest.clone(),
                error,
            };
            std::fs::create_dir_all(atomic_file::parent(&dest)).map_err(write)?;
            let (copy, _) = copy_whole(&file.source, &dest).map_err(OutputError::Media)?;
            let (_, modified) = stamp(&file.source).map_err(write)?;
            std::fs::File::options()
                .write(true)
                .open(copy.temp())
                .and_then(|f| f.set_modified(modified))
                .map_err(write)?;
            staged.push(copy);
            report.written.push(file.path.clone());
        }
        let temps: Vec<&Path> = staged.iter().map(Staged::temp).collect();
        atomic_file::sync_all(&temps).map_err(|(_, error)| OutputError::Write {
            path: self.dir.clone(),
            error,
        })?;
        for copy in staged {
            let dest = copy.dest().to_path_buf();
            copy.commit()
                .map_err(|error| OutputError::Write { path: dest, error })?;
        }
        Ok(())
    }

    /// Removes the media files the last run published that `media` no longer has, then records
    /// the current list.
    fn remove_stale_media(
        &self,
        media: &[MediaFile],
        report: &mut WriteReport,
    ) -> Result<(), OutputError> {
        let manifest = self.media_manifest();
        let current: BTreeSet<&str> = media.iter().map(|m| m.path.as_str()).collect();
        let previous = std::fs::read_to_string(&manifest).unwrap_or_default();
        self.retire(
            &previous,
            &current,
            &manifest,
            "record the media files in",
            report,
        )?;
        Ok(())
    }
}

/// Whether `dest` already holds `source`'s bytes: the same length and modification time (a copy
/// feedd made), or the same length and bytes.
fn is_current(source: &Path, dest: &Path) -> bool {
    match (stamp(source), stamp(dest)) {
        (Ok(a), Ok(b)) if a == b => true,
        (Ok((a, _)), Ok((b, _))) if a == b => same_bytes(source, dest).unwrap_or(false),
        _ => false,
    }
}

/// Compares two files of equal length a chunk at a time.
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (mut a, mut b) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    let (mut x, mut y) = (vec![0; 64 * 1024], vec![0; 64 * 1024]);
    loop {
        let read = a.read(&mut x)?;
        if read == 0 {
            return Ok(b.read(&mut y)? == 0);
        }
        b.read_exact(&mut y[..read])?;
        if x[..read] != y[..read] {
            return Ok(false);
        }
    }
}

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
