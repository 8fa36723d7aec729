//! What a fitted transaction model looks like, and how it did: the frequency/recency
//! matrices of expected purchases and P(alive), and the calibration vs hold-out table
//! (lifetimes' `plot_frequency_recency_matrix`, `plot_probability_alive_matrix` and
//! `plot_calibration_purchases_vs_holdout_purchases`, as numbers).

use serde::{Deserialize, Serialize};

use super::beta_geo::BetaGeoModel;
use super::summary::CustomerSummary;
use crate::{Error, Result};

/// The model's view of a grid of customers of age `t`: rows are frequencies, columns
/// recencies. A cell is `None` where no customer can be (a recency above 0 with no repeat
/// purchase).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrequencyRecencyMatrix {
    pub frequencies: Vec<f64>,
    pub recencies: Vec<f64>,
    pub t: f64,
    pub horizon: f64,
    /// Expected purchases in `(t, t + horizon]`, row-major (`frequencies` x `recencies`).
    pub expected_purchases: Vec<Option<f64>>,
    /// P(alive) at `t`, row-major.
    pub probability_alive: Vec<Option<f64>>,
}

/// Customers with the same calibration-period frequency: their mean number of purchases
/// in the hold-out period, and the mean the model expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationHoldoutRow {
    /// Repeat purchases in the calibration period; with `open_ended`, at least this many.
    pub frequency: usize,
    pub open_ended: bool,
    pub customers: usize,
    pub mean_actual: f64,
    pub mean_expected: f64,
}

impl BetaGeoModel {
    /// Expected purchases in the next `horizon` and P(alive) for every (frequency,
    /// recency) pair with `recency <= t`, at age `t`.
    pub fn frequency_recency_matrix(
        &self,
        frequencies: &[f64],
        recencies: &[f64],
        t: f64,
        horizon: f64,
    ) -> Result<FrequencyRecencyMatrix> {
        let possible = |x: f64, recency: f64| recency <= t && (x > 0.0 || recency == 0.0);
        let (mut x, mut t_x) = (Vec::new(), Vec::new());
        for &frequency in frequencies {
            for &recency in recencies.iter().filter(|&&r| possible(frequency, r)) {
                x.push(frequency);
                t_x.push(recency);
            }
        }
        let ages = vec![t; x.len()];
        let grid = CustomerSummary::new(&x, &t_x, &ages)?;
        let mut expected = self.expected_purchases(&grid, horizon)?.into_iter();
        let mut alive = self.probability_alive(&grid).into_iter();
        let (mut expected_purchases, mut probability_alive) = (Vec::new(), Vec::new());
        for &frequency in frequencies {
            for &recency in recencies {
                let cell = possible(frequency, recency);
                expected_purchases.push(if cell { expected.next() } else { None });
                probability_alive.push(if cell { alive.next() } else { None });
            }
        }
        Ok(FrequencyRecencyMatrix {
            frequencies: frequencies.to_vec(),
            recencies: recencies.to_vec(),
            t,
            horizon,
            expected_purchases,
            probability_alive,
        })
    }

    /// The calibration vs hold-out table: customers grouped by calibration frequency
    /// `0, 1, ..., groups - 2` and `groups - 1` or more, with the mean of
    /// `holdout_purchases` (what they did in the `holdout_length` after `T`) and of the
    /// model's expected purchases over that length. Groups without customers are left out.
    pub fn calibration_vs_holdout(
        &self,
        calibration: &CustomerSummary<'_>,
        holdout_purchases: &[f64],
        holdout_length: f64,
        groups: usize,
    ) -> Result<Vec<CalibrationHoldoutRow>> {
        let expected = self.expected_purchases(calibration, holdout_length)?;
        calibration_vs_holdout(calibration, holdout_purchases, &expected, groups)
    }
}

