//! Scoring customers with a run's saved models: the one implementation behind
//! `rebuy run` (customers.csv), `rebuy predict`, `rebuy score` and the server's
//! `POST /api/predict` and batch upload.
//!
//! A [`Scorer`] holds the run's answering models ([`Answering`]: the chosen model on
//! every feature, and the model fitted on recency, frequency and monetary alone), the
//! run's R/F/M values and segment map ([`RfmReference`]), its KMeans model
//! ([`ClusterModel`]), its buy-till-you-die model ([`LifetimeModel`]) and the purchase
//! probabilities of its scored customers ([`Population`]).
//!
//! A prediction is made by a model fitted on exactly the features given: all of them
//! (the chosen model), or recency, frequency and monetary (the R/F/M-only model).
//! Nothing is imputed: any other set is refused with the names of the missing features
//! ([`Scorer::answering`]). Probabilities are calibrated (Platt scaling fitted on the
//! validation slice of the run) and banded into churn risk by fixed thresholds.
//!
//! ```no_run
//! # fn scorer() -> rebuy_models::scoring::Scorer { unimplemented!() }
//! let scorer = scorer();
//! let score = scorer.score(&[("recency_days", 12.0), ("frequency", 5.0), ("monetary", 800.0)])?;
//! println!("{:.2} ({:?} risk, {})", score.purchase_probability, score.churn_risk,
//!          score.answered_by.model);
//! # Ok::<(), rebuy_models::Error>(())
//! ```

use crate::btyd::{BetaGeoModel, ClvParams, CustomerSummary, GammaGammaModel};
use crate::calibration::{PlattScaling, ProbabilityBands};
use crate::classifier::AnyClassifier;
use crate::kmeans::KMeans;
use crate::matrix::Matrix;
use crate::monotone::Monotone;
use crate::scale::Scaler;
use crate::{Error, Result};
use rebuy_vocabulary::TimeUnit;
use rebuy_vocabulary::rfm::{SegmentMap, score_against};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Layout version of `models/<name>.json` (the envelope around the classifier's file).
/// Version 2 added `kind`, `monotone`, `calibration` and `churn_risk_thresholds`, and
/// dropped mean imputation.
pub const MODEL_FILE_VERSION: u32 = 3;
/// Preprocessing applied before every model, at fitting and at scoring.
pub const PREPROCESSING: &str = "mean_days_between_purchases of a customer with one \
     purchase day (empty) is their tenure_days; every other input must be given";
/// The fields every scored customer must have, in R, F, M order: the inputs of the
/// R/F/M-only model.
pub const RFM_FIELDS: [&str; 3] = ["recency_days", "frequency", "monetary"];
/// The name of the R/F/M-only model (its file `models/rfm_only.json`, its row in
/// metrics.json).
pub const RFM_ONLY: &str = "rfm_only";
/// The default churn-risk thresholds on the calibrated purchase probability: `High`
/// below the first, `Medium` below the second, `Low` from it on.
pub const DEFAULT_CHURN_RISK_THRESHOLDS: [f64; 2] = [0.25, 0.5];

/// Whether a feature is an input of the buy-till-you-die block (P(alive), CLV): when
/// the R/F/M-only model answers, these fields feed only that block, and the answer
/// says so ([`CustomerScore::not_used_by_model`]).
pub fn is_lifetime_input(name: &str) -> bool {
    name == "tenure_days" || name.starts_with("btyd_")
}

/// `models/<name>.json`, written by `rebuy run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    pub format_version: u32,
    pub rebuy_version: String,
    /// The model's name in metrics.json (`logistic_regression`, ..., `rfm_only`).
    pub name: String,
    /// The model kind, named as in metrics.json (`logistic_regression`,
    /// `random_forest`, `gradient_boosting`).
    pub kind: String,
    /// Whether this model answers predictions given every feature.
    pub chosen: bool,
    /// The window the saved model was fitted on: features at `as_of`, labels from the
    /// `horizon_days` days from `as_of` on.
    pub training_window: TrainingWindow,
    pub feature_names: Vec<String>,
    /// The smallest and largest value of each input among the customers the saved
    /// model was fitted on: beyond them a model only extrapolates, and an answer says
    /// so ([`CustomerScore::outside_training_range`]).
    pub training_ranges: BTreeMap<String, FeatureRange>,
    /// Features the probability may only fall (`decreasing`) or rise (`increasing`)
    /// with, all else equal.
    pub monotone: BTreeMap<String, Monotone>,
    pub preprocessing: String,
    /// Platt scaling of the model's probability, fitted on the run's validation slice;
    /// `None` when it could not be fitted (then the raw probability is used).
    pub calibration: Option<PlattScaling>,
    /// `High` churn risk below the first calibrated probability, `Medium` below the
    /// second, `Low` from it on.
    pub churn_risk_thresholds: [f64; 2],
    /// Test metrics of this model in the evaluation (see metrics.json).
    pub test_metrics: TestMetrics,
    /// The classifier's own file (format version, kind, parameters, fitted state).
    pub model: serde_json::Value,
}

/// The span of one input among a model's training customers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureRange {
    pub min: f64,
    pub max: f64,
}

impl FeatureRange {
    /// The span of the finite values of a column; `None` when it has none.
    pub fn of(values: &[f64]) -> Option<Self> {
        values
            .iter()
            .filter(|v| v.is_finite())
            .fold(None, |range: Option<FeatureRange>, &v| {
                Some(
                    range.map_or(FeatureRange { min: v, max: v }, |r| FeatureRange {
                        min: r.min.min(v),
                        max: r.max.max(v),
                    }),
                )
            })
    }
}

