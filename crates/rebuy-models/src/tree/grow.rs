//! Growing one tree from per-row gradient pairs over binned features.

use std::ops::{AddAssign, Sub};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::bins::{BinCuts, BinnedMatrix, MISSING_BIN, SLOTS};
use super::{Node, Tree};
use crate::matrix::Matrix;
use crate::monotone::Monotone;

/// XGBoost's smallest objective improvement that still counts as a split (`kRtEps`).
const MIN_GAIN: f64 = 1e-6;

/// Rows per histogram task; fixed (not per thread) so sums are added in the same order
/// whatever the number of threads.
const HISTOGRAM_CHUNK: usize = 32_768;

/// Gradient and hessian of one row, or their sum over rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GradPair {
    pub(crate) g: f64,
    pub(crate) h: f64,
}

impl AddAssign for GradPair {
    fn add_assign(&mut self, other: Self) {
        self.g += other.g;
        self.h += other.h;
    }
}

impl Sub for GradPair {
    type Output = Self;
    fn sub(self, other: Self) -> Self {
        Self {
            g: self.g - other.g,
            h: self.h - other.h,
        }
    }
}

/// Checked settings of one tree (the forest and the boosting fill them from their params).
#[derive(Debug, Clone)]
pub(crate) struct GrowParams {
    /// `u32::MAX` for no limit.
    pub(crate) max_depth: u32,
    /// `usize::MAX` for no limit; otherwise the best split overall is taken first.
    pub(crate) max_leaves: usize,
    pub(crate) min_child_weight: f64,
    pub(crate) l2: f64,
    pub(crate) min_split_gain: f64,
    /// Features drawn afresh at every node (the forest); `None` uses all of the tree's.
    pub(crate) features_per_split: Option<usize>,
    /// Multiplies every leaf value (the learning rate of boosting).
    pub(crate) leaf_scale: f64,
    /// Gradient pairs are the forest's integer weights (`g = -copies` for a buyer, `0`
    /// otherwise; `h = copies`): sums are exact, and a node of only buyers (`G = -H`) or
    /// only non-buyers (`G = 0`) has gain exactly 0 for every split, so its search is
    /// skipped (its features are still drawn, keeping the random stream and the trees).
    pub(crate) label_weights: bool,
    /// One direction per feature, or empty when no feature is constrained (then the
    /// search takes none of the bounds' detours and grows the trees it always grew).
    pub(crate) monotone: Vec<Monotone>,
}

/// The range a node's leaf weight (before `leaf_scale`) must stay in, set by the
/// constrained splits above it: XGBoost's `TreeEvaluator` bounds. A split on a feature
/// constrained to increase gives its left child `[lower, mid]` and its right child
/// `[mid, upper]`, `mid` being the mean of the two children's weights, so every leaf
/// below the left child is at most every leaf below the right one.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bounds {
    lower: f64,
    upper: f64,
}

impl Bounds {
    const NONE: Self = Self {
        lower: f64::NEG_INFINITY,
        upper: f64::INFINITY,
    };

    fn clip(self, weight: f64) -> f64 {
        weight.max(self.lower).min(self.upper)
    }

    /// The children's bounds after a split on a feature with `direction`, whose
    /// children got the (clipped) weights `left` and `right`.
    fn children(self, direction: Monotone, left: f64, right: f64) -> (Self, Self) {
        let mid = (left + right) / 2.0;
        let below = Self { upper: mid, ..self };
        let above = Self { lower: mid, ..self };
        match direction {
            Monotone::Increasing => (below, above),
            Monotone::Decreasing => (above, below),
            Monotone::Unconstrained => (self, self),
        }
    }
}

/// A node about to be searched: its rows `rows.0..rows.1`, their gradient sum and the
/// bounds on its weight.
#[derive(Debug, Clone, Copy)]
struct NodeRows {
    node: usize,
    rows: (usize, usize),
    depth: u32,
    sum: GradPair,
    bounds: Bounds,
}

/// The inputs every tree of a model shares: the training features binned once.
#[derive(Debug)]
pub(crate) struct TrainingSet {
    pub(crate) binned: BinnedMatrix,
    pub(crate) cuts: BinCuts,
}

