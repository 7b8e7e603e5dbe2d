//! From an accepted socket to a closed one: admission (the per-address share, then a slot, making
//! room at the cap by evicting the quietest connection), the TLS handshake when the server has
//! TLS (`tls`), serving HTTP/1.1 or HTTP/2 (by ALPN, or by the HTTP/2 preface on plain sockets)
//! with hyper under every bound of [`Settings`], and the ways a connection is ended early
//! (shutdown, lifetime, eviction, its request cap, silence), each with its own deadline. Every
//! wait here ends; nothing is left queued without an answer.
//!
//! The bounds are the same on both protocols; where HTTP/1.1 ends a connection with
//! `Connection: close` or hyper's header-read timeout, HTTP/2 gets a GOAWAY (`graceful_shutdown`)
//! from here.

use std::convert::Infallible;
use std::fmt::Display;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Settings;
use super::body::{self, Body, Payload};
use super::clients::{Activity, Clients, Ticket};
use super::front::Front;
use super::guarded::Guarded;
use super::refuse::{Refusal, refuse};
use super::{hub_endpoint, metrics};
use crate::snapshot::Publisher;
use crate::websub::hub::Hub;

/// HTTP/2 streams one connection may have open at once (nginx's `http2_max_concurrent_streams`
/// is 128); more are refused with `REFUSED_STREAM`.
pub(super) const MAX_CONCURRENT_STREAMS: u32 = 128;
/// How long an evicted connection may take to finish its response before it is closed.
const EVICTION_GRACE: Duration = Duration::from_millis(500);
/// How long a newcomer at the cap waits for the slot an eviction frees before it gets a 503.
const EVICTION_WAIT: Duration = Duration::from_secs(1);

/// What the accept loop and every connection task share.
pub(super) struct Server {
    builder: auto::Builder<TokioExecutor>,
    snapshots: Publisher,
    /// The built-in WebSub hub, whose endpoint reads request bodies; `None` when it is off.
    hub: Option<Hub>,
    /// The document path: metrics and the rate limit around `respond`.
    front: Front,
    pub(super) settings: Settings,
    shutdown: CancellationToken,
    /// Cancelled when the shutdown grace period is over, to close connections still open then.
    pub(super) deadline: CancellationToken,
    clients: Arc<Clients>,
    slots: Arc<Semaphore>,
    /// Bounds the refusals being written, so a flood of them cannot hold many sockets.
    refusals: Arc<Semaphore>,
    pub(super) tracker: TaskTracker,
}

/// Why a connection is being closed before its client closed it.
#[derive(Debug, Clone, Copy)]
enum Ending {
    Shutdown,
    Lifetime,
    Evicted,
    /// An HTTP/2 connection served its `max_requests_per_connection`.
    Requests,
    /// No byte moved for [`Server::quiet_limit`]: an idle HTTP/2 connection, or one whose
    /// client sends nothing at all.
    Quiet,
}

impl Server {
    pub(super) fn new(
        snapshots: Publisher,
        settings: Settings,
        hub: Option<Hub>,
        shutdown: CancellationToken,
    ) -> Arc<Server> {
        let builder = builder(&settings);
        let slots = settings.max_connections.max(1);
        Arc::new(Server {
            builder,
            snapshots,
            hub,
            front: Front::new(&settings),
            clients: Clients::new(settings.max_connections_per_address),
            slots: Arc::new(Semaphore::new(slots)),
            refusals: Arc::new(Semaphore::new(slots)),
            settings,
            shutdown,
            deadline: CancellationToken::new(),
            tracker: TaskTracker::new(),
        })
    }

