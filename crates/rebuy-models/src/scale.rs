//! Feature scaling fitted once and saved, so prediction applies the training transform.
//!
//! Money and counts are heavily right-skewed (a few wholesalers spend 1000x the median);
//! without a log the distance-based models see only those few customers. Each column is
//! optionally put through a signed `log1p` and then standardised to mean 0, standard
//! deviation 1, as scikit-learn's `StandardScaler` does (population standard deviation).
//!
//! ```
//! use rebuy_models::matrix::Matrix;
//! use rebuy_models::scale::Scaler;
//!
//! let rfm = Matrix::from_columns(&[&[3.0, 40.0, 300.0], &[120.0, 800.0, 5000.0]])?;
//! let scaler = Scaler::fit(&rfm, &[true, true])?;
//! let scaled = scaler.transform(&rfm)?;
//! assert!((scaled.column(0).iter().sum::<f64>()).abs() < 1e-12);
//! # Ok::<(), rebuy_models::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;
use crate::{Error, Result};

/// Version of the saved [`Scaler`] JSON layout.
pub const SCALER_FORMAT_VERSION: u32 = 1;

/// `sign(x) * ln(1 + |x|)`: `log1p` for `x >= 0`, and still defined for negative net
/// spend (customers whose returns exceed their purchases).
pub fn signed_log1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

/// Inverse of [`signed_log1p`].
pub fn signed_expm1(y: f64) -> f64 {
    y.signum() * y.abs().exp_m1()
}

/// How one column is scaled: `(maybe_log(x) - mean) / std_dev`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnScaling {
    /// Whether [`signed_log1p`] is applied before standardising.
    pub log1p: bool,
    /// Mean of the (logged) column on the fitting data.
    pub mean: f64,
    /// Population standard deviation of the (logged) column; 1 for a constant column,
    /// so that it maps to 0 instead of dividing by zero (as scikit-learn does).
    pub std_dev: f64,
}

impl ColumnScaling {
    fn apply(&self, value: f64) -> f64 {
        let value = if self.log1p {
            signed_log1p(value)
        } else {
            value
        };
        (value - self.mean) / self.std_dev
    }

    fn invert(&self, scaled: f64) -> f64 {
        let value = scaled * self.std_dev + self.mean;
        if self.log1p {
            signed_expm1(value)
        } else {
            value
        }
    }
}

/// A fitted per-column log1p + standard scaler. Serialise it next to the model that was
/// trained on its output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Layout version of the saved JSON, [`SCALER_FORMAT_VERSION`].
    pub format_version: u32,
    /// One entry per column, in column order.
    pub columns: Vec<ColumnScaling>,
}

impl Scaler {
    /// Fits on `data`; `log1p_columns[j]` says whether column `j` is logged first.
    /// Errors on an empty matrix, a length mismatch or a non-finite value (also one that
    /// only becomes infinite after the log, which cannot happen for finite input).
    pub fn fit(data: &Matrix, log1p_columns: &[bool]) -> Result<Self> {
        if log1p_columns.len() != data.n_cols() {
            return Err(Error::InvalidInput(format!(
                "{} log1p flags for {} columns",
                log1p_columns.len(),
                data.n_cols()
            )));
        }
        if data.n_rows() == 0 {
            return Err(Error::InvalidInput("cannot fit a scaler on no rows".into()));
        }
        data.check_finite()?;
        let columns = log1p_columns
            .iter()
            .enumerate()
            .map(|(j, &log1p)| fit_column(data, j, log1p))
            .collect();
        Ok(Self {
            format_version: SCALER_FORMAT_VERSION,
            columns,
        })
    }

    /// The scaled copy of `data`, which must have the fitted number of columns.
    pub fn transform(&self, data: &Matrix) -> Result<Matrix> {
        self.check_width(data.n_cols())?;
        data.check_finite()?;
        // Allocated once at its size (collecting a flat_map grows by doubling).
        let mut values = Vec::with_capacity(data.values().len());
        for row in data.rows() {
            values.extend(row.iter().zip(&self.columns).map(|(&v, c)| c.apply(v)));
        }
        let scaled = Matrix::new(data.n_rows(), data.n_cols(), values)?;
        match data.column_names() {
            [] => Ok(scaled),
            names => scaled.with_column_names(names.to_vec()),
        }
    }

    /// One scaled row (for predicting a single customer).
    pub fn transform_row(&self, row: &[f64]) -> Result<Vec<f64>> {
        self.check_width(row.len())?;
        Matrix::new(1, row.len(), row.to_vec())?.check_finite()?;
        Ok(row
            .iter()
            .zip(&self.columns)
            .map(|(&v, c)| c.apply(v))
            .collect())
    }

