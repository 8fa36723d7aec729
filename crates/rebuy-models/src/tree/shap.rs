//! Exact TreeSHAP: each feature's Shapley value in a tree ensemble's output for one row,
//! in polynomial time (Lundberg, Erion and Lee 2018, "Consistent individualized feature
//! attribution for tree ensembles", Algorithm 2, with its EXTEND and UNWIND).
//!
//! The value of a set `S` of known features is the tree's expected output when only
//! they are known: at a split on a known feature the row goes its own way (missing
//! values the learned default side), at a split on an unknown one both children count,
//! each by its share of the node's training cover ([`Node::cover`]). The Shapley values
//! of that game add up to `f(x) - E[f]`, where `E[f]` is the value of no feature known,
//! the cover-weighted mean leaf. Algorithm 2 walks the tree once per row, keeping on the
//! path from the root one entry per distinct feature split on so far: the share of cover
//! that follows the path with the feature unknown (`zero_fraction`), whether the row
//! itself follows it (`one_fraction`, 0 or 1), and the weights of the subsets of each
//! size that the path's leaves are reached with. Cost per row: `O(leaves * depth²)` per
//! tree. This is the algorithm of the `shap` package's `TreeExplainer` (its
//! `tree_shap_recursive`), checked against it and against the 2^M-coalition definition
//! in the tests.

use rayon::prelude::*;

use super::{Node, Tree};
use crate::matrix::Matrix;
use crate::{Error, Result};

/// Rows per explanation task (fixed, so results do not depend on the thread count).
const EXPLAIN_CHUNK: usize = 64;

/// A feature on the path from the root to the node being visited (the paper's `m`).
#[derive(Debug, Clone, Copy)]
struct PathElement {
    /// `usize::MAX` for the root's placeholder, which no contribution goes to.
    feature: usize,
    /// Product over the path's splits on this feature of the followed child's share of
    /// its parent's cover.
    zero_fraction: f64,
    /// 1 when the row itself takes every split on this feature the path's way, else 0.
    one_fraction: f64,
    /// Weight of the subsets of this element's size among the path's features.
    weight: f64,
}

const PLACEHOLDER: PathElement = PathElement {
    feature: usize::MAX,
    zero_fraction: 1.0,
    one_fraction: 1.0,
    weight: 1.0,
};

/// Checks that every tree can be explained: every node of a tree that splits has a
/// positive cover (so every share on a path is positive and UNWIND never divides by
/// 0). Trained trees always do; models saved before covers were kept have 0 everywhere.
pub(crate) fn check_covers(trees: &[Tree]) -> Result<()> {
    let covered = |node: &Node| node.cover > 0.0 && node.cover.is_finite();
    let explainable = trees
        .iter()
        .all(|tree| tree.nodes.len() == 1 || tree.nodes.iter().all(covered));
    if explainable {
        Ok(())
    } else {
        Err(Error::InvalidInput(
            "the model has no training cover in its tree nodes (it was saved before covers \
             were kept); refit it to explain its scores"
                .into(),
        ))
    }
}

/// The expected output of `tree` with no feature known: its leaves weighted by the
/// product of cover shares on their paths (the same shares TreeSHAP uses, so that the
/// contributions add up to the output minus this).
pub(crate) fn expected_value(tree: &Tree) -> f64 {
    // Children come after their parent, so a backward pass sees them first.
    let mut expectation = vec![0.0; tree.nodes.len()];
    for (index, node) in tree.nodes.iter().enumerate().rev() {
        expectation[index] = if node.is_leaf(index) {
            node.value
        } else {
            let (left, right) = (node.left as usize, node.right as usize);
            let share = |child: usize| tree.nodes[child].cover / node.cover;
            share(left) * expectation[left] + share(right) * expectation[right]
        };
    }
    expectation[0]
}

