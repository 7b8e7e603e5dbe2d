//! The daemon's event loop: one task that owns the site and reacts to each event (a batch of
//! file changes, a scheduled post coming due, SIGHUP, the watchdog's tick) with one method.
//!
//! Rebuilding is `site`'s job, compressing `compressor`'s, and what the service manager is told
//! `status`'s. Stopping is not this loop's business: `run` aborts it on SIGTERM or SIGINT, even in
//! the middle of a rebuild.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Local, Utc};
use tokio::time::{Interval, MissedTickBehavior};

use super::DaemonError;
use super::compressor::CompressingPublisher;
use super::disk_writer::{self, DiskWriter, Outcome};
use super::problems::Reported;
use super::signals::Reloads;
use super::site::{Rebuilt, Site};
use super::status::Status;
use crate::build::Build;
use crate::config::Config;
use crate::deploy::Deployer;
use crate::diagnostic::Diagnostic;
use crate::format::DocumentKind;
use crate::http::Tls;
use crate::media::MediaFile;
use crate::output::WriteReport;
use crate::snapshot::{Contents, Discovery, Publisher, Snapshot};
use crate::systemd;
use crate::watch::{self, Batch, WatchSettings, Watching};
use crate::websub::Notifier;
use crate::websub::hub::Hub;
use crate::websub::topic::{ChangedTopic, changed_topics, topic_url};
use crate::wording::count;

pub(super) struct EventLoop {
    pub site: Site,
    pub config_path: PathBuf,
    pub publishing: CompressingPublisher,
    pub reloads: Reloads,
    pub watching: Watching,
    pub watch_settings: WatchSettings,
    pub status: Status,
    /// Problems already in the log, so a rebuild logs only what appeared or was fixed.
    pub reported: Reported,
    pub watchdog: Option<Interval>,
    /// Tells the outside WebSub hubs of each published change, in the background.
    pub notifier: Notifier,
    /// The built-in WebSub hub, told of every feed whose bytes a published snapshot changed.
    pub websub_hub: Option<Hub>,
    /// Publishes each build to the `[deploy]` target, in the background.
    pub deployer: Deployer,
    /// The server's TLS, re-read on SIGHUP; `None` when it serves plain HTTP.
    pub tls: Option<Tls>,
    /// Writes the lock file and the `Last-Modified` stamps, on a thread of its own.
    pub disk: DiskWriter,
}

impl EventLoop {
    /// The loop for `site`, whose last build `publisher` serves, with its watches in place.
    pub fn new(
        site: Site,
        config_path: &Path,
        publisher: Publisher,
        reported: Reported,
        notifier: Notifier,
        deployer: Deployer,
        disk: DiskWriter,
    ) -> Result<EventLoop, DaemonError> {
        let reloads = Reloads::new().map_err(DaemonError::Signals)?;
        let watching = start_watching(&site, config_path)?;
        let last = site.last();
        let mut status = Status::new(
            last.published,
            last.documents.len(),
            last.diagnostics.len(),
            Local::now(),
        );
        status.disk_written(site.persist_errors());
        announce_start(&site, &notifier);
        // The manifest in `state_dir` says what the target holds: a restart sends only changes.
        deploy(&deployer, &site, &publisher.current());
        Ok(EventLoop {
            watch_settings: WatchSettings::from_config(site.config(), config_path),
            config_path: config_path.to_path_buf(),
            publishing: CompressingPublisher::spawn(publisher),
            site,
            reloads,
            watching,
            status,
            reported,
            watchdog: watchdog(),
            notifier,
            websub_hub: None,
            deployer,
            tls: None,
            disk,
        })
    }

    /// Runs until watching cannot be restarted; a stop comes from outside, by aborting the task.
    pub async fn run(mut self) -> Result<(), DaemonError> {
        loop {
            let due = next_due_sleep(self.site.last().next_due);
            tokio::select! {
                batch = self.watching.batches.recv() => self.on_batch(batch)?,
                () = due => self.on_due(),
                () = self.reloads.recv() => self.on_reload()?,
                Some(outcome) = self.disk.outcomes.recv() => self.on_written(outcome),
                () = tick(&mut self.watchdog) => systemd::watchdog(),
            }
        }
    }

