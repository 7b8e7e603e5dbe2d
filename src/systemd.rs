//! Everything systemd-specific: `sd_notify` messages to the service manager, the watchdog period it
//! asks for, and taking over a listening socket it passed in (socket activation).
//!
//! All of it is inert without systemd: notifications are sent only when `NOTIFY_SOCKET` is set,
//! the watchdog only when `WATCHDOG_USEC` names this process, and a socket is taken only when
//! `LISTEN_PID` is this process. When to notify is the daemon's decision; this module only knows
//! how. The wire format is the `sd-notify` crate's.

use std::net::TcpListener;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rustix::net::{AddressFamily, SocketType, sockopt};
use sd_notify::NotifyState;

/// Why a socket passed in by the service manager cannot be served on.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    #[error("cannot take the socket passed by systemd (LISTEN_FDS): {0}")]
    Environment(std::io::Error),
    #[error(
        "systemd passed {0} sockets; feedd serves on exactly one (use a single ListenStream= in feedd.socket)"
    )]
    Count(usize),
    #[error(
        "the socket passed by systemd is not a listening TCP socket ({0}); use ListenStream= with an address or port in feedd.socket"
    )]
    Kind(String),
}

/// Takes the listening socket passed by the service manager, if there is one for this process,
/// and unsets `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` so nothing started later inherits
/// them.
///
/// # Safety
/// Call at most once, before any other thread exists (it changes the environment), and before
/// anything else claims file descriptor 3 and up: the descriptors systemd passed become owned
/// here.
pub unsafe fn take_listener() -> Result<Option<TcpListener>, ActivationError> {
    // SAFETY: single-threaded by this function's contract.
    let fds = unsafe { sd_notify::listen_fds_with_names_and_unset_env() }
        .map_err(ActivationError::Environment)?;
    // SAFETY: systemd passed these descriptors to this process for it to own, and by this
    // function's contract nothing else has claimed them; the environment that named them is gone.
    let mut owned: Vec<OwnedFd> = fds
        .map(|(fd, _name)| unsafe { OwnedFd::from_raw_fd(fd) })
        .collect();
    match owned.len() {
        0 => Ok(None),
        1 => listener(owned.remove(0)).map(Some),
        n => Err(ActivationError::Count(n)),
    }
}

/// Checks that `fd` is what `feedd.socket` should pass: a listening TCP socket.
fn listener(fd: OwnedFd) -> Result<TcpListener, ActivationError> {
    let kind = |e: rustix::io::Errno| ActivationError::Kind(e.to_string());
    let domain = sockopt::socket_domain(&fd).map_err(kind)?;
    if domain != AddressFamily::INET && domain != AddressFamily::INET6 {
        return Err(ActivationError::Kind(format!("address family {domain:?}")));
    }
    if sockopt::socket_type(&fd).map_err(kind)? != SocketType::STREAM {
        return Err(ActivationError::Kind("not a stream socket".into()));
    }
    if !sockopt::socket_acceptconn(&fd).map_err(kind)? {
        return Err(ActivationError::Kind("not listening".into()));
    }
    Ok(TcpListener::from(fd))
}

/// How often to send `WATCHDOG=1`: half the period systemd asked for (`WatchdogSec=`), so one
/// late ping does not cost a restart. `None` when no watchdog is set for this process.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
        .filter(|period| !period.is_zero())
        .map(|period| period / 2)
}

/// `READY=1`: the first build is published and the socket accepts connections, or a reload was
/// handled.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(&one_line(status))]);
}

/// `RELOADING=1` with the `MONOTONIC_USEC=` that `Type=notify-reload` requires (systemd ≥ 253
/// matches the two; older versions ignore the timestamp).
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(err) => {
            tracing::debug!("no monotonic clock for MONOTONIC_USEC: {err}");
            send(&[NotifyState::Reloading]);
        }
    }
}

/// `STATUS=`: the line `systemctl status` shows.
pub fn status(status: &str) {
    send(&[NotifyState::Status(&one_line(status))]);
}

/// `STOPPING=1`: shutdown has begun; in-flight requests are finishing.
pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

/// `WATCHDOG=1`: the event loop is alive.
pub fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// Sends `states` as one datagram when `NOTIFY_SOCKET` is set. A failure is logged once as a
/// warning (later ones at debug, so a vanished socket does not flood the log): the daemon keeps
/// serving either way.
fn send(states: &[NotifyState]) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if let Err(err) = sd_notify::notify(states) {
        if WARNED.swap(true, Ordering::Relaxed) {
            tracing::debug!("cannot notify systemd: {err}");
        } else {
            tracing::warn!("cannot notify systemd (NOTIFY_SOCKET): {err}");
        }
    }
}

/// A line break would end the `STATUS=` assignment early and start a bogus one.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use std::net::UdpSocket;
    use std::os::unix::net::UnixListener;

    use super::*;

    #[test]
    fn status_is_kept_on_one_line() {
        assert_eq!(
            one_line("config.toml:3: expected `=`\n  title \"x\"\r\n"),
            "config.toml:3: expected `=` title \"x\""
        );
        assert_eq!(one_line("10 posts"), "10 posts");
    }

    #[test]
    fn accepts_a_listening_tcp_socket() {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = tcp.local_addr().unwrap();
        let taken = listener(OwnedFd::from(tcp)).unwrap();
        assert_eq!(taken.local_addr().unwrap(), addr);
    }

    #[test]
    fn rejects_sockets_feedd_cannot_serve_on() {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let err = listener(OwnedFd::from(udp)).unwrap_err().to_string();
        assert!(err.contains("not a stream socket"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let unix = UnixListener::bind(dir.path().join("s")).unwrap();
        let err = listener(OwnedFd::from(unix)).unwrap_err().to_string();
        assert!(err.contains("address family"), "{err}");

        let unbound = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
        let err = listener(unbound).unwrap_err().to_string();
        assert!(err.contains("not listening"), "{err}");
    }
}