impl TrainingSet {
    /// Bins `features` on quantile cuts of at most `max_bins` value bins per feature.
    pub(crate) fn new(features: &Matrix, max_bins: usize) -> Self {
        let cuts = BinCuts::fit(features, max_bins);
        let binned = BinnedMatrix::new(features, &cuts);
        Self { binned, cuts }
    }
}

/// A grown tree, its split gains per feature, and which rows ended in which leaf.
#[derive(Debug)]
pub(crate) struct GrownTree {
    pub(crate) tree: Tree,
    pub(crate) feature_gain: Vec<f64>,
    pub(crate) rows: Vec<u32>,
    /// `(start, end, value)`: `rows[start..end]` fell in a leaf with this value.
    pub(crate) leaves: Vec<(usize, usize, f64)>,
}

#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: u8,
    missing_left: bool,
    left: GradPair,
    right: GradPair,
}

impl Split {
    /// XGBoost's `SplitEntry::NeedReplace`: a larger gain wins, and an equal one wins
    /// only from a later feature (the lower feature index keeps a tie, whatever order
    /// the features were searched in).
    fn beats(&self, best: &Split) -> bool {
        if best.feature <= self.feature {
            self.gain > best.gain
        } else {
            self.gain >= best.gain
        }
    }
}

/// Gradient sums per bin for some features: `slots[k * SLOTS + bin]` for `features[k]`.
#[derive(Debug)]
struct Histogram {
    features: Vec<usize>,
    slots: Vec<GradPair>,
}

/// A node that may still be split.
#[derive(Debug)]
struct Open {
    node: usize,
    start: usize,
    end: usize,
    depth: u32,
    split: Split,
    bounds: Bounds,
    /// Kept for the histogram subtraction of its children.
    histogram: Option<Histogram>,
}

struct Grower<'a> {
    data: &'a TrainingSet,
    grads: &'a [GradPair],
    params: &'a GrowParams,
    tree_features: &'a [usize],
    rng: &'a mut ChaCha8Rng,
    rows: Vec<u32>,
    nodes: Vec<Node>,
    leaves: Vec<(usize, usize, f64)>,
    feature_gain: Vec<f64>,
    depth: u32,
    /// Buffers reused node after node (right-hand rows, occupied bins, bin sums).
    scratch_rows: Vec<u32>,
    scratch_entries: Vec<(u8, GradPair)>,
    /// All zero between uses.
    scratch_slots: Vec<GradPair>,
}

/// Grows one tree on `rows` (indices into `grads` and the binned matrix), using only
/// `tree_features`. Deterministic for a given `rng` state.
pub(crate) fn grow(
    data: &TrainingSet,
    grads: &[GradPair],
    rows: Vec<u32>,
    tree_features: &[usize],
    params: &GrowParams,
    rng: &mut ChaCha8Rng,
) -> GrownTree {
    let n_features = data.binned.n_features;
    let mut grower = Grower {
        data,
        grads,
        params,
        tree_features,
        rng,
        rows,
        nodes: Vec::new(),
        leaves: Vec::new(),
        feature_gain: vec![0.0; n_features],
        depth: 0,
        scratch_rows: Vec::new(),
        scratch_entries: Vec::new(),
        scratch_slots: Vec::new(),
    };
    grower.run();
    GrownTree {
        tree: Tree {
            nodes: grower.nodes,
            depth: grower.depth,
        },
        feature_gain: grower.feature_gain,
        rows: grower.rows,
        leaves: grower.leaves,
    }
}

/// Below this many rows a node's split is searched feature by feature over its occupied
/// bins rather than on a 256-slot histogram of every node feature (the bottom of a deep
/// forest tree is mostly such nodes); 256 rather than 64 saves 4 % of the forest's
/// instructions (callgrind, 100k x 10).
const SPARSE_MAX_ROWS: usize = 256;