/// An input given beyond the span the answering model was fitted on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutsideRange {
    pub feature: String,
    pub value: f64,
    pub trained_min: f64,
    pub trained_max: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingWindow {
    /// The latest window's as-of date: the model learnt who bought in the horizon from it.
    pub as_of: String,
    pub horizon_days: u32,
    /// Rows fitted on: customers once per window, every pooled window counted.
    pub customers: usize,
    pub buyers: usize,
    /// The as-of dates of the earlier windows pooled with the latest one, newest first
    /// (`rebuy run --training-windows`); none: the latest window alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pooled_with: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestMetrics {
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    pub brier: f64,
}

impl ModelFile {
    /// Reads `models/<name>.json` and the classifier inside it.
    pub fn load(path: &Path) -> Result<(ModelFile, AnyClassifier)> {
        let at = |detail: String| Error::Format(format!("{}: {detail}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| at(format!("cannot read: {e}")))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| at(format!("not a saved rebuy model: {e}")))?;
        match value.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(MODEL_FILE_VERSION) => {}
            other => {
                return Err(at(format!(
                    "saved with model file format version {}, this rebuy reads version \
                     {MODEL_FILE_VERSION}: run `rebuy run` again with this version",
                    other.map_or("(none)".to_string(), |v| v.to_string())
                )));
            }
        }
        let file: ModelFile =
            serde_json::from_value(value).map_err(|e| at(format!("damaged: {e}")))?;
        let model = AnyClassifier::from_json(&file.model.to_string())
            .map_err(|e| at(format!("the model inside: {e}")))?;
        if model.feature_names() != file.feature_names.as_slice() {
            return Err(at("feature_names differ from the model's own".to_string()));
        }
        Ok((file, model))
    }
}

/// The model inputs: the feature columns in the model's order, with [`PREPROCESSING`]
/// applied.
pub fn model_matrix(columns: &[(&str, &[f64])]) -> Result<Matrix> {
    let names: Vec<String> = columns.iter().map(|(name, _)| name.to_string()).collect();
    let mut values: Vec<&[f64]> = columns.iter().map(|(_, values)| *values).collect();
    let gap = names
        .iter()
        .position(|n| n == "mean_days_between_purchases");
    let tenure = names.iter().position(|n| n == "tenure_days");
    // The filled gap column is the one copy made besides the matrix itself.
    let filled: Vec<f64>;
    if let (Some(gap), Some(tenure)) = (gap, tenure)
        && values[gap].len() == values[tenure].len()
    {
        filled = values[gap]
            .iter()
            .zip(values[tenure])
            .map(|(&g, &t)| if g.is_nan() { t } else { g })
            .collect();
        values[gap] = &filled;
    }
    Matrix::from_columns(&values)?.with_column_names(names)
}

/// How likely a customer is to lapse, from their calibrated purchase probability and
/// the run's fixed thresholds ([`ModelFile::churn_risk_thresholds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChurnRisk {
    High,
    Medium,
    Low,
}

impl ChurnRisk {
    /// The bands in declaration order: `band as usize` indexes this.
    pub const ALL: [ChurnRisk; 3] = [ChurnRisk::High, ChurnRisk::Medium, ChurnRisk::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            ChurnRisk::High => "High",
            ChurnRisk::Medium => "Medium",
            ChurnRisk::Low => "Low",
        }
    }

    /// The bands of `thresholds` (`[low, high]`, checked: in (0, 1), ascending).
    pub fn bands(thresholds: [f64; 2]) -> Result<ProbabilityBands> {
        ProbabilityBands::new(thresholds.to_vec())
    }

    /// The band of a purchase probability in [0, 1]: `High` below the first threshold,
    /// `Medium` below the second, `Low` from it on.
    pub fn of(probability: f64, bands: &ProbabilityBands) -> Result<ChurnRisk> {
        Ok(ChurnRisk::ALL[bands.band(probability)?])
    }

    /// What the band means, with its thresholds, in a few words.
    pub fn meaning(self, thresholds: [f64; 2]) -> String {
        let [low, high] = thresholds.map(|t| 100.0 * t);
        match self {
            ChurnRisk::High => format!("high churn risk: below a {low:.0}% chance"),
            ChurnRisk::Medium => {
                format!("medium churn risk: a {low:.0}% to {high:.0}% chance")
            }
            ChurnRisk::Low => format!("low churn risk: a {high:.0}% chance or more"),
        }
    }
}

/// The purchase probabilities of a run's scored customers, to place a new one among them.
#[derive(Debug, Clone)]
pub struct Population {
    sorted: Vec<f64>,
}

impl Population {
    /// Needs at least one finite probability.
    pub fn new(probabilities: &[f64]) -> Result<Self> {
        let mut sorted: Vec<f64> = probabilities
            .iter()
            .copied()
            .filter(|p| p.is_finite())
            .collect();
        if sorted.is_empty() {
            return Err(Error::InvalidInput(
                "no scored customer to rank a probability against".into(),
            ));
        }
        sorted.sort_by(f64::total_cmp);
        Ok(Population { sorted })
    }

    /// Share of the customers scored at or below `probability`, in %.
    pub fn percentile(&self, probability: f64) -> f64 {
        let at_or_below = self.sorted.partition_point(|p| *p <= probability);
        100.0 * at_or_below as f64 / self.sorted.len() as f64
    }
}

/// `probability_percentile` of customers scored together, each against all of them
/// (the customers.csv column of a run); `None` when no probability is finite.
pub fn percentile_column(probability: &[f64]) -> Option<Vec<f64>> {
    let population = Population::new(probability).ok()?;
    Some(
        probability
            .iter()
            .map(|&p| {
                if p.is_finite() {
                    population.percentile(p)
                } else {
                    f64::NAN
                }
            })
            .collect(),
    )
}

