//! Probing the local files a post declares: where each is, its size, type and playing time, and
//! whether they agree with what front matter says.
//!
//! The one part of `media` that touches the disk; the post cache calls it right after a post is
//! parsed, in its I/O step. What a file is found to be is kept by (path, size, modification
//! time, inode), so posts sharing a file, or a post edited without touching its media, do not
//! read the file again. Errors are a message with the front matter line it is about; the caller
//! turns them into the post's diagnostic.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use super::{Attachment, Declared, LineError, Located, MediaFile, Probed, Src};

/// A difference of a second between a declared and a measured duration is rounding.
const DURATION_SLACK_SECS: u64 = 1;

/// Where posts live and how far their media may be looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place<'a> {
    /// The source folder.
    pub root: &'a Path,
    /// Publish files that symlinks lead to outside the source folder.
    pub follow_symlinks_outside: bool,
}

/// What `stat` says of a media file; equal stamps mean the file was not written since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub len: u64,
    pub modified: SystemTime,
    pub inode: u64,
}

impl FileStamp {
    pub fn of(path: &Path) -> std::io::Result<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(path)?;
        Ok(FileStamp {
            len: metadata.len(),
            modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            inode: metadata.ino(),
        })
    }
}

/// What reading a file told, kept per stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Facts {
    /// The types its extension may stand for, the likeliest first.
    mimes: Vec<String>,
    duration_secs: Option<u64>,
}

/// Probes media files, remembering what each file was found to be. Shared by the threads that
/// parse posts; the lock is held only to look up or record, never while a file is read.
#[derive(Debug, Default)]
pub struct Prober {
    known: Mutex<HashMap<PathBuf, (FileStamp, Facts)>>,
    /// Files read (not answered from what was known), for tests and logs.
    reads: std::sync::atomic::AtomicUsize,
}

impl Prober {
    /// How many files were read so far.
    pub fn reads(&self) -> usize {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Probes the media and image a post at `post_path` declares.
    pub fn probe(
        &self,
        place: &Place,
        post_path: &Path,
        media: &[Declared],
        image: Option<&Declared>,
    ) -> Result<Probed, LineError> {
        let media = media
            .iter()
            .map(|declared| self.attachment(place, post_path, declared, "media"))
            .collect::<Result<Vec<_>, _>>()?;
        let image = image
            .map(|declared| {
                let attachment = self.attachment(place, post_path, declared, "image")?;
                match &attachment.at {
                    Located::File(_) if !attachment.mime.starts_with("image/") => Err((
                        declared.line,
                        format!(
                            "`image` {} is not an image ({}): give a JPEG, PNG, GIF or WebP file",
                            src_text(&declared.src),
                            attachment.mime
                        ),
                    )),
                    _ => Ok(attachment.at),
                }
            })
            .transpose()?;
        Ok(Probed { media, image })
    }

    fn attachment(
        &self,
        place: &Place,
        post_path: &Path,
        declared: &Declared,
        key: &str,
    ) -> Result<Attachment, LineError> {
        let at = |message: String| (declared.line, message);
        let relative = match &declared.src {
            Src::Url(url) => return Ok(url_attachment(url, declared)),
            Src::Local(relative) => relative,
        };
        let (path, file) = resolve(place, post_path, relative)
            .map_err(|m| at(format!("`{key}` \"{relative}\" {m}")))?;
        let stamp = FileStamp::of(&file).map_err(|e| {
            at(match e.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "`{key}` \"{relative}\": no such file ({}): put the file beside the post or fix the path",
                    file.display()
                ),
                _ => format!("`{key}` \"{relative}\": cannot read {}: {e}", file.display()),
            })
        })?;
        if !file.is_file() {
            return Err(at(format!("`{key}` \"{relative}\" is not a file")));
        }
        check_inside(place, &file).map_err(|m| at(format!("`{key}` \"{relative}\" {m}")))?;
        let facts = self.facts(&file, stamp);
        let attachment = agree(declared, &facts, stamp.len)
            .map_err(|m| at(format!("`{key}` \"{relative}\": {m}")))?;
        Ok(Attachment {
            at: Located::File(MediaFile {
                path,
                source: file,
                mime: attachment.mime.clone(),
                length: stamp.len,
                modified: stamp.modified,
            }),
            ..attachment
        })
    }

    fn facts(&self, file: &Path, stamp: FileStamp) -> Facts {
        let known = self.known.lock().ok().and_then(|known| {
            known
                .get(file)
                .filter(|(seen, _)| *seen == stamp)
                .map(|(_, facts)| facts.clone())
        });
        if let Some(facts) = known {
            return facts;
        }
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mimes: Vec<String> = mime_guess::from_path(file)
            .iter()
            .map(|m| m.essence_str().to_string())
            .collect();
        let playable = mimes
            .first()
            .is_some_and(|m| m.starts_with("audio/") || m.starts_with("video/"));
        let facts = Facts {
            duration_secs: playable.then(|| duration_of(file)).flatten(),
            mimes,
        };
        if let Ok(mut known) = self.known.lock() {
            known.insert(file.to_path_buf(), (stamp, facts.clone()));
        }
        facts
    }

    /// A site-wide file (`icon`, `logo`) at `path`, relative to the source folder.
    pub fn site_file(&self, place: &Place, key: &str, path: &str) -> Result<MediaFile, String> {
        let anchor = place.root.join("config");
        let (path, file) = resolve(place, &anchor, path).map_err(|m| format!("`{key}` {m}"))?;
        let stamp = FileStamp::of(&file).map_err(|e| {
            format!(
                "`{key} = \"{path}\"` in the config: cannot read {} ({e}): put the file in the source folder or fix the path",
                file.display()
            )
        })?;
        check_inside(place, &file).map_err(|m| format!("`{key}` {m}"))?;
        let facts = self.facts(&file, stamp);
        let mime = facts.mimes.first().cloned().unwrap_or_default();
        if !mime.starts_with("image/") {
            return Err(format!(
                "`{key} = \"{path}\"` in the config is not an image: give a PNG, JPEG, GIF, WebP, SVG or ICO file"
            ));
        }
        Ok(MediaFile {
            path,
            source: file,
            mime,
            length: stamp.len,
            modified: stamp.modified,
        })
    }

    /// Forgets what is known of files no post names any more.
    pub fn retain(&self, keep: impl Fn(&Path) -> bool) {
        if let Ok(mut known) = self.known.lock() {
            known.retain(|path, _| keep(path));
        }
    }
}

