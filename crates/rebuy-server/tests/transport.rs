//! The connection limits, on a real server and real loopback sockets: thousands of
//! idle and slow clients do not keep the health check from answering and are closed
//! after their timeouts; a connection over the cap is answered 503 at once; a client
//! that stops reading is dropped; a shutdown lets the answer being sent finish.

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;

use rebuy_server::{Limits, RunData, router, transport};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

/// Short limits, so the test sees them act within seconds; the keep-alive timeout
/// ends well before the header-read one, so the test tells which closed a socket.
const LIMITS: Limits = Limits {
    header_read: Duration::from_secs(5),
    keep_alive: Duration::from_millis(1500),
    stall: Duration::from_secs(6),
    max_connections: 10_000,
};

/// How late a timeout may act on a loaded machine and still count.
const MARGIN: Duration = Duration::from_secs(2);

/// Serves the fixture run with `limits` until `shutdown`; the base address and the
/// server's task.
async fn start(
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = transport::bind("127.0.0.1:0".parse().expect("address")).expect("bind");
    let addr = listener.local_addr().expect("address");
    let run = RunData::load(&common::fixture("run")).expect("fixture loads");
    let app = router(Arc::new(run), None);
    let server = tokio::spawn(transport::serve(listener, app, None, limits, shutdown));
    (addr, server)
}

/// How many client sockets this process can hold beside the server's ends of them.
fn clients_the_file_limit_allows(wanted: usize) -> usize {
    // Raises the soft open-file limit to the hard one, as the server does.
    transport::connection_cap(1);
    let files = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let room = usize::try_from(files.saturating_sub(300) / 2).unwrap_or(usize::MAX);
    wanted.min(room)
}

/// One `GET /api/health` on a new connection: the status line, or why there is none.
async fn health(addr: std::net::SocketAddr) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: rebuy\r\nConnection: close\r\n\r\n")
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = Vec::new();
    let read = timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .map_err(|_| "no answer within 10 s".to_string())?;
    // A refusing server closes without reading the request: the close may be a reset
    // after its answer.
    if let Err(error) = read
        && answer.is_empty()
    {
        return Err(format!("read: {error}"));
    }
    let text = String::from_utf8_lossy(&answer);
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// Whether the server has closed `stream` (end of file or a reset) within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_clients_neither_starve_the_health_check_nor_stay_open() {
    let clients = clients_the_file_limit_allows(3000);
    assert!(
        clients >= 500,
        "the open-file limit leaves room for {clients} clients only"
    );
    let (addr, _server) = start(LIMITS, std::future::pending()).await;
    let opened = Instant::now();
    let mut idle = Vec::new();
    let mut slow = Vec::new();
    for i in 0..clients {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        if i % 2 == 0 {
            idle.push(stream);
        } else {
            // A head that never ends: one header line at a time, twice a second.
            stream
                .write_all(b"GET /api/health HTTP/1.1\r\nHost: rebuy\r\n")
                .await
                .expect("write");
            slow.push(stream);
        }
    }
    let trickle = {
        let mut slow = slow;
        tokio::spawn(async move {
            for _ in 0..14 {
                tokio::time::sleep(Duration::from_millis(500)).await;
                for stream in &mut slow {
                    let _ = stream.write_all(b"X-Slow: 1\r\n").await;
                }
            }
            slow
        })
    };
    assert!(
        opened.elapsed() < LIMITS.keep_alive,
        "opening {clients} connections took {:?}: the test cannot see them all open",
        opened.elapsed()
    );
    for _ in 0..5 {
        assert_eq!(
            health(addr).await.as_deref(),
            Ok("HTTP/1.1 200 OK"),
            "the health check answers beside {clients} idle and slow clients"
        );
    }

    // Idle sockets: closed after the keep-alive timeout, long before the header-read one.
    for stream in &mut idle {
        let left = (opened + LIMITS.keep_alive + MARGIN).saturating_duration_since(Instant::now());
        assert!(
            closed_within(stream, left).await,
            "an idle socket is still open"
        );
    }
    assert!(
        opened.elapsed() >= LIMITS.keep_alive,
        "closed before its timeout"
    );
    // Slow heads: closed after the header-read timeout, though bytes keep coming.
    let mut slow = trickle.await.expect("trickle task");
    for stream in &mut slow {
        let left = (opened + LIMITS.header_read + Duration::from_secs(3))
            .saturating_duration_since(Instant::now());
        assert!(
            closed_within(stream, left).await,
            "a slow head is still open"
        );
    }
    assert_eq!(health(addr).await.as_deref(), Ok("HTTP/1.1 200 OK"));
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_once_idle() {
    let (addr, _server) = start(LIMITS, std::future::pending()).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: rebuy\r\n\r\n")
        .await
        .expect("write");
    let mut answer = [0u8; 4096];
    let read = stream.read(&mut answer).await.expect("answer");
    assert!(answer[..read].starts_with(b"HTTP/1.1 200 OK"));
    let answered = Instant::now();
    assert!(
        closed_within(&mut stream, LIMITS.keep_alive + MARGIN).await,
        "an idle kept-alive connection is closed by the keep-alive timeout"
    );
    assert!(answered.elapsed() >= LIMITS.keep_alive - Duration::from_millis(100));
}