/// A saved model that answers predictions, with its file.
#[derive(Debug)]
pub struct Answering {
    pub file: ModelFile,
    model: AnyClassifier,
}

/// Which model answered a prediction, on which inputs, and how well it tested: every
/// answer carries this.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnsweredBy {
    /// `rfm_only`, or the chosen model's name.
    pub model: String,
    /// The classifier's kind.
    pub kind: String,
    /// The features it was fitted on, and so reads.
    pub inputs: Vec<String>,
    /// Its ROC-AUC on the run's test customers (out of time by default).
    pub test_roc_auc: f64,
    /// The as-of date of its training window.
    pub trained_as_of: String,
}

impl Answering {
    pub fn new(file: ModelFile, model: AnyClassifier) -> Self {
        Answering { file, model }
    }

    pub fn feature_names(&self) -> &[String] {
        &self.file.feature_names
    }

    pub fn answered_by(&self) -> AnsweredBy {
        AnsweredBy {
            model: self.file.name.clone(),
            kind: self.file.kind.clone(),
            inputs: self.file.feature_names.clone(),
            test_roc_auc: self.file.test_metrics.roc_auc,
            trained_as_of: self.file.training_window.as_of.clone(),
        }
    }

    /// The inputs among `given` that lie beyond the span of the customers this model
    /// was fitted on, in the model's feature order.
    pub fn outside_training_range(&self, given: &[(&str, f64)]) -> Vec<OutsideRange> {
        self.feature_names()
            .iter()
            .filter_map(|name| {
                let range = self.file.training_ranges.get(name)?;
                let (_, value) = given.iter().find(|(n, _)| n == name)?;
                (*value < range.min || *value > range.max).then(|| OutsideRange {
                    feature: name.clone(),
                    value: *value,
                    trained_min: range.min,
                    trained_max: range.max,
                })
            })
            .collect()
    }

    /// Calibrated purchase probabilities of `rows` customers given as named columns;
    /// every input of the model must be among them, finite (the gap column excepted,
    /// see [`PREPROCESSING`]).
    pub fn probabilities(&self, rows: usize, given: &[(&str, &[f64])]) -> Result<Vec<f64>> {
        if rows == 0 {
            return Ok(Vec::new());
        }
        let columns = self
            .feature_names()
            .iter()
            .map(|name| {
                given
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| (name.as_str(), *v))
                    .ok_or_else(|| Error::InvalidInput(format!("{name} is not given")))
            })
            .collect::<Result<Vec<_>>>()?;
        let matrix = model_matrix(&columns)?;
        matrix.check_finite()?;
        let raw = self.model.predict_proba(&matrix)?;
        Ok(match &self.file.calibration {
            Some(platt) => raw.iter().map(|&p| platt.calibrate(p)).collect(),
            None => raw,
        })
    }
}

/// A run's customers' recency, frequency and spend, and its segment map: scores a new
/// customer with the run's own quintiles.
#[derive(Debug, Clone)]
pub struct RfmReference {
    /// Ascending finite values, in R, F, M order.
    sorted: [Vec<f64>; 3],
    segment_map: SegmentMap,
}

/// A customer's RFM scores (1-5) and the segment of their cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfmScores {
    pub r_score: u8,
    pub f_score: u8,
    pub m_score: u8,
    pub segment: String,
}

impl RfmReference {
    /// `columns` are the run's recency_days, frequency and monetary values (sorted in
    /// place: a run of millions of customers is not copied).
    pub fn new(columns: [Vec<f64>; 3], segment_map: SegmentMap) -> Self {
        let sorted = columns.map(|mut values| {
            values.retain(|v| v.is_finite());
            values.sort_by(f64::total_cmp);
            values
        });
        RfmReference {
            sorted,
            segment_map,
        }
    }

    /// Customers the quintiles come from.
    pub fn customers(&self) -> usize {
        self.sorted[0].len()
    }

    /// Scores against the run's quintiles (recency reversed: most recent = 5); a net
    /// spend of zero or less is always M score 1, as in the run.
    pub fn score(&self, recency_days: f64, frequency: f64, monetary: f64) -> RfmScores {
        let r_score = score_against(&self.sorted[0], recency_days, true);
        let f_score = score_against(&self.sorted[1], frequency, false);
        let m_score = if monetary <= 0.0 {
            1
        } else {
            score_against(&self.sorted[2], monetary, false)
        };
        RfmScores {
            r_score,
            f_score,
            m_score,
            segment: self.segment(r_score, f_score, m_score).to_string(),
        }
    }

    /// The segment of an R/F/M cell under the run's map.
    pub fn segment(&self, r_score: u8, f_score: u8, m_score: u8) -> &str {
        self.segment_map
            .segment(r_score, f_score, m_score)
            .unwrap_or("Unassigned")
    }
}

/// `models/kmeans.json`: the run's clusters, on scaled recency, frequency and monetary.
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterModel {
    scaler: Scaler,
    model: KMeans,
    cluster_names: Vec<String>,
}

/// The cluster a customer falls in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    pub cluster: usize,
    pub name: String,
}

/// How [`ClusterModel`] assigns a cluster, in words.
pub const CLUSTER_EXPLANATION: &str = "nearest centroid of the run's KMeans on \
     log1p-standardised recency, frequency and monetary";

