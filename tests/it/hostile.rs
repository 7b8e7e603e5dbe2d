//! The daemon facing hostile clients: clients that never read, hold connections, send endless
//! headers, burst, omit `Host` or flood HTTP/2 streams and header blocks. Abusers connect from 127.0.0.1; the well-behaved
//! client binds 127.0.0.2, so a per-address limit on the abusers leaves it alone. Limits are set
//! low in each config so a few dozen sockets prove each mechanism quickly.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

use crate::running::Daemon;
use crate::support::*;

const WELL_BEHAVED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// The sample site with `server` lines under `[server]`.
fn daemon(server: &str) -> (Site, Daemon) {
    raise_fd_limit();
    let site = Site::sample();
    let config = std::fs::read_to_string(site.config()).expect("config");
    std::fs::write(site.config(), format!("{config}\n[server]\n{server}\n")).expect("config");
    let daemon = Daemon::start(&site.config());
    (site, daemon)
}

/// Each test holds a few hundred sockets at most; make sure the limit is not 1024 with the
/// daemon's own share of them. Children inherit it.
fn raise_fd_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    );
}

/// A connection from 127.0.0.1 whose receive buffer is small, like a client that reads slowly.
fn connect_small_buffer(addr: SocketAddr) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    socket.connect(&addr.into()).expect("connect");
    socket.into()
}

/// `GET path` from 127.0.0.2 on a fresh connection: the status and how long the answer took.
fn well_behaved_get(addr: SocketAddr, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket
        .bind(&SocketAddr::V4(SocketAddrV4::new(WELL_BEHAVED, 0)).into())
        .expect("bind 127.0.0.2");
    socket.connect(&addr.into()).expect("connect");
    let mut stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    (read_status(&mut stream), started.elapsed())
}

/// The status code of the next response on `stream`, whose head it reads (not its body), or 0
/// if the connection ended without one.
fn read_status(stream: &mut TcpStream) -> u16 {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return 0,
        }
    }
    let line = String::from_utf8_lossy(&head);
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Everything the server sends until it closes, within `limit`; `None` if it is still open then.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + limit;
    let mut all = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return Some(all),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None;
            }
            Err(_) => return Some(all), // reset: closed too
        }
    }
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| w == &needle)
        .count()
}

#[test]
fn clients_that_never_read_lose_their_connections_after_the_send_timeout() {
    let (_site, daemon) = daemon("send_timeout_secs = 1");
    let pipelined = "GET /atom.xml HTTP/1.1\r\nHost: test\r\n\r\n".repeat(200);
    let mut abusers: Vec<TcpStream> = (0..24)
        .map(|_| {
            let mut stream = connect_small_buffer(daemon.addr);
            stream.write_all(pipelined.as_bytes()).expect("pipeline");
            stream
        })
        .collect();
    let (status, took) = well_behaved_get(daemon.addr, "/atom.xml");
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(2),
        "well-behaved client waited {took:?}"
    );

    // Reading now would let the server go on; by now it must have given up on every one.
    std::thread::sleep(Duration::from_secs(3));
    for (i, stream) in abusers.iter_mut().enumerate() {
        let received = read_until_closed(stream, Duration::from_secs(5))
            .unwrap_or_else(|| panic!("abuser {i} still connected"));
        let answered = count(&received, b"HTTP/1.1 200 OK\r\n");
        assert!(
            answered < 200,
            "abuser {i} was sent all {answered} responses"
        );
    }
}

