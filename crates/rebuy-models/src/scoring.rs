//! Scoring customers with a run's saved models: the one implementation behind
//! `rebuy run` (customers.csv), `rebuy predict`, `rebuy score` and the server's
//! `POST /api/predict` and batch upload.
//!
//! A [`Scorer`] holds the chosen purchase model ([`ModelFile`] + classifier), the run's
//! R/F/M values and segment map ([`RfmReference`]), its KMeans model ([`ClusterModel`])
//! and the purchase probabilities of its scored customers ([`Population`]). From a
//! customer's fields it gives the purchase probability, the churn-risk band and
//! probability percentile (against the run's customers, so a customer's band does not
//! depend on who else is scored with them), the RFM scores and segment and the cluster.
//!
//! ```no_run
//! # fn scorer() -> rebuy_models::scoring::Scorer { unimplemented!() }
//! let scorer = scorer();
//! let score = scorer.score(&[("recency_days", 12.0), ("frequency", 5.0), ("monetary", 800.0)])?;
//! println!("{:.2} ({:?} risk)", score.purchase_probability, score.churn_risk);
//! # Ok::<(), rebuy_models::Error>(())
//! ```

use crate::btyd::{BetaGeoModel, ClvParams, CustomerSummary, GammaGammaModel};
use crate::classifier::AnyClassifier;
use crate::kmeans::KMeans;
use crate::matrix::Matrix;
use crate::rfm::{SegmentMap, score_against};
use crate::scale::Scaler;
use crate::time_unit::TimeUnit;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Layout version of `models/<name>.json` (the envelope around the classifier's file).
pub const MODEL_FILE_VERSION: u32 = 1;
/// What the models do with features a caller does not give.
pub const MISSING_VALUES: &str = "missing features are NaN: the trees send them the way \
     learnt at each split, logistic regression imputes the training mean";
/// Preprocessing applied before every model, at fitting and at scoring.
pub const PREPROCESSING: &str = "mean_days_between_purchases of a customer with one \
     purchase day (empty) is their tenure_days; other missing values stay NaN";
/// The fields every scored customer must have, in R, F, M order.
pub const RFM_FIELDS: [&str; 3] = ["recency_days", "frequency", "monetary"];

/// `models/<name>.json`, written by `rebuy run`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ModelFile {
    pub format_version: u32,
    pub rebuy_version: String,
    pub name: String,
    pub chosen: bool,
    /// The window the saved model was fitted on: features at `as_of`, labels from the
    /// `horizon_days` days from `as_of` on.
    pub training_window: TrainingWindow,
    pub feature_names: Vec<String>,
    pub preprocessing: String,
    pub missing_values: String,
    /// Test metrics of this model in the evaluation (see metrics.json).
    pub test_metrics: TestMetrics,
    /// The classifier's own file (format version, kind, parameters, fitted state).
    pub model: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingWindow {
    pub as_of: String,
    pub horizon_days: u32,
    pub customers: usize,
    pub buyers: usize,
}

#[derive(Debug, Serialize, Deserialize)]
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

/// How likely a customer is to lapse: the run's customers in thirds of purchase
/// probability, the lowest third at `High` risk.
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

    /// Share of the customers scored at or below `probability` (in %), and the band:
    /// `High` risk up to a third, `Medium` up to two thirds, `Low` above.
    pub fn rank(&self, probability: f64) -> (f64, ChurnRisk) {
        let n = self.sorted.len();
        let at_or_below = self.sorted.partition_point(|p| *p <= probability);
        let risk = if 3 * at_or_below <= n {
            ChurnRisk::High
        } else if 3 * at_or_below <= 2 * n {
            ChurnRisk::Medium
        } else {
            ChurnRisk::Low
        };
        (100.0 * at_or_below as f64 / n as f64, risk)
    }
}