impl ClusterModel {
    /// Reads `models/kmeans.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let at = |detail: String| Error::Format(format!("{}: {detail}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| at(format!("cannot read: {e}")))?;
        serde_json::from_str(&text).map_err(|e| at(e.to_string()))
    }

    /// The nearest cluster of a customer.
    pub fn assign(&self, recency_days: f64, frequency: f64, monetary: f64) -> Result<Cluster> {
        let scaled = self
            .scaler
            .transform_row(&[recency_days, frequency, monetary])?;
        let cluster = self.model.predict(&scaled)?;
        Ok(Cluster {
            cluster,
            name: self
                .cluster_names
                .get(cluster)
                .cloned()
                .unwrap_or_else(|| format!("Cluster {cluster}")),
        })
    }
}

/// Layout version of `models/btyd.json`.
pub const LIFETIME_FILE_VERSION: u32 = 1;

/// `models/btyd.json`: the run's buy-till-you-die models (fitted in the run's time
/// unit), with the settings of its customers.csv columns `p_alive`,
/// `expected_purchases_<H>d`, `expected_order_value` and `clv_12m`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LifetimeModel {
    pub format_version: u32,
    /// Horizon of `expected_purchases`, in days.
    pub horizon_days: u32,
    /// The unit of the summary the models were fitted on (`days` or `weeks`: the
    /// suffix of the `btyd_recency_<unit>` and `btyd_t_<unit>` columns).
    pub time_unit: TimeUnit,
    /// MBG/NBD: P(alive) and expected purchases.
    pub transactions: BetaGeoModel,
    /// Gamma-Gamma: expected spend per order; absent when it could not be fitted.
    pub spend: Option<GammaGammaModel>,
    /// CLV horizon in months, discount rate per month, days per month.
    pub clv_months: u32,
    pub monthly_discount_rate: f64,
    pub days_per_month: f64,
}

/// Buy-till-you-die scores of some customers, column by column.
#[derive(Debug)]
pub struct LifetimeColumns {
    pub p_alive: Vec<f64>,
    pub expected_purchases: Vec<f64>,
    /// `(expected_order_value, clv)`, when the model has a spend part.
    pub spend: Option<Result<(Vec<f64>, Vec<f64>)>>,
}

impl LifetimeModel {
    /// The warnings of the transaction and spend fits, each naming its model.
    pub fn fit_warnings(&self) -> Vec<String> {
        let named = |model: &str, warnings: &[String]| {
            warnings
                .iter()
                .map(|w| format!("{model}: {w}"))
                .collect::<Vec<_>>()
        };
        let mut warnings = named(
            self.transactions.variant.name(),
            &self.transactions.report.warnings,
        );
        if let Some(spend) = &self.spend {
            warnings.extend(named("Gamma-Gamma", &spend.report.warnings));
        }
        warnings
    }

    /// Reads `models/btyd.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let at = |detail: String| Error::Format(format!("{}: {detail}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| at(format!("cannot read: {e}")))?;
        let model: LifetimeModel = serde_json::from_str(&text).map_err(|e| at(e.to_string()))?;
        if model.format_version != LIFETIME_FILE_VERSION {
            return Err(at(format!(
                "format_version {} is not the supported {LIFETIME_FILE_VERSION}",
                model.format_version
            )));
        }
        Ok(model)
    }

    /// Scores of customers given their BTYD summary (`btyd_frequency`,
    /// `btyd_recency_<unit>`, `btyd_t_<unit>`), `btyd_monetary_value` and net spend
    /// (`monetary`): a customer whose net spend is not positive gets an order value and
    /// a CLV of 0 ([`NET_SPEND_NOT_POSITIVE`]).
    pub fn scores(
        &self,
        summary: &CustomerSummary<'_>,
        monetary_value: &[f64],
        net_spend: &[f64],
    ) -> Result<LifetimeColumns> {
        let model = &self.transactions;
        let spend = self.spend.as_ref().map(|spend| {
            let spenders = spend_frequency(summary.frequency(), net_spend);
            let mut order_value = spend.expected_average_order_value(&spenders, monetary_value)?;
            for (value, &net) in order_value.iter_mut().zip(net_spend) {
                if net <= 0.0 {
                    *value = 0.0;
                }
            }
            let clv = ClvParams::new(self.time_unit.days_to_units(self.days_per_month))
                .months(self.clv_months)
                .monthly_discount_rate(self.monthly_discount_rate)
                .validate()?
                .customer_lifetime_value(model, summary, &order_value)?;
            Ok((order_value, clv))
        });
        Ok(LifetimeColumns {
            p_alive: model.probability_alive(summary),
            expected_purchases: model.expected_purchases(
                summary,
                self.time_unit.days_to_units(f64::from(self.horizon_days)),
            )?,
            spend,
        })
    }
}

/// The repeat purchases the spend model sees: those of customers whose net spend is
/// positive (the others have no positive order value to model, and are left out).
pub fn spend_frequency(frequency: &[f64], net_spend: &[f64]) -> Vec<f64> {
    frequency
        .iter()
        .zip(net_spend)
        .map(|(&x, &net)| if net > 0.0 { x } else { 0.0 })
        .collect()
}

/// One customer's buy-till-you-die scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lifetime {
    /// Probability the customer has not lapsed for good.
    pub p_alive: f64,
    /// Expected purchases in the next `horizon_days`.
    pub expected_purchases: f64,
    pub horizon_days: u32,
    /// Expected spend per order and customer lifetime value over `clv_months`
    /// (discounted); absent when the run has no spend model.
    pub expected_order_value: Option<f64>,
    pub clv: Option<f64>,
    pub clv_months: u32,
    /// Why the order value and CLV are 0, when they are ([`NET_SPEND_NOT_POSITIVE`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clv_note: Option<String>,
    /// Warnings of the fits behind these figures (e.g. a degenerate MBG/NBD in which
    /// nobody ever leaves: P(alive) is then an upper bound); absent for clean fits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fit_warnings: Vec<String>,
}

