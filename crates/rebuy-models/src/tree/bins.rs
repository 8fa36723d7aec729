//! Quantile binning: each feature's values become at most 255 ordered bins (`u8`), plus
//! one bin for missing values, so that split search scans small histograms instead of
//! sorting rows at every node.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;

/// The bin of a missing (NaN) value; value bins are `0..MISSING_BIN`.
pub(crate) const MISSING_BIN: u8 = u8::MAX;

/// Histogram slots per feature: the value bins and the missing bin.
pub(crate) const SLOTS: usize = 256;

/// Upper edges of the bins of every feature: value `x` falls in bin
/// `#{cut : cut < x}`, so a split "bin <= b" is the raw test `x <= cuts[b]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BinCuts {
    pub(crate) cuts: Vec<Vec<f64>>,
}

impl BinCuts {
    /// Cuts at the quantiles of each column's finite values, `max_value_bins <= 255` bins.
    pub(crate) fn fit(features: &Matrix, max_value_bins: usize) -> Self {
        let cuts = (0..features.n_cols())
            .into_par_iter()
            .map(|column| column_cuts(features.column(column), max_value_bins))
            .collect();
        Self { cuts }
    }

    /// Number of value bins of `feature` (the missing bin not counted).
    pub(crate) fn value_bins(&self, feature: usize) -> usize {
        self.cuts[feature].len() + 1
    }

    fn bin(&self, feature: usize, value: f64) -> u8 {
        if value.is_nan() {
            MISSING_BIN
        } else {
            // At most 254 cuts, so the bin fits in a u8 below MISSING_BIN.
            self.cuts[feature].partition_point(|&cut| cut < value) as u8
        }
    }
}

fn column_cuts(mut values: Vec<f64>, max_value_bins: usize) -> Vec<f64> {
    values.retain(|value| !value.is_nan());
    values.sort_unstable_by(f64::total_cmp);
    let mut distinct = values.clone();
    distinct.dedup();
    if distinct.len() <= max_value_bins {
        // Few values: one bin each, cut half-way so unseen values land in the nearer bin.
        return distinct
            .windows(2)
            .map(|pair| pair[0] + (pair[1] - pair[0]) / 2.0)
            .collect();
    }
    let n = values.len();
    let mut cuts: Vec<f64> = (1..max_value_bins)
        .map(|k| values[(k * n).div_ceil(max_value_bins) - 1])
        .collect();
    cuts.dedup();
    // A cut at the maximum would leave an empty last bin.
    if cuts.last() == values.last() {
        cuts.pop();
    }
    cuts
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

    #[test]
    fn few_distinct_values_get_one_bin_each() {
        let cuts = column_cuts(vec![3.0, 1.0, 2.0, 1.0, f64::NAN], 255);
        assert_eq!(cuts, vec![1.5, 2.5]);
    }

    #[test]
    fn many_values_are_cut_at_quantiles_into_at_most_max_bins() {
        let values: Vec<f64> = (0..10_000).map(|i| f64::from(i % 1000)).collect();
        let cuts = column_cuts(values, 10);
        assert_eq!(cuts.len(), 9);
        assert_eq!(cuts[0], 99.0);
        assert_eq!(cuts[4], 499.0);
    }

    #[test]
    fn bins_follow_the_cuts_and_nan_is_missing() {
        let matrix = Matrix::new(4, 1, vec![1.0, 2.0, 3.0, f64::NAN]).unwrap();
        let cuts = BinCuts::fit(&matrix, 255);
        let binned = BinnedMatrix::new(&matrix, &cuts);
        assert_eq!(binned.bins, vec![0, 1, 2, MISSING_BIN]);
        assert_eq!(cuts.value_bins(0), 3);
    }
}
