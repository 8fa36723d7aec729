//! What the two tree ensembles, the random forest and the boosted trees, share around
//! their trees: checking the rows they predict, summing their trees over those rows,
//! explaining those sums (TreeSHAP), adding up the trees' split gains, and checking a
//! model read back from a file. Each
//! model keeps what is its own: how its trees grow, and how a row's sum of tree outputs
//! becomes a purchase probability (the forest's mean, the boosting's sigmoid).

use rayon::prelude::*;

use super::{CompleteTrees, Tree, shap};
use crate::classifier;
use crate::explain::{Explanation, MarginSpace};
use crate::matrix::Matrix;
use crate::{Error, Result};

/// Rows per prediction task (fixed, so results do not depend on the thread count).
const PREDICT_CHUNK: usize = 4096;

/// Checks rows to predict (or to validate on) against the model's `feature_names`:
/// the same columns, and values finite or missing (NaN, which every split sends to a
/// learned side).
pub(crate) fn check_rows(features: &Matrix, feature_names: &[String]) -> Result<()> {
    classifier::check_columns(features, feature_names)?;
    classifier::check_values(features, true)
}

/// `start` plus the outputs of all `trees` for every row of `features` (passed by
/// [`check_rows`]), from `exit_tables` when given (the same trees re-laid, the same sums
/// bit for bit). Chunks of rows are summed in parallel but each row's trees in model
/// order, so the sums do not depend on the number of threads.
pub(crate) fn sum_trees(
    trees: &[Tree],
    exit_tables: Option<&CompleteTrees>,
    features: &Matrix,
    start: f64,
) -> Vec<f64> {
    let n_features = features.n_cols();
    let mut sums = vec![start; features.n_rows()];
    sums.par_chunks_mut(PREDICT_CHUNK)
        .zip(features.values().par_chunks(PREDICT_CHUNK * n_features))
        .for_each(|(sums, rows)| match exit_tables {
            Some(tables) => tables.add_block(rows, n_features, sums),
            None => trees
                .iter()
                .for_each(|tree| tree.add_block(rows, n_features, sums)),
        });
    sums
}

/// The TreeSHAP explanation of the margin `start + scale * Σ trees` for every row of
/// `features` (checked here as by [`check_rows`]): the base value is `start` plus the
/// scaled trees' expected outputs, each row's contributions the scaled sum of its
/// trees' SHAP values.
pub(crate) fn explain(
    trees: &[Tree],
    features: &Matrix,
    feature_names: &[String],
    start: f64,
    scale: f64,
    space: MarginSpace,
) -> Result<Explanation> {
    check_rows(features, feature_names)?;
    shap::check_covers(trees)?;
    let base_value = trees
        .iter()
        .fold(start, |sum, tree| sum + scale * shap::expected_value(tree));
    let values = shap::contributions(trees, features, scale);
    let contributions = Matrix::new(features.n_rows(), features.n_cols(), values)?
        .with_column_names(feature_names.to_vec())?;
    Ok(Explanation {
        space,
        base_value,
        contributions,
    })
}

/// Split gain per feature summed over trees (`per_tree`, one gain per feature each),
/// in tree order.
pub(crate) fn total_gain(n_features: usize, per_tree: &[Vec<f64>]) -> Vec<f64> {
    let mut total = vec![0.0; n_features];
    for gain in per_tree {
        total
            .iter_mut()
            .zip(gain)
            .for_each(|(total, value)| *total += value);
    }
    total
}

/// Checks a model read back from a file so that predicting cannot panic: one gain per
/// feature and every tree well formed on the model's features. `consistent` is the
/// model's own check of its other fields; `model` names it in the error.
pub(crate) fn check_loaded(
    model: &str,
    consistent: bool,
    feature_names: &[String],
    trees: &[Tree],
    feature_gain: &[f64],
) -> Result<()> {
    let n_features = feature_names.len();
    if !consistent || feature_gain.len() != n_features {
        return Err(Error::Format(format!("{model}: inconsistent model")));
    }
    trees.iter().try_for_each(|tree| tree.check(n_features))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Node;

    /// A stump on feature 1 at 0.5, missing values going right.
    fn stump(low: f64, high: f64) -> Tree {
        let split = Node {
            feature: 1,
            threshold: 0.5,
            missing_left: false,
            left: 1,
            right: 2,
            value: 0.0,
            cover: 0.0,
        };
        Tree {
            nodes: vec![split, Node::leaf(1, low, 0.0), Node::leaf(2, high, 0.0)],
            depth: 1,
        }
    }

    #[test]
    fn sums_are_the_row_by_row_sums_across_chunks_and_layouts() {
        let trees = vec![stump(0.1, 0.7), stump(-0.3, 0.2), stump(1e-9, 3.0)];
        // More rows than one chunk, and not a multiple of it.
        let n_rows = 2 * PREDICT_CHUNK + 5;
        let values = (0..n_rows)
            .flat_map(|row| {
                let second = if row % 7 == 0 {
                    f64::NAN
                } else {
                    (row % 3) as f64 / 2.0
                };
                [row as f64, second]
            })
            .collect();
        let features = Matrix::new(n_rows, 2, values).unwrap();
        let expected: Vec<f64> = features
            .rows()
            .map(|row| {
                trees
                    .iter()
                    .fold(0.25, |sum, tree| sum + tree.predict_row(row))
            })
            .collect();
        assert_eq!(sum_trees(&trees, None, &features, 0.25), expected);
        let tables = CompleteTrees::new(&trees, 2).unwrap();
        assert_eq!(sum_trees(&trees, Some(&tables), &features, 0.25), expected);
    }

    #[test]
    fn gains_add_up_and_loaded_models_are_checked() {
        let gains = [vec![1.0, 0.5], vec![0.0, 2.0]];
        assert_eq!(total_gain(2, &gains), [1.0, 2.5]);
        let names = ["a", "b"].map(String::from);
        let trees = [stump(0.0, 1.0)];
        assert!(check_loaded("forest", true, &names, &trees, &[0.0, 1.0]).is_ok());
        let err = check_loaded("forest", true, &names, &trees, &[1.0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot load model: forest: inconsistent model"
        );
        assert!(check_loaded("forest", false, &names, &trees, &[0.0, 1.0]).is_err());
        // Feature 1 does not exist in a one-feature model.
        assert!(check_loaded("forest", true, &names[..1], &trees, &[0.0]).is_err());
    }
}