/// Why a customer has no [`Lifetime`] scores: fields missing, or no model.
const LIFETIME_NEEDS_TENURE: &str = "P(alive) and CLV need tenure_days (or btyd_t_<unit> and \
     btyd_recency_<unit>)";
const LIFETIME_NO_MODEL: &str = "the run has no buy-till-you-die model (models/btyd.json)";

/// Everything needed to score a customer against one run; built once, then only read.
#[derive(Debug)]
pub struct Scorer {
    /// The chosen model, on every feature.
    pub full: Answering,
    /// The model on recency, frequency and monetary alone (runs before it existed
    /// lack it).
    pub rfm_only: Option<Answering>,
    /// Shared with the run's other readers: it holds three sorted columns.
    pub rfm: Arc<RfmReference>,
    pub clusters: Option<ClusterModel>,
    pub lifetime: Option<LifetimeModel>,
    population: Population,
    /// The churn-risk bands of the chosen model's thresholds.
    bands: ProbabilityBands,
}

/// One scored customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerScore {
    /// Probability of at least one purchase in the model's horizon (calibrated).
    pub purchase_probability: f64,
    pub churn_risk: ChurnRisk,
    /// Share of the run's customers scored at or below this one, in %.
    pub probability_percentile: f64,
    pub answered_by: AnsweredBy,
    /// Fields given that the answering model does not read: with the R/F/M-only model,
    /// the buy-till-you-die inputs (they feed P(alive) and CLV only).
    pub not_used_by_model: Vec<String>,
    /// Inputs beyond the span of the customers the answering model was fitted on: the
    /// probability is an extrapolation there (a tree model answers as at the edge of
    /// that span).
    pub outside_training_range: Vec<OutsideRange>,
    pub rfm: RfmScores,
    pub cluster: Option<Cluster>,
    /// P(alive) and CLV, or why there are none (a sentence).
    pub lifetime: std::result::Result<Lifetime, String>,
}

impl Scorer {
    pub fn new(
        full: Answering,
        rfm_only: Option<Answering>,
        rfm: Arc<RfmReference>,
        clusters: Option<ClusterModel>,
        lifetime: Option<LifetimeModel>,
        population: Population,
    ) -> Result<Self> {
        Ok(Scorer {
            bands: ChurnRisk::bands(full.file.churn_risk_thresholds)?,
            full,
            rfm_only,
            rfm,
            clusters,
            lifetime,
            population,
        })
    }

    /// Every feature a caller may give: the chosen model's.
    pub fn feature_names(&self) -> &[String] {
        self.full.feature_names()
    }

    pub fn horizon_days(&self) -> u32 {
        self.full.file.training_window.horizon_days
    }

    /// The run's churn-risk thresholds.
    pub fn churn_risk_thresholds(&self) -> [f64; 2] {
        self.full.file.churn_risk_thresholds
    }

    /// The model fitted on exactly the features `given` (names that are no model
    /// feature are ignored): the chosen model when every feature is given, the
    /// R/F/M-only model when recency, frequency and monetary are given with nothing
    /// else but buy-till-you-die inputs; otherwise an error naming what is missing.
    pub fn answering(&self, given: &[&str]) -> Result<&Answering> {
        let has = |name: &String| given.contains(&name.as_str());
        let missing: Vec<&str> = self
            .feature_names()
            .iter()
            .filter(|name| !has(name))
            .map(String::as_str)
            .collect();
        if missing.is_empty() {
            return Ok(&self.full);
        }
        let rfm_given = RFM_FIELDS.iter().all(|name| given.contains(name));
        let beyond: Vec<&str> = self
            .feature_names()
            .iter()
            .filter(|name| has(name))
            .map(String::as_str)
            .filter(|name| !RFM_FIELDS.contains(name) && !is_lifetime_input(name))
            .collect();
        if let Some(rfm_only) = &self.rfm_only
            && rfm_given
            && beyond.is_empty()
        {
            return Ok(rfm_only);
        }
        let rfm_advice = if self.rfm_only.is_some() {
            "; or only recency_days, frequency and monetary (answered by the model fitted on \
             those three alone, with tenure_days and btyd_* used for P(alive) and CLV)"
        } else {
            ""
        };
        Err(Error::InvalidInput(format!(
            "no model of this run was fitted on exactly these features, and none is \
             imputed: the chosen model ({}) also needs {}{rfm_advice}{}",
            self.full.file.name,
            missing.join(", "),
            if beyond.is_empty() || self.rfm_only.is_none() {
                String::new()
            } else {
                format!(" (without {})", beyond.join(", "))
            }
        )))
    }

    /// Calibrated `purchase_probability` of `rows` customers given as named columns of
    /// that length, from the model [`Self::answering`] picks, and that model.
    pub fn purchase_probabilities(
        &self,
        rows: usize,
        given: &[(&str, &[f64])],
    ) -> Result<(Vec<f64>, &Answering)> {
        let names: Vec<&str> = given.iter().map(|(name, _)| *name).collect();
        let answering = self.answering(&names)?;
        Ok((answering.probabilities(rows, given)?, answering))
    }

    /// Percentile among the run's customers and churn-risk band of a probability.
    pub fn rank(&self, probability: f64) -> Result<(f64, ChurnRisk)> {
        Ok((
            self.population.percentile(probability),
            ChurnRisk::of(probability, &self.bands)?,
        ))
    }

