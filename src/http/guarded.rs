//! A connection's socket as hyper sees it, with the two guards hyper lacks: a send timeout (a
//! write that makes no progress for `send_timeout` fails, so a client that stops reading loses
//! its connection instead of holding it forever) and an answer to HTTP/2 with prior knowledge,
//! which feedd does not serve: the server preface and a GOAWAY saying HTTP_1_1_REQUIRED, rather
//! than the bare close hyper's HTTP/1 parser gives it. Every byte moved is stamped in the
//! connection's [`Activity`], which picks the quietest connection to evict at the cap.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::clients::Activity;

/// What an HTTP/2 client sends first (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// An empty SETTINGS frame (the server preface), then GOAWAY with last stream 0, error code
/// HTTP_1_1_REQUIRED (0xd) and the debug text "use HTTP/1.1".
const H2_REFUSAL: &[u8] = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00\
\x00\x00\x14\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0duse HTTP/1.1";

pub(super) struct Guarded<S> {
    inner: S,
    send_timeout: Duration,
    /// Started when a write could not proceed; cleared by the next write that does.
    stalled: Option<Pin<Box<Sleep>>>,
    activity: Activity,
    /// True until the first bytes arrive, which are checked for the HTTP/2 preface.
    first_read: bool,
    /// The rest of the HTTP/2 refusal still to write; once set, reads end the stream.
    refusal: Option<&'static [u8]>,
}

impl<S> Guarded<S> {
    pub(super) fn new(inner: S, send_timeout: Duration, activity: Activity) -> Guarded<S> {
        Guarded {
            inner,
            send_timeout,
            stalled: None,
            activity,
            first_read: true,
            refusal: None,
        }
    }
}

impl<S: AsyncWrite + Unpin> Guarded<S> {
    /// Passes a write's outcome through, failing it once the socket has refused to take bytes
    /// for `send_timeout`.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if let Poll::Ready(result) = polled {
            self.stalled = None;
            if result.is_ok() {
                self.activity.touch();
            }
            return Poll::Ready(result);
        }
        let timeout = self.send_timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(stalled.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the client read nothing for {timeout:?} (send timeout)"),
        )))
    }

    /// Writes the HTTP/2 refusal, then reports the end of the stream so hyper closes quietly.
    fn poll_refuse(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(rest) = self.refusal.filter(|rest| !rest.is_empty()) {
            let polled = Pin::new(&mut self.inner).poll_write(cx, rest);
            let written = ready!(self.watch(cx, polled))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.refusal = rest.get(written..);
        }
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, polled)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusal.is_some() {
            return this.poll_refuse(cx);
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let read = buf.filled().get(before..).unwrap_or_default();
        if read.is_empty() {
            return Poll::Ready(Ok(()));
        }
        this.activity.touch();
        if std::mem::take(&mut this.first_read) && read.starts_with(H2_PREFACE) {
            tracing::debug!("HTTP/2 with prior knowledge; answering GOAWAY HTTP_1_1_REQUIRED");
            buf.set_filled(before);
            this.refusal = Some(H2_REFUSAL);
            return this.poll_refuse(cx);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, polled)
    }
}
