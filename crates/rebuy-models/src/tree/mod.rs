//! The histogram tree learner shared by the random forest and the gradient boosting, and
//! what the two models do alike around their trees ([`ensemble`]).
//!
//! Features are binned once ([`bins`]); a tree is then grown best-first from gradient
//! and hessian sums per bin, the XGBoost formulation: a split's gain is
//! `G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ)` and a leaf's value `-G/(H+λ)`. With
//! `g = -label`, `h = 1` and `λ = 0` the same gain is the Gini (variance) decrease and
//! the leaf value the share of buyers, which is what the forest uses. Missing values
//! have their own bin and go to the child learned at each split, as in XGBoost.
//!
//! Monotone constraints ([`crate::monotone`]) are XGBoost's `hist` ones (its
//! `TreeEvaluator`, 3.2): every node carries bounds on its leaf weight, every weight is
//! clipped into the bounds of the node being split (and scored there), a split on a
//! constrained feature whose two weights go against its direction is never taken, and
//! its children split the parent's bounds at the mean of their weights. So along a
//! constrained feature every tree's output is monotone, and so are their sum and mean.
//! Missing values sit outside the order: a row with the feature missing takes the side
//! the split learned. On the forest's gradients the weights are the leaves' shares of
//! buyers, so the same bounds apply to them, as scikit-learn's `monotonic_cst` does
//! (scikit-learn rejects a constrained split whose shares fall outside the bounds where
//! XGBoost, and this learner, clip them). Without any constraint no bound is computed
//! and the trees are those grown before constraints existed, bit for bit.

pub(crate) mod bins;
pub(crate) mod ensemble;
pub(crate) mod grow;
pub(crate) mod shap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One node of a fitted tree. A leaf is its own left and right child, so that every
/// row can take the same number of steps down the tree without a branch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Feature tested at this node (0 for a leaf).
    pub feature: u32,
    /// Rows with `value <= threshold` go left.
    pub threshold: f64,
    /// Where a missing (NaN) value goes.
    pub missing_left: bool,
    pub left: u32,
    pub right: u32,
    /// Leaf output (0 for an inner node).
    pub value: f64,
    /// The training weight that reached the node: bootstrap copies of rows in the
    /// forest, the hessian sum in the boosting (XGBoost's `cover`). The children of a
    /// node split its cover, which is what TreeSHAP (`tree::shap`) weighs the unknown side
    /// of a split by. Models saved before covers were kept read 0 here: they predict as
    /// ever but cannot be explained.
    #[serde(default)]
    pub cover: f64,
}

impl Node {
    pub(crate) fn leaf(index: usize, value: f64, cover: f64) -> Self {
        Self {
            feature: 0,
            threshold: 0.0,
            missing_left: true,
            left: index as u32,
            right: index as u32,
            value,
            cover,
        }
    }

    fn is_leaf(&self, index: usize) -> bool {
        self.left as usize == index && self.right as usize == index
    }

    #[inline]
    fn next(&self, row: &[f64]) -> u32 {
        let value = row[self.feature as usize];
        // `|` and `&`, not `||` and `&&`: no branch to mispredict on random data.
        let go_left = (value <= self.threshold) | (value.is_nan() & self.missing_left);
        if go_left { self.left } else { self.right }
    }
}

/// A fitted decision tree; node 0 is the root and children come after their parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
    /// Length of the longest root-to-leaf path.
    pub depth: u32,
}

