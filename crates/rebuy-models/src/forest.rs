//! Random forest for purchase probability, like scikit-learn's `RandomForestClassifier`:
//! every tree is grown on a bootstrap sample, drawing `sqrt(n_features)` candidate features
//! at each node, until its leaves are pure; `purchase_probability` is the mean over trees
//! of the share of buyers in the leaf a customer falls in. Splits are searched on the
//! shared histogram learner ([`crate::tree`]) with XGBoost's quantile bins (up to 256
//! per feature), and missing values go to a learned side as in the boosting. Trees grow in parallel; each
//! has its own seed drawn from the master seed, so results do not depend on threads.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::builder::setters;
use crate::classifier::{self, Classifier, Fit, require};
use crate::explain::{Explanation, MarginSpace};
use crate::matrix::Matrix;
use crate::monotone::{Monotone, MonotoneConstraints};
use crate::tree::grow::{GradPair, GrowParams, GrownTree, TrainingSet, grow};
use crate::tree::{Tree, ensemble};

/// How many features each node may split on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum MaxFeatures {
    /// `max(1, floor(sqrt(n_features)))`, scikit-learn's default for classifiers.
    Sqrt,
    /// Every feature at every node (bagged trees).
    All,
    /// This many features (capped at the number of features).
    Count(usize),
}

/// Hyper-parameters of [`RandomForest`]. Defaults (scikit-learn's): 200 trees, no depth
/// limit, `min_samples_leaf` 1, `MaxFeatures::Sqrt`, bootstrap on, 256 value bins, seed 0,
/// no monotone constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomForestParams {
    n_trees: usize,
    max_depth: Option<u32>,
    min_samples_leaf: usize,
    max_features: MaxFeatures,
    bootstrap: bool,
    max_bins: usize,
    seed: u64,
    /// Absent from models saved before constraints existed, and from unconstrained ones.
    #[serde(default, skip_serializing_if = "MonotoneConstraints::is_empty")]
    monotone_constraints: MonotoneConstraints,
}

impl Default for RandomForestParams {
    fn default() -> Self {
        Self {
            n_trees: 200,
            max_depth: None,
            min_samples_leaf: 1,
            max_features: MaxFeatures::Sqrt,
            bootstrap: true,
            max_bins: 256,
            seed: 0,
            monotone_constraints: MonotoneConstraints::default(),
        }
    }
}

/// [`RandomForestParams`] that passed [`RandomForestParams::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct RandomForestValidParams(RandomForestParams);

impl RandomForestParams {
    setters! {
        /// Number of trees, at least 1.
        n_trees: usize,
        /// Depth limit (1 to 64), or `None` to grow until leaves are pure.
        max_depth: Option<u32>,
        /// Fewest training rows in a leaf (bootstrap copies counted), at least 1.
        min_samples_leaf: usize,
        /// Candidate features per node.
        max_features: MaxFeatures,
        /// Draw each tree's rows with replacement (off: every tree sees every row once).
        bootstrap: bool,
        /// Value bins per feature (XGBoost's `max_bin`), 2 to 256; missing values have a
        /// bin of their own (a feature with missing values keeps at most 255 for values).
        max_bins: usize,
        /// Master seed of the bootstrap samples and feature draws.
        seed: u64,
        /// Every monotone constraint at once, replacing those set before.
        monotone_constraints: MonotoneConstraints,
    }

    /// Constrains `purchase_probability` never to fall ([`Monotone::Increasing`]) or never
    /// to rise ([`Monotone::Decreasing`]) as `feature` grows, all else equal, as
    /// scikit-learn's `monotonic_cst`: each tree's leaf shares of buyers are bounded as
    /// in the boosting ([`crate::tree`]). `feature` is a column name of the training
    /// matrix (`column {i}` for unnamed columns), checked when fitting.
    pub fn monotone(mut self, feature: impl Into<String>, direction: Monotone) -> Self {
        self.monotone_constraints.set(feature, direction);
        self
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<RandomForestValidParams> {
        require(self.n_trees >= 1, "n_trees", "must be at least 1")?;
        let depth_ok = self.max_depth.is_none_or(|depth| (1..=64).contains(&depth));
        require(depth_ok, "max_depth", "must be between 1 and 64")?;
        require(
            self.min_samples_leaf >= 1,
            "min_samples_leaf",
            "must be at least 1",
        )?;
        let features_ok = !matches!(self.max_features, MaxFeatures::Count(0));
        require(features_ok, "max_features", "must be at least 1")?;
        require(
            (2..=256).contains(&self.max_bins),
            "max_bins",
            "must be between 2 and 256",
        )?;
        Ok(RandomForestValidParams(self.clone()))
    }
}

/// A fitted random forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomForest {
    pub feature_names: Vec<String>,
    pub params: RandomForestParams,
    /// Each leaf's value is the (bootstrap-weighted) share of buyers in it.
    pub trees: Vec<Tree>,
    /// Total impurity (Gini) decrease per feature over all trees.
    pub feature_gain: Vec<f64>,
}

