//! The rebuy dashboard and JSON API, served from one run folder.
//!
//! [`RunData::load`] reads a run folder written by `rebuy run` (`manifest.json` and
//! `customers.csv` required; `quality.json`, `segments.json`, `metrics.json` and
//! `months.csv` optional: a page says what is missing and which command writes it)
//! and precomputes what the pages show. [`router`] serves:
//!
//! - pages: `/` (overview), `/segments`, `/customers`, `/models`, `/predict`, with
//!   ECharts bundled in the binary under `/assets/` so they work offline;
//! - the API: `GET /api/health`, `GET /api/customers/{id}`, `GET /api/customers`,
//!   `GET /api/customers.csv` (the run's customers.csv rows, every column, whole or by
//!   segment), `GET /api/segments`, `POST /api/rfm-score`,
//!   `POST /api/predict`, `POST /api/score.csv`, `GET /api/models`, and its OpenAPI
//!   document at `/api/openapi.json`.
//!
//! The run's chosen purchase model is loaded once ([`RunData::scorer`], a
//! `rebuy_models::scoring::Scorer` shared read-only by every request); [`batch`] scores
//! a CSV of customers for the upload and for `rebuy score`.
//!
//! Refused requests get a 4xx with a JSON body `{"error": ..., "field": ..., "row": ...}`
//! naming the field (and the customer of a list or CSV) at fault. Request bodies are
//! limited to [`MAX_BODY_BYTES`] ([`MAX_PREDICT_BYTES`] and [`MAX_PREDICT_CUSTOMERS`]
//! for predictions, [`MAX_UPLOAD_BYTES`] and [`MAX_UPLOAD_ROWS`] for a CSV), requests
//! to [`REQUEST_TIMEOUT`]; connections to the [`Limits`] of [`transport`] (header-read,
//! keep-alive and stall timeouts, a cap on open connections). Every answer carries the
//! security headers of [`headers`] (a Content-Security-Policy allowing only the
//! server's own scripts and styles); with [`TlsFiles`] the server speaks HTTPS only,
//! with HSTS.
//!
//! ```no_run
//! use rebuy_server::{ServeOptions, serve, shutdown_signal};
//!
//! # async fn run() -> Result<(), rebuy_server::ServerError> {
//! let options = ServeOptions {
//!     run_dir: "runs".into(),
//!     runs_folder: true,
//!     addr: "127.0.0.1:8501".parse().expect("address"),
//!     users: Some("users.json".into()),
//!     no_auth: false,
//!     tls: None,
//!     limits: rebuy_server::Limits::default(),
//! };
//! serve(options, shutdown_signal()).await
//! # }
//! ```
//!
//! [`report_html`] renders the Overview, Segments and Models pages into one
//! self-contained file (`report.html` of a run; [`RunData::named`] gives it the run's
//! final name when it is written in a staging folder).
//!
//! Every page states the days its figures cover (sales before the as-of date; the
//! data-quality table every line read) and writes money in the run's currency
//! (`currency` in manifest.json).
//!
//! Column meanings are in `docs/definitions.md`.

mod api;
mod assets;
pub mod auth;
pub mod batch;
mod comparison;
mod customers;
mod error;
mod export;
pub mod headers;
pub mod history;
mod html;
pub mod labels;
mod listing;
mod money;
mod pages;
pub mod prediction;
mod report;
mod run;
pub mod spreadsheet;
mod tls;
pub mod transport;
mod validate;

pub use api::{
    ApiDoc, MAX_BODY_BYTES, MAX_PREDICT_BYTES, MAX_PREDICT_CUSTOMERS, MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
};
pub use error::{ErrorBody, ServerError};
pub use history::runs::Runs;
pub use report::report_html;
pub use run::RunData;
pub use tls::TlsFiles;
pub use transport::Limits;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Longest a request may take before the server answers 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Where to find the run, where to listen, how, and who may look.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub run_dir: PathBuf,
    /// `run_dir` is a runs folder (`rebuy serve --runs`): serve every complete run
    /// folder in it, newest first, picked with `?run=NAME` ([`Runs`]).
    pub runs_folder: bool,
    pub addr: SocketAddr,
    /// The users file (`rebuy users`): with one, every page and API route but the
    /// health check needs a sign-in ([`auth`]).
    pub users: Option<PathBuf>,
    /// Serve without a users file on an address other machines reach. Without it (and
    /// without `users`) only a loopback address is accepted: anyone reaching the port
    /// would otherwise read every customer's spend.
    pub no_auth: bool,
    /// HTTPS with this certificate and key; plain HTTP without.
    pub tls: Option<TlsFiles>,
    pub limits: Limits,
}

