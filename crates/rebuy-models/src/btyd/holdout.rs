//! Which transaction model to trust: each model fitted on a calibration period and
//! checked on the hold-out period right after it, as CLVTools and lifetimes check them:
//! per customer (mean absolute error, correlation of expected and actual purchases), per
//! calibration frequency (the calibration vs hold-out table), and in aggregate (the
//! tracking curve of cumulative purchases). The model that serves P(alive) is the most
//! accurate of those that may serve.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::beta_geo::{BetaGeoParams, BetaGeoVariant};
use super::diagnostics::{CalibrationHoldoutRow, HoldoutAccuracy, calibration_vs_holdout};
use super::fitting::{FitRecord, FitReport};
use super::pareto_nbd::ParetoNbdParams;
use super::predict::CumulativePurchases;
use super::summary::CustomerSummary;
use crate::{Error, Result};

/// Calibration frequency groups of the calibration vs hold-out table: 0..5 and 6+.
pub const CALIBRATION_GROUPS: usize = 7;

/// What the hold-out fits are for, in their [`FitRecord`].
const HOLDOUT_USE: &str = "the hold-out comparison of the transaction models";

/// A calibration period's customers and what they did in the hold-out period after it.
#[derive(Debug, Clone, Copy)]
pub struct HoldoutData<'a> {
    /// Frequency, recency and T at the end of the calibration period.
    pub calibration: &'a CustomerSummary<'a>,
    /// Each customer's purchases in the hold-out period, counted as the summary's
    /// frequency counts them.
    pub actual: &'a [f64],
    /// All those customers' purchases on each day of the hold-out period, from its first.
    pub actual_per_day: &'a [u32],
    /// How many of the summary's time units a day is (1/7 for weeks).
    pub units_per_day: f64,
}

/// A transaction model the hold-out comparison fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparedModel {
    BetaGeo(BetaGeoVariant),
    ParetoNbd,
}

impl ComparedModel {
    /// "BG/NBD", "MBG/NBD", "Pareto/NBD".
    pub fn name(self) -> &'static str {
        match self {
            Self::BetaGeo(variant) => variant.name(),
            Self::ParetoNbd => "Pareto/NBD",
        }
    }
}

/// Whether a model may give the customers' P(alive). BG/NBD says every customer without
/// a repeat purchase is certainly alive, which no marketer should be told of a one-time
/// buyer gone a year, so it is compared but never serves. Pareto/NBD is compared but does
/// not serve yet: what the run serves besides P(alive) (the next purchase date, CLV, the
/// intervals) is built on the BG/NBD family's model.
pub fn may_serve(model: ComparedModel) -> bool {
    model == ComparedModel::BetaGeo(BetaGeoVariant::MbgNbd)
}

/// One model's fit on the calibration period and how it did in the hold-out period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutModel {
    /// "BG/NBD", "MBG/NBD", "Pareto/NBD".
    pub model: String,
    /// See [`may_serve`].
    pub may_serve: bool,
    pub fit: FitRecord,
    /// `None` when the model could not be fitted (`fit` says why).
    pub accuracy: Option<HoldoutAccuracy>,
    pub calibration_holdout: Vec<CalibrationHoldoutRow>,
    /// Expected cumulative purchases at each of the comparison's `tracking_days`.
    pub tracking_expected: Vec<f64>,
}

/// The hold-out comparison of the transaction models, and the choice it makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutComparison {
    /// The last day of the calibration period is the day before this date.
    pub calibration_end: String,
    pub holdout_days: u32,
    /// Customers with history before the hold-out period.
    pub customers: usize,
    /// Days from the start of the hold-out period: every week, and its last day.
    pub tracking_days: Vec<u32>,
    /// Actual cumulative purchases of the customers at each of `tracking_days`.
    pub tracking_actual: Vec<f64>,
    pub models: Vec<HoldoutModel>,
    /// The model that serves P(alive); `None` when no model that may serve was fitted.
    pub chosen: Option<String>,
    /// Why, in a sentence.
    pub chosen_because: String,
}

impl HoldoutComparison {
    /// Fits each of `compared` on `data`'s calibration period (in parallel) and checks it
    /// on its hold-out period of `holdout_days`, which ended at `calibration_end` + that.
    /// Returns the comparison and the variant chosen to serve, if any.
    pub fn run(
        data: HoldoutData<'_>,
        compared: &[ComparedModel],
        calibration_end: String,
        holdout_days: u32,
    ) -> Result<(Self, Option<BetaGeoVariant>)> {
        let customers = data.calibration.len();
        if data.actual.len() != customers {
            return Err(Error::InvalidInput(format!(
                "{} hold-out purchase counts for {customers} customers",
                data.actual.len()
            )));
        }
        if data.actual_per_day.len() != holdout_days as usize {
            return Err(Error::InvalidInput(format!(
                "{} days of hold-out purchases for a hold-out period of {holdout_days} days",
                data.actual_per_day.len()
            )));
        }
        let tracking_days = tracking_days(holdout_days);
        let tracking_actual = tracking_days
            .iter()
            .map(|&day| {
                data.actual_per_day[..day as usize]
                    .iter()
                    .map(|&n| f64::from(n))
                    .sum()
            })
            .collect();
        let models: Vec<HoldoutModel> = compared
            .par_iter()
            .map(|&model| check_model(model, data, holdout_days, &tracking_days))
            .collect::<Result<_>>()?;
        let (chosen, chosen_because) = choose(compared, &models);
        Ok((
            Self {
                calibration_end,
                holdout_days,
                customers,
                tracking_days,
                tracking_actual,
                chosen: chosen.map(|v| v.name().to_string()),
                chosen_because,
                models,
            },
            chosen,
        ))
    }
}

