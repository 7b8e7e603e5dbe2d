//! The HTTP server: an accept loop that cannot spin and never leaves a client queued, HTTP/1.1
//! keep-alive and HTTP/2 under per-client bounds (`connection.rs`: connections per address,
//! header bytes, header-read and send timeouts, requests and lifetime per connection, streams
//! per HTTP/2 connection), optional TLS (`tls.rs`), and a graceful shutdown with a deadline. What each request gets is decided by [`answer`] (`service.rs`: documents by
//! [`respond`], media files by `media.rs`, byte ranges by `range.rs`), a pure function of the
//! current snapshot; this module only moves bytes, a media file's streamed from disk (`body.rs`). Building and publishing
//! snapshots is the daemon's.
//!
//! The caller injects the listener, the [`Publisher`] and the shutdown token, so tests bind
//! `127.0.0.1:0` and run the server in-process, and a socket handed over by systemd can be served
//! the same way.

mod body;
mod clients;
mod conditional;
mod connection;
mod discovery;
mod encoding;
mod front;
mod guarded;
mod health;
mod hub_endpoint;
mod listener;
mod media;
mod metrics;
mod negotiation;
mod range;
mod rate_limit;
mod refuse;
pub mod service;
pub mod tls;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub use self::body::{FilePart, Payload};
use self::connection::Server;
pub use self::front::Front;
pub use self::listener::bind;
pub use self::service::{answer, respond};
pub use self::tls::{Tls, TlsError};
use crate::config;
use crate::deploy::DeployStatus;
use crate::feed::polling::Policy;
use crate::snapshot::Publisher;
use crate::websub::PublishStatus;
use crate::websub::hub::Hub;

/// How the server treats clients. Built from `[server]` in the config by [`Settings::from_server`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `Cache-Control: max-age` on documents, in seconds.
    pub max_age: u32,
    /// `Cache-Control: max-age` on archive pages, in seconds; they are also `immutable`.
    pub archive_max_age: u32,
    /// Connections served at once. At the cap, the quietest connection is asked to close to make
    /// room; when none can be freed in time the newcomer gets a 503.
    pub max_connections: usize,
    /// Connections one client address (an IPv6 /64) may hold; further ones get a 503.
    pub max_connections_per_address: usize,
    /// How long a client may take to send a request's headers, and how long an idle keep-alive
    /// connection is kept; slow or silent clients are dropped after it.
    pub header_read_timeout: Duration,
    /// A response write that makes no progress for this long closes the connection.
    pub send_timeout: Duration,
    /// A connection open this long is closed after its current response.
    pub connection_lifetime: Duration,
    /// Requests served on one connection; the last one is answered with `Connection: close`.
    pub max_requests_per_connection: u64,
    /// hyper's read buffer: a request line and headers larger than this get a 431.
    pub max_header_bytes: usize,
    /// How long shutdown waits for in-flight responses before closing their connections.
    pub shutdown_grace: Duration,
    /// What the WebSub notifier last did at each outside hub, shown in `/healthz`; shared with
    /// the notifier, which keeps it current (reloads included).
    pub publish_status: PublishStatus,
    /// What the deployer last did (`[deploy]`), shown in `/healthz`; shared with the deployer.
    pub deploy_status: DeployStatus,
    /// Whether `/metrics` is served, to loopback clients (`metrics.rs`).
    pub metrics: bool,
    /// Requests a minute one client address may make beyond 304s; 0 for none (`rate_limit.rs`).
    pub rate_limit: u32,
    /// Serve HTTPS with this certificate (shared with the daemon, which reloads it) instead of
    /// plain HTTP.
    pub tls: Option<Tls>,
}

impl Settings {
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

    pub fn from_server(server: &config::Server) -> Settings {
        Settings {
            archive_max_age: server.archive_max_age,
            metrics: server.metrics,
            rate_limit: server.rate_limit,
            ..Settings::with(server.max_age, server.max_connections, &server.limits)
        }
    }

