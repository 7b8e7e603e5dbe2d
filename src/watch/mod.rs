//! Watching the source folder and the config file, reported as debounced [`Batch`]es of our own
//! [`Change`]s.
//!
//! `events` turns one notify event into changes (pure), `debounce` folds a stream of changes into
//! batches (async, no I/O), and `watcher` owns the notify backend: inotify with a polling
//! fallback, the watches on the config file's folder and on the source folder's parent, and
//! re-watching the source folder when it is deleted and comes back. No notify type leaves this
//! module. What a batch means for the feeds (re-reading files, reloading the config) is the
//! daemon's business; a path in a batch may already be gone, and the consumer re-stats it.

mod debounce;
mod events;
mod watcher;

#[cfg(test)]
mod fs_tests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::{Config, WatchMode};

pub use debounce::debounce;

/// One thing that happened below the source folder or to the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Post files (absolute paths) created, written, removed, renamed or touched.
    Paths(BTreeSet<PathBuf>),
    /// Something happened that does not say which posts changed (a folder moved or removed, the
    /// source folder vanished or came back, the kernel queue overflowed): read everything again.
    Rescan,
    /// The config file was written, replaced or removed.
    Config,
}

/// The changes collected over one quiet period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// Post files to re-read; some may no longer exist.
    pub paths: BTreeSet<PathBuf>,
    /// Read the whole source folder again; `paths` is then only a hint.
    pub rescan: bool,
    /// Reload the config file.
    pub config: bool,
}

impl Batch {
    pub fn add(&mut self, change: Change) {
        match change {
            Change::Paths(paths) => self.paths.extend(paths),
            Change::Rescan => self.rescan = true,
            Change::Config => self.config = true,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.rescan && !self.config
    }
}

/// What to watch and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSettings {
    pub source_dir: PathBuf,
    pub config_file: PathBuf,
    /// A batch is sent once no event arrived for this long.
    pub debounce: Duration,
    pub mode: WatchMode,
    pub poll_interval: Duration,
}

impl WatchSettings {
    /// The settings the daemon runs with: `[server]` of `config`, loaded from `config_file`.
    pub fn from_config(config: &Config, config_file: &Path) -> WatchSettings {
        WatchSettings {
            source_dir: config.source_dir.clone(),
            config_file: config_file.to_path_buf(),
            debounce: Duration::from_millis(config.server.debounce_ms),
            mode: config.server.watch,
            poll_interval: Duration::from_millis(config.server.poll_interval_ms),
        }
    }

    /// How long a never-ending stream of events may hold a batch back.
    fn max_wait(&self) -> Duration {
        self.debounce.saturating_mul(10)
    }
}

/// How changes are being noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// inotify (or the platform's equivalent).
    Native,
    /// Periodic scans every `poll_interval`.
    Poll,
}

/// Why watching could not start, or why it fell back to polling.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(
        "cannot watch {}: inotify watch limit reached; raise fs.inotify.max_user_watches (sysctl) \
         or set `watch = \"poll\"` in [server]",
        path.display()
    )]
    WatchLimit { path: PathBuf },
    #[error(
        "cannot watch {} with inotify: {reason}; raise fs.inotify.max_user_watches and \
         fs.inotify.max_user_instances (sysctl) if a limit was hit, or set `watch = \"poll\"` \
         in [server] for filesystems without inotify support (network, FUSE)",
        path.display()
    )]
    Native { path: PathBuf, reason: String },
    #[error("cannot poll {} for changes: {reason}", path.display())]
    Poll { path: PathBuf, reason: String },
    #[error(
        "cannot watch {}: its parent folder does not exist; create it or fix `source_dir` in the \
         config",
        path.display()
    )]
    NoParent { path: PathBuf },
    #[error("cannot resolve {}: {error}", path.display())]
    Resolve {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("watching needs a tokio runtime; call watch::start from inside one")]
    NoRuntime,
    #[error("cannot start the file watching thread: {0}")]
    Thread(std::io::Error),
}

/// A running watch. Dropping it stops the watcher thread and the debouncer.
#[derive(Debug)]
pub struct Watching {
    /// Debounced batches; closes only when watching stops.
    pub batches: mpsc::Receiver<Batch>,
    /// Why the native backend was not used, when it was wanted but failed at start.
    pub fallback: Option<WatchError>,
    polling: Arc<AtomicBool>,
    _guard: watcher::Guard,
}

impl Watching {
    /// The backend now in use; native watching switches to polling if it hits the watch limit.
    pub fn backend(&self) -> Backend {
        if self.polling.load(Ordering::Relaxed) {
            Backend::Poll
        } else {
            Backend::Native
        }
    }
}

/// Starts watching; must be called from inside a tokio runtime (the debouncer runs as a task).
/// Native watching that cannot be set up falls back to polling (logged, and kept in
/// [`Watching::fallback`]); only a missing parent folder or no runtime is an error.
pub fn start(settings: WatchSettings) -> Result<Watching, WatchError> {
    watcher::start(settings, watcher::native_backend)
}
