//! Parsed posts kept per path, so a rebuild re-reads and re-parses only what changed.
//!
//! Each file keeps its latest parse result and its last good post: when an edit breaks a post, the
//! feed keeps the last good version and the error is reported until the file is fixed. Parsing
//! reads only what every post needs (front matter, dates, first paragraph); the full body is
//! rendered on request ([`PostCache::content`]) for the posts that appear in a document.
//! The cache reads files only through `source`, and forgets a post only when `source` says it is
//! gone: posts below a folder that cannot be read keep their last good version, as a broken edit
//! does, while the folder is reported.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::media::MediaFile;
use crate::media::probe::{FileStamp, Place, Prober};
use crate::post::{Content, ParseOptions, Post, render_content};
use crate::source::{Entry, Source, SourceError, SourceProblem};

#[derive(Debug, Default)]
struct Cached {
    /// Fingerprint of the text last read, to skip re-parsing a file that was only touched or
    /// rewritten with the same bytes.
    text_hash: Option<u64>,
    /// Size, modification time and inode when last read: a full rescan skips reading files
    /// whose stamp is unchanged, so rescanning 100,000 posts costs stats, not reads.
    stamp: Option<Stamp>,
    error: Option<Diagnostic>,
    last_good: Option<Arc<Post>>,
    /// The local media files the file's latest version names, found or not, so a change to
    /// one re-probes exactly the posts that name it.
    media: Vec<PathBuf>,
}

/// What a refresh did, for the rebuild log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Refresh {
    pub parsed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Files whose last good post changed, appeared or went away, for the feed index.
    pub changed: Vec<PathBuf>,
}

/// What `stat` says of a file; equal stamps mean the file was not written since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        std::fs::metadata(path)
            .ok()
            .map(|metadata| Stamp::from(&metadata))
    }
}

impl From<&std::fs::Metadata> for Stamp {
    fn from(metadata: &std::fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            inode: metadata.ino(),
        }
    }
}

/// The outcome of reading one file, computed in parallel and applied in order.
enum Read {
    Unchanged(Option<Stamp>),
    Parsed(Box<Parsed>),
    Failed(Diagnostic),
}

/// A file read and parsed, its media probed.
struct Parsed {
    hash: u64,
    stamp: Option<Stamp>,
    result: Result<Post, Diagnostic>,
    /// The local media files it names; `None` when it could not be parsed far enough to say.
    media: Option<Vec<PathBuf>>,
}

fn has_media(cached: &Cached) -> bool {
    (cached.last_good.as_ref()).is_some_and(|post| post.probed.files().next().is_some())
}

/// Whether what `cached` was probed with still holds: its media files have the size and time
/// they had, the transcripts and chapters beside its episode are the ones it was probed with,
/// and no media problem waits for a file to appear or change.
fn media_fresh(cached: &Cached) -> bool {
    if cached.media.is_empty() {
        return true;
    }
    cached.error.is_none()
        && cached.last_good.as_ref().is_none_or(|post| {
            post.probed.files().all(|file| {
                FileStamp::of(&file.source)
                    .is_ok_and(|now| now.len == file.length && now.modified == file.modified)
            }) && companions_fresh(post)
        })
}

/// Whether the files beside the post's episode are still those it was probed with.
fn companions_fresh(post: &Post) -> bool {
    match post.probed.media.first().map(|a| &a.at) {
        Some(crate::media::Located::File(audio)) => {
            crate::podcast::companions::beside(audio) == post.episode_files
        }
        _ => true,
    }
}

/// Every post file of the source folder, parsed, keyed by its path.
#[derive(Debug)]
pub struct PostCache {
    source: Source,
    options: ParseOptions,
    /// Hashed rather than ordered: the feed orders posts itself, and 100,000 path comparisons
    /// per scan are measurable.
    files: HashMap<PathBuf, Cached>,
    /// What the last full scan could not or must not read (folders, refused links).
    scan_problems: Vec<Diagnostic>,
    /// The files whose `error` is set, so listing the problems after an edit does not walk
    /// every file.
    failing: HashSet<PathBuf>,
    /// What the media files posts declare were found to be.
    prober: Prober,
    /// The files whose last good post has local media, so a build of a site without media
    /// does not look for any.
    with_media: HashSet<PathBuf>,
}

