//! `feedd` without a mode: build once, serve, then keep the served documents in step with the
//! source folder and the config until told to stop.
//!
//! This module owns the event loop and nothing else: changes come from `watch`, signals from
//! `signals`, rebuilding is `site`'s job and serving is `http`'s. Each rebuild is published as one
//! new snapshot; a rebuild that changed nothing a reader could see publishes nothing. The service
//! manager hears about each step (ready, reloading, status, stopping, watchdog) through `systemd`,
//! which does nothing when feedd does not run under it.

mod change_times;
mod compressor;
mod signals;
mod site;
mod status;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use chrono::{Local, Utc};
use tokio::net::TcpListener;
use tokio::time::{Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::http::{self, Settings};
use crate::snapshot::{Publisher, Snapshot};
use crate::systemd;
use crate::watch::{self, Batch, WatchSettings, Watching};
use crate::wording::count;
use compressor::CompressingPublisher;
use signals::{Signal, Signals};
use site::{Rebuilt, Site};
use status::Status;

pub use site::StartError;

/// Why the daemon stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Start(#[from] StartError),
    // `error`, not `source`: the message already includes it, and a source would be printed twice.
    #[error(
        "cannot listen on {addr}: {error}; is another process using it? (set `[server] listen` or --listen)"
    )]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("cannot serve on the socket passed by systemd: {0}")]
    Inherited(std::io::Error),
    #[error(transparent)]
    Watch(#[from] watch::WatchError),
    #[error("cannot set up signal handling: {0}")]
    Signals(std::io::Error),
    #[error("HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// Runs the daemon until SIGTERM or SIGINT. It serves on `inherited` when the service manager
/// passed a socket (socket activation), else it binds `listen`, else the config's address.
pub async fn run(
    config_path: &Path,
    listen: Option<SocketAddr>,
    inherited: Option<std::net::TcpListener>,
) -> Result<(), DaemonError> {
    let started = Instant::now();
    let mut site = tokio::task::block_in_place(|| Site::start(config_path, Utc::now()))?;
    persist(&mut site);
    let mut first = site.last().clone();
    report_problems(&first.diagnostics);
    let problems = first.diagnostics.len();
    first.diagnostics.extend_from_slice(site.persist_errors());
    // The first snapshot is compressed before feedd reports ready; later ones in the background.
    let first = tokio::task::block_in_place(|| {
        let built_at = built_at(&first.documents);
        Snapshot::new(
            1,
            first.documents,
            first.diagnostics,
            first.published,
            built_at,
        )
    });
    let publisher = Publisher::new(first);

    let listener = open_listener(inherited, listen.unwrap_or(site.config().server.listen)).await?;
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(http::serve(
        listener,
        publisher.clone(),
        Settings::from_server(&site.config().server),
        shutdown.clone(),
    ));
    let publishing = CompressingPublisher::spawn(publisher);
    let mut signals = Signals::new().map_err(DaemonError::Signals)?;
    let mut watching = start_watching(&site, config_path)?;
    let mut watch_settings = WatchSettings::from_config(site.config(), config_path);
    tracing::info!(
        "ready in {:.1?}: {}, {}",
        started.elapsed(),
        count(site.last().published, "post"),
        count(site.last().documents.len(), "document")
    );
    let mut status = Status::new(
        site.last().published,
        site.last().documents.len(),
        problems,
        Local::now(),
    );
    status.disk_written(
        site.persist_errors()
            .iter()
            .map(ToString::to_string)
            .collect(),
    );
    systemd::ready(&status.take_line());
    let mut watchdog = watchdog();

    loop {
        let due = next_due_sleep(&site);
        tokio::select! {
            batch = watching.batches.recv() => {
                let Some(batch) = batch else {
                    tracing::error!("file watching stopped; restarting it");
                    watching = start_watching(&site, config_path)?;
                    continue;
                };
                if batch.config {
                    reload(&mut site, &mut status);
                    restart_watching_if_moved(&mut watching, &mut watch_settings, &site, config_path)?;
                }
                apply(&mut site, &publishing, &mut status, &batch, describe(&batch));
                if batch.config {
                    persist_and_report(&mut site, &publishing, &mut status);
                }
                if let Some(line) = status.take_update() {
                    systemd::status(&line);
                }
            }
            () = due => {
                let started = Instant::now();
                let rebuilt = tokio::task::block_in_place(|| site.tick(Utc::now()));
                publish(&mut site, &publishing, &mut status, rebuilt, started, "a scheduled post came due".into());
                if let Some(line) = status.take_update() {
                    systemd::status(&line);
                }
            }
            signal = signals.recv() => match signal {
                Signal::Reload => {
                    tracing::info!("SIGHUP: reloading {}", config_path.display());
                    systemd::reloading();
                    reload(&mut site, &mut status);
                    restart_watching_if_moved(&mut watching, &mut watch_settings, &site, config_path)?;
                    let batch = Batch { rescan: true, ..Batch::default() };
                    apply(&mut site, &publishing, &mut status, &batch, "reload".into());
                    persist_and_report(&mut site, &publishing, &mut status);
                    systemd::ready(&status.take_line());
                }
                Signal::Stop(name) => {
                    tracing::info!("{name}: finishing in-flight requests, then stopping");
                    systemd::stopping();
                    break;
                }
            },
            () = tick(&mut watchdog) => systemd::watchdog(),
        }
    }
    drop(watching);
    shutdown.cancel();
    match server.await {
        Ok(result) => result.map_err(DaemonError::Serve),
        Err(join) => Err(DaemonError::Serve(std::io::Error::other(join))),
    }
}

/// Serves on the socket systemd passed when there is one: it is already bound and connections
/// may be queued on it, so binding `addr` instead would leave them unanswered.
async fn open_listener(
    inherited: Option<std::net::TcpListener>,
    addr: SocketAddr,
) -> Result<TcpListener, DaemonError> {
    let Some(socket) = inherited else {
        return TcpListener::bind(addr)
            .await
            .map_err(|error| DaemonError::Bind { addr, error });
    };
    tracing::info!("serving on the socket passed by systemd; {addr} is not bound");
    socket
        .set_nonblocking(true)
        .map_err(DaemonError::Inherited)?;
    TcpListener::from_std(socket).map_err(DaemonError::Inherited)
}

/// Pings at half the period systemd's `WatchdogSec=` set, from the event loop itself, so a loop
/// that hangs stops pinging and gets restarted.
fn watchdog() -> Option<Interval> {
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

fn start_watching(site: &Site, config_path: &Path) -> Result<Watching, DaemonError> {
    let watching = watch::start(WatchSettings::from_config(site.config(), config_path))?;
    if let Some(reason) = &watching.fallback {
        tracing::warn!("{reason}; polling for changes instead");
    }
    Ok(watching)
}

/// A reload that moved the source folder or changed how it is watched needs a new watcher.
fn restart_watching_if_moved(
    watching: &mut Watching,
    current: &mut WatchSettings,
    site: &Site,
    config_path: &Path,
) -> Result<(), DaemonError> {
    let wanted = WatchSettings::from_config(site.config(), config_path);
    if wanted != *current {
        *watching = start_watching(site, config_path)?;
        *current = wanted;
    }
    Ok(())
}

fn reload(site: &mut Site, status: &mut Status) {
    let before = site.config().server.clone();
    match site.reload_config() {
        Ok(()) => {
            tracing::info!("config reloaded");
            status.config_read(Ok(()));
            let after = &site.config().server;
            if (after.listen, after.max_age, after.max_connections)
                != (before.listen, before.max_age, before.max_connections)
            {
                tracing::warn!(
                    "`[server]` listen, max_age and max_connections take effect when feedd restarts"
                );
            }
        }
        Err(err) => {
            tracing::error!("{err}; keeping the previous config");
            status.config_read(Err(err.to_string()));
        }
    }
}

/// Sleeps until the earliest scheduled post is due, or forever when none is.
async fn next_due_sleep(site: &Site) {
    match site.last().next_due {
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

/// Re-reads what `batch` names and publishes the result. A source folder that cannot be read
/// leaves the last good documents served.
fn apply(
    site: &mut Site,
    publisher: &CompressingPublisher,
    status: &mut Status,
    batch: &Batch,
    cause: String,
) {
    let started = Instant::now();
    match tokio::task::block_in_place(|| site.apply(batch, Utc::now())) {
        Ok(rebuilt) => publish(site, publisher, status, rebuilt, started, cause),
        Err(err) => tracing::warn!("{err}; still serving the last good documents"),
    }
}

fn publish(
    site: &mut Site,
    publisher: &CompressingPublisher,
    status: &mut Status,
    rebuilt: Rebuilt,
    started: Instant,
    cause: String,
) {
    let Some(build) = rebuilt.build else {
        tracing::debug!("{cause}: no document changed");
        return;
    };
    let previous = publisher.current();
    let changed = build
        .documents
        .iter()
        .filter(|d| {
            previous
                .get(&d.path)
                .is_none_or(|p| p.identity().etag() != d.etag)
        })
        .count();
    let (documents, published) = (build.documents.len(), build.published);
    report_problems(&build.diagnostics);
    let problems = build.diagnostics.len();
    // The disk's problems last until a write works: this build has not been written yet.
    let mut diagnostics = build.diagnostics;
    diagnostics.extend_from_slice(site.persist_errors());
    let next = tokio::task::block_in_place(|| {
        let built_at = built_at(&build.documents);
        Snapshot::uncompressed(
            Some(&previous),
            build.documents,
            diagnostics,
            build.published,
            built_at,
        )
    });
    let generation = next.generation();
    publisher.publish(next);
    let elapsed = started.elapsed();
    status.rebuilt(published, documents, problems, changed, Local::now());
    persist_and_report(site, publisher, status);
    tracing::info!(
        "rebuilt ({cause}) in {elapsed:.1?}: {} re-read, {} removed; {}; {changed} of {} changed; {}; generation {generation}",
        rebuilt.refresh.parsed,
        rebuilt.refresh.removed,
        count(published, "post"),
        count(documents, "document"),
        count(problems, "problem"),
    );
}

/// Writes the last build to disk. When what failed is not what failed last time, the served
/// documents are republished with the failures among their problems and the status line names
/// them, so `/healthz` and `systemctl status` say what the log says.
fn persist_and_report(site: &mut Site, publisher: &CompressingPublisher, status: &mut Status) {
    if !persist(site) {
        return;
    }
    let errors = site.persist_errors();
    status.disk_written(errors.iter().map(ToString::to_string).collect());
    let mut diagnostics = site.last().diagnostics.clone();
    diagnostics.extend_from_slice(errors);
    publisher.publish(publisher.current().with_diagnostics(diagnostics));
}

/// Writes the last build to disk and logs what changed; returns whether the failures changed.
fn persist(site: &mut Site) -> bool {
    let persisted = tokio::task::block_in_place(|| site.persist());
    if let Some(changes) = persisted.recorded {
        let lock = site.lock_path().display();
        if changes.is_notable() {
            tracing::info!("{changes} in {lock} — commit it");
        } else {
            tracing::debug!("{changes} in {lock}");
        }
    }
    if let Some(report) = persisted.written {
        if !report.written.is_empty() || !report.removed.is_empty() {
            tracing::info!(
                "output folder: {} written, {} removed",
                report.written.len(),
                report.removed.len()
            );
        }
    }
    persisted.errors_changed
}

/// Now, or the newest `Last-Modified` when a burst of changes stamped one a second ahead (see
/// `change_times`), so the snapshot does not clamp it back onto the previous one.
fn built_at(documents: &[crate::render::Document]) -> chrono::DateTime<Utc> {
    documents
        .iter()
        .map(|d| d.last_modified)
        .fold(Utc::now(), chrono::DateTime::max)
}

fn report_problems(diagnostics: &[crate::diagnostic::Diagnostic]) {
    for diagnostic in diagnostics {
        tracing::warn!("{diagnostic}");
    }
}
