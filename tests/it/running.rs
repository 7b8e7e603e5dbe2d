//! The real `feedd` daemon on a loopback port, and a minimal HTTP/1.1 client to talk to it.
//!
//! The client is deliberately raw (one request per connection, headers as sent) so tests see
//! exactly what the server wrote.

// Shared by the topic files; not every topic uses every helper.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::BIN;

/// A running daemon; killed on drop so a failing test never leaves one behind.
pub struct Daemon {
    child: Option<Child>,
    pub addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Daemon {
    /// Starts `feedd --config <config> --listen 127.0.0.1:0` and waits until it serves.
    pub fn start(config: &Path) -> Daemon {
        Daemon::start_with(config, &[], &[])
    }

    pub fn start_with(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut command = Daemon::command(config);
        command.args(["--listen", "127.0.0.1:0"]).args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        Daemon::spawn(command)
    }

    /// `feedd --config <config>` with a debug log, no inherited systemd or log settings, and no
    /// address: add `--listen`, or pass a socket.
    pub fn command(config: &Path) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--config")
            .arg(config)
            .args(["--log", "feedd=debug,info"])
            .env_remove("RUST_LOG")
            .env_remove("FEEDD_LISTEN")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("LISTEN_FDS")
            .env_remove("LISTEN_PID")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .env_remove("JOURNAL_STREAM");
        command
    }

    /// Spawns `command` (a `feedd` daemon) and waits until it is ready to serve.
    pub fn spawn(mut command: Command) -> Daemon {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn feedd");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("addr=").nth(1) {
                    let addr = addr.split_whitespace().next().unwrap_or("");
                    let _ = tx.send(addr.to_string());
                }
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!("feedd did not start serving; log:\n{}", log.lock().unwrap())
            });
        let daemon = Daemon {
            child: Some(child),
            addr: addr.parse().expect("address in log"),
            log,
        };
        daemon.wait_for("ready in", Duration::from_secs(30));
        daemon
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle`.
    pub fn wait_for(&self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no `{needle}` in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        request(self.addr, "GET", path, &[])
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        request(self.addr, method, path, headers)
    }

    /// Polls `path` until `check` holds for its reply; bounded.
    pub fn poll_until(&self, path: &str, what: &str, check: impl Fn(&Reply) -> bool) -> Reply {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let reply = self.get(path);
            if check(&reply) {
                return reply;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} at {path}; last reply: {} {}\nlog:\n{}",
                reply.status,
                reply.text(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The snapshot generation from /healthz.
    pub fn generation(&self) -> u64 {
        let health: serde_json::Value =
            serde_json::from_slice(&self.get("/healthz").body).expect("healthz json");
        health["generation"].as_u64().expect("generation")
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill")
            .args(["-s", signal, &pid])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Sends SIGTERM and returns the exit code.
    pub fn stop(mut self) -> Option<i32> {
        self.signal("TERM");
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "feedd did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A response as received.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    parse_reply(&raw, method == "HEAD")
}

fn parse_reply(raw: &[u8], head_only: bool) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .expect("status")
        .parse()
        .expect("status code");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = if head_only {
        Vec::new()
    } else {
        raw[split + 4..].to_vec()
    };
    Reply {
        status,
        headers,
        body,
    }
}
