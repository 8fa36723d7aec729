//! Purchase prediction in `rebuy run`: labels in the `horizon_days` days from an as-of
//! date, out-of-time (or random) evaluation of the classifiers against a recency
//! baseline, the choice of a model on a validation slice, the refit on the most recent
//! complete window, and every customer's `purchase_probability`.
//!
//! Writes `metrics.json` and `models/<name>.json` (see docs/definitions.md).

use crate::btyd;
use crate::customers_csv::CustomerColumn;
use crate::plots;
use crate::run_folder::RunFolder;
use crate::sample::{Sample, splitmix64};
use anyhow::{Context, Result};
use rebuy_features::{AsOf, CustomerFeatures, FeatureEngine, TimeUnit};
use rebuy_models::boosting::BoostedTreesParams;
use rebuy_models::classifier::{AnyClassifier, Classifier, Fit};
use rebuy_models::forest::RandomForestParams;
use rebuy_models::logistic::LogisticRegressionParams;
use rebuy_models::matrix::Matrix;
use rebuy_models::metrics::{self, ClassifierMetrics, Confusion};
use rebuy_models::scoring::{
    ChurnRisk, MISSING_VALUES, MODEL_FILE_VERSION, ModelFile, PREPROCESSING, TestMetrics,
    TrainingWindow, model_matrix, risk_columns,
};
use serde::Serialize;
use std::borrow::Cow;
use std::time::Instant;

/// Fewest buyers and fewest non-buyers a training window needs (a stratified 20 %
/// validation slice then holds at least one of each).
const MIN_PER_CLASS: usize = 5;
/// Share of the training window held out to choose the model, and of the customers
/// held out for testing with `--evaluation random`.
const HOLD_OUT: f64 = 0.2;
/// Boosting stops after this many rounds without a better validation log loss.
const EARLY_STOPPING_ROUNDS: usize = 30;
/// Forest leaves keep at least this many rows, and trees stop at this depth: smoother
/// probabilities and a model file a tenth of the fully grown one's size, with a better
/// ROC-AUC on the real sheet (docs/classifiers.md, "Forest size").
const FOREST_MIN_SAMPLES_LEAF: usize = 20;
const FOREST_MAX_DEPTH: u32 = 8;
/// The default of `--max-model-customers`.
pub const DEFAULT_MAX_MODEL_CUSTOMERS: u64 = 500_000;
/// Rows of the scored customers' model matrix built and scored at a time.
const SCORING_CHUNK_ROWS: usize = 1 << 16;
/// The name of the naive baseline row in `metrics.json`.
pub const BASELINE: &str = "baseline_recency";
/// How the models are tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluation {
    /// Fit at as_of - H, test on every customer at as_of
    OutOfTime,
    /// A seeded stratified 80/20 split of the customers at one as-of date
    Random,
}

/// Why the purchase models were not fitted, in words the user can act on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Skip(String);

/// The purchase stage of a run.
pub enum Purchase {
    /// `purchase_probability` of every scored customer, from the chosen model.
    Scored(Vec<f64>),
    Skipped(String),
}

impl Purchase {
    /// The customers.csv columns: `purchase_probability`, `churn_risk`,
    /// `probability_percentile` (none when skipped; empty cells when no probability is
    /// finite).
    pub fn customer_columns(&self) -> Vec<(&'static str, CustomerColumn<'_>)> {
        let Purchase::Scored(probability) = self else {
            return Vec::new();
        };
        let (risk, percentile) = match risk_columns(probability) {
            Some((risk, percentile)) => (
                CustomerColumn::Labels {
                    names: ChurnRisk::ALL.map(|r| r.as_str().to_string()).into(),
                    index: Cow::Owned(risk.into_iter().map(|r| r as usize).collect()),
                },
                percentile,
            ),
            None => (
                CustomerColumn::Labels {
                    names: vec![String::new()],
                    index: Cow::Owned(vec![0; probability.len()]),
                },
                vec![f64::NAN; probability.len()],
            ),
        };
        vec![
            (
                "purchase_probability",
                CustomerColumn::Numbers(Cow::Borrowed(probability)),
            ),
            ("churn_risk", risk),
            (
                "probability_percentile",
                CustomerColumn::OneDecimal(percentile),
            ),
        ]
    }
}

