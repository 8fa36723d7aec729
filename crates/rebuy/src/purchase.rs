//! Purchase prediction in `rebuy run`: labels in the `horizon_days` days from an as-of
//! date, out-of-time (or random) evaluation of the classifiers against a recency
//! baseline, the choice of a model on a validation slice, the refit on the most recent
//! complete window, and every customer's `purchase_probability`.
//!
//! Writes `metrics.json` and `models/<name>.json` (see docs/definitions.md).

use crate::btyd::{self, Lifetime};
use crate::customers_csv::CustomerColumn;
use crate::plots;
use crate::run_folder::RunFolder;
use crate::sample::{Sample, splitmix64};
use anyhow::{Context, Result};
use rebuy_features::{AsOf, CustomerFeatures, FeatureEngine, TimeUnit};
use rebuy_models::backtest::{Cutoff, CutoffModel};
use rebuy_models::boosting::{BoostedTrees, BoostedTreesParams};
use rebuy_models::btyd::{BetaGeoVariant, FitRecord, HoldoutComparison};
use rebuy_models::calibration::PlattScaling;
use rebuy_models::classifier::{AnyClassifier, Classifier, Fit};
use rebuy_models::forest::{RandomForest, RandomForestParams};
use rebuy_models::logistic::{LogisticRegression, LogisticRegressionParams};
use rebuy_models::matrix::Matrix;
use rebuy_models::metrics::{self, ClassifierMetrics, Confusion};
use rebuy_models::monotone::{Monotone, MonotoneConstraints};
use rebuy_models::scoring::{
    ChurnRisk, FeatureRange, MODEL_FILE_VERSION, ModelFile, PREPROCESSING, RFM_FIELDS, RFM_ONLY,
    TestMetrics, TrainingWindow, model_matrix, percentile_column,
};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
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
/// The default of `--training-windows`.
pub const DEFAULT_TRAINING_WINDOWS: u32 = 1;
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

/// Why the purchase models were not fitted, in words the user can act on: an outcome of
/// the stage (metrics.json says it, the run goes on), not an error.
#[derive(Debug)]
struct Skip(String);

/// The purchase stage of a run.
pub enum Purchase {
    /// `purchase_probability` of every scored customer, from the chosen model
    /// (calibrated), and the run's churn-risk thresholds.
    Scored {
        probability: Vec<f64>,
        thresholds: [f64; 2],
    },
    Skipped(String),
}

