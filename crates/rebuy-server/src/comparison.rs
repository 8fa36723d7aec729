//! The model comparison of a run: `metrics.json` as `rebuy run` writes it
//! (crates/rebuy/src/purchase.rs), read for the Models page and `GET /api/models`.

use rebuy_models::btyd::{FitRecord, HoldoutComparison};
use rebuy_models::metrics::Confusion;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `metrics.json`: the evaluation, one row per model, and the model served.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Comparison {
    /// Why the run fitted no purchase model (then nothing else is set but `btyd_fits`).
    pub skipped: Option<String>,
    /// Test date: features at this date, labels in the horizon after it.
    pub as_of: String,
    pub horizon_days: u32,
    /// `out_of_time` or `random`.
    pub evaluation: String,
    pub train_as_of: String,
    /// Earlier windows pooled into the training customers (`--training-windows`).
    pub pooled_training_windows: Vec<String>,
    pub n_train: usize,
    pub n_validation: usize,
    pub n_test: usize,
    pub positive_rate: f64,
    pub baseline: String,
    /// The selection rule the run used.
    pub chosen_by: String,
    pub missing_values: String,
    pub preprocessing: String,
    pub models: Vec<ModelReport>,
    pub chosen: String,
    /// How each buy-till-you-die fit of the run went.
    pub btyd_fits: Vec<FitRecord>,
    /// The transaction models checked on a hold-out period, and the one that serves.
    pub btyd_comparison: Option<HoldoutComparison>,
}

/// One model's test results: the numbers (`GET /api/models` shows them as they are),
/// then the curves the Models page draws.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModelReport {
    #[serde(flatten)]
    pub summary: ModelSummary,
    pub feature_importance: Vec<FeatureImportance>,
    pub roc_curve: Vec<RocPoint>,
    pub pr_curve: Vec<PrPoint>,
    pub calibration: Vec<CalibrationBin>,
    pub lift: Vec<DecileRow>,
}

/// One model of the comparison: test metrics on the run's evaluation customers.
#[derive(Debug, Default, Clone, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct ModelSummary {
    pub name: String,
    /// ROC-AUC on the validation slice the choice was made on.
    pub validation_roc_auc: f64,
    pub accuracy: f64,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    pub brier: f64,
    /// Test customers by actual and predicted class at 0.5: `threshold`, `tn`, `fp`,
    /// `fn`, `tp`.
    #[schema(value_type = Object)]
    pub confusion_matrix: Confusion,
    /// The same at the threshold with the best F1 score.
    #[schema(value_type = Object)]
    pub confusion_matrix_best_f1: Confusion,
    pub fit_seconds: f64,
    pub predict_seconds: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FeatureImportance {
    pub feature: String,
    pub importance: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RocPoint {
    pub false_positive_rate: f64,
    pub true_positive_rate: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PrPoint {
    pub precision: f64,
    pub recall: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CalibrationBin {
    pub customers: u64,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecileRow {
    pub decile: u32,
    /// Test customers in the decile, and how many of them bought in the horizon.
    pub customers: u64,
    pub buyers: u64,
    pub response_rate: f64,
    pub lift: f64,
    pub cumulative_gain: f64,
}

impl Comparison {
    /// The served model's row.
    pub fn served(&self) -> Option<&ModelReport> {
        self.models.iter().find(|m| m.summary.name == self.chosen)
    }

    /// How the models were tested, in words.
    pub fn evaluation_words(&self) -> &'static str {
        match self.evaluation.as_str() {
            "random" => "a seeded stratified 80/20 split of the customers",
            _ => "out of time: fitted on one as-of date, tested on a later one",
        }
    }
}
