//! `feedd --once` and `feedd check`: build everything a single time, then write it or not.
//!
//! All or nothing: when any post has a problem, nothing is written, so a CI job never publishes a
//! feed that silently lost a post. The output folder is checked before anything is read, and the
//! lock file is updated after the documents are in place (never with `--locked`, which instead
//! fails when the lock file does not already say what the sources give). `check` and `lint`
//! judge a site built in memory ([`build_in_memory`]), with the ids the lock file records beside
//! the ids the build gave, so a finding can be traced to its post. With `--ping`, the WebSub hubs
//! are told of the feed documents the run wrote, once they are in place.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use url::Url;

use crate::build::{Build, Pipeline, parse_options};
use crate::config::Config;
use crate::format::DocumentKind;
use crate::ledger::{Changes, IdLedger, LedgerError, LockFile};
use crate::output::{OutputError, OutputFolder, WriteReport};
use crate::post_cache::PostCache;
use crate::source::SourceError;
use crate::websub::topic::topic_url;
use crate::websub::{Retry, Undelivered, ping_all};

/// Failures that stop a one-shot run before it can judge the posts (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum OnceError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// What a one-shot run is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Where to write the documents; `None` for `check`, which writes nothing.
    pub out: Option<&'a Path>,
    /// Never write the lock file; a lock file that is missing or out of date is a problem.
    pub locked: bool,
}

/// How a one-shot run ended.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // made once per process; boxing would buy nothing
pub enum Outcome {
    /// Every post parsed; the documents were written when an output folder was given.
    Built {
        build: Build,
        written: Option<WriteReport>,
        /// What was recorded in the lock file, when it changed.
        recorded: Option<(Changes, std::path::PathBuf)>,
    },
    /// Some posts have problems; nothing was written.
    Rejected(Build),
}

/// Builds the site; writes it to `options.out` only when no post has a problem.
pub fn run(
    config: &Config,
    options: Options<'_>,
    now: DateTime<Utc>,
) -> Result<Outcome, OnceError> {
    let folder = options
        .out
        .map(|dir| OutputFolder::open(dir, &config.source_dir, &config.state_dir))
        .transpose()?;
    let mut site = Site::open(config, options.out.unwrap_or(&config.output_dir))?;
    let outcome = site.publish(config, options, now, folder);
    drop_in_background(site);
    outcome
}

/// What a run reads before it builds: every post, the lock file, and the pipeline over them.
struct Site {
    cache: PostCache,
    lock: LockFile,
    pipeline: Pipeline,
}

impl Site {
    /// Reads the posts and, on a second thread (the folder scan leaves a core idle), the lock
    /// file; `output_dir` is where an earlier version may have kept the ids.
    fn open(config: &Config, output_dir: &Path) -> Result<Site, OnceError> {
        let mut cache = PostCache::new(config.source(), parse_options(config));
        let output_dirs = [output_dir];
        let open_lock = || LockFile::open(config, &output_dirs);
        let (scanned, lock) = std::thread::scope(|scope| {
            let reader = std::thread::Builder::new().spawn_scoped(scope, open_lock);
            let scanned = cache.refresh_all();
            let lock = match reader {
                Ok(reader) => reader
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(_) => open_lock(),
            };
            (scanned, lock)
        });
        scanned?;
        let lock = lock?;
        let pipeline = Pipeline::open(lock.ledger()?);
        Ok(Site {
            cache,
            lock,
            pipeline,
        })
    }

    /// Builds every document; writes them to `folder`, and the ids to the lock file, only when
    /// no post has a problem.
    fn publish(
        &mut self,
        config: &Config,
        options: Options<'_>,
        now: DateTime<Utc>,
        folder: Option<OutputFolder>,
    ) -> Result<Outcome, OnceError> {
        let Site {
            cache,
            lock,
            pipeline,
        } = self;
        let build = Self::build(pipeline, cache, lock, config, options.locked, now);
        if !build.diagnostics.is_empty() {
            return Ok(Outcome::Rejected(build));
        }
        let Some(folder) = folder else {
            return Ok(Outcome::Built {
                build,
                written: None,
                recorded: None,
            });
        };
        let written = folder.publish(&build.documents, &build.media)?;
        let recorded = if options.locked {
            None
        } else {
            lock.save(pipeline.ledger())?
                .map(|changes| (changes, lock.path().to_path_buf()))
        };
        Ok(Outcome::Built {
            build,
            written: Some(written),
            recorded,
        })
    }
}

/// The feed documents of `build` that a run wrote (their bytes changed), as WebSub topics: the
/// URLs `feedd --once --ping` tells the hubs of. Pages are not topics.
pub fn written_topics(config: &Config, build: &Build, written: &WriteReport) -> Vec<Url> {
    let written: HashSet<&str> = written.written.iter().map(String::as_str).collect();
    build
        .documents
        .iter()
        .filter(|d| matches!(d.kind, DocumentKind::Feed(_)) && written.contains(d.path.as_str()))
        .filter_map(|d| topic_url(&config.base_url, &d.path))
        .collect()
}

/// Tells each of `hubs` of each of `topics` (with retries), on a runtime of its own, and
/// returns what could not be delivered.
pub fn ping(hubs: &[Url], topics: &[Url]) -> std::io::Result<Vec<Undelivered>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(ping_all(hubs, topics, Retry::DEFAULT)))
}

impl Site {
    /// Runs the pipeline over every post; with `locked`, a lock file that does not record every
    /// post's id as the sources give it adds its problems.
    fn build(
        pipeline: &mut Pipeline,
        cache: &PostCache,
        lock: &LockFile,
        config: &Config,
        locked: bool,
        now: DateTime<Utc>,
    ) -> Build {
        let mut build = pipeline.run_all(config, cache, now);
        if locked {
            build
                .diagnostics
                .extend(lock.locked_problems(pipeline.ledger(), &config.source_dir));
            build.diagnostics.sort();
        }
        build
    }
}

/// A site built in memory, nothing written: what `check` and `lint` judge.
#[derive(Debug)]
pub struct Judged {
    pub build: Build,
    /// The ids the lock file records (empty when there is none yet).
    pub recorded: IdLedger,
    /// The ids the build gave each post, keyed like the lock file (path below `source_dir`).
    pub resolved: IdLedger,
}

/// Builds every document of the site in memory and writes nothing, not even the lock file;
/// posts with problems stay in `build.diagnostics` beside the documents of the others.
pub fn build_in_memory(
    config: &Config,
    locked: bool,
    now: DateTime<Utc>,
) -> Result<Judged, OnceError> {
    let mut site = Site::open(config, &config.output_dir)?;
    let recorded = site.lock.ledger()?;
    let build = Site::build(
        &mut site.pipeline,
        &site.cache,
        &site.lock,
        config,
        locked,
        now,
    );
    let resolved = site.pipeline.ledger().clone();
    drop_in_background(site);
    Ok(Judged {
        build,
        recorded,
        resolved,
    })
}

/// Frees `state` on a thread of its own, which the process does not wait for: a one-shot run
/// ends right after, and freeing 10,000 posts, their index and the ledger one allocation at a
/// time took 20–30 ms of a 0.3 s run. When no thread can be started, it is freed here.
fn drop_in_background<T: Send + 'static>(state: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(state));
}
