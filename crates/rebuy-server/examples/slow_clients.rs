//! The figures of docs/benchmarks.md "Slow clients": the health check's latency with
//! thousands of slow clients connected, and how long idle and slow sockets live, on a
//! real server (its own runtime, the default limits) and loopback sockets.
//!
//! `cargo run --release -p rebuy-server --example slow_clients -- [CLIENTS (3000)]`

use rebuy_server::{Limits, RunData, router, transport};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

fn main() {
    let clients: usize = std::env::args()
        .nth(1)
        .map_or(Ok(3000), |n| n.parse())
        .unwrap_or_else(|e| {
            eprintln!("CLIENTS must be a number: {e}");
            std::process::exit(2);
        });
    let run_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run");
    let run = RunData::load(&run_dir).expect("fixture run loads");
    let (ready, addr) = std::sync::mpsc::channel();
    // The server in a runtime of its own, as `rebuy serve` runs it.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = transport::bind("127.0.0.1:0".parse().expect("address")).expect("bind");
            ready
                .send(listener.local_addr().expect("address"))
                .expect("main waits");
            transport::serve(
                listener,
                router(Arc::new(run), None),
                None,
                Limits::default(),
                std::future::pending(),
            )
            .await;
        });
    });
    let addr = addr.recv().expect("the server listens");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    runtime.block_on(measure(addr, clients));
}

async fn measure(addr: SocketAddr, clients: usize) {
    let limits = Limits::default();
    println!(
        "limits: header read {:?}, keep-alive {:?}, stall {:?}, at most {} connections",
        limits.header_read,
        limits.keep_alive,
        limits.stall,
        transport::connection_cap(limits.max_connections)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let alone = latencies(addr, 100).await;
    report("health check, no other client", &alone);

    let opened = Instant::now();
    let mut slow = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /api/health HTTP/1.1\r\nHost: rebuy\r\n")
            .await
            .expect("write");
        slow.push((stream, Instant::now()));
    }
    println!("{clients} slow clients connected in {:?}", opened.elapsed());
    // One more header line from each client every second, while the checks run.
    let trickle = tokio::spawn(async move {
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            for (stream, _) in &mut slow {
                let _ = stream.write_all(b"X-Slow: 1\r\n").await;
            }
        }
        slow
    });
    let beside = latencies(addr, 200).await;
    report(
        &format!("health check beside {clients} slow clients"),
        &beside,
    );
    let mut slow = trickle.await.expect("trickle");
    let lived = lifetimes(&mut slow).await;
    report("slow client (a header line a second) lives", &lived);

    let mut idle = Vec::with_capacity(clients);
    for _ in 0..clients {
        idle.push((
            TcpStream::connect(addr).await.expect("connect"),
            Instant::now(),
        ));
    }
    let lived = lifetimes(&mut idle).await;
    report(&format!("idle socket (of {clients}) lives"), &lived);
}

/// `count` health checks, one every 20 ms, each on a new connection.
async fn latencies(addr: SocketAddr, count: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let asked = Instant::now();
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /api/health HTTP/1.1\r\nHost: rebuy\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("answer");
        assert!(answer.starts_with(b"HTTP/1.1 200 OK"), "not answered 200");
        times.push(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    times
}

/// How long each stream lived, from its connect until the server closed it (each
/// seen closed in turn: a close is noticed when the streams before it have been).
async fn lifetimes(streams: &mut [(TcpStream, Instant)]) -> Vec<Duration> {
    let mut times = Vec::with_capacity(streams.len());
    let mut buffer = [0u8; 256];
    for (stream, opened) in streams {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        times.push(opened.elapsed());
    }
    times
}

fn report(what: &str, times: &[Duration]) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    let max = sorted[sorted.len() - 1];
    println!(
        "{what}: median {median:.2?}, max {max:.2?} ({} samples)",
        sorted.len()
    );
}
