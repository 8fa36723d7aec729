//! `rebuy serve`: the dashboard and the JSON API of a run folder.

use crate::cli::ServeArgs;
use anyhow::{Context, Result};
use rebuy_server::{Limits, ServeOptions, TlsFiles};
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
        return serve(options(&outcome.folder, args));
    }
    serve(options(&args.run, args))
}

fn options(run_dir: &Path, args: &ServeArgs) -> ServeOptions {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    ServeOptions {
        run_dir: run_dir.to_path_buf(),
        addr: args.addr,
        tls,
        limits: Limits {
            max_connections: args.max_connections,
            ..Limits::default()
        },
    }
}

/// Serves until Ctrl-C or SIGTERM.
pub fn serve(options: ServeOptions) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server runtime")?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    println!(
        "serving {} at {scheme}://{}/ (Ctrl-C to stop)",
        options.run_dir.display(),
        options.addr
    );
    runtime.block_on(rebuy_server::serve(
        options,
        rebuy_server::shutdown_signal(),
    ))?;
    Ok(())
}
