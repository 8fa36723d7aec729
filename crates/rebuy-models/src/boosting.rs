//! Gradient-boosted trees for purchase probability, XGBoost-style: histogram split search
//! on quantile bins, second-order (Newton) steps on the logistic loss, shrinkage, depth or
//! leaf limits, `min_child_weight`, L2 on leaf values, row and column subsampling, early
//! stopping on a validation slice, and missing values sent to a learned side at every
//! split. The tree learner is shared with the random forest ([`crate::tree`]).
//!
//! ```
//! use rebuy_models::boosting::BoostedTreesParams;
//! use rebuy_models::classifier::{Classifier, Fit};
//! use rebuy_models::matrix::Matrix;
//!
//! let recency_days: Vec<f64> = (0..200).map(f64::from).collect();
//! let features = Matrix::from_columns(&[&recency_days])?
//!     .with_column_names(vec!["recency_days".into()])?;
//! let bought: Vec<bool> = recency_days.iter().map(|&days| days < 60.0).collect();
//! let model = BoostedTreesParams::default().n_trees(20).validate()?.fit(&features, &bought)?;
//! let purchase_probability = model.predict_proba(&features)?;
//! assert!(purchase_probability[0] > 0.5 && purchase_probability[199] < 0.5);
//! # Ok::<(), rebuy_models::Error>(())
//! ```

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::builder::setters;
use crate::classifier::{self, Classifier, Fit, require};
use crate::explain::{Explanation, MarginSpace};
use crate::logistic::sigmoid;
use crate::matrix::Matrix;
use crate::monotone::{Monotone, MonotoneConstraints};
use crate::tree::grow::{GradPair, GrowParams, TrainingSet, grow};
use crate::tree::{CompleteTrees, Tree, ensemble};
use crate::{Result, metrics};

/// Fewer rows than this are predicted by walking the trees (the same sums, bit for bit).
const EXIT_TABLES_MIN_ROWS: usize = 4096;

/// Hyper-parameters of [`BoostedTrees`]. Defaults: 300 trees, learning rate 0.05, depth 4,
/// no leaf limit, `min_child_weight` 1, L2 1, minimum split gain 0, no row or column
/// subsampling, 256 value bins (XGBoost's `max_bin`), no early stopping (when on,
/// 10 % of rows are held out), seed 0, no monotone constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostedTreesParams {
    n_trees: usize,
    learning_rate: f64,
    max_depth: Option<u32>,
    max_leaves: Option<usize>,
    min_child_weight: f64,
    l2_regularisation: f64,
    min_split_gain: f64,
    row_subsample: f64,
    column_subsample: f64,
    max_bins: usize,
    early_stopping_rounds: Option<usize>,
    validation_fraction: f64,
    seed: u64,
    /// Absent from models saved before constraints existed, and from unconstrained ones.
    #[serde(default, skip_serializing_if = "MonotoneConstraints::is_empty")]
    monotone_constraints: MonotoneConstraints,
}

impl Default for BoostedTreesParams {
    fn default() -> Self {
        Self {
            n_trees: 300,
            learning_rate: 0.05,
            max_depth: Some(4),
            max_leaves: None,
            min_child_weight: 1.0,
            l2_regularisation: 1.0,
            min_split_gain: 0.0,
            row_subsample: 1.0,
            column_subsample: 1.0,
            max_bins: 256,
            early_stopping_rounds: None,
            validation_fraction: 0.1,
            seed: 0,
            monotone_constraints: MonotoneConstraints::default(),
        }
    }
}

/// [`BoostedTreesParams`] that passed [`BoostedTreesParams::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct BoostedTreesValidParams(BoostedTreesParams);

