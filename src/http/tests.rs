//! The server over real sockets on 127.0.0.1:0, driven with raw HTTP/1.1, and the accept loop
//! against a listener that fails on demand. Every wait is bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{TimeZone, Utc};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::task::JoinHandle;

use super::*;
use crate::etag::ETag;
use crate::format::{DocumentKind, Format};
use crate::render::Document;
use crate::snapshot::{Contents, Snapshot};

/// Upper bound for anything that should happen promptly; generous for a loaded CI machine.
const PROMPTLY: Duration = Duration::from_secs(10);

/// Larger than any socket buffers on loopback, so its response is still being written while a
/// client reads slowly.
const BIG: usize = 16 << 20;

fn settings() -> Settings {
    Settings {
        max_age: 60,
        max_connections: 16,
        header_read_timeout: Duration::from_secs(10),
        shutdown_grace: Duration::from_secs(10),
        ..Settings::default()
    }
}

fn document(path: &str, body: Vec<u8>) -> Document {
    Document {
        path: path.into(),
        kind: DocumentKind::Feed(Format::Atom),
        etag: ETag::from_opaque(&format!("{}-{}", path.len(), body.len())),
        body: body.into(),
        last_modified: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        lifetime: crate::render::Lifetime::Current,
    }
}

fn atom_body() -> Vec<u8> {
    (0..50)
        .map(|i| format!("<entry>{i}</entry>\n"))
        .collect::<String>()
        .into_bytes()
}

struct Server {
    addr: SocketAddr,
    shutdown: CancellationToken,
    handle: JoinHandle<io::Result<()>>,
}

impl Server {
    async fn start(settings: Settings, big: bool) -> Server {
        let mut documents = vec![document("atom.xml", atom_body())];
        if big {
            documents.push(document("big.xml", vec![b'x'; BIG]));
        }
        let snapshot = Snapshot::from_build(
            Contents {
                documents,
                views: Vec::new(),
                entry_count: 50,
                built_at: Utc::now(),
                ..Contents::default()
            },
            None,
        );
        Server::serving(settings, snapshot.compressed().unwrap_or(snapshot)).await
    }

    async fn serving(settings: Settings, snapshot: Snapshot) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(serve(
            listener,
            Publisher::new(snapshot),
            settings,
            shutdown.clone(),
        ));
        Server {
            addr,
            shutdown,
            handle,
        }
    }

    /// Cancels and waits for `serve` to return; returns how long that took.
    async fn stop(self) -> Duration {
        let started = Instant::now();
        self.shutdown.cancel();
        tokio::time::timeout(PROMPTLY, self.handle)
            .await
            .expect("serve returns after shutdown")
            .unwrap()
            .unwrap();
        started.elapsed()
    }
}

