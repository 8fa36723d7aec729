//! Where a run's lines are cleaned and aggregated: files read here, or a PostgreSQL
//! database or a Ballista cluster (the cargo features `postgres` and `cluster`; a
//! build without one says so when its URL is given).

use crate::cli::RunArgs;
use crate::exit::InputError;
use anyhow::Result;
use rebuy_data::ReadOptions;
#[cfg(feature = "cluster")]
use rebuy_features::BallistaSource;
use rebuy_features::FeatureEngine;
#[cfg(feature = "postgres")]
use rebuy_features::PostgresSource;
use rebuy_features::{is_ballista_url, is_postgres_url};

/// Where a run's lines are cleaned and aggregated.
pub enum Source {
    /// Files read here, by the embedded engine.
    Files,
    /// A database that cleans and aggregates its own lines.
    #[cfg(feature = "postgres")]
    Postgres(Box<PostgresSource>),
    /// A cluster that cleans and aggregates Parquet files.
    #[cfg(feature = "cluster")]
    Ballista(BallistaSource),
}

impl Source {
    /// The source the inputs and `--engine` name.
    pub fn of(args: &RunArgs) -> Result<Source> {
        let Some(engine) = args.engine.as_deref() else {
            return database(args);
        };
        if !is_ballista_url(engine) {
            return Err(
                InputError(format!("--engine {engine}: expected ballista://HOST:PORT")).into(),
            );
        }
        if args.query.is_some() || database_url(args)?.is_some() {
            return Err(InputError(
                "--engine ballista:// reads Parquet files, not a database: drop --query and the postgres:// input".into(),
            )
            .into());
        }
        cluster(engine, args)
    }

    /// The database and the SQL of its lines, for the manifest; `None` when the lines
    /// are files (hashed instead).
    pub fn database(&self) -> Option<(String, String)> {
        match self {
            #[cfg(feature = "postgres")]
            Source::Postgres(database) => Some((database.describe(), database.relation_sql())),
            _ => None,
        }
    }

    /// The engine that holds the clean lines itself (the cleaning rules run there), or
    /// `None` when the files are to be read here.
    #[cfg_attr(
        not(any(feature = "postgres", feature = "cluster")),
        allow(unused_variables)
    )]
    pub fn engine(&self, options: &ReadOptions) -> Result<Option<FeatureEngine>> {
        match self {
            Source::Files => Ok(None),
            #[cfg(feature = "postgres")]
            Source::Postgres(database) => opened("cleaning in PostgreSQL", || {
                FeatureEngine::postgres(database, &options.rules, &options.mapping)
            }),
            #[cfg(feature = "cluster")]
            Source::Ballista(cluster) => opened("cleaning on the Ballista cluster", || {
                FeatureEngine::ballista(cluster, &options.rules, &options.mapping)
            }),
        }
    }
}

/// An engine opened under a spinner (the cleaning runs remotely, with no count to show).
#[cfg(any(feature = "postgres", feature = "cluster"))]
fn opened(
    what: &str,
    open: impl FnOnce() -> rebuy_features::Result<FeatureEngine>,
) -> Result<Option<FeatureEngine>> {
    let spinner = crate::progress::spinner(what);
    let engine = open()?;
    spinner.finish_and_clear();
    Ok(Some(engine))
}

/// The inputs' postgres:// URL (it must be the only input), or `None` for files.
fn database_url(args: &RunArgs) -> Result<Option<&str>> {
    let urls: Vec<&str> = args
        .inputs
        .iter()
        .filter_map(|p| p.to_str())
        .filter(|p| is_postgres_url(p))
        .collect();
    match (urls.as_slice(), args.query.as_deref()) {
        ([], None) => Ok(None),
        ([], Some(_)) => Err(InputError(
            "--query reads from a database: give --input postgres://user@host:port/db".into(),
        )
        .into()),
        ([url], _) if args.inputs.len() == 1 => Ok(Some(url)),
        _ => Err(
            InputError("a postgres:// input cannot be combined with other inputs".into()).into(),
        ),
    }
}

#[cfg(feature = "postgres")]
fn database(args: &RunArgs) -> Result<Source> {
    let Some(url) = database_url(args)? else {
        return Ok(Source::Files);
    };
    PostgresSource::parse(url, args.query.as_deref())
        .map(|database| Source::Postgres(Box::new(database)))
        .map_err(|e| InputError(e.to_string()).into())
}

#[cfg(not(feature = "postgres"))]
fn database(args: &RunArgs) -> Result<Source> {
    match database_url(args)? {
        None => Ok(Source::Files),
        Some(_) => Err(not_built("postgres", "a postgres:// input")),
    }
}

#[cfg(feature = "cluster")]
fn cluster(engine: &str, args: &RunArgs) -> Result<Source> {
    BallistaSource::parse(engine, &args.inputs)
        .map(Source::Ballista)
        .map_err(|e| InputError(e.to_string()).into())
}

#[cfg(not(feature = "cluster"))]
fn cluster(_engine: &str, _args: &RunArgs) -> Result<Source> {
    Err(not_built("cluster", "--engine ballista://"))
}

/// The refusal of a build without the feature a URL needs.
#[cfg(not(all(feature = "postgres", feature = "cluster")))]
fn not_built(feature: &str, what: &str) -> anyhow::Error {
    InputError(format!(
        "{what} needs the `{feature}` feature, which this build of rebuy was made without: \
         build with `cargo build --release -p rebuy --features {feature}`, or use the Docker \
         image, which has every feature (docs/scaling.md)"
    ))
    .into()
}