    fn on_batch(&mut self, batch: Option<Batch>) -> Result<(), DaemonError> {
        let Some(batch) = batch else {
            tracing::error!("file watching stopped; restarting it");
            self.watching = start_watching(&self.site, &self.config_path)?;
            return Ok(());
        };
        if batch.config {
            self.reload();
            self.restart_watching_if_moved()?;
        }
        self.apply(&batch, describe(&batch));
        if batch.config {
            // A reload may have fixed (or broken) where feedd writes, with no document changing.
            self.persist_and_report();
            self.disk.retry(self.site.state_files());
        }
        if let Some(line) = self.status.take_update() {
            systemd::status(&line);
        }
        Ok(())
    }

    fn on_due(&mut self) {
        let started = Instant::now();
        let rebuilt = tokio::task::block_in_place(|| self.site.tick(Utc::now()));
        self.publish(rebuilt, started, "a scheduled post came due".into());
        if let Some(line) = self.status.take_update() {
            systemd::status(&line);
        }
    }

    fn on_reload(&mut self) -> Result<(), DaemonError> {
        tracing::info!("SIGHUP: reloading {}", self.config_path.display());
        systemd::reloading();
        self.reload();
        let server = &self.site.config().server;
        super::certificate::reload(self.tls.as_ref(), server, &mut self.status);
        self.restart_watching_if_moved()?;
        let batch = Batch {
            rescan: true,
            ..Batch::default()
        };
        self.apply(&batch, "reload".into());
        self.persist_and_report();
        self.disk.retry(self.site.state_files());
        systemd::ready(&self.status.take_line());
        Ok(())
    }

    /// A reload that moved the source folder or changed how it is watched needs a new watcher.
    fn restart_watching_if_moved(&mut self) -> Result<(), DaemonError> {
        let wanted = WatchSettings::from_config(self.site.config(), &self.config_path);
        if wanted != self.watch_settings {
            self.watching = start_watching(&self.site, &self.config_path)?;
            self.watch_settings = wanted;
        }
        Ok(())
    }

    fn reload(&mut self) {
        let before = self.site.config().server.clone();
        let hub_before = self.site.config().websub.builtin.clone();
        match self.site.reload_config() {
            Ok(()) => {
                tracing::info!("config reloaded");
                self.status.config_read(Ok(()));
                // The hub list in force from now on, even when no document changes with it.
                (self.notifier).announce(&self.site.config().websub.hubs, Vec::new());
                // A new `[deploy]` target gets the documents now, not at the next change.
                deploy(&self.deployer, &self.site, &self.publishing.current());
                let after = &self.site.config().server;
                let restart_only = |s: &crate::config::Server| {
                    let polite = (s.metrics, s.rate_limit);
                    (
                        s.listen,
                        s.max_age,
                        s.max_connections,
                        s.limits.clone(),
                        polite,
                    )
                };
                if restart_only(after) != restart_only(&before) {
                    tracing::warn!(
                        "`[server]` listen, max_age, max_connections, the connection limits, metrics and rate_limit take effect when feedd restarts"
                    );
                }
                if self.site.config().websub.builtin != hub_before {
                    tracing::warn!(
                        "the built-in WebSub hub's settings take effect when feedd restarts"
                    );
                }
            }
            Err(err) => {
                tracing::error!("{err}; keeping the previous config");
                self.status.config_read(Err(err.to_string()));
            }
        }
    }

    /// Re-reads what `batch` names and publishes the result. A source folder that cannot be
    /// read leaves the last good documents served, with the problem reported beside them.
    fn apply(&mut self, batch: &Batch, cause: String) {
        let started = Instant::now();
        let rebuilt = tokio::task::block_in_place(|| self.site.apply(batch, Utc::now()));
        self.publish(rebuilt, started, cause);
    }

    /// Writes the last build to disk: the output folder now, the lock file and stamps through
    /// the disk writer. When the output folder's failure is not last time's, the problems are
    /// shown (see [`EventLoop::show_disk_problems`]).
    fn persist_and_report(&mut self) {
        if persist(&mut self.site, &self.disk) {
            self.show_disk_problems();
        }
    }

    /// How a write of the disk writer's went.
    fn on_written(&mut self, outcome: Outcome) {
        if self.site.written(outcome) {
            self.show_disk_problems();
            if let Some(line) = self.status.take_update() {
                systemd::status(&line);
            }
        }
    }

