//! Binding the listening socket with a listen backlog of our choosing. `TcpListener::bind` uses
//! 128, so a burst of a few hundred new connections overflows the kernel's accept queue and is
//! dropped before feedd sees it; the kernel caps whatever is asked at `net.core.somaxconn`.

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

const SOMAXCONN: &str = "/proc/sys/net/core/somaxconn";

/// Binds `addr` with a backlog of `backlog` connections, or the system's limit if lower.
pub async fn bind(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As std and tokio do: a restarted feedd can bind while old connections are in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let backlog = effective_backlog(backlog, system_limit());
    tracing::debug!(backlog, "listen backlog");
    socket.listen(backlog)
}

fn system_limit() -> Option<u32> {
    std::fs::read_to_string(SOMAXCONN).ok()?.trim().parse().ok()
}

/// The kernel silently lowers a larger backlog to its limit; lowering it here makes the log true.
fn effective_backlog(wanted: u32, limit: Option<u32>) -> u32 {
    let backlog = limit.map_or(wanted, |limit| wanted.min(limit)).max(1);
    if backlog < wanted {
        tracing::info!(
            "listen_backlog = {wanted} is above {SOMAXCONN} ({backlog}); using {backlog} (raise net.core.somaxconn for more)"
        );
    }
    backlog
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backlog_is_capped_by_the_system_limit() {
        assert_eq!(effective_backlog(4096, Some(1024)), 1024);
        assert_eq!(effective_backlog(512, Some(4096)), 512);
        assert_eq!(effective_backlog(512, None), 512);
    }

    #[tokio::test]
    async fn binds_loopback_with_a_chosen_backlog() {
        let listener = bind("127.0.0.1:0".parse().unwrap(), 64).await.unwrap();
        assert!(listener.local_addr().unwrap().port() > 0);
    }
}
