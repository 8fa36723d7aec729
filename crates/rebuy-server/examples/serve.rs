//! Serves a run folder without building the whole `rebuy` binary, for working on the
//! dashboard: `cargo run --release -p rebuy-server --example serve -- RUN_DIR [ADDR]`.

use rebuy_server::{ServeOptions, serve, shutdown_signal};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(run_dir) = args.next() else {
        eprintln!("usage: serve RUN_DIR [ADDR (default 127.0.0.1:8501)]");
        std::process::exit(2);
    };
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8501".to_string());
    let addr = match addr.parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("{addr}: not an address such as 127.0.0.1:8501 ({e})");
            std::process::exit(2);
        }
    };
    println!("serving {run_dir} on http://{addr}");
    let options = ServeOptions {
        run_dir: run_dir.into(),
        runs_folder: false,
        addr,
        users: None,
        no_auth: false,
        tls: None,
        limits: rebuy_server::Limits::default(),
    };
    if let Err(error) = serve(options, shutdown_signal()).await {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
