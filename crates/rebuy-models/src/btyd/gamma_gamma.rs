//! Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo
//! & Jiang 1999), fitted on repeat buyers: each purchase of a customer is
//! `Gamma(p, ν)`, and `ν ~ Gamma(q, v)` across customers.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::fitting::{
    FitOptions, FitReport, FitSettings, Fitted, Start, WithFitOptions, best_of, check_saved_model,
    fit_positive_parameters, significant,
};
use super::special::{digamma, ln_gamma};
use crate::{Error, Result};

/// Version of the JSON form of [`GammaGammaModel`].
pub const GAMMA_GAMMA_FORMAT_VERSION: u32 = 1;

const CHUNK: usize = 8192;

/// Hyper-parameters of a Gamma-Gamma fit. Defaults: `penalty` 0 (lifetimes'
/// `penalizer_coef`: `penalty * (p² + q² + v²)` added to the mean negative log-likelihood),
/// `max_iterations` 200, `tolerance` 1e-8 (gradient of that mean, log-parameters).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GammaGammaParams {
    options: FitOptions,
}

/// [`GammaGammaParams`] that passed [`GammaGammaParams::validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaValidParams(GammaGammaParams);

impl GammaGammaParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<GammaGammaValidParams> {
        self.options.validate()?;
        Ok(GammaGammaValidParams(*self))
    }
}

/// Checks `frequency` (whole, `>= 0`) and `monetary_value` (finite; `> 0` for repeat buyers,
/// whose value is the mean spend of their repeat purchases).
fn check_spend_columns(frequency: &[f64], monetary_value: &[f64]) -> Result<()> {
    if frequency.len() != monetary_value.len() {
        return Err(Error::InvalidInput(format!(
            "frequency and monetary_value must have the same length (got {} and {})",
            frequency.len(),
            monetary_value.len()
        )));
    }
    for (row, (&x, &m)) in frequency.iter().zip(monetary_value).enumerate() {
        for (name, value) in [("frequency", x), ("monetary_value", m)] {
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    feature: name.to_string(),
                    row,
                    value,
                });
            }
        }
        if x < 0.0 || x.fract() != 0.0 {
            return Err(Error::InvalidInput(format!(
                "row {row}: frequency {x} is not a whole number >= 0"
            )));
        }
        if x > 0.0 && m <= 0.0 {
            return Err(Error::InvalidInput(format!(
                "row {row}: monetary_value {m} of a repeat buyer must be > 0 (remove returns-only customers)"
            )));
        }
    }
    Ok(())
}

/// Repeat buyers, with the per-row constants of the likelihood precomputed.
#[derive(Debug, Default)]
struct SpendData {
    x: Vec<f64>,
    /// `x * m`.
    total: Vec<f64>,
    /// `Σ ln m` and `Σ x (ln m + ln x)`: the parts of the likelihood that move with the
    /// parameters only through a factor.
    sum_ln_m: f64,
    sum_x_ln_mx: f64,
    /// Distinct frequencies and how many buyers have each.
    distinct_x: Vec<(f64, f64)>,
}

impl SpendData {
    fn new(frequency: &[f64], monetary_value: &[f64]) -> Self {
        let mut data = Self::default();
        let mut counts = std::collections::BTreeMap::new();
        for (&x, &m) in frequency
            .iter()
            .zip(monetary_value)
            .filter(|(x, _)| **x > 0.0)
        {
            data.x.push(x);
            data.total.push(x * m);
            data.sum_ln_m += m.ln();
            data.sum_x_ln_mx += x * (m.ln() + x.ln());
            *counts.entry(x as u64).or_insert(0.0) += 1.0;
        }
        data.distinct_x = counts.into_iter().map(|(x, n)| (x as f64, n)).collect();
        data
    }

    /// Negative log-likelihood of `(p, q, v)` and its gradient.
    fn negative_log_likelihood(&self, theta: [f64; 3], gradient: &mut [f64]) -> f64 {
        let [p, q, v] = theta;
        let n = self.x.len() as f64;
        let mut sums = [
            -n * ln_gamma(q) + n * q * v.ln() + p * self.sum_x_ln_mx - self.sum_ln_m,
            self.sum_x_ln_mx,
            n * (v.ln() - digamma(q)),
            n * q / v,
        ];
        for &(x, count) in &self.distinct_x {
            let (psi_pxq, psi_px) = (digamma(p * x + q), digamma(p * x));
            sums[0] += count * (ln_gamma(p * x + q) - ln_gamma(p * x));
            sums[1] += count * x * (psi_pxq - psi_px);
            sums[2] += count * psi_pxq;
        }
        let rows = (0..self.x.len().div_ceil(CHUNK))
            .into_par_iter()
            .map(|chunk| self.row_terms(theta, chunk))
            .collect::<Vec<_>>()
            .into_iter()
            .fold([0.0; 4], |acc, part| {
                std::array::from_fn(|i| acc[i] + part[i])
            });
        for i in 0..3 {
            gradient[i] = -(sums[i + 1] + rows[i + 1]);
        }
        -(sums[0] + rows[0])
    }