/// The playing time in whole seconds, when the file's metadata says it.
fn duration_of(file: &Path) -> Option<u64> {
    use lofty::prelude::AudioFile;
    let tagged = lofty::read_from_path(file).ok()?;
    let duration = tagged.properties().duration();
    (!duration.is_zero()).then(|| (duration.as_millis() as u64).div_ceil(1000).max(1))
}

/// What the file says, checked against what the author declared.
fn agree(declared: &Declared, facts: &Facts, length: u64) -> Result<Attachment, String> {
    let mime = match (&declared.mime, facts.mimes.first()) {
        (Some(mime), None) => mime.clone(),
        (Some(mime), Some(guess)) if !facts.mimes.contains(mime) => {
            return Err(format!(
                "`type` is \"{mime}\" but the file is {guess}: fix `type` or remove it"
            ));
        }
        (Some(mime), Some(_)) => mime.clone(),
        (None, Some(guess)) => guess.clone(),
        (None, None) => {
            return Err(
                "its type cannot be told from the file name: declare it, e.g. type = \"audio/mpeg\"".into(),
            );
        }
    };
    if let Some(declared_length) = declared.length.filter(|&l| l != length) {
        return Err(format!(
            "`length` is {declared_length} but the file has {length} bytes: remove `length` (feedd measures it) or fix it"
        ));
    }
    let duration_secs = match (declared.duration_secs, facts.duration_secs) {
        (Some(said), Some(read)) if said.abs_diff(read) > DURATION_SLACK_SECS => {
            return Err(format!(
                "`duration` is {said} s but the file plays {read} s: remove `duration` (feedd reads it) or fix it"
            ));
        }
        (_, Some(read)) => Some(read),
        (said, None) => said,
    };
    Ok(Attachment {
        at: Located::Url(String::new()),
        mime,
        length,
        duration_secs,
        title: declared.title.clone(),
    })
}

/// A URL's attachment: what was declared (checked complete by `declared`).
fn url_attachment(url: &str, declared: &Declared) -> Attachment {
    Attachment {
        at: Located::Url(url.to_string()),
        mime: declared.mime.clone().unwrap_or_default(),
        length: declared.length.unwrap_or_default(),
        duration_secs: declared.duration_secs,
        title: declared.title.clone(),
    }
}

/// The published path (relative to the source folder, `/`-separated) and the file of `relative`,
/// read from the post's folder; refused when it leaves the source folder.
pub fn resolve(
    place: &Place,
    post_path: &Path,
    relative: &str,
) -> Result<(String, PathBuf), String> {
    let folder = post_path
        .parent()
        .and_then(|parent| parent.strip_prefix(place.root).ok())
        .unwrap_or(Path::new(""));
    let mut parts: Vec<String> = folder
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    for segment in relative.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("leaves the source folder: media must be inside it, beside or below the post's folder".into());
                }
            }
            name => parts.push(name.to_string()),
        }
    }
    if parts.is_empty() {
        return Err("names no file".into());
    }
    let path = parts.join("/");
    let file = parts
        .iter()
        .fold(place.root.to_path_buf(), |file, part| file.join(part));
    Ok((path, file))
}

/// Refuses a file that a symlink takes out of the source folder, unless the config allows it.
fn check_inside(place: &Place, file: &Path) -> Result<(), String> {
    if place.follow_symlinks_outside {
        return Ok(());
    }
    let (Ok(root), Ok(target)) = (
        std::fs::canonicalize(place.root),
        std::fs::canonicalize(file),
    ) else {
        return Ok(());
    };
    if target.starts_with(&root) {
        Ok(())
    } else {
        Err(format!(
            "is a symlink to {} outside the source folder, refused; set `follow_symlinks_outside = true` in the config to publish it",
            target.display()
        ))
    }
}

fn src_text(src: &Src) -> &str {
    match src {
        Src::Local(text) | Src::Url(text) => text,
    }
}

#[cfg(test)]
#[path = "probe_tests.rs"]
pub(crate) mod tests;
