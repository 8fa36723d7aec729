//! Customer models for rebuy, on plain columns (`&[f64]`), free of the data engine
//! so that they compile fast and can be tested alone.
//!
//! Conventions shared by every model here:
//! - hyper-parameters are a builder (`FooParams`) checked by `validate()` into a
//!   `FooValidParams` before any fitting: bad settings are an [`Error`], never a panic;
//! - every random choice takes a seed (`rand_chacha::ChaCha8Rng::seed_from_u64`), and the
//!   same input and seed give the same output bit for bit, also when run in parallel;
//! - fitted models serialise to JSON with a `format_version`.

pub mod backtest;
pub mod boosting;
pub mod btyd;
mod builder;
pub mod calibration;
pub mod classifier;
pub mod error;
pub mod explain;
pub mod forest;
pub mod kmeans;
pub mod logistic;
pub mod matrix;
pub mod metrics;
pub mod monotone;
pub mod scale;
pub mod scoring;
pub mod segment;
pub mod tree;

pub use error::{Error, Result};