    /// Scores one customer from named fields; [`RFM_FIELDS`] are required.
    pub fn score(&self, given: &[(&str, f64)]) -> Result<CustomerScore> {
        if let Some((name, value)) = given.iter().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite {
                feature: name.to_string(),
                row: 0,
                value: *value,
            });
        }
        let field = |name: &str| given.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let [recency_days, frequency, monetary] = RFM_FIELDS.map(field);
        let (Some(recency_days), Some(frequency), Some(monetary)) =
            (recency_days, frequency, monetary)
        else {
            return Err(Error::InvalidInput(
                "recency_days, frequency and monetary are required".into(),
            ));
        };
        let values: Vec<[f64; 1]> = given.iter().map(|(_, v)| [*v]).collect();
        let columns: Vec<(&str, &[f64])> = given
            .iter()
            .zip(&values)
            .map(|((name, _), value)| (*name, value.as_slice()))
            .collect();
        let (probability, answering) = self.purchase_probabilities(1, &columns)?;
        let purchase_probability = probability[0];
        let (probability_percentile, churn_risk) = self.rank(purchase_probability)?;
        let cluster = match &self.clusters {
            Some(clusters) => Some(clusters.assign(recency_days, frequency, monetary)?),
            None => None,
        };
        let not_used_by_model = given
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| !answering.feature_names().iter().any(|f| f == name))
            .map(str::to_string)
            .collect();
        Ok(CustomerScore {
            purchase_probability,
            churn_risk,
            probability_percentile,
            answered_by: answering.answered_by(),
            not_used_by_model,
            outside_training_range: answering.outside_training_range(given),
            rfm: self.rfm.score(recency_days, frequency, monetary),
            cluster,
            lifetime: self.lifetime(given)?,
        })
    }

    /// P(alive) and CLV of one customer. The BTYD summary comes from the `btyd_*`
    /// fields when given (ages in the model's unit), else from the others, in days
    /// converted to that unit: `btyd_t` = tenure_days - 1,
    /// `btyd_recency` = tenure_days - recency_days, `btyd_frequency` = frequency - 1
    /// (exact when no two orders fall on one day), `btyd_monetary_value` = monetary /
    /// frequency for a repeat customer, else 0. Net spend (`monetary`) of zero or less
    /// gives an order value and CLV of 0.
    fn lifetime(&self, given: &[(&str, f64)]) -> Result<std::result::Result<Lifetime, String>> {
        let Some(model) = &self.lifetime else {
            return Ok(Err(LIFETIME_NO_MODEL.to_string()));
        };
        let field = |name: &str| given.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let (frequency, monetary) = (field("frequency"), field("monetary"));
        let tenure = field("tenure_days");
        let unit = model.time_unit;
        let [recency_column, t_column] = unit.column_names();
        let t = field(t_column).or(tenure.map(|t| unit.days_to_units(t - 1.0)));
        let recency = field(recency_column)
            .or_else(|| Some(unit.days_to_units(tenure? - field("recency_days")?)));
        let (Some(t), Some(recency)) = (t, recency) else {
            return Ok(Err(LIFETIME_NEEDS_TENURE.to_string()));
        };
        let repeats = field("btyd_frequency")
            .or(frequency.map(|f| f - 1.0))
            .unwrap_or(0.0);
        let net_spend = monetary.unwrap_or(f64::NAN);
        let monetary_value = field("btyd_monetary_value").unwrap_or(match (frequency, monetary) {
            (Some(f), Some(m)) if repeats > 0.0 && m > 0.0 => m / f,
            _ => 0.0,
        });
        let recency = if repeats > 0.0 { recency } else { 0.0 };
        let columns = [[repeats], [recency], [t]];
        let summary = match CustomerSummary::new(&columns[0], &columns[1], &columns[2]) {
            Ok(summary) => summary,
            Err(e) => return Ok(Err(format!("P(alive) and CLV not computed: {e}"))),
        };
        let scores = model.scores(&summary, &[monetary_value], &[net_spend])?;
        let spend = scores.spend.and_then(|s| s.ok());
        Ok(Ok(Lifetime {
            p_alive: scores.p_alive[0],
            expected_purchases: scores.expected_purchases[0],
            horizon_days: model.horizon_days,
            expected_order_value: spend.as_ref().map(|s| s.0[0]),
            clv: spend.as_ref().map(|s| s.1[0]),
            clv_months: model.clv_months,
            clv_note: (net_spend <= 0.0).then(|| NET_SPEND_NOT_POSITIVE.to_string()),
            fit_warnings: model.fit_warnings(),
        }))
    }
}

/// A probability as a percentage with `decimals` places that never reads as certain (a
/// calibrated model is never sure): what would print as 100 or 0 is "over 99%" or
/// "under 1%" (one place: "over 99.9%", "under 0.1%"). The explanation uses whole
/// percentages, the pages one place; the Predict page's script (`rebuyChance`) follows
/// the same rule.
pub fn chance(probability: f64, decimals: usize) -> String {
    // In units of the last place shown: 0.9995 at one place is 999.5 of 1000.
    let units = 10f64.powi(decimals as i32 + 2);
    let step = 100.0 / units;
    let scaled = probability * units;
    if scaled >= units - 0.5 {
        format!("over {:.decimals$}%", 100.0 - step)
    } else if scaled < 0.5 {
        format!("under {step:.decimals$}%")
    } else {
        format!("{:.decimals$}%", 100.0 * probability)
    }
}

/// Why a customer's expected order value and CLV are 0.
pub const NET_SPEND_NOT_POSITIVE: &str = "net spend (sales minus returns) is zero or less: \
     expected order value and CLV are 0, and the customer is left out of the spend model's fit";

