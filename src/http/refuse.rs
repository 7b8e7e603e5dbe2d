//! The answer to a client feedd will not serve now: a 503 with `Retry-After`, written straight to
//! the socket without hyper, then a short lingering close (the request is read and dropped, so
//! closing does not reset the connection before the client has read the answer). Everything is
//! bounded: one second and 64 KiB per refused client.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Why a client is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Its address holds `max_connections_per_address` connections already.
    AddressFull,
    /// Every slot is busy and none could be freed in time.
    ServerFull,
}

impl Refusal {
    /// Its `reason` label in `feedd_http_connections_refused_total`.
    pub(super) fn label(self) -> &'static str {
        match self {
            Refusal::AddressFull => "address_full",
            Refusal::ServerFull => "server_full",
        }
    }

    fn response(self) -> &'static [u8] {
        match self {
            Refusal::AddressFull => concat!(
                "HTTP/1.1 503 Service Unavailable\r\n",
                "Content-Type: text/plain; charset=utf-8\r\n",
                "Content-Length: 52\r\n",
                "Retry-After: 5\r\n",
                "Connection: close\r\n\r\n",
                "too many connections from your address; retry later\n",
            )
            .as_bytes(),
            Refusal::ServerFull => concat!(
                "HTTP/1.1 503 Service Unavailable\r\n",
                "Content-Type: text/plain; charset=utf-8\r\n",
                "Content-Length: 31\r\n",
                "Retry-After: 1\r\n",
                "Connection: close\r\n\r\n",
                "server busy; retry in a second\n",
            )
            .as_bytes(),
        }
    }
}

/// The longest a refused client keeps its socket open.
const LINGER: Duration = Duration::from_secs(1);
/// The most of a refused client's request that is read (and dropped) before closing.
const DRAIN_BYTES: usize = 64 * 1024;

/// Writes the refusal and closes, within [`LINGER`].
pub(super) async fn refuse<S>(mut stream: S, why: Refusal)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    crate::metrics::global().refused(why.label());
    let answer = async {
        stream.write_all(why.response()).await?;
        stream.shutdown().await?;
        let mut buf = [0u8; 4096];
        let mut drained = 0;
        while drained < DRAIN_BYTES {
            match stream.read(&mut buf).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(LINGER, answer).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "refused client went away"),
        Err(_) => tracing::debug!("refused client still sending after {LINGER:?}; closed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_is_a_well_formed_503_of_its_stated_length() {
        for why in [Refusal::AddressFull, Refusal::ServerFull] {
            let text = std::str::from_utf8(why.response()).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
            assert!(head.contains("\r\nRetry-After: "), "{head}");
            let length = format!("Content-Length: {}\r\n", body.len());
            assert!(head.contains(&length), "{why:?}: {head} / {}", body.len());
        }
    }
}
