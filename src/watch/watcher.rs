//! The notify side of watching: choosing the backend (inotify, or polling when inotify cannot be
//! set up or runs out of watches), placing the watches, and a thread that classifies raw events
//! and keeps the source folder watched when it is deleted and created again.
//!
//! Watches: the source folder recursively; its parent and the config file's folder
//! non-recursively. Editors replace the config file (which drops a watch on the file itself) and
//! the source folder may vanish, so both are seen from their parent folders. A symlinked folder
//! made while running gets a watch of its own, since no backend follows new links. What the events
//! mean is `events`' business, batching them is `debounce`'s; this thread only holds back the old
//! half of a rename until notify pairs it (see `events`), and answers what a new name is on disk.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use notify::event::{EventKind, ModifyKind};
use notify::{ErrorKind, Event, PollWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::events::{OnDisk, Scope, awaits_pair, classify, completes, touches_source_root};
use super::{Change, WatchError, WatchSettings, Watching, debounce};
use crate::config::WatchMode;

/// How long the old half of a rename waits for its pair. notify sends both halves from one read
/// of the inotify queue, so this is only ever reached when the thing left the watched folders.
const PAIR_WAIT: Duration = Duration::from_millis(100);

/// What the watcher thread hears: notify's events, or that watching is over.
#[derive(Debug)]
pub(super) enum Msg {
    Event(notify::Result<Event>),
    Stop,
}

pub(super) type Backend = Box<dyn Watcher + Send>;

/// Builds the native backend; a parameter so tests can make it fail like a full inotify.
pub(super) type MakeNative = fn(Sender<Msg>) -> notify::Result<Backend>;

pub(super) fn native_backend(tx: Sender<Msg>) -> notify::Result<Backend> {
    let watcher = notify::RecommendedWatcher::new(forward(tx), notify::Config::default())?;
    Ok(Box::new(watcher))
}

fn poll_backend(tx: Sender<Msg>, interval: Duration) -> notify::Result<Backend> {
    // Modification times, not contents: hashing every file on every tick costs more than the
    // rare same-second rewrite it would catch.
    let config = notify::Config::default()
        .with_poll_interval(interval)
        .with_compare_contents(false);
    Ok(Box::new(PollWatcher::new(forward(tx), config)?))
}

fn forward(tx: Sender<Msg>) -> impl FnMut(notify::Result<Event>) + Send + 'static {
    move |event| {
        // The receiver only goes away when watching stops; late events are of no interest.
        let _ = tx.send(Msg::Event(event));
    }
}

/// Stops the watcher thread and the debouncer when the [`Watching`] is dropped.
#[derive(Debug)]
pub(super) struct Guard {
    stop: Sender<Msg>,
    debouncer: JoinHandle<()>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.stop.send(Msg::Stop);
        self.debouncer.abort();
    }
}

pub(super) fn start(
    settings: WatchSettings,
    make_native: MakeNative,
) -> Result<Watching, WatchError> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| WatchError::NoRuntime)?;
    let scope = Scope {
        source_dir: absolute(&settings.source_dir)?,
        config_file: absolute(&settings.config_file)?,
    };
    for (path, parent) in parents(&scope) {
        if !parent.is_dir() {
            return Err(WatchError::NoParent { path });
        }
    }
    let (raw_tx, raw_rx) = std::sync::mpsc::channel();
    let interval = settings.poll_interval;
    let (watcher, source_watched, fallback) =
        setup(settings.mode, make_native, raw_tx.clone(), interval, &scope)?;
    let polling = Arc::new(AtomicBool::new(
        settings.mode == WatchMode::Poll || fallback.is_some(),
    ));
    let (change_tx, change_rx) = mpsc::channel(1024);
    let (batch_tx, batches) = mpsc::channel(1);
    let pump = Pump {
        scope,
        poll_interval: interval,
        raw_tx: raw_tx.clone(),
        watcher,
        source_watched,
        polling: Arc::clone(&polling),
        changes: change_tx,
        last_error: None,
        held: None,
    };
    std::thread::Builder::new()
        .name("feedd-watch".into())
        .spawn(move || pump.run(raw_rx))
        .map_err(WatchError::Thread)?;
    let max_wait = settings.max_wait();
    let debouncer = runtime.spawn(debounce(change_rx, batch_tx, settings.debounce, max_wait));
    Ok(Watching {
        batches,
        fallback,
        polling,
        _guard: Guard {
            stop: raw_tx,
            debouncer,
        },
    })
}

