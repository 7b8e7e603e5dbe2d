//! `feedd` without a mode: build once, serve, then keep the served documents in step with the
//! source folder and the config until told to stop.
//!
//! This module starts the pieces and stops them: the event loop (`event_loop`) turns changes from
//! `watch` and reloads from `signals` into rebuilds (`site`'s job) and publishes them for `http`
//! to serve; a stop signal ends it from here, without waiting for a rebuild. Each rebuild is
//! published as one new snapshot; a rebuild that changed nothing a reader could see publishes
//! nothing. The service manager hears about each step (ready, reloading, status, stopping,
//! watchdog) through `systemd`, which does nothing when feedd does not run under it.

mod certificate;
mod change_times;
mod compressor;
mod disk_problems;
mod disk_writer;
mod event_loop;
mod media_store;
mod problems;
mod signals;
mod site;
mod status;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use chrono::Utc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::deploy::{DeployStatus, Deployer};
use crate::http::{self, Settings};
use crate::snapshot::{Publisher, Snapshot};
use crate::systemd;
use crate::watch;
use crate::websub::hub::{Hub, HubError};
use crate::websub::{Notifier, PublishStatus, Retry};
use crate::wording::count;
use disk_writer::DiskWriter;
use event_loop::EventLoop;
use problems::Reported;
use site::Site;

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
    #[error("cannot start the thread that writes the lock file: {0}")]
    DiskWriter(std::io::Error),
    #[error("cannot set up signal handling: {0}")]
    Signals(std::io::Error),
    #[error("the event loop failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("HTTP server failed: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error(transparent)]
    Tls(#[from] http::TlsError),
}

/// Runs the daemon until SIGTERM or SIGINT. It serves on `inherited` when the service manager
/// passed a socket (socket activation), else it binds `listen`, else the config's address.
///
/// The event loop runs as a task of its own, and a stop signal is awaited here, beside it: a
/// stop never waits for a rebuild in progress, which is abandoned (nothing it would write is
/// written half: output files are replaced atomically).
pub async fn run(
    config_path: &Path,
    listen: Option<SocketAddr>,
    inherited: Option<std::net::TcpListener>,
) -> Result<(), DaemonError> {
    let started = Instant::now();
    let stop = CancellationToken::new();
    signals::stop_on_signals(stop.clone()).map_err(DaemonError::Signals)?;
    let Some(mut site) = first_build(config_path, &stop).await? else {
        return Ok(());
    };
    let mut reported = Reported::default();
    reported.log(&site.last().diagnostics);
    let (disk, finisher) = DiskWriter::spawn().map_err(DaemonError::DiskWriter)?;
    // Written first, so a disk that cannot be written shows in the first snapshot's problems.
    event_loop::persist_first(&mut site, &disk);
    let publisher = Publisher::new(first_snapshot(&mut site));
    site.tidy_media(&publisher.current());

    let (listener, tls) = listen_on(&site.config().server, listen, inherited).await?;
    let shutdown = CancellationToken::new();
    let Serving {
        server,
        notifier,
        hub,
        deployer,
    } = serve(&site, listener, tls.clone(), &publisher, &shutdown)?;
    let mut events = EventLoop::new(
        site,
        config_path,
        publisher,
        reported,
        notifier,
        deployer,
        disk,
    )?;
    events.websub_hub = hub;
    events.tls = tls;
    tracing::info!(
        "ready in {:.1?}: {}, {}",
        started.elapsed(),
        count(events.site.last().published, "post"),
        count(events.site.last().documents.len(), "document")
    );
    systemd::ready(&events.status.take_line());
    let ended = until_stopped(events, &stop).await;
    systemd::stopping();
    // Whatever ended the loop, the ids of its last rebuild reach the lock file.
    finisher.finish().await;
    ended?;
    shutdown.cancel();
    match server.await {
        Ok(result) => result.map_err(DaemonError::Serve),
        Err(join) => Err(DaemonError::Serve(std::io::Error::other(join))),
    }
}

