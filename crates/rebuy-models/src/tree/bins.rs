//! Quantile binning as XGBoost's `hist` method does it: each feature's values become at
//! most 256 ordered bins (`u8`), plus one code for missing values in features that have
//! them, so that split search scans small histograms instead of sorting rows at every
//! node.
//!
//! The bin edges are XGBoost's (`HistogramCuts` from `hist_util.cc` and `quantile.h`,
//! 3.2): values are taken at `f32` precision, summarised exactly as distinct values with
//! their counts, pruned with XGBoost's `SetPrune` rule to the sketch's size, to
//! `min(rows, 8 * max_bins)` and then to `max_bins + 1` entries, and every pruned entry
//! after the first becomes a bin start; a feature with at most `max_bins` distinct values
//! thus gets one bin per value. XGBoost's tests are `x < cut` in `f32`; each cut is
//! stored here as the largest `f64` for which that test holds, so a split is the raw
//! test `x <= edge` on `f64` inputs and sends every value where XGBoost sends it.
//!
//! Two known differences: XGBoost's sketch is exact only up to about 12,000 values per
//! feature (at 256 bins), beyond which it streams an approximate summary while this one
//! stays exact; and a feature with missing values that XGBoost cuts into 256 value bins
//! has its top two bins merged here, as its missing values need the 256th byte code.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;

/// The bin of a missing (NaN) value in a feature with missing training values; such a
/// feature has at most 255 value bins, `0..MISSING_BIN`.
pub(crate) const MISSING_BIN: u8 = u8::MAX;

/// Histogram slots per feature: the value bins and the missing bin.
pub(crate) const SLOTS: usize = 256;

/// XGBoost's sketch keeps `WQSketch::kFactor` times more entries than bins before the
/// final prune.
const SKETCH_FACTOR: usize = 8;

/// Bin edges of every feature: value `x` falls in bin `#{edge : edge < x}`, so a split
/// "bin <= b" is the raw test `x <= edges[b]`. The last edge of a feature lies above
/// every training value (XGBoost's closing cut), so "every value left, missing values
/// right" is a split too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BinCuts {
    pub(crate) cuts: Vec<Vec<f64>>,
    /// Features with missing training values (their missing values are `MISSING_BIN`).
    pub(crate) has_missing: Vec<bool>,
}

impl BinCuts {
    /// XGBoost's cuts of each column with at most `max_bins` (2 to 256) value bins; a
    /// column with missing values gets at most 255.
    pub(crate) fn fit(features: &Matrix, max_bins: usize) -> Self {
        let (cuts, has_missing) = (0..features.n_cols())
            .into_par_iter()
            .map(|column| column_cuts(&features.column(column), max_bins))
            .unzip();
        Self { cuts, has_missing }
    }

    /// Number of value bins of `feature` (the missing bin not counted).
    pub(crate) fn value_bins(&self, feature: usize) -> usize {
        self.cuts[feature].len()
    }

    fn bin(&self, feature: usize, value: f64) -> u8 {
        if value.is_nan() {
            MISSING_BIN
        } else {
            // At most 256 edges, the last above every training value: a u8.
            self.cuts[feature].partition_point(|&edge| edge < value) as u8
        }
    }
}

fn column_cuts(values: &[f64], max_bins: usize) -> (Vec<f64>, bool) {
    let mut present: Vec<f32> = values
        .iter()
        .filter(|value| !value.is_nan())
        .map(|&value| value as f32)
        .collect();
    let has_missing = present.len() < values.len();
    if present.is_empty() {
        return (Vec::new(), has_missing);
    }
    present.sort_unstable_by(f32::total_cmp);
    let summary = exact_summary(&present);
    let mut cuts = xgboost_cuts(&summary, present.len(), max_bins);
    if has_missing && cuts.len() > usize::from(MISSING_BIN) {
        // Missing values need the last byte code: the top two value bins become one, so
        // every other cut stays XGBoost's and only the split between those two is lost.
        cuts.remove(cuts.len() - 2);
    }
    (cuts.into_iter().map(inclusive_edge).collect(), has_missing)
}

/// One entry of XGBoost's weighted quantile summary (`WQSummary::Entry`): a value and the
/// bounds of its rank; ranks are `f32` there, and so here, so that prunes pick the same
/// entries.
#[derive(Debug, Clone, Copy)]
struct Entry {
    rmin: f32,
    rmax: f32,
    wmin: f32,
    value: f32,
}