#[test]
fn keep_alive_connections_end_after_their_request_cap_and_lifetime() {
    let (_site, daemon) = daemon("max_requests_per_connection = 5\nconnection_lifetime_secs = 1");
    let mut stream = TcpStream::connect(daemon.addr).expect("connect");
    let pipelined = "HEAD /atom.xml HTTP/1.1\r\nHost: test\r\n\r\n".repeat(10);
    stream.write_all(pipelined.as_bytes()).expect("pipeline");
    let received = read_until_closed(&mut stream, Duration::from_secs(5)).expect("closed");
    assert_eq!(count(&received, b"HTTP/1.1 200 OK\r\n"), 5);
    assert_eq!(count(&received, b"connection: close\r\n"), 1);

    let mut stream = TcpStream::connect(daemon.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = Instant::now();
    let mut served = 0;
    while started.elapsed() < Duration::from_secs(4) {
        let request = "HEAD /atom.xml HTTP/1.1\r\nHost: test\r\n\r\n";
        if stream.write_all(request.as_bytes()).is_err() || read_status(&mut stream) != 200 {
            break;
        }
        served += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let lasted = started.elapsed();
    assert!(
        served >= 1 && lasted < Duration::from_secs(3),
        "open for {lasted:?} after {served} requests"
    );
}

#[test]
fn one_address_cannot_take_every_slot() {
    let (_site, daemon) = daemon("max_connections = 64\nmax_connections_per_address = 8");
    let mut statuses = Vec::new();
    let mut holders = Vec::new();
    for _ in 0..40 {
        // Slow clients: a request begun and never finished.
        let mut stream = TcpStream::connect(daemon.addr).expect("connect");
        stream
            .write_all(b"GET /atom.xml HTTP/1.1\r\nHost: te")
            .expect("send");
        holders.push(stream);
    }
    let started = Instant::now();
    for stream in holders.iter_mut().skip(8) {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        statuses.push(read_status(stream));
    }
    assert!(
        statuses.iter().all(|&s| s == 503),
        "over the limit: {statuses:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3), "refused slowly");
    let (status, took) = well_behaved_get(daemon.addr, "/atom.xml");
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(2),
        "well-behaved client waited {took:?}"
    );
}

#[test]
fn at_the_cap_idle_keep_alive_connections_make_room_for_new_clients() {
    // Only the global cap is set: every client here would fit the per-address default.
    let (_site, daemon) = daemon("max_connections = 16");
    let mut clients = Vec::new();
    for i in 0..48 {
        let mut stream = TcpStream::connect(daemon.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let started = Instant::now();
        stream
            .write_all(b"HEAD /atom.xml HTTP/1.1\r\nHost: test\r\n\r\n")
            .expect("send");
        let status = read_status(&mut stream);
        assert!(
            matches!(status, 200 | 503) && started.elapsed() < Duration::from_secs(2),
            "client {i} got {status} after {:?}",
            started.elapsed()
        );
        clients.push(stream); // kept open: idle keep-alive
    }
    let (status, took) = well_behaved_get(daemon.addr, "/atom.xml");
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(2),
        "well-behaved client waited {took:?}"
    );
}

#[test]
fn endless_headers_get_431_and_memory_stays_bounded() {
    // All at once, from one address: the per-address limit must not refuse them first.
    let (_site, daemon) = daemon("max_connections_per_address = 256");
    let baseline = memory_kb(daemon.pid(), "VmRSS");
    let header = format!(
        "GET /atom.xml HTTP/1.1\r\nHost: test\r\nX-Endless: {}",
        "a".repeat(380 * 1024)
    );
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let senders: Vec<_> = (0..150)
            .map(|_| {
                scope.spawn(|| {
                    let mut stream = TcpStream::connect(daemon.addr).expect("connect");
                    stream
                        .set_write_timeout(Some(Duration::from_secs(5)))
                        .unwrap();
                    stream
                        .set_read_timeout(Some(Duration::from_secs(5)))
                        .unwrap();
                    // The server stops reading once it has refused; the rest may not fit.
                    let _ = stream.write_all(header.as_bytes());
                    read_status(&mut stream)
                })
            })
            .collect();
        senders
            .into_iter()
            .map(|s| s.join().expect("sender"))
            .collect()
    });
    assert!(statuses.iter().all(|&s| s == 431), "{statuses:?}");
    let peak = memory_kb(daemon.pid(), "VmHWM");
    assert!(
        peak < baseline + 40 * 1024,
        "peak RSS {peak} kB from {baseline} kB"
    );
    let (status, _) = well_behaved_get(daemon.addr, "/atom.xml");
    assert_eq!(status, 200);
}

/// A field of `/proc/PID/status`, in kB.
fn memory_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

#[test]
fn a_burst_of_connections_waits_in_the_backlog_instead_of_being_dropped() {
    const BURST: usize = 300;
    let somaxconn = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok());
    if somaxconn.is_some_and(|limit| limit < BURST) {
        eprintln!("net.core.somaxconn is below {BURST}: no backlog can hold the burst; skipped");
        return;
    }
    let (_site, daemon) = daemon("");
    // Stopped, feedd accepts nothing: only the kernel's accept queue holds the burst.
    daemon.signal("STOP");
    let resume = Resume(&daemon);
    let burst: Vec<Socket> = (0..BURST)
        .map(|_| {
            let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
            socket.set_nonblocking(true).expect("nonblocking");
            let _ = socket.connect(&daemon.addr.into()); // in progress
            socket
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let established = burst.iter().filter(|s| s.peer_addr().is_ok()).count();
    drop(resume);
    assert_eq!(established, burst.len(), "connections the kernel took");
    drop(burst);
    let (status, _) = well_behaved_get(daemon.addr, "/healthz");
    assert_eq!(status, 200);
}

/// Lets a stopped daemon run again, even when an assertion fails.
struct Resume<'d>(&'d Daemon);

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        self.0.signal("CONT");
    }
}