struct Client(BufReader<TcpStream>);

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> usize {
        self.header("content-length").unwrap().parse().unwrap()
    }
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        Client(BufReader::new(TcpStream::connect(addr).await.unwrap()))
    }

    /// A client that reads slowly: its small receive buffer keeps a big response in flight.
    async fn connect_small_buffer(addr: SocketAddr) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        Client(BufReader::new(socket.connect(addr).await.unwrap()))
    }

    async fn send(&mut self, text: &str) {
        self.0.get_mut().write_all(text.as_bytes()).await.unwrap();
    }

    async fn request(&mut self, method: &str, path: &str) {
        self.send(&format!("{method} {path} HTTP/1.1\r\nHost: test\r\n\r\n"))
            .await;
    }

    async fn head(&mut self) -> Reply {
        let mut line = String::new();
        tokio::time::timeout(PROMPTLY, self.0.read_line(&mut line))
            .await
            .unwrap()
            .unwrap();
        let status = line
            .split(' ')
            .nth(1)
            .expect("a status line")
            .parse()
            .unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            tokio::time::timeout(PROMPTLY, self.0.read_line(&mut line))
                .await
                .unwrap()
                .unwrap();
            match line.trim_end().split_once(':') {
                Some((name, value)) => headers.push((name.to_string(), value.trim().to_string())),
                None => break,
            }
        }
        Reply { status, headers }
    }

    async fn body(&mut self, reply: &Reply) -> Vec<u8> {
        let mut body = vec![0; reply.content_length()];
        tokio::time::timeout(PROMPTLY, self.0.read_exact(&mut body))
            .await
            .unwrap()
            .unwrap();
        body
    }

    /// Waits for the server to close the connection; true if it did within `PROMPTLY`.
    async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        tokio::time::timeout(PROMPTLY, self.0.read_to_end(&mut rest))
            .await
            .is_ok()
    }
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let server = Server::start(settings(), false).await;
    let mut client = Client::connect(server.addr).await;

    client.request("GET", "/atom.xml").await;
    let reply = client.head().await;
    assert_eq!(reply.status, 200);
    assert_eq!(client.body(&reply).await, atom_body());

    client.request("HEAD", "/atom.xml").await;
    let reply = client.head().await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_length(), atom_body().len());

    // Had HEAD sent a body, this status line would be read from its bytes.
    client.request("GET", "/healthz").await;
    let reply = client.head().await;
    assert_eq!(reply.status, 200);
    assert!(client.body(&reply).await.starts_with(b"{"));
    server.stop().await;
}

#[tokio::test]
async fn client_stalling_in_its_headers_is_dropped_after_the_timeout() {
    let timeout = Duration::from_millis(200);
    let server = Server::start(
        Settings {
            header_read_timeout: timeout,
            ..settings()
        },
        false,
    )
    .await;
    let mut client = Client::connect(server.addr).await;
    let started = Instant::now();
    client.send("GET /atom.xml HTTP/1.1\r\nHost: te").await;
    assert!(
        client.closed().await,
        "a stalled client must be disconnected"
    );
    assert!(
        started.elapsed() >= timeout - Duration::from_millis(50),
        "closed before the timeout"
    );
    server.stop().await;
}

#[tokio::test]
async fn idle_keep_alive_connection_is_dropped_after_the_timeout() {
    let server = Server::start(
        Settings {
            header_read_timeout: Duration::from_millis(200),
            ..settings()
        },
        false,
    )
    .await;
    let mut client = Client::connect(server.addr).await;
    client.request("GET", "/atom.xml").await;
    let reply = client.head().await;
    client.body(&reply).await;
    assert!(
        client.closed().await,
        "an idle connection must not hold its slot forever"
    );
    server.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_lets_an_in_flight_response_finish() {
    let server = Server::start(settings(), true).await;
    let addr = server.addr;
    let mut client = Client::connect_small_buffer(addr).await;
    client.request("GET", "/big.xml").await;
    let reply = client.head().await;
    assert_eq!(reply.content_length(), BIG);

    let shutdown = server.shutdown.clone();
    shutdown.cancel();
    let body = client.body(&reply).await;
    assert!(body.len() == BIG && body.iter().all(|&b| b == b'x'));
    assert!(
        client.closed().await,
        "keep-alive ends once shutdown has begun"
    );
    server.stop().await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed after serve returns"
    );
}

#[tokio::test]
async fn shutdown_does_not_wait_for_idle_connections() {
    let server = Server::start(settings(), false).await;
    let mut client = Client::connect(server.addr).await;
    client.request("GET", "/atom.xml").await;
    let reply = client.head().await;
    client.body(&reply).await;
    // The grace period is 10 s; an idle connection must be closed at once, not waited for.
    assert!(server.stop().await < Duration::from_secs(5));
    assert!(client.closed().await);
}

