//! `rebuy serve`: the dashboard and the JSON API of a run folder.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::Path;

pub fn serve(run_dir: &Path, addr: SocketAddr) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server runtime")?;
    println!(
        "serving {} at http://{addr}/ (Ctrl-C to stop)",
        run_dir.display()
    );
    let options = rebuy_server::ServeOptions {
        run_dir: run_dir.to_path_buf(),
        addr,
    };
    runtime.block_on(rebuy_server::serve(
        options,
        rebuy_server::shutdown_signal(),
    ))?;
    Ok(())
}