/// How the purchase models are fitted and tested.
#[derive(Debug, Clone, Copy)]
pub struct PurchaseSettings {
    pub horizon_days: u32,
    pub evaluation: Evaluation,
    /// Most customers in a window the models are fitted or tested on (see [`Sample`]).
    pub max_customers: u64,
    pub seed: u64,
}

/// Fits, evaluates and saves the models, then scores `scored` (features at the run's
/// as-of date). Data that cannot train a model give [`Purchase::Skipped`], not an error.
pub fn purchase_stage(
    engine: &FeatureEngine,
    scored: &CustomerFeatures,
    settings: PurchaseSettings,
    folder: &RunFolder,
) -> Result<Purchase> {
    match fit_and_score(engine, scored, settings, folder) {
        Ok(purchase) => Ok(purchase),
        Err(error) => match error.downcast::<Skip>() {
            Ok(Skip(reason)) => {
                folder.write_json("metrics.json", &serde_json::json!({ "skipped": reason }))?;
                Ok(Purchase::Skipped(reason))
            }
            Err(error) => Err(error),
        },
    }
}

/// Customers of one window: features at `as_of` and whether (and on how many days)
/// they bought in the `horizon_days` days from `as_of` on.
struct Window {
    as_of: AsOf,
    part: Part,
}

impl Window {
    fn at(engine: &FeatureEngine, as_of: AsOf, horizon_days: u32, sample: Sample) -> Result<Self> {
        if as_of.day() <= engine.first_sale().day() {
            return Err(Skip(format!(
                "the purchase models need customers with history before {as_of} and \
                 {horizon_days} days after it, but the sales run from {} to {}: choose a \
                 shorter --horizon-days",
                engine.first_sale(),
                engine.last_sale()
            ))
            .into());
        }
        let features = engine.customer_features_of(as_of, |id| sample.keeps(id))?;
        let purchase_days = engine.purchase_days(&features.customer_id, as_of, horizon_days)?;
        Ok(Window {
            as_of,
            part: Part {
                features: model_matrix(&features.columns())?,
                labels: purchase_days.iter().map(|&days| days > 0).collect(),
                purchase_days: purchase_days.into_iter().map(f64::from).collect(),
                recency_days: features.recency_days,
            },
        })
    }

    fn check_trainable(&self, horizon_days: u32) -> Result<()> {
        let buyers = self.part.labels.iter().filter(|&&b| b).count();
        let others = self.part.labels.len() - buyers;
        let advice = "choose an earlier --as-of or a shorter --horizon-days";
        if buyers == 0 {
            return Err(Skip(format!(
                "no customer bought in the {horizon_days} days from {} on: {advice}",
                self.as_of
            ))
            .into());
        }
        if others == 0 {
            return Err(Skip(format!(
                "every customer bought in the {horizon_days} days from {} on, so there is \
                 nothing to tell apart: {advice}",
                self.as_of
            ))
            .into());
        }
        if buyers < MIN_PER_CLASS || others < MIN_PER_CLASS {
            return Err(Skip(format!(
                "the training window at {} has {buyers} buyers and {others} non-buyers in \
                 the next {horizon_days} days; the models need at least {MIN_PER_CLASS} of \
                 each: use more data, {advice}",
                self.as_of
            ))
            .into());
        }
        Ok(())
    }
}

/// A set of customers with features, labels and recency (for the baseline).
struct Part {
    features: Matrix,
    labels: Vec<bool>,
    /// Distinct purchase days in the label horizon (the BTYD hold-out purchases).
    purchase_days: Vec<f64>,
    recency_days: Vec<f64>,
}

impl Part {
    fn select(&self, rows: &[usize]) -> Result<Part> {
        Ok(Part {
            features: self.features.select_rows(rows),
            labels: rows.iter().map(|&i| self.labels[i]).collect(),
            purchase_days: rows.iter().map(|&i| self.purchase_days[i]).collect(),
            recency_days: rows.iter().map(|&i| self.recency_days[i]).collect(),
        })
    }
}

/// A seeded stratified split: `(kept, held_out)` row indices, `share` of each class
/// held out (at least one row of a class with two or more).
fn stratified_split(labels: &[bool], share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut kept = Vec::new();
    let mut held_out = Vec::new();
    for class in [false, true] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        // Fisher-Yates with splitmix64: deterministic for a seed on every platform.
        for i in (1..rows.len()).rev() {
            let j = (splitmix64(&mut state) % (i as u64 + 1)) as usize;
            rows.swap(i, j);
        }
        let n_out = ((rows.len() as f64 * share).round() as usize)
            .max(usize::from(rows.len() >= 2))
            .min(rows.len().saturating_sub(1));
        held_out.extend_from_slice(&rows[..n_out]);
        kept.extend_from_slice(&rows[n_out..]);
    }
    kept.sort_unstable();
    held_out.sort_unstable();
    (kept, held_out)
}

