//! Per-customer features, purchase labels and RFM segments for rebuy, computed at an
//! as-of date with SQL over DataFusion, or pushed down to PostgreSQL ([`postgres`]) or
//! a Ballista cluster ([`ballista`]); those two are the cargo features `postgres` and
//! `cluster`, off by default.
//!
//! The features API cannot see the future: [`FeatureEngine::customer_features`]
//! takes an [`AsOf`] and its query reads only the view of lines before that day. The
//! buy-till-you-die summary columns are in days unless the engine is given another
//! [`TimeUnit`] with [`FeatureEngine::btyd_time_unit`].
//!
//! ```no_run
//! # fn demo(table: rebuy_data::LineTable) -> Result<(), rebuy_features::Error> {
//! use rebuy_features::FeatureEngine;
//! let engine = FeatureEngine::new(table)?;
//! let features = engine.customer_features(engine.default_as_of())?;
//! println!("{} customers", features.len());
//! # Ok(()) }
//! ```

#[cfg(feature = "cluster")]
pub mod ballista;
mod engine;
pub mod features;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "postgres", feature = "cluster"))]
mod pushdown;

#[cfg(feature = "cluster")]
pub use ballista::BallistaSource;
pub use engine::{FeatureEngine, HoldoutPurchases, MonthRevenue};
pub use features::CustomerFeatures;
#[cfg(feature = "postgres")]
pub use postgres::PostgresSource;
pub use rebuy_vocabulary::rfm::{self, SegmentMap, SegmentRule, quintile_scores};
pub use rebuy_vocabulary::{AsOf, DEFAULT_HORIZON_DAYS, TimeUnit};

/// Whether an `--input` names a database rather than a file (known to every build, so
/// that one without the `postgres` feature can say so instead of looking for a file).
pub fn is_postgres_url(input: &str) -> bool {
    input.starts_with("postgres://") || input.starts_with("postgresql://")
}

/// Whether an `--engine` names a Ballista scheduler (known to every build, as above).
pub fn is_ballista_url(engine: &str) -> bool {
    engine.starts_with("ballista://")
}

/// Why features could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("query engine: {0}")]
    Engine(#[from] datafusion::error::DataFusionError),
    #[error("query engine: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("{0}")]
    Data(#[from] rebuy_data::Error),
    #[error("{0}")]
    Invalid(String),
    /// The database refused the connection, the login, a statement, or its result.
    #[error("{0}")]
    Database(String),
}

impl rebuy_vocabulary::Categorized for Error {
    /// What the database refused is the input's (URL, login, query); a data error is
    /// as the data crate says; the engine's own failures are rebuy's.
    fn category(&self) -> rebuy_vocabulary::Category {
        match self {
            Error::Database(_) => rebuy_vocabulary::Category::BadInput,
            Error::Data(data) => rebuy_vocabulary::Categorized::category(data),
            Error::Engine(_) | Error::Arrow(_) | Error::Invalid(_) => {
                rebuy_vocabulary::Category::Internal
            }
        }
    }
}

/// Result with the features crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