#[test]
fn http_1_1_requests_need_exactly_one_host() {
    let (_site, daemon) = daemon("");
    let ask = |request: &str| {
        let mut stream = TcpStream::connect(daemon.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(request.as_bytes()).expect("send");
        read_status(&mut stream)
    };
    assert_eq!(
        ask("GET /atom.xml HTTP/1.1\r\nConnection: close\r\n\r\n"),
        400
    );
    assert_eq!(
        ask("GET /atom.xml HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"),
        400
    );
    assert_eq!(ask("GET /atom.xml HTTP/1.0\r\n\r\n"), 200);
    assert_eq!(
        ask("GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
        200
    );
}

/// HTTP/2 frames as a client writes them, with just enough HPACK for a GET (RFC 7541: static
/// table entries, and literals without indexing or Huffman coding).
mod h2 {
    pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    pub const HEADERS: u8 = 1;
    pub const RST_STREAM: u8 = 3;
    pub const SETTINGS: u8 = 4;
    pub const GOAWAY: u8 = 7;
    pub const CONTINUATION: u8 = 9;
    pub const END_STREAM: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;
    pub const REFUSED_STREAM: u32 = 0x7;

    pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let length = u32::try_from(payload.len()).unwrap().to_be_bytes();
        let mut frame = vec![length[1], length[2], length[3], kind, flags];
        frame.extend_from_slice(&stream.to_be_bytes());
        frame.extend_from_slice(payload);
        frame
    }

    /// The client preface and an empty SETTINGS frame.
    pub fn hello() -> Vec<u8> {
        let mut hello = PREFACE.to_vec();
        hello.extend(frame(SETTINGS, 0, 0, &[]));
        hello
    }

    /// An HPACK integer with an `n`-bit prefix under `high` (RFC 7541 §5.1).
    fn integer(high: u8, n: u32, mut value: usize, out: &mut Vec<u8>) {
        let max = (1usize << n) - 1;
        if value < max {
            out.push(high | value as u8);
            return;
        }
        out.push(high | max as u8);
        value -= max;
        while value >= 128 {
            out.push((value % 128) as u8 | 0x80);
            value /= 128;
        }
        out.push(value as u8);
    }

    fn string(text: &[u8], out: &mut Vec<u8>) {
        integer(0, 7, text.len(), out);
        out.extend_from_slice(text);
    }

    /// A literal field without indexing, with a new name.
    pub fn field(name: &[u8], value: &[u8], out: &mut Vec<u8>) {
        out.push(0);
        string(name, out);
        string(value, out);
    }

    /// The header block of `GET path` on `http://authority`.
    pub fn get(path: &str, authority: &str) -> Vec<u8> {
        let mut block = vec![0x82, 0x86]; // :method GET, :scheme http
        integer(0, 4, 4, &mut block); // :path, literal value
        string(path.as_bytes(), &mut block);
        integer(0, 4, 1, &mut block); // :authority, literal value
        string(authority.as_bytes(), &mut block);
        block
    }

    /// (type, flags, stream, payload) of each whole frame in `bytes`.
    pub fn frames(mut bytes: &[u8]) -> Vec<(u8, u8, u32, Vec<u8>)> {
        let mut frames = Vec::new();
        while bytes.len() >= 9 {
            let length = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]) as usize;
            let Some(payload) = bytes.get(9..9 + length) else {
                break;
            };
            let stream = u32::from_be_bytes(bytes[5..9].try_into().unwrap()) & 0x7fff_ffff;
            frames.push((bytes[3], bytes[4], stream, payload.to_vec()));
            bytes = &bytes[9 + length..];
        }
        frames
    }

    pub fn error_code(payload: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(payload[at..at + 4].try_into().unwrap())
    }
}

#[test]
fn an_http2_client_that_opens_streams_without_end_is_bounded() {
    let (_site, daemon) = daemon("send_timeout_secs = 1");
    let baseline = memory_kb(daemon.pid(), "VmRSS");
    let authority = daemon.addr.to_string();
    // A thousand GETs at once, and nothing read: flow control holds every response that does
    // not fit the client's 64 KiB window, so the streams stay open.
    let mut flood = h2::hello();
    for stream in (1..2000).step_by(2) {
        let block = h2::get("/atom.xml", &authority);
        flood.extend(h2::frame(
            h2::HEADERS,
            h2::END_STREAM | h2::END_HEADERS,
            stream,
            &block,
        ));
    }
    let mut stream = connect_small_buffer(daemon.addr);
    stream.write_all(&flood).expect("flood");
    let (status, took) = well_behaved_get(daemon.addr, "/atom.xml");
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(2),
        "well-behaved client waited {took:?}"
    );
    // Silent from then on, the connection is closed after the header-read timeout (10 s) and
    // the send timeout's grace.
    let received = read_until_closed(&mut stream, Duration::from_secs(20))
        .unwrap_or_else(|| panic!("still open; log:\n{}", daemon.log()));
    let frames = h2::frames(&received);
    let responses = frames.iter().filter(|f| f.0 == h2::HEADERS).count();
    let refused = frames
        .iter()
        .filter(|f| f.0 == h2::RST_STREAM && h2::error_code(&f.3, 0) == h2::REFUSED_STREAM)
        .count();
    assert!(responses <= 128, "{responses} responses at once");
    assert!(
        refused >= 1000 - 128 - responses,
        "{refused} streams refused"
    );
    assert!(frames.iter().any(|f| f.0 == h2::GOAWAY), "no GOAWAY");
    let peak = memory_kb(daemon.pid(), "VmHWM");
    assert!(
        peak < baseline + 40 * 1024,
        "peak RSS {peak} kB from {baseline} kB"
    );
}