    /// Republishes the served documents with the disk's problems among theirs, and names them in
    /// the status line, so `/healthz` and `systemctl status` say what the log says.
    fn show_disk_problems(&mut self) {
        self.status.disk_written(self.site.persist_errors());
        let diagnostics = with_disk_problems(&self.site, self.site.last().diagnostics.clone());
        let current = self.publishing.current();
        self.publishing
            .publish(current.with_diagnostics(diagnostics));
    }

    fn publish(&mut self, rebuilt: Rebuilt, started: Instant, cause: String) {
        let Some(build) = rebuilt.build else {
            tracing::debug!("{cause}: no document changed");
            return;
        };
        let previous = self.publishing.current();
        let changed = build
            .documents
            .iter()
            .filter(|d| {
                previous
                    .get(&d.path)
                    .is_none_or(|p| *p.identity().etag() != d.etag)
            })
            .count();
        let (documents, published, work) = (build.documents.len(), build.published, build.work);
        self.reported.log(&build.diagnostics);
        let problems = build.diagnostics.len();
        let next = tokio::task::block_in_place(|| snapshot(&mut self.site, build, Some(&previous)));
        let generation = next.generation();
        let topics = changed_topics(&previous, &next, &self.site.config().base_url);
        self.publishing.publish(next);
        tokio::task::block_in_place(|| self.site.tidy_media(&self.publishing.current()));
        let elapsed = started.elapsed();
        crate::metrics::global().rebuilt(elapsed);
        self.status
            .rebuilt(published, documents, problems, changed, Local::now());
        self.persist_and_report();
        // After the output folder is written: a `[deploy] command` works on its files.
        deploy(&self.deployer, &self.site, &self.publishing.current());
        // After the output folder is written too: a hub told of a change fetches it at once,
        // perhaps from a web server serving that folder.
        self.announce(topics);
        tracing::info!(
            "rebuilt ({cause}) in {elapsed:.1?}: {} re-read, {} removed; {}; {changed} of {} changed; {}; {work}; generation {generation}",
            rebuilt.refresh.parsed,
            rebuilt.refresh.removed,
            count(published, "post"),
            count(documents, "document"),
            count(problems, "problem"),
        );
    }

    /// Hands the feed documents a published snapshot changed to the built-in hub, which sends
    /// them to its subscribers, and queues a notification of each for each outside hub; returns
    /// at once.
    fn announce(&self, topics: Vec<ChangedTopic>) {
        if topics.is_empty() {
            return;
        }
        let config = self.site.config();
        let urls: Vec<_> = if config.websub.hubs.is_empty() {
            Vec::new()
        } else {
            topics.iter().map(|topic| topic.url.clone()).collect()
        };
        if let Some(hub) = &self.websub_hub {
            hub.topics_changed(topics);
        }
        if !urls.is_empty() {
            tracing::debug!("announcing {} to WebSub hubs", count(urls.len(), "topic"));
            self.notifier.announce(&config.websub.hubs, urls);
        }
    }
}

/// Tells the outside hubs of the feed documents that changed while the daemon was stopped.
fn announce_start(site: &Site, notifier: &Notifier) {
    let config = site.config();
    let changed: HashSet<&str> = site.changed_at_start().iter().map(String::as_str).collect();
    if config.websub.hubs.is_empty() || changed.is_empty() {
        return;
    }
    let topics: Vec<_> = (site.last().documents.iter())
        .filter(|d| matches!(d.kind, DocumentKind::Feed(_)) && changed.contains(d.path.as_str()))
        .filter_map(|d| topic_url(&config.base_url, &d.path))
        .collect();
    if !topics.is_empty() {
        tracing::info!(
            "announcing {} changed while feedd was stopped to WebSub hubs",
            count(topics.len(), "feed document")
        );
        notifier.announce(&config.websub.hubs, topics);
    }
}

/// Hands the last build to the deployer, its media read from `served`'s copies of them
/// (`media_store`) rather than from the source folder: a copy never changes, so an upload cannot
/// mix two versions of a file rewritten while it is sent. A file with no copy is read where it is.
fn deploy(deployer: &Deployer, site: &Site, served: &Snapshot) {
    let last = site.last();
    let media: Vec<MediaFile> = (last.media.iter())
        .map(|file| match served.media(&file.path) {
            Some(copy) => MediaFile {
                source: copy.file().to_path_buf(),
                ..file.clone()
            },
            None => file.clone(),
        })
        .collect();
    deployer.deploy(site.config(), &last.documents, &media);
}

