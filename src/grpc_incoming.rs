//! Accepted gRPC connections: TCP_NODELAY and a handshake deadline.
//!
//! tonic (hyper's HTTP/2 server) has keepalive pings but no handshake
//! timeout: a client that connects and sends nothing holds a connection,
//! a task and a file descriptor for ever (six such connections were still
//! open after 150 s). Each connection is therefore wrapped so that its
//! first bytes, the 24-byte HTTP/2 connection preface, must arrive within
//! the deadline; a read after it fails with `TimedOut`, and hyper closes
//! the connection. After the preface the deadline is gone: from then on
//! the keepalive pings find dead peers.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::{Stream, StreamExt};
use tonic::transport::server::{Connected, TcpIncoming};

/// Length of the HTTP/2 client connection preface (`PRI * HTTP/2.0…`).
const PREFACE_LEN: usize = 24;

/// Accepted gRPC connections with TCP_NODELAY, each to send its HTTP/2
/// preface within `handshake_timeout`. A listener handed to tonic keeps
/// the kernel's default (Nagle on): the last segment of an answer then
/// waits for the client's delayed ACK, up to 40 ms (measured by
/// `railgate-bench`: a p99.9 of ~42 ms at any rate before this).
pub fn incoming(
    listener: TcpListener,
    handshake_timeout: Duration,
) -> impl Stream<Item = io::Result<HandshakeDeadline<TcpStream>>> {
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .map(move |accepted| {
            accepted.map(|stream| HandshakeDeadline::new(stream, handshake_timeout))
        })
}

/// A connection whose first [`PREFACE_LEN`] bytes must arrive in time.
pub struct HandshakeDeadline<IO> {
    inner: IO,
    /// Until the preface is in; None after.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Preface bytes still to come.
    awaiting: usize,
}

impl<IO> HandshakeDeadline<IO> {
    /// Wraps `inner`, starting its deadline now.
    pub fn new(inner: IO, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: Some(Box::pin(tokio::time::sleep(timeout))),
            awaiting: PREFACE_LEN,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for HandshakeDeadline<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        let Some(deadline) = this.deadline.as_mut() else {
            return result;
        };
        match &result {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                this.awaiting = this.awaiting.saturating_sub(read);
                if this.awaiting == 0 || read == 0 {
                    this.deadline = None;
                }
            }
            Poll::Pending => {
                // Registers the timer's waker beside the socket's.
                if deadline.as_mut().poll(cx).is_ready() {
                    this.deadline = None;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no HTTP/2 preface within the handshake timeout",
                    )));
                }
            }
            Poll::Ready(Err(_)) => this.deadline = None,
        }
        result
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for HandshakeDeadline<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl<IO: Connected> Connected for HandshakeDeadline<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    #[tokio::test(start_paused = true)]
    async fn a_peer_silent_past_the_deadline_fails_the_read() {
        let (_client, server) = duplex(64);
        let mut wrapped = HandshakeDeadline::new(server, Duration::from_secs(5));
        let mut buffer = [0u8; 8];
        let error = wrapped.read(&mut buffer).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn half_a_preface_is_not_enough() {
        let (mut client, server) = duplex(64);
        let mut wrapped = HandshakeDeadline::new(server, Duration::from_secs(5));
        client.write_all(b"PRI * HTTP/2.0").await.unwrap();
        let mut buffer = [0u8; 64];
        assert_eq!(wrapped.read(&mut buffer).await.unwrap(), 14);
        let error = wrapped.read(&mut buffer).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_preface_a_quiet_peer_is_left_to_keepalive() {
        let (mut client, server) = duplex(64);
        let mut wrapped = HandshakeDeadline::new(server, Duration::from_secs(5));
        client
            .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .await
            .unwrap();
        let mut buffer = [0u8; 64];
        assert_eq!(wrapped.read(&mut buffer).await.unwrap(), PREFACE_LEN);
        // Long past the deadline, the next bytes still read.
        tokio::time::sleep(Duration::from_secs(60)).await;
        client.write_all(b"frame").await.unwrap();
        assert_eq!(wrapped.read(&mut buffer).await.unwrap(), 5);
        // Writes pass through.
        wrapped.write_all(b"answer").await.unwrap();
        let mut answer = [0u8; 6];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"answer");
    }
}