/// The exact summary of sorted values: each distinct value with its count.
fn exact_summary(sorted: &[f32]) -> Vec<Entry> {
    let mut below = 0.0_f32;
    sorted
        .chunk_by(|a, b| a == b)
        .map(|run| {
            let weight = run.len() as f32;
            let entry = Entry {
                rmin: below,
                rmax: below + weight,
                wmin: weight,
                value: run[0],
            };
            below += weight;
            entry
        })
        .collect()
}

/// XGBoost's `WQSummary::SetPrune`: at most `max_size` entries spread evenly by rank.
fn prune(summary: &[Entry], max_size: usize) -> Vec<Entry> {
    if summary.len() <= max_size {
        return summary.to_vec();
    }
    let last = summary.len() - 1;
    let begin = summary[0].rmax;
    let range = summary[last].rmin - summary[0].rmax;
    let n = max_size - 1;
    let mut pruned = vec![summary[0]];
    let (mut i, mut last_taken) = (1, 0);
    for k in 1..n {
        let target = 2.0 * ((k as f32 * range) / n as f32 + begin);
        while i < last && target >= summary[i + 1].rmax + summary[i + 1].rmin {
            i += 1;
        }
        if i == last {
            break;
        }
        let next_rmax_prev = summary[i + 1].rmax - summary[i + 1].wmin;
        let take = if target < summary[i].rmin + summary[i].wmin + next_rmax_prev {
            i
        } else {
            i + 1
        };
        if take != last_taken {
            pruned.push(summary[take]);
            last_taken = take;
        }
    }
    if last_taken != last {
        pruned.push(summary[last]);
    }
    pruned
}

/// XGBoost's cut values (`AddCutPoint` and the closing cut of `MakeCuts`): the starts of
/// bins 1.. and a value above the maximum.
fn xgboost_cuts(summary: &[Entry], n_values: usize, max_bins: usize) -> Vec<f32> {
    let sketch = prune(summary, sketch_limit(n_values, max_bins));
    let intermediate = n_values.min(max_bins * SKETCH_FACTOR);
    let max_bins = intermediate.min(max_bins);
    let pruned = prune(&prune(&sketch, intermediate), max_bins + 1);
    let mut cuts: Vec<f32> = Vec::with_capacity(max_bins);
    for entry in &pruned[1..pruned.len().min(max_bins)] {
        if cuts.last().is_none_or(|&last| entry.value > last) {
            cuts.push(entry.value);
        }
    }
    // Computed in double there (C's `fabs`), then stored as float.
    let maximum = f64::from(pruned[pruned.len() - 1].value);
    cuts.push((maximum + (maximum.abs() + f64::from(1e-5_f32))) as f32);
    cuts
}

/// The size a column's summary is pruned to when XGBoost's sketch hands it over
/// (`WQuantileSketch::LimitSizeLevel`, with `eps = 1 / (8 * bins)`).
fn sketch_limit(n_values: usize, max_bins: usize) -> usize {
    let bins = max_bins.min(n_values).max(1) as f32;
    let eps = 1.0 / f64::from(bins * SKETCH_FACTOR as f32);
    let mut level = 1_u32;
    loop {
        let limit = ((f64::from(level) / eps).ceil() as usize + 1).min(n_values);
        if (1_usize << level) * limit >= n_values {
            return limit;
        }
        level += 1;
    }
}

/// The largest `f64` whose `f32` rounding is below `cut`, so that `x <= edge` on `f64`
/// is XGBoost's `(x as f32) < cut`.
fn inclusive_edge(cut: f32) -> f64 {
    let below = cut.next_down();
    // Values between `below` and `cut` round to the nearer one; the midpoint to the one
    // with an even last bit.
    let midpoint = (f64::from(below) + f64::from(cut)) / 2.0;
    if below.to_bits() & 1 == 0 {
        midpoint
    } else {
        midpoint.next_down()
    }
}

/// Row-major binned features: `bins[row * n_features + feature]`.
#[derive(Debug)]
pub(crate) struct BinnedMatrix {
    pub(crate) n_features: usize,
    pub(crate) bins: Vec<u8>,
}

impl BinnedMatrix {
    pub(crate) fn new(features: &Matrix, cuts: &BinCuts) -> Self {
        let n_features = features.n_cols();
        let mut bins = vec![0_u8; features.values().len()];
        bins.par_chunks_mut(n_features * 4096)
            .zip(features.values().par_chunks(n_features * 4096))
            .for_each(|(binned, values)| {
                for (index, (bin, &value)) in binned.iter_mut().zip(values).enumerate() {
                    *bin = cuts.bin(index % n_features, value);
                }
            });
        Self { n_features, bins }
    }

