//! Customer lifetime value: discounted expected purchases per month times expected spend per
//! order, as lifetimes' `customer_lifetime_value` computes it.

use super::beta_geo::BetaGeoModel;
use super::summary::CustomerSummary;
use crate::{Error, Result};

/// Settings of a CLV computation.
///
/// Defaults (lifetimes' `customer_lifetime_value`): 12 months, 1% monthly discount rate.
/// `periods_per_month` converts months into the summary's time unit and has no default
/// because it depends on it: lifetimes uses 30 for days and 4.345 for weeks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvParams {
    periods_per_month: f64,
    months: u32,
    monthly_discount_rate: f64,
}

/// [`ClvParams`] that passed [`ClvParams::validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvValidParams(ClvParams);

impl ClvParams {
    /// Defaults, for a summary whose time unit makes `periods_per_month` units a month.
    pub fn new(periods_per_month: f64) -> Self {
        Self {
            periods_per_month,
            months: 12,
            monthly_discount_rate: 0.01,
        }
    }

    /// Horizon in months (default 12).
    pub fn months(mut self, months: u32) -> Self {
        self.months = months;
        self
    }

    /// Discount rate per month (default 0.01).
    pub fn monthly_discount_rate(mut self, rate: f64) -> Self {
        self.monthly_discount_rate = rate;
        self
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<ClvValidParams> {
        if !(self.periods_per_month.is_finite() && self.periods_per_month > 0.0) {
            return Err(Error::InvalidParameter {
                name: "periods_per_month",
                reason: format!(
                    "must be finite and > 0 (30 for days, 4.345 for weeks), got {}",
                    self.periods_per_month
                ),
            });
        }
        if self.months == 0 {
            return Err(Error::InvalidParameter {
                name: "months",
                reason: "must be at least 1".into(),
            });
        }
        if !(self.monthly_discount_rate.is_finite() && self.monthly_discount_rate > -1.0) {
            return Err(Error::InvalidParameter {
                name: "monthly_discount_rate",
                reason: format!(
                    "must be finite and > -1, got {}",
                    self.monthly_discount_rate
                ),
            });
        }
        Ok(ClvValidParams(*self))
    }
}

impl ClvValidParams {
    /// CLV per customer: `Σ_{m=1..months} E[purchases in month m] * average_order_value /
    /// (1 + rate)^m`, with the purchases from `model` (months counted from the end of
    /// observation) and `average_order_value` typically from
    /// [`GammaGammaModel::expected_average_order_value`](super::GammaGammaModel::expected_average_order_value).
    pub fn customer_lifetime_value(
        &self,
        model: &BetaGeoModel,
        summary: &CustomerSummary<'_>,
        average_order_value: &[f64],
    ) -> Result<Vec<f64>> {
        if average_order_value.len() != summary.len() {
            return Err(Error::InvalidInput(format!(
                "average_order_value has {} rows, the summary {}",
                average_order_value.len(),
                summary.len()
            )));
        }
        if let Some(row) = average_order_value.iter().position(|v| !v.is_finite()) {
            let value = average_order_value[row];
            return Err(Error::NonFinite {
                feature: "average_order_value".into(),
                row,
                value,
            });
        }
        let settings = self.0;
        let mut value = vec![0.0; summary.len()];
        let mut previous = vec![0.0; summary.len()];
        for month in 1..=settings.months {
            let cumulative =
                model.expected_purchases(summary, f64::from(month) * settings.periods_per_month)?;
            let discount = (1.0 + settings.monthly_discount_rate).powi(month as i32);
            for i in 0..summary.len() {
                value[i] += average_order_value[i] * (cumulative[i] - previous[i]) / discount;
            }
            previous = cumulative;
        }
        Ok(value)
    }
}