fn absolute(path: &Path) -> Result<PathBuf, WatchError> {
    std::path::absolute(path).map_err(|error| WatchError::Resolve {
        path: path.to_path_buf(),
        error,
    })
}

/// The folders watched non-recursively, each with the path it is watched for. A config file
/// inside the source folder is covered by the recursive watch.
fn parents(scope: &Scope) -> BTreeSet<(PathBuf, PathBuf)> {
    let mut parents = BTreeSet::new();
    if let Some(parent) = scope.source_dir.parent() {
        parents.insert((scope.source_dir.clone(), parent.to_path_buf()));
    }
    if let Some(parent) = scope.config_file.parent() {
        let covered = parent.starts_with(&scope.source_dir);
        if !covered && parents.iter().all(|(_, p)| p != parent) {
            parents.insert((scope.config_file.clone(), parent.to_path_buf()));
        }
    }
    parents
}

/// Places all watches; tells whether the source folder itself is watched (it may be missing).
fn attach(watcher: &mut dyn Watcher, scope: &Scope) -> Result<bool, (PathBuf, notify::Error)> {
    for (_, parent) in parents(scope) {
        watcher
            .watch(&parent, RecursiveMode::NonRecursive)
            .map_err(|e| (parent, e))?;
    }
    if !scope.source_dir.is_dir() {
        return Ok(false);
    }
    match watcher.watch(&scope.source_dir, RecursiveMode::Recursive) {
        Ok(()) => Ok(true),
        // Deleted just now; its parent's watch will see it come back.
        Err(e) if matches!(e.kind, ErrorKind::PathNotFound) => Ok(false),
        Err(e) => Err((scope.source_dir.clone(), e)),
    }
}

/// The backend `mode` asks for, whether it watches the source folder yet, and why polling stands
/// in for a native watcher that could not be set up.
fn setup(
    mode: WatchMode,
    make_native: MakeNative,
    tx: Sender<Msg>,
    interval: Duration,
    scope: &Scope,
) -> Result<(Backend, bool, Option<WatchError>), WatchError> {
    if mode == WatchMode::Poll {
        let (watcher, watched) = setup_poll(tx, interval, scope)?;
        return Ok((watcher, watched, None));
    }
    match setup_native(make_native, tx.clone(), scope) {
        Ok((watcher, watched)) => Ok((watcher, watched, None)),
        Err(error) => {
            tracing::warn!("{error}; polling every {} ms instead", interval.as_millis());
            let (watcher, watched) = setup_poll(tx, interval, scope)?;
            Ok((watcher, watched, Some(error)))
        }
    }
}

fn setup_native(
    make_native: MakeNative,
    tx: Sender<Msg>,
    scope: &Scope,
) -> Result<(Backend, bool), WatchError> {
    let mut watcher = make_native(tx).map_err(|e| native_error(&scope.source_dir, e))?;
    let watched = attach(&mut *watcher, scope).map_err(|(path, e)| native_error(&path, e))?;
    Ok((watcher, watched))
}