    /// Serves `stream`, refuses it, or (at the cap) evicts the quietest connection and serves it
    /// once that slot is free. Never waits itself, so the accept loop keeps draining the backlog.
    pub(super) fn admit<S>(self: &Arc<Self>, stream: S, peer: SocketAddr)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Some(ticket) = self.clients.admit(client_key(peer.ip())) else {
            tracing::debug!(%peer, "refused: max_connections_per_address reached");
            return self.refuse(stream, Refusal::AddressFull);
        };
        if let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() {
            self.tracker
                .spawn(Arc::clone(self).serve(stream, peer, ticket, slot));
            return;
        }
        if !self.clients.evict_quietest() {
            tracing::debug!(%peer, "refused: max_connections reached, all closing already");
            drop(ticket);
            return self.refuse(stream, Refusal::ServerFull);
        }
        let server = Arc::clone(self);
        self.tracker.spawn(async move {
            let slot = tokio::select! {
                slot = tokio::time::timeout(EVICTION_WAIT, Arc::clone(&server.slots).acquire_owned()) => slot,
                () = server.shutdown.cancelled() => return,
            };
            match slot {
                Ok(Ok(slot)) => server.serve(stream, peer, ticket, slot).await,
                _ => {
                    tracing::debug!(%peer, "refused: no slot freed in {EVICTION_WAIT:?}");
                    drop(ticket);
                    refuse(stream, Refusal::ServerFull).await;
                }
            }
        });
    }

    fn refuse<S>(&self, stream: S, why: Refusal)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        // A TLS client cannot read a plain-text answer, and a handshake per refusal would cost
        // what refusing saves: it gets a bare close, as any client past the bound does.
        if self.settings.tls.is_some() {
            crate::metrics::global().refused(why.label());
            return;
        }
        // Past the bound, the refusal is a bare close: still fast, never a wait.
        if let Ok(permit) = Arc::clone(&self.refusals).try_acquire_owned() {
            self.tracker.spawn(async move {
                refuse(stream, why).await;
                drop(permit);
            });
        } else {
            crate::metrics::global().refused(why.label());
        }
    }

    async fn serve<S>(
        self: Arc<Self>,
        stream: S,
        peer: SocketAddr,
        ticket: Ticket,
        _slot: OwnedSemaphorePermit,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        ticket.serving();
        let _open = crate::metrics::global().connection_open();
        let io = Guarded::new(stream, self.settings.send_timeout, ticket.activity.clone());
        let Some(tls) = &self.settings.tls else {
            return self.drive(io, peer, &ticket).await;
        };
        let handshake = tokio::time::timeout(self.settings.header_read_timeout, tls.accept(io));
        let accepted = tokio::select! {
            accepted = handshake => accepted,
            () = self.shutdown.cancelled() => return,
            () = ticket.evict.cancelled() => return,
        };
        match accepted {
            Ok(Ok(io)) => self.drive(io, peer, &ticket).await,
            Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
            Err(_) => tracing::debug!(%peer, "no TLS handshake within the header read timeout"),
        }
    }

    /// Serves HTTP on `io` until the client closes it or the server ends it.
    async fn drive<I>(self: &Arc<Self>, io: I, peer: SocketAddr, ticket: &Ticket)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let retire = CancellationToken::new();
        let service = {
            let (server, retire) = (Arc::clone(self), retire.clone());
            let served = AtomicU64::new(0);
            service_fn(move |request: Request<Incoming>| {
                let count = served.fetch_add(1, Ordering::Relaxed) + 1;
                let (server, retire) = (Arc::clone(&server), retire.clone());
                async move {
                    let response = server.answer(request, count, peer.ip(), &retire).await;
                    Ok::<_, Infallible>(response)
                }
            })
        };
        let connection = self.builder.serve_connection(TokioIo::new(io), service);
        let mut connection = std::pin::pin!(connection);
        let ending = tokio::select! {
            result = connection.as_mut() => return log_end(peer, result),
            () = self.shutdown.cancelled() => Ending::Shutdown,
            () = tokio::time::sleep(self.settings.connection_lifetime) => Ending::Lifetime,
            () = ticket.evict.cancelled() => Ending::Evicted,
            () = retire.cancelled() => Ending::Requests,
            () = quiet(&ticket.activity, self.quiet_limit()) => Ending::Quiet,
        };
        tracing::debug!(%peer, ?ending, "closing the connection after its current response");
        // Idle connections close now; a response being written finishes, without keep-alive
        // (HTTP/1.1) or after a GOAWAY that admits no new stream (HTTP/2).
        connection.as_mut().graceful_shutdown();
        let grace = match ending {
            Ending::Shutdown | Ending::Lifetime | Ending::Requests => None,
            Ending::Evicted => Some(EVICTION_GRACE),
            Ending::Quiet => Some(self.settings.send_timeout),
        };
        // A response under way at the end of the connection's lifetime (a long download) goes on
        // for as long as it moves bytes; one that stalls is cut by the send timeout, and the
        // quiet bound below catches one stalled by HTTP/2 flow control.
        let progressing = matches!(ending, Ending::Lifetime | Ending::Requests);
        let stalled = async {
            if progressing {
                quiet(&ticket.activity, self.quiet_limit()).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = connection.as_mut() => log_end(peer, result),
            () = self.deadline.cancelled() => {}
            () = sleep_or_never(grace) => tracing::debug!(%peer, ?ending, "closed mid-response"),
            () = stalled => tracing::debug!(%peer, ?ending, "closed mid-response: no progress"),
        }
    }

    /// How long a connection may move no byte at all. HTTP/1.1 is bounded sooner by hyper's
    /// header-read timeout and the send timeout; this is the same bound for HTTP/2, where an
    /// idle connection has no request being read, and a response held back by the client's
    /// flow control writes nothing that could time out.
    fn quiet_limit(&self) -> Duration {
        self.settings
            .header_read_timeout
            .max(self.settings.send_timeout)
    }

    /// The response to one request from `peer`, the `count`th on its connection.
    async fn answer(
        &self,
        request: Request<Incoming>,
        count: u64,
        peer: IpAddr,
        retire: &CancellationToken,
    ) -> Response<Body> {
        let version = request.version();
        if let Some(hub) = self
            .hub
            .as_ref()
            .filter(|h| hub_endpoint::is_for(h, &request))
        {
            let (method, path) = (request.method().clone(), request.uri().path().to_owned());
            let response = hub_endpoint::answer(hub, &self.snapshots, &self.settings, request);
            let response = response.await;
            if self.settings.metrics {
                metrics::record_hub(hub.path(), &response);
            }
            let ending = (version, count, retire);
            return self.finish(response.map(Body::from), &method, &path, ending);
        }
        // The body of a GET or HEAD is not read; dropping it lets hyper discard it.
        let (parts, _body) = request.into_parts();
        let request = Request::from_parts(parts, ());
        let response = self.read(&request, peer).await;
        let ending = (version, count, retire);
        self.finish(response, request.method(), request.uri().path(), ending)
    }

    /// The answer from the current snapshot, with a media file opened. A file missing at that
    /// moment was removed because a newer snapshot replaced the one answering (`daemon` removes
    /// the copies no snapshot names after each publish): the request is answered again, once,
    /// from the newer one.
    async fn read(&self, request: &Request<()>, peer: IpAddr) -> Response<Body> {
        let mut retried = false;
        loop {
            let response = {
                let snapshot = self.snapshots.load();
                self.front.answer(&snapshot, &self.settings, request, peer)
            };
            let (parts, payload) = response.into_parts();
            let part = match payload {
                Payload::Bytes(bytes) => return Response::from_parts(parts, Body::from(bytes)),
                Payload::File(part) => part,
            };
            match body::open(&part).await {
                Ok(body) => return Response::from_parts(parts, body),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound && !retried => {
                    retried = true;
                }
                Err(error) => {
                    tracing::error!(path = request.uri().path(), %error, "cannot serve a media file");
                    return unreadable();
                }
            }
        }
    }

    /// `response` as sent, and logged. At the connection's request cap (the `count`th request,
    /// in the protocol `version`), an HTTP/1.1 response says `Connection: close`; HTTP/2 has no
    /// such header, so `retire` has the connection sent a GOAWAY instead.
    fn finish(
        &self,
        mut response: Response<Body>,
        method: &Method,
        path: &str,
        (version, count, retire): (Version, u64, &CancellationToken),
    ) -> Response<Body> {
        if count >= self.settings.max_requests_per_connection {
            if version == Version::HTTP_2 {
                retire.cancel();
            } else {
                // hyper closes the connection after a response that says so.
                response
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
        }
        tracing::debug!(
            %method,
            path,
            status = response.status().as_u16(),
            "request"
        );
        response
    }
}