impl Tree {
    /// Output of the leaf that `row` (one value per feature) falls in.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let mut index = 0_usize;
        for _ in 0..self.depth {
            index = self.nodes[index].next(row) as usize;
        }
        self.nodes[index].value
    }

    /// Adds this tree's output to `sums` for a block of rows (`rows.len() ==
    /// sums.len() * n_features`), walking the rows side by side so the CPU overlaps them.
    pub(crate) fn add_block(&self, rows: &[f64], n_features: usize, sums: &mut [f64]) {
        const LANES: usize = 8;
        let mut sum_chunks = sums.chunks_mut(LANES);
        for (block, sums) in rows.chunks(n_features * LANES).zip(&mut sum_chunks) {
            let mut at = [0_u32; LANES];
            let lanes = sums.len();
            for _ in 0..self.depth {
                // Leaves point to themselves: once no row moves, all have arrived
                // (deep forest trees have most leaves far above their maximum depth).
                let mut moved = false;
                for lane in 0..lanes {
                    let row = &block[lane * n_features..(lane + 1) * n_features];
                    let next = self.nodes[at[lane] as usize].next(row);
                    moved |= next != at[lane];
                    at[lane] = next;
                }
                if !moved {
                    break;
                }
            }
            for (sum, &index) in sums.iter_mut().zip(&at) {
                *sum += self.nodes[index as usize].value;
            }
        }
    }

    /// Checks a loaded tree: children after their parent, features in range, finite
    /// values, and `depth` equal to the real depth (so prediction ends at a leaf).
    pub(crate) fn check(&self, n_features: usize) -> Result<()> {
        let bad = |why: String| Err(Error::Format(format!("invalid tree: {why}")));
        if self.nodes.is_empty() {
            return bad("no nodes".into());
        }
        let mut depth_of = vec![0_u32; self.nodes.len()];
        for (index, node) in self.nodes.iter().enumerate() {
            if node.is_leaf(index) {
                if !node.value.is_finite() {
                    return bad(format!("leaf {index} has value {}", node.value));
                }
                continue;
            }
            let children_ok = [node.left, node.right]
                .iter()
                .all(|&child| (child as usize) > index && (child as usize) < self.nodes.len());
            if !children_ok || node.feature as usize >= n_features || node.threshold.is_nan() {
                return bad(format!("node {index} is malformed"));
            }
            for child in [node.left, node.right] {
                depth_of[child as usize] = depth_of[index] + 1;
            }
        }
        let depth = depth_of.iter().copied().max().unwrap_or(0);
        if depth != self.depth {
            return bad(format!(
                "depth {} but the nodes are {depth} deep",
                self.depth
            ));
        }
        Ok(())
    }
}

/// Shallow trees re-laid for fast prediction: each row is binned once to bytes, and a
/// tree's leaf is found from per-feature bit masks instead of a walk (QuickScorer's idea,
/// Lucchese et al., SIGIR 2015).
///
/// Binning: a value becomes the number of the model's split thresholds of its feature
/// that are below it (NaN its own code), so `value <= threshold` is `code <= rank of
/// the threshold`, exactly. Each tree is laid out as a complete binary tree of the
/// deepest tree's depth (a leaf above the bottom becomes slots that always go left down
/// to a copy of it), its leaves numbered left to right. A test that sends a row right
/// rules out the leaves of its left subtree; the row's leaf is the leftmost one not
/// ruled out. For every feature and byte code, a table holds per tree the leaves that the
/// tests on that feature rule out, so a row's leaves are the AND of one table row per
/// feature, and the leaf the lowest set bit. The outputs are added tree by tree in model
/// order, so the sums are bit for bit those of [`Tree::predict_row`].
#[derive(Debug)]
pub(crate) enum CompleteTrees {
    /// Depth up to 4: 16 leaves per tree.
    Narrow(ExitTables<u16>),
    /// Depth 5 and 6.
    Wide(ExitTables<u64>),
}

impl CompleteTrees {
    /// `None` when a tree is deeper than 6 or a feature has more distinct thresholds
    /// than a byte can rank (use [`Tree::add_block`] then).
    pub(crate) fn new(trees: &[Tree], n_features: usize) -> Option<Self> {
        match trees.iter().map(|tree| tree.depth).max().unwrap_or(0) {
            0..=4 => ExitTables::new(trees, n_features).map(Self::Narrow),
            5..=6 => ExitTables::new(trees, n_features).map(Self::Wide),
            _ => None,
        }
    }