impl PostCache {
    pub fn new(source: Source, options: ParseOptions) -> PostCache {
        PostCache {
            source,
            options,
            files: HashMap::new(),
            scan_problems: Vec::new(),
            failing: HashSet::new(),
            prober: Prober::default(),
            with_media: HashSet::new(),
        }
    }

    /// Whether this cache was made for `source` and `options`; a config reload that changes
    /// either needs a fresh cache, since every date may parse differently and other files may
    /// be allowed.
    pub fn fits(&self, source: &Source, options: &ParseOptions) -> bool {
        self.source == *source && self.options == *options
    }

    /// Scans the whole folder: reads new and changed files, forgets deleted ones. A file below
    /// a folder that could not be listed is not known to be deleted, so it is kept.
    pub fn refresh_all(&mut self) -> Result<Refresh, SourceError> {
        let scan = self.source.scan()?;
        let unreadable: Vec<PathBuf> = scan.unreadable().map(Path::to_path_buf).collect();
        self.scan_problems = scan.problems.into_iter().map(Diagnostic::from).collect();
        let present: Vec<PathBuf> = scan.files.into_iter().map(|f| f.absolute).collect();
        let before = self.files.len();
        // The first scan (every `--once` run) has nothing to forget.
        if before > 0 {
            let listed: HashSet<&Path> = present.iter().map(PathBuf::as_path).collect();
            self.files.retain(|path, _| {
                listed.contains(path.as_path()) || unreadable.iter().any(|u| path.starts_with(u))
            });
        }
        let mut refresh = Refresh {
            removed: before - self.files.len(),
            ..Refresh::default()
        };
        self.reload_all(present, true, &mut refresh);
        self.failing = (self.files.iter())
            .filter(|(_, c)| c.error.is_some())
            .map(|(path, _)| path.clone())
            .collect();
        let named: HashSet<&Path> = (self.files.values())
            .flat_map(|c| c.media.iter().map(PathBuf::as_path))
            .collect();
        self.prober.retain(|path| named.contains(path));
        self.with_media = (self.files.iter())
            .filter(|(_, c)| has_media(c))
            .map(|(path, _)| path.clone())
            .collect();
        Ok(refresh)
    }

