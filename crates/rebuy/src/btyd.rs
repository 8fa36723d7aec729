//! Buy-till-you-die scores in `rebuy run`: BG/NBD as a purchase score next to the
//! classifiers (with its calibration vs hold-out table), the hold-out comparison of the
//! transaction models that chooses the one that serves, and per-customer P(alive),
//! expected purchases, expected order value, CLV and expected next purchase date (the
//! chosen transaction model + Gamma-Gamma, in the run's BTYD time unit; horizons are
//! given in days).

use crate::customers_csv::CustomerColumn;
use crate::plots;
use crate::run_folder::RunFolder;
use anyhow::Result;
use rebuy_features::{AsOf, CustomerFeatures, TimeUnit};
use rebuy_models::btyd::{
    BetaGeoModel, BetaGeoParams, BetaGeoVariant, CalibrationHoldoutRow, ComparedModel,
    CustomerSummary, FitRecord, FitReport, GammaGammaParams, HoldoutComparison, HoldoutData,
};
use rebuy_models::scoring::{LIFETIME_FILE_VERSION, LifetimeModel, spend_frequency};
use std::borrow::Cow;

/// The name of the BG/NBD row in `metrics.json`.
pub const BG_NBD: &str = "bg_nbd";
/// Days per month for the CLV (months of 30 days), its horizon and discount rate.
const DAYS_PER_MONTH: f64 = 30.0;
const CLV_MONTHS: u32 = 12;
const MONTHLY_DISCOUNT_RATE: f64 = 0.01;
/// A next purchase date is given only to customers this likely to buy within a year.
const NEXT_DATE_HORIZON_DAYS: f64 = 365.0;
use rebuy_models::btyd::CALIBRATION_GROUPS;

/// The transaction model that serves when no hold-out comparison could be made (the
/// purchase stage skipped, or no model that may serve fitted on the calibration period).
pub const DEFAULT_TRANSACTION_MODEL: BetaGeoVariant = BetaGeoVariant::MbgNbd;

/// The transaction models the hold-out comparison fits (docs/btyd.md, "Choosing the
/// transaction model"). Pareto/NBD is compared and shown but does not serve yet
/// ([`rebuy_models::btyd::may_serve`]); its fit on the real sheet's calibration period
/// runs along the ridge s -> 0 and ends degenerate in well under a second.
const COMPARED: [ComparedModel; 3] = [
    ComparedModel::BetaGeo(BetaGeoVariant::BgNbd),
    ComparedModel::BetaGeo(BetaGeoVariant::MbgNbd),
    ComparedModel::ParetoNbd,
];

/// The three summary columns (frequency, recency, T in the run's unit) of some customers.
pub type SummaryColumns = [Vec<f64>; 3];

/// What the BG/NBD row of the purchase comparison needs.
pub struct BgNbdEvaluation {
    /// P(at least one purchase in the horizon) of the customers of each target.
    pub probabilities: Vec<Vec<f64>>,
    /// The hold-out customers grouped by calibration frequency: actual vs expected.
    pub calibration_holdout: Vec<CalibrationHoldoutRow>,
}

/// A fit's record (see [`FitRecord`]), its warnings (or failure) printed as the run goes.
fn record(
    model: &str,
    used_for: &str,
    outcome: std::result::Result<&FitReport, &rebuy_models::Error>,
) -> FitRecord {
    let record = FitRecord::new(model, used_for, outcome);
    for warning in &record.warnings {
        println!("\nwarning: {model} fit ({}): {warning}", record.status);
    }
    record
}

/// The customers at `calibration_end` (their summary and their purchases in the
/// `holdout_days` after it, per customer and per day): each model of [`COMPARED`] fitted
/// on them and checked on those days, and the model chosen to serve.
pub fn compare_on_holdout(
    calibration: &SummaryColumns,
    actual: (&[f64], &[u32]),
    calibration_end: AsOf,
    holdout_days: u32,
    unit: TimeUnit,
) -> rebuy_models::Result<(HoldoutComparison, Option<BetaGeoVariant>)> {
    let summary = summary(calibration)?;
    let data = HoldoutData {
        calibration: &summary,
        actual: actual.0,
        actual_per_day: actual.1,
        units_per_day: unit.days_to_units(1.0),
    };
    HoldoutComparison::run(data, &COMPARED, calibration_end.to_string(), holdout_days)
}

/// The transaction + Gamma-Gamma models behind the customers' P(alive), expected purchases
/// and CLV, fitted on every customer at the run's as-of date, and how each fit went.
pub struct Lifetime {
    /// `None` when the transaction model cannot be fitted (the fits say why).
    model: Option<LifetimeModel>,
    pub fits: Vec<FitRecord>,
}