    /// The `-(px + q) ln(x m + v)` terms of one chunk: `[ll, d/dp, d/dq, d/dv]`.
    fn row_terms(&self, [p, q, v]: [f64; 3], chunk: usize) -> [f64; 4] {
        let end = ((chunk + 1) * CHUNK).min(self.x.len());
        let mut sums = [0.0; 4];
        for i in chunk * CHUNK..end {
            let (x, total) = (self.x[i], self.total[i]);
            let ln_total = (total + v).ln();
            sums[0] -= (p * x + q) * ln_total;
            sums[1] -= x * ln_total;
            sums[2] -= ln_total;
            sums[3] -= (p * x + q) / (total + v);
        }
        sums
    }
}

impl GammaGammaValidParams {
    /// Maximum-likelihood fit of `p, q, v` (from all three at 1, as lifetimes) on the repeat buyers (rows with `frequency > 0`;
    /// the others are ignored, as their `monetary_value` is undefined).
    pub fn fit(&self, frequency: &[f64], monetary_value: &[f64]) -> Result<GammaGammaModel> {
        check_spend_columns(frequency, monetary_value)?;
        let data = SpendData::new(frequency, monetary_value);
        if data.x.len() < 2 {
            return Err(Error::InvalidInput(format!(
                "the Gamma-Gamma spend model needs at least 2 repeat buyers (frequency > 0), got {}",
                data.x.len()
            )));
        }
        let settings = FitSettings {
            model: "Gamma-Gamma",
            names: &["p", "q", "v"],
            options: self.0.options,
            customers: data.x.len(),
            distinct_rows: data.x.len(),
        };
        let nll = |t: &[f64], g: &mut [f64]| data.negative_log_likelihood([t[0], t[1], t[2]], g);
        // The second start has a finite mean order value (q = 3) equal to the data's.
        let mean_value = data.total.iter().sum::<f64>() / data.x.iter().sum::<f64>();
        let starts = [
            Start::at(&[1.0; 3]),
            Start::at(&[1.0, 3.0, 2.0 * mean_value]),
        ];
        let (
            Fitted {
                theta, mut report, ..
            },
            peaks,
        ) = best_of(&starts, |start| {
            fit_positive_parameters(settings, data.x.len() as f64, start, nll)
        })?;
        report.starting_points = starts.len();
        report.warnings.extend(peaks);
        if theta[1] <= 1.0 {
            report.degenerate(format!(
                "q = {} <= 1, so the fitted spend per order has no finite mean \
                 and no expected order value or CLV can be given; a penalty may help",
                significant(theta[1])
            ));
        }
        Ok(GammaGammaModel {
            format_version: GAMMA_GAMMA_FORMAT_VERSION,
            p: theta[0],
            q: theta[1],
            v: theta[2],
            frequency_spend_correlation: frequency_spend_correlation(frequency, monetary_value),
            report,
        })
    }
}

/// Pearson correlation of frequency and monetary value among repeat buyers: the model
/// assumes spend per order is independent of the number of orders, so a value far from 0
/// (say beyond ±0.3) means its expected spends are biased. `None` when either is constant.
pub fn frequency_spend_correlation(frequency: &[f64], monetary_value: &[f64]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = frequency
        .iter()
        .zip(monetary_value)
        .filter(|(x, _)| **x > 0.0)
        .map(|(x, m)| (*x, *m))
        .collect();
    let n = pairs.len() as f64;
    let (mean_x, mean_m) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, m) in &pairs {
        sxy += (x - mean_x) * (m - mean_m);
        sxx += (x - mean_x).powi(2);
        syy += (m - mean_m).powi(2);
    }
    let correlation = sxy / (sxx * syy).sqrt();
    correlation.is_finite().then_some(correlation)
}

/// A fitted Gamma-Gamma spend model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaModel {
    pub format_version: u32,
    pub p: f64,
    pub q: f64,
    pub v: f64,
    /// See [`frequency_spend_correlation`]; computed on the fitting data.
    pub frequency_spend_correlation: Option<f64>,
    pub report: FitReport,
}

impl GammaGammaModel {
    /// Expected spend per order of each customer given its history: a credibility-weighted
    /// mean of the population mean `p v / (q - 1)` and the customer's own `monetary_value`,
    /// `p (v + x m) / (p x + q - 1)`. Customers without repeat purchases get the population
    /// mean. Error when `q <= 1` (the fitted spend distribution has no finite mean).
    pub fn expected_average_order_value(
        &self,
        frequency: &[f64],
        monetary_value: &[f64],
    ) -> Result<Vec<f64>> {
        check_spend_columns(frequency, monetary_value)?;
        if self.q <= 1.0 {
            return Err(Error::InvalidInput(format!(
                "q = {:.4} <= 1: the fitted spend distribution has no finite mean; refit with a penalty",
                self.q
            )));
        }
        Ok(frequency
            .iter()
            .zip(monetary_value)
            .map(|(&x, &m)| {
                let m = if x > 0.0 { m } else { 0.0 };
                self.p * (self.v + x * m) / (self.p * x + self.q - 1.0)
            })
            .collect())
    }

    /// The model as JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Format(e.to_string()))
    }

    /// Reads a model written by [`GammaGammaModel::to_json`].
    pub fn from_json(json: &str) -> Result<Self> {
        let model: Self = serde_json::from_str(json).map_err(|e| Error::Format(e.to_string()))?;
        check_saved_model(
            model.format_version,
            GAMMA_GAMMA_FORMAT_VERSION,
            &[("p", model.p), ("q", model.q), ("v", model.v)],
        )?;
        Ok(model)
    }
}

impl WithFitOptions for GammaGammaParams {
    fn fit_options_mut(&mut self) -> &mut FitOptions {
        &mut self.options
    }
}