/// The calibration vs hold-out table of any transaction model, from its `expected`
/// purchases per customer over the hold-out (see [`BetaGeoModel::calibration_vs_holdout`]).
pub(crate) fn calibration_vs_holdout(
    calibration: &CustomerSummary<'_>,
    holdout_purchases: &[f64],
    expected: &[f64],
    groups: usize,
) -> Result<Vec<CalibrationHoldoutRow>> {
    if holdout_purchases.len() != calibration.len() {
        return Err(Error::InvalidInput(format!(
            "{} hold-out purchase counts for {} customers",
            holdout_purchases.len(),
            calibration.len()
        )));
    }
    if let Some(row) = holdout_purchases
        .iter()
        .position(|p| !(p.is_finite() && *p >= 0.0))
    {
        return Err(Error::InvalidInput(format!(
            "row {row}: hold-out purchases {} must be finite and >= 0",
            holdout_purchases[row]
        )));
    }
    if groups == 0 {
        return Err(Error::InvalidParameter {
            name: "groups",
            reason: "must be at least 1".into(),
        });
    }
    let mut sums = vec![(0usize, 0.0, 0.0); groups];
    for (i, &frequency) in calibration.frequency().iter().enumerate() {
        let group = (frequency as usize).min(groups - 1);
        sums[group].0 += 1;
        sums[group].1 += holdout_purchases[i];
        sums[group].2 += expected[i];
    }
    Ok(sums
        .into_iter()
        .enumerate()
        .filter(|(_, (customers, _, _))| *customers > 0)
        .map(
            |(frequency, (customers, actual, expected))| CalibrationHoldoutRow {
                frequency,
                open_ended: frequency == groups - 1,
                customers,
                mean_actual: actual / customers as f64,
                mean_expected: expected / customers as f64,
            },
        )
        .collect())
}

/// How close a model's expected purchases per customer in a hold-out period came to
/// what the customers then did (CLVTools' and lifetimes' hold-out checks, as numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutAccuracy {
    pub customers: usize,
    /// Mean of |expected - actual| over the customers.
    pub mean_absolute_error: f64,
    pub root_mean_squared_error: f64,
    /// Pearson's correlation of expected and actual; `None` when either side is the same
    /// for every customer (no correlation is defined).
    pub correlation: Option<f64>,
    pub expected_total: f64,
    pub actual_total: f64,
}

impl HoldoutAccuracy {
    /// Compares `expected[i]` with `actual[i]` for every customer `i`.
    pub fn of(expected: &[f64], actual: &[f64]) -> Result<Self> {
        if expected.len() != actual.len() || expected.is_empty() {
            return Err(Error::InvalidInput(format!(
                "{} expected and {} actual purchase counts: a hold-out check needs one of \
                 each per customer, for at least one customer",
                expected.len(),
                actual.len()
            )));
        }
        if let Some(row) = expected
            .iter()
            .chain(actual)
            .position(|v| !(v.is_finite() && *v >= 0.0))
        {
            return Err(Error::InvalidInput(format!(
                "row {}: purchase counts must be finite and >= 0",
                row % expected.len()
            )));
        }
        let n = expected.len() as f64;
        let (mut absolute, mut squared) = (0.0, 0.0);
        for (e, a) in expected.iter().zip(actual) {
            absolute += (e - a).abs();
            squared += (e - a) * (e - a);
        }
        let expected_total: f64 = expected.iter().sum();
        let actual_total: f64 = actual.iter().sum();
        let (mean_e, mean_a) = (expected_total / n, actual_total / n);
        let (mut covariance, mut var_e, mut var_a) = (0.0, 0.0, 0.0);
        for (e, a) in expected.iter().zip(actual) {
            covariance += (e - mean_e) * (a - mean_a);
            var_e += (e - mean_e) * (e - mean_e);
            var_a += (a - mean_a) * (a - mean_a);
        }
        let correlation =
            (var_e > 0.0 && var_a > 0.0).then(|| covariance / (var_e.sqrt() * var_a.sqrt()));
        Ok(Self {
            customers: expected.len(),
            mean_absolute_error: absolute / n,
            root_mean_squared_error: (squared / n).sqrt(),
            correlation,
            expected_total,
            actual_total,
        })
    }
}
