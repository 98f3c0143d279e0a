//! Accepted gRPC connections: TCP_NODELAY, TLS when configured, and a
//! handshake deadline.
//!
//! tonic (hyper's HTTP/2 server) has keepalive pings but no handshake
//! timeout: a client that connects and sends nothing holds a connection,
//! a task and a file descriptor for ever (six such connections were still
//! open after 150 s). Each connection is therefore wrapped so that its
//! first bytes, the 24-byte HTTP/2 connection preface, must arrive within
//! the deadline; a read after it fails with `TimedOut`, and hyper closes
//! the connection. After the preface the deadline is gone: from then on
//! the keepalive pings find dead peers. With TLS the TLS handshake must
//! finish within the same deadline, before the preface's starts.
//!
//! TLS handshakes run in tasks of their own, so one slow client does not
//! hold up the accept loop; at most [`MAX_PENDING_HANDSHAKES`] run at once
//! and connections beyond them are closed at once.

use crate::tls::ServerTls;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_stream::{Stream, StreamExt};
use tonic::transport::server::{Connected, TcpIncoming};

/// Length of the HTTP/2 client connection preface (`PRI * HTTP/2.0…`).
const PREFACE_LEN: usize = 24;

/// TLS handshakes in progress at once; a flood of silent connections
/// beyond this is dropped rather than given a task each.
pub const MAX_PENDING_HANDSHAKES: usize = 1024;

/// The accepted connections tonic serves.
pub type Incoming = Pin<Box<dyn Stream<Item = io::Result<HandshakeDeadline<GrpcStream>>> + Send>>;

/// Accepted gRPC connections with TCP_NODELAY, through TLS when `tls` is
/// given, each to finish its handshakes within `handshake_timeout`. A
/// listener handed to tonic keeps the kernel's default (Nagle on): the
/// last segment of an answer then waits for the client's delayed ACK, up
/// to 40 ms (measured by `railgate-bench`: a p99.9 of ~42 ms at any rate
/// before this).
pub fn incoming(
    listener: TcpListener,
    handshake_timeout: Duration,
    tls: Option<Arc<ServerTls>>,
) -> Incoming {
    let accepted = TcpIncoming::from(listener).with_nodelay(Some(true));
    match tls {
        None => Box::pin(accepted.map(move |accepted| {
            accepted
                .map(|stream| HandshakeDeadline::new(GrpcStream::Plain(stream), handshake_timeout))
        })),
        Some(tls) => Box::pin(tls_incoming(accepted, handshake_timeout, tls)),
    }
}

fn tls_incoming(
    mut accepted: TcpIncoming,
    handshake_timeout: Duration,
    tls: Arc<ServerTls>,
) -> impl Stream<Item = io::Result<HandshakeDeadline<GrpcStream>>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(64);
    let pending = Arc::new(tokio::sync::Semaphore::new(MAX_PENDING_HANDSHAKES));
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                next = accepted.next() => match next {
                    Some(Ok(stream)) => stream,
                    Some(Err(error)) => {
                        tracing::debug!(error = %error, "gRPC accept failed");
                        continue;
                    }
                    None => return,
                },
                // tonic stopped serving: stop accepting.
                () = sender.closed() => return,
            };
            let Ok(permit) = pending.clone().try_acquire_owned() else {
                tracing::warn!("too many TLS handshakes in progress: connection closed");
                continue;
            };
            let acceptor = tls.acceptor();
            let sender = sender.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let peer = stream.peer_addr().ok();
                match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        let stream = GrpcStream::tls(stream, peer);
                        let _ = sender
                            .send(Ok(HandshakeDeadline::new(stream, handshake_timeout)))
                            .await;
                    }
                    // A client that is not speaking TLS, or whose
                    // certificate is refused, sees its handshake fail.
                    Ok(Err(error)) => {
                        tracing::debug!(error = %error, "TLS handshake failed")
                    }
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

/// A gRPC connection, in clear or over TLS.
pub enum GrpcStream {
    /// Plaintext TCP.
    Plain(TcpStream),
    /// TLS over TCP, with what the handshake showed of the peer.
    Tls(Box<TlsStream<TcpStream>>, PeerInfo),
}

impl GrpcStream {
    fn tls(stream: TlsStream<TcpStream>, remote_addr: Option<SocketAddr>) -> Self {
        let certificate_identity = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|leaf| crate::tls::peer::certificate_identity(leaf))
            .map(Arc::from);
        GrpcStream::Tls(
            Box::new(stream),
            PeerInfo {
                remote_addr,
                certificate_identity,
            },
        )
    }
}

/// What railgate knows of a connection's peer; in every request's
/// extensions (tonic's connect info).
#[derive(Debug, Clone, Default)]
pub struct PeerInfo {
    /// The peer's address.
    pub remote_addr: Option<SocketAddr>,
    /// The identity its client certificate names (mTLS), verified against
    /// the client CA during the handshake.
    pub certificate_identity: Option<Arc<str>>,
}

impl Connected for GrpcStream {
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> PeerInfo {
        match self {
            GrpcStream::Plain(stream) => PeerInfo {
                remote_addr: stream.peer_addr().ok(),
                certificate_identity: None,
            },
            GrpcStream::Tls(_, peer) => peer.clone(),
        }
    }
}

macro_rules! each_stream {
    ($self:ident, $stream:ident => $body:expr) => {
        match $self.get_mut() {
            GrpcStream::Plain($stream) => {
                let $stream = Pin::new($stream);
                $body
            }
            GrpcStream::Tls($stream, _) => {
                let $stream = Pin::new($stream.as_mut());
                $body
            }
        }
    };
}

impl AsyncRead for GrpcStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each_stream!(self, stream => stream.poll_read(cx, buf))
    }
}

impl AsyncWrite for GrpcStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each_stream!(self, stream => stream.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_stream!(self, stream => stream.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_stream!(self, stream => stream.poll_shutdown(cx))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each_stream!(self, stream => stream.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            GrpcStream::Plain(stream) => stream.is_write_vectored(),
            GrpcStream::Tls(stream, _) => stream.is_write_vectored(),
        }
    }
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
