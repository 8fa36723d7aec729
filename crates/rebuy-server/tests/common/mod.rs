//! Starting a real server on a loopback port over a fixture run folder.

use rebuy_server::{RunData, router};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `tests/fixtures/<name>`: `run` is a run folder as `rebuy run` writes it today,
/// `run-with-clusters` adds `segments.json`, cluster columns and `months.csv`;
/// `demo-run` is a real run folder from `rebuy demo`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Serves the fixture run on 127.0.0.1 and returns the base URL (`http://127.0.0.1:PORT`).
pub async fn start(name: &str) -> String {
    serve_run(RunData::load(&fixture(name)).expect("fixture run folder loads")).await
}

/// Serves a loaded run on 127.0.0.1 and returns the base URL.
pub async fn serve_run(run: RunData) -> String {
    serve_router(router(Arc::new(run), None)).await
}

/// Serves `app` on 127.0.0.1 as `rebuy_server::serve` does (with the peer's address for
/// the sign-in's lockout) and returns the base URL.
pub async fn serve_router(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("server runs");
    });
    format!("http://{addr}")
}

/// The column `name` of a CSV text, each row's cell as written.
pub fn csv_column(csv_text: &str, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let at = reader
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == name)
        .expect(name);
    reader
        .records()
        .map(|r| r.expect("row")[at].to_string())
        .collect()
}