impl Fit for RandomForestValidParams {
    type Model = RandomForest;

    fn fit(&self, features: &Matrix, labels: &[bool]) -> Result<RandomForest> {
        classifier::check_training(features, labels, true)?;
        let params = &self.0;
        let data = TrainingSet::new(features, params.max_bins);
        let feature_names = classifier::feature_names_of(features);
        let monotone = params.monotone_constraints.resolve(&feature_names)?;
        let grow_params = grow_params(params, features.n_cols(), monotone);
        let mut master = ChaCha8Rng::seed_from_u64(params.seed);
        let seeds: Vec<u64> = (0..params.n_trees).map(|_| master.random()).collect();
        let (trees, gains): (Vec<Tree>, Vec<Vec<f64>>) = seeds
            .par_iter()
            .map(|&seed| {
                let tree = grow_one(&data, labels, params.bootstrap, &grow_params, seed);
                (tree.tree, tree.feature_gain)
            })
            .unzip();
        Ok(RandomForest {
            feature_names,
            params: params.clone(),
            trees,
            feature_gain: ensemble::total_gain(features.n_cols(), &gains),
        })
    }
}

/// The tree learner's settings for a forest on `n_features` features with the resolved
/// `monotone` constraints.
fn grow_params(
    params: &RandomForestParams,
    n_features: usize,
    monotone: Vec<Monotone>,
) -> GrowParams {
    let per_split = match params.max_features {
        MaxFeatures::Sqrt => ((n_features as f64).sqrt().floor() as usize).max(1),
        MaxFeatures::All => n_features,
        MaxFeatures::Count(count) => count.min(n_features),
    };
    GrowParams {
        max_depth: params.max_depth.unwrap_or(u32::MAX),
        max_leaves: usize::MAX,
        min_child_weight: params.min_samples_leaf as f64,
        l2: 0.0,
        min_split_gain: 0.0,
        features_per_split: (per_split < n_features).then_some(per_split),
        leaf_scale: 1.0,
        label_weights: true,
        monotone,
    }
}

/// One tree of the forest, from its own seed (bootstrap sample, then feature draws).
fn grow_one(
    data: &TrainingSet,
    labels: &[bool],
    bootstrap: bool,
    grow_params: &GrowParams,
    seed: u64,
) -> GrownTree {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (grads, rows) = sample(labels, bootstrap, &mut rng);
    let all_features: Vec<usize> = (0..data.binned.n_features).collect();
    grow(data, &grads, rows, &all_features, grow_params, &mut rng)
}

/// Bootstrap weights as gradient pairs (`g = -bought * copies`, `h = copies`, so a leaf's
/// value `-G/H` is its share of buyers) and the rows drawn at least once.
fn sample(labels: &[bool], bootstrap: bool, rng: &mut ChaCha8Rng) -> (Vec<GradPair>, Vec<u32>) {
    let n = labels.len();
    let mut copies = vec![u32::from(!bootstrap); n];
    if bootstrap {
        for _ in 0..n {
            copies[rng.random_range(0..n)] += 1;
        }
    }
    let grads = labels
        .iter()
        .zip(&copies)
        .map(|(&bought, &count)| {
            let weight = f64::from(count);
            GradPair {
                g: -weight * f64::from(u8::from(bought)),
                h: weight,
            }
        })
        .collect();
    let rows = (0..n as u32)
        .filter(|&row| copies[row as usize] > 0)
        .collect();
    (grads, rows)
}