impl BoostedTreesParams {
    setters! {
        /// Boosting rounds (trees), at least 1; fewer are kept with early stopping.
        n_trees: usize,
        /// Shrinkage of every leaf value, in `(0, 1]` (XGBoost's `eta`).
        learning_rate: f64,
        /// Depth limit (1 to 30), or `None` for a leaf limit only.
        max_depth: Option<u32>,
        /// Leaf limit (at least 2), best split first; `None` for a depth limit only.
        max_leaves: Option<usize>,
        /// Smallest hessian sum of a child (XGBoost's `min_child_weight`), `>= 0`.
        min_child_weight: f64,
        /// L2 penalty on leaf values (XGBoost's `lambda`), `>= 0`.
        l2_regularisation: f64,
        /// Smallest loss reduction of a split (XGBoost's `gamma`), `>= 0`.
        min_split_gain: f64,
        /// Share of rows drawn for each tree, in `(0, 1]`.
        row_subsample: f64,
        /// Share of features drawn for each tree, in `(0, 1]`.
        column_subsample: f64,
        /// Value bins per feature (XGBoost's `max_bin`), 2 to 256; missing values have a
        /// bin of their own (a feature with missing values keeps at most 255 for values).
        max_bins: usize,
        /// Stop after this many rounds without a better validation log loss, keeping the
        /// best round; `None` trains all `n_trees`.
        early_stopping_rounds: Option<usize>,
        /// Share of rows held out for early stopping by [`Fit::fit`], in `(0, 1)`.
        validation_fraction: f64,
        /// Seed of the row/column subsampling and of the validation hold-out.
        seed: u64,
        /// Every monotone constraint at once, replacing those set before.
        monotone_constraints: MonotoneConstraints,
    }

    /// Constrains `purchase_probability` never to fall ([`Monotone::Increasing`]) or never
    /// to rise ([`Monotone::Decreasing`]) as `feature` grows, all else equal, as
    /// XGBoost's `monotone_constraints` ([`crate::tree`]). `feature` is a column name of
    /// the training matrix (`column {i}` for unnamed columns), checked when fitting.
    pub fn monotone(mut self, feature: impl Into<String>, direction: Monotone) -> Self {
        self.monotone_constraints.set(feature, direction);
        self
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<BoostedTreesValidParams> {
        let p = self;
        require(p.n_trees >= 1, "n_trees", "must be at least 1")?;
        let lr_ok = p.learning_rate > 0.0 && p.learning_rate <= 1.0;
        require(lr_ok, "learning_rate", "must be in (0, 1]")?;
        let depth_ok = p.max_depth.is_none_or(|depth| (1..=30).contains(&depth));
        require(depth_ok, "max_depth", "must be between 1 and 30")?;
        require(
            p.max_leaves.is_none_or(|leaves| leaves >= 2),
            "max_leaves",
            "must be at least 2",
        )?;
        let limited = p.max_depth.is_some() || p.max_leaves.is_some();
        require(
            limited,
            "max_depth",
            "set a depth limit, a leaf limit or both",
        )?;
        let non_negative = |value: f64| value.is_finite() && value >= 0.0;
        require(
            non_negative(p.min_child_weight),
            "min_child_weight",
            "must be >= 0",
        )?;
        require(
            non_negative(p.l2_regularisation),
            "l2_regularisation",
            "must be >= 0",
        )?;
        require(
            non_negative(p.min_split_gain),
            "min_split_gain",
            "must be >= 0",
        )?;
        let share = |value: f64| value > 0.0 && value <= 1.0;
        require(share(p.row_subsample), "row_subsample", "must be in (0, 1]")?;
        require(
            share(p.column_subsample),
            "column_subsample",
            "must be in (0, 1]",
        )?;
        require(
            (2..=256).contains(&p.max_bins),
            "max_bins",
            "must be between 2 and 256",
        )?;
        let rounds_ok = p.early_stopping_rounds.is_none_or(|rounds| rounds >= 1);
        require(rounds_ok, "early_stopping_rounds", "must be at least 1")?;
        let fraction_ok = p.validation_fraction > 0.0 && p.validation_fraction < 1.0;
        require(fraction_ok, "validation_fraction", "must be in (0, 1)")?;
        Ok(BoostedTreesValidParams(self.clone()))
    }
}

/// A fitted boosted-trees model: `purchase_probability = sigmoid(base_log_odds + Σ trees)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostedTrees {
    pub feature_names: Vec<String>,
    pub params: BoostedTreesParams,
    /// Log-odds of the training buy rate, where boosting starts.
    pub base_log_odds: f64,
    pub trees: Vec<Tree>,
    /// Total split gain per feature over all kept trees.
    pub feature_gain: Vec<f64>,
    /// Validation log loss after each round (empty without a validation set).
    pub validation_log_loss: Vec<f64>,
}

impl Fit for BoostedTreesValidParams {
    type Model = BoostedTrees;

