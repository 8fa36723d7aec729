//! `rebuy serve`: the dashboard and the JSON API of a run folder.

use crate::cli::ServeArgs;
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::Path;

pub fn serve_command(args: &ServeArgs) -> Result<()> {
    if args.demo_if_missing && !args.run.exists() {
        println!(
            "{} does not exist: serving the demo instead\n",
            args.run.display()
        );
        let dir = std::env::temp_dir().join(format!("rebuy-demo-{}", std::process::id()));
        let outcome =
            crate::demo::demo_run(&dir, crate::demo::DEMO_CUSTOMERS, crate::demo::DEMO_SEED)?;
        return serve(&outcome.folder, args.addr);
    }
    serve(&args.run, args.addr)
}

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