#[tokio::test]
async fn shutdown_closes_connections_still_open_after_the_grace_period() {
    let grace = Duration::from_millis(200);
    let server = Server::start(
        Settings {
            shutdown_grace: grace,
            ..settings()
        },
        true,
    )
    .await;
    let mut client = Client::connect_small_buffer(server.addr).await;
    client.request("GET", "/big.xml").await;
    client.head().await;
    // The client never reads the body, so the response can never finish.
    let took = server.stop().await;
    assert!(
        took >= grace - Duration::from_millis(50),
        "returned before the grace period: {took:?}"
    );
}

#[tokio::test]
async fn at_the_cap_an_idle_connection_makes_room_for_a_newcomer() {
    let server = Server::start(
        Settings {
            max_connections: 1,
            ..settings()
        },
        false,
    )
    .await;
    let mut idle = Client::connect(server.addr).await;
    idle.request("GET", "/atom.xml").await;
    let reply = idle.head().await;
    idle.body(&reply).await;

    let mut newcomer = Client::connect(server.addr).await;
    newcomer.request("GET", "/atom.xml").await;
    assert_eq!(newcomer.head().await.status, 200);
    assert!(idle.closed().await, "the idle connection was closed");
    server.stop().await;
}

#[tokio::test]
async fn at_the_cap_a_stalled_connection_is_evicted_and_a_second_newcomer_gets_503() {
    let server = Server::start(
        Settings {
            max_connections: 1,
            ..settings()
        },
        true,
    )
    .await;
    // Never reads its response, so it is busy until the eviction grace runs out.
    let mut stalled = Client::connect_small_buffer(server.addr).await;
    stalled.request("GET", "/big.xml").await;
    stalled.head().await;

    let started = Instant::now();
    let mut first = Client::connect(server.addr).await;
    first.request("GET", "/atom.xml").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The only connection is being evicted already, so nothing can make room for this one.
    let mut second = Client::connect(server.addr).await;
    second.request("GET", "/atom.xml").await;
    let refused = second.head().await;
    assert_eq!(refused.status, 503);
    assert!(refused.header("retry-after").is_some());
    assert_eq!(first.head().await.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered promptly"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_after_the_send_timeout() {
    let send_timeout = Duration::from_millis(300);
    let server = Server::start(
        Settings {
            send_timeout,
            ..settings()
        },
        true,
    )
    .await;
    let mut client = Client::connect_small_buffer(server.addr).await;
    client.request("GET", "/big.xml").await;
    client.head().await;
    tokio::time::sleep(send_timeout * 3).await;
    // What the socket buffers held, then the close: far less than the whole body.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(PROMPTLY, client.0.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection was closed");
    assert!(rest.len() < BIG, "read {} of {BIG} bytes", rest.len());
    server.stop().await;
}

/// A listener that fails every accept with EMFILE; after `LIMIT` calls it hangs, so a loop that
/// spins shows up as a high count instead of a hung test.
struct Exhausted(Arc<AtomicUsize>);

impl Exhausted {
    const LIMIT: usize = 1000;
}

impl Accept for Exhausted {
    type Stream = tokio::io::DuplexStream;

    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Stream, SocketAddr)>> + Send {
        let calls = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            if calls > Self::LIMIT {
                std::future::pending::<()>().await;
            }
            Err(io::Error::from_raw_os_error(24)) // EMFILE
        }
    }
}

#[tokio::test(start_paused = true)]
async fn accept_errors_back_off_instead_of_spinning() {
    let calls = Arc::new(AtomicUsize::new(0));
    let shutdown = CancellationToken::new();
    let snapshot = Snapshot::from_build(Contents::default(), None);
    let task = tokio::spawn(run(
        Exhausted(calls.clone()),
        Publisher::new(snapshot),
        settings(),
        None,
        shutdown.clone(),
    ));
    // Pauses of 10, 20, 40 … 640 ms, then 1 s: nine attempts fit in three seconds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let seen = calls.load(Ordering::SeqCst);
    assert!((7..=10).contains(&seen), "{seen} accept attempts in 3 s");
    shutdown.cancel();
    tokio::time::timeout(PROMPTLY, task).await.unwrap().unwrap();
}

