//! Buy-till-you-die scores in `rebuy run`: BG/NBD as a purchase score next to the
//! classifiers, and per-customer P(alive), expected purchases, expected order value,
//! CLV and expected next purchase date (MBG/NBD + Gamma-Gamma, days as the unit).

use crate::run_folder::RunFolder;
use anyhow::Result;
use rebuy_features::{AsOf, CustomerFeatures};
use rebuy_models::btyd::{BetaGeoModel, BetaGeoParams, CustomerSummary, GammaGammaParams};
use rebuy_models::scoring::{LIFETIME_FILE_VERSION, LifetimeModel};

/// The name of the BG/NBD row in `metrics.json`.
pub const BG_NBD: &str = "bg_nbd";
/// Days per month for the CLV (months of 30 days), its horizon and discount rate.
const DAYS_PER_MONTH: f64 = 30.0;
const CLV_MONTHS: u32 = 12;
const MONTHLY_DISCOUNT_RATE: f64 = 0.01;
/// A next purchase date is given only to customers this likely to buy within a year.
const NEXT_DATE_HORIZON_DAYS: f64 = 365.0;

/// The three summary columns (frequency, recency, T in days) of some customers.
pub type SummaryColumns = [Vec<f64>; 3];

/// BG/NBD fitted on the `train` summary: P(at least one purchase in the next
/// `horizon_days`) of the customers of each of `targets`.
pub fn bg_nbd_probabilities(
    train: &SummaryColumns,
    targets: &[&SummaryColumns],
    horizon_days: u32,
) -> rebuy_models::Result<Vec<Vec<f64>>> {
    let model = BetaGeoParams::bg_nbd()
        .validate()?
        .fit(&CustomerSummary::new(&train[0], &train[1], &train[2])?)?;
    targets
        .iter()
        .map(|t| {
            model.purchase_probability(
                &CustomerSummary::new(&t[0], &t[1], &t[2])?,
                f64::from(horizon_days),
            )
        })
        .collect()
}

/// The customers.csv columns, and `models/btyd.json` (the models with their settings,
/// for `rebuy predict` and the server); a model that cannot be fitted prints its message
/// and leaves its columns out.
pub fn customer_columns(
    features: &CustomerFeatures,
    as_of: AsOf,
    horizon_days: u32,
    folder: &RunFolder,
) -> Result<Vec<(String, Vec<String>)>> {
    let summary = match CustomerSummary::new(
        &features.btyd_frequency,
        &features.btyd_recency,
        &features.btyd_t,
    ) {
        Ok(summary) => summary,
        Err(error) => {
            println!("\nno buy-till-you-die columns: {error}");
            return Ok(Vec::new());
        }
    };
    let transactions = match BetaGeoParams::mbg_nbd()
        .validate()
        .and_then(|p| p.fit(&summary))
    {
        Ok(model) => model,
        Err(error) => {
            println!("\nno P(alive) or expected purchases: MBG/NBD: {error}");
            return Ok(Vec::new());
        }
    };
    let spend = GammaGammaParams::new()
        .validate()
        .and_then(|p| p.fit(&features.btyd_frequency, &features.btyd_monetary_value));
    let model = LifetimeModel {
        format_version: LIFETIME_FILE_VERSION,
        horizon_days,
        transactions,
        spend: spend
            .map_err(|error| println!("\nno expected order value or CLV: Gamma-Gamma: {error}"))
            .ok(),
        clv_months: CLV_MONTHS,
        monthly_discount_rate: MONTHLY_DISCOUNT_RATE,
        days_per_month: DAYS_PER_MONTH,
    };
    let scores = match model.scores(&summary, &features.btyd_monetary_value) {
        Ok(scores) => scores,
        Err(error) => {
            println!("\nno P(alive) or expected purchases: {error}");
            return Ok(Vec::new());
        }
    };
    std::fs::create_dir_all(folder.path("models"))?;
    folder.write_json("models/btyd.json", &model)?;
    let mut columns = vec![
        ("p_alive".to_string(), strings(&scores.p_alive)),
        (
            format!("expected_purchases_{horizon_days}d"),
            strings(&scores.expected_purchases),
        ),
        (
            "expected_next_purchase_date".to_string(),
            next_purchase_dates(&model.transactions, &summary, as_of)?,
        ),
    ];
    match scores.spend {
        Some(Ok((order_value, clv))) => columns.extend([
            ("expected_order_value".to_string(), strings(&order_value)),
            ("clv_12m".to_string(), strings(&clv)),
        ]),
        Some(Err(error)) => println!("\nno expected order value or CLV: Gamma-Gamma: {error}"),
        None => {}
    }
    Ok(columns)
}

/// The expected date of the next purchase of customers likely to buy within a year
/// (empty for the others).
fn next_purchase_dates(
    model: &BetaGeoModel,
    summary: &CustomerSummary<'_>,
    as_of: AsOf,
) -> Result<Vec<String>> {
    let buys_within_year = model.purchase_probability(summary, NEXT_DATE_HORIZON_DAYS)?;
    Ok((0..summary.len())
        .map(|i| {
            if buys_within_year[i] < 0.5 {
                return String::new();
            }
            let wait = median_wait_days(model, summary.frequency()[i], summary.t()[i]);
            as_of
                .plus_days(wait.floor().min(f64::from(i32::MAX / 2)) as i32)
                .to_string()
        })
        .collect())
}

/// The median waiting time to the next purchase of a customer who is alive: their
/// purchase rate is Gamma(r + x, alpha + T) a posteriori, so the wait is Lomax with
/// P(W > w) = ((alpha + T) / (alpha + T + w))^(r + x).
fn median_wait_days(model: &BetaGeoModel, frequency: f64, t: f64) -> f64 {
    (model.alpha + t) * (2f64.powf(1.0 / (model.r + frequency)) - 1.0)
}

fn strings(values: &[f64]) -> Vec<String> {
    values.iter().map(f64::to_string).collect()
}