impl Grower<'_> {
    fn run(&mut self) {
        let total = sum_rows(self.grads, &self.rows);
        let root = (0, self.rows.len());
        let mut open = Vec::new();
        let (root_weight, _) = self.bounded(total, Bounds::NONE);
        self.nodes
            .push(Node::leaf(0, self.leaf_value(root_weight), total.h));
        let histogram = self
            .can_split(root, 0, total)
            .then(|| self.build_histogram(root));
        let node = NodeRows {
            node: 0,
            rows: root,
            depth: 0,
            sum: total,
            bounds: Bounds::NONE,
        };
        self.open_or_close(&mut open, node, histogram);
        let mut n_leaves = 1;
        while n_leaves < self.params.max_leaves {
            let Some(next) = self.pick(&mut open) else {
                break;
            };
            self.split(&mut open, next);
            n_leaves += 1;
        }
        for candidate in open {
            let value = self.nodes[candidate.node].value;
            self.leaves.push((candidate.start, candidate.end, value));
        }
    }

    /// With a leaf limit the best gain goes first; without one order does not change
    /// the tree, so a stack keeps memory small.
    fn pick(&self, open: &mut Vec<Open>) -> Option<Open> {
        if self.params.max_leaves == usize::MAX {
            return open.pop();
        }
        let best = (0..open.len()).max_by(|&a, &b| {
            open[a]
                .split
                .gain
                .total_cmp(&open[b].split.gain)
                .then(open[b].node.cmp(&open[a].node))
        })?;
        Some(open.swap_remove(best))
    }

    fn split(&mut self, open: &mut Vec<Open>, parent: Open) {
        let split = parent.split;
        self.feature_gain[split.feature] += split.gain;
        let middle = self.partition(&parent);
        let (left, right) = (self.nodes.len(), self.nodes.len() + 1);
        self.nodes[parent.node] = Node {
            feature: split.feature as u32,
            threshold: self.data.cuts.cuts[split.feature][usize::from(split.bin)],
            missing_left: split.missing_left,
            left: left as u32,
            right: right as u32,
            value: 0.0,
            cover: self.nodes[parent.node].cover,
        };
        let (left_weight, _) = self.bounded(split.left, parent.bounds);
        let (right_weight, _) = self.bounded(split.right, parent.bounds);
        self.nodes
            .push(Node::leaf(left, self.leaf_value(left_weight), split.left.h));
        self.nodes.push(Node::leaf(
            right,
            self.leaf_value(right_weight),
            split.right.h,
        ));
        let depth = parent.depth + 1;
        self.depth = self.depth.max(depth);
        let (left_rows, right_rows) = ((parent.start, middle), (middle, parent.end));
        let (left_hist, right_hist) = self.child_histograms(&parent, left_rows, right_rows, depth);
        let direction = self.direction(split.feature).unwrap_or_default();
        let (left_bounds, right_bounds) =
            parent.bounds.children(direction, left_weight, right_weight);
        let child = |node, rows, sum, bounds| NodeRows {
            node,
            rows,
            depth,
            sum,
            bounds,
        };
        self.open_or_close(
            open,
            child(left, left_rows, split.left, left_bounds),
            left_hist,
        );
        self.open_or_close(
            open,
            child(right, right_rows, split.right, right_bounds),
            right_hist,
        );
    }

    /// The constraint of `feature`, or `None` when the model has no constraint at all.
    fn direction(&self, feature: usize) -> Option<Monotone> {
        self.params.monotone.get(feature).copied()
    }

    /// Histograms of the children that may split and are not small. When the parent's
    /// is kept, only the smaller child is built and the larger is the difference.
    fn child_histograms(
        &mut self,
        parent: &Open,
        left: (usize, usize),
        right: (usize, usize),
        depth: u32,
    ) -> (Option<Histogram>, Option<Histogram>) {
        let left_ok = self.can_split(left, depth, parent.split.left);
        let right_ok = self.can_split(right, depth, parent.split.right);
        let Some(parent_hist) = &parent.histogram else {
            let dense =
                |range: (usize, usize), ok: bool| ok && range.1 - range.0 >= SPARSE_MAX_ROWS;
            let left_hist = dense(left, left_ok).then(|| self.build_histogram(left));
            let right_hist = dense(right, right_ok).then(|| self.build_histogram(right));
            return (left_hist, right_hist);
        };
        if !left_ok && !right_ok {
            return (None, None);
        }
        let left_smaller = left.1 - left.0 <= right.1 - right.0;
        let small = self.build_histogram(if left_smaller { left } else { right });
        let large = Histogram {
            features: small.features.clone(),
            slots: parent_hist
                .slots
                .iter()
                .zip(&small.slots)
                .map(|(&p, &s)| p - s)
                .collect(),
        };
        let (left_hist, right_hist) = if left_smaller {
            (small, large)
        } else {
            (large, small)
        };
        (left_ok.then_some(left_hist), right_ok.then_some(right_hist))
    }

    /// Records a split candidate for the node, or closes it as a leaf. Without a
    /// histogram a splittable node is small and searched row by row.
    fn open_or_close(&mut self, open: &mut Vec<Open>, at: NodeRows, histogram: Option<Histogram>) {
        let NodeRows {
            node,
            rows: (start, end),
            depth,
            sum,
            bounds,
        } = at;
        let split = match &histogram {
            Some(hist) => self.best_dense_split(hist, sum, bounds),
            None if self.can_split((start, end), depth, sum) => {
                self.best_sparse_split((start, end), sum, bounds)
            }
            None => None,
        };
        match split {
            Some(split) => {
                // Keep the histogram only if a child may itself be split later.
                let keep =
                    self.params.features_per_split.is_none() && depth + 2 <= self.params.max_depth;
                let histogram = if keep { histogram } else { None };
                open.push(Open {
                    node,
                    start,
                    end,
                    depth,
                    split,
                    bounds,
                    histogram,
                });
            }
            None => self.leaves.push((start, end, self.nodes[node].value)),
        }
    }

    fn can_split(&self, (start, end): (usize, usize), depth: u32, sum: GradPair) -> bool {
        depth < self.params.max_depth
            && end - start >= 2
            && sum.h >= 2.0 * self.params.min_child_weight
    }

    fn build_histogram(&mut self, (start, end): (usize, usize)) -> Histogram {
        let features = self.node_features();
        let slots = histogram(
            &self.data.binned,
            self.grads,
            &self.rows[start..end],
            &features,
        );
        Histogram { features, slots }
    }

    fn node_features(&mut self) -> Vec<usize> {
        let mut features = self.tree_features.to_vec();
        if let Some(k) = self.params.features_per_split {
            let k = k.min(features.len());
            for i in 0..k {
                let j = self.rng.random_range(i..features.len());
                features.swap(i, j);
            }
            features.truncate(k);
        }
        features
    }

    fn best_dense_split(&self, hist: &Histogram, total: GradPair, bounds: Bounds) -> Option<Split> {
        let mut best: Option<Split> = None;
        for (k, &feature) in hist.features.iter().enumerate() {
            let slots = &hist.slots[k * SLOTS..(k + 1) * SLOTS];
            let value_bins = self.data.cuts.value_bins(feature);
            let bins = slots[..value_bins]
                .iter()
                .enumerate()
                .map(|(bin, &pair)| (bin as u8, pair));
            let missing = if self.data.cuts.has_missing[feature] {
                slots[usize::from(MISSING_BIN)]
            } else {
                GradPair::default()
            };
            let candidate = self.best_split_of_feature(feature, bins, missing, total, bounds);
            if candidate.is_some_and(|c| best.is_none_or(|b| c.beats(&b))) {
                best = candidate;
            }
        }
        best.filter(|split| split.gain > MIN_GAIN + self.params.min_split_gain)
    }

    /// The same search over the node's rows without a full histogram: each feature's
    /// rows are summed into reused slots, and the occupied bins are read back in order
    /// from a 256-bit mask, so only they are visited (empty bins never add gain).
    fn best_sparse_split(
        &mut self,
        (start, end): (usize, usize),
        total: GradPair,
        bounds: Bounds,
    ) -> Option<Split> {
        let features = self.node_features();
        if self.params.label_weights && (total.g == 0.0 || total.g == -total.h) {
            return None;
        }
        let n_features = self.data.binned.n_features;
        let mut best: Option<Split> = None;
        let mut slots = std::mem::take(&mut self.scratch_slots);
        slots.resize(SLOTS, GradPair::default());
        let mut occupied = std::mem::take(&mut self.scratch_entries);
        for feature in features {
            let mut mask = [0_u64; SLOTS / 64];
            for &row in &self.rows[start..end] {
                let bin = usize::from(self.data.binned.bins[row as usize * n_features + feature]);
                slots[bin] += self.grads[row as usize];
                mask[bin / 64] |= 1 << (bin % 64);
            }
            let mut missing = GradPair::default();
            if self.data.cuts.has_missing[feature] {
                let bin = usize::from(MISSING_BIN);
                missing = std::mem::take(&mut slots[bin]);
                mask[bin / 64] &= !(1 << (bin % 64));
            }
            occupied.clear();
            for (word_index, mut word) in mask.into_iter().enumerate() {
                while word != 0 {
                    let bin = word_index * 64 + word.trailing_zeros() as usize;
                    word &= word - 1;
                    occupied.push((bin as u8, std::mem::take(&mut slots[bin])));
                }
            }
            let bins = occupied.iter().copied();
            let candidate = self.best_split_of_feature(feature, bins, missing, total, bounds);
            if candidate.is_some_and(|c| best.is_none_or(|b| c.beats(&b))) {
                best = candidate;
            }
        }
        self.scratch_slots = slots;
        self.scratch_entries = occupied;
        best.filter(|split| split.gain > MIN_GAIN + self.params.min_split_gain)
    }

    /// Best split of one feature given its value bins in increasing order (`bins`) and
    /// the sum over missing values, searched as XGBoost's `EnumerateSplit` does: first
    /// with missing values on the right, growing the left side bin by bin (the last
    /// step is "every value left, missing right"), then, if the node has missing
    /// values, with them on the left, growing the right side from the top bin down. A
    /// candidate replaces the best only with a larger gain, so on ties the first pass
    /// keeps its lowest bin and the second its highest, as in XGBoost.
    ///
    /// With constraints (XGBoost's `CalcSplitGain`), every weight is clipped into the
    /// node's `bounds` and scored at the clipped value, and a split on a constrained
    /// feature whose children's weights go against its direction is never taken.
    fn best_split_of_feature(
        &self,
        feature: usize,
        bins: impl DoubleEndedIterator<Item = (u8, GradPair)> + Clone,
        missing: GradPair,
        total: GradPair,
        bounds: Bounds,
    ) -> Option<Split> {
        let direction = self.direction(feature);
        let parent_score = match direction {
            None => self.score(total),
            Some(_) => self.bounded(total, bounds).1,
        };
        let mut best: Option<Split> = None;
        let mut consider = |bin: u8, left: GradPair, missing_left: bool| {
            let right = total - left;
            let enough =
                left.h >= self.params.min_child_weight && right.h >= self.params.min_child_weight;
            if !enough {
                return;
            }
            let children_score = match direction {
                None => self.score(left) + self.score(right),
                Some(direction) => {
                    let (left_weight, left_score) = self.bounded(left, bounds);
                    let (right_weight, right_score) = self.bounded(right, bounds);
                    if (right_weight - left_weight) * direction.sign() < 0.0 {
                        return;
                    }
                    left_score + right_score
                }
            };
            // Rounded to f32 as XGBoost's `loss_chg`: near-equal splits tie, and the tie
            // rule below decides as there.
            let gain = f64::from((children_score - parent_score) as f32);
            let candidate = Split {
                gain,
                feature,
                bin,
                missing_left,
                left,
                right,
            };
            if best.is_none_or(|b| candidate.beats(&b)) {
                best = Some(candidate);
            }
        };
        let has_missing = missing.h > 0.0;
        // An empty bin repeats the candidate before it, which cannot win a tie.
        let bins = bins.filter(|&(_, pair)| pair != GradPair::default());
        let mut left = GradPair::default();
        let mut forward = bins.clone().peekable();
        while let Some((bin, pair)) = forward.next() {
            left += pair;
            // Without missing values the last step leaves the right side empty.
            if has_missing || forward.peek().is_some() {
                consider(bin, left, false);
            }
        }
        if has_missing {
            let mut right = GradPair::default();
            let mut backward = bins.rev().peekable();
            while let Some((bin, pair)) = backward.next() {
                right += pair;
                // Nothing below the lowest bin: that split is the first pass's last one,
                // mirrored.
                if backward.peek().is_none() {
                    break;
                }
                consider(bin - 1, total - right, true);
            }
        }
        best
    }

    /// How much a leaf at its best weight lowers the objective: `G²/(H+λ)`.
    fn score(&self, sum: GradPair) -> f64 {
        sum.g * sum.g / (sum.h + self.params.l2)
    }

    /// The leaf weight of `sum`, `-G/(H+λ)`, clipped into `bounds`, and the score at it:
    /// [`Self::score`] when the clip changes nothing (the same bits as without bounds),
    /// else XGBoost's `CalcGainGivenWeight`, `-(2Gw + (H+λ)w²)`.
    fn bounded(&self, sum: GradPair, bounds: Bounds) -> (f64, f64) {
        let denominator = sum.h + self.params.l2;
        let weight = if denominator > 0.0 {
            -sum.g / denominator
        } else {
            0.0
        };
        let clipped = bounds.clip(weight);
        if clipped == weight {
            (weight, self.score(sum))
        } else {
            let score = -(2.0 * sum.g * clipped + denominator * clipped * clipped);
            (clipped, score)
        }
    }

    /// The output of a leaf of weight `weight`.
    fn leaf_value(&self, weight: f64) -> f64 {
        weight * self.params.leaf_scale
    }

    /// Stable partition of the node's rows by its split; returns where the right child starts.
    /// Every row is written to both sides and only the side it belongs to advances: the
    /// direction is data, not a branch, which a split near the median would mispredict
    /// half of the time.
    fn partition(&mut self, node: &Open) -> usize {
        let split = node.split;
        let n_features = self.data.binned.n_features;
        let bins = &self.data.binned.bins;
        // A bin that never occurs when the feature has no missing values.
        let missing_bin = if self.data.cuts.has_missing[split.feature] {
            usize::from(MISSING_BIN)
        } else {
            usize::MAX
        };
        let rows = &mut self.rows[node.start..node.end];
        let right = &mut self.scratch_rows;
        right.clear();
        right.resize(rows.len(), 0);
        let (mut n_left, mut n_right) = (0, 0);
        for i in 0..rows.len() {
            let row = rows[i];
            let bin = bins[row as usize * n_features + split.feature];
            let go_left = if usize::from(bin) == missing_bin {
                split.missing_left
            } else {
                bin <= split.bin
            };
            rows[n_left] = row;
            right[n_right] = row;
            n_left += usize::from(go_left);
            n_right += usize::from(!go_left);
        }
        rows[n_left..].copy_from_slice(&right[..n_right]);
        node.start + n_left
    }
}