    /// Adds every tree's output to `sums` for a block of rows, as [`Tree::add_block`].
    pub(crate) fn add_block(&self, rows: &[f64], n_features: usize, sums: &mut [f64]) {
        match self {
            Self::Narrow(tables) => tables.add_block(rows, n_features, sums),
            Self::Wide(tables) => tables.add_block(rows, n_features, sums),
        }
    }
}

/// A set of leaves of one tree, one bit per leaf (bit `i` = the `i`-th leaf from the left).
pub(crate) trait LeafSet: Copy + std::ops::BitAnd<Output = Self> + std::fmt::Debug {
    const ALL: Self;
    fn without(self, first: u32, count: u32) -> Self;
    fn first(self) -> usize;
}

macro_rules! leaf_set {
    ($t:ty) => {
        impl LeafSet for $t {
            const ALL: Self = <$t>::MAX;
            fn without(self, first: u32, count: u32) -> Self {
                let ones = if count == <$t>::BITS {
                    Self::MAX
                } else {
                    (1 << count) - 1
                };
                self & !(ones << first)
            }
            fn first(self) -> usize {
                self.trailing_zeros() as usize
            }
        }
    };
}
leaf_set!(u16);
leaf_set!(u64);

/// The code of a missing value; a feature may have at most `NAN_CODE - 1` thresholds,
/// so that every other code is below it.
const NAN_CODE: u8 = u8::MAX;
const CODES: usize = NAN_CODE as usize + 1;

/// See [`CompleteTrees`].
#[derive(Debug)]
pub(crate) struct ExitTables<M> {
    n_trees: usize,
    leaves_per_tree: usize,
    /// Per feature, the distinct split thresholds of all trees, ascending.
    thresholds: Vec<Vec<f64>>,
    /// Features some tree splits on.
    used: Vec<usize>,
    /// `[feature][code][tree]`: the leaves still possible after that feature's tests.
    exits: Vec<M>,
    /// `leaves_per_tree` values per tree, left to right.
    leaf_values: Vec<f64>,
}

impl<M: LeafSet> ExitTables<M> {
    fn new(trees: &[Tree], n_features: usize) -> Option<Self> {
        let depth = trees.iter().map(|tree| tree.depth).max().unwrap_or(0);
        let mut thresholds = vec![Vec::new(); n_features];
        for tree in trees {
            for (index, node) in tree.nodes.iter().enumerate() {
                if !node.is_leaf(index) {
                    thresholds[node.feature as usize].push(node.threshold);
                }
            }
        }
        for values in &mut thresholds {
            values.sort_by(f64::total_cmp);
            values.dedup();
            if values.len() >= usize::from(NAN_CODE) {
                return None;
            }
        }
        let used = (0..n_features)
            .filter(|&f| !thresholds[f].is_empty())
            .collect();
        let leaves_per_tree = 1_usize << depth;
        let mut tables = Self {
            n_trees: trees.len(),
            leaves_per_tree,
            thresholds,
            used,
            exits: vec![M::ALL; n_features * CODES * trees.len()],
            leaf_values: vec![0.0; leaves_per_tree * trees.len()],
        };
        for (index, tree) in trees.iter().enumerate() {
            tables.fill(tree, index, 0, 0, depth);
        }
        Some(tables)
    }

    /// Lays out the subtree of `node` over the `2^height` leaves from `first_leaf` on.
    fn fill(&mut self, tree: &Tree, index: usize, node: usize, first_leaf: usize, height: u32) {
        let current = &tree.nodes[node];
        if current.is_leaf(node) {
            // Reached by always going left: the leftmost leaf of the subtree.
            self.leaf_values[index * self.leaves_per_tree + first_leaf] = current.value;
            return;
        }
        let half = 1_usize << (height - 1);
        let feature = current.feature as usize;
        let rank = self.thresholds[feature].partition_point(|t| *t < current.threshold);
        for code in 0..CODES {
            let left = if code == CODES - 1 {
                current.missing_left
            } else {
                code <= rank
            };
            if !left {
                let exit = &mut self.exits[(feature * CODES + code) * self.n_trees + index];
                *exit = exit.without(first_leaf as u32, half as u32);
            }
        }
        self.fill(tree, index, current.left as usize, first_leaf, height - 1);
        self.fill(
            tree,
            index,
            current.right as usize,
            first_leaf + half,
            height - 1,
        );
    }