    /// Fits on all rows, or, with early stopping, on all but a seeded random
    /// `validation_fraction` of them that decides when to stop.
    fn fit(&self, features: &Matrix, labels: &[bool]) -> Result<BoostedTrees> {
        classifier::check_training(features, labels, true)?;
        if self.0.early_stopping_rounds.is_none() {
            return self.fit_with_validation(features, labels, None);
        }
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(self.0.seed ^ 0x5eed_0fa1));
        let n_validation = ((labels.len() as f64 * self.0.validation_fraction) as usize).max(1);
        let (validation_rows, training_rows) = order.split_at(n_validation);
        let (train, train_labels) = take_rows(features, labels, training_rows)?;
        let (valid, valid_labels) = take_rows(features, labels, validation_rows)?;
        self.fit_with_validation(&train, &train_labels, Some((&valid, &valid_labels)))
    }
}

impl BoostedTreesValidParams {
    /// Fits on `features`, tracking the log loss on `validation` after each round
    /// (and stopping early on it when `early_stopping_rounds` is set).
    pub fn fit_with_validation(
        &self,
        features: &Matrix,
        labels: &[bool],
        validation: Option<(&Matrix, &[bool])>,
    ) -> Result<BoostedTrees> {
        classifier::check_training(features, labels, true)?;
        let feature_names = classifier::feature_names_of(features);
        if let Some((valid, valid_labels)) = validation {
            ensemble::check_rows(valid, &feature_names)?;
            if valid_labels.len() != valid.n_rows() {
                return Err(crate::Error::InvalidInput(format!(
                    "{} validation labels for {} validation rows",
                    valid_labels.len(),
                    valid.n_rows()
                )));
            }
        }
        let monotone = self.0.monotone_constraints.resolve(&feature_names)?;
        let data = TrainingSet::new(features, self.0.max_bins);
        let grow_params = grow_params(&self.0, monotone);
        let buy_rate = labels.iter().filter(|&&bought| bought).count() as f64 / labels.len() as f64;
        let mut model = BoostedTrees {
            feature_names,
            params: self.0.clone(),
            base_log_odds: (buy_rate / (1.0 - buy_rate)).ln(),
            trees: Vec::new(),
            // Summed over the trees kept, once boosting ends.
            feature_gain: Vec::new(),
            validation_log_loss: Vec::new(),
        };
        let mut rounds = Rounds::new(&model, features, labels, validation);
        let mut rng = ChaCha8Rng::seed_from_u64(self.0.seed);
        let mut gains = Vec::new();
        for _ in 0..self.0.n_trees {
            let (tree, gain) = rounds.boost(&data, &self.0, &grow_params, &mut rng);
            gains.push(gain);
            model.trees.push(tree);
            if let Some(loss) = rounds.validate(model.trees.last(), validation) {
                model.validation_log_loss.push(loss);
                if self.should_stop(&model.validation_log_loss) {
                    break;
                }
            }
        }
        if self.0.early_stopping_rounds.is_some() {
            model.keep_best_round();
        }
        model.feature_gain = ensemble::total_gain(features.n_cols(), &gains[..model.trees.len()]);
        Ok(model)
    }

    fn should_stop(&self, losses: &[f64]) -> bool {
        let Some(patience) = self.0.early_stopping_rounds else {
            return false;
        };
        best_round(losses).is_some_and(|best| losses.len() - 1 - best >= patience)
    }
}

/// The tree learner's settings of every round, with the resolved `monotone` constraints.
fn grow_params(params: &BoostedTreesParams, monotone: Vec<Monotone>) -> GrowParams {
    GrowParams {
        max_depth: params.max_depth.unwrap_or(u32::MAX),
        max_leaves: params.max_leaves.unwrap_or(usize::MAX),
        min_child_weight: params.min_child_weight,
        l2: params.l2_regularisation,
        min_split_gain: params.min_split_gain,
        features_per_split: None,
        leaf_scale: params.learning_rate,
        label_weights: false,
        monotone,
    }
}

/// Index of the lowest loss (the earliest on ties).
fn best_round(losses: &[f64]) -> Option<usize> {
    (0..losses.len()).min_by(|&a, &b| losses[a].total_cmp(&losses[b]).then(a.cmp(&b)))
}

/// The running state of boosting: current log-odds of training and validation rows.
struct Rounds<'a> {
    features: &'a Matrix,
    labels: &'a [bool],
    log_odds: Vec<f64>,
    valid_log_odds: Vec<f64>,
    grads: Vec<GradPair>,
}

impl<'a> Rounds<'a> {
    fn new(
        model: &BoostedTrees,
        features: &'a Matrix,
        labels: &'a [bool],
        validation: Option<(&Matrix, &[bool])>,
    ) -> Self {
        let n_valid = validation.map_or(0, |(valid, _)| valid.n_rows());
        Self {
            features,
            labels,
            log_odds: vec![model.base_log_odds; labels.len()],
            valid_log_odds: vec![model.base_log_odds; n_valid],
            grads: vec![GradPair::default(); labels.len()],
        }
    }