impl Purchase {
    /// The customers.csv columns: `purchase_probability`, `churn_risk`,
    /// `probability_percentile` (none when skipped; empty cells when no probability is
    /// finite).
    pub fn customer_columns(&self) -> Vec<(&'static str, CustomerColumn<'_>)> {
        let Purchase::Scored {
            probability,
            thresholds,
        } = self
        else {
            return Vec::new();
        };
        let (risk, percentile) = match percentile_column(probability) {
            Some(percentile) => (
                CustomerColumn::Labels {
                    names: ChurnRisk::ALL.map(|r| r.as_str().to_string()).into(),
                    index: Cow::Owned(risk_index(probability, *thresholds)),
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

/// Each probability's churn-risk band as an index into [`ChurnRisk::ALL`] (a NaN, which
/// no model gives, falls in `High`).
fn risk_index(probability: &[f64], thresholds: [f64; 2]) -> Vec<usize> {
    let bands = ChurnRisk::bands(thresholds).expect("--churn-risk-thresholds are checked");
    probability
        .iter()
        .map(|&p| ChurnRisk::of(p, &bands).map_or(0, |risk| risk as usize))
        .collect()
}

/// How the purchase models are fitted and tested.
#[derive(Debug, Clone, Copy)]
pub struct PurchaseSettings {
    pub horizon_days: u32,
    pub evaluation: Evaluation,
    /// `High` churn risk below the first calibrated probability, `Medium` below the
    /// second.
    pub churn_risk_thresholds: [f64; 2],
    /// Most customers in a window the models are fitted or tested on (see [`Sample`]).
    pub max_customers: u64,
    /// Windows pooled into the training customers, `horizon_days` apart (1: the latest
    /// alone); fewer where the history runs out.
    pub training_windows: u32,
    pub seed: u64,
}

/// Fits, evaluates and saves the models, then scores `scored` (features at the run's
/// as-of date); compares the transaction models on the latest complete window and fits
/// the chosen one (with Gamma-Gamma) on `scored`. Data that cannot train a model give
/// [`Purchase::Skipped`], not an error, and the default transaction model.
pub fn purchase_stage(
    engine: &FeatureEngine,
    scored: &CustomerFeatures,
    settings: PurchaseSettings,
    folder: &RunFolder,
) -> Result<(Purchase, Lifetime)> {
    let sample = Sample::new(settings.max_customers, scored.len(), settings.seed);
    let scored_as_of = scored.as_of.unwrap_or_else(|| engine.default_as_of());
    let windows = match Windows::of(engine, scored_as_of, settings, sample)? {
        Ok(windows) => windows,
        Err(Skip(reason)) => {
            let lifetime = Lifetime::fit(
                scored,
                settings.horizon_days,
                btyd::DEFAULT_TRANSACTION_MODEL,
            );
            let file = serde_json::json!({ "skipped": reason, "btyd_fits": lifetime.fits });
            folder.write_json("metrics.json", &file)?;
            return Ok((Purchase::Skipped(reason), lifetime));
        }
    };
    let unit = scored.btyd_time_unit;
    // The transaction models' hold-out comparison (a third of the stage on the real
    // sheet, Pareto/NBD's fit most of it) beside the classifiers: it prints nothing and
    // writes nothing until it is reported below, so the output stays in one order.
    let (compared, candidates) = std::thread::scope(|scope| {
        let compared = scope
            .spawn(|| compare_transaction_models(&windows.latest, settings.horizon_days, unit));
        let candidates = Candidates::evaluate(&windows, settings, unit, Some(folder));
        (compared.join(), candidates)
    });
    let compared = compared.map_err(|_| {
        anyhow::anyhow!("the hold-out comparison of the transaction models panicked")
    })?;
    let comparison = report_comparison(compared?, folder)?;
    let chosen = comparison.as_ref().and_then(|(_, chosen)| *chosen);
    let lifetime = Lifetime::fit(
        scored,
        settings.horizon_days,
        chosen.unwrap_or(btyd::DEFAULT_TRANSACTION_MODEL),
    );
    let candidates = candidates?;
    let training_window = windows.training_window(settings.horizon_days);
    let probability = refit_and_save(
        &windows,
        &candidates,
        &training_window,
        settings,
        scored,
        folder,
    )?;
    let file = metrics_file(
        windows,
        candidates,
        training_window,
        settings,
        sample,
        (&lifetime.fits, comparison.map(|(report, _)| report)),
    );
    folder.write_json("metrics.json", &file)?;
    print_table(&file);
    Ok((
        Purchase::Scored {
            probability,
            thresholds: settings.churn_risk_thresholds,
        },
        lifetime,
    ))
}

/// The transaction models compared on a hold-out: the comparison and the model chosen to
/// serve, or why they could not be compared.
type Compared = rebuy_models::Result<(HoldoutComparison, Option<BetaGeoVariant>)>;

/// The hold-out comparison of the transaction models on `window` (the calibration
/// period ends at its as-of date, the hold-out is its label horizon).
fn compare_transaction_models(
    window: &Window,
    horizon_days: u32,
    unit: TimeUnit,
) -> Result<Compared> {
    let calibration = summary_columns(&window.part, unit)?;
    let actual = (
        window.part.purchase_days.as_slice(),
        window.purchases_per_day.as_slice(),
    );
    Ok(btyd::compare_on_holdout(
        &calibration,
        actual,
        window.as_of,
        horizon_days,
        unit,
    ))
}

/// The comparison's tracking picture, or the reason printed and `None` when the models
/// could not be compared.
fn report_comparison(
    compared: Compared,
    folder: &RunFolder,
) -> Result<Option<(HoldoutComparison, Option<BetaGeoVariant>)>> {
    match compared {
        Ok((comparison, chosen)) => {
            plots::write_tracking(folder, &comparison)?;
            Ok(Some((comparison, chosen)))
        }
        Err(error) => {
            println!("\nno hold-out comparison of the transaction models: {error}");
            Ok(None)
        }
    }
}

/// The test date of a run scored at `scored_as_of`: that date, or the latest one whose
/// `horizon_days` the data cover (the horizon ends on the last sale day).
pub(crate) fn test_as_of(engine: &FeatureEngine, scored_as_of: AsOf, horizon_days: u32) -> AsOf {
    let horizon = i32::try_from(horizon_days).unwrap_or(i32::MAX);
    let complete = engine.default_as_of().plus_days(-horizon);
    if scored_as_of.day() <= complete.day() {
        scored_as_of
    } else {
        complete
    }
}

/// One cutoff of a backtest: every model fitted at `test_as_of` - horizon and tested
/// out of time on the customers at `test_as_of`, as `rebuy run` tests them (the same
/// windows, candidates and choice; the settings' evaluation is ignored); `Err` with the
/// reason when the data cannot test there.
pub(crate) fn test_at(
    engine: &FeatureEngine,
    test_as_of: AsOf,
    settings: PurchaseSettings,
    sample: Sample,
    unit: TimeUnit,
) -> Result<Result<Cutoff, String>> {
    let settings = PurchaseSettings {
        evaluation: Evaluation::OutOfTime,
        ..settings
    };
    let windows = match Windows::of(engine, test_as_of, settings, sample)? {
        Ok(windows) => windows,
        Err(Skip(reason)) => return Ok(Err(reason)),
    };
    if windows.latest.as_of != test_as_of {
        return Ok(Err(format!(
            "the {}-day horizon after {test_as_of} runs past the last sale",
            settings.horizon_days
        )));
    }
    let candidates = Candidates::evaluate(&windows, settings, unit, None)?;
    let test = windows.test();
    let positives = test.labels.iter().filter(|&&b| b).count();
    let reports = candidates
        .full
        .iter()
        .map(|e| &e.report)
        .chain([&candidates.rfm_only.report])
        .chain(&candidates.bg_nbd)
        .chain([&candidates.baseline]);
    Ok(Ok(Cutoff {
        test_as_of: test_as_of.to_string(),
        train_as_of: windows.train_as_of.to_string(),
        customers: test.labels.len(),
        positive_rate: positives as f64 / test.labels.len() as f64,
        chosen: MODELS[candidates.chosen].to_string(),
        models: reports
            .map(|r| {
                Ok(CutoffModel {
                    name: r.name.clone(),
                    roc_auc: r.roc_auc,
                    pr_auc: r.pr_auc,
                    brier: r.brier,
                    top_decile_lift: r
                        .lift
                        .first()
                        .with_context(|| format!("{}: no lift deciles", r.name))?
                        .lift,
                })
            })
            .collect::<Result<_>>()?,
    }))
}

/// Customers of one window: features at `as_of` and whether (and on how many days)
/// they bought in the `horizon_days` days from `as_of` on.
struct Window {
    as_of: AsOf,
    part: Part,
    /// The customers' purchases on each day of the label horizon (the BTYD tracking
    /// curve's actual side).
    purchases_per_day: Vec<u32>,
}

impl Window {
    /// The window at `as_of`, or why there is none (no history before it).
    fn at(
        engine: &FeatureEngine,
        as_of: AsOf,
        horizon_days: u32,
        sample: Sample,
    ) -> Result<Result<Self, Skip>> {
        if as_of.day() <= engine.first_sale().day() {
            return Ok(Err(Skip(format!(
                "the purchase models need customers with history before {as_of} and \
                 {horizon_days} days after it, but the sales run from {} to {}: choose a \
                 shorter --horizon-days",
                engine.first_sale(),
                engine.last_sale()
            ))));
        }
        let features = engine.customer_features_of(as_of, |id| sample.keeps(id))?;
        let purchases = engine.holdout_purchases(&features.customer_id, as_of, horizon_days)?;
        Ok(Ok(Window {
            as_of,
            part: Part {
                features: model_matrix(&features.columns())?,
                labels: purchases
                    .per_customer
                    .iter()
                    .map(|&days| days > 0)
                    .collect(),
                purchase_days: purchases.per_customer.into_iter().map(f64::from).collect(),
                recency_days: features.recency_days,
            },
            purchases_per_day: purchases.per_day,
        }))
    }

    /// Whether the window has enough buyers and non-buyers to fit a model on.
    fn check_trainable(&self, horizon_days: u32) -> Result<(), Skip> {
        let buyers = self.part.labels.iter().filter(|&&b| b).count();
        let others = self.part.labels.len() - buyers;
        let advice = "choose an earlier --as-of or a shorter --horizon-days";
        if buyers == 0 {
            return Err(Skip(format!(
                "no customer bought in the {horizon_days} days from {} on: {advice}",
                self.as_of
            )));
        }
        if others == 0 {
            return Err(Skip(format!(
                "every customer bought in the {horizon_days} days from {} on, so there is \
                 nothing to tell apart: {advice}",
                self.as_of
            )));
        }
        if buyers < MIN_PER_CLASS || others < MIN_PER_CLASS {
            return Err(Skip(format!(
                "the training window at {} has {buyers} buyers and {others} non-buyers in \
                 the next {horizon_days} days; the models need at least {MIN_PER_CLASS} of \
                 each: use more data, {advice}",
                self.as_of
            )));
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
    /// The same customers with only the feature columns `names`.
    fn only_features(&self, names: &[&str]) -> Result<Part> {
        let all = self.features.column_names();
        let columns = names
            .iter()
            .map(|name| {
                all.iter()
                    .position(|n| n == name)
                    .map(|i| (*name, self.features.column(i)))
                    .with_context(|| format!("the model features lack {name}"))
            })
            .collect::<Result<Vec<_>>>()?;
        let columns: Vec<(&str, &[f64])> =
            columns.iter().map(|(n, v)| (*n, v.as_slice())).collect();
        Ok(Part {
            features: model_matrix(&columns)?,
            labels: self.labels.clone(),
            purchase_days: self.purchase_days.clone(),
            recency_days: self.recency_days.clone(),
        })
    }

    /// The customers of `parts` one after the other (pooled windows: a customer once
    /// per window).
    fn stack(parts: &[&Part]) -> Result<Part> {
        let features: Vec<&Matrix> = parts.iter().map(|p| &p.features).collect();
        let joined = |column: fn(&Part) -> &[f64]| -> Vec<f64> {
            parts.iter().flat_map(|&p| column(p)).copied().collect()
        };
        Ok(Part {
            features: Matrix::stack(&features)?,
            labels: parts.iter().flat_map(|p| &p.labels).copied().collect(),
            purchase_days: joined(|p| &p.purchase_days),
            recency_days: joined(|p| &p.recency_days),
        })
    }

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

/// The classifiers compared, by their one name (metrics.json, the model files, the
/// saved envelope's `kind`).
const MODELS: [&str; 3] = [
    LogisticRegression::KIND,
    RandomForest::KIND,
    BoostedTrees::KIND,
];

/// The probability never rises with recency, all else equal: a customer who has been
/// silent longer is never more likely to buy. Frequency is left free: a frequent buyer
/// who went silent is rightly less likely to be alive (the BG/NBD effect).
const MONOTONE: [(&str, Monotone); 1] = [("recency_days", Monotone::Decreasing)];

/// The constraints as the classifiers take them.
fn monotone_constraints() -> MonotoneConstraints {
    MONOTONE.into_iter().collect()
}

/// The constraints as metrics.json and the model files record them.
fn monotone_record() -> BTreeMap<String, Monotone> {
    MONOTONE
        .iter()
        .map(|&(name, direction)| (name.to_string(), direction))
        .collect()
}

/// Fits model `name` with the [`MONOTONE`] constraints; boosting stops early on
/// `validation` when given and otherwise trains `boosting_rounds` trees.
fn fit_model(
    name: &str,
    train: &Part,
    validation: Option<&Part>,
    boosting_rounds: Option<usize>,
    seed: u64,
) -> Result<AnyClassifier> {
    let (features, labels) = (&train.features, train.labels.as_slice());
    Ok(match name {
        LogisticRegression::KIND => AnyClassifier::Logistic(
            LogisticRegressionParams::default()
                .monotone_constraints(monotone_constraints())
                .validate()?
                .fit(features, labels)?,
        ),
        RandomForest::KIND => AnyClassifier::Forest(
            RandomForestParams::default()
                .min_samples_leaf(FOREST_MIN_SAMPLES_LEAF)
                .max_depth(Some(FOREST_MAX_DEPTH))
                .monotone_constraints(monotone_constraints())
                .seed(seed)
                .validate()?
                .fit(features, labels)?,
        ),
        _ => {
            let mut params = BoostedTreesParams::default()
                .monotone_constraints(monotone_constraints())
                .seed(seed);
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

/// How a model's probabilities were calibrated, and what it changed on the test
/// customers.
#[derive(Debug, Clone, Serialize)]
struct CalibrationReport {
    method: &'static str,
    fitted_on: &'static str,
    /// sigmoid(slope * logit(p) + intercept); absent when the fit was refused (then
    /// `note` says why and the raw probabilities are used).
    platt: Option<PlattScaling>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    /// Expected calibration error (10 equal-width bins) of the test probabilities
    /// before and after.
    test_ece_before: f64,
    test_ece_after: f64,
    test_brier_before: f64,
    test_brier_after: f64,
}

/// Bins of the expected calibration error.
const ECE_BINS: usize = 10;

/// Platt scaling fitted on a model's validation probabilities, and the test
/// probabilities before and after it. A fit whose slope is not positive (the model
/// ranks the validation customers backwards) is not used: it would reverse the order.
fn calibrate(
    validation: (&[bool], &[f64]),
    test: (&[bool], &[f64]),
) -> Result<(CalibrationReport, Vec<f64>)> {
    let (platt, note) = match PlattScaling::fit(validation.0, validation.1) {
        Ok(platt) if platt.slope > 0.0 => (Some(platt), None),
        Ok(platt) => (
            None,
            Some(format!(
                "Platt slope {} is not positive: raw probabilities kept",
                platt.slope
            )),
        ),
        Err(error) => (None, Some(format!("not calibrated: {error}"))),
    };
    let after: Vec<f64> = match &platt {
        Some(platt) => test.1.iter().map(|&p| platt.calibrate(p)).collect(),
        None => test.1.to_vec(),
    };
    let report = CalibrationReport {
        method: "platt",
        fitted_on: "the validation slice of the training window",
        platt,
        note,
        test_ece_before: metrics::expected_calibration_error(test.0, test.1, ECE_BINS)?,
        test_ece_after: metrics::expected_calibration_error(test.0, &after, ECE_BINS)?,
        test_brier_before: metrics::brier_score(test.0, test.1)?,
        test_brier_after: metrics::brier_score(test.0, &after)?,
    };
    Ok((report, after))
}

/// One candidate of the model choice: its validation ROC-AUC.
#[derive(Debug, Clone, Serialize)]
struct Candidate {
    kind: String,
    validation_roc_auc: f64,
}

/// One row of `metrics.json`'s `models`: test metrics, plus the validation ROC-AUC the
/// choice was made on. A classifier's metrics are those of its calibrated
/// probabilities (what customers.csv and the API give).
#[derive(Debug, Serialize)]
struct ModelReport {
    name: String,
    /// The model kind (the classifier's name; for `rfm_only`, the kind chosen for it).
    kind: String,
    /// The features it reads.
    inputs: Vec<String>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    probability_calibration: Option<CalibrationReport>,
    /// For `rfm_only`: every kind tried on its inputs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    candidates: Vec<Candidate>,
    feature_importance: Vec<FeatureImportance>,
    roc_curve: Vec<metrics::RocPoint>,
    pr_curve: Vec<metrics::PrPoint>,
    calibration: Vec<metrics::CalibrationBin>,
    lift: Vec<metrics::DecileRow>,
}

impl ModelReport {
    fn new(
        name: &str,
        inputs: &[String],
        validation_roc_auc: f64,
        test: ClassifierMetrics,
        timing: [f64; 2],
    ) -> Self {
        ModelReport {
            name: name.to_string(),
            kind: name.to_string(),
            inputs: inputs.to_vec(),
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
            probability_calibration: None,
            candidates: Vec::new(),
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
    /// The earlier windows pooled into the training customers, newest first (none: the
    /// window at `train_as_of` alone).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pooled_training_windows: Vec<String>,
    n_train: usize,
    n_validation: usize,
    n_test: usize,
    positive_rate: f64,
    baseline: &'static str,
    chosen_by: &'static str,
    missing_values: &'static str,
    preprocessing: &'static str,
    /// Features the probability may only fall (or rise) with, all else equal.
    monotone: BTreeMap<String, Monotone>,
    /// Share of the customers of each window the models were fitted and tested on (1:
    /// all of them; below 1 for runs with more than `max_model_customers`).
    model_customer_share: f64,
    max_model_customers: u64,
    models: Vec<ModelReport>,
    chosen: String,
    churn_risk_bands: RiskBands,
    final_model: TrainingWindow,
    scored_as_of: String,
    /// How each buy-till-you-die fit of the run went: status, estimates with standard
    /// errors, warnings.
    btyd_fits: Vec<FitRecord>,
    /// The transaction models fitted on the latest complete window's customers and
    /// checked on its horizon, and the one chosen to serve P(alive); `null` when they
    /// could not be compared.
    btyd_comparison: Option<HoldoutComparison>,
}

/// The churn-risk bands: fixed thresholds on the chosen model's calibrated
/// probability, and how each band's test customers actually behaved.
#[derive(Debug, Serialize)]
struct RiskBands {
    thresholds: [f64; 2],
    on: &'static str,
    bands: Vec<RiskBand>,
}

#[derive(Debug, Serialize)]
struct RiskBand {
    band: &'static str,
    /// The band holds calibrated probabilities in [from, to).
    from: f64,
    to: f64,
    test_customers: u64,
    test_buyers: u64,
    /// Share of the band's test customers who bought in the horizon (0 for an empty
    /// band, whose `test_customers` is 0).
    observed_buy_rate: f64,
    mean_probability: f64,
}

impl RiskBands {
    fn new(thresholds: [f64; 2], labels: &[bool], probability: &[f64]) -> Result<Self> {
        let bands = ChurnRisk::bands(thresholds)?;
        let summary = bands.summarise(labels, probability)?;
        let index = risk_index(probability, thresholds);
        let bands = summary
            .into_iter()
            .zip(ChurnRisk::ALL)
            .map(|(band, risk)| {
                let members: Vec<f64> = (0..labels.len())
                    .filter(|&i| index[i] == band.band)
                    .map(|i| probability[i])
                    .collect();
                RiskBand {
                    band: risk.as_str(),
                    from: band.lower,
                    to: band.upper,
                    test_customers: band.customers,
                    test_buyers: band.buyers,
                    observed_buy_rate: band.observed_rate,
                    mean_probability: if members.is_empty() {
                        0.0
                    } else {
                        members.iter().sum::<f64>() / members.len() as f64
                    },
                }
            })
            .collect();
        Ok(RiskBands {
            thresholds,
            on: "the chosen model's calibrated purchase probability of the test customers",
            bands,
        })
    }
}

/// A model fitted on the fitting part, its calibration on the validation part, and
/// its report on the test part.
struct Evaluated {
    report: ModelReport,
    /// Calibration learnt on the validation slice, applied to the final model too.
    platt: Option<PlattScaling>,
    /// Calibrated test probabilities.
    test_probability: Vec<f64>,
    /// Trees early stopping kept (boosting only).
    boosting_rounds: Option<usize>,
}

/// Fits `kind` on `fit`, chooses its stopping point and calibration on `valid`, and
/// reports it on `test` under `name`.
fn evaluate(name: &str, kind: &str, parts: [&Part; 3], seed: u64) -> Result<Evaluated> {
    let [fit, valid, test] = parts;
    let started = Instant::now();
    let model = fit_model(kind, fit, Some(valid), None, seed)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let raw_test = model.predict_proba(&test.features)?;
    let predict_seconds = started.elapsed().as_secs_f64();
    let raw_valid = model.predict_proba(&valid.features)?;
    let (calibration, test_probability) =
        calibrate((&valid.labels, &raw_valid), (&test.labels, &raw_test))?;
    let mut report = ModelReport::new(
        name,
        model.feature_names(),
        metrics::roc_auc(&valid.labels, &raw_valid)?,
        metrics::evaluate(&test.labels, &test_probability)?,
        [fit_seconds, predict_seconds],
    );
    report.kind = kind.to_string();
    report.feature_importance = model
        .feature_names()
        .iter()
        .zip(model.feature_importance())
        .map(|(feature, importance)| FeatureImportance {
            feature: feature.clone(),
            importance,
        })
        .collect();
    let platt = calibration.platt;
    report.probability_calibration = Some(calibration);
    Ok(Evaluated {
        report,
        platt,
        test_probability,
        boosting_rounds: match &model {
            AnyClassifier::Boosted(boosted) => Some(boosted.trees.len()),
            _ => None,
        },
    })
}

/// The candidate with the best validation ROC-AUC (the first of equals).
fn best(candidates: &[Evaluated]) -> usize {
    let mut best = 0;
    for (i, c) in candidates.iter().enumerate() {
        if c.report.validation_roc_auc > candidates[best].report.validation_roc_auc {
            best = i;
        }
    }
    best
}

/// What a saved model needs beside its classifier.
struct Saved<'a> {
    name: &'a str,
    chosen: bool,
    report: &'a ModelReport,
    platt: Option<PlattScaling>,
    thresholds: [f64; 2],
    window: &'a TrainingWindow,
    /// The span of each input among the customers the saved model was fitted on (a
    /// superset: the model's own inputs are taken from it).
    ranges: &'a BTreeMap<String, FeatureRange>,
}

/// Writes `models/<name>.json`.
fn save_model(folder: &RunFolder, model: &AnyClassifier, saved: Saved<'_>) -> Result<()> {
    let report = saved.report;
    let file = ModelFile {
        format_version: MODEL_FILE_VERSION,
        rebuy_version: env!("CARGO_PKG_VERSION").to_string(),
        name: saved.name.to_string(),
        kind: report.kind.clone(),
        chosen: saved.chosen,
        training_window: saved.window.clone(),
        feature_names: model.feature_names().to_vec(),
        training_ranges: model
            .feature_names()
            .iter()
            .filter_map(|name| Some((name.clone(), *saved.ranges.get(name)?)))
            .collect(),
        monotone: monotone_record(),
        preprocessing: PREPROCESSING.to_string(),
        calibration: saved.platt,
        churn_risk_thresholds: saved.thresholds,
        test_metrics: TestMetrics {
            roc_auc: report.roc_auc,
            pr_auc: report.pr_auc,
            log_loss: report.log_loss,
            brier: report.brier,
        },
        model: serde_json::from_str(&model.to_json()?)?,
    };
    folder.write_json_compact(&format!("models/{}.json", saved.name), &file)
}

/// The span of each column of a model's training matrix.
fn training_ranges(features: &Matrix) -> BTreeMap<String, FeatureRange> {
    (0..features.n_cols())
        .filter_map(|c| {
            Some((
                features.column_name(c),
                FeatureRange::of(&features.column(c))?,
            ))
        })
        .collect()
}

/// The customers the models are fitted, calibrated and tested on.
struct Windows {
    /// The most recent window whose labels are complete: the test customers out of time
    /// (random: split 80/20), and the final refit's.
    latest: Window,
    /// The as-of date of the customers the candidates are fitted on.
    train_as_of: AsOf,
    /// The earlier windows pooled with `train_as_of`'s, newest first (the final refit
    /// pools `latest` with all but the oldest of `train_as_of`'s and these).
    pooled: Vec<AsOf>,
    /// What the candidates are fitted on, and the validation slice held out of it
    /// (early stopping, calibration, the choice of model).
    fit: Part,
    validation: Part,
    /// With pooled windows: the rows of `fit` and `validation` from the window at
    /// `train_as_of`, which BG/NBD is fitted and validated on (its likelihood takes each
    /// customer once).
    bg_nbd_parts: Option<(Part, Part)>,
    /// Random evaluation: the 20 % of `latest` held out for the test.
    held_out: Option<Part>,
    /// With pooled windows: `latest` and the earlier windows of the final refit.
    final_pooled: Option<(Part, Vec<AsOf>)>,
    /// The as-of date of the customers scored with the final model.
    scored_as_of: AsOf,
}

impl Windows {
    /// The windows of an evaluation, or why the data cannot train or test a model.
    /// The test as-of is `scored_as_of` or, when its horizon runs past the last sale,
    /// the latest date whose horizon the data cover.
    pub(crate) fn of(
        engine: &FeatureEngine,
        scored_as_of: AsOf,
        settings: PurchaseSettings,
        sample: Sample,
    ) -> Result<Result<Self, Skip>> {
        let PurchaseSettings {
            horizon_days,
            evaluation,
            seed,
            ..
        } = settings;
        let horizon = i32::try_from(horizon_days).unwrap_or(i32::MAX);
        let test_as_of = test_as_of(engine, scored_as_of, horizon_days);
        let latest = match Window::at(engine, test_as_of, horizon_days, sample)? {
            Ok(window) => window,
            Err(skip) => return Ok(Err(skip)),
        };
        let extra = settings.training_windows.saturating_sub(1);
        // The customer tables are the largest objects of a run with many customers: the
        // windows are moved or borrowed, never copied whole (a pooled window once).
        let (train_as_of, train, held_out, earlier) = match evaluation {
            Evaluation::OutOfTime => {
                let as_of = test_as_of.plus_days(-horizon);
                let window = match Window::at(engine, as_of, horizon_days, sample)? {
                    Ok(window) => window,
                    Err(skip) => return Ok(Err(skip)),
                };
                if let Err(skip) = window.check_trainable(horizon_days) {
                    return Ok(Err(skip));
                }
                let earlier = earlier_windows(engine, as_of, extra, horizon_days, sample)?;
                (window.as_of, window.part, None, earlier)
            }
            Evaluation::Random => {
                if let Err(skip) = latest.check_trainable(horizon_days) {
                    return Ok(Err(skip));
                }
                let (kept, held_out) = stratified_split(&latest.part.labels, HOLD_OUT, seed);
                let earlier = earlier_windows(engine, test_as_of, extra, horizon_days, sample)?;
                (
                    test_as_of,
                    latest.part.select(&kept)?,
                    Some(latest.part.select(&held_out)?),
                    earlier,
                )
            }
        };
        let test = held_out.as_ref().unwrap_or(&latest.part);
        if !test.labels.iter().any(|&b| b) || test.labels.iter().all(|&b| b) {
            return Ok(Err(Skip(format!(
                "the test customers at {test_as_of} are all buyers or all non-buyers in the \
                 next {horizon_days} days, so no model can be tested: choose an earlier --as-of"
            ))));
        }
        // The final models are refitted on every customer of the latest window (random
        // evaluation checked it before splitting it).
        if evaluation == Evaluation::OutOfTime
            && let Err(skip) = latest.check_trainable(horizon_days)
        {
            return Ok(Err(skip));
        }
        let pooled: Vec<AsOf> = earlier.iter().map(|w| w.as_of).collect();
        // The final refit pools the latest window with as many before it: out of time,
        // the training window and all but the oldest earlier one; random, the earlier
        // ones (the training window is the latest).
        let final_pooled = if earlier.is_empty() {
            None
        } else {
            let mut parts = vec![&latest.part];
            let mut dates = Vec::new();
            if evaluation == Evaluation::OutOfTime {
                parts.push(&train);
                dates.push(train_as_of);
            }
            // As many windows as the candidates learnt from: the latest and the earlier.
            let more = earlier.len() + 1 - parts.len();
            for window in earlier.iter().take(more) {
                parts.push(&window.part);
                dates.push(window.as_of);
            }
            Some((Part::stack(&parts)?, dates))
        };
        // Each window is split 80/20 on its own, so the training window's slices are the
        // unpooled run's (BG/NBD keeps them).
        let split = |part: &Part| -> Result<(Part, Part)> {
            let (fit_rows, valid_rows) = stratified_split(&part.labels, HOLD_OUT, seed);
            Ok((part.select(&fit_rows)?, part.select(&valid_rows)?))
        };
        let (fit, validation) = split(&train)?;
        drop(train);
        let (fit, validation, bg_nbd_parts) = if earlier.is_empty() {
            (fit, validation, None)
        } else {
            let slices = earlier
                .iter()
                .map(|w| split(&w.part))
                .collect::<Result<Vec<_>>>()?;
            let stacked = |own: &Part, pick: fn(&(Part, Part)) -> &Part| {
                let parts: Vec<&Part> = [own].into_iter().chain(slices.iter().map(pick)).collect();
                Part::stack(&parts)
            };
            (
                stacked(&fit, |(f, _)| f)?,
                stacked(&validation, |(_, v)| v)?,
                Some((fit, validation)),
            )
        };
        drop(earlier);
        Ok(Ok(Windows {
            fit,
            validation,
            bg_nbd_parts,
            latest,
            train_as_of,
            pooled,
            held_out,
            final_pooled,
            scored_as_of,
        }))
    }

    /// The test customers: the held-out 20 % (random) or the latest window (out of time).
    fn test(&self) -> &Part {
        self.held_out.as_ref().unwrap_or(&self.latest.part)
    }

    /// The customers of the final refit: the latest window's, pooled with earlier ones.
    fn final_part(&self) -> &Part {
        self.final_pooled
            .as_ref()
            .map_or(&self.latest.part, |(part, _)| part)
    }

    /// The customers of the final refit, as the model files describe them.
    fn training_window(&self, horizon_days: u32) -> TrainingWindow {
        let labels = &self.final_part().labels;
        TrainingWindow {
            as_of: self.latest.as_of.to_string(),
            horizon_days,
            customers: labels.len(),
            buyers: labels.iter().filter(|&&b| b).count(),
            pooled_with: self
                .final_pooled
                .as_ref()
                .map_or_else(Vec::new, |(_, dates)| {
                    dates.iter().map(AsOf::to_string).collect()
                }),
        }
    }
}

/// Up to `count` windows `horizon_days` apart before `from` (the first at `from` -
/// horizon), newest first; fewer where the history runs out (no customer with history
/// before the date, or too few buyers or non-buyers to learn from).
fn earlier_windows(
    engine: &FeatureEngine,
    from: AsOf,
    count: u32,
    horizon_days: u32,
    sample: Sample,
) -> Result<Vec<Window>> {
    let horizon = i32::try_from(horizon_days).unwrap_or(i32::MAX);
    let mut windows = Vec::new();
    let mut as_of = from;
    for _ in 0..count {
        as_of = as_of.plus_days(-horizon);
        match Window::at(engine, as_of, horizon_days, sample)? {
            Ok(window) if window.check_trainable(horizon_days).is_ok() => windows.push(window),
            _ => break,
        }
    }
    Ok(windows)
}

/// Every model compared: each kind on every feature and on R/F/M alone, BG/NBD and the
/// recency baseline.
struct Candidates {
    /// Each kind of [`MODELS`] on every feature, in that order.
    full: Vec<Evaluated>,
    /// The index in `full` of the best validation ROC-AUC: the model that answers.
    chosen: usize,
    /// The best kind on recency, frequency and monetary alone (`rfm_only`), with the
    /// validation ROC-AUC of every kind tried.
    rfm_only: Evaluated,
    rfm_candidates: Vec<Candidate>,
    bg_nbd: Option<ModelReport>,
    /// How the BG/NBD row's fit went (a failed fit too).
    bg_nbd_fit: FitRecord,
    baseline: ModelReport,
    churn_risk_bands: RiskBands,
}

impl Candidates {
    /// Fits every candidate on the fitting part, calibrates it on the validation slice
    /// and tests it; BG/NBD's picture goes to `folder` (none in a backtest).
    fn evaluate(
        windows: &Windows,
        settings: PurchaseSettings,
        unit: TimeUnit,
        folder: Option<&RunFolder>,
    ) -> Result<Self> {
        let (fit, valid, test) = (&windows.fit, &windows.validation, windows.test());
        let seed = settings.seed;
        // Every feature: each kind is a candidate of its own.
        let full: Vec<Evaluated> = MODELS
            .iter()
            .map(|kind| evaluate(kind, kind, [fit, valid, test], seed))
            .collect::<Result<_>>()?;
        let chosen = best(&full);
        // Recency, frequency and monetary alone: the best kind answers as `rfm_only`.
        let rfm_fit = fit.only_features(&RFM_FIELDS)?;
        let rfm_valid = valid.only_features(&RFM_FIELDS)?;
        let rfm_test = test.only_features(&RFM_FIELDS)?;
        let mut rfm: Vec<Evaluated> = MODELS
            .iter()
            .map(|kind| evaluate(RFM_ONLY, kind, [&rfm_fit, &rfm_valid, &rfm_test], seed))
            .collect::<Result<_>>()?;
        let rfm_candidates: Vec<Candidate> = rfm
            .iter()
            .map(|c| Candidate {
                kind: c.report.kind.clone(),
                validation_roc_auc: c.report.validation_roc_auc,
            })
            .collect();
        let rfm_only = rfm.swap_remove(best(&rfm));
        let churn_risk_bands = RiskBands::new(
            settings.churn_risk_thresholds,
            &test.labels,
            &full[chosen].test_probability,
        )?;
        let mut baseline = ModelReport::new(
            BASELINE,
            &["recency_days".to_string()],
            metrics::roc_auc(&valid.labels, &baseline_scores(&valid.recency_days))?,
            metrics::evaluate(&test.labels, &baseline_scores(&test.recency_days))?,
            [0.0, 0.0],
        );
        baseline.feature_importance = vec![FeatureImportance {
            feature: "recency_days".to_string(),
            importance: 1.0,
        }];
        let bg_nbd = BgNbdSetting {
            horizon_days: settings.horizon_days,
            unit,
            train_as_of: windows.train_as_of,
            test_as_of: windows.latest.as_of,
        };
        let (bg_fit, bg_valid) = windows
            .bg_nbd_parts
            .as_ref()
            .map_or((fit, valid), |(fit, valid)| (fit, valid));
        let (bg_nbd_fit, bg_nbd) = bg_nbd_report(bg_fit, bg_valid, test, &bg_nbd, folder)?;
        Ok(Candidates {
            full,
            chosen,
            rfm_only,
            rfm_candidates,
            bg_nbd,
            bg_nbd_fit,
            baseline,
            churn_risk_bands,
        })
    }
}

/// The final models: each kind refitted on every customer of the latest window (with
/// the stopping point and calibration its candidate learnt) and saved, the R/F/M-only
/// model too; returns the chosen model's calibrated probabilities of `scored`.
fn refit_and_save(
    windows: &Windows,
    candidates: &Candidates,
    training_window: &TrainingWindow,
    settings: PurchaseSettings,
    scored: &CustomerFeatures,
    folder: &RunFolder,
) -> Result<Vec<f64>> {
    let (seed, thresholds) = (settings.seed, settings.churn_risk_thresholds);
    let final_part = windows.final_part();
    std::fs::create_dir_all(folder.path("models"))?;
    // Every saved model is fitted on these customers: their spans are found once.
    let ranges = training_ranges(&final_part.features);
    let mut probability = Vec::new();
    for (i, (name, evaluated)) in MODELS.iter().zip(&candidates.full).enumerate() {
        let chosen = i == candidates.chosen;
        let model = fit_model(name, final_part, None, evaluated.boosting_rounds, seed)?;
        save_model(
            folder,
            &model,
            Saved {
                name,
                chosen,
                report: &evaluated.report,
                platt: evaluated.platt,
                thresholds,
                window: training_window,
                ranges: &ranges,
            },
        )?;
        if chosen {
            probability = score_in_chunks(&model, evaluated.platt.as_ref(), scored)?;
        }
    }
    let rfm_only = &candidates.rfm_only;
    let rfm_final = final_part.only_features(&RFM_FIELDS)?;
    let model = fit_model(
        &rfm_only.report.kind,
        &rfm_final,
        None,
        rfm_only.boosting_rounds,
        seed,
    )?;
    save_model(
        folder,
        &model,
        Saved {
            name: RFM_ONLY,
            chosen: false,
            report: &rfm_only.report,
            platt: rfm_only.platt,
            thresholds,
            window: training_window,
            ranges: &ranges,
        },
    )?;
    Ok(probability)
}

/// metrics.json: how the models were compared, every model's report, the choice.
fn metrics_file(
    windows: Windows,
    candidates: Candidates,
    training_window: TrainingWindow,
    settings: PurchaseSettings,
    sample: Sample,
    (lifetime_fits, btyd_comparison): (&[FitRecord], Option<HoldoutComparison>),
) -> MetricsFile {
    let test = windows.test();
    let positives = test.labels.iter().filter(|&&b| b).count();
    let mut reports: Vec<ModelReport> = candidates.full.into_iter().map(|e| e.report).collect();
    let mut rfm_report = candidates.rfm_only.report;
    rfm_report.candidates = candidates.rfm_candidates;
    reports.push(rfm_report);
    reports.extend(candidates.bg_nbd);
    reports.push(candidates.baseline);
    MetricsFile {
        as_of: windows.latest.as_of.to_string(),
        horizon_days: settings.horizon_days,
        evaluation: settings.evaluation,
        train_as_of: windows.train_as_of.to_string(),
        pooled_training_windows: windows.pooled.iter().map(AsOf::to_string).collect(),
        n_train: windows.fit.labels.len(),
        n_validation: windows.validation.labels.len(),
        n_test: test.labels.len(),
        positive_rate: positives as f64 / test.labels.len() as f64,
        baseline: "score = -recency_days (as 1 / (1 + recency_days), a probability-shaped \
                   score with the same ranking)",
        chosen_by: "best validation ROC-AUC: a seeded stratified 20 % of the training \
                    window, held out from fitting (also the slice the probabilities are \
                    calibrated on and boosting stops early on)",
        missing_values: MISSING_VALUES,
        preprocessing: PREPROCESSING,
        monotone: monotone_record(),
        model_customer_share: sample.share,
        max_model_customers: settings.max_customers,
        models: reports,
        chosen: MODELS[candidates.chosen].to_string(),
        churn_risk_bands: candidates.churn_risk_bands,
        final_model: training_window,
        scored_as_of: windows.scored_as_of.to_string(),
        btyd_fits: lifetime_fits
            .iter()
            .cloned()
            .chain([candidates.bg_nbd_fit])
            .collect(),
        btyd_comparison,
    }
}

/// What the models do with features a caller does not give.
const MISSING_VALUES: &str = "none are imputed: a prediction is made by a model fitted on \
     exactly the features given (every feature: the chosen model; recency_days, frequency \
     and monetary alone: rfm_only); any other set is refused";

/// The calibrated purchase probability of every customer of `scored`, from model
/// matrices of [`SCORING_CHUNK_ROWS`] rows: a matrix of every customer would be as large
/// as the feature table itself.
fn score_in_chunks(
    model: &AnyClassifier,
    platt: Option<&PlattScaling>,
    scored: &CustomerFeatures,
) -> Result<Vec<f64>> {
    let columns = scored.columns();
    let mut probability = Vec::with_capacity(scored.len());
    for start in (0..scored.len()).step_by(SCORING_CHUNK_ROWS) {
        let end = (start + SCORING_CHUNK_ROWS).min(scored.len());
        let chunk: Vec<(&str, &[f64])> = columns
            .iter()
            .map(|&(name, values)| (name, &values[start..end]))
            .collect();
        let raw = model.predict_proba(&model_matrix(&chunk)?)?;
        probability.extend(raw.into_iter().map(|p| platt.map_or(p, |c| c.calibrate(p))));
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
/// picture (the test customers' summary vs what they bought in the horizon), and how
/// its fit went; no row (with the model's message printed) when it cannot be fitted.
fn bg_nbd_report(
    fit_part: &Part,
    valid_part: &Part,
    test: &Part,
    setting: &BgNbdSetting,
    folder: Option<&RunFolder>,
) -> Result<(FitRecord, Option<ModelReport>)> {
    let started = Instant::now();
    let (train, valid, tested) = (
        summary_columns(fit_part, setting.unit)?,
        summary_columns(valid_part, setting.unit)?,
        summary_columns(test, setting.unit)?,
    );
    let (fit, evaluation) = btyd::bg_nbd_evaluation(
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
            if let Some(folder) = folder {
                plots::write_calibration_holdout(
                    folder,
                    &evaluation.calibration_holdout,
                    setting.train_as_of,
                    setting.test_as_of,
                    setting.horizon_days,
                )?;
            }
            let report = ModelReport::new(
                btyd::BG_NBD,
                &summary_names(setting.unit),
                metrics::roc_auc(&valid_part.labels, &probability[0])?,
                metrics::evaluate(&test.labels, &probability[1])?,
                [seconds, 0.0],
            );
            Ok((fit, Some(report)))
        }
        Err(error) => {
            println!(
                "
BG/NBD left out of the comparison: {error}"
            );
            Ok((fit, None))
        }
    }
}

/// The names of the BTYD summary columns in `unit`.
fn summary_names(unit: TimeUnit) -> Vec<String> {
    let [recency, t] = unit.column_names();
    ["btyd_frequency", recency, t].map(str::to_string).into()
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
        let name = if m.name == RFM_ONLY {
            format!("{RFM_ONLY} ({})", m.kind)
        } else {
            m.name.clone()
        };
        println!(
            "  {:<22} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>8.2}{}",
            name,
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
    println!("  (classifiers' metrics on their calibrated probabilities)");
    if let Some(c) = file
        .models
        .iter()
        .find(|m| m.name == file.chosen)
        .and_then(|m| m.probability_calibration.as_ref())
    {
        println!(
            "Calibration of {} (Platt scaling on the validation slice): expected calibration \
             error on the test customers {:.4} -> {:.4}, Brier {:.4} -> {:.4}{}",
            file.chosen,
            c.test_ece_before,
            c.test_ece_after,
            c.test_brier_before,
            c.test_brier_after,
            c.note
                .as_ref()
                .map_or_else(String::new, |n| format!(" ({n})"))
        );
    }
    let bands: Vec<String> = file
        .churn_risk_bands
        .bands
        .iter()
        .map(|b| {
            format!(
                "{} {:.0}-{:.0}%: {} customers, {:.1}% bought",
                b.band,
                100.0 * b.from,
                100.0 * b.to,
                b.test_customers,
                100.0 * b.observed_buy_rate
            )
        })
        .collect();
    println!("Churn risk on the test customers: {}", bands.join("; "));
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