    /// The byte code of `value` for `feature`.
    fn code(&self, feature: usize, value: f64) -> usize {
        if value.is_nan() {
            CODES - 1
        } else {
            self.thresholds[feature].partition_point(|t| *t < value)
        }
    }

    fn add_block(&self, rows: &[f64], n_features: usize, sums: &mut [f64]) {
        // Rows side by side: their additions are independent, so the CPU overlaps them.
        const LANES: usize = 8;
        let n_trees = self.n_trees;
        let mut possible = vec![M::ALL; LANES * n_trees];
        for (block, sums) in rows.chunks(n_features * LANES).zip(sums.chunks_mut(LANES)) {
            for (row, possible) in block
                .chunks_exact(n_features)
                .zip(possible.chunks_exact_mut(n_trees))
            {
                possible.fill(M::ALL);
                for &feature in &self.used {
                    let code = self.code(feature, row[feature]);
                    let exits = &self.exits[(feature * CODES + code) * n_trees..][..n_trees];
                    for (set, &exit) in possible.iter_mut().zip(exits) {
                        *set = *set & exit;
                    }
                }
            }
            for (tree, leaves) in self
                .leaf_values
                .chunks_exact(self.leaves_per_tree)
                .enumerate()
            {
                for (lane, sum) in sums.iter_mut().enumerate() {
                    *sum += leaves[possible[lane * n_trees + tree].first()];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(feature: u32, threshold: f64, missing_left: bool, left: u32, right: u32) -> Node {
        Node {
            feature,
            threshold,
            missing_left,
            left,
            right,
            value: 0.0,
            cover: 0.0,
        }
    }

    /// A lone leaf, and a tree with one leaf at depth 1 and two at depth 2.
    fn trees() -> Vec<Tree> {
        let stump = Tree {
            nodes: vec![Node::leaf(0, 0.5, 0.0)],
            depth: 0,
        };
        let uneven = Tree {
            nodes: vec![
                split(0, 1.0, false, 1, 2),
                Node::leaf(1, 1.0, 0.0),
                split(1, 0.0, true, 3, 4),
                Node::leaf(3, 2.0, 0.0),
                Node::leaf(4, 3.0, 0.0),
            ],
            depth: 2,
        };
        vec![stump, uneven]
    }

    #[test]
    fn every_layout_predicts_what_the_tree_says() {
        let rows = [
            [0.5, 9.0],
            [1.5, -1.0],
            [1.5, 1.0],
            [f64::NAN, 1.0],
            [2.0, f64::NAN],
        ];
        let expected = [1.5, 2.5, 3.5, 3.5, 2.5];
        let flat: Vec<f64> = rows.iter().flatten().copied().collect();
        let trees = trees();
        for (row, want) in rows.iter().zip(expected) {
            let sum: f64 = trees.iter().map(|tree| tree.predict_row(row)).sum();
            assert_eq!(sum, want);
        }
        let mut by_tree = vec![0.0; rows.len()];
        trees
            .iter()
            .for_each(|tree| tree.add_block(&flat, 2, &mut by_tree));
        assert_eq!(by_tree, expected);
        let mut complete = vec![0.0; rows.len()];
        CompleteTrees::new(&trees, 2)
            .unwrap()
            .add_block(&flat, 2, &mut complete);
        assert_eq!(complete, expected);
        for tree in &trees {
            tree.check(2).unwrap();
        }
    }

    #[test]
    fn loaded_trees_with_bad_links_are_rejected() {
        let mut tree = trees().remove(1);
        tree.nodes[2].right = 1;
        assert!(tree.check(2).is_err());
        let mut tree = trees().remove(1);
        tree.depth = 1;
        assert!(tree.check(2).is_err());
        assert!(trees()[1].check(1).is_err());
    }
}