/// The classifiers compared, by their name in `metrics.json`.
const MODELS: [&str; 3] = ["logistic_regression", "random_forest", "gradient_boosting"];

/// Fits model `name`; boosting stops early on `validation` when given and otherwise
/// trains `boosting_rounds` trees.
fn fit_model(
    name: &str,
    train: &Part,
    validation: Option<&Part>,
    boosting_rounds: Option<usize>,
    seed: u64,
) -> Result<AnyClassifier> {
    let (features, labels) = (&train.features, train.labels.as_slice());
    Ok(match name {
        "logistic_regression" => AnyClassifier::Logistic(
            LogisticRegressionParams::default()
                .validate()?
                .fit(features, labels)?,
        ),
        "random_forest" => AnyClassifier::Forest(
            RandomForestParams::default()
                .min_samples_leaf(FOREST_MIN_SAMPLES_LEAF)
                .max_depth(Some(FOREST_MAX_DEPTH))
                .seed(seed)
                .validate()?
                .fit(features, labels)?,
        ),
        _ => {
            let mut params = BoostedTreesParams::default().seed(seed);
            if let Some(rounds) = boosting_rounds {
                params = params.n_trees(rounds.max(1));
            }
            let valid = validation.map(|v| (&v.features, v.labels.as_slice()));
            if valid.is_some() {
                params = params.early_stopping_rounds(Some(EARLY_STOPPING_ROUNDS));
            }
            AnyClassifier::Boosted(
                params
                    .validate()?
                    .fit_with_validation(features, labels, valid)?,
            )
        }
    })
}

/// The baseline's score: decreasing in recency, in (0, 1] so that every metric applies
/// (ranking metrics equal those of -recency).
fn baseline_scores(recency_days: &[f64]) -> Vec<f64> {
    recency_days
        .iter()
        .map(|r| 1.0 / (1.0 + r.max(0.0)))
        .collect()
}

#[derive(Debug, Serialize)]
struct FeatureImportance {
    feature: String,
    importance: f64,
}

/// One row of `metrics.json`'s `models`: test metrics, plus the validation ROC-AUC the
/// choice was made on.
#[derive(Debug, Serialize)]
struct ModelReport {
    name: String,
    validation_roc_auc: f64,
    accuracy: f64,
    roc_auc: f64,
    pr_auc: f64,
    log_loss: f64,
    brier: f64,
    confusion_matrix: Confusion,
    confusion_matrix_best_f1: Confusion,
    fit_seconds: f64,
    predict_seconds: f64,
    feature_importance: Vec<FeatureImportance>,
    roc_curve: Vec<metrics::RocPoint>,
    pr_curve: Vec<metrics::PrPoint>,
    calibration: Vec<metrics::CalibrationBin>,
    lift: Vec<metrics::DecileRow>,
}

impl ModelReport {
    fn new(name: &str, validation_roc_auc: f64, test: ClassifierMetrics, timing: [f64; 2]) -> Self {
        ModelReport {
            name: name.to_string(),
            validation_roc_auc,
            accuracy: test.accuracy,
            roc_auc: test.roc_auc,
            pr_auc: test.average_precision,
            log_loss: test.log_loss,
            brier: test.brier_score,
            confusion_matrix: (&test.confusion_at_half).into(),
            confusion_matrix_best_f1: (&test.confusion_at_best_f1).into(),
            fit_seconds: timing[0],
            predict_seconds: timing[1],
            feature_importance: Vec::new(),
            roc_curve: thinned(test.roc_curve),
            pr_curve: thinned(test.pr_curve),
            calibration: test.calibration,
            lift: test.deciles,
        }
    }
}

/// Most curve points kept in metrics.json (a curve has up to one point per customer).
const MAX_CURVE_POINTS: usize = 201;