impl Classifier for RandomForest {
    const KIND: &'static str = "random_forest";

    fn predict_proba(&self, features: &Matrix) -> Result<Vec<f64>> {
        ensemble::check_rows(features, &self.feature_names)?;
        // By default forest trees grow until their leaves are pure: deeper than exit tables go.
        let sums = ensemble::sum_trees(&self.trees, None, features, 0.0);
        let n_trees = self.trees.len() as f64;
        Ok(sums
            .into_iter()
            .map(|sum| (sum / n_trees).clamp(0.0, 1.0))
            .collect())
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Mean decrease in impurity (Gini), summed over trees and normalised to sum to 1.
    fn feature_importance(&self) -> Vec<f64> {
        classifier::normalised(&self.feature_gain)
    }

    /// TreeSHAP in the purchase probability: the forest's score is the mean of its
    /// trees' leaf shares, so each tree's values count `1 / n_trees` (as `shap` does for
    /// scikit-learn's forest). The base value is the mean over trees of the training
    /// share of buyers (bootstrap copies counted).
    fn explain(&self, features: &Matrix) -> Result<Explanation> {
        let scale = 1.0 / self.trees.len() as f64;
        let space = MarginSpace::Probability;
        ensemble::explain(
            &self.trees,
            features,
            &self.feature_names,
            0.0,
            scale,
            space,
        )
    }

    fn check_loaded(&self) -> Result<()> {
        self.params.validate()?;
        // The mean over trees needs at least one.
        ensemble::check_loaded(
            "random forest",
            !self.trees.is_empty(),
            &self.feature_names,
            &self.trees,
            &self.feature_gain,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::test_data::{
        formula_data, largest_break, noisy_customers, u_shaped_recency,
    };
    use crate::{Error, metrics};

    #[test]
    fn full_trees_without_bootstrap_reproduce_the_training_labels() {
        let (features, labels) = formula_data();
        let params = RandomForestParams::default()
            .n_trees(3)
            .bootstrap(false)
            .max_features(MaxFeatures::All);
        let model = params.validate().unwrap().fit(&features, &labels).unwrap();
        let probabilities = model.predict_proba(&features).unwrap();
        let expected: Vec<f64> = labels.iter().map(|&b| f64::from(u8::from(b))).collect();
        assert_eq!(probabilities, expected);
    }

    fn fitted(seed: u64) -> RandomForest {
        let (features, labels) = noisy_customers(2000, 7);
        let params = RandomForestParams::default()
            .n_trees(30)
            .min_samples_leaf(5)
            .seed(seed);
        params.validate().unwrap().fit(&features, &labels).unwrap()
    }

    #[test]
    fn ranks_held_out_customers() {
        let model = fitted(1);
        let (test, test_labels) = noisy_customers(2000, 8);
        let probabilities = model.predict_proba(&test).unwrap();
        assert!(probabilities.iter().all(|p| (0.0..=1.0).contains(p)));
        let auc = metrics::roc_auc(&test_labels, &probabilities).unwrap();
        assert!(auc > 0.85, "AUC {auc}");
        let importance = model.feature_importance();
        // Recency drives buying here; the basket value itself is noise.
        assert!(importance[0] > importance[2], "{importance:?}");
    }

    #[test]
    fn skipping_pure_nodes_grows_the_same_trees() {
        let (features, labels) = noisy_customers(2000, 7);
        let data = TrainingSet::new(&features, 256);
        // Also with bounds: a pure node's children share one clipped weight, gain 0.
        let constrained = vec![
            Monotone::Decreasing,
            Monotone::Increasing,
            Monotone::Unconstrained,
        ];
        for monotone in [Vec::new(), constrained] {
            let skipping = grow_params(&RandomForestParams::default(), features.n_cols(), monotone);
            let searching = GrowParams {
                label_weights: false,
                ..skipping.clone()
            };
            for seed in 0..5 {
                let tree = |params| grow_one(&data, &labels, true, params, seed).tree;
                assert_eq!(tree(&skipping), tree(&searching));
            }
        }
    }

    #[test]
    fn same_seed_same_forest_whatever_the_threads() {
        let model = fitted(3);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(model, pool.install(|| fitted(3)));
        assert_ne!(model.trees, fitted(4).trees);
    }

    #[test]
    fn saved_forest_predicts_the_same() {
        let model = fitted(1);
        let (features, _) = noisy_customers(500, 8);
        let loaded = RandomForest::from_json(&model.to_json().unwrap()).unwrap();
        assert_eq!(
            model.predict_proba(&features).unwrap(),
            loaded.predict_proba(&features).unwrap()
        );
        let mut broken: serde_json::Value =
            serde_json::from_str(&model.to_json().unwrap()).unwrap();
        broken["model"]["trees"][0]["nodes"][0]["left"] = serde_json::json!(0);
        broken["model"]["trees"][0]["nodes"][0]["right"] = serde_json::json!(999_999);
        assert!(matches!(
            RandomForest::from_json(&broken.to_string()),
            Err(Error::Format(_))
        ));
    }

    #[test]
    fn any_classifier_loads_by_kind() {
        let model = fitted(1);
        let (features, _) = noisy_customers(100, 8);
        let any = crate::classifier::AnyClassifier::from_json(&model.to_json().unwrap()).unwrap();
        assert_eq!(
            any.predict_proba(&features).unwrap(),
            model.predict_proba(&features).unwrap()
        );
        assert_eq!(any.feature_names()[0], "recency_days");
        let unknown = model
            .to_json()
            .unwrap()
            .replace("random_forest", "neural_net");
        let err = crate::classifier::AnyClassifier::from_json(&unknown)
            .unwrap_err()
            .to_string();
        assert!(err.contains("neural_net"), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]

        /// On data where buying rises again for the longest-lapsed customers, the
        /// unconstrained forest rises along `recency_days`; constrained, it never does,
        /// whatever the other features.
        #[test]
        fn a_decreasing_constraint_is_never_broken(
            seed in 0_u64..1000,
            probes in proptest::collection::vec(
                (0.0_f64..10.0, proptest::prop_oneof![0.0_f64..100.0, proptest::strategy::Just(f64::NAN)]),
                8,
            ),
        ) {
            let (features, labels) = u_shaped_recency(1500, seed);
            let params = RandomForestParams::default().n_trees(20).min_samples_leaf(5).seed(seed);
            let free = params.validate().unwrap().fit(&features, &labels).unwrap();
            let constrained = params
                .monotone("recency_days", Monotone::Decreasing)
                .validate()
                .unwrap()
                .fit(&features, &labels)
                .unwrap();
            let mut free_rises = false;
            for (orders, basket) in probes {
                let others = [0.0, orders.floor(), basket];
                free_rises |= largest_break(&free, 0, others, Monotone::Decreasing) > 0.05;
                let rise = largest_break(&constrained, 0, others, Monotone::Decreasing);
                proptest::prop_assert!(rise <= 0.0, "rises by {rise} at {others:?}");
            }
            proptest::prop_assert!(free_rises);
        }
    }

    #[test]
    fn constraints_are_checked_when_fitting_and_saved_with_the_model() {
        let (features, labels) = noisy_customers(300, 7);
        let typo = RandomForestParams::default().monotone("orderz", Monotone::Increasing);
        let err = typo
            .validate()
            .unwrap()
            .fit(&features, &labels)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter `monotone`: no feature named `orderz` \
             (features: recency_days, orders, basket)"
        );
        let params = RandomForestParams::default()
            .n_trees(5)
            .monotone("orders", Monotone::Increasing);
        let model = params.validate().unwrap().fit(&features, &labels).unwrap();
        let loaded = RandomForest::from_json(&model.to_json().unwrap()).unwrap();
        assert_eq!(loaded, model);
    }

    #[test]
    fn bad_settings_are_errors() {
        let bad = RandomForestParams::default().n_trees(0).validate();
        assert!(matches!(
            bad,
            Err(Error::InvalidParameter {
                name: "n_trees",
                ..
            })
        ));
        let bad = RandomForestParams::default()
            .max_features(MaxFeatures::Count(0))
            .validate();
        assert!(matches!(
            bad,
            Err(Error::InvalidParameter {
                name: "max_features",
                ..
            })
        ));
    }
}
