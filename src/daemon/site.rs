//! The daemon's view of the site: the config in force, the parsed posts, the lock file with the
//! ids in force, and the last build, and how each kind of change moves them forward.
//!
//! Blocking and CPU-bound by design (reads files, parses, renders); the event loop in `mod.rs`
//! calls it off the async workers.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::build::{Build, Pipeline, parse_options};
use crate::config::{Config, ConfigError};
use crate::diagnostic::Diagnostic;
use crate::ledger::{LedgerError, LockFile};
use crate::output::{OutputError, OutputFolder, WriteReport};
use crate::post_cache::{PostCache, Refresh};
use crate::render::Document;
use crate::source::SourceError;
use crate::watch::Batch;

use super::change_times::ChangeTimes;
use super::disk_problems::{DiskProblems, Place};
use super::disk_writer::{Outcome, Write};
use super::media_store::MediaStore;
use crate::snapshot::{ServedMedia, Snapshot};

/// Why the daemon cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("cannot keep the Last-Modified times in {}: {error}", path.display())]
    ChangeTimes {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// What keeping the disk in step with a build did.
#[derive(Debug, Default)]
pub struct Persisted {
    /// The lock file and `Last-Modified` stamps to write, where they changed.
    pub writes: Vec<Write>,
    /// What changed in the output folder, when `write_output` is on.
    pub written: Option<WriteReport>,
    /// Whether the output folder's (or the lock file's) problems changed (see
    /// [`Site::persist_errors`]).
    pub errors_changed: bool,
}

/// The result of applying changes: the new build when its documents or problems differ from the
/// last one, `None` when nothing a reader could see changed.
pub struct Rebuilt {
    pub build: Option<Build>,
    pub refresh: Refresh,
}

pub struct Site {
    config_path: PathBuf,
    config: Config,
    cache: PostCache,
    lock: LockFile,
    /// The feed index, feeds and documents in force, with the ids in force (the lock file's,
    /// updated by every build).
    pipeline: Pipeline,
    /// Where the documents are also written, when `write_output` is on.
    output: Option<OutputFolder>,
    /// What could not be written, so each failure is logged once, not on every rebuild.
    disk: DiskProblems,
    /// When each served document's bytes last changed: its `Last-Modified`.
    times: ChangeTimes,
    /// The copies the media files are served from.
    media: MediaStore,
    last: Build,
    /// Why the site as a whole is not as configured, reported beside the posts' problems.
    problems: SiteProblems,
    /// See [`Site::changed_at_start`].
    changed_at_start: Vec<String>,
}

/// Problems that are no post's: the source folder cannot be used, or the config file on disk
/// was refused. Each keeps the last good state in force until it is resolved.
#[derive(Debug, Default)]
struct SiteProblems {
    source: Option<Diagnostic>,
    config: Option<Diagnostic>,
}

impl SiteProblems {
    fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.source.iter().chain(&self.config)
    }
}

impl Site {
    /// Loads the config, reads every post and builds once.
    pub fn start(config_path: &Path, now: DateTime<Utc>) -> Result<Site, StartError> {
        let config = Config::load(config_path)?;
        let output = output_folder(&config)?;
        let mut cache = PostCache::new(config.source(), parse_options(&config));
        cache.refresh_all()?;
        let lock = LockFile::open(&config, &[&config.output_dir])?;
        let mut pipeline = Pipeline::open(lock.ledger()?).with_feed_pages();
        let mut last = pipeline.run_all(&config, &cache, now);
        let mut times = ChangeTimes::load(&config.state_dir);
        let changed_at_start = times.changed(&last.documents);
        times.stamp(&mut last.documents, now);
        times.stamp_views(&mut last.views);
        Ok(Site {
            times,
            media: MediaStore::open(&config.state_dir),
            config_path: config_path.to_path_buf(),
            config,
            pipeline,
            lock,
            output,
            disk: DiskProblems::default(),
            cache,
            last,
            problems: SiteProblems::default(),
            changed_at_start,
        })
    }

    /// The documents whose bytes changed while the daemon was stopped (by path), as far as the
    /// `Last-Modified` stamps kept in `state_dir` tell: for the WebSub hubs.
    pub fn changed_at_start(&self) -> &[String] {
        &self.changed_at_start
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn last(&self) -> &Build {
        &self.last
    }

    /// Reads the config file again. An invalid config is returned as an error and the old one
    /// stays in force; a valid one takes effect at the next rebuild (the whole folder is re-read
    /// when the source folder or time zone changed). A refused config is reported as a problem
    /// until a reload succeeds.
    pub fn reload_config(&mut self) -> Result<(), StartError> {
        let result = self.load_config();
        self.problems.config = result.as_ref().err().map(|err| match err {
            StartError::Config(e) => e.diagnostic(),
            other => Diagnostic::for_file(&self.config_path, other.to_string()),
        });
        result
    }

    fn load_config(&mut self) -> Result<(), StartError> {
        let config = Config::load(&self.config_path)?;
        let output = output_folder(&config)?;
        if config.lock_file != self.config.lock_file {
            self.lock = LockFile::open(&config, &[&config.output_dir])?;
            self.pipeline = Pipeline::open(self.lock.ledger()?).with_feed_pages();
        }
        self.output = output;
        if config.state_dir != self.config.state_dir {
            self.times = ChangeTimes::load(&config.state_dir);
            self.media = MediaStore::open(&config.state_dir);
        }
        let options = parse_options(&config);
        let source = config.source();
        if !self.cache.fits(&source, &options) {
            self.cache = PostCache::new(source, options);
        }
        self.config = config;
        Ok(())
    }

    /// Re-reads what `batch` names (everything on a rescan) and rebuilds. While the source
    /// folder cannot be used, the cache keeps every post, so the last good documents stay
    /// served, and the problem is reported with them.
    /// A batch that names files runs the pipeline over those alone; anything else (a rescan, a
    /// config change) over every post, from the ids alone.
    pub fn apply(&mut self, batch: &Batch, now: DateTime<Utc>) -> Rebuilt {
        if batch.rescan || batch.config || !self.config.source_dir.is_dir() {
            let refresh = self.refresh_all();
            self.pipeline.reopen();
            let next = self.pipeline.run_all(&self.config, &self.cache, now);
            self.rebuild(next, refresh, now)
        } else {
            let refresh = self.cache.refresh_paths(&batch.paths);
            let next =
                (self.pipeline).run_changed(&self.config, &self.cache, &refresh.changed, now);
            self.rebuild(next, refresh, now)
        }
    }

    fn refresh_all(&mut self) -> Refresh {
        let refreshed = self.cache.refresh_all();
        self.problems.source = refreshed.as_ref().err().map(SourceError::diagnostic);
        refreshed.unwrap_or_default()
    }

    /// Rebuilds without re-reading anything: a scheduled post came due.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Rebuilt {
        let next = (self.pipeline).run_changed(&self.config, &self.cache, &[], now);
        self.rebuild(next, Refresh::default(), now)
    }