/// At most [`MAX_CURVE_POINTS`] evenly spaced points of a curve, first and last kept.
fn thinned<T>(points: Vec<T>) -> Vec<T> {
    let n = points.len();
    if n <= MAX_CURVE_POINTS {
        return points;
    }
    let step = (n - 1) as f64 / (MAX_CURVE_POINTS - 1) as f64;
    let mut keep = (0..MAX_CURVE_POINTS)
        .map(|i| (i as f64 * step).round() as usize)
        .peekable();
    points
        .into_iter()
        .enumerate()
        .filter_map(|(i, point)| {
            if keep.peek() == Some(&i) {
                while keep.peek() == Some(&i) {
                    keep.next();
                }
                Some(point)
            } else {
                None
            }
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct MetricsFile {
    as_of: String,
    horizon_days: u32,
    evaluation: Evaluation,
    train_as_of: String,
    n_train: usize,
    n_validation: usize,
    n_test: usize,
    positive_rate: f64,
    baseline: &'static str,
    chosen_by: &'static str,
    missing_values: &'static str,
    preprocessing: &'static str,
    /// Share of the customers of each window the models were fitted and tested on (1:
    /// all of them; below 1 for runs with more than `max_model_customers`).
    model_customer_share: f64,
    max_model_customers: u64,
    models: Vec<ModelReport>,
    chosen: String,
    final_model: TrainingWindow,
    scored_as_of: String,
}

fn fit_and_score(
    engine: &FeatureEngine,
    scored: &CustomerFeatures,
    settings: PurchaseSettings,
    folder: &RunFolder,
) -> Result<Purchase> {
    let PurchaseSettings {
        horizon_days,
        evaluation,
        seed,
        ..
    } = settings;
    let sample = Sample::new(settings.max_customers, scored.len(), seed);
    let horizon = i32::try_from(horizon_days).unwrap_or(i32::MAX);
    let scored_as_of = scored.as_of.unwrap_or_else(|| engine.default_as_of());
    // The latest as-of whose labels are complete: the horizon ends on the last sale day.
    let complete = engine.default_as_of().plus_days(-horizon);
    let test_as_of = if scored_as_of.day() <= complete.day() {
        scored_as_of
    } else {
        complete
    };
    let latest = Window::at(engine, test_as_of, horizon_days, sample)?;
    // The customer tables are the largest objects of a run with many customers: the
    // windows are moved or borrowed, never copied whole.
    let (train_as_of, train, held_out) = match evaluation {
        Evaluation::OutOfTime => {
            let window = Window::at(engine, test_as_of.plus_days(-horizon), horizon_days, sample)?;
            window.check_trainable(horizon_days)?;
            (window.as_of, window.part, None)
        }
        Evaluation::Random => {
            latest.check_trainable(horizon_days)?;
            let (kept, held_out) = stratified_split(&latest.part.labels, HOLD_OUT, seed);
            (
                test_as_of,
                latest.part.select(&kept)?,
                Some(latest.part.select(&held_out)?),
            )
        }
    };
    let test = held_out.as_ref().unwrap_or(&latest.part);
    if !test.labels.iter().any(|&b| b) || test.labels.iter().all(|&b| b) {
        return Err(Skip(format!(
            "the test customers at {test_as_of} are all buyers or all non-buyers in the next \
             {horizon_days} days, so no model can be tested: choose an earlier --as-of"
        ))
        .into());
    }
    let (fit_rows, valid_rows) = stratified_split(&train.labels, HOLD_OUT, seed);
    let fit_part = train.select(&fit_rows)?;
    let valid_part = train.select(&valid_rows)?;
    drop(train);

    let mut reports = Vec::new();
    let mut boosting_rounds = None;
    for name in MODELS {
        let started = Instant::now();
        let model = fit_model(name, &fit_part, Some(&valid_part), None, seed)?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let test_probability = model.predict_proba(&test.features)?;
        let predict_seconds = started.elapsed().as_secs_f64();
        let validation = metrics::roc_auc(
            &valid_part.labels,
            &model.predict_proba(&valid_part.features)?,
        )?;
        if let AnyClassifier::Boosted(boosted) = &model {
            boosting_rounds = Some(boosted.trees.len());
        }
        let mut report = ModelReport::new(
            name,
            validation,
            metrics::evaluate(&test.labels, &test_probability)?,
            [fit_seconds, predict_seconds],
        );
        report.feature_importance = model
            .feature_names()
            .iter()
            .zip(model.feature_importance())
            .map(|(feature, importance)| FeatureImportance {
                feature: feature.clone(),
                importance,
            })
            .collect();
        reports.push(report);
    }
    let chosen = reports
        .iter()
        .max_by(|a, b| a.validation_roc_auc.total_cmp(&b.validation_roc_auc))
        .map_or_else(|| MODELS[0].to_string(), |r| r.name.clone());
    let mut baseline = ModelReport::new(
        BASELINE,
        metrics::roc_auc(
            &valid_part.labels,
            &baseline_scores(&valid_part.recency_days),
        )?,
        metrics::evaluate(&test.labels, &baseline_scores(&test.recency_days))?,
        [0.0, 0.0],
    );
    baseline.feature_importance = vec![FeatureImportance {
        feature: "recency_days".to_string(),
        importance: 1.0,
    }];
    let bg_nbd = BgNbdSetting {
        horizon_days,
        unit: scored.btyd_time_unit,
        train_as_of,
        test_as_of,
    };
    if let Some(report) = bg_nbd_report(&fit_part, &valid_part, test, &bg_nbd, folder)? {
        reports.push(report);
    }
    reports.push(baseline);

    // The final models: refit on every customer of the most recent complete window.
    latest.check_trainable(horizon_days)?;
    let final_part = &latest.part;
    let training_window = TrainingWindow {
        as_of: latest.as_of.to_string(),
        horizon_days,
        customers: final_part.labels.len(),
        buyers: final_part.labels.iter().filter(|&&b| b).count(),
    };
    std::fs::create_dir_all(folder.path("models"))?;
    let mut probability = Vec::new();
    for (name, report) in MODELS.iter().zip(&reports) {
        let model = fit_model(name, final_part, None, boosting_rounds, seed)?;
        let json = match &model {
            AnyClassifier::Logistic(m) => m.to_json()?,
            AnyClassifier::Forest(m) => m.to_json()?,
            AnyClassifier::Boosted(m) => m.to_json()?,
        };
        let file = ModelFile {
            format_version: MODEL_FILE_VERSION,
            rebuy_version: env!("CARGO_PKG_VERSION").to_string(),
            name: name.to_string(),
            chosen: *name == chosen,
            training_window: training_window.clone(),
            feature_names: model.feature_names().to_vec(),
            preprocessing: PREPROCESSING.to_string(),
            missing_values: MISSING_VALUES.to_string(),
            test_metrics: TestMetrics {
                roc_auc: report.roc_auc,
                pr_auc: report.pr_auc,
                log_loss: report.log_loss,
                brier: report.brier,
            },
            model: serde_json::from_str(&json)?,
        };
        folder.write_json_compact(&format!("models/{name}.json"), &file)?;
        if *name == chosen {
            probability = score_in_chunks(&model, scored)?;
        }
    }

    let positives = test.labels.iter().filter(|&&b| b).count();
    let file = MetricsFile {
        as_of: test_as_of.to_string(),
        horizon_days,
        evaluation,
        train_as_of: train_as_of.to_string(),
        n_train: fit_part.labels.len(),
        n_validation: valid_part.labels.len(),
        n_test: test.labels.len(),
        positive_rate: positives as f64 / test.labels.len() as f64,
        baseline: "score = -recency_days (as 1 / (1 + recency_days), a probability-shaped \
                   score with the same ranking)",
        chosen_by: "best validation ROC-AUC: a seeded stratified 20 % of the training \
                    window, held out from fitting",
        missing_values: MISSING_VALUES,
        preprocessing: PREPROCESSING,
        model_customer_share: sample.share,
        max_model_customers: settings.max_customers,
        models: reports,
        chosen,
        final_model: training_window,
        scored_as_of: scored_as_of.to_string(),
    };
    folder.write_json("metrics.json", &file)?;
    print_table(&file);
    Ok(Purchase::Scored(probability))
}

/// The purchase probability of every customer of `scored`, from model matrices of
/// [`SCORING_CHUNK_ROWS`] rows: a matrix of every customer would be as large as the
/// feature table itself.
fn score_in_chunks(model: &AnyClassifier, scored: &CustomerFeatures) -> Result<Vec<f64>> {
    let columns = scored.columns();
    let mut probability = Vec::with_capacity(scored.len());
    for start in (0..scored.len()).step_by(SCORING_CHUNK_ROWS) {
        let end = (start + SCORING_CHUNK_ROWS).min(scored.len());
        let chunk: Vec<(&str, &[f64])> = columns
            .iter()
            .map(|&(name, values)| (name, &values[start..end]))
            .collect();
        probability.extend(model.predict_proba(&model_matrix(&chunk)?)?);
    }
    Ok(probability)
}

/// Where the BG/NBD row sits: its horizon, the unit of the summary, the as-of dates of
/// its fitting and test customers.
struct BgNbdSetting {
    horizon_days: u32,
    unit: TimeUnit,
    train_as_of: AsOf,
    test_as_of: AsOf,
}

/// The BG/NBD row: fitted on the summary of the fitting part, scored on the same
/// validation and test customers as the classifiers, and its calibration vs hold-out
/// picture (the test customers' summary vs what they bought in the horizon); `None`
/// (with the model's message printed) when it cannot be fitted.
fn bg_nbd_report(
    fit_part: &Part,
    valid_part: &Part,
    test: &Part,
    setting: &BgNbdSetting,
    folder: &RunFolder,
) -> Result<Option<ModelReport>> {
    let started = Instant::now();
    let (train, valid, tested) = (
        summary_columns(fit_part, setting.unit)?,
        summary_columns(valid_part, setting.unit)?,
        summary_columns(test, setting.unit)?,
    );
    let evaluation = btyd::bg_nbd_evaluation(
        &train,
        &[&valid, &tested],
        (&tested, &test.purchase_days),
        setting.horizon_days,
        setting.unit,
    );
    match evaluation {
        Ok(evaluation) => {
            let seconds = started.elapsed().as_secs_f64();
            let probability = &evaluation.probabilities;
            plots::write_calibration_holdout(
                folder,
                &evaluation.calibration_holdout,
                setting.train_as_of,
                setting.test_as_of,
                setting.horizon_days,
            )?;
            Ok(Some(ModelReport::new(
                btyd::BG_NBD,
                metrics::roc_auc(&valid_part.labels, &probability[0])?,
                metrics::evaluate(&test.labels, &probability[1])?,
                [seconds, 0.0],
            )))
        }
        Err(error) => {
            println!(
                "
BG/NBD left out of the comparison: {error}"
            );
            Ok(None)
        }
    }
}

/// The BTYD summary (frequency, recency, T in `unit`) of some customers.
fn summary_columns(part: &Part, unit: TimeUnit) -> Result<btyd::SummaryColumns> {
    let column = |name: &str| {
        part.features
            .column_names()
            .iter()
            .position(|n| n == name)
            .map(|i| part.features.column(i))
            .with_context(|| format!("the model features lack {name}"))
    };
    let [recency, t] = unit.column_names();
    Ok([column("btyd_frequency")?, column(recency)?, column(t)?])
}

fn print_table(file: &MetricsFile) {
    println!(
        "\nPurchase in the next {} days ({}; trained at {}, tested at {}: {} customers, {:.1}% buy):",
        file.horizon_days,
        match file.evaluation {
            Evaluation::OutOfTime => "out of time",
            Evaluation::Random => "random 80/20 split",
        },
        file.train_as_of,
        file.as_of,
        file.n_test,
        100.0 * file.positive_rate
    );
    println!(
        "  {:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "model", "valid AUC", "ROC-AUC", "PR-AUC", "log loss", "Brier", "fit s"
    );
    for m in &file.models {
        println!(
            "  {:<22} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>8.2}{}",
            m.name,
            m.validation_roc_auc,
            m.roc_auc,
            m.pr_auc,
            m.log_loss,
            m.brier,
            m.fit_seconds,
            if m.name == file.chosen {
                "  <- chosen"
            } else {
                ""
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_split_holds_out_a_fifth_of_each_class() {
        let labels: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect();
        let (kept, held_out) = stratified_split(&labels, 0.2, 7);
        assert_eq!(held_out.iter().filter(|&&i| labels[i]).count(), 5);
        assert_eq!(held_out.len(), 20);
        assert_eq!(kept.len() + held_out.len(), 100);
        assert_eq!(stratified_split(&labels, 0.2, 7).1, held_out);
        assert_ne!(stratified_split(&labels, 0.2, 8).1, held_out);
    }

    #[test]
    fn thinned_curves_keep_the_ends() {
        let points: Vec<usize> = (0..1000).collect();
        let kept = thinned(points);
        assert_eq!(kept.len(), MAX_CURVE_POINTS);
        assert_eq!((kept[0], kept[MAX_CURVE_POINTS - 1]), (0, 999));
        assert_eq!(thinned(vec![1, 2, 3]), [1, 2, 3]);
    }
}