fn sum_rows(grads: &[GradPair], rows: &[u32]) -> GradPair {
    let mut sum = GradPair::default();
    for &row in rows {
        sum += grads[row as usize];
    }
    sum
}

/// Gradient sums per (feature, bin) over `rows`: `k * SLOTS + bin` for `features[k]`.
fn histogram(
    binned: &BinnedMatrix,
    grads: &[GradPair],
    rows: &[u32],
    features: &[usize],
) -> Vec<GradPair> {
    let size = features.len() * SLOTS;
    if rows.len() <= HISTOGRAM_CHUNK {
        let mut hist = vec![GradPair::default(); size];
        accumulate(binned, grads, rows, features, &mut hist);
        return hist;
    }
    let partials: Vec<Vec<GradPair>> = rows
        .par_chunks(HISTOGRAM_CHUNK)
        .map(|chunk| {
            let mut hist = vec![GradPair::default(); size];
            accumulate(binned, grads, chunk, features, &mut hist);
            hist
        })
        .collect();
    let mut partials = partials.into_iter();
    let mut hist = partials
        .next()
        .unwrap_or_else(|| vec![GradPair::default(); size]);
    for partial in partials {
        for (total, part) in hist.iter_mut().zip(partial) {
            *total += part;
        }
    }
    hist
}

fn accumulate(
    binned: &BinnedMatrix,
    grads: &[GradPair],
    rows: &[u32],
    features: &[usize],
    hist: &mut [GradPair],
) {
    for &row in rows {
        let pair = grads[row as usize];
        let bins = binned.row(row as usize);
        for (k, &feature) in features.iter().enumerate() {
            hist[k * SLOTS + usize::from(bins[feature])] += pair;
        }
    }
}