/// The TreeSHAP values of `trees` for every row of `features` (checked by the caller,
/// covers by [`check_covers`]), each tree's times `scale`: row-major, one value per
/// feature. Rows are explained in parallel, each row's trees in model order.
pub(crate) fn contributions(trees: &[Tree], features: &Matrix, scale: f64) -> Vec<f64> {
    let n_features = features.n_cols();
    let depth = trees
        .iter()
        .map(|tree| tree.depth as usize)
        .max()
        .unwrap_or(0);
    // Level d of the walk keeps its own copy of a path of at most d + 1 elements.
    let scratch_len = (depth + 1) * (depth + 2) / 2;
    let mut values = vec![0.0; features.n_rows() * n_features];
    values
        .par_chunks_mut(EXPLAIN_CHUNK * n_features)
        .zip(features.values().par_chunks(EXPLAIN_CHUNK * n_features))
        .for_each(|(phi_rows, rows)| {
            let mut scratch = vec![PLACEHOLDER; scratch_len];
            for (phi, row) in phi_rows
                .chunks_exact_mut(n_features)
                .zip(rows.chunks_exact(n_features))
            {
                for tree in trees {
                    let mut walk = Walk {
                        tree,
                        row,
                        phi: &mut *phi,
                        scale,
                    };
                    walk.visit(0, &[], &mut scratch, 1.0, 1.0, usize::MAX);
                }
            }
        });
    values
}

/// One row's walk down one tree, adding to the row's contributions `phi`.
struct Walk<'a> {
    tree: &'a Tree,
    row: &'a [f64],
    phi: &'a mut [f64],
    scale: f64,
}

impl Walk<'_> {
    /// Algorithm 2's RECURSE: extends the parent's path by the split that led here
    /// (on `feature`, with fractions `zero_fraction` and `one_fraction`), then either
    /// credits the leaf's value to the path's features or goes on into both children.
    fn visit(
        &mut self,
        index: usize,
        parent_path: &[PathElement],
        scratch: &mut [PathElement],
        zero_fraction: f64,
        one_fraction: f64,
        feature: usize,
    ) {
        let (path, rest) = scratch.split_at_mut(parent_path.len() + 1);
        path[..parent_path.len()].copy_from_slice(parent_path);
        extend(path, zero_fraction, one_fraction, feature);
        let node = self.tree.nodes[index];
        if node.is_leaf(index) {
            let output = node.value * self.scale;
            let cold_gain = cold_gain(path);
            for at in 1..path.len() {
                let element = path[at];
                let gain = if element.one_fraction == 0.0 {
                    cold_gain
                } else {
                    hot_unwound_sum(path, at) * (element.one_fraction - element.zero_fraction)
                };
                self.phi[element.feature] += gain * output;
            }
            return;
        }
        let hot = node.next(self.row) as usize;
        let cold = if hot == node.left as usize {
            node.right as usize
        } else {
            node.left as usize
        };
        let split_feature = node.feature as usize;
        // A feature split on again above: undo its element so that it is counted once,
        // with the fractions of both splits multiplied.
        let mut length = path.len();
        let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
        if let Some(at) = (1..length).find(|&at| path[at].feature == split_feature) {
            incoming_zero = path[at].zero_fraction;
            incoming_one = path[at].one_fraction;
            unwind(&mut path[..length], at);
            length -= 1;
        }
        let share = |child: usize| self.tree.nodes[child].cover / node.cover;
        let path = &path[..length];
        let (hot_share, cold_share) = (share(hot), share(cold));
        self.visit(
            hot,
            path,
            rest,
            hot_share * incoming_zero,
            incoming_one,
            split_feature,
        );
        self.visit(
            cold,
            path,
            rest,
            cold_share * incoming_zero,
            0.0,
            split_feature,
        );
    }
}

/// EXTEND: `path`'s last slot receives the new feature, and the subset weights grow
/// by one size (a subset either leaves the feature out, weighted by its zero
/// fraction, or holds it, weighted by its one fraction).
fn extend(path: &mut [PathElement], zero_fraction: f64, one_fraction: f64, feature: usize) {
    let depth = path.len() - 1;
    path[depth] = PathElement {
        feature,
        zero_fraction,
        one_fraction,
        weight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let size = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].weight += one_fraction * path[i].weight * (i + 1) as f64 / size;
        path[i].weight = zero_fraction * path[i].weight * (depth - i) as f64 / size;
    }
}