/// What the serving transaction model's and Gamma-Gamma's fits are for, in `btyd_fits`.
const LIFETIME_USE: &str = "P(alive), expected purchases and next purchase date per customer";
const SPEND_USE: &str = "expected order value and CLV per customer";
/// What the BG/NBD fit is for.
const BG_NBD_USE: &str = "a purchase score in the model comparison (never served)";

fn summary(columns: &SummaryColumns) -> rebuy_models::Result<CustomerSummary<'_>> {
    CustomerSummary::new(&columns[0], &columns[1], &columns[2])
}

/// BG/NBD fitted on the `train` summary: how the fit went, and the purchase
/// probabilities of `targets` and the calibration vs hold-out table of the `holdout`
/// customers (their summary and their purchase days in the `horizon_days` after it).
pub fn bg_nbd_evaluation(
    train: &SummaryColumns,
    targets: &[&SummaryColumns],
    holdout: (&SummaryColumns, &[f64]),
    horizon_days: u32,
    unit: TimeUnit,
) -> (FitRecord, rebuy_models::Result<BgNbdEvaluation>) {
    let horizon = unit.days_to_units(f64::from(horizon_days));
    let fitted = summary(train).and_then(|s| BetaGeoParams::bg_nbd().validate()?.fit(&s));
    let fit = record("BG/NBD", BG_NBD_USE, fitted.as_ref().map(|m| &m.report));
    let evaluation = fitted.and_then(|model| {
        let probabilities = targets
            .iter()
            .map(|t| model.purchase_probability(&summary(t)?, horizon))
            .collect::<rebuy_models::Result<_>>()?;
        let calibration_holdout = model.calibration_vs_holdout(
            &summary(holdout.0)?,
            holdout.1,
            horizon,
            CALIBRATION_GROUPS,
        )?;
        Ok(BgNbdEvaluation {
            probabilities,
            calibration_holdout,
        })
    });
    (fit, evaluation)
}

impl Lifetime {
    /// Fits `transaction_model` and Gamma-Gamma on every customer of `features` (their
    /// BTYD summary in the run's unit); a model that cannot be fitted prints its message
    /// and is left out.
    pub fn fit(
        features: &CustomerFeatures,
        horizon_days: u32,
        transaction_model: BetaGeoVariant,
    ) -> Self {
        let summary = match CustomerSummary::new(
            &features.btyd_frequency,
            &features.btyd_recency,
            &features.btyd_t,
        ) {
            Ok(summary) => summary,
            Err(error) => {
                println!("\nno buy-till-you-die columns: {error}");
                return Self {
                    model: None,
                    fits: Vec::new(),
                };
            }
        };
        let name = transaction_model.name();
        let transactions = BetaGeoParams::new(transaction_model)
            .validate()
            .and_then(|p| p.fit(&summary));
        let mut fits = vec![record(
            name,
            LIFETIME_USE,
            transactions.as_ref().map(|m| &m.report),
        )];
        let transactions = match transactions {
            Ok(model) => model,
            Err(error) => {
                println!("\nno P(alive) or expected purchases: {name}: {error}");
                return Self { model: None, fits };
            }
        };
        // Customers whose net spend is not positive have no order value to model.
        let spenders = spend_frequency(&features.btyd_frequency, &features.monetary);
        let spend = GammaGammaParams::new()
            .validate()
            .and_then(|p| p.fit(&spenders, &features.btyd_monetary_value));
        fits.push(record(
            "Gamma-Gamma",
            SPEND_USE,
            spend.as_ref().map(|m| &m.report),
        ));
        let model = LifetimeModel {
            format_version: LIFETIME_FILE_VERSION,
            horizon_days,
            time_unit: features.btyd_time_unit,
            transactions,
            spend: spend
                .map_err(|error| println!("\nno expected order value or CLV: Gamma-Gamma: {error}"))
                .ok(),
            clv_months: CLV_MONTHS,
            monthly_discount_rate: MONTHLY_DISCOUNT_RATE,
            days_per_month: DAYS_PER_MONTH,
        };
        Self {
            model: Some(model),
            fits,
        }
    }