    /// Re-reads the given files (absolute paths below the source folder, as the watcher reports
    /// them); a path that no longer exists, or is not a post file, is forgotten. One that cannot
    /// be read keeps its last good post; a refused one (a link out of the folder) loses it.
    pub fn refresh_paths<'a>(&mut self, paths: impl IntoIterator<Item = &'a PathBuf>) -> Refresh {
        let mut refresh = Refresh::default();
        let mut present = Vec::new();
        let mut named = Vec::new();
        for path in paths {
            named.push(path.clone());
            match self.source.inspect(path) {
                Entry::Post => present.push(path.clone()),
                Entry::Gone => {
                    if let Some(cached) = self.files.remove(path) {
                        refresh.removed += 1;
                        if cached.last_good.is_some() {
                            refresh.changed.push(path.clone());
                        }
                    }
                }
                Entry::Problem(problem) => self.record_problem(path, problem, &mut refresh),
            }
        }
        // A media file: the posts that name it are probed again.
        let users = self.users_of(&named);
        for user in users {
            if !present.contains(&user) {
                named.push(user.clone());
                present.push(user);
            }
        }
        // Named by an event: read even if the stamp looks the same (a write within the
        // filesystem's timestamp resolution keeps it).
        self.reload_all(present, false, &mut refresh);
        for path in named {
            match self.files.get(&path) {
                Some(cached) if has_media(cached) => self.with_media.insert(path.clone()),
                _ => self.with_media.remove(&path),
            };
            match self.files.get(&path) {
                Some(cached) if cached.error.is_some() => self.failing.insert(path),
                _ => self.failing.remove(&path),
            };
        }
        refresh
    }

    /// The posts whose latest version names one of `media` (absolute paths).
    fn users_of(&self, media: &[PathBuf]) -> Vec<PathBuf> {
        (self.files.iter())
            .filter(|(_, cached)| cached.media.iter().any(|m| media.contains(m)))
            .map(|(path, _)| path.clone())
            .collect()
    }

    fn record_problem(&mut self, path: &Path, problem: SourceProblem, refresh: &mut Refresh) {
        refresh.parsed += 1;
        let cached = self.files.entry(path.to_path_buf()).or_default();
        if !problem.keeps_last_good() {
            if cached.last_good.is_some() {
                refresh.changed.push(path.to_path_buf());
            }
            *cached = Cached::default();
        }
        // Read again at the next rescan, whatever the stamp says.
        cached.stamp = None;
        cached.error = Some(problem.into());
    }

    /// Reads and parses files on all cores, each thread reading into one reused buffer, then
    /// records the results.
    fn reload_all(&mut self, paths: Vec<PathBuf>, trust_stamps: bool, refresh: &mut Refresh) {
        let files = &self.files;
        let reader = Reader {
            source: &self.source,
            options: &self.options,
            prober: &self.prober,
        };
        let results: Vec<(PathBuf, Read)> = paths
            .into_par_iter()
            .map_init(Vec::new, |buffer, path| {
                let known = files.get(&path).filter(|cached| media_fresh(cached));
                if let Some(cached) = known.filter(|_| trust_stamps) {
                    let stamp = Stamp::of(&path);
                    if stamp.is_some() && cached.stamp == stamp {
                        return (path, Read::Unchanged(stamp));
                    }
                }
                let read = reader.read_one(&path, known.and_then(|c| c.text_hash), buffer);
                (path, read)
            })
            .collect();
        for (path, read) in results {
            let cached = self.files.entry(path.clone()).or_default();
            match read {
                Read::Unchanged(stamp) => {
                    refresh.unchanged += 1;
                    cached.stamp = stamp;
                }
                Read::Parsed(parsed) => {
                    let Parsed {
                        hash,
                        stamp,
                        result,
                        media,
                    } = *parsed;
                    refresh.parsed += 1;
                    cached.text_hash = Some(hash);
                    cached.stamp = stamp;
                    if let Some(media) = media {
                        cached.media = media;
                    }
                    match result {
                        Ok(post) => {
                            cached.last_good = Some(Arc::new(post));
                            cached.error = None;
                            refresh.changed.push(path);
                        }
                        // The last good version stays published.
                        Err(diagnostic) => cached.error = Some(diagnostic),
                    }
                }
                Read::Failed(diagnostic) => {
                    refresh.parsed += 1;
                    cached.text_hash = None;
                    cached.stamp = None;
                    cached.error = Some(diagnostic);
                }
            }
        }
    }

    /// The posts to publish: each file's last good version.
    pub fn posts(&self) -> Vec<Arc<Post>> {
        self.files
            .values()
            .filter_map(|c| c.last_good.clone())
            .collect()
    }

    /// The last good posts that attach local media files.
    pub fn posts_with_media(&self) -> impl Iterator<Item = &Post> {
        (self.with_media.iter()).filter_map(|path| self.files.get(path)?.last_good.as_deref())
    }

    /// A site-wide image (`icon`, `logo`) at `path` below the source folder, probed.
    pub fn site_file(&self, key: &str, path: &str) -> Result<MediaFile, Diagnostic> {
        let place = Place {
            root: self.source.root(),
            follow_symlinks_outside: self.source.policy().follow_symlinks_outside,
        };
        (self.prober)
            .site_file(&place, key, path)
            .map_err(|message| Diagnostic::for_file(self.source.root().join(path), message))
    }

    /// The last good post of one file.
    pub fn post(&self, path: &Path) -> Option<Arc<Post>> {
        self.files.get(path).and_then(|c| c.last_good.clone())
    }

    /// The body of `post` (one of [`PostCache::posts`]) as HTML, read from its file again. It
    /// fails when the file was broken or removed since it was parsed; the change that did it
    /// triggers another rebuild.
    pub fn content(&self, post: &Post) -> Result<Content, Diagnostic> {
        let text = self.source.read(&post.path).map_err(Diagnostic::from)?;
        render_content(&post.path, &text)
    }

    /// Every current problem: unreadable folders and files that fail to parse.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.scan_problems
            .iter()
            .cloned()
            .chain(
                self.failing
                    .iter()
                    .filter_map(|path| self.files.get(path)?.error.clone()),
            )
            .collect()
    }
}