    /// Back to original units, e.g. to show a centroid as days, orders and money.
    pub fn inverse_transform_row(&self, scaled: &[f64]) -> Result<Vec<f64>> {
        self.check_width(scaled.len())?;
        Ok(scaled
            .iter()
            .zip(&self.columns)
            .map(|(&v, c)| c.invert(v))
            .collect())
    }

    fn check_width(&self, n_cols: usize) -> Result<()> {
        if n_cols == self.columns.len() {
            Ok(())
        } else {
            Err(Error::InvalidInput(format!(
                "the scaler was fitted on {} columns, got {n_cols}",
                self.columns.len()
            )))
        }
    }
}

fn fit_column(data: &Matrix, column: usize, log1p: bool) -> ColumnScaling {
    let values: Vec<f64> = data
        .rows()
        .map(|row| {
            if log1p {
                signed_log1p(row[column])
            } else {
                row[column]
            }
        })
        .collect();
    let n = values.len() as f64;
    // Two passes: the one-pass formula loses all digits when the mean dwarfs the spread.
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let std_dev = variance.sqrt();
    // scikit-learn's `_handle_zeros_in_scale` threshold: treat as constant.
    let std_dev = if std_dev < 10.0 * f64::EPSILON * mean.abs().max(1.0) {
        1.0
    } else {
        std_dev
    };
    ColumnScaling {
        log1p,
        mean,
        std_dev,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfm() -> Matrix {
        Matrix::from_columns(&[
            &[1.0, 10.0, 30.0, 200.0, 365.0],
            &[12.0, 1.0, 3.0, 1.0, 2.0],
            &[5200.5, 80.0, 310.25, -12.5, 99.0],
        ])
        .unwrap()
    }

    /// Pinned from scikit-learn 1.9.1 `StandardScaler` on `np.sign(x) * np.log1p(abs(x))`
    /// (docs/reference/kmeans/scaler_reference.py).
    #[test]
    fn matches_scikit_learn_standard_scaler_on_log1p() {
        let scaler = Scaler::fit(&rfm(), &[true, true, false]).unwrap();
        let expected_first_row = [-1.4990599657060917, 1.8504748250725995, 1.9973045371461944];
        let scaled = scaler.transform(&rfm()).unwrap();
        for (got, want) in scaled.row(0).iter().zip(expected_first_row) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn round_trips_through_inverse() {
        let scaler = Scaler::fit(&rfm(), &[true, true, true]).unwrap();
        let data = rfm();
        for row in data.rows() {
            let back = scaler
                .inverse_transform_row(&scaler.transform_row(row).unwrap())
                .unwrap();
            for (a, b) in row.iter().zip(back) {
                assert!((a - b).abs() < 1e-9 * a.abs().max(1.0));
            }
        }
    }

    #[test]
    fn constant_column_maps_to_zero() {
        let data = Matrix::from_columns(&[&[4.0, 4.0, 4.0]]).unwrap();
        let scaler = Scaler::fit(&data, &[false]).unwrap();
        assert_eq!(scaler.columns[0].std_dev, 1.0);
        assert_eq!(scaler.transform(&data).unwrap().values(), &[0.0, 0.0, 0.0]);
    }

    #[test]
    fn rejects_bad_input_with_messages() {
        let nan = Matrix::from_columns(&[&[1.0, f64::INFINITY]]).unwrap();
        let err = Scaler::fit(&nan, &[true]).unwrap_err().to_string();
        assert!(err.contains("not finite"), "{err}");
        let err = Scaler::fit(&rfm(), &[true]).unwrap_err().to_string();
        assert!(err.contains("3 columns"), "{err}");
        let scaler = Scaler::fit(&rfm(), &[true, true, true]).unwrap();
        assert!(scaler.transform_row(&[1.0, 2.0]).is_err());
        assert!(scaler.transform_row(&[1.0, f64::NAN, 2.0]).is_err());
    }

    #[test]
    fn saved_scaler_applies_the_same_transform() {
        let scaler = Scaler::fit(&rfm(), &[true, true, true]).unwrap();
        let json = serde_json::to_string(&scaler).unwrap();
        assert!(json.contains("\"format_version\":1"));
        let loaded: Scaler = serde_json::from_str(&json).unwrap();
        assert_eq!(
            loaded.transform_row(&[7.0, 2.0, 50.0]).unwrap(),
            scaler.transform_row(&[7.0, 2.0, 50.0]).unwrap()
        );
    }
}
