//! The histogram tree learner shared by the random forest and the gradient boosting.
//!
//! Features are binned once ([`bins`]); a tree is then grown best-first from gradient
//! and hessian sums per bin, the XGBoost formulation: a split's gain is
//! `G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ)` and a leaf's value `-G/(H+λ)`. With
//! `g = -label`, `h = 1` and `λ = 0` the same gain is the Gini (variance) decrease and
//! the leaf value the share of buyers, which is what the forest uses. Missing values
//! have their own bin and go to the child learned at each split, as in XGBoost.

pub(crate) mod bins;
pub(crate) mod grow;

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
}

impl Node {
    pub(crate) fn leaf(index: usize, value: f64) -> Self {
        Self {
            feature: 0,
            threshold: 0.0,
            missing_left: true,
            left: index as u32,
            right: index as u32,
            value,
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

/// Shallow trees re-laid for fast prediction as complete binary trees of one depth:
/// the children of slot `i` are `2i + 1` and `2i + 2`, so a step is one comparison and
/// some arithmetic, with no child pointers to load. A leaf above the bottom becomes
/// slots that always go left down to a copy of its value.
#[derive(Debug)]
pub(crate) struct CompleteTrees {
    depth: u32,
    n_trees: usize,
    /// `2^depth - 1` tests per tree, in slot order.
    tests: Vec<Test>,
    /// `2^depth` leaf values per tree.
    leaf_values: Vec<f64>,
}

/// One inner slot: 16 bytes, so a step touches a single cache line.
#[derive(Debug, Clone, Copy)]
struct Test {
    threshold: f64,
    feature: u32,
    missing_left: bool,
}

/// A slot every row leaves to the left (NaN included).
const PASS_LEFT: Test = Test {
    threshold: f64::INFINITY,
    feature: 0,
    missing_left: true,
};

impl CompleteTrees {
    /// Deepest tree this layout takes: 2^10 leaves per tree is still small.
    const MAX_DEPTH: u32 = 10;

    /// `None` when a tree is too deep for the layout (use [`Tree::add_block`] then).
    pub(crate) fn new(trees: &[Tree]) -> Option<Self> {
        let depth = trees.iter().map(|tree| tree.depth).max().unwrap_or(0);
        if depth > Self::MAX_DEPTH {
            return None;
        }
        let inner = (1_usize << depth) - 1;
        let mut layout = Self {
            depth,
            n_trees: trees.len(),
            tests: vec![PASS_LEFT; inner * trees.len()],
            leaf_values: vec![0.0; (inner + 1) * trees.len()],
        };
        for (index, tree) in trees.iter().enumerate() {
            layout.fill(tree, index, 0, 0, 0);
        }
        Some(layout)
    }

    fn fill(&mut self, tree: &Tree, index: usize, node: usize, slot: usize, level: u32) {
        let inner = (1_usize << self.depth) - 1;
        let current = &tree.nodes[node];
        if level == self.depth {
            self.leaf_values[index * (inner + 1) + slot - inner] = current.value;
        } else if current.is_leaf(node) {
            // The slot stays PASS_LEFT: only the left path down to the bottom is used.
            self.fill(tree, index, node, 2 * slot + 1, level + 1);
        } else {
            self.tests[index * inner + slot] = Test {
                threshold: current.threshold,
                feature: current.feature,
                missing_left: current.missing_left,
            };
            self.fill(tree, index, current.left as usize, 2 * slot + 1, level + 1);
            self.fill(tree, index, current.right as usize, 2 * slot + 2, level + 1);
        }
    }

    /// Adds every tree's output to `sums` for a block of rows, as [`Tree::add_block`].
    pub(crate) fn add_block(&self, rows: &[f64], n_features: usize, sums: &mut [f64]) {
        const LANES: usize = 8;
        let full = sums.len() / LANES * LANES;
        let (full_sums, tail_sums) = sums.split_at_mut(full);
        let (full_rows, tail_rows) = rows.split_at(full * n_features);
        for (block, sums) in full_rows
            .chunks_exact(n_features * LANES)
            .zip(full_sums.chunks_exact_mut(LANES))
        {
            self.add_lanes::<LANES>(block, n_features, sums);
        }
        for (row, sum) in tail_rows.chunks_exact(n_features).zip(tail_sums) {
            self.add_lanes::<1>(row, n_features, std::slice::from_mut(sum));
        }
    }

    /// `N` rows walk each tree side by side, so the CPU overlaps their memory loads.
    fn add_lanes<const N: usize>(&self, block: &[f64], n_features: usize, sums: &mut [f64]) {
        let inner = (1_usize << self.depth) - 1;
        for tree in 0..self.n_trees {
            let tests = &self.tests[tree * inner..(tree + 1) * inner];
            let leaves = &self.leaf_values[tree * (inner + 1)..(tree + 1) * (inner + 1)];
            let mut slot = [0_usize; N];
            for _ in 0..self.depth {
                for (lane, at) in slot.iter_mut().enumerate() {
                    let test = tests[*at];
                    let value = block[lane * n_features + test.feature as usize];
                    // `|` and `&`, not `||` and `&&`: no branch to mispredict.
                    let left = (value <= test.threshold) | (value.is_nan() & test.missing_left);
                    *at = 2 * *at + 2 - usize::from(left);
                }
            }
            for (sum, &at) in sums.iter_mut().zip(&slot) {
                *sum += leaves[at - inner];
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
        }
    }

    /// A lone leaf, and a tree with one leaf at depth 1 and two at depth 2.
    fn trees() -> Vec<Tree> {
        let stump = Tree {
            nodes: vec![Node::leaf(0, 0.5)],
            depth: 0,
        };
        let uneven = Tree {
            nodes: vec![
                split(0, 1.0, false, 1, 2),
                Node::leaf(1, 1.0),
                split(1, 0.0, true, 3, 4),
                Node::leaf(3, 2.0),
                Node::leaf(4, 3.0),
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
        CompleteTrees::new(&trees)
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
