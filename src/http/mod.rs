//! The HTTP server: an accept loop that cannot spin, a cap on connections, HTTP/1.1 keep-alive
//! with a header-read timeout, and a graceful shutdown with a deadline. What each request gets is
//! decided by [`respond`] (`service.rs`), a pure function of the current snapshot; this module
//! only moves bytes. Building and publishing snapshots is the daemon's.
//!
//! The caller injects the listener, the [`Publisher`] and the shutdown token, so tests bind
//! `127.0.0.1:0` and run the server in-process, and a socket handed over by systemd can be served
//! the same way ([`serve_std`]).

mod conditional;
mod encoding;
mod health;
pub mod service;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use self::service::respond;
use crate::config;
use crate::snapshot::Publisher;

/// How the server treats clients. Built from `[server]` in the config by [`Settings::from_server`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `Cache-Control: max-age` on documents, in seconds.
    pub max_age: u32,
    /// Connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and how long an idle keep-alive
    /// connection is kept; slow or silent clients are dropped after it.
    pub header_read_timeout: Duration,
    /// How long shutdown waits for in-flight responses before closing their connections.
    pub shutdown_grace: Duration,
}

impl Settings {
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

    pub fn from_server(server: &config::Server) -> Settings {
        Settings {
            max_age: server.max_age,
            max_connections: server.max_connections,
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            shutdown_grace: Self::DEFAULT_SHUTDOWN_GRACE,
        }
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
    match listener.local_addr() {
        Ok(addr) => tracing::info!(%addr, "serving HTTP"),
        Err(error) => tracing::info!(%error, "serving HTTP on a socket without a local address"),
    }
    run(listener, snapshots, settings, shutdown).await;
    Ok(())
}

/// [`serve`] for a listener created outside tokio, such as a socket passed in by systemd.
pub async fn serve_std(
    listener: std::net::TcpListener,
    snapshots: Publisher,
    settings: Settings,
    shutdown: CancellationToken,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    serve(
        TcpListener::from_std(listener)?,
        snapshots,
        settings,
        shutdown,
    )
    .await
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
    shutdown: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(settings.max_connections.max(1)));
    let tracker = TaskTracker::new();
    // Cancelled only when the grace period is over, to close connections still open then.
    let deadline = CancellationToken::new();
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let settings = Arc::new(settings);
    let mut backoff = Backoff(None);
    loop {
        // Waiting for a permit before accepting leaves excess clients in the kernel's backlog.
        let permit = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // the semaphore is never closed
            },
        };
        let accepted = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = acceptor.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff = Backoff(None);
                accepted
            }
            Err(error) => {
                let delay = backoff.next();
                tracing::warn!(%error, retry_in_ms = delay.as_millis(), "accepting a connection failed");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(delay) => continue,
                }
            }
        };
        tracker.spawn(connection(
            builder.clone(),
            stream,
            peer,
            snapshots.clone(),
            Arc::clone(&settings),
            shutdown.clone(),
            deadline.clone(),
            permit,
        ));
    }
    // Closing the listening socket now makes new clients fail fast instead of waiting.
    drop(acceptor);
    tracker.close();
    tracing::info!(connections = tracker.len(), "shutting down HTTP");
    if tokio::time::timeout(settings.shutdown_grace, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = tracker.len(),
            "connections still open after the shutdown grace period; closing them"
        );
        deadline.cancel();
        tracker.wait().await;
    }
}

#[allow(clippy::too_many_arguments)] // one task's whole context, passed once
async fn connection<S>(
    builder: http1::Builder,
    stream: S,
    peer: SocketAddr,
    snapshots: Publisher,
    settings: Arc<Settings>,
    shutdown: CancellationToken,
    deadline: CancellationToken,
    _permit: OwnedSemaphorePermit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: Request<Incoming>| {
        // The body of a GET or HEAD is not read; dropping it lets hyper discard it.
        let (parts, _body) = request.into_parts();
        let request = Request::from_parts(parts, ());
        let response = respond(&snapshots.load(), &settings, &request);
        tracing::debug!(
            method = %request.method(),
            path = request.uri().path(),
            status = response.status().as_u16(),
            "request"
        );
        std::future::ready(Ok::<Response<Full<bytes::Bytes>>, Infallible>(
            response.map(Full::new),
        ))
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shutdown.cancelled() => {
            // Idle connections close now; a response being written finishes, without keep-alive.
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                result = connection.as_mut() => result,
                () = deadline.cancelled() => return,
            }
        }
    };
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection closed with an error");
    }
}

#[cfg(test)]
mod tests;