    /// Grows one tree on the logistic loss's gradients and adds it to the log-odds.
    fn boost(
        &mut self,
        data: &TrainingSet,
        params: &BoostedTreesParams,
        grow_params: &GrowParams,
        rng: &mut ChaCha8Rng,
    ) -> (Tree, Vec<f64>) {
        self.grads
            .par_iter_mut()
            .zip(self.log_odds.par_iter().zip(self.labels.par_iter()))
            .for_each(|(pair, (&log_odds, &bought))| {
                let p = sigmoid(log_odds);
                *pair = GradPair {
                    g: p - f64::from(u8::from(bought)),
                    h: (p * (1.0 - p)).max(1e-16),
                };
            });
        let n_rows = self.labels.len() as u32;
        let rows: Vec<u32> = if params.row_subsample < 1.0 {
            (0..n_rows)
                .filter(|_| rng.random::<f64>() < params.row_subsample)
                .collect()
        } else {
            (0..n_rows).collect()
        };
        let tree_features = draw_features(data.binned.n_features, params.column_subsample, rng);
        let grown = grow(data, &self.grads, rows, &tree_features, grow_params, rng);
        let in_sample = grown.rows.len() == self.labels.len();
        for &(start, end, value) in &grown.leaves {
            for &row in &grown.rows[start..end] {
                self.log_odds[row as usize] += value;
            }
        }
        if !in_sample {
            let mut sampled = vec![false; self.labels.len()];
            grown
                .rows
                .iter()
                .for_each(|&row| sampled[row as usize] = true);
            for (row, log_odds) in self.log_odds.iter_mut().enumerate() {
                if !sampled[row] {
                    *log_odds += grown.tree.predict_row(self.features.row(row));
                }
            }
        }
        (grown.tree, grown.feature_gain)
    }

    /// Adds the newest tree to the validation log-odds; returns the validation log loss.
    fn validate(
        &mut self,
        tree: Option<&Tree>,
        validation: Option<(&Matrix, &[bool])>,
    ) -> Option<f64> {
        let (valid, valid_labels) = validation?;
        let tree = tree?;
        for (row, log_odds) in self.valid_log_odds.iter_mut().enumerate() {
            *log_odds += tree.predict_row(valid.row(row));
        }
        let probabilities: Vec<f64> = self.valid_log_odds.iter().map(|&z| sigmoid(z)).collect();
        metrics::log_loss(valid_labels, &probabilities).ok()
    }
}

/// `round(share * n)` features (at least 1) in increasing order, drawn without replacement.
fn draw_features(n_features: usize, share: f64, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut features: Vec<usize> = (0..n_features).collect();
    if share < 1.0 {
        let keep = ((n_features as f64 * share).round() as usize).clamp(1, n_features);
        features.shuffle(rng);
        features.truncate(keep);
        features.sort_unstable();
    }
    features
}

fn take_rows(features: &Matrix, labels: &[bool], rows: &[usize]) -> Result<(Matrix, Vec<bool>)> {
    let values = rows
        .iter()
        .flat_map(|&row| features.row(row).iter().copied())
        .collect();
    let matrix = Matrix::new(rows.len(), features.n_cols(), values)?
        .with_column_names(classifier::feature_names_of(features))?;
    Ok((matrix, rows.iter().map(|&row| labels[row]).collect()))
}

impl BoostedTrees {
    fn keep_best_round(&mut self) {
        if let Some(best) = best_round(&self.validation_log_loss) {
            self.trees.truncate(best + 1);
        }
    }

    /// Log-odds of a purchase for every row (before the sigmoid).
    pub fn predict_log_odds(&self, features: &Matrix) -> Result<Vec<f64>> {
        ensemble::check_rows(features, &self.feature_names)?;
        // The exit tables cost megabytes to build (features x 256 codes x trees): worth it
        // for a table of customers, not for the one customer of an API request.
        let exit_tables = if features.n_rows() >= EXIT_TABLES_MIN_ROWS {
            CompleteTrees::new(&self.trees, features.n_cols())
        } else {
            None
        };
        Ok(ensemble::sum_trees(
            &self.trees,
            exit_tables.as_ref(),
            features,
            self.base_log_odds,
        ))
    }
}

