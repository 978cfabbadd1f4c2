//! Bounds on the gRPC server's connections, which tonic leaves unset: how
//! many it holds at once, and how long one may take to send HTTP/2's client
//! preface.
//!
//! Own code: tonic 0.14's `Server` caps streams per connection
//! (`max_concurrent_streams`) and calls per connection
//! (`concurrency_limit_per_connection`), but not connections, and hyper's
//! HTTP/2 keepalive and tonic's `max_connection_age` start only once the
//! preface has arrived; tower limits requests, not connections. A peer that
//! connected and sent nothing (or a few bytes) was held forever, and enough
//! of them would exhaust the process's file descriptors.

use std::{
    future::Future,
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    sync::{OwnedSemaphorePermit, Semaphore},
    time::{Instant, Sleep},
};
use tokio_stream::{Stream, StreamExt};
use tonic::transport::server::Connected;

/// Connections served at once; one more is closed as soon as it is accepted,
/// so its client fails fast and tries another replica rather than queueing,
/// and counted in `worker_grpc_connections_refused_total` (with a warning at
/// most every [`WARN_EVERY`]). `make bench`'s burst, a connection per
/// client, stays well under it, so its figures are the worker's, not the cap's.
/// Each connection may make the worker buffer up to its HTTP/2 connection
/// window (hyper's 1 MiB) of call data it has not read yet, so this bounds
/// that memory (256 MiB at worst) and the file descriptors the listener
/// takes. The orchestrator holds one connection per worker address per
/// replica (grpc-go), far fewer; kubelet probes and tools add a few.
pub const MAX_CONNECTIONS: usize = 256;

/// At most one warning per this while connections are refused: a client
/// that reconnects in a loop would otherwise flood the log as well.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// HTTP/2's client connection preface (RFC 9113, 3.4).
const PREFACE_BYTES: usize = 24;

/// Admits at most [`MAX_CONNECTIONS`] of `incoming`'s connections at once,
/// each of which must send its first [`PREFACE_BYTES`] within
/// `preface_timeout` or see its reads fail (hyper then closes it).
pub fn limit<I, IO, IE>(
    incoming: I,
    max: usize,
    preface_timeout: Duration,
) -> impl Stream<Item = Result<Limited<IO>, IE>>
where
    I: Stream<Item = Result<IO, IE>>,
{
    let slots = Arc::new(Semaphore::new(max));
    // Connections refused since the last warning, which names how many.
    let (mut refused, mut last_warned) = (0_u64, None);
    incoming.filter_map(move |accepted| match accepted {
        Ok(io) => match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => Some(Ok(Limited {
                io,
                _slot: slot,
                preface_left: PREFACE_BYTES,
                preface_deadline: Some(Box::pin(tokio::time::sleep_until(
                    Instant::now() + preface_timeout,
                ))),
            })),
            Err(_) => {
                crate::metrics::record_connection_refused();
                refused += 1;
                if last_warned.is_none_or(|at: Instant| at.elapsed() >= WARN_EVERY) {
                    last_warned = Some(Instant::now());
                    tracing::warn!(
                        max,
                        refused,
                        "connection limit reached; closed new connections (worker_grpc_connections_refused_total)"
                    );
                    refused = 0;
                }
                None
            }
        },
        Err(error) => Some(Err(error)),
    })
}

/// A connection holding one of the server's slots until it is dropped.
#[derive(Debug)]
pub struct Limited<IO> {
    io: IO,
    _slot: OwnedSemaphorePermit,
    /// Preface bytes still to come; the deadline is dropped once they have.
    preface_left: usize,
    preface_deadline: Option<Pin<Box<Sleep>>>,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Limited<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Some(deadline) = this.preface_deadline.as_mut() {
            let got = buf.filled().len() - before;
            this.preface_left = this.preface_left.saturating_sub(got);
            if this.preface_left == 0 {
                this.preface_deadline = None;
            } else if read.is_pending() {
                ready!(deadline.as_mut().poll(cx));
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no HTTP/2 preface within the deadline",
                )));
            }
        }
        read
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Limited<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

impl<IO: Connected> Connected for Limited<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}