#[test]
fn backoff_doubles_up_to_one_second() {
    let mut backoff = Backoff(None);
    let delays: Vec<u128> = (0..10).map(|_| backoff.next().as_millis()).collect();
    assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
}

/// A server of one media file, `episode.bin`, holding `bytes` (in a temporary folder that lives
/// as long as the returned guard).
async fn media_server(settings: Settings, bytes: &[u8]) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy");
    std::fs::write(&file, bytes).unwrap();
    let media = crate::snapshot::ServedMedia::new(
        "episode.bin".into(),
        file,
        ETag::of(bytes),
        bytes.len() as u64,
        "application/octet-stream".into(),
        std::time::UNIX_EPOCH,
    );
    let contents = Contents {
        built_at: Utc::now(),
        ..Contents::default()
    };
    let snapshot = Snapshot::from_build(contents, None).with_media(vec![media]);
    (Server::serving(settings, snapshot).await, dir)
}

fn media_bytes(length: usize) -> Vec<u8> {
    (0..length).map(|i| (i * 7 % 256) as u8).collect()
}

#[tokio::test]
async fn a_media_file_is_streamed_whole_or_in_part_over_a_socket() {
    let bytes = media_bytes(3 << 20);
    let (server, _dir) = media_server(settings(), &bytes).await;
    let mut client = Client::connect(server.addr).await;
    client.request("GET", "/episode.bin").await;
    let reply = client.head().await;
    assert_eq!(reply.status, 200);
    assert_eq!(client.body(&reply).await, bytes);
    client
        .send("GET /episode.bin HTTP/1.1\r\nHost: test\r\nRange: bytes=1000000-1999999\r\n\r\n")
        .await;
    let reply = client.head().await;
    assert_eq!(reply.status, 206);
    assert_eq!(
        reply.header("content-range"),
        Some("bytes 1000000-1999999/3145728")
    );
    assert_eq!(client.body(&reply).await, &bytes[1_000_000..2_000_000]);
    server.stop().await;
}

#[tokio::test]
async fn a_media_copy_that_is_gone_is_a_500_not_a_cut_connection() {
    let (server, dir) = media_server(settings(), b"bytes").await;
    drop(dir);
    let mut client = Client::connect(server.addr).await;
    client.request("GET", "/episode.bin").await;
    let reply = client.head().await;
    assert_eq!(reply.status, 500);
    assert!(
        client
            .body(&reply)
            .await
            .starts_with(b"the file cannot be read")
    );
    // The connection is still usable.
    client.request("GET", "/atom.xml").await;
    assert_eq!(client.head().await.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn a_download_that_keeps_moving_outlives_the_connection_lifetime() {
    let lifetime = Duration::from_millis(300);
    let bytes = media_bytes(BIG);
    let settings = Settings {
        connection_lifetime: lifetime,
        send_timeout: Duration::from_secs(2),
        ..settings()
    };
    let (server, _dir) = media_server(settings, &bytes).await;
    let mut client = Client::connect_small_buffer(server.addr).await;
    client.request("GET", "/episode.bin").await;
    let reply = client.head().await;
    assert_eq!(reply.status, 200);
    let started = Instant::now();
    let mut body = vec![0; bytes.len()];
    let mut read = 0;
    // Steadily, over about four lifetimes.
    let step = bytes.len() / 40;
    while read < body.len() {
        let end = (read + step).min(body.len());
        tokio::time::timeout(PROMPTLY, client.0.read_exact(&mut body[read..end]))
            .await
            .unwrap()
            .unwrap();
        read = end;
        tokio::time::sleep(lifetime / 10).await;
    }
    assert!(
        started.elapsed() > lifetime * 3,
        "the download outlasted the lifetime"
    );
    assert!(body == bytes, "every byte arrived");
    assert!(client.closed().await, "then the connection is closed");
    server.stop().await;
}
