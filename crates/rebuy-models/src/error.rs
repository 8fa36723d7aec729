//! The one error type of the models crate.

/// What can go wrong when a model is configured, fitted, applied, saved or loaded.
///
/// Every variant carries a message a user can act on; no model panics on bad input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hyper-parameter is out of its range (checked before any fitting).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    /// The input data cannot be used as it is (wrong shape, too few rows, one class...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A NaN or infinite value where a finite number is required.
    #[error("feature `{feature}` is not finite ({value}) in row {row}")]
    NonFinite {
        feature: String,
        row: usize,
        value: f64,
    },
    /// An optimiser or iterative fit did not reach its tolerance.
    #[error("{model} did not converge: {detail}")]
    NotConverged { model: &'static str, detail: String },
    /// A fit's parameter ran to the edge of its accepted range: the likelihood's maximum
    /// is at infinity, the data do not identify the model.
    #[error("{model} cannot be fitted: {detail}")]
    HitBound { model: &'static str, detail: String },
    /// A saved model could not be read back.
    #[error("cannot load model: {0}")]
    Format(String),
}

/// Result with the models crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