/// Every 7th day of a hold-out period of `holdout_days`, and its last day.
fn tracking_days(holdout_days: u32) -> Vec<u32> {
    let mut days: Vec<u32> = (1..=holdout_days / 7).map(|week| week * 7).collect();
    if days.last() != Some(&holdout_days) {
        days.push(holdout_days);
    }
    days
}

/// What the comparison needs of a fitted model: its report and its expected purchases over
/// lengths of time after the calibration period, summed over customers at each and per
/// customer at the last, from one posterior per customer.
type CalibrationFit<'a> = (
    FitReport,
    Box<dyn Fn(&[f64]) -> Result<CumulativePurchases> + Send + Sync + 'a>,
);

/// `model` fitted on the calibration period.
fn fit<'a>(
    model: ComparedModel,
    calibration: &'a CustomerSummary<'a>,
) -> Result<CalibrationFit<'a>> {
    match model {
        ComparedModel::BetaGeo(variant) => {
            let fitted = BetaGeoParams::new(variant).validate()?.fit(calibration)?;
            let report = fitted.report.clone();
            Ok((
                report,
                Box::new(move |lengths| fitted.expected_cumulative_purchases(calibration, lengths)),
            ))
        }
        ComparedModel::ParetoNbd => {
            let fitted = ParetoNbdParams::new().validate()?.fit(calibration)?;
            let report = fitted.report.clone();
            Ok((
                report,
                Box::new(move |lengths| fitted.expected_cumulative_purchases(calibration, lengths)),
            ))
        }
    }
}

/// `model` fitted on the calibration period and checked on the hold-out period; a fit
/// that fails is a row with its reason and no figures, not an error.
fn check_model(
    model: ComparedModel,
    data: HoldoutData<'_>,
    holdout_days: u32,
    tracking_days: &[u32],
) -> Result<HoldoutModel> {
    let fitted = fit(model, data.calibration);
    let record = FitRecord::new(
        model.name(),
        HOLDOUT_USE,
        fitted.as_ref().map(|(report, _)| report),
    );
    let mut row = HoldoutModel {
        model: model.name().to_string(),
        may_serve: may_serve(model),
        fit: record,
        accuracy: None,
        calibration_holdout: Vec::new(),
        tracking_expected: Vec::new(),
    };
    let Ok((_, expected_cumulative_purchases)) = fitted else {
        return Ok(row);
    };
    // The tracking curve: the purchases all customers are expected to make by each day. Its
    // last day is the hold-out period's, so the per-customer figures at it are the check's.
    debug_assert_eq!(tracking_days.last(), Some(&holdout_days));
    let lengths: Vec<f64> = tracking_days
        .iter()
        .map(|&day| f64::from(day) * data.units_per_day)
        .collect();
    let curve = expected_cumulative_purchases(&lengths)?;
    let expected = curve.per_customer_at_last;
    row.accuracy = Some(HoldoutAccuracy::of(&expected, data.actual)?);
    row.calibration_holdout =
        calibration_vs_holdout(data.calibration, data.actual, &expected, CALIBRATION_GROUPS)?;
    row.tracking_expected = curve.total;
    Ok(row)
}

/// The fitted model that may serve with the lowest mean absolute error (the first of
/// equals), and why.
fn choose(compared: &[ComparedModel], models: &[HoldoutModel]) -> (Option<BetaGeoVariant>, String) {
    let error = |row: &HoldoutModel| row.accuracy.as_ref().map(|a| a.mean_absolute_error);
    let candidates: Vec<(BetaGeoVariant, f64)> = compared
        .iter()
        .zip(models)
        .filter(|(_, row)| row.may_serve)
        .filter_map(|(&model, row)| match model {
            ComparedModel::BetaGeo(variant) => Some((variant, error(row)?)),
            ComparedModel::ParetoNbd => None,
        })
        .collect();
    let Some(&(chosen, best)) = candidates.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else {
        return (
            None,
            "no model that may give P(alive) could be fitted on the calibration period".to_string(),
        );
    };
    let others: Vec<String> = models
        .iter()
        .filter(|row| row.model != chosen.name())
        .map(|row| match error(row) {
            Some(e) => format!("{} {e:.4}", row.model),
            None => format!("{} not fitted", row.model),
        })
        .collect();
    let others = if others.is_empty() {
        String::new()
    } else {
        format!("; {}", others.join(", "))
    };
    let because = if candidates.len() == 1 {
        let pareto = if compared.contains(&ComparedModel::ParetoNbd) {
            "; Pareto/NBD is compared but does not serve yet"
        } else {
            ""
        };
        format!(
            "{} is the only model compared that may give P(alive) (BG/NBD calls every \
             customer without a repeat purchase alive for sure{pareto}); mean absolute error \
             in the hold-out: {best:.4} purchases per customer{others}",
            chosen.name()
        )
    } else {
        format!(
            "{} has the lowest mean absolute error in the hold-out among the models that \
             may give P(alive): {best:.4} purchases per customer{others}",
            chosen.name()
        )
    };
    (Some(chosen), because)
}