fn setup_poll(
    tx: Sender<Msg>,
    interval: Duration,
    scope: &Scope,
) -> Result<(Backend, bool), WatchError> {
    let poll_error = |path: &Path, e: notify::Error| WatchError::Poll {
        path: path.to_path_buf(),
        reason: reason(&e),
    };
    let mut watcher = poll_backend(tx, interval).map_err(|e| poll_error(&scope.source_dir, e))?;
    let watched = attach(&mut *watcher, scope).map_err(|(path, e)| poll_error(&path, e))?;
    Ok((watcher, watched))
}

fn native_error(path: &Path, error: notify::Error) -> WatchError {
    let path = error
        .paths
        .first()
        .map_or(path, PathBuf::as_path)
        .to_path_buf();
    match error.kind {
        ErrorKind::MaxFilesWatch => WatchError::WatchLimit { path },
        _ => WatchError::Native {
            path,
            reason: reason(&error),
        },
    }
}

/// notify's message without the path list it appends; ours names the path itself.
fn reason(error: &notify::Error) -> String {
    match &error.kind {
        ErrorKind::Io(e) => e.to_string(),
        ErrorKind::Generic(message) => message.clone(),
        ErrorKind::PathNotFound => "no such file or folder".into(),
        ErrorKind::WatchNotFound => "not being watched".into(),
        ErrorKind::MaxFilesWatch => "watch limit reached".into(),
        ErrorKind::InvalidConfig(config) => format!("invalid watcher settings {config:?}"),
    }
}

/// What `path` names now. A path that cannot be looked at counts as a folder, since that only
/// costs a rescan.
fn on_disk(path: &Path) -> OnDisk {
    use std::io::ErrorKind::{NotADirectory, NotFound};
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => OnDisk::Folder,
        Ok(_) => OnDisk::File,
        Err(e) if matches!(e.kind(), NotFound | NotADirectory) => OnDisk::Gone,
        Err(_) => OnDisk::Folder,
    }
}

/// The watcher thread's state: it owns the backend, since notify's own thread must never be
/// asked to change watches from inside its event handler.
struct Pump {
    scope: Scope,
    poll_interval: Duration,
    raw_tx: Sender<Msg>,
    watcher: Backend,
    source_watched: bool,
    polling: Arc<AtomicBool>,
    changes: mpsc::Sender<Change>,
    last_error: Option<String>,
    /// The old half of a rename waiting for its `Both` event, and until when.
    held: Option<(Event, Instant)>,
}

impl Pump {
    fn run(mut self, raw: Receiver<Msg>) {
        loop {
            let received = match &self.held {
                None => raw.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some((_, until)) => {
                    raw.recv_timeout(until.saturating_duration_since(Instant::now()))
                }
            };
            let consumer_alive = match received {
                Ok(Msg::Event(Ok(event))) => self.on_event(event),
                Ok(Msg::Event(Err(error))) => self.release_held() && self.on_error(error),
                Err(RecvTimeoutError::Timeout) => self.release_held(),
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            };
            if !consumer_alive {
                return;
            }
        }
    }

    /// Classifies a held old name on its own: its pair is not coming.
    fn release_held(&mut self) -> bool {
        match self.held.take() {
            Some((event, _)) => self.handle(&event),
            None => true,
        }
    }

    fn send(&self, change: Change) -> bool {
        self.changes.blocking_send(change).is_ok()
    }

    /// Pairs the halves of a rename where notify allows, then handles the event.
    fn on_event(&mut self, event: Event) -> bool {
        if let Some((from, _)) = &self.held {
            if completes(&event, from) {
                // The `Both` event names the old name too, and settles it.
                self.held = None;
            } else if awaits_pair(&event, &self.scope) && !self.release_held() {
                // notify pairs only its latest old name; an earlier one stays alone.
                return false;
            }
        }
        if awaits_pair(&event, &self.scope) {
            self.held = Some((event, Instant::now() + PAIR_WAIT));
            return true;
        }
        self.handle(&event)
    }