impl Classifier for BoostedTrees {
    const KIND: &'static str = "gradient_boosting";
    // Until session 9 the envelope said `boosted_trees` while metrics.json and the file
    // name said `gradient_boosting`; run folders written then still load.
    const FORMER_KINDS: &'static [&'static str] = &["boosted_trees"];

    fn predict_proba(&self, features: &Matrix) -> Result<Vec<f64>> {
        Ok(self
            .predict_log_odds(features)?
            .into_iter()
            .map(sigmoid)
            .collect())
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Total split gain per feature (XGBoost's `total_gain`), normalised to sum to 1.
    fn feature_importance(&self) -> Vec<f64> {
        classifier::normalised(&self.feature_gain)
    }

    /// TreeSHAP in the log-odds ([`BoostedTrees::predict_log_odds`]), XGBoost's
    /// `pred_contribs`: the base value is `base_log_odds` plus each tree's
    /// hessian-weighted mean leaf.
    fn explain(&self, features: &Matrix) -> Result<Explanation> {
        let (start, space) = (self.base_log_odds, MarginSpace::LogOdds);
        ensemble::explain(
            &self.trees,
            features,
            &self.feature_names,
            start,
            1.0,
            space,
        )
    }

    fn check_loaded(&self) -> Result<()> {
        self.params.validate()?;
        ensemble::check_loaded(
            "boosted trees",
            self.base_log_odds.is_finite(),
            &self.feature_names,
            &self.trees,
            &self.feature_gain,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::classifier::test_data::{
        formula_data, largest_break, noisy_customers, u_shaped_recency,
    };

    // XGBClassifier(n_estimators=3, max_depth=2, learning_rate=0.3, reg_lambda=1,
    // tree_method="hist", base_score=mean label), xgboost 3.2.0, rows 0, 1, 2, 50, 199
    // (docs/reference/trees/model_reference.py). XGBoost sums gradients in f32.
    const XGBOOST_PROBABILITIES: [(usize, f64); 5] = [
        (0, 0.3726098835468292),
        (1, 0.4343370199203491),
        (2, 0.6879873871803284),
        (50, 0.7394567131996155),
        (199, 0.8597464561462402),
    ];

    #[test]
    fn matches_xgboost_on_small_trees() {
        let (features, labels) = formula_data();
        let params = BoostedTreesParams::default()
            .n_trees(3)
            .max_depth(Some(2))
            .learning_rate(0.3);
        let model = params.validate().unwrap().fit(&features, &labels).unwrap();
        let probabilities = model.predict_proba(&features).unwrap();
        for (row, expected) in XGBOOST_PROBABILITIES {
            assert!(
                (probabilities[row] - expected).abs() < 1e-6,
                "row {row}: {}",
                probabilities[row]
            );
        }
    }

    // XGBClassifier(n_estimators=50, max_depth=4, learning_rate=0.1, tree_method="hist",
    // max_bin=256) with its default base score, xgboost 3.2.0, on the formula below
    // (docs/reference/trees/model_reference.py, "larger problem").
    const XGBOOST_LARGER: [(usize, f64); 5] = [
        (0, 0.03839518874883652),
        (7, 0.7623682618141174),
        (11, 0.4574894607067108),
        (500, 0.944870114326477),
        (2999, 0.6260524392127991),
    ];

    #[test]
    fn grows_xgboosts_trees_with_pruned_cuts_and_missing_values() {
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for i in 0..3000_u64 {
            let spend = (i * 7919 % 10007) as f64 / 7.0;
            let orders = (i * 53 % 17) as f64;
            let gap = if i % 11 == 0 {
                f64::NAN
            } else {
                (i * 31 % 200) as f64 / 10.0
            };
            let trend = (i * 104_729 % 4099) as f64 / 4099.0 * 3.0 - 1.5;
            let noise = (i * 7919 % 97) as f64 / 97.0;
            let gap_signal = if gap.is_nan() { 0.8 } else { gap / 20.0 };
            let signal = spend / 1430.0 + orders / 17.0 + gap_signal + 0.3 * trend;
            labels.push(signal + 1.5 * noise > 2.2);
            values.extend([spend, orders, gap, trend]);
        }
        let features = Matrix::new(3000, 4, values).unwrap();
        let params = BoostedTreesParams::default().n_trees(50).learning_rate(0.1);
        let model = params.validate().unwrap().fit(&features, &labels).unwrap();
        let probabilities = model.predict_proba(&features).unwrap();
        for (row, expected) in XGBOOST_LARGER {
            // XGBoost adds f32 gradients and leaf values: same trees, last digits differ.
            let error = (probabilities[row] - expected).abs();
            assert!(error < 2e-6, "row {row}: {}", probabilities[row]);
        }
    }

    /// docs/reference/trees/monotone_reference.py's data: buying U-shaped in
    /// `recency_days` (missing for every 13th row), rising with `orders`.
    fn u_shaped_customers() -> (Matrix, Vec<bool>) {
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for i in 0..600_u64 {
            let recency_days = if i % 13 == 0 {
                f64::NAN
            } else {
                (i * 37 % 101) as f64 * 3.0
            };
            let orders = (i * 53 % 17) as f64;
            let noise = (i * 7919 % 97) as f64 / 97.0;
            let u_shape = if recency_days.is_nan() {
                0.5
            } else {
                (recency_days - 150.0).abs() / 150.0
            };
            labels.push(u_shape + orders / 17.0 + 1.2 * (i * 104_729 % 89) as f64 / 89.0 > 1.4);
            values.extend([recency_days, orders, noise]);
        }
        let names = ["recency_days", "orders", "noise"]
            .map(String::from)
            .to_vec();
        let matrix = Matrix::new(600, 3, values).and_then(|m| m.with_column_names(names));
        (matrix.unwrap(), labels)
    }

    // XGBClassifier(n_estimators=20, monotone_constraints=(-1, 1, 0), tree_method="hist",
    // base_score=mean label) of xgboost 3.2.0, depth 3 at learning rate 0.3 and 8 leaves
    // (lossguide) at 0.2, every row (docs/reference/trees/monotone_reference.py).
    const XGBOOST_MONOTONE: &str = include_str!("tree/testdata/xgboost_monotone.csv");

    #[test]
    fn matches_xgboost_with_monotone_constraints() {
        let (features, labels) = u_shaped_customers();
        let base = BoostedTreesParams::default().n_trees(20);
        let depth_limited = base.clone().max_depth(Some(3)).learning_rate(0.3);
        let leaf_limited = base.max_depth(None).max_leaves(Some(8)).learning_rate(0.2);
        let fit = |params: &BoostedTreesParams| {
            let model = params.validate().unwrap().fit(&features, &labels).unwrap();
            model.predict_proba(&features).unwrap()
        };
        let constrained = |params: BoostedTreesParams| {
            params
                .monotone("recency_days", Monotone::Decreasing)
                .monotone("orders", Monotone::Increasing)
        };
        for (column, params) in [(1, depth_limited), (2, leaf_limited)] {
            let expected: Vec<f64> = XGBOOST_MONOTONE
                .lines()
                .skip(1)
                .map(|line| line.split(',').nth(column).unwrap().parse().unwrap())
                .collect();
            let probabilities = fit(&constrained(params.clone()));
            assert_eq!(expected.len(), probabilities.len());
            for (row, (got, want)) in probabilities.iter().zip(&expected).enumerate() {
                // Same trees; XGBoost adds f32 leaf values, so the last digits differ.
                assert!(
                    (got - want).abs() < 1e-6,
                    "column {column}, row {row}: {got}"
                );
            }
            // The constraints matter here: without them the model is another one.
            let free = fit(&params);
            let moved = free
                .iter()
                .zip(&expected)
                .any(|(got, want)| (got - want).abs() > 0.05);
            assert!(moved, "column {column}");
        }
    }

    fn fitted(seed: u64) -> (BoostedTrees, Matrix, Vec<bool>) {
        let (features, labels) = noisy_customers(3000, 7);
        let params = BoostedTreesParams::default()
            .n_trees(60)
            .learning_rate(0.2)
            .row_subsample(0.8)
            .column_subsample(0.7)
            .seed(seed);
        let model = params.validate().unwrap().fit(&features, &labels).unwrap();
        (model, features, labels)
    }

    #[test]
    fn ranks_held_out_customers_and_uses_missing_values() {
        let (model, _, _) = fitted(1);
        let (test, test_labels) = noisy_customers(3000, 8);
        let probabilities = model.predict_proba(&test).unwrap();
        let auc = metrics::roc_auc(&test_labels, &probabilities).unwrap();
        assert!(auc > 0.85, "AUC {auc}");
        // A missing basket means a likely buyer: the learned default side must say so.
        let base = [200.0, 2.0, 50.0];
        let missing = [200.0, 2.0, f64::NAN];
        let rows = Matrix::new(2, 3, base.into_iter().chain(missing).collect()).unwrap();
        let pair = model.predict_proba(&rows).unwrap();
        assert!(pair[1] > pair[0] + 0.2, "{pair:?}");
    }

    #[test]
    fn exit_masks_predict_bit_for_bit_what_the_trees_say() {
        let (features, labels) = noisy_customers(3000, 7);
        let (test, _) = noisy_customers(5000, 11);
        for depth in [2, 4, 6] {
            let params = BoostedTreesParams::default()
                .n_trees(40)
                .max_depth(Some(depth))
                .row_subsample(0.8)
                .seed(depth.into());
            let model = params.validate().unwrap().fit(&features, &labels).unwrap();
            // Values on the thresholds themselves, and missing values in every column.
            let n_cols = test.n_cols();
            let mut values = test.values().to_vec();
            let splits = model.trees.iter().flat_map(|tree| &tree.nodes);
            let inner = splits.filter(|node| node.left != node.right);
            for (row, node) in inner.enumerate() {
                values[row * n_cols + node.feature as usize] = node.threshold;
            }
            for row in (0..test.n_rows()).step_by(7) {
                values[row * n_cols + row % n_cols] = f64::NAN;
            }
            let rows = Matrix::new(test.n_rows(), n_cols, values)
                .and_then(|m| m.with_column_names(test.column_names().to_vec()))
                .unwrap();
            let expected: Vec<u64> = rows
                .rows()
                .map(|row| {
                    let trees = model.trees.iter();
                    trees.fold(model.base_log_odds, |sum, tree| sum + tree.predict_row(row))
                })
                .map(f64::to_bits)
                .collect();
            let predicted = model.predict_log_odds(&rows).unwrap();
            let predicted: Vec<u64> = predicted.into_iter().map(f64::to_bits).collect();
            assert_eq!(predicted, expected, "depth {depth}");
            // A single row (an API request) walks the trees: the same sum.
            let one = Matrix::new(1, n_cols, rows.values()[..n_cols].to_vec())
                .and_then(|m| m.with_column_names(test.column_names().to_vec()))
                .unwrap();
            let alone = model.predict_log_odds(&one).unwrap()[0].to_bits();
            assert_eq!(alone, expected[0], "depth {depth}, one row");
        }
    }

    #[test]
    fn same_seed_same_model_whatever_the_threads() {
        let (model, _, _) = fitted(3);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (single, _, _) = pool.install(|| fitted(3));
        assert_eq!(model, single);
        let (other_seed, _, _) = fitted(4);
        assert_ne!(model.trees, other_seed.trees);
    }

    #[test]
    fn saved_model_predicts_the_same_and_checks_its_version() {
        let (model, features, _) = fitted(1);
        let json = model.to_json().unwrap();
        let loaded = BoostedTrees::from_json(&json).unwrap();
        assert_eq!(
            model.predict_proba(&features).unwrap(),
            loaded.predict_proba(&features).unwrap()
        );
        let future = json.replacen("\"format_version\":1", "\"format_version\":2", 1);
        let err = BoostedTrees::from_json(&future).unwrap_err().to_string();
        assert!(err.contains("format version 2"), "{err}");
        let err = crate::forest::RandomForest::from_json(&json)
            .unwrap_err()
            .to_string();
        assert!(err.contains("gradient_boosting"), "{err}");
        let before_session_9 = json.replacen("gradient_boosting", "boosted_trees", 1);
        assert!(before_session_9.contains("\"kind\":\"boosted_trees\""));
        assert_eq!(BoostedTrees::from_json(&before_session_9).unwrap(), model);
        assert!(matches!(
            crate::classifier::AnyClassifier::from_json(&before_session_9),
            Ok(crate::classifier::AnyClassifier::Boosted(_))
        ));
    }

    #[test]
    fn early_stopping_keeps_the_best_round() {
        let (features, labels) = noisy_customers(2000, 9);
        let params = BoostedTreesParams::default()
            .n_trees(400)
            .learning_rate(0.5)
            .max_depth(Some(6))
            .early_stopping_rounds(Some(10));
        let model = params.validate().unwrap().fit(&features, &labels).unwrap();
        assert!(model.trees.len() < 100, "{} trees", model.trees.len());
        assert_eq!(
            best_round(&model.validation_log_loss),
            Some(model.trees.len() - 1)
        );
    }

    #[test]
    fn leaf_limit_bounds_every_tree() {
        let (features, labels) = noisy_customers(2000, 9);
        let params = BoostedTreesParams::default()
            .n_trees(5)
            .max_depth(None)
            .max_leaves(Some(5));
        let model = params.validate().unwrap().fit(&features, &labels).unwrap();
        for tree in &model.trees {
            let leaves = tree
                .nodes
                .iter()
                .enumerate()
                .filter(|(i, n)| n.left as usize == *i)
                .count();
            assert_eq!(leaves, 5);
        }
        assert!((model.feature_importance().iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]

        /// On data where buying rises again for the longest-lapsed customers, the
        /// unconstrained model rises along `recency_days`; constrained, it never does,
        /// and never falls along `orders`, whatever the other features.
        #[test]
        fn monotone_constraints_are_never_broken(
            seed in 0_u64..1000,
            probes in proptest::collection::vec(
                (0.0_f64..600.0, 0.0_f64..10.0, proptest::prop_oneof![0.0_f64..100.0, proptest::strategy::Just(f64::NAN)]),
                8,
            ),
        ) {
            let (features, labels) = u_shaped_recency(1500, seed);
            let params = BoostedTreesParams::default()
                .n_trees(40)
                .learning_rate(0.3)
                .row_subsample(0.8)
                .seed(seed);
            let free = params.validate().unwrap().fit(&features, &labels).unwrap();
            let constrained = params
                .monotone("recency_days", Monotone::Decreasing)
                .monotone("orders", Monotone::Increasing)
                .validate()
                .unwrap()
                .fit(&features, &labels)
                .unwrap();
            let mut free_rises = false;
            for (recency_days, orders, basket) in probes {
                let others = [recency_days, orders.floor(), basket];
                free_rises |= largest_break(&free, 0, others, Monotone::Decreasing) > 0.05;
                let rise = largest_break(&constrained, 0, others, Monotone::Decreasing);
                proptest::prop_assert!(rise <= 0.0, "rises by {rise} along recency at {others:?}");
                let fall = largest_break(&constrained, 1, others, Monotone::Increasing);
                proptest::prop_assert!(fall <= 0.0, "falls by {fall} along orders at {others:?}");
            }
            proptest::prop_assert!(free_rises);
        }
    }

    #[test]
    fn constraints_are_checked_when_fitting_and_saved_with_the_model() {
        let (features, labels) = u_shaped_customers();
        let typo = BoostedTreesParams::default().monotone("recency", Monotone::Decreasing);
        let err = typo
            .validate()
            .unwrap()
            .fit(&features, &labels)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `monotone`: no feature named `recency` \
             (features: recency_days, orders, noise)"
        );
        let params = BoostedTreesParams::default()
            .n_trees(5)
            .monotone("recency_days", Monotone::Decreasing);
        let model = params.validate().unwrap().fit(&features, &labels).unwrap();
        let json = model.to_json().unwrap();
        assert!(json.contains(r#""monotone_constraints":[["recency_days","decreasing"]]"#));
        assert_eq!(BoostedTrees::from_json(&json).unwrap(), model);
        // Unconstrained, the file is as before constraints existed, and such files load.
        let free = BoostedTreesParams::default().n_trees(5).validate().unwrap();
        let free = free.fit(&features, &labels).unwrap();
        let json = free.to_json().unwrap();
        assert!(!json.contains("monotone"));
        assert_eq!(BoostedTrees::from_json(&json).unwrap(), free);
    }

    #[test]
    fn bad_settings_and_inputs_are_errors() {
        let bad = BoostedTreesParams::default().learning_rate(0.0).validate();
        assert!(matches!(
            bad,
            Err(Error::InvalidParameter {
                name: "learning_rate",
                ..
            })
        ));
        let bad = BoostedTreesParams::default().max_bins(300).validate();
        assert!(matches!(
            bad,
            Err(Error::InvalidParameter {
                name: "max_bins",
                ..
            })
        ));
        let (features, labels) = formula_data();
        let params = BoostedTreesParams::default().n_trees(2).validate().unwrap();
        assert!(params.fit(&features, &labels[..10]).is_err());
        assert!(params.fit(&features, &[true; 200]).is_err());
        let model = params.fit(&features, &labels).unwrap();
        let infinite = Matrix::new(1, 3, vec![1.0, f64::INFINITY, 2.0]).unwrap();
        assert!(matches!(
            model.predict_proba(&infinite),
            Err(Error::NonFinite { .. })
        ));
        let narrow = Matrix::new(1, 2, vec![1.0, 2.0]).unwrap();
        assert!(model.predict_proba(&narrow).is_err());
    }
}