/// UNWIND: removes the element at `at` from `path` (its last slot becomes unused),
/// undoing its EXTEND on the weights.
fn unwind(path: &mut [PathElement], at: usize) {
    let depth = path.len() - 1;
    let PathElement {
        zero_fraction,
        one_fraction,
        ..
    } = path[at];
    let size = (depth + 1) as f64;
    let mut next_one_portion = path[depth].weight;
    for i in (0..depth).rev() {
        if one_fraction != 0.0 {
            let kept = path[i].weight;
            path[i].weight = next_one_portion * size / ((i + 1) as f64 * one_fraction);
            next_one_portion = kept - path[i].weight * zero_fraction * (depth - i) as f64 / size;
        } else {
            path[i].weight = path[i].weight * size / (zero_fraction * (depth - i) as f64);
        }
    }
    for i in at..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

/// The total subset weight of `path` with the element at `at` unwound, without
/// changing `path`, for an element the row follows (one fraction not 0).
fn hot_unwound_sum(path: &[PathElement], at: usize) -> f64 {
    let depth = path.len() - 1;
    let PathElement {
        zero_fraction,
        one_fraction,
        ..
    } = path[at];
    let size = (depth + 1) as f64;
    let mut total = 0.0;
    let mut next_one_portion = path[depth].weight;
    for i in (0..depth).rev() {
        let weight = next_one_portion * size / ((i + 1) as f64 * one_fraction);
        total += weight;
        next_one_portion = path[i].weight - weight * zero_fraction * (depth - i) as f64 / size;
    }
    total
}

/// The gain `unwound sum * (one - zero fraction)` of any element the row does not
/// follow (one fraction 0). Its unwound sum is `Σ_i w_i (d + 1) / (z (d - i))`, the
/// same sum over the path's weights for every such element divided by its own zero
/// fraction `z` (positive: covers are), so the gain, that times `-z`, is the same for
/// all of them, and the leaf's cost falls from `d²` by the cold elements' share
/// (Fast TreeSHAP's observation, Yang 2021).
fn cold_gain(path: &[PathElement]) -> f64 {
    let depth = path.len() - 1;
    let size = (depth + 1) as f64;
    -(0..depth)
        .map(|i| path[i].weight * size / (depth - i) as f64)
        .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::boosting::{BoostedTrees, BoostedTreesParams};
    use crate::classifier::{AnyClassifier, Classifier, Fit};
    use crate::explain::MarginSpace;
    use crate::forest::{RandomForest, RandomForestParams};

    /// `n_rows` customers of 6 features, 2 of them with missing values, buying on an
    /// interaction of two features and the missingness of a third.
    fn customers(n_rows: usize, seed: u64) -> (Matrix, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..n_rows {
            let mut row: Vec<f64> = (0..6).map(|_| rng.random::<f64>() * 10.0).collect();
            for column in [2, 4] {
                if rng.random::<f64>() < 0.15 {
                    row[column] = f64::NAN;
                }
            }
            let missing = if row[2].is_nan() { 1.5 } else { 0.0 };
            let z = 2.0 - row[0] / 2.0 + row[1] * row[3] / 30.0 + missing;
            labels.push(rng.random::<f64>() < crate::logistic::sigmoid(z));
            values.extend(row);
        }
        let names = (0..6).map(|j| format!("feature_{j}")).collect();
        let matrix = Matrix::new(n_rows, 6, values).and_then(|m| m.with_column_names(names));
        (matrix.unwrap(), labels)
    }

    fn boosted(features: &Matrix, labels: &[bool]) -> BoostedTrees {
        let params = BoostedTreesParams::default()
            .n_trees(30)
            .max_depth(Some(5))
            .learning_rate(0.3)
            .row_subsample(0.8)
            .column_subsample(0.8)
            .seed(3);
        params.validate().unwrap().fit(features, labels).unwrap()
    }

    fn forest(features: &Matrix, labels: &[bool], max_depth: Option<u32>) -> RandomForest {
        let params = RandomForestParams::default()
            .n_trees(12)
            .max_depth(max_depth)
            .seed(3);
        params.validate().unwrap().fit(features, labels).unwrap()
    }

    /// The value of knowing the features in `known` (a bit set): the tree's expected
    /// output when a split on a known feature takes the row's side and one on an unknown
    /// feature takes both, by cover share. The definition TreeSHAP computes the Shapley
    /// values of.
    fn known_value(tree: &Tree, row: &[f64], known: u32, index: usize) -> f64 {
        let node = tree.nodes[index];
        if node.is_leaf(index) {
            return node.value;
        }
        if known & (1 << node.feature) != 0 {
            return known_value(tree, row, known, node.next(row) as usize);
        }
        [node.left, node.right]
            .iter()
            .map(|&child| {
                let share = tree.nodes[child as usize].cover / node.cover;
                share * known_value(tree, row, known, child as usize)
            })
            .sum()
    }

    /// Shapley values of `tree` for `row` over all 2^M coalitions.
    fn brute_force(tree: &Tree, row: &[f64]) -> Vec<f64> {
        let m = row.len();
        let factorial = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
        (0..m)
            .map(|feature| {
                (0..1_u32 << m)
                    .filter(|known| known & (1 << feature) == 0)
                    .map(|known| {
                        let size = known.count_ones() as usize;
                        let weight = factorial(size) * factorial(m - size - 1) / factorial(m);
                        let with = known_value(tree, row, known | (1 << feature), 0);
                        weight * (with - known_value(tree, row, known, 0))
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn every_tree_gives_the_shapley_values_of_all_coalitions() {
        let (features, labels) = customers(1500, 1);
        let (rows, _) = customers(25, 2);
        // Deep forest trees split on the same feature again and again (UNWIND's case).
        let models = [
            boosted(&features, &labels).trees,
            forest(&features, &labels, Some(9)).trees,
        ];
        let mut repeated = false;
        for trees in &models {
            for tree in trees {
                let fast = contributions(std::slice::from_ref(tree), &rows, 1.0);
                for (row, fast) in rows.rows().zip(fast.chunks(6)) {
                    for (got, want) in fast.iter().zip(brute_force(tree, row)) {
                        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
                    }
                }
                // The empty coalition is the expected value.
                assert!(
                    (known_value(tree, rows.row(0), 0, 0) - expected_value(tree)).abs() < 1e-12
                );
                repeated |= tree.nodes.iter().enumerate().any(|(index, node)| {
                    let child = tree.nodes[node.left as usize];
                    !node.is_leaf(index)
                        && !child.is_leaf(node.left as usize)
                        && child.feature == node.feature
                });
            }
        }
        assert!(repeated, "no tree splits twice on a feature in a row");
    }

    /// `base_value + Σ contributions` against the model's own margin, on every row.
    fn assert_local_accuracy(model: &AnyClassifier, rows: &Matrix, margins: &[f64]) {
        let explanation = model.explain(rows).unwrap();
        assert_eq!(explanation.contributions.n_rows(), rows.n_rows());
        assert_eq!(
            explanation.contributions.column_names(),
            model.feature_names()
        );
        for (row, margin) in margins.iter().enumerate() {
            let error = (explanation.margin(row) - margin).abs();
            assert!(
                error < 1e-9,
                "row {row}: {} vs {margin}",
                explanation.margin(row)
            );
        }
    }

    #[test]
    fn contributions_add_up_to_every_models_margin() {
        let (features, labels) = customers(3000, 4);
        let (rows, _) = customers(2000, 5);
        let boosted = boosted(&features, &labels);
        let log_odds = boosted.predict_log_odds(&rows).unwrap();
        assert_local_accuracy(&AnyClassifier::Boosted(boosted), &rows, &log_odds);
        // Full-depth trees: leaves pure, paths deep.
        let forest = forest(&features, &labels, None);
        let probability = forest.predict_proba(&rows).unwrap();
        let explanation = forest.explain(&rows).unwrap();
        assert_eq!(explanation.space, MarginSpace::Probability);
        assert_local_accuracy(&AnyClassifier::Forest(forest), &rows, &probability);
        let filled = crate::classifier::test_data::filled(&features);
        let logistic = crate::logistic::LogisticRegressionParams::default()
            .validate()
            .unwrap()
            .fit(&filled, &labels)
            .unwrap();
        let probability = logistic.predict_proba(&rows).unwrap();
        let log_odds: Vec<f64> = probability.iter().map(|p| (p / (1.0 - p)).ln()).collect();
        let explanation = logistic.explain(&rows).unwrap();
        // A missing value is imputed at the training mean: it moves nothing.
        for (value, phi) in rows.values().iter().zip(explanation.contributions.values()) {
            assert!(!value.is_nan() || *phi == 0.0);
        }
        assert_local_accuracy(&AnyClassifier::Logistic(logistic), &rows, &log_odds);
    }

    #[test]
    fn the_base_value_is_the_mean_margin_of_the_training_rows() {
        // Without bootstrap every forest tree's cover is the training rows, so the
        // expected value is the training mean of the margin.
        let (features, labels) = customers(1000, 6);
        let params = RandomForestParams::default()
            .n_trees(5)
            .max_depth(Some(6))
            .bootstrap(false);
        let model = params.validate().unwrap().fit(&features, &labels).unwrap();
        let explanation = model.explain(&features).unwrap();
        let probability = model.predict_proba(&features).unwrap();
        let mean = probability.iter().sum::<f64>() / 1000.0;
        assert!((explanation.base_value - mean).abs() < 1e-12);
    }

    #[test]
    fn models_saved_before_covers_load_and_predict_but_are_not_explained() {
        let (features, labels) = customers(500, 7);
        let model = boosted(&features, &labels);
        let json = model.to_json().unwrap();
        let old = regex_free_strip_covers(&json);
        assert!(!old.contains("cover"));
        let loaded = BoostedTrees::from_json(&old).unwrap();
        assert_eq!(
            loaded.predict_proba(&features).unwrap(),
            model.predict_proba(&features).unwrap()
        );
        let err = loaded.explain(&features).unwrap_err().to_string();
        assert!(err.contains("refit it to explain"), "{err}");
        assert!(
            BoostedTrees::from_json(&json)
                .unwrap()
                .explain(&features)
                .is_ok()
        );
    }

    /// `json` without its `"cover":…` fields, as written before covers were kept.
    fn regex_free_strip_covers(json: &str) -> String {
        let mut out = String::new();
        let mut rest = json;
        while let Some(at) = rest.find(",\"cover\":") {
            out.push_str(&rest[..at]);
            let tail = &rest[at + 1..];
            let end = tail.find(['}', ',']).unwrap();
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }

    // docs/reference/shap/tree_shap_reference.py: shap 0.51.0's TreeExplainer on our
    // saved models (examples/shap_reference.rs), as custom trees with our covers.
    const BOOSTED: &str = include_str!("testdata/shap_boosted.json");
    const FOREST: &str = include_str!("testdata/shap_forest.json");
    const ROWS: &str = include_str!("testdata/shap_rows.csv");
    const REFERENCE: &str = include_str!("testdata/shap_reference.csv");

    #[test]
    fn matches_the_shap_package() {
        let parse = |line: &str| -> Vec<f64> {
            line.split(',').map(|cell| cell.parse().unwrap()).collect()
        };
        let mut lines = ROWS.lines();
        let names: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let values: Vec<f64> = lines.flat_map(parse).collect();
        let n_rows = values.len() / names.len();
        let rows = Matrix::new(n_rows, names.len(), values)
            .and_then(|m| m.with_column_names(names))
            .unwrap();
        assert!(rows.values().iter().any(|v| v.is_nan()));
        let mut worst: f64 = 0.0;
        for (kind, json) in [("gradient_boosting", BOOSTED), ("random_forest", FOREST)] {
            let explanation = AnyClassifier::from_json(json)
                .unwrap()
                .explain(&rows)
                .unwrap();
            let reference: Vec<Vec<f64>> = REFERENCE
                .lines()
                .filter_map(|line| line.strip_prefix(kind)?.strip_prefix(','))
                .map(parse)
                .collect();
            assert_eq!(reference.len(), n_rows, "{kind}");
            for (row, expected) in reference.iter().enumerate() {
                assert_eq!(expected[0] as usize, row);
                worst = worst.max((explanation.base_value - expected[1]).abs());
                let ours = explanation.contributions.row(row);
                for (got, want) in ours.iter().zip(&expected[2..]) {
                    worst = worst.max((got - want).abs());
                }
            }
        }
        assert!(worst < 1e-9, "worst difference from shap {worst}");
    }
}