    /// The customers.csv columns, `models/btyd.json` (the models with their settings, for
    /// `rebuy predict` and the server), and the transaction model's expected purchases and P(alive)
    /// matrices in the run folder; none when the models could not be fitted.
    pub fn customer_columns(
        &self,
        features: &CustomerFeatures,
        as_of: AsOf,
        folder: &RunFolder,
    ) -> Result<Vec<(String, CustomerColumn<'static>)>> {
        let Some(model) = &self.model else {
            return Ok(Vec::new());
        };
        let summary = CustomerSummary::new(
            &features.btyd_frequency,
            &features.btyd_recency,
            &features.btyd_t,
        )?;
        let (horizon_days, unit) = (model.horizon_days, model.time_unit);
        plots::write_btyd_matrices(folder, &model.transactions, &summary, horizon_days, unit)?;
        let scores = match model.scores(&summary, &features.btyd_monetary_value, &features.monetary)
        {
            Ok(scores) => scores,
            Err(error) => {
                println!("\nno P(alive) or expected purchases: {error}");
                return Ok(Vec::new());
            }
        };
        std::fs::create_dir_all(folder.path("models"))?;
        folder.write_json("models/btyd.json", model)?;
        let mut columns = vec![
            ("p_alive".to_string(), numbers(scores.p_alive)),
            (
                format!("expected_purchases_{horizon_days}d"),
                numbers(scores.expected_purchases),
            ),
            (
                "expected_next_purchase_date".to_string(),
                CustomerColumn::Dates(next_purchase_dates(
                    &model.transactions,
                    &summary,
                    as_of,
                    unit,
                )?),
            ),
        ];
        match scores.spend {
            Some(Ok((order_value, clv))) => columns.extend([
                ("expected_order_value".to_string(), numbers(order_value)),
                ("value_tier".to_string(), value_tiers(&clv)),
                ("clv_12m".to_string(), numbers(clv)),
            ]),
            Some(Err(error)) => println!("\nno expected order value or CLV: Gamma-Gamma: {error}"),
            None => {}
        }
        Ok(columns)
    }
}

/// The expected date of the next purchase of customers likely to buy within a year
/// (none for the others).
fn next_purchase_dates(
    model: &BetaGeoModel,
    summary: &CustomerSummary<'_>,
    as_of: AsOf,
    unit: TimeUnit,
) -> Result<Vec<Option<AsOf>>> {
    let buys_within_year =
        model.purchase_probability(summary, unit.days_to_units(NEXT_DATE_HORIZON_DAYS))?;
    Ok((0..summary.len())
        .map(|i| {
            if buys_within_year[i] < 0.5 {
                return None;
            }
            let wait = median_wait(model, summary.frequency()[i], summary.t()[i]) * unit.days();
            Some(as_of.plus_days(wait.floor().min(f64::from(i32::MAX / 2)) as i32))
        })
        .collect())
}

/// The median waiting time to the next purchase of a customer who is alive: their
/// purchase rate is Gamma(r + x, alpha + T) a posteriori, so the wait is Lomax with
/// P(W > w) = ((alpha + T) / (alpha + T + w))^(r + x). In the summary's unit.
fn median_wait(model: &BetaGeoModel, frequency: f64, t: f64) -> f64 {
    (model.alpha + t) * (2f64.powf(1.0 / (model.r + frequency)) - 1.0)
}

/// The value tiers of `value_tier`, from the highest CLV down, with the share of the
/// customers each ends at.
const VALUE_TIERS: [(&str, f64); 4] = [
    ("top 1%", 0.01),
    ("1-5%", 0.05),
    ("5-20%", 0.20),
    ("rest", 1.0),
];

/// Each customer's tier by CLV rank: the first ceil(1 %) of customers by CLV, highest
/// first, are `top 1%`, up to ceil(5 %) `1-5%`, up to ceil(20 %) `5-20%`, the others
/// `rest`; equal CLVs keep the file's order, so one CLV may span two tiers.
fn value_tiers(clv: &[f64]) -> CustomerColumn<'static> {
    let mut order: Vec<usize> = (0..clv.len()).collect();
    order.sort_by(|&a, &b| clv[b].total_cmp(&clv[a]));
    let n = clv.len() as f64;
    let ends: Vec<usize> = VALUE_TIERS
        .iter()
        .map(|(_, share)| (share * n).ceil() as usize)
        .collect();
    let mut index = vec![0; clv.len()];
    for (rank, &customer) in order.iter().enumerate() {
        // The last tier ends at every customer, so a position is always found.
        index[customer] = ends
            .iter()
            .position(|&end| rank < end)
            .unwrap_or(VALUE_TIERS.len() - 1);
    }
    CustomerColumn::Labels {
        names: VALUE_TIERS
            .iter()
            .map(|(name, _)| name.to_string())
            .collect(),
        index: Cow::Owned(index),
    }
}

fn numbers(values: Vec<f64>) -> CustomerColumn<'static> {
    CustomerColumn::Numbers(Cow::Owned(values))
}
