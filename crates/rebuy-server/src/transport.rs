//! Accepting connections, so that slow or idle clients cannot starve the server: hyper
//! is driven here (not by `axum::serve`, which has no header-read timeout and no cap)
//! with the limits of [`Limits`]:
//!
//! - a request's head (request line and headers) must arrive within
//!   [`Limits::header_read`] of the connection waiting for it (just opened, or its last
//!   answer sent), however slowly its bytes trickle in;
//! - a connection on which no byte has moved for [`Limits::keep_alive`] is closed
//!   (at once between requests; after its answer when a request is being handled), and
//!   one with no byte moved for [`Limits::stall`] (a client that stopped reading its
//!   answer) is dropped;
//! - at most [`Limits::max_connections`] connections are open at once, fewer when the
//!   process's open-file limit is lower; one more is answered 503 at once (plain HTTP)
//!   or closed (TLS) without being read.
//!
//! On shutdown the server stops accepting, closes idle connections, lets requests in
//! flight finish, and returns when every connection has closed.

use crate::REQUEST_TIMEOUT;
use axum::extract::connect_info::ConnectInfo;
use axum::{Extension, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

/// The default [`Limits::header_read`].
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default [`Limits::keep_alive`].
pub const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);
/// The default [`Limits::stall`]: longer than [`REQUEST_TIMEOUT`], so a request being
/// handled (no byte moves meanwhile) is never cut.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(2 * REQUEST_TIMEOUT.as_secs());
/// The default [`Limits::max_connections`]: room for thousands of slow clients and the
/// people using the dashboard beside them.
pub const MAX_CONNECTIONS: u32 = 4096;
/// Open files kept free of connections, for the files the server reads while answering
/// (a run's customers.csv for an export) and its own.
const RESERVED_FILES: u64 = 128;

/// How long a connection may wait or stall, and how many may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_read: Duration,
    pub keep_alive: Duration,
    pub stall: Duration,
    pub max_connections: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: HEADER_READ_TIMEOUT,
            keep_alive: KEEP_ALIVE_TIMEOUT,
            stall: STALL_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// Connections the kernel may hold for the server before it accepts them (capped by
/// `net.core.somaxconn`, 4096 by default). The usual 1024 overflows when thousands of
/// clients connect at once: the kernel then drops their handshakes, and the clients
/// retry seconds later.
const BACKLOG: u32 = 4096;

/// A listener on `addr` with room for [`BACKLOG`] connections waiting to be accepted.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // A restarted server can listen again while the old connections time out.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// What a connection over the cap is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
Content-Length: 63\r\nRetry-After: 1\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n\
{\"error\":\"the server has too many connections open; try again\"}";

/// Serves `app` on `listener` (over TLS when `tls` is given) until `shutdown` resolves,
/// then until the connections still open have closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let max_connections = connection_cap(limits.max_connections);
    let permits = Arc::new(Semaphore::new(max_connections as usize));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of open files, or the peer gave up before accept: wait
                    // instead of spinning, the connections closing free files.
                    tracing::warn!("cannot accept a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            refuse(stream, tls.is_some());
            continue;
        };
        // Without TCP_NODELAY the last small segment of a large page can wait for the
        // client's delayed ACK (up to 40 ms on Linux).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {error}");
        }
        // The peer's address for the handlers (the sign-in's lockout per address), as
        // axum's `into_make_service_with_connect_info` would give it.
        let app = app.clone().layer(Extension(ConnectInfo(peer)));
        let (tls, stopping) = (tls.clone(), stopping.clone());
        tokio::spawn(async move {
            match tls {
                None => connection(stream, app, limits, stopping).await,
                Some(tls) => {
                    // The handshake counts as reading the request's head.
                    match tokio::time::timeout(limits.header_read, tls.accept(stream)).await {
                        Ok(Ok(stream)) => connection(stream, app, limits, stopping).await,
                        Ok(Err(error)) => tracing::debug!("TLS handshake failed: {error}"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    stop.send_replace(true);
    // Every connection holds a permit until it closes.
    let _all_closed = permits.acquire_many(max_connections).await;
}

/// Answers a connection over the cap at once: whatever it already sent is read (so the
/// close is not a reset that could hide the answer), a 503 written, and it is closed.
fn refuse(stream: TcpStream, tls: bool) {
    if !tls {
        let mut sent = [0u8; 4096];
        let _ = stream.try_read(&mut sent);
        let _ = stream.try_write(BUSY);
    }
    tracing::debug!("connection refused: the connection cap is reached");
}

/// The cap on open connections: `wanted`, or fewer when the process's open-file limit
/// is lower (its soft limit first raised to the hard one, as systemd's `LimitNOFILE`
/// or `ulimit -n` allow), so that accepting never fails for want of a file.
pub fn connection_cap(wanted: u32) -> u32 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(error) = setrlimit(Resource::Nofile, raised) {
            tracing::debug!("cannot raise the open-file limit: {error}");
        }
    }
    let files = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    let cap = u32::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(u32::MAX);
    if cap < wanted {
        tracing::warn!(
            "at most {cap} connections at once: the open-file limit is {files} \
             (raise it, e.g. LimitNOFILE=65536, for {wanted})"
        );
    }
    wanted.min(cap).max(1)
}

/// Serves the requests of one connection within the limits, until it closes, breaks
/// the limits, or the server shuts down (then after the request in flight).
async fn connection<S>(stream: S, app: Router, limits: Limits, mut stopping: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let started = Instant::now();
    let moved = Arc::new(AtomicU64::new(0));
    let stream = Watched {
        inner: stream,
        started,
        moved: moved.clone(),
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let served = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let mut served = pin!(served);
    let mut closing = false;
    loop {
        let last_moved = started + Duration::from_millis(moved.load(Ordering::Relaxed));
        let deadline = if closing {
            last_moved + limits.stall
        } else {
            last_moved + limits.keep_alive
        };
        tokio::select! {
            result = served.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!("connection closed: {error}");
                }
                return;
            }
            Ok(_) = stopping.wait_for(|stop| *stop), if !closing => {
                closing = true;
                served.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(deadline) => {
                let idle = Instant::now() - started - Duration::from_millis(moved.load(Ordering::Relaxed));
                if idle >= limits.stall {
                    tracing::debug!("connection dropped: nothing moved for {idle:?}");
                    return;
                }
                if idle >= limits.keep_alive && !closing {
                    closing = true;
                    served.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// A connection's stream that records when a byte last moved either way (in
/// milliseconds since the connection opened).
struct Watched<S> {
    inner: S,
    started: Instant,
    moved: Arc<AtomicU64>,
}

impl<S> Watched<S> {
    fn touch(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.moved.store(now, Ordering::Relaxed);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