    fn with(max_age: u32, max_connections: usize, limits: &config::Limits) -> Settings {
        Settings {
            max_age,
            archive_max_age: config::defaults::server::ARCHIVE_MAX_AGE,
            max_connections,
            max_connections_per_address: limits.max_connections_per_address,
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            send_timeout: Duration::from_secs(limits.send_timeout_secs),
            connection_lifetime: Duration::from_secs(limits.connection_lifetime_secs),
            max_requests_per_connection: limits.max_requests_per_connection,
            max_header_bytes: limits.max_header_bytes,
            shutdown_grace: Self::DEFAULT_SHUTDOWN_GRACE,
            publish_status: PublishStatus::default(),
            deploy_status: DeployStatus::default(),
            tls: None,
            metrics: config::defaults::server::METRICS,
            rate_limit: config::defaults::server::RATE_LIMIT,
        }
    }

    /// How long readers may keep each kind of document.
    pub fn policy(&self) -> Policy {
        Policy {
            max_age: self.max_age,
            archive_max_age: self.archive_max_age,
        }
    }
}

impl Default for Settings {
    /// The config's defaults.
    fn default() -> Settings {
        Settings::with(
            config::defaults::server::MAX_AGE,
            config::defaults::server::MAX_CONNECTIONS,
            &config::Limits::DEFAULT,
        )
    }
}

/// Serves the current snapshot of `snapshots` on `listener` until `shutdown` is cancelled, then
/// stops accepting, lets in-flight responses finish (up to `settings.shutdown_grace`) and returns.
/// Accept errors are logged and retried after a growing pause, never fatal.
pub async fn serve(
    listener: TcpListener,
    snapshots: Publisher,
    settings: Settings,
    shutdown: CancellationToken,
) -> io::Result<()> {
    serve_with_hub(listener, snapshots, settings, None, shutdown).await
}

/// [`serve`], with the built-in WebSub hub's endpoint answered by `hub`.
pub async fn serve_with_hub(
    listener: TcpListener,
    snapshots: Publisher,
    settings: Settings,
    hub: Option<Hub>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    match listener.local_addr() {
        Ok(addr) if settings.tls.is_some() => tracing::info!(%addr, "serving HTTPS"),
        Ok(addr) => tracing::info!(%addr, "serving HTTP"),
        Err(error) => tracing::info!(%error, "serving HTTP on a socket without a local address"),
    }
    run(listener, snapshots, settings, hub, shutdown).await;
    Ok(())
}

/// A source of connections; a trait so the accept loop's error handling can be tested with a
/// listener that fails on demand.
trait Accept {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Stream, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    type Stream = TcpStream;
    async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = TcpListener::accept(self).await?;
        // Responses go out in one write; waiting to coalesce small ones only adds latency.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%peer, %error, "cannot disable Nagle's algorithm");
        }
        Ok((stream, peer))
    }
}

/// The pause after an accept error: 10 ms, doubling to 1 s, reset by a success. Errors such as
/// EMFILE persist until a connection closes, and retrying at once would only burn the CPU that
/// closing it needs.
struct Backoff(Option<Duration>);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    fn next(&mut self) -> Duration {
        let delay = self.0.map_or(Self::FIRST, |d| (d * 2).min(Self::MAX));
        self.0 = Some(delay);
        delay
    }
}

async fn run<A: Accept>(
    mut acceptor: A,
    snapshots: Publisher,
    settings: Settings,
    hub: Option<Hub>,
    shutdown: CancellationToken,
) {
    let server = Server::new(snapshots, settings, hub, shutdown.clone());
    let mut backoff = Backoff(None);
    loop {
        // Accepting never waits for a slot: a client the server cannot take is answered (see
        // `Server::admit`), not left in the kernel's backlog.
        let accepted = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = acceptor.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = Backoff(None);
                server.admit(stream, peer);
            }
            Err(error) => {
                let delay = backoff.next();
                tracing::warn!(%error, retry_in_ms = delay.as_millis(), "accepting a connection failed");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    // Closing the listening socket now makes new clients fail fast instead of waiting.
    drop(acceptor);
    let tracker = &server.tracker;
    tracker.close();
    tracing::info!(connections = tracker.len(), "shutting down HTTP");
    if tokio::time::timeout(server.settings.shutdown_grace, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = tracker.len(),
            "connections still open after the shutdown grace period; closing them"
        );
        server.deadline.cancel();
        tracker.wait().await;
    }
}

#[cfg(test)]
mod tests;