/// Brings the output folder in step with the last build and queues the lock file and stamps on
/// `disk`. Returns whether the output folder's problems changed.
fn persist(site: &mut Site, disk: &DiskWriter) -> bool {
    let persisted = tokio::task::block_in_place(|| site.persist());
    log_written(persisted.written.as_ref());
    for write in persisted.writes {
        disk.queue(write);
    }
    persisted.errors_changed
}

/// The first build's disk, written before anything is served, so a disk that cannot be written
/// shows in the first snapshot's problems.
pub(super) fn persist_first(site: &mut Site, disk: &DiskWriter) {
    let persisted = tokio::task::block_in_place(|| site.persist());
    log_written(persisted.written.as_ref());
    let outcomes = tokio::task::block_in_place(|| disk_writer::write_now(persisted.writes, disk));
    for outcome in outcomes {
        site.written(outcome);
    }
}

fn log_written(report: Option<&WriteReport>) {
    if let Some(report) = report {
        if !report.written.is_empty() || !report.removed.is_empty() {
            tracing::info!(
                "output folder: {} written, {} removed",
                report.written.len(),
                report.removed.len()
            );
        }
    }
}

/// The snapshot of `build` after `previous`, uncompressed, serving its media from their copies
/// (made now where a file changed). The disk's problems are added: they last until a write
/// works, and `build` has not been written yet.
pub(super) fn snapshot(site: &mut Site, build: Build, previous: Option<&Snapshot>) -> Snapshot {
    let media = site.serve_media(&build.media, previous);
    let diagnostics = with_disk_problems(site, build.diagnostics);
    let built_at = built_at(&build.documents);
    let contents = Contents {
        documents: build.documents,
        views: build.views,
        diagnostics,
        entry_count: build.published,
        built_at,
        discovery: discovery(site.config()),
    };
    Snapshot::from_build(contents, previous).with_media(media)
}

/// The hubs feed responses name in `Link` headers, when any is configured.
fn discovery(config: &Config) -> Option<Discovery> {
    config.websub.is_on().then(|| Discovery {
        base_url: config.base_url.clone(),
        hubs: config.websub.advertised(&config.base_url),
    })
}

/// A build's problems and what could not be written to disk: both are served in `/healthz`.
fn with_disk_problems(site: &Site, mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.extend_from_slice(site.persist_errors());
    diagnostics.extend_from_slice(site.media_problems());
    diagnostics
}

/// Now, or the newest `Last-Modified` when a burst of changes stamped one a second ahead (see
/// `change_times`), so the snapshot does not clamp it back onto the previous one.
fn built_at(documents: &[crate::render::Document]) -> chrono::DateTime<Utc> {
    documents
        .iter()
        .map(|d| d.last_modified)
        .fold(Utc::now(), chrono::DateTime::max)
}

pub(super) fn start_watching(site: &Site, config_path: &Path) -> Result<Watching, DaemonError> {
    let watching = watch::start(WatchSettings::from_config(site.config(), config_path))?;
    if let Some(reason) = &watching.fallback {
        tracing::warn!("{reason}; polling for changes instead");
    }
    Ok(watching)
}

/// Pings at half the period systemd's `WatchdogSec=` set, from the event loop itself, so a loop
/// that hangs stops pinging and gets restarted.
pub(super) fn watchdog() -> Option<Interval> {
    let every = systemd::watchdog_interval()?;
    tracing::debug!("systemd watchdog: pinging every {every:?}");
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    Some(interval)
}

async fn tick(watchdog: &mut Option<Interval>) {
    match watchdog {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Sleeps until the earliest scheduled post is due, or forever when none is.
async fn next_due_sleep(due: Option<DateTime<Utc>>) {
    match due {
        Some(due) => {
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            // Wake a moment late rather than early, so the post is due when we rebuild.
            tokio::time::sleep(wait + std::time::Duration::from_millis(5)).await;
        }
        None => std::future::pending().await,
    }
}

fn describe(batch: &Batch) -> String {
    match (batch.rescan, batch.config, batch.paths.len()) {
        (true, _, _) => "full rescan".into(),
        (_, true, _) => "config changed".into(),
        (_, _, 1) => batch
            .paths
            .first()
            .map_or_else(String::new, |p| p.display().to_string()),
        (_, _, n) => format!("{n} files"),
    }
}