/// A 500 for a media file that cannot be read; the log says why.
fn unreadable() -> Response<Body> {
    let text = "the file cannot be read now; try again later\n";
    let mut response = Response::new(Body::from(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    let headers = response.headers_mut();
    headers.insert(CONTENT_LENGTH, HeaderValue::from(text.len()));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

async fn sleep_or_never(duration: Option<Duration>) {
    match duration {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

/// Resolves once `activity` has seen no byte for `limit`.
async fn quiet(activity: &Activity, limit: Duration) {
    loop {
        let idle = activity.idle();
        if idle >= limit {
            return;
        }
        tokio::time::sleep(limit - idle).await;
    }
}

/// hyper's connection settings for both protocols, from `settings`.
fn builder(settings: &Settings) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout)
        // hyper refuses anything below 8 KiB; config validation keeps it in range.
        .max_buf_size(settings.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        // Over it, h2 answers 431 as HTTP/1.1 does, and stops decoding the rest.
        .max_header_list_size(u32::try_from(settings.max_header_bytes).unwrap_or(u32::MAX));
    builder
}

fn log_end<E: Display>(peer: SocketAddr, result: Result<(), E>) {
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection closed with an error");
    }
}

/// The unit a client's share is counted in: its IPv4 address, or its IPv6 /64, since one
/// IPv6 host usually has a whole /64 to connect from.
pub(super) fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((v6.to_bits() & !u128::from(u64::MAX)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