#[tokio::test]
async fn a_connection_over_the_cap_is_answered_503_at_once() {
    let limits = Limits {
        max_connections: 3,
        ..LIMITS
    };
    let (addr, _server) = start(limits, std::future::pending()).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(addr).await.expect("connect"));
    }
    let asked = Instant::now();
    let refused = health(addr).await.expect("an answer");
    assert_eq!(refused, "HTTP/1.1 503 Service Unavailable");
    assert!(
        asked.elapsed() < LIMITS.keep_alive,
        "answered before any slot frees"
    );
    drop(held);
    // The slots free as the server sees the held connections close.
    let started = Instant::now();
    loop {
        let answer = health(addr).await.expect("an answer");
        if answer == "HTTP/1.1 200 OK" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Requests for 30 copies of the chart library, pipelined: far more than the socket
/// buffers hold, so the server's writes wait on a client that never reads.
const PIPELINED: usize = 30;

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped() {
    let limits = Limits {
        max_connections: 1,
        ..LIMITS
    };
    let (addr, _server) = start(limits, std::future::pending()).await;
    let mut stalled = TcpStream::connect(addr).await.expect("connect");
    let request = b"GET /assets/echarts.min.js HTTP/1.1\r\nHost: rebuy\r\n\r\n".repeat(PIPELINED);
    stalled.write_all(&request).await.expect("write");
    let started = Instant::now();
    assert_eq!(
        health(addr).await.as_deref(),
        Ok("HTTP/1.1 503 Service Unavailable"),
        "the stalled connection holds the only slot"
    );
    tokio::time::sleep(LIMITS.stall + Duration::from_secs(1)).await;
    let mut received = Vec::new();
    let _ = timeout(Duration::from_secs(5), stalled.read_to_end(&mut received)).await;
    let answers = received
        .windows(15)
        .filter(|w| w == b"HTTP/1.1 200 OK")
        .count();
    assert!(
        answers < PIPELINED,
        "the server wrote every answer to a client that did not read: no stall to test"
    );
    assert_eq!(
        health(addr).await.as_deref(),
        Ok("HTTP/1.1 200 OK"),
        "the slot is free again {:?} after the stall began",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_shutdown_finishes_the_answer_being_sent_then_returns() {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) = start(LIMITS, async move {
        stopped.await.ok();
    })
    .await;
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    let mut reading = TcpStream::connect(addr).await.expect("connect");
    reading
        .write_all(b"GET /assets/echarts.min.js HTTP/1.1\r\nHost: rebuy\r\n\r\n")
        .await
        .expect("write");
    let mut first = [0u8; 1024];
    let read = reading.read(&mut first).await.expect("the answer starts");
    let head = String::from_utf8_lossy(&first[..read]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_string)
        })
        .and_then(|l| l.trim().parse().ok())
        .expect("a content length");
    stop.send(()).expect("server waits");
    assert!(
        closed_within(&mut idle, Duration::from_secs(2)).await,
        "an idle connection is closed at once on shutdown"
    );
    let mut rest = Vec::new();
    reading.read_to_end(&mut rest).await.expect("the rest");
    let body = read + rest.len() - head.find("\r\n\r\n").expect("end of head") - 4;
    assert_eq!(body, length, "the answer in flight is sent whole");
    timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns once the connections closed")
        .expect("task");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}