/// `churn_risk` and `probability_percentile` of customers scored together, each against
/// all of them (the customers.csv columns of a run); `None` when no probability is
/// finite.
pub fn risk_columns(probability: &[f64]) -> Option<(Vec<ChurnRisk>, Vec<f64>)> {
    let population = Population::new(probability).ok()?;
    Some(
        probability
            .iter()
            .map(|&p| {
                let (percentile, risk) = population.rank(p);
                (risk, percentile)
            })
            .unzip(),
    )
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

    /// Scores against the run's quintiles (recency reversed: most recent = 5).
    pub fn score(&self, recency_days: f64, frequency: f64, monetary: f64) -> RfmScores {
        let r_score = score_against(&self.sorted[0], recency_days, true);
        let f_score = score_against(&self.sorted[1], frequency, false);
        let m_score = score_against(&self.sorted[2], monetary, false);
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
    /// `btyd_recency_<unit>`, `btyd_t_<unit>`) and `btyd_monetary_value`.
    pub fn scores(
        &self,
        summary: &CustomerSummary<'_>,
        monetary_value: &[f64],
    ) -> Result<LifetimeColumns> {
        let model = &self.transactions;
        let spend = self.spend.as_ref().map(|spend| {
            let order_value =
                spend.expected_average_order_value(summary.frequency(), monetary_value)?;
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
}

/// Why a customer has no [`Lifetime`] scores: fields missing, or no model.
const LIFETIME_NEEDS_TENURE: &str = "P(alive) and CLV need tenure_days (or btyd_t_<unit> and \
     btyd_recency_<unit>)";
const LIFETIME_NO_MODEL: &str = "the run has no buy-till-you-die model (models/btyd.json)";

/// Everything needed to score a customer against one run; built once, then only read.
#[derive(Debug)]
pub struct Scorer {
    pub file: ModelFile,
    model: AnyClassifier,
    /// Shared with the run's other readers: it holds three sorted columns.
    pub rfm: Arc<RfmReference>,
    pub clusters: Option<ClusterModel>,
    pub lifetime: Option<LifetimeModel>,
    population: Population,
}

/// One scored customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerScore {
    /// Probability of at least one purchase in the model's horizon.
    pub purchase_probability: f64,
    pub churn_risk: ChurnRisk,
    /// Share of the run's customers scored at or below this one, in %.
    pub probability_percentile: f64,
    pub rfm: RfmScores,
    pub cluster: Option<Cluster>,
    /// P(alive) and CLV, or why there are none (a sentence).
    pub lifetime: std::result::Result<Lifetime, String>,
}

impl Scorer {
    pub fn new(
        file: ModelFile,
        model: AnyClassifier,
        rfm: Arc<RfmReference>,
        clusters: Option<ClusterModel>,
        lifetime: Option<LifetimeModel>,
        population: Population,
    ) -> Self {
        Scorer {
            file,
            model,
            rfm,
            clusters,
            lifetime,
            population,
        }
    }

    /// The model's features, in its column order.
    pub fn feature_names(&self) -> &[String] {
        &self.file.feature_names
    }

    pub fn horizon_days(&self) -> u32 {
        self.file.training_window.horizon_days
    }

    /// `purchase_probability` of `rows` customers given as named columns of that length;
    /// model features not given are NaN ([`MISSING_VALUES`]), names that are not model
    /// features are ignored.
    pub fn purchase_probabilities(
        &self,
        rows: usize,
        given: &[(&str, &[f64])],
    ) -> Result<Vec<f64>> {
        if rows == 0 {
            return Ok(Vec::new());
        }
        let missing = vec![f64::NAN; rows];
        let columns: Vec<(&str, &[f64])> = self
            .feature_names()
            .iter()
            .map(|name| {
                let values = given
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(missing.as_slice(), |(_, v)| *v);
                (name.as_str(), values)
            })
            .collect();
        self.model.predict_proba(&model_matrix(&columns)?)
    }

    /// Churn-risk band and percentile of a probability among the run's customers.
    pub fn rank(&self, probability: f64) -> (f64, ChurnRisk) {
        self.population.rank(probability)
    }

    /// Scores one customer from named fields; [`RFM_FIELDS`] are required, other model
    /// features are optional.
    pub fn score(&self, given: &[(&str, f64)]) -> Result<CustomerScore> {
        let [recency_days, frequency, monetary] = RFM_FIELDS.map(|name| {
            given
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(f64::NAN, |(_, v)| *v)
        });
        if let Some((name, value)) = given.iter().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite {
                feature: name.to_string(),
                row: 0,
                value: *value,
            });
        }
        let values: Vec<[f64; 1]> = given.iter().map(|(_, v)| [*v]).collect();
        let columns: Vec<(&str, &[f64])> = given
            .iter()
            .zip(&values)
            .map(|((name, _), value)| (*name, value.as_slice()))
            .collect();
        let purchase_probability = self.purchase_probabilities(1, &columns)?[0];
        let (probability_percentile, churn_risk) = self.rank(purchase_probability);
        let cluster = match &self.clusters {
            Some(clusters) => Some(clusters.assign(recency_days, frequency, monetary)?),
            None => None,
        };
        Ok(CustomerScore {
            purchase_probability,
            churn_risk,
            probability_percentile,
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
    /// frequency for a repeat customer, else 0.
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
        let monetary_value = field("btyd_monetary_value").unwrap_or(match (frequency, monetary) {
            (Some(f), Some(m)) if repeats > 0.0 => m / f,
            _ => 0.0,
        });
        let recency = if repeats > 0.0 { recency } else { 0.0 };
        let columns = [[repeats], [recency], [t]];
        let summary = match CustomerSummary::new(&columns[0], &columns[1], &columns[2]) {
            Ok(summary) => summary,
            Err(e) => return Ok(Err(format!("P(alive) and CLV not computed: {e}"))),
        };
        let scores = model.scores(&summary, &[monetary_value])?;
        let spend = scores.spend.and_then(|s| s.ok());
        Ok(Ok(Lifetime {
            p_alive: scores.p_alive[0],
            expected_purchases: scores.expected_purchases[0],
            horizon_days: model.horizon_days,
            expected_order_value: spend.as_ref().map(|s| s.0[0]),
            clv: spend.as_ref().map(|s| s.1[0]),
            clv_months: model.clv_months,
        }))
    }

    /// Model features a caller did not give (they are NaN for the model).
    pub fn missing_features<'a>(&'a self, given: &[(&str, f64)]) -> Vec<&'a str> {
        self.feature_names()
            .iter()
            .filter(|name| !given.iter().any(|(n, _)| n == name))
            .map(String::as_str)
            .collect()
    }
}

impl CustomerScore {
    /// What the score means, in two or three plain sentences.
    pub fn explanation(&self, horizon_days: u32) -> String {
        let risk = match self.churn_risk {
            ChurnRisk::High => "high churn risk: among the least likely third of customers",
            ChurnRisk::Medium => "medium churn risk: in the middle third of customers",
            ChurnRisk::Low => "low churn risk: among the likeliest third of customers",
        };
        let cluster = self
            .cluster
            .as_ref()
            .map_or_else(String::new, |c| format!(", cluster \"{}\"", c.name));
        format!(
            "A {:.0}% chance of buying again in the next {horizon_days} days, as likely as \
             or likelier than {:.0}% of this run's customers: {risk}. RFM scores R{} F{} M{} \
             put the customer in \"{}\"{cluster}.",
            100.0 * self.purchase_probability,
            self.probability_percentile,
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
    fn risk_bands_put_the_lowest_third_at_high_risk() {
        let (risk, percentile) = risk_columns(&[0.9, 0.1, 0.5, 0.5, 0.2, 0.8]).unwrap();
        let risk: Vec<&str> = risk.into_iter().map(ChurnRisk::as_str).collect();
        assert_eq!(risk, ["Low", "High", "Medium", "Medium", "High", "Low"]);
        assert_eq!(format!("{:.1}", percentile[1]), "16.7");
        assert_eq!(format!("{:.1}", percentile[2]), "66.7");
        assert_eq!(percentile[0], 100.0);
        assert!(risk_columns(&[f64::NAN]).is_none());
    }

    #[test]
    fn a_new_probability_is_ranked_against_the_run() {
        let population = Population::new(&[0.1, 0.2, 0.3, f64::NAN]).unwrap();
        assert_eq!(population.rank(0.0), (0.0, ChurnRisk::High));
        assert_eq!(population.rank(0.25).1, ChurnRisk::Medium);
        assert_eq!(population.rank(0.99), (100.0, ChurnRisk::Low));
        assert!(Population::new(&[f64::NAN]).is_err());
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
