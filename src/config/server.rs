//! `[server]`: how the daemon listens, watches and bounds what each client may hold.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use super::defaults;

/// How the daemon learns about changes in the source folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchMode {
    /// inotify (or the platform's equivalent); falls back to polling when it cannot be set up.
    Native,
    /// Periodic scans; for network filesystems and hosts out of inotify watches.
    Poll,
}

/// Settings of the long-running daemon.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub listen: SocketAddr,
    pub max_age: u32,
    /// `Cache-Control: max-age` on archive pages, which are also marked `immutable`.
    pub archive_max_age: u32,
    pub debounce_ms: u64,
    pub watch: WatchMode,
    pub poll_interval_ms: u64,
    pub max_connections: usize,
    /// Whether the daemon also keeps `output_dir` in sync with what it serves.
    pub write_output: bool,
    /// Whether `/metrics` is served (to loopback clients only).
    pub metrics: bool,
    /// Requests per minute one client address may make beyond 304s; 0 for no limit.
    pub rate_limit: u32,
    pub limits: Limits,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<TlsFiles>,
}

/// The PEM files of the server's certificate chain and private key (`tls_cert`, `tls_key`),
/// relative to the config file's folder once loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What one client may hold, and for how long: the bounds that let feedd face the internet
/// unattended (defaults in [`defaults::server`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A response write that makes no progress for this long closes the connection.
    pub send_timeout_secs: u64,
    /// A connection is closed (gracefully) once it has been open this long.
    pub connection_lifetime_secs: u64,
    /// Requests served on one keep-alive connection before it is closed.
    pub max_requests_per_connection: u64,
    /// Connections one client address may hold at once; further ones get a 503.
    pub max_connections_per_address: usize,
    /// Bytes a request's line and headers may take; larger requests get a 431.
    pub max_header_bytes: usize,
    /// Connections the kernel queues before feedd accepts them (capped by `net.core.somaxconn`).
    pub listen_backlog: u32,
}

impl Limits {
    /// hyper cannot read with a smaller buffer than this.
    pub const MIN_HEADER_BYTES: usize = 8192;
    pub const MAX_HEADER_BYTES: usize = 1 << 20;

    pub const DEFAULT: Limits = Limits {
        send_timeout_secs: defaults::server::SEND_TIMEOUT_SECS,
        connection_lifetime_secs: defaults::server::CONNECTION_LIFETIME_SECS,
        max_requests_per_connection: defaults::server::MAX_REQUESTS_PER_CONNECTION,
        max_connections_per_address: defaults::server::MAX_CONNECTIONS_PER_ADDRESS,
        max_header_bytes: defaults::server::MAX_HEADER_BYTES,
        listen_backlog: defaults::server::LISTEN_BACKLOG,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    listen: Option<String>,
    max_age: Option<u32>,
    archive_max_age: Option<u32>,
    debounce_ms: Option<u64>,
    watch: Option<WatchMode>,
    poll_interval_ms: Option<u64>,
    max_connections: Option<usize>,
    write_output: Option<bool>,
    send_timeout_secs: Option<u64>,
    connection_lifetime_secs: Option<u64>,
    max_requests_per_connection: Option<u64>,
    max_connections_per_address: Option<usize>,
    max_header_bytes: Option<usize>,
    listen_backlog: Option<u32>,
    metrics: Option<bool>,
    rate_limit: Option<u32>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
}

pub(super) fn build_server(raw: RawServer) -> Result<Server, String> {
    let limits = build_limits(&raw)?;
    let tls = match (raw.tls_cert, raw.tls_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (Some(_), None) | (None, Some(_)) => {
            return Err(
                "`server.tls_cert` and `server.tls_key` go together: set both (PEM certificate \
                 chain and private key) to serve HTTPS, or neither for plain HTTP"
                    .into(),
            );
        }
    };
    let listen_raw = raw
        .listen
        .unwrap_or_else(|| defaults::server::LISTEN.into());
    let listen = listen_raw.parse().map_err(|_| {
        format!(
            "`server.listen = \"{listen_raw}\"` is not an address:port, e.g. \"127.0.0.1:8080\""
        )
    })?;
    let max_connections = raw
        .max_connections
        .unwrap_or(defaults::server::MAX_CONNECTIONS);
    if max_connections == 0 {
        return Err("`server.max_connections` must be at least 1".into());
    }
    Ok(Server {
        listen,
        max_age: raw.max_age.unwrap_or(defaults::server::MAX_AGE),
        archive_max_age: raw
            .archive_max_age
            .unwrap_or(defaults::server::ARCHIVE_MAX_AGE),
        debounce_ms: raw.debounce_ms.unwrap_or(defaults::server::DEBOUNCE_MS),
        watch: raw.watch.unwrap_or(defaults::server::WATCH),
        poll_interval_ms: raw
            .poll_interval_ms
            .unwrap_or(defaults::server::POLL_INTERVAL_MS)
            .max(10),
        max_connections,
        write_output: raw.write_output.unwrap_or(defaults::server::WRITE_OUTPUT),
        metrics: raw.metrics.unwrap_or(defaults::server::METRICS),
        rate_limit: raw.rate_limit.unwrap_or(defaults::server::RATE_LIMIT),
        limits,
        tls,
    })
}

fn build_limits(raw: &RawServer) -> Result<Limits, String> {
    let default = Limits::DEFAULT;
    let limits = Limits {
        send_timeout_secs: raw.send_timeout_secs.unwrap_or(default.send_timeout_secs),
        connection_lifetime_secs: raw
            .connection_lifetime_secs
            .unwrap_or(default.connection_lifetime_secs),
        max_requests_per_connection: raw
            .max_requests_per_connection
            .unwrap_or(default.max_requests_per_connection),
        max_connections_per_address: raw
            .max_connections_per_address
            .unwrap_or(default.max_connections_per_address),
        max_header_bytes: raw.max_header_bytes.unwrap_or(default.max_header_bytes),
        listen_backlog: raw.listen_backlog.unwrap_or(default.listen_backlog),
    };
    for (key, value) in [
        ("send_timeout_secs", limits.send_timeout_secs),
        ("connection_lifetime_secs", limits.connection_lifetime_secs),
        (
            "max_requests_per_connection",
            limits.max_requests_per_connection,
        ),
        (
            "max_connections_per_address",
            limits.max_connections_per_address as u64,
        ),
        ("listen_backlog", u64::from(limits.listen_backlog)),
    ] {
        if value == 0 {
            return Err(format!("`server.{key}` must be at least 1"));
        }
    }
    let header_range = Limits::MIN_HEADER_BYTES..=Limits::MAX_HEADER_BYTES;
    if !header_range.contains(&limits.max_header_bytes) {
        return Err(format!(
            "`server.max_header_bytes = {}` must be between {} and {} ({} is nginx's default)",
            limits.max_header_bytes,
            Limits::MIN_HEADER_BYTES,
            Limits::MAX_HEADER_BYTES,
            defaults::server::MAX_HEADER_BYTES
        ));
    }
    Ok(limits)
}