    fn handle(&mut self, event: &Event) -> bool {
        let mut changes = classify(event, &self.scope, on_disk);
        if changes.contains(&Change::Rescan) {
            // Before the changes go out, so the rescan they cause sees a watched folder.
            self.reconcile(touches_source_root(event, &self.scope));
        }
        if self.watch_linked_folders(event) && !changes.contains(&Change::Rescan) {
            changes.push(Change::Rescan);
        }
        changes.into_iter().all(|change| self.send(change))
    }

    /// A symlink to a folder made below the source folder is reported as a new file, and no
    /// backend follows it: it gets a recursive watch of its own, and whether its posts may be
    /// read is the rescan's decision. Tells whether there was such a link.
    fn watch_linked_folders(&mut self, event: &Event) -> bool {
        let named = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(_))
        );
        let mut found = false;
        for path in event.paths.iter().filter(|_| named) {
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
            if !is_link || !path.starts_with(&self.scope.source_dir) || !path.is_dir() {
                continue;
            }
            found = true;
            if let Err(e) = self.watcher.watch(path, RecursiveMode::Recursive) {
                tracing::warn!("cannot watch {}: {}", path.display(), reason(&e));
            }
        }
        found
    }

    fn on_error(&mut self, error: notify::Error) -> bool {
        match &error.kind {
            ErrorKind::MaxFilesWatch if !self.polling.load(Ordering::Relaxed) => {
                let path = error.paths.first().unwrap_or(&self.scope.source_dir);
                let reason = WatchError::WatchLimit { path: path.clone() };
                self.fall_back_to_polling(reason)
            }
            ErrorKind::PathNotFound => true,
            ErrorKind::Io(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            _ => {
                let message = format!(
                    "while watching {}: {}",
                    self.scope.source_dir.display(),
                    error
                );
                // Polling repeats the same error every tick; say it once.
                if self.last_error.as_ref() != Some(&message) {
                    tracing::warn!("{message}");
                    self.last_error = Some(message);
                }
                true
            }
        }
    }

    /// Makes the recursive watch match the source folder on disk. `replaced`: the folder's path
    /// was the subject of a create/remove/rename, so an existing watch may be on a folder that
    /// is no longer there.
    fn reconcile(&mut self, replaced: bool) {
        let exists = self.scope.source_dir.is_dir();
        if self.source_watched && (replaced || !exists) {
            // notify may have dropped the watch itself already.
            let _ = self.watcher.unwatch(&self.scope.source_dir);
            self.source_watched = false;
            if !exists {
                tracing::warn!(
                    "source folder {} is gone; waiting for it to come back",
                    self.scope.source_dir.display()
                );
            }
        }
        if !exists || self.source_watched {
            return;
        }
        match self
            .watcher
            .watch(&self.scope.source_dir, RecursiveMode::Recursive)
        {
            Ok(()) => self.source_watched = true,
            Err(e) if matches!(e.kind, ErrorKind::MaxFilesWatch) => {
                let reason = WatchError::WatchLimit {
                    path: self.scope.source_dir.clone(),
                };
                // The rescan this reconcile belongs to is about to be sent anyway.
                let _ = self.fall_back_to_polling(reason);
            }
            Err(e) => tracing::warn!(
                "cannot watch {} again: {}",
                self.scope.source_dir.display(),
                reason(&e)
            ),
        }
    }

    /// Replaces a native backend that ran out of watches; whatever it missed is rescanned.
    fn fall_back_to_polling(&mut self, why: WatchError) -> bool {
        tracing::warn!(
            "{why}; polling every {} ms instead",
            self.poll_interval.as_millis()
        );
        match setup_poll(self.raw_tx.clone(), self.poll_interval, &self.scope) {
            Ok((watcher, watched)) => {
                self.watcher = watcher;
                self.source_watched = watched;
                self.polling.store(true, Ordering::Relaxed);
            }
            Err(error) => tracing::error!("{error}; changes will go unnoticed"),
        }
        self.send(Change::Rescan)
    }
}