/// Runs the event loop as a task of its own until a stop signal, which abandons it even in the
/// middle of a rebuild, or until it fails.
async fn until_stopped(events: EventLoop, stop: &CancellationToken) -> Result<(), DaemonError> {
    let mut events = tokio::spawn(events.run());
    tokio::select! {
        () = stop.cancelled() => {
            events.abort();
            Ok(())
        }
        ended = &mut events => ended.map_err(DaemonError::Task).and_then(|result| result),
    }
}

/// The HTTP server's task, and the parts the event loop tells of each change: the WebSub ones
/// and the deployer.
struct Serving {
    server: JoinHandle<std::io::Result<()>>,
    notifier: Notifier,
    hub: Option<Hub>,
    deployer: Deployer,
}

/// Starts the HTTP server on `listener`, with what it reports on and serves beside the
/// documents: the notifier of outside hubs and the deployer (whose statuses `/healthz` shows)
/// and the built-in hub, when the config names one.
fn serve(
    site: &Site,
    listener: TcpListener,
    tls: Option<http::Tls>,
    publisher: &Publisher,
    shutdown: &CancellationToken,
) -> Result<Serving, DaemonError> {
    let notifier = Notifier::spawn(PublishStatus::default(), Retry::DEFAULT);
    notifier.announce(&site.config().websub.hubs, Vec::new());
    let deployer = Deployer::spawn(DeployStatus::default());
    let settings = Settings {
        tls,
        ..server_settings(site, &notifier, &deployer)
    };
    let hub = Hub::start(site.config())?;
    let server = tokio::spawn(http::serve_with_hub(
        listener,
        publisher.clone(),
        settings,
        hub.clone(),
        shutdown.clone(),
    ));
    Ok(Serving {
        server,
        notifier,
        hub,
        deployer,
    })
}

/// The HTTP server's settings, with the statuses `/healthz` shows beside the build's.
fn server_settings(site: &Site, notifier: &Notifier, deployer: &Deployer) -> Settings {
    Settings {
        publish_status: notifier.status().clone(),
        deploy_status: deployer.status().clone(),
        ..Settings::from_server(&site.config().server)
    }
}

/// Loads the config and builds once, off the async workers; `None` when a stop came first,
/// which ends the daemon as cleanly as one later on.
async fn first_build(
    config_path: &Path,
    stop: &CancellationToken,
) -> Result<Option<Site>, DaemonError> {
    let start = tokio::task::spawn_blocking({
        let config_path = config_path.to_path_buf();
        move || Site::start(&config_path, Utc::now())
    });
    tokio::select! {
        started = start => Ok(Some(started??)),
        () = stop.cancelled() => Ok(None),
    }
}

/// The first snapshot is compressed before feedd reports ready; later ones in the background.
fn first_snapshot(site: &mut Site) -> Snapshot {
    tokio::task::block_in_place(|| {
        let first = event_loop::snapshot(site, site.last().clone(), None);
        first.compressed().unwrap_or(first)
    })
}

/// The listening socket, and the TLS certificate when `server` names one: read first, so a
/// pair that cannot be used stops feedd before it takes the port.
async fn listen_on(
    server: &crate::config::Server,
    listen: Option<SocketAddr>,
    inherited: Option<std::net::TcpListener>,
) -> Result<(TcpListener, Option<http::Tls>), DaemonError> {
    let tls = server.tls.as_ref().map(http::Tls::load).transpose()?;
    let addr = listen.unwrap_or(server.listen);
    let listener = open_listener(inherited, addr, server.limits.listen_backlog).await?;
    Ok((listener, tls))
}

/// Serves on the socket systemd passed when there is one: it is already bound and connections
/// may be queued on it, so binding `addr` instead would leave them unanswered.
/// The inherited socket keeps the backlog systemd gave it (`Backlog=` in `feedd.socket`).
async fn open_listener(
    inherited: Option<std::net::TcpListener>,
    addr: SocketAddr,
    backlog: u32,
) -> Result<TcpListener, DaemonError> {
    let Some(socket) = inherited else {
        return http::bind(addr, backlog)
            .await
            .map_err(|error| DaemonError::Bind { addr, error });
    };
    tracing::info!("serving on the socket passed by systemd; {addr} is not bound");
    socket
        .set_nonblocking(true)
        .map_err(DaemonError::Inherited)?;
    TcpListener::from_std(socket).map_err(DaemonError::Inherited)
}