#[test]
fn http2_headers_over_the_limit_get_431_and_an_endless_header_block_is_cut_off() {
    let (_site, daemon) = daemon("max_header_bytes = 8192");
    let authority = daemon.addr.to_string();
    let ask = |frames: &[u8]| {
        let mut stream = TcpStream::connect(daemon.addr).expect("connect");
        stream.write_all(&h2::hello()).expect("hello");
        // The server may stop reading once it has refused; the rest may not fit.
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = stream.write_all(frames);
        read_until_closed(&mut stream, Duration::from_secs(15)).expect("closed")
    };

    // 12 KiB of headers in HEADERS and CONTINUATION frames: refused, the connection lives on.
    let mut block = h2::get("/atom.xml", &authority);
    h2::field(b"x-large", &[b'a'; 12 * 1024], &mut block);
    let (first, rest) = block.split_at(8 * 1024);
    let mut request = h2::frame(h2::HEADERS, h2::END_STREAM, 1, first);
    request.extend(h2::frame(h2::CONTINUATION, h2::END_HEADERS, 1, rest));
    let block = h2::get("/healthz", &authority);
    request.extend(h2::frame(
        h2::HEADERS,
        h2::END_STREAM | h2::END_HEADERS,
        3,
        &block,
    ));
    request.extend(h2::frame(h2::GOAWAY, 0, 0, &[0; 8]));
    let frames = h2::frames(&ask(&request));
    let answered: Vec<(u32, Vec<u8>)> = frames
        .iter()
        .filter(|f| f.0 == h2::HEADERS)
        .map(|f| (f.2, f.3.clone()))
        .collect();
    assert_eq!(answered.len(), 2, "{frames:?}");
    // :status 431 is no static-table entry: a literal field on name 8 (`:status`), its value
    // "431" Huffman-coded (0x83: three bytes, 011010 011001 00001 and padding).
    let status_431 = [0x48, 0x83, 0x69, 0x90, 0xff];
    assert!(
        answered
            .iter()
            .any(|(id, block)| *id == 1 && block[..] == status_431),
        "{answered:?}"
    );
    assert!(
        answered.iter().any(|(id, _)| *id == 3),
        "the next stream is served"
    );

    // A header block that never ends: the connection is closed with a GOAWAY, and the server
    // kept at most a bounded amount of it.
    let baseline = memory_kb(daemon.pid(), "VmRSS");
    let mut endless = h2::frame(h2::HEADERS, 0, 1, &h2::get("/atom.xml", &authority));
    let mut filler = Vec::new();
    h2::field(b"x-more", &[b'b'; 8 * 1024], &mut filler);
    for _ in 0..2000 {
        endless.extend(h2::frame(h2::CONTINUATION, 0, 1, &filler));
    }
    let frames = h2::frames(&ask(&endless));
    assert!(frames.iter().any(|f| f.0 == h2::GOAWAY), "{frames:?}");
    let peak = memory_kb(daemon.pid(), "VmHWM");
    assert!(
        peak < baseline + 40 * 1024,
        "peak RSS {peak} kB from {baseline} kB"
    );
    assert_eq!(well_behaved_get(daemon.addr, "/healthz").0, 200);
}

#[test]
fn an_http2_connection_ends_with_goaway_after_its_request_cap() {
    use crate::protocols::{Client, Protocol, TestCa};
    let (_site, daemon) = daemon("max_requests_per_connection = 3");
    let client = Client::new(daemon.addr, Protocol::H2c, &TestCa::new());
    let mut connection = client.connect();
    for _ in 0..3 {
        assert_eq!(connection.send("GET", "/atom.xml", &[]).status, 200);
    }
    daemon.wait_for("ending=Requests", Duration::from_secs(5));
    connection.idle(Duration::from_millis(200));
    assert!(
        connection.try_send("GET", "/atom.xml", &[]).is_err(),
        "a fourth request on a connection past its cap"
    );
    assert_eq!(
        client.get("/atom.xml").status,
        200,
        "a new connection is served"
    );
}