    pub(crate) fn row(&self, row: usize) -> &[u8] {
        &self.bins[row * self.n_features..(row + 1) * self.n_features]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `f32` cut each edge stands for: the smallest `f32` above it.
    fn as_cuts(edges: &[f64]) -> Vec<f32> {
        edges
            .iter()
            .map(|&edge| {
                let cut = edge as f32;
                if f64::from(cut) <= edge {
                    cut.next_up()
                } else {
                    cut
                }
            })
            .collect()
    }

    #[test]
    fn few_distinct_values_get_one_bin_each() {
        let (edges, has_missing) = column_cuts(&[3.0, 1.0, 2.0, 1.0, f64::NAN], 256);
        assert!(has_missing);
        assert_eq!(as_cuts(&edges), vec![2.0, 3.0, 6.00001]);
        let bins = BinCuts {
            cuts: vec![edges],
            has_missing: vec![true],
        };
        let values = [1.0, 1.99, 2.0, 2.5, 3.0, f64::NAN];
        let binned: Vec<u8> = values.iter().map(|&v| bins.bin(0, v)).collect();
        assert_eq!(binned, vec![0, 0, 1, 1, 2, MISSING_BIN]);
    }

    // XGBoost 3.2 `QuantileDMatrix(x, max_bin).get_quantile_cut()` (the sketch is exact
    // at these sizes): every cut after the minimum.
    #[test]
    fn many_values_are_cut_where_xgboost_cuts_them() {
        let values: Vec<f64> = (0..300).map(|i| f64::from((i * 37) % 101)).collect();
        let (edges, _) = column_cuts(&values, 10);
        let xgboost = [
            10.0, 20.0, 31.0, 41.0, 50.0, 60.0, 69.0, 79.0, 89.0, 200.00002,
        ];
        assert_eq!(as_cuts(&edges), xgboost);

        let values: Vec<f64> = (0..5000)
            .map(|i| f64::from((i * 7919) % 10007) / 7.0)
            .collect();
        let cuts = as_cuts(&column_cuts(&values, 256).0);
        assert_eq!(cuts.len(), 256);
        let pinned = [
            (0, 6.285714),
            (1, 11.857142),
            (100, 564.2857),
            (254, 1423.8572),
        ];
        for (index, cut) in pinned {
            assert_eq!(cuts[index], cut, "cut {index}");
        }
        assert_eq!(cuts[255], 2858.8572);
    }

    #[test]
    fn a_value_exactly_on_a_cut_goes_right_as_in_xgboost() {
        // 0.1 is not an f32: XGBoost compares 0.1_f32 < cut in f32.
        let (edges, _) = column_cuts(&[0.0, 0.1, 0.2], 256);
        let bins = BinCuts {
            cuts: vec![edges.clone()],
            has_missing: vec![false],
        };
        for value in [0.1, f64::from(0.1_f32), f64::from(0.1_f32.next_down())] {
            let xgboost = usize::from((value as f32) >= 0.1_f32);
            assert_eq!(usize::from(bins.bin(0, value)), xgboost, "{value}");
        }
        assert!(edges[0] < f64::from(0.1_f32) && (edges[0] as f32) < 0.1_f32);
    }

    #[test]
    fn bins_follow_the_cuts_and_nan_is_missing() {
        let matrix = Matrix::new(4, 1, vec![1.0, 2.0, 3.0, f64::NAN]).unwrap();
        let cuts = BinCuts::fit(&matrix, 256);
        let binned = BinnedMatrix::new(&matrix, &cuts);
        assert_eq!(binned.bins, vec![0, 1, 2, MISSING_BIN]);
        assert_eq!(cuts.value_bins(0), 3);
    }

    #[test]
    fn a_feature_with_missing_values_keeps_a_code_for_them() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let (edges, has_missing) = column_cuts(&values, 256);
        assert_eq!((edges.len(), has_missing), (256, false));
        let with_missing: Vec<f64> = values.iter().copied().chain([f64::NAN]).collect();
        let (merged, has_missing) = column_cuts(&with_missing, 256);
        assert_eq!((merged.len(), has_missing), (255, true));
        // XGBoost's cuts but the one between the top two bins.
        assert_eq!(merged[..254], edges[..254]);
        assert_eq!(merged[254], edges[255]);
    }
}
