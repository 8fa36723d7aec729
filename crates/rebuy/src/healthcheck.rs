//! `rebuy healthcheck`: asks a running server's `/api/health` whether it is up, for
//! container health checks (the slim image has no curl or wget).
//!
//! One plain HTTP/1.1 GET over a std TCP stream: an HTTP client crate would add a
//! client stack (TLS, connection pools) to the binary for a single local request.

use crate::exit::InputError;
use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long the whole check may take; Docker's own timeout is set above it.
const TIMEOUT: Duration = Duration::from_secs(3);

pub fn healthcheck(mut addr: SocketAddr) -> Result<()> {
    if addr.ip().is_unspecified() {
        // A server listening on every address (0.0.0.0) is reached on loopback.
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let status = get_status(addr, "/api/health")
        .with_context(|| format!("no answer from the rebuy server at {addr}"))?;
    if status != 200 {
        bail!(InputError(format!(
            "the rebuy server at {addr} answered /api/health with status {status}"
        )));
    }
    println!("ok: http://{addr}/api/health answered 200");
    Ok(())
}

/// The status code of `GET path` on `addr`.
fn get_status(addr: SocketAddr, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    // The status line is all we need: "HTTP/1.1 200 OK".
    let mut head = [0u8; 64];
    let mut filled = 0;
    while filled < head.len() {
        let n = stream.read(&mut head[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
        if head[..filled].contains(&b'\n') {
            break;
        }
    }
    let line = String::from_utf8_lossy(&head[..filled]);
    line.split_whitespace()
        .nth(1)
        .filter(|_| line.starts_with("HTTP/"))
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP answer: {:?}", line.trim()))
}
