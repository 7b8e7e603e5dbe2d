//! Response bodies: a buffer already in memory (documents, errors), or a part of a file read
//! from disk in chunks as the client takes them (media), so a download holds one chunk at a time
//! however large the file.
//!
//! [`Payload`] is what the pure layers decide (which bytes); [`Body`] is what hyper sends, and
//! [`open`] is the one I/O step between them, taken by `connection` before the headers go out,
//! so a file that cannot be opened is still an error response rather than a cut connection.

use std::io::{self, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncSeekExt, ReadBuf};

/// How much of a file one read takes, and so what one download holds in memory (twice: tokio's
/// buffer for the blocking read, and the chunk being sent).
const CHUNK: usize = 64 * 1024;

/// The body a response carries, before any I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Bytes(Bytes),
    File(FilePart),
}

impl Payload {
    /// How many bytes the body has.
    pub fn len(&self) -> u64 {
        match self {
            Payload::Bytes(bytes) => bytes.len() as u64,
            Payload::File(part) => part.length,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Bytes> for Payload {
    fn from(bytes: Bytes) -> Payload {
        Payload::Bytes(bytes)
    }
}

/// `length` bytes from `start` of `file`, a file of `file_length` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    pub file: Arc<Path>,
    pub file_length: u64,
    pub start: u64,
    pub length: u64,
}

/// A body hyper can send, on either protocol.
#[derive(Debug)]
pub(super) enum Body {
    /// `None` once sent.
    Bytes(Option<Bytes>),
    File(FileStream),
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body::Bytes(Some(bytes))
    }
}

#[derive(Debug)]
pub(super) struct FileStream {
    file: tokio::fs::File,
    remaining: u64,
    chunk: Vec<u8>,
}

/// Opens `part` for sending. Fails when the file is missing or no longer has the length it was
/// published with (something else wrote to it): its bytes would not be the ones the headers
/// describe.
pub(super) async fn open(part: &FilePart) -> io::Result<Body> {
    let mut file = tokio::fs::File::open(&part.file).await?;
    let length = file.metadata().await?.len();
    if length != part.file_length {
        return Err(io::Error::other(format!(
            "{} is {length} bytes, not the {} it was published with",
            part.file.display(),
            part.file_length
        )));
    }
    file.seek(SeekFrom::Start(part.start)).await?;
    Ok(Body::File(FileStream {
        file,
        remaining: part.length,
        chunk: Vec::new(),
    }))
}

impl FileStream {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(self.remaining).map_or(CHUNK, |r| r.min(CHUNK));
        self.chunk.resize(want, 0);
        let mut buf = ReadBuf::new(&mut self.chunk);
        ready!(Pin::new(&mut self.file).poll_read(cx, &mut buf))?;
        let read = buf.filled();
        if read.is_empty() {
            self.remaining = 0;
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file ended before the bytes the response promised",
            ))));
        }
        self.remaining -= read.len() as u64;
        Poll::Ready(Some(Ok(Bytes::copy_from_slice(read))))
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            Body::Bytes(bytes) => {
                let data = bytes.take().filter(|b| !b.is_empty());
                Poll::Ready(data.map(|b| Ok(Frame::data(b))))
            }
            Body::File(stream) => stream
                .poll_chunk(cx)
                .map(|chunk| chunk.map(|c| c.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Bytes(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Body::File(stream) => stream.remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Bytes(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Body::File(stream) => SizeHint::with_exact(stream.remaining),
        }
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;
    use hyper::body::Body as _;

    use super::*;

    fn part(file: &Path, file_length: u64, start: u64, length: u64) -> FilePart {
        FilePart {
            file: Arc::from(file),
            file_length,
            start,
            length,
        }
    }

    #[tokio::test]
    async fn a_file_part_is_sent_in_chunks_of_at_most_chunk_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let mut body = open(&part(&path, 200_000, 1000, 150_000)).await.unwrap();
        assert_eq!(body.size_hint().exact(), Some(150_000));
        let mut sent = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            assert!(data.len() <= CHUNK);
            sent.extend_from_slice(&data);
        }
        assert_eq!(sent, bytes[1000..151_000]);
        assert!(body.is_end_stream());
    }

    #[tokio::test]
    async fn a_file_of_another_length_or_none_is_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        let err = open(&part(&path, 6, 0, 6)).await.unwrap_err();
        assert!(err.to_string().contains("not the 6"), "{err}");
        let err = open(&part(&dir.path().join("gone"), 1, 0, 1))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn a_file_cut_short_ends_the_body_with_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        let mut body = open(&part(&path, 5, 0, 5)).await.unwrap();
        std::fs::write(&path, b"12").unwrap();
        let mut error = None;
        while let Some(frame) = body.frame().await {
            if let Err(e) = frame {
                error = Some(e);
            }
        }
        assert_eq!(error.unwrap().kind(), io::ErrorKind::UnexpectedEof);
    }
}
