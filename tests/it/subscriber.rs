//! A real WebSub subscriber for the hub tests: a small HTTP server on 127.0.0.1 that answers
//! verification requests (or refuses them) and records every request it gets.
//!
//! A callback's path says how the subscriber behaves (see [`Behaviour`]).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::running::Daemon;

/// The generous bound on a delivery; the hub sends within milliseconds of the rebuild.
pub const DELIVERY_BOUND: Duration = Duration::from_secs(5);

/// One request the subscriber received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// How the subscriber answers, by the first segment of the callback's path.
enum Behaviour {
    /// Echoes challenges, answers 200 to content.
    Ok,
    /// Answers verification with 404.
    Refuse,
    /// Confirms, then never answers content (holds the connection for 30 s).
    Silent,
    /// Confirms, answers the first content with 500 and later ones with 200.
    Flaky,
    /// Confirms, answers content with 410 Gone.
    Gone,
}

fn behaviour(path: &str) -> Behaviour {
    match path.trim_start_matches('/').split(['/', '?']).next() {
        Some("refuse") => Behaviour::Refuse,
        Some("silent") => Behaviour::Silent,
        Some("flaky") => Behaviour::Flaky,
        Some("gone") => Behaviour::Gone,
        _ => Behaviour::Ok,
    }
}

pub struct Subscriber {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Subscriber {
    pub fn start() -> Subscriber {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the subscriber");
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, &log));
            }
        });
        Subscriber { addr, received }
    }

    pub fn callback(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self, method: &str, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .cloned()
            .collect()
    }

    /// Waits (up to [`DELIVERY_BOUND`]) until `path` has received `count` content POSTs.
    pub fn wait_posts(&self, path: &str, count: usize, daemon: &Daemon) -> Vec<Received> {
        self.wait(path, "POST", count, DELIVERY_BOUND, daemon)
    }

    pub fn wait(
        &self,
        path: &str,
        method: &str,
        count: usize,
        bound: Duration,
        daemon: &Daemon,
    ) -> Vec<Received> {
        let deadline = Instant::now() + bound;
        loop {
            let seen = self.requests(method, path);
            if seen.len() >= count {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "{path} got {} {method} request(s), not {count}, in {bound:?}; log:\n{}",
                seen.len(),
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Received>>) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let kind = behaviour(&request.path);
    let is_get = request.method == "GET";
    let challenge = request
        .query
        .get("hub.challenge")
        .cloned()
        .unwrap_or_default();
    let earlier_posts = log
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.method == "POST" && r.path == request.path)
        .count();
    log.lock().unwrap().push(request);
    let (status, body) = match (kind, is_get) {
        (Behaviour::Refuse, true) => (404, String::new()),
        (_, true) => (200, challenge),
        (Behaviour::Silent, false) => {
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        (Behaviour::Flaky, false) if earlier_posts == 0 => (500, String::new()),
        (Behaviour::Gone, false) => (410, String::new()),
        (_, false) => (200, String::new()),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn read_request(stream: &TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    Some(Received {
        method,
        path: path.to_owned(),
        query,
        headers,
        body,
    })
}
