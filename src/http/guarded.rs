//! A connection's socket as hyper (or the TLS layer) sees it, with the guard hyper lacks: a send
//! timeout (a write that makes no progress for `send_timeout` fails, so a client that stops
//! reading loses its connection instead of holding it forever). Every byte moved is stamped in
//! the connection's [`Activity`], which picks the quietest connection to evict at the cap and
//! tells when a connection has gone quiet.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::clients::Activity;

pub(super) struct Guarded<S> {
    inner: S,
    send_timeout: Duration,
    /// Started when a write could not proceed; cleared by the next write that does.
    stalled: Option<Pin<Box<Sleep>>>,
    activity: Activity,
}

impl<S> Guarded<S> {
    pub(super) fn new(inner: S, send_timeout: Duration, activity: Activity) -> Guarded<S> {
        Guarded {
            inner,
            send_timeout,
            stalled: None,
            activity,
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

    /// [`Guarded::watch`] for a write, stamping the activity when bytes went out. Only then: a
    /// flush with nothing to flush happens whenever hyper is polled, and would keep a silent
    /// connection looking busy.
    fn written(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        let result = self.watch(cx, polled);
        if let Poll::Ready(Ok(1..)) = result {
            self.activity.touch();
        }
        result
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.activity.touch();
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
        this.written(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.written(cx, polled)
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