    /// Publishes `next` unless a reader would see no difference from the last build.
    fn rebuild(&mut self, mut next: Build, refresh: Refresh, now: DateTime<Utc>) -> Rebuilt {
        if self.problems.iter().next().is_some() {
            next.diagnostics.extend(self.problems.iter().cloned());
            next.diagnostics.sort();
        }
        let same = same_etags(&next.documents, &self.last.documents)
            && same_etags(&next.views, &self.last.views)
            && next.diagnostics == self.last.diagnostics
            && next.published == self.last.published
            && next.media == self.last.media;
        if same {
            self.last.next_due = next.next_due;
            return Rebuilt {
                build: None,
                refresh,
            };
        }
        self.times.stamp(&mut next.documents, now);
        self.times.stamp_views(&mut next.views);
        self.last = next.clone();
        Rebuilt {
            build: Some(next),
            refresh,
        }
    }

    /// `media` (a build's) as served from their copies, made now where a file changed; a file
    /// that cannot be copied keeps what `previous` served at its path.
    pub fn serve_media(
        &mut self,
        media: &[crate::media::MediaFile],
        previous: Option<&Snapshot>,
    ) -> Vec<ServedMedia> {
        self.media.publish(media, previous)
    }

    /// Removes the media copies `current` (just published) does not serve.
    pub fn tidy_media(&self, current: &Snapshot) {
        self.media.tidy(current);
    }

    /// The media files the last build's snapshot could not copy.
    pub fn media_problems(&self) -> &[Diagnostic] {
        self.media.problems()
    }

    /// What the daemon could not write, one problem per file or folder, for the status line
    /// and `/healthz`: the documents are served, but the disk is behind.
    pub fn persist_errors(&self) -> &[Diagnostic] {
        self.disk.list()
    }

    /// Records how a write of the disk writer's went; returns whether the problems changed.
    pub fn written(&mut self, outcome: Outcome) -> bool {
        self.disk.set(outcome.place, outcome.problem)
    }

    /// The state files `write` may still write to: the ones the config in force names.
    pub fn state_files(&self) -> Vec<PathBuf> {
        vec![
            self.lock.path().to_path_buf(),
            self.times.path().to_path_buf(),
        ]
    }

    /// Brings the output folder (when `write_output` is on) in step with the last build, and
    /// returns the lock file and `Last-Modified` stamps to write where they changed: those go
    /// to the disk writer's thread, the output folder is written here, before the deploy and
    /// the hubs are told, which may read it.
    pub fn persist(&mut self) -> Persisted {
        let mut persisted = Persisted::default();
        // Only when an id record changed: comparing 100,000 records per edit is not free.
        if self.pipeline.take_ledger_change() {
            match self.lock.stage(self.pipeline.ledger()) {
                Ok(staged) => persisted.writes.extend(staged.map(Write::Lock)),
                Err(e) => {
                    self.pipeline.keep_ledger_change();
                    let problem = Diagnostic::new(e.path, e.line, e.message);
                    persisted.errors_changed |= self.disk.set(Place::Lock, Some(problem));
                }
            }
        }
        if let Some(folder) = &self.output {
            let problem = match folder.publish(&self.last.documents, &self.last.media) {
                Ok(report) => {
                    persisted.written = Some(report);
                    None
                }
                Err(e) => Some(Diagnostic::for_file(
                    folder.dir(),
                    format!("output folder not updated: {e}"),
                )),
            };
            persisted.errors_changed |= self.disk.set(Place::OutputFolder, problem);
        } else {
            persisted.errors_changed |= self.disk.set(Place::OutputFolder, None);
        }
        persisted
            .writes
            .extend(self.times.take_unsaved().map(Write::ChangeTimes));
        persisted
    }
}

/// The output folder the daemon keeps in sync, checked before anything is written.
fn output_folder(config: &Config) -> Result<Option<OutputFolder>, OutputError> {
    config
        .server
        .write_output
        .then(|| OutputFolder::open(&config.output_dir, &config.source_dir, &config.state_dir))
        .transpose()
}

/// Whether `a` and `b` are the same documents at the same paths. ETags are hashes of the bodies,
/// so comparing them compares the documents without reading megabytes of bytes.
fn same_etags(a: &[Document], b: &[Document]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| a.path == b.path && a.etag == b.etag)
}