/// What reading one file needs, shared by the threads that read.
struct Reader<'a> {
    source: &'a Source,
    options: &'a ParseOptions,
    prober: &'a Prober,
}

impl Reader<'_> {
    /// The stamp is the open file's, taken before reading, so a write during the read leaves a
    /// stale stamp and the next rescan reads the file again. `known` is the hash of the text
    /// last read, when what it was probed with still holds.
    fn read_one(&self, path: &Path, known: Option<u64>, buffer: &mut Vec<u8>) -> Read {
        match self.source.read_into(path, buffer) {
            Ok((text, metadata)) => {
                let stamp = Some(Stamp::from(&metadata));
                let hash = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
                if known == Some(hash) {
                    return Read::Unchanged(stamp);
                }
                let (result, media) = match Post::parse(path, text, self.options) {
                    Ok(post) => {
                        let media = self.media_files(&post);
                        (self.probe(post), Some(media))
                    }
                    Err(diagnostic) => (Err(diagnostic), None),
                };
                Read::Parsed(Box::new(Parsed {
                    hash,
                    stamp,
                    result,
                    media,
                }))
            }
            Err(problem) => Read::Failed(problem.into()),
        }
    }

    fn place(&self) -> Place<'_> {
        Place {
            root: self.source.root(),
            follow_symlinks_outside: self.source.policy().follow_symlinks_outside,
        }
    }

    /// Fills in what the post's media files are; a file that is missing or contradicts the
    /// front matter makes the post fail like any other error in it.
    fn probe(&self, mut post: Post) -> Result<Post, Diagnostic> {
        if post.media.is_empty() && post.image.is_none() {
            return Ok(post);
        }
        let probed = (self.prober)
            .probe(&self.place(), &post.path, &post.media, post.image.as_ref())
            .map_err(|(line, message)| Diagnostic::at_line(&post.path, line, message))?;
        post.probed = probed;
        // The first media item is the episode RSS plays; its transcripts and chapters sit
        // beside it.
        if let Some(crate::media::Located::File(audio)) = post.probed.media.first().map(|a| &a.at) {
            post.episode_files = crate::podcast::companions::beside(audio);
        }
        Ok(post)
    }

    /// Every local file the post names, whether it is there or not, and where the first one's
    /// transcripts and chapters would be: a change to any of them probes the post again.
    fn media_files(&self, post: &Post) -> Vec<PathBuf> {
        let place = self.place();
        let local = |declared: &crate::media::Declared| match &declared.src {
            crate::media::Src::Local(relative) => {
                crate::media::probe::resolve(&place, &post.path, relative).ok()
            }
            crate::media::Src::Url(_) => None,
        };
        let mut files: Vec<PathBuf> = (post.media.iter().chain(&post.image))
            .filter_map(local)
            .map(|(_, file)| file)
            .collect();
        if let Some((_, audio)) = post.media.first().and_then(local) {
            files.extend(crate::podcast::companions::candidates(&audio));
        }
        files
    }
}

#[cfg(test)]
#[path = "post_cache_tests.rs"]
mod tests;
