//! The daemon's view of the site: the config in force, the parsed posts, the id ledger and the
//! last build, and how each kind of change moves them forward.
//!
//! Blocking and CPU-bound by design (reads files, parses, renders); the event loop in `mod.rs`
//! calls it off the async workers.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::build::{Build, build, parse_options};
use crate::config::{Config, ConfigError};
use crate::diagnostic::Diagnostic;
use crate::feed::IdLedger;
use crate::output::{self, LedgerError, OutputError, WriteReport};
use crate::post_cache::{PostCache, Refresh};
use crate::source::SourceError;
use crate::watch::Batch;

/// Why the daemon cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
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
    ledger: IdLedger,
    last: Build,
    /// Why the site as a whole is not as configured, reported beside the posts' problems.
    problems: SiteProblems,
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
        let mut cache = PostCache::new(config.source(), parse_options(&config));
        cache.refresh_all()?;
        let ledger = match persisted_ledger(&config) {
            Some(path) => output::read_ledger(&path)?,
            None => IdLedger::default(),
        };
        let mut last = build(&config, &cache, &ledger, None, now);
        Ok(Site {
            config_path: config_path.to_path_buf(),
            config,
            ledger: std::mem::take(&mut last.ledger),
            cache,
            last,
            problems: SiteProblems::default(),
        })
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
    pub fn reload_config(&mut self) -> Result<(), ConfigError> {
        let config = Config::load(&self.config_path).inspect_err(|err| {
            self.problems.config = Some(err.diagnostic());
        })?;
        self.problems.config = None;
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
    pub fn apply(&mut self, batch: &Batch, now: DateTime<Utc>) -> Rebuilt {
        let refresh = if batch.rescan || batch.config || !self.config.source_dir.is_dir() {
            self.refresh_all()
        } else {
            self.cache.refresh_paths(&batch.paths)
        };
        self.rebuild(refresh, now)
    }

    fn refresh_all(&mut self) -> Refresh {
        let refreshed = self.cache.refresh_all();
        self.problems.source = refreshed.as_ref().err().map(SourceError::diagnostic);
        refreshed.unwrap_or_default()
    }

    /// Rebuilds without re-reading anything: a scheduled post came due.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Rebuilt {
        self.rebuild(Refresh::default(), now)
    }

    fn rebuild(&mut self, refresh: Refresh, now: DateTime<Utc>) -> Rebuilt {
        let mut next = build(
            &self.config,
            &self.cache,
            &self.ledger,
            Some(&self.last),
            now,
        );
        if self.problems.iter().next().is_some() {
            next.diagnostics.extend(self.problems.iter().cloned());
            next.diagnostics.sort();
        }
        // ETags are hashes of the bodies, so comparing them compares the documents without
        // reading megabytes of bytes.
        let same_documents = next.documents.len() == self.last.documents.len()
            && next
                .documents
                .iter()
                .zip(&self.last.documents)
                .all(|(a, b)| a.path == b.path && a.etag == b.etag);
        let same = same_documents
            && next.diagnostics == self.last.diagnostics
            && next.published == self.last.published;
        // The ledger is the one large part of a build; it is kept once, here, not in `last`.
        self.ledger = std::mem::take(&mut next.ledger);
        if same {
            self.last.next_due = next.next_due;
            return Rebuilt {
                build: None,
                refresh,
            };
        }
        self.last = next.clone();
        Rebuilt {
            build: Some(next),
            refresh,
        }
    }

    /// Keeps the output folder (when `write_output` is on) and the ledger file in step with the
    /// last build.
    pub fn persist(&self) -> Result<Option<WriteReport>, OutputError> {
        if let Some(path) = persisted_ledger(&self.config) {
            output::write_ledger(&path, &self.ledger)?;
        }
        if !self.config.server.write_output {
            return Ok(None);
        }
        output::write_documents(&self.config.output_dir, &self.last.documents).map(Some)
    }
}

/// The daemon keeps its ledger on disk only where it was told it may write: the output folder
/// when `write_output` is on, or an explicit `id_ledger`.
fn persisted_ledger(config: &Config) -> Option<PathBuf> {
    if config.id_ledger.is_some() || config.server.write_output {
        Some(config.ledger_path(&config.output_dir))
    } else {
        None
    }
}