impl ServeOptions {
    /// Refuses an address other machines reach when nobody has to sign in (unless
    /// `no_auth` says the data may be public).
    pub fn check_access(&self) -> Result<(), ServerError> {
        if self.users.is_none() && !self.no_auth && !self.addr.ip().is_loopback() {
            return Err(ServerError::PublicWithoutLogin(self.addr));
        }
        Ok(())
    }
}

/// Loads the run folder, then serves the dashboard and the API until `shutdown`
/// resolves; requests in flight are finished first.
pub async fn serve(
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    options.check_access()?;
    // A bad certificate or users file is refused before the run, which may take a
    // while, is loaded.
    let tls = options.tls.as_ref().map(tls::acceptor).transpose()?;
    let auth = match &options.users {
        Some(path) => Some(Arc::new(auth::Auth::load(path, tls.is_some())?)),
        None => None,
    };
    let runs = if options.runs_folder {
        if !options.run_dir.is_dir() {
            return Err(ServerError::NotARunsFolder(
                options.run_dir.display().to_string(),
            ));
        }
        let runs = Runs::folder(&options.run_dir);
        let found = runs.list().await;
        tracing::info!(
            "{} runs in {} ({} cannot be read)",
            found.len(),
            options.run_dir.display(),
            found.iter().filter(|e| e.loaded.is_err()).count()
        );
        runs
    } else {
        let dir = options.run_dir.clone();
        let run = tokio::task::spawn_blocking(move || RunData::load(&dir))
            .await
            .map_err(|e| ServerError::Serve(std::io::Error::other(e)))??;
        Runs::one(Arc::new(run))
    };
    let listener = transport::bind(options.addr).map_err(|source| ServerError::Listen {
        addr: options.addr,
        source,
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let who = match (&auth, &options.users) {
        (Some(auth), Some(users)) => {
            format!("to the {} users of {}", auth.user_count(), users.display())
        }
        _ => "without sign-in".to_string(),
    };
    tracing::info!(
        "serving {} on {scheme}://{} {who}",
        options.run_dir.display(),
        options.addr
    );
    let mut app = runs_router(Arc::new(runs), auth);
    if tls.is_some() {
        app = headers::with_hsts(app);
    }
    transport::serve(listener, app, tls, options.limits, shutdown).await;
    Ok(())
}

/// The pages, the API and the assets over one loaded run; behind a sign-in when `auth`
/// is given (the address of the one signing in comes from `ConnectInfo<SocketAddr>`,
/// see [`serve`]).
pub fn router(run: Arc<RunData>, auth: Option<Arc<auth::Auth>>) -> Router {
    runs_router(Arc::new(Runs::one(run)), auth)
}

/// As [`router`], over the runs of a runs folder (or one run): every page and API
/// route serves the run `?run=NAME` picks, the newest without it.
pub fn runs_router(runs: Arc<Runs>, auth: Option<Arc<auth::Auth>>) -> Router {
    let app = Router::new()
        .route("/", get(pages::overview))
        .route("/segments", get(pages::segments))
        .route("/customers", get(pages::customers))
        .route("/models", get(pages::models))
        .route("/predict", get(pages::predict))
        .route("/changes", get(pages::changes))
        .route("/assets/{file}", get(assets::asset))
        .nest("/api", api::router())
        .with_state(runs);
    let app = match auth {
        Some(auth) => app
            .merge(auth::router(Arc::clone(&auth)))
            .layer(middleware::from_fn_with_state(auth, auth::require_sign_in)),
        None => app,
    };
    // The security headers go on every answer, the sign-in's refusals and redirects too.
    app.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        REQUEST_TIMEOUT,
    ))
    .layer(TraceLayer::new_for_http())
    .layer(middleware::map_response(headers::security_headers))
}

/// Resolves on Ctrl-C or SIGTERM: pass it to [`serve`] for a graceful shutdown.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