impl CustomerScore {
    /// What the score means, in two or three plain sentences.
    pub fn explanation(&self, horizon_days: u32, thresholds: [f64; 2]) -> String {
        let cluster = self
            .cluster
            .as_ref()
            .map_or_else(String::new, |c| format!(", cluster \"{}\"", c.name));
        let model = if self.answered_by.model == RFM_ONLY {
            "the model fitted on recency, frequency and monetary alone".to_string()
        } else {
            format!(
                "the run's chosen model on all {} features",
                self.answered_by.inputs.len()
            )
        };
        let outside = if self.outside_training_range.is_empty() {
            String::new()
        } else {
            let spans: Vec<String> = self
                .outside_training_range
                .iter()
                .map(|o| {
                    format!(
                        "{} {} (fitted on {} to {})",
                        o.feature, o.value, o.trained_min, o.trained_max
                    )
                })
                .collect();
            format!(
                " The model never saw a customer like this one: {} lies beyond the customers \
                 it was fitted on, so the probability is an extrapolation.",
                spans.join(", ")
            )
        };
        format!(
            "A {} chance of buying again in the next {horizon_days} days ({}), as likely \
             as or likelier than {:.0}% of this run's customers. Answered by {model} ({}, \
             test ROC-AUC {:.3}).{outside} RFM scores R{} F{} M{} put the customer in \
             \"{}\"{cluster}.",
            chance(self.purchase_probability, 0),
            self.churn_risk.meaning(thresholds),
            self.probability_percentile,
            self.answered_by.kind.replace('_', " "),
            self.answered_by.test_roc_auc,
            self.rfm.r_score,
            self.rfm.f_score,
            self.rfm.m_score,
            self.rfm.segment
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_bands_follow_the_fixed_thresholds_not_the_ranking() {
        let bands = ChurnRisk::bands(DEFAULT_CHURN_RISK_THRESHOLDS).unwrap();
        let risk: Vec<&str> = [0.0, 0.2499, 0.25, 0.4999, 0.5, 1.0]
            .map(|p| ChurnRisk::of(p, &bands).unwrap().as_str())
            .into();
        assert_eq!(risk, ["High", "High", "Medium", "Medium", "Low", "Low"]);
        // Everyone likely to buy is at low risk: no third is forced into `High`.
        let all_likely = [0.8, 0.9, 0.95];
        assert!(
            all_likely
                .iter()
                .all(|&p| ChurnRisk::of(p, &bands).unwrap() == ChurnRisk::Low)
        );
        assert!(ChurnRisk::of(f64::NAN, &bands).is_err());
        assert!(ChurnRisk::bands([0.5, 0.25]).is_err());
        let percentile = percentile_column(&[0.9, 0.1, 0.5, 0.5, 0.2, 0.8]).unwrap();
        assert_eq!(format!("{:.1}", percentile[1]), "16.7");
        assert_eq!(format!("{:.1}", percentile[2]), "66.7");
        assert_eq!(percentile[0], 100.0);
        assert!(percentile_column(&[f64::NAN]).is_none());
    }

    #[test]
    fn a_new_probability_is_ranked_against_the_run() {
        let population = Population::new(&[0.1, 0.2, 0.3, f64::NAN]).unwrap();
        assert_eq!(population.percentile(0.0), 0.0);
        assert_eq!(population.percentile(0.25), 200.0 / 3.0);
        assert_eq!(population.percentile(0.99), 100.0);
        assert!(Population::new(&[f64::NAN]).is_err());
    }

    /// A scorer over two logistic models fitted on made-up customers: all of
    /// `FEATURES`, and R/F/M alone.
    fn scorer() -> Scorer {
        use crate::classifier::Fit;
        use crate::logistic::LogisticRegressionParams;
        const FEATURES: [&str; 4] = ["recency_days", "frequency", "monetary", "returns_value"];
        let rows = 200;
        let columns: Vec<Vec<f64>> = (0..4)
            .map(|c| {
                (0..rows)
                    .map(|i| ((i * (c + 3)) % 97) as f64 + 1.0)
                    .collect()
            })
            .collect();
        let labels: Vec<bool> = (0..rows).map(|i| columns[0][i] < 40.0).collect();
        let answering = |names: &[&str], name: &str| {
            let chosen: Vec<(&str, &[f64])> = names
                .iter()
                .map(|n| {
                    (
                        *n,
                        columns[FEATURES.iter().position(|f| f == n).unwrap()].as_slice(),
                    )
                })
                .collect();
            let matrix = model_matrix(&chosen).unwrap();
            let model = AnyClassifier::Logistic(
                LogisticRegressionParams::default()
                    .validate()
                    .unwrap()
                    .fit(&matrix, &labels)
                    .unwrap(),
            );
            let file = ModelFile {
                format_version: MODEL_FILE_VERSION,
                rebuy_version: String::new(),
                name: name.to_string(),
                kind: "logistic_regression".to_string(),
                chosen: name != RFM_ONLY,
                training_window: TrainingWindow {
                    as_of: "2010-01-01".into(),
                    horizon_days: 90,
                    customers: rows,
                    buyers: 80,
                    pooled_with: Vec::new(),
                },
                feature_names: model.feature_names().to_vec(),
                training_ranges: chosen
                    .iter()
                    .map(|(n, v)| (n.to_string(), FeatureRange::of(v).unwrap()))
                    .collect(),
                monotone: BTreeMap::new(),
                preprocessing: PREPROCESSING.into(),
                calibration: None,
                churn_risk_thresholds: DEFAULT_CHURN_RISK_THRESHOLDS,
                test_metrics: TestMetrics {
                    roc_auc: 0.75,
                    pr_auc: 0.5,
                    log_loss: 0.5,
                    brier: 0.2,
                },
                model: serde_json::from_str(&model.to_json().unwrap()).unwrap(),
            };
            Answering::new(file, model)
        };
        Scorer::new(
            answering(&FEATURES, "logistic_regression"),
            Some(answering(&RFM_FIELDS, RFM_ONLY)),
            Arc::new(RfmReference::new(
                [columns[0].clone(), columns[1].clone(), columns[2].clone()],
                SegmentMap::default(),
            )),
            None,
            None,
            Population::new(&[0.1, 0.5, 0.9]).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_prediction_is_made_by_a_model_fitted_on_exactly_the_given_features() {
        let scorer = scorer();
        let rfm = [
            ("recency_days", 5.0),
            ("frequency", 3.0),
            ("monetary", 50.0),
        ];
        let score = scorer.score(&rfm).unwrap();
        assert_eq!(score.answered_by.model, RFM_ONLY);
        assert_eq!(score.answered_by.inputs, RFM_FIELDS);
        assert_eq!(score.answered_by.test_roc_auc, 0.75);
        // A buy-till-you-die input is used for P(alive) only, and the answer says so.
        let with_tenure = [rfm.as_slice(), &[("tenure_days", 300.0)]].concat();
        let score = scorer.score(&with_tenure).unwrap();
        assert_eq!(score.answered_by.model, RFM_ONLY);
        assert_eq!(score.not_used_by_model, ["tenure_days"]);
        // Every feature: the chosen model.
        let all = [rfm.as_slice(), &[("returns_value", 4.0)]].concat();
        let score = scorer.score(&all).unwrap();
        assert_eq!(score.answered_by.model, "logistic_regression");
        assert!(score.not_used_by_model.is_empty());
        // Any other subset is refused, naming what is missing; never imputed.
        let error = scorer
            .score(&[("recency_days", 5.0), ("frequency", 3.0)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("monetary"), "{error}");
        let without_rfm_only = Scorer {
            rfm_only: None,
            ..scorer
        };
        let error = without_rfm_only.score(&rfm).unwrap_err().to_string();
        assert!(error.contains("also needs returns_value"), "{error}");
    }

    #[test]
    fn an_input_beyond_the_training_customers_is_named_in_the_answer() {
        let scorer = scorer();
        let inside = scorer
            .score(&[
                ("recency_days", 97.0),
                ("frequency", 1.0),
                ("monetary", 50.0),
            ])
            .unwrap();
        assert!(inside.outside_training_range.is_empty());
        assert!(!inside.explanation(90, [0.25, 0.5]).contains("never saw"));
        let lapsed = scorer
            .score(&[
                ("recency_days", 400.0),
                ("frequency", 1.0),
                ("monetary", 0.5),
            ])
            .unwrap();
        let named: Vec<(&str, f64, f64, f64)> = lapsed
            .outside_training_range
            .iter()
            .map(|o| (o.feature.as_str(), o.value, o.trained_min, o.trained_max))
            .collect();
        assert_eq!(
            named,
            [
                ("recency_days", 400.0, 1.0, 97.0),
                ("monetary", 0.5, 1.0, 97.0)
            ]
        );
        let explanation = lapsed.explanation(90, [0.25, 0.5]);
        assert!(
            explanation.contains("recency_days 400 (fitted on 1 to 97)"),
            "{explanation}"
        );
        assert_eq!(FeatureRange::of(&[f64::NAN]), None);
        assert_eq!(
            FeatureRange::of(&[3.0, f64::NAN, -1.0]),
            Some(FeatureRange {
                min: -1.0,
                max: 3.0
            })
        );
    }

    #[test]
    fn no_chance_reads_as_certain() {
        let words = [0.0, 0.004, 0.006, 0.5, 0.994, 0.995, 0.99999, 1.0].map(|p| chance(p, 0));
        assert_eq!(
            words,
            [
                "under 1%", "under 1%", "1%", "50%", "99%", "over 99%", "over 99%", "over 99%"
            ]
        );
        let chances = [0.0, 0.0004, 0.0006, 0.5, 0.9994, 0.9995, 1.0].map(|p| chance(p, 1));
        assert_eq!(
            chances,
            [
                "under 0.1%",
                "under 0.1%",
                "0.1%",
                "50.0%",
                "99.9%",
                "over 99.9%",
                "over 99.9%"
            ]
        );
    }

    #[test]
    fn a_net_spend_of_zero_or_less_is_the_lowest_m_score() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        let reference = RfmReference::new(
            [values.clone(), values.clone(), values],
            SegmentMap::default(),
        );
        assert_eq!(reference.score(0.0, 99.0, 0.0).m_score, 1);
        assert_eq!(reference.score(0.0, 99.0, -50.0).m_score, 1);
        assert_eq!(reference.score(0.0, 99.0, 99.0).m_score, 5);
    }

    #[test]
    fn a_single_purchase_gap_is_the_tenure() {
        let gap = [f64::NAN, 3.0];
        let tenure = [40.0, 50.0];
        let matrix = model_matrix(&[
            ("mean_days_between_purchases", &gap),
            ("tenure_days", &tenure),
        ])
        .unwrap();
        assert_eq!(matrix.values(), [40.0, 40.0, 3.0, 50.0]);
    }

    #[test]
    fn rfm_scores_use_the_runs_quintiles() {
        let recency: Vec<f64> = (0..100).map(f64::from).collect();
        let reference = RfmReference::new(
            [recency.clone(), recency.clone(), recency],
            SegmentMap::default(),
        );
        let best = reference.score(0.0, 1000.0, 1000.0);
        assert_eq!((best.r_score, best.f_score, best.m_score), (5, 5, 5));
        assert_eq!(best.segment, "Champions");
        assert_eq!(reference.score(1000.0, 0.0, 0.0).segment, "Hibernating");
        assert_eq!(reference.customers(), 100);
    }
}
