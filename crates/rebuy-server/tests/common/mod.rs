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

/// Serves the runs folder `dir` (`rebuy serve --runs`) on 127.0.0.1 and returns the
/// base URL.
pub async fn start_runs(dir: &Path) -> String {
    serve_router(rebuy_server::runs_router(
        Arc::new(rebuy_server::Runs::folder(dir)),
        None,
    ))
    .await
}

/// A copy of the `history` fixture (a runs folder of three runs) to add runs to.
pub fn history_copy() -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("a temporary folder");
    copy_folder(&fixture("history"), copy.path());
    copy
}

/// Copies the folder `from` into `to`, sub-folders too.
pub fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}
