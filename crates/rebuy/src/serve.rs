//! `rebuy serve`: the dashboard and the JSON API of a run folder.

use crate::cli::ServeArgs;
use anyhow::{Context, Result};
use rebuy_server::{Limits, ServeOptions, TlsFiles};
use std::path::Path;

pub fn serve_command(args: &ServeArgs) -> Result<()> {
    let (path, runs_folder) = match (&args.run, &args.runs) {
        (Some(run), _) => (run, false),
        (None, Some(runs)) => (runs, true),
        (None, None) => unreachable!("clap requires --run or --runs"),
    };
    if args.demo_if_missing && !path.exists() {
        println!(
            "{} does not exist: serving the demo instead\n",
            path.display()
        );
        let dir = std::env::temp_dir().join(format!("rebuy-demo-{}", std::process::id()));
        let runs =
            crate::demo::demo_runs(&dir, crate::demo::DEMO_CUSTOMERS, crate::demo::DEMO_SEED)?;
        // Synthetic customers: nothing to protect, so any address may serve them.
        return serve(ServeOptions {
            no_auth: true,
            ..options(&runs, true, args)
        });
    }
    serve(options(path, runs_folder, args))
}

fn options(run_dir: &Path, runs_folder: bool, args: &ServeArgs) -> ServeOptions {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    ServeOptions {
        run_dir: run_dir.to_path_buf(),
        runs_folder,
        addr: args.addr,
        users: args.users.clone(),
        no_auth: args.no_auth,
        tls,
        limits: Limits {
            max_connections: args.max_connections,
            ..Limits::default()
        },
    }
}

/// Serves until Ctrl-C or SIGTERM.
pub fn serve(options: ServeOptions) -> Result<()> {
    options.check_access()?;
    start_log();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server runtime")?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let access = match &options.users {
        Some(file) => format!("sign-in with the users of {}", file.display()),
        None if options.addr.ip().is_loopback() => "no sign-in: this machine only".to_string(),
        None => "no sign-in: open to every machine that reaches the address".to_string(),
    };
    let what = if options.runs_folder {
        "the runs of"
    } else {
        "the run"
    };
    println!(
        "serving {what} {} at {scheme}://{}/ ({access}; Ctrl-C to stop)",
        options.run_dir.display(),
        options.addr
    );
    runtime.block_on(rebuy_server::serve(
        options,
        rebuy_server::shutdown_signal(),
    ))?;
    Ok(())
}

/// The server log on standard error: rebuy's own lines (sign-ins, failed sign-ins,
/// exports, users file re-read) from INFO, everything else's warnings.
fn start_log() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("rebuy_server", tracing::Level::INFO)
        .with_default(tracing::Level::WARN);
    // A second server in the same process (tests) keeps the first's log.
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .try_init();
}
