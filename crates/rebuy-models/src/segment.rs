//! Customer segments from KMeans: choosing k, scoring a clustering, and describing each
//! cluster in a marketer's words.
//!
//! - [`KSweepParams`] fits k = 2..=10 (by default) and scores each k by inertia,
//!   [`silhouette_score`] and [`davies_bouldin_score`]; [`kneedle_knee`] finds the elbow
//!   of the inertia curve; `auto` picks k and says why in [`KSweep::reason`].
//! - [`profile_clusters`] gives each cluster its size, shares, mean and median RFM, the
//!   dominant RFM segment and a distinct human name whose words follow from the medians
//!   (two clusters are ranked by a word only where their medians differ by
//!   [`NAME_MARGIN`]).

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::builder::setters;
use crate::kmeans::{KMeans, KMeansParams, count_distinct_rows};
use crate::matrix::Matrix;
use crate::{Error, Result};

/// Version of the saved [`KSweep`] JSON layout.
pub const KSWEEP_FORMAT_VERSION: u32 = 1;

/// In `auto`, the elbow is kept unless its silhouette falls below this fraction of the
/// best silhouette. The best silhouette on RFM data is nearly always k = 2 (one-timers
/// against the rest), too coarse to act on, so the silhouette only vetoes an elbow whose
/// clusters are markedly less separated.
pub const ELBOW_SILHOUETTE_FRACTION: f64 = 0.8;

/// How k is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KChoice {
    /// The elbow of the inertia curve, vetoed by a poor silhouette (see
    /// [`ELBOW_SILHOUETTE_FRACTION`]); the best silhouette otherwise.
    Auto,
    /// This k, whatever the scores say (they are still computed and reported).
    Fixed(usize),
}

/// Settings of a k sweep (a builder; check with [`KSweepParams::validate`]).
///
/// Defaults: k from 2 to 10, [`KChoice::Auto`], KMeans defaults (10 restarts, 300
/// iterations, tolerance 1e-4), silhouette on a seeded sample of at most 10,000 rows,
/// seed 0.
#[derive(Debug, Clone, PartialEq)]
pub struct KSweepParams {
    min_k: usize,
    max_k: usize,
    choice: KChoice,
    /// The KMeans settings of every k (each fit replaces the number of clusters).
    kmeans: KMeansParams,
    silhouette_sample: usize,
    seed: u64,
}

/// Checked [`KSweepParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct KSweepValidParams(KSweepParams);

impl Default for KSweepParams {
    fn default() -> Self {
        Self {
            min_k: 2,
            max_k: 10,
            choice: KChoice::Auto,
            kmeans: KMeansParams::new(2),
            silhouette_sample: 10_000,
            seed: 0,
        }
    }
}

impl KSweepParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The k values tried, `min_k..=max_k` (default 2..=10; `min_k` at least 2).
    pub fn k_range(mut self, min_k: usize, max_k: usize) -> Self {
        (self.min_k, self.max_k) = (min_k, max_k);
        self
    }

    setters! {
        /// Automatic or fixed k (default automatic).
        choice: KChoice,
        /// The KMeans settings (restarts, iterations, tolerance) used for every k; their
        /// number of clusters and seed are replaced by each k and [`KSweepParams::seed`]
        /// (default [`KMeansParams`]'s defaults).
        kmeans: KMeansParams,
        /// Most rows used for the silhouette, which costs `O(rows^2)` (default 10,000).
        silhouette_sample: usize,
        /// Seed of the KMeans restarts and of the silhouette sample (default 0).
        seed: u64,
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<KSweepValidParams> {
        let invalid = |name, reason: String| Err(Error::InvalidParameter { name, reason });
        if self.min_k < 2 || self.min_k > self.max_k {
            return invalid(
                "k_range",
                format!(
                    "needs 2 <= min_k <= max_k, got {}..={}",
                    self.min_k, self.max_k
                ),
            );
        }
        if let KChoice::Fixed(k) = self.choice
            && k < 2
        {
            return invalid("choice", format!("a fixed k must be at least 2, got {k}"));
        }
        if self.silhouette_sample < 2 {
            return invalid("silhouette_sample", "must be at least 2 rows".into());
        }
        self.kmeans_with(self.max_k).validate()?;
        Ok(KSweepValidParams(self.clone()))
    }

    fn kmeans_with(&self, k: usize) -> KMeansParams {
        self.kmeans.clone().n_clusters(k).seed(self.seed)
    }
}

/// The scores of one k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KScore {
    /// Number of clusters.
    pub k: usize,
    /// KMeans inertia (sum of squared distances to the centroids; lower is tighter).
    pub inertia: f64,
    /// Mean silhouette in [-1, 1]; higher means better separated clusters.
    pub silhouette: f64,
    /// Davies-Bouldin index, >= 0; lower means better separated clusters.
    pub davies_bouldin: f64,
}

/// The outcome of a k sweep: the scores, the elbow, the chosen k and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KSweep {
    /// Layout version of the saved JSON, [`KSWEEP_FORMAT_VERSION`].
    pub format_version: u32,
    /// One entry per k tried, by increasing k.
    pub scores: Vec<KScore>,
    /// The elbow of the inertia curve by Kneedle, if the curve has one.
    pub knee: Option<usize>,
    /// The chosen number of clusters.
    pub chosen_k: usize,
    /// Why this k, in one sentence for the report.
    pub reason: String,
    /// The KMeans model fitted with the chosen k.
    pub model: KMeans,
}

impl KSweepValidParams {
    /// Fits every k on `data` (scaled rows) and chooses one.
    pub fn sweep(&self, data: &Matrix) -> Result<KSweep> {
        let params = &self.0;
        let mut ks: Vec<usize> = (params.min_k..=params.max_k).collect();
        if let KChoice::Fixed(k) = params.choice
            && !ks.contains(&k)
        {
            ks.push(k);
            ks.sort_unstable();
        }
        // Keep the k that the data can support; a fixed k is left in so that asking for
        // too many clusters is reported by the fit, with its message.
        let distinct = count_distinct_rows(data, params.max_k);
        let most = distinct.min(data.n_rows().saturating_sub(1));
        ks.retain(|&k| k <= most || params.choice == KChoice::Fixed(k));
        if ks.is_empty() {
            return Err(Error::InvalidInput(format!(
                "choosing k from {}..={} needs {} distinct rows and one row more; found {distinct} \
                 distinct of {} rows",
                params.min_k,
                params.max_k,
                params.min_k,
                data.n_rows()
            )));
        }
        let mut scores = Vec::with_capacity(ks.len());
        let mut models = Vec::with_capacity(ks.len());
        for &k in &ks {
            let (model, labels) = params.kmeans_with(k).validate()?.fit_assign(data)?;
            scores.push(KScore {
                k,
                inertia: model.inertia,
                silhouette: silhouette_score(data, &labels, params.silhouette_sample, params.seed)?,
                davies_bouldin: davies_bouldin_score(data, &labels)?,
            });
            models.push(model);
        }
        let x: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
        let inertia: Vec<f64> = scores.iter().map(|s| s.inertia).collect();
        let knee = kneedle_knee(&x, &inertia).map(|i| ks[i]);
        let (chosen_k, reason) = choose_k(&scores, knee, params.choice);
        let at = ks.iter().position(|&k| k == chosen_k).unwrap_or(0);
        Ok(KSweep {
            format_version: KSWEEP_FORMAT_VERSION,
            scores,
            knee,
            chosen_k,
            reason,
            model: models.swap_remove(at),
        })
    }
}

/// The chosen k and the sentence explaining it.
fn choose_k(scores: &[KScore], knee: Option<usize>, choice: KChoice) -> (usize, String) {
    // Ties go to the smaller k: the simpler segmentation.
    let best_by = |better: fn(&KScore, &KScore) -> bool| {
        scores
            .iter()
            .fold(&scores[0], |best, s| if better(s, best) { s } else { best })
    };
    let best_silhouette = best_by(|a, b| a.silhouette > b.silhouette);
    let best_db = best_by(|a, b| a.davies_bouldin < b.davies_bouldin);
    let score_of = |k: usize| scores.iter().find(|s| s.k == k);
    let context = |k: usize| {
        let s = score_of(k).unwrap_or(best_silhouette);
        format!(
            "silhouette {:.3} (best {:.3} at k = {}), Davies-Bouldin {:.3} (best {:.3} at k = {})",
            s.silhouette,
            best_silhouette.silhouette,
            best_silhouette.k,
            s.davies_bouldin,
            best_db.davies_bouldin,
            best_db.k
        )
    };
    let elbow = match knee {
        Some(k) => format!("the inertia elbow (Kneedle) is at k = {k}"),
        None => "the inertia curve has no clear elbow".to_string(),
    };
    if let KChoice::Fixed(k) = choice {
        return (
            k,
            format!("k = {k} was set by the user; {elbow}; {}", context(k)),
        );
    }
    let knee_score = knee.and_then(score_of);
    match knee_score {
        Some(s) if s.silhouette >= ELBOW_SILHOUETTE_FRACTION * best_silhouette.silhouette => (
            s.k,
            format!(
                "k = {}: {elbow} and its clusters separate nearly as well as the best \
                 (silhouette at least {:.0}% of the best); {}",
                s.k,
                ELBOW_SILHOUETTE_FRACTION * 100.0,
                context(s.k)
            ),
        ),
        Some(s) => (
            best_silhouette.k,
            format!(
                "k = {}: {elbow} but its silhouette {:.3} is below {:.0}% of the best, so the \
                 best silhouette decides; {}",
                best_silhouette.k,
                s.silhouette,
                ELBOW_SILHOUETTE_FRACTION * 100.0,
                context(best_silhouette.k)
            ),
        ),
        None => (
            best_silhouette.k,
            format!(
                "k = {}: {elbow}, so the best silhouette decides; {}",
                best_silhouette.k,
                context(best_silhouette.k)
            ),
        ),
    }
}

/// Index of the knee of a decreasing convex curve (an inertia curve) by Kneedle
/// (Satopää et al. 2011) with sensitivity 1, as the `kneed` package computes it offline;
/// `None` when the curve has no knee. `x` must be increasing.
pub fn kneedle_knee(x: &[f64], y: &[f64]) -> Option<usize> {
    let n = x.len();
    if n < 3 || y.len() != n {
        return None;
    }
    let normalise = |values: &[f64]| -> Option<Vec<f64>> {
        let (low, high) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        (high > low).then(|| values.iter().map(|v| (v - low) / (high - low)).collect())
    };
    let (x_norm, y_norm) = (normalise(x)?, normalise(y)?);
    // Flip the decreasing convex curve into kneed's increasing concave form.
    let difference: Vec<f64> = y_norm
        .iter()
        .zip(&x_norm)
        .map(|(y, x)| (1.0 - y) - x)
        .collect();
    let around = |i: usize| {
        (
            difference[i.saturating_sub(1)],
            difference[(i + 1).min(n - 1)],
        )
    };
    let is_max = |i: usize| {
        let (before, after) = around(i);
        difference[i] >= before && difference[i] >= after
    };
    let is_min = |i: usize| {
        let (before, after) = around(i);
        difference[i] <= before && difference[i] <= after
    };
    let step = (x_norm[n - 1] - x_norm[0]).abs() / (n - 1) as f64;
    let first_max = (0..n).find(|&i| is_max(i))?;
    let (mut threshold, mut threshold_at) = (0.0, first_max);
    for i in first_max..n - 1 {
        if is_max(i) {
            threshold = difference[i] - step;
            threshold_at = i;
        }
        if is_min(i) {
            threshold = 0.0;
        }
        if difference[i + 1] < threshold {
            return Some(threshold_at);
        }
    }
    None
}

/// Checks that `labels` fits `data` and has 2..=rows-1 distinct clusters; returns the
/// number of cluster slots (largest label + 1).
fn check_labels(data: &Matrix, labels: &[usize]) -> Result<usize> {
    if labels.len() != data.n_rows() {
        return Err(Error::InvalidInput(format!(
            "{} labels for {} rows",
            labels.len(),
            data.n_rows()
        )));
    }
    data.check_finite()?;
    let slots = labels.iter().max().map_or(0, |&m| m + 1);
    let mut present = vec![false; slots];
    labels.iter().for_each(|&l| present[l] = true);
    let distinct = present.iter().filter(|&&p| p).count();
    if distinct < 2 || distinct >= data.n_rows() {
        return Err(Error::InvalidInput(format!(
            "scoring a clustering needs 2 to rows - 1 clusters, got {distinct} for {} rows",
            data.n_rows()
        )));
    }
    Ok(slots)
}

/// Mean silhouette coefficient (Rousseeuw 1987), Euclidean, as scikit-learn's
/// `silhouette_score`: a row alone in its cluster scores 0. With more than `max_rows`
/// rows it is computed on a sample of `max_rows` rows drawn with `seed` (the exact
/// score costs `O(rows^2)`).
pub fn silhouette_score(
    data: &Matrix,
    labels: &[usize],
    max_rows: usize,
    seed: u64,
) -> Result<f64> {
    let slots = check_labels(data, labels)?;
    let mut sample: Vec<usize> = if data.n_rows() > max_rows {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rand::seq::index::sample(&mut rng, data.n_rows(), max_rows).into_vec()
    } else {
        (0..data.n_rows()).collect()
    };
    // Grouped by cluster and stored by column, the inner loop runs over contiguous
    // slices and vectorises: about 4x faster than row-by-row with scattered labels.
    sample.sort_unstable_by_key(|&i| (labels[i], i));
    let sample_labels: Vec<usize> = sample.iter().map(|&i| labels[i]).collect();
    let columns: Vec<Vec<f64>> = (0..data.n_cols())
        .map(|j| sample.iter().map(|&i| data.row(i)[j]).collect())
        .collect();
    let mut ranges = vec![0..0; slots];
    for (at, &label) in sample_labels.iter().enumerate() {
        if ranges[label].is_empty() {
            ranges[label] = at..at;
        }
        ranges[label].end = at + 1;
    }
    if ranges.iter().filter(|r| !r.is_empty()).count() < 2 || sample.len() < 3 {
        return Err(Error::InvalidInput(
            "the silhouette sample holds fewer than 2 clusters; raise max_rows".into(),
        ));
    }
    let per_row: Vec<f64> = (0..sample.len())
        .into_par_iter()
        .map_init(Vec::new, |buffer, i| {
            row_silhouette(&columns, &ranges, sample_labels[i], i, buffer)
        })
        .collect();
    Ok(per_row.iter().sum::<f64>() / per_row.len() as f64)
}

fn row_silhouette(
    columns: &[Vec<f64>],
    ranges: &[std::ops::Range<usize>],
    own: usize,
    i: usize,
    buffer: &mut Vec<f64>,
) -> f64 {
    let size = |c: usize| ranges[c].len();
    if size(own) < 2 {
        return 0.0;
    }
    let mut mean_distance = |c: usize| {
        buffer.clear();
        buffer.resize(size(c), 0.0);
        for column in columns {
            let x = column[i];
            for (b, v) in buffer.iter_mut().zip(&column[ranges[c].clone()]) {
                *b += (v - x) * (v - x);
            }
        }
        let mut lanes = [0.0; 4];
        let chunks = buffer.chunks_exact(4);
        let tail: f64 = chunks.remainder().iter().map(|b| b.sqrt()).sum();
        for chunk in chunks {
            for (lane, b) in lanes.iter_mut().zip(chunk) {
                *lane += b.sqrt();
            }
        }
        lanes.iter().sum::<f64>() + tail
    };
    let within = mean_distance(own) / (size(own) - 1) as f64;
    let nearest_other = (0..ranges.len())
        .filter(|&c| c != own && size(c) > 0)
        .map(|c| mean_distance(c) / size(c) as f64)
        .fold(f64::INFINITY, f64::min);
    let spread = within.max(nearest_other);
    if spread > 0.0 {
        (nearest_other - within) / spread
    } else {
        0.0
    }
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Davies-Bouldin index (1979), as scikit-learn's `davies_bouldin_score`: for each
/// cluster the worst ratio of summed spreads to centroid distance, averaged.
pub fn davies_bouldin_score(data: &Matrix, labels: &[usize]) -> Result<f64> {
    let slots = check_labels(data, labels)?;
    let d = data.n_cols();
    let mut sums = vec![0.0; slots * d];
    let mut sizes = vec![0usize; slots];
    for (row, &label) in data.rows().zip(labels) {
        sizes[label] += 1;
        sums[label * d..(label + 1) * d]
            .iter_mut()
            .zip(row)
            .for_each(|(s, v)| *s += v);
    }
    let present: Vec<usize> = (0..slots).filter(|&c| sizes[c] > 0).collect();
    let centroid = |c: usize| -> Vec<f64> {
        sums[c * d..(c + 1) * d]
            .iter()
            .map(|s| s / sizes[c] as f64)
            .collect()
    };
    let centroids: Vec<Vec<f64>> = (0..slots).map(centroid).collect();
    let mut spread = vec![0.0; slots];
    for (row, &label) in data.rows().zip(labels) {
        spread[label] += distance(row, &centroids[label]);
    }
    present.iter().for_each(|&c| spread[c] /= sizes[c] as f64);
    let worst_ratio = |a: usize| {
        present
            .iter()
            .filter(|&&b| b != a)
            .map(|&b| {
                let gap = distance(&centroids[a], &centroids[b]);
                // Coinciding centroids count as infinitely far apart, as in scikit-learn.
                if gap > 0.0 {
                    (spread[a] + spread[b]) / gap
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max)
    };
    Ok(present.iter().map(|&a| worst_ratio(a)).sum::<f64>() / present.len() as f64)
}

/// What one cluster looks like, in original units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterProfile {
    /// Cluster index, as in the KMeans assignments.
    pub cluster: usize,
    /// Human name from the cluster's medians ("Recent frequent big spenders"), distinct
    /// across clusters; see [`NAME_MARGIN`] for what its words promise.
    pub name: String,
    /// Customers in the cluster.
    pub customers: usize,
    /// Share of all customers, in [0, 1].
    pub customer_share: f64,
    /// Share of revenue (positive net spend), in [0, 1].
    pub revenue_share: f64,
    /// Mean days since the last purchase.
    pub mean_recency_days: f64,
    /// Median days since the last purchase.
    pub median_recency_days: f64,
    /// Mean number of purchases.
    pub mean_frequency: f64,
    /// Median number of purchases.
    pub median_frequency: f64,
    /// Mean net spend.
    pub mean_monetary: f64,
    /// Median net spend.
    pub median_monetary: f64,
    /// The most common RFM segment label in the cluster (alphabetically first on a tie).
    pub dominant_segment: String,
    /// Share of the cluster's customers in that segment, in [0, 1].
    pub dominant_segment_share: f64,
}

/// One profile per non-empty cluster, by cluster index. All slices have one entry per
/// customer; `rfm_segments` holds each customer's named RFM segment.
pub fn profile_clusters<S: AsRef<str>>(
    recency_days: &[f64],
    frequency: &[f64],
    monetary: &[f64],
    assignments: &[usize],
    rfm_segments: &[S],
) -> Result<Vec<ClusterProfile>> {
    let columns = [recency_days, frequency, monetary];
    let n = recency_days.len();
    if frequency.len() != n
        || monetary.len() != n
        || assignments.len() != n
        || rfm_segments.len() != n
        || n == 0
    {
        return Err(Error::InvalidInput(format!(
            "profiles need the same non-zero number of customers in every column: {n} recency, \
             {} frequency, {} monetary, {} assignments, {} segments",
            frequency.len(),
            monetary.len(),
            assignments.len(),
            rfm_segments.len()
        )));
    }
    // Row by row, as `Matrix::check_finite` reports it, without a copy of the columns.
    let names = ["recency_days", "frequency", "monetary"];
    for row in 0..n {
        for (name, column) in names.iter().zip(columns) {
            if !column[row].is_finite() {
                return Err(Error::NonFinite {
                    feature: name.to_string(),
                    row,
                    value: column[row],
                });
            }
        }
    }
    let slots = assignments.iter().max().map_or(0, |&m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); slots];
    assignments
        .iter()
        .enumerate()
        .for_each(|(i, &c)| members[c].push(i));
    let revenue: f64 = monetary.iter().map(|m| m.max(0.0)).sum();
    let mut profiles: Vec<ClusterProfile> = members
        .iter()
        .enumerate()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(cluster, rows)| profile_one(cluster, rows, &columns, revenue, rfm_segments))
        .collect();
    name_clusters(&mut profiles, &columns);
    Ok(profiles)
}

fn profile_one<S: AsRef<str>>(
    cluster: usize,
    rows: &[usize],
    columns: &[&[f64]; 3],
    revenue: f64,
    rfm_segments: &[S],
) -> ClusterProfile {
    let total = columns[0].len() as f64;
    let size = rows.len() as f64;
    let stats = |column: &[f64]| {
        let mut values: Vec<f64> = rows.iter().map(|&i| column[i]).collect();
        values.sort_by(f64::total_cmp);
        let middle = values.len() / 2;
        let median = if values.len().is_multiple_of(2) {
            (values[middle - 1] + values[middle]) / 2.0
        } else {
            values[middle]
        };
        (values.iter().sum::<f64>() / size, median)
    };
    let (mean_recency_days, median_recency_days) = stats(columns[0]);
    let (mean_frequency, median_frequency) = stats(columns[1]);
    let (mean_monetary, median_monetary) = stats(columns[2]);
    let cluster_revenue: f64 = rows.iter().map(|&i| columns[2][i].max(0.0)).sum();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    rows.iter()
        .for_each(|&i| *counts.entry(rfm_segments[i].as_ref()).or_default() += 1);
    let (dominant, dominant_count) =
        counts.iter().fold(
            ("", 0),
            |best, (&label, &count)| if count > best.1 { (label, count) } else { best },
        );
    ClusterProfile {
        cluster,
        name: String::new(),
        customers: rows.len(),
        customer_share: size / total,
        revenue_share: if revenue > 0.0 {
            cluster_revenue / revenue
        } else {
            0.0
        },
        mean_recency_days,
        median_recency_days,
        mean_frequency,
        median_frequency,
        mean_monetary,
        median_monetary,
        dominant_segment: dominant.to_string(),
        dominant_segment_share: dominant_count as f64 / size,
    }
}

/// Names compare two clusters' medians only where they differ by this factor or more:
/// one plus the larger median is at least 1.25 times one plus the smaller (a gap of
/// ln 1.25 on the signed log1p scale the clusters are made on). 30 and 32 days since
/// the last order are "alike"; 5 and 32 days, or 1 and 2 orders, differ.
pub const NAME_MARGIN: f64 = 1.25;

/// The three things a cluster name speaks of, with the better direction of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameDimension {
    /// Median days since the last order: fewer is better.
    Recency,
    /// Median number of orders: more is better.
    Orders,
    /// Median spend: more is better.
    Spend,
}

impl NameDimension {
    pub const ALL: [NameDimension; 3] = [
        NameDimension::Recency,
        NameDimension::Orders,
        NameDimension::Spend,
    ];

    /// The profile's median on this dimension.
    pub fn median(self, profile: &ClusterProfile) -> f64 {
        match self {
            NameDimension::Recency => profile.median_recency_days,
            NameDimension::Orders => profile.median_frequency,
            NameDimension::Spend => profile.median_monetary,
        }
    }

    /// The median on a scale where higher is better and equal steps are equal ratios
    /// (signed log1p, negated for recency).
    fn score(self, median: f64) -> f64 {
        let scaled = median.signum() * median.abs().ln_1p();
        match self {
            NameDimension::Recency => -scaled,
            NameDimension::Orders | NameDimension::Spend => scaled,
        }
    }

    /// Whether `a` is better than `b` by at least [`NAME_MARGIN`] on this dimension.
    pub fn clearly_better(self, a: f64, b: f64) -> bool {
        // The tolerance lets 1 and 1.5 orders (2 : 2.5, exactly the margin) count as
        // different despite rounding in ln.
        self.score(a) - self.score(b) >= NAME_MARGIN.ln() - 1e-9
    }

    /// The words of the suffix that tells two same-named clusters apart, and the label
    /// of a rank for three or more.
    fn suffix_words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            NameDimension::Recency => ("more recent", "less recent", "recency"),
            NameDimension::Orders => ("more orders", "fewer orders", "orders"),
            NameDimension::Spend => ("higher spend", "lower spend", "spend"),
        }
    }
}

/// Recency words, best first (tiers 2, 1, 0).
const RECENCY_WORDS: [&str; 3] = ["Recent", "Cooling", "Lapsed"];
/// Orders words, best first; `one-time` (median of one order) ranks below them all.
const ORDER_WORDS: [&str; 3] = ["frequent", "repeat", "occasional"];
const ONE_TIME: &str = "one-time";
/// Spend words, best first.
const SPEND_WORDS: [&str; 3] = ["big", "mid", "small"];

/// Names each profile "{recency} {orders} {spend} spenders" (e.g. "Recent frequent big
/// spenders", "Lapsed one-time small spenders"), every word from the cluster's medians,
/// so that no word can contradict them:
///
/// 1. Per dimension, the clusters sorted by median fall into groups: a cluster joins the
///    group of the previous one when their medians are within [`NAME_MARGIN`]. Clusters
///    of different groups differ by at least the margin. (Orders also split between a
///    median of one order and more.)
/// 2. Each group takes a tier by where its clusters' medians stand among all customers
///    (mean mid-rank percentile, by thirds), and the tier gives the word. Better groups
///    never get a worse tier, so two clusters with different words on a dimension differ
///    by at least the margin, in the words' direction; clusters within the margin share
///    the word.
/// 3. Clusters that would share a name are told apart on a dimension on which they all
///    fall in different groups: "(more recent)" / "(less recent)", "(#1 by spend)" for
///    three or more; a suffix compares only the clusters of that name. Where no
///    dimension tells them apart by the margin, they get "(cluster N)", which claims
///    nothing.
fn name_clusters(profiles: &mut [ClusterProfile], columns: &[&[f64]; 3]) {
    let groups: Vec<Vec<usize>> = NameDimension::ALL
        .iter()
        .map(|&d| {
            let medians: Vec<f64> = profiles.iter().map(|p| d.median(p)).collect();
            margin_groups(d, &medians)
        })
        .collect();
    let tiers: Vec<Vec<usize>> = NameDimension::ALL
        .iter()
        .zip(columns)
        .zip(&groups)
        .map(|((&d, column), groups)| {
            let mut sorted = column.to_vec();
            sorted.sort_by(f64::total_cmp);
            group_tiers(d, profiles, groups, &sorted)
        })
        .collect();
    for (at, profile) in profiles.iter_mut().enumerate() {
        let orders = if profile.median_frequency <= 1.0 {
            ONE_TIME
        } else {
            ORDER_WORDS[2 - tiers[1][at]]
        };
        profile.name = format!(
            "{} {orders} {} spenders",
            RECENCY_WORDS[2 - tiers[0][at]],
            SPEND_WORDS[2 - tiers[2][at]]
        );
    }
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (at, profile) in profiles.iter().enumerate() {
        by_name.entry(profile.name.clone()).or_default().push(at);
    }
    for twins in by_name.values().filter(|t| t.len() > 1) {
        tell_apart(profiles, &groups, twins);
    }
}

/// Each cluster's group on dimension `d` (0 = best): sorted best first, a cluster
/// starts a new group when it is clearly worse than the cluster before it.
fn margin_groups(d: NameDimension, medians: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..medians.len()).collect();
    order.sort_by(|&a, &b| d.score(medians[b]).total_cmp(&d.score(medians[a])));
    let mut groups = vec![0; medians.len()];
    let mut group = 0;
    for pair in order.windows(2) {
        let (before, at) = (medians[pair[0]], medians[pair[1]]);
        let one_time_split = d == NameDimension::Orders && before > 1.0 && at <= 1.0;
        if d.clearly_better(before, at) || one_time_split {
            group += 1;
        }
        groups[pair[1]] = group;
    }
    groups
}

/// Each cluster's tier (2 best, 0 worst) on dimension `d`: its group's mean standing
/// among all customers (`sorted_population`), by thirds.
fn group_tiers(
    d: NameDimension,
    profiles: &[ClusterProfile],
    groups: &[usize],
    sorted_population: &[f64],
) -> Vec<usize> {
    let standing = |median: f64| {
        let share = percentile(sorted_population, median);
        match d {
            NameDimension::Recency => 1.0 - share,
            NameDimension::Orders | NameDimension::Spend => share,
        }
    };
    let count = groups.iter().max().map_or(0, |g| g + 1);
    let mut sums = vec![(0.0, 0usize); count];
    for (profile, &group) in profiles.iter().zip(groups) {
        sums[group].0 += standing(d.median(profile));
        sums[group].1 += 1;
    }
    let tier = |score: f64| usize::from(score >= 1.0 / 3.0) + usize::from(score >= 2.0 / 3.0);
    groups
        .iter()
        .map(|&g| tier(sums[g].0 / sums[g].1 as f64))
        .collect()
}

/// Mid-rank percentile of `value` in the sorted `population` (ties count half), so a
/// median of 1 order is not "top" just because most customers have 1 order.
fn percentile(sorted_population: &[f64], value: f64) -> f64 {
    let below = sorted_population.partition_point(|&v| v < value);
    let not_above = sorted_population.partition_point(|&v| v <= value);
    (below as f64 + (not_above - below) as f64 / 2.0) / sorted_population.len() as f64
}

/// Suffixes same-named clusters by the dimension (recency, orders, spend, widest spread
/// first) on which each of them is in a different margin group, or by cluster number.
fn tell_apart(profiles: &mut [ClusterProfile], groups: &[Vec<usize>], twins: &[usize]) {
    let separating = NameDimension::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let mut seen: Vec<usize> = twins.iter().map(|&at| groups[*i][at]).collect();
            seen.sort_unstable();
            seen.dedup();
            seen.len() == twins.len()
        })
        .map(|(_, &d)| {
            let scores = twins.iter().map(|&at| d.score(d.median(&profiles[at])));
            let spread = scores.clone().fold(f64::NEG_INFINITY, f64::max)
                - scores.fold(f64::INFINITY, f64::min);
            (d, spread)
        })
        .fold(
            None,
            |best: Option<(NameDimension, f64)>, (d, spread)| match best {
                Some((_, best_spread)) if best_spread >= spread => best,
                _ => Some((d, spread)),
            },
        );
    let Some((d, _)) = separating else {
        for &at in twins {
            let cluster = profiles[at].cluster;
            profiles[at].name.push_str(&format!(" (cluster {cluster})"));
        }
        return;
    };
    let mut ranked = twins.to_vec();
    ranked.sort_by(|&a, &b| {
        d.score(d.median(&profiles[b]))
            .total_cmp(&d.score(d.median(&profiles[a])))
    });
    let (better, worse, label) = d.suffix_words();
    for (rank, &at) in ranked.iter().enumerate() {
        let suffix = match (ranked.len(), rank) {
            (2, 0) => better.to_string(),
            (2, _) => worse.to_string(),
            (_, r) => format!("#{} by {label}", r + 1),
        };
        profiles[at].name = format!("{} ({suffix})", profiles[at].name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The points of docs/reference/kmeans/metrics_reference.py.
    fn reference_points() -> (Matrix, Vec<usize>) {
        let (mut values, mut labels) = (Vec::new(), Vec::new());
        for i in 0..40 {
            let group = i % 3;
            values.push(group as f64 * 1.5 + ((i * 7) % 11) as f64 / 10.0);
            values.push(-(group as f64) + ((i * 5) % 13) as f64 / 13.0);
            values.push(((i * 3) % 17) as f64 / 17.0);
            labels.push(group);
        }
        values.extend([10.0, 10.0, 10.0]);
        labels.push(3);
        (Matrix::new(41, 3, values).unwrap(), labels)
    }

    /// scikit-learn 1.9.1 `silhouette_score` (metrics_reference.py).
    #[test]
    fn silhouette_matches_scikit_learn() {
        let (data, labels) = reference_points();
        let score = silhouette_score(&data, &labels, 10_000, 0).unwrap();
        assert!((score - 0.5754050387421171).abs() < 1e-12, "{score}");
    }

    /// scikit-learn 1.9.1 `davies_bouldin_score` (metrics_reference.py).
    #[test]
    fn davies_bouldin_matches_scikit_learn() {
        let (data, labels) = reference_points();
        let score = davies_bouldin_score(&data, &labels).unwrap();
        assert!((score - 0.4311782438054135).abs() < 1e-12, "{score}");
    }

    #[test]
    fn sampled_silhouette_is_seeded_and_close() {
        let (data, labels) = reference_points();
        let a = silhouette_score(&data, &labels, 30, 4).unwrap();
        assert_eq!(a, silhouette_score(&data, &labels, 30, 4).unwrap());
        assert!((a - 0.575).abs() < 0.15, "{a}");
    }

    #[test]
    fn scores_reject_a_single_cluster() {
        let (data, _) = reference_points();
        let one = vec![0; data.n_rows()];
        assert!(silhouette_score(&data, &one, 100, 0).is_err());
        assert!(davies_bouldin_score(&data, &one).is_err());
        assert!(davies_bouldin_score(&data, &one[1..]).is_err());
    }

    /// Knees from the `kneed` 0.9.0 package (metrics_reference.py).
    #[test]
    fn kneedle_matches_kneed() {
        let x: Vec<f64> = (2..=10).map(f64::from).collect();
        let real = [
            7199.24, 5656.77, 4600.65, 3601.76, 3046.91, 2689.74, 2422.89, 2231.21, 2064.17,
        ];
        let hyperbola: Vec<f64> = x.iter().map(|k| 100.0 / k).collect();
        let sharp = [100.0, 60.0, 20.0, 18.0, 16.0, 14.0, 12.0, 10.0, 8.0];
        let line: Vec<f64> = x.iter().map(|k| 100.0 - 10.0 * k).collect();
        let knee_k = |y: &[f64]| kneedle_knee(&x, y).map(|i| x[i]);
        assert_eq!(knee_k(&real), Some(5.0));
        assert_eq!(knee_k(&hyperbola), Some(5.0));
        assert_eq!(knee_k(&sharp), Some(4.0));
        assert_eq!(knee_k(&line), None);
    }

    /// Three well separated groups of 3-feature rows.
    fn three_groups() -> Matrix {
        let values = (0..90)
            .flat_map(|i| {
                let g = (i % 3) as f64 * 8.0;
                let wiggle = (i * 7 % 10) as f64 / 10.0;
                [g + wiggle, -g + (i * 3 % 10) as f64 / 10.0, wiggle * 0.5]
            })
            .collect();
        Matrix::new(90, 3, values).unwrap()
    }

    #[test]
    fn auto_choice_finds_three_groups_and_explains() {
        let sweep = KSweepParams::new()
            .k_range(2, 6)
            .seed(1)
            .validate()
            .unwrap();
        let sweep = sweep.sweep(&three_groups()).unwrap();
        assert_eq!(sweep.scores.len(), 5);
        assert_eq!(sweep.chosen_k, 3, "{}", sweep.reason);
        assert!(sweep.reason.starts_with("k = 3:"), "{}", sweep.reason);
        assert_eq!(sweep.model.n_clusters(), 3);
        assert!(
            sweep
                .scores
                .windows(2)
                .all(|w| w[1].inertia <= w[0].inertia)
        );
    }

    #[test]
    fn fixed_choice_is_kept_and_said() {
        let params = KSweepParams::new().k_range(2, 4).choice(KChoice::Fixed(6));
        let sweep = params.validate().unwrap().sweep(&three_groups()).unwrap();
        assert_eq!(sweep.chosen_k, 6);
        assert_eq!(sweep.model.n_clusters(), 6);
        assert!(sweep.reason.contains("set by the user"), "{}", sweep.reason);
        let ks: Vec<usize> = sweep.scores.iter().map(|s| s.k).collect();
        assert_eq!(ks, vec![2, 3, 4, 6]);
    }

    #[test]
    fn the_kmeans_settings_apply_to_every_k() {
        let data = three_groups();
        let one_restart = KMeansParams::new(99).n_init(1).max_iter(5).seed(123);
        let sweep = KSweepParams::new()
            .k_range(2, 4)
            .kmeans(one_restart.clone())
            .seed(7)
            .validate()
            .unwrap()
            .sweep(&data)
            .unwrap();
        for score in &sweep.scores {
            let alone = one_restart.clone().n_clusters(score.k).seed(7);
            let model = alone.validate().unwrap().fit(&data).unwrap();
            assert_eq!(score.inertia, model.inertia, "k = {}", score.k);
        }
        assert!(
            KSweepParams::new()
                .kmeans(KMeansParams::new(2).n_init(0))
                .validate()
                .is_err()
        );
    }

    #[test]
    fn sweep_settings_and_tiny_data_are_errors() {
        assert!(KSweepParams::new().k_range(1, 5).validate().is_err());
        assert!(KSweepParams::new().k_range(5, 4).validate().is_err());
        assert!(
            KSweepParams::new()
                .choice(KChoice::Fixed(1))
                .validate()
                .is_err()
        );
        let one_point = Matrix::new(3, 1, vec![1.0, 1.0, 1.0]).unwrap();
        let err = KSweepParams::new()
            .validate()
            .unwrap()
            .sweep(&one_point)
            .unwrap_err();
        assert!(err.to_string().contains("distinct rows"), "{err}");
        let two_points = Matrix::new(4, 1, vec![1.0, 1.0, 2.0, 2.0]).unwrap();
        let fixed = KSweepParams::new()
            .choice(KChoice::Fixed(3))
            .validate()
            .unwrap();
        let err = fixed.sweep(&two_points).unwrap_err();
        assert!(err.to_string().contains("cannot make 3 clusters"), "{err}");
    }

    #[test]
    fn profiles_describe_and_name_clusters() {
        // Cluster 0: recent, frequent, big spenders. 1: lapsed one-timers. Names rank
        // clusters within this population, where 2 also looks valuable: it must still
        // get a name distinct from 0's.
        let recency = [2.0, 5.0, 300.0, 320.0, 340.0, 10.0, 12.0, 20.0, 25.0];
        let frequency = [20.0, 30.0, 1.0, 1.0, 1.0, 2.0, 2.0, 1.0, 1.0];
        let monetary = [9000.0, 12000.0, 40.0, 30.0, -5.0, 100.0, 90.0, 60.0, 50.0];
        let clusters = [0, 0, 1, 1, 1, 2, 2, 3, 3];
        let segments = [
            "Champions",
            "Champions",
            "Hibernating",
            "Hibernating",
            "At Risk",
            "New Customers",
            "Potential Loyalists",
            "New Customers",
            "New Customers",
        ];
        let profiles =
            profile_clusters(&recency, &frequency, &monetary, &clusters, &segments).unwrap();
        assert_eq!(profiles.len(), 4);
        let top = &profiles[0];
        assert_eq!(top.customers, 2);
        // 0 and 2 share every word; spend separates them most (10,500 against 95).
        assert_eq!(top.name, "Recent frequent big spenders (higher spend)");
        assert_eq!(
            profiles[2].name,
            "Recent frequent big spenders (lower spend)"
        );
        assert_eq!(profiles[3].name, "Cooling one-time mid spenders");
        assert!((top.revenue_share - 21000.0 / 21370.0).abs() < 1e-12);
        assert_eq!((top.median_recency_days, top.mean_monetary), (3.5, 10500.0));
        assert_eq!(profiles[1].name, "Lapsed one-time small spenders");
        assert_eq!(profiles[1].dominant_segment, "Hibernating");
        assert!((profiles[1].dominant_segment_share - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(profiles[1].median_monetary, 30.0);
        // Tie between the two segments of cluster 2: alphabetically first.
        assert_eq!(profiles[2].dominant_segment, "New Customers");
        let mut names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!((profiles.iter().map(|p| p.customer_share).sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn alike_clusters_are_told_apart_without_a_claim() {
        // Three interleaved clusters alike in recency and orders, spend within 2%: no
        // word may rank them, so they are numbered.
        let recency = [100.0; 30];
        let frequency = [1.0; 30];
        let monetary: Vec<f64> = (0..30).map(|i| 100.0 + i as f64).collect();
        let clusters: Vec<usize> = (0..30).map(|i| i % 3).collect();
        let segments = vec!["About to Sleep"; 30];
        let profiles =
            profile_clusters(&recency, &frequency, &monetary, &clusters, &segments).unwrap();
        let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Cooling one-time mid spenders (cluster 0)",
                "Cooling one-time mid spenders (cluster 1)",
                "Cooling one-time mid spenders (cluster 2)"
            ]
        );
    }

    #[test]
    fn three_same_named_clusters_are_ranked_where_they_differ() {
        // Alike in orders and spend, last orders 30, 5 and 200 days ago, beside many
        // customers away for 1,000 days that make all three "Recent": ranked by recency.
        let mut recency = Vec::new();
        let mut clusters = Vec::new();
        for (cluster, days, customers) in
            [(0, 30.0, 5), (1, 5.0, 5), (2, 200.0, 5), (3, 1000.0, 100)]
        {
            recency.extend(vec![days; customers]);
            clusters.extend(vec![cluster; customers]);
        }
        let n = recency.len();
        let profiles = profile_clusters(
            &recency,
            &vec![3.0; n],
            &vec![500.0; n],
            &clusters,
            &vec!["x"; n],
        )
        .unwrap();
        let suffixes: Vec<&str> = profiles
            .iter()
            .map(|p| p.name.rsplit_once(" (").map_or("", |(_, s)| s))
            .collect();
        assert!(
            profiles[..3].iter().all(|p| p.name.starts_with("Recent ")),
            "{profiles:?}"
        );
        assert!(
            !profiles[3].name.starts_with("Recent "),
            "{}",
            profiles[3].name
        );
        assert_eq!(
            suffixes,
            ["#2 by recency)", "#1 by recency)", "#3 by recency)", ""]
        );
    }

    #[test]
    fn medians_within_the_margin_are_alike() {
        let recency = NameDimension::Recency;
        assert!(!recency.clearly_better(30.0, 32.0) && !recency.clearly_better(32.0, 30.0));
        assert!(recency.clearly_better(5.0, 32.0) && !recency.clearly_better(32.0, 5.0));
        let orders = NameDimension::Orders;
        assert!(orders.clearly_better(2.0, 1.0) && orders.clearly_better(1.5, 1.0));
        assert!(!orders.clearly_better(6.0, 5.0));
        let spend = NameDimension::Spend;
        assert!(spend.clearly_better(400.0, 300.0) && !spend.clearly_better(330.0, 300.0));
        assert!(spend.clearly_better(10.0, -10.0) && !spend.clearly_better(-10.0, 10.0));
    }

    /// What a name claims on one dimension: its word's rank (higher = better), and the
    /// rank its suffix gives it among the clusters of the same name (1 = best).
    #[derive(Debug, Clone, Copy)]
    struct Claim {
        word: i32,
        suffix_rank: Option<usize>,
    }

    /// Reads a name back into its claims, independently of how it was made.
    fn claims(name: &str) -> (String, [Claim; 3]) {
        let (base, suffix) = match name.split_once(" (") {
            Some((base, suffix)) => (base, suffix.trim_end_matches(')')),
            None => (name, ""),
        };
        let words: Vec<&str> = base.split(' ').collect();
        assert_eq!(words.len(), 4, "{name}");
        assert_eq!(words[3], "spenders", "{name}");
        let rank = |list: &[&str], word: &str| {
            list.iter().position(|w| *w == word).map(|at| 2 - at as i32)
        };
        let recency = rank(&RECENCY_WORDS, words[0]).unwrap_or_else(|| panic!("{name}"));
        let orders = if words[1] == ONE_TIME {
            -1
        } else {
            rank(&ORDER_WORDS, words[1]).unwrap_or_else(|| panic!("{name}"))
        };
        let spend = rank(&SPEND_WORDS, words[2]).unwrap_or_else(|| panic!("{name}"));
        let mut result = [recency, orders, spend].map(|word| Claim {
            word,
            suffix_rank: None,
        });
        let suffixed = move |dimension: usize, rank: usize| {
            let mut with = result;
            with[dimension].suffix_rank = Some(rank);
            with
        };
        result = match suffix {
            "" => result,
            "more recent" => suffixed(0, 1),
            "less recent" => suffixed(0, 2),
            "more orders" => suffixed(1, 1),
            "fewer orders" => suffixed(1, 2),
            "higher spend" => suffixed(2, 1),
            "lower spend" => suffixed(2, 2),
            s if s.starts_with("cluster ") => result,
            s => {
                let (rank, label) = s
                    .strip_prefix('#')
                    .and_then(|s| s.split_once(" by "))
                    .unwrap_or_else(|| panic!("suffix of {name}"));
                let dimension = ["recency", "orders", "spend"]
                    .iter()
                    .position(|l| *l == label)
                    .unwrap_or_else(|| panic!("{name}"));
                suffixed(dimension, rank.parse().expect("rank"))
            }
        };
        (base.to_string(), result)
    }

    /// Random clusters, often with near-equal medians: integer days and orders (as in
    /// the data), spend with cents and some negative net spend.
    fn random_profiles(rng: &mut ChaCha8Rng) -> Vec<ClusterProfile> {
        use rand::Rng;
        let k = rng.random_range(2..=9);
        // A few typical values per dimension, so clusters collide and nearly collide.
        let typical_days: Vec<f64> = (0..3).map(|_| rng.random_range(0..400) as f64).collect();
        let typical_orders: Vec<f64> = (0..3).map(|_| rng.random_range(1..30) as f64).collect();
        let typical_spend: Vec<f64> = (0..3).map(|_| rng.random_range(-200.0..20_000.0)).collect();
        let (mut recency, mut frequency, mut monetary, mut clusters) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for cluster in 0..k {
            let days = typical_days[rng.random_range(0..3)];
            let orders = typical_orders[rng.random_range(0..3)];
            let spend = typical_spend[rng.random_range(0..3)];
            for _ in 0..rng.random_range(1..12) {
                let wiggle = rng.random_range(0.7..1.4);
                recency.push((days * wiggle).round() + 1.0);
                frequency.push((orders * wiggle).round().max(1.0));
                monetary.push(((spend * wiggle) * 100.0).round() / 100.0);
                clusters.push(cluster);
            }
        }
        let n = recency.len();
        profile_clusters(&recency, &frequency, &monetary, &clusters, &vec!["x"; n]).unwrap()
    }

    /// No name claims a cluster is better than another on recency, orders or spend
    /// unless its median is better by the margin; "one-time" means a median of 1 order;
    /// names are distinct.
    #[test]
    fn no_name_contradicts_the_medians() {
        let mut rng = ChaCha8Rng::seed_from_u64(2024);
        for case in 0..3000 {
            let profiles = random_profiles(&mut rng);
            let read: Vec<(String, [Claim; 3])> =
                profiles.iter().map(|p| claims(&p.name)).collect();
            let mut names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), profiles.len(), "case {case}: {profiles:#?}");
            for (a, (base_a, claims_a)) in profiles.iter().zip(&read) {
                assert_eq!(
                    claims_a[1].word == -1,
                    a.median_frequency <= 1.0,
                    "case {case}: {}",
                    a.name
                );
                for (b, (base_b, claims_b)) in profiles.iter().zip(&read) {
                    for (i, d) in NameDimension::ALL.iter().enumerate() {
                        let (x, y) = (claims_a[i], claims_b[i]);
                        let by_word = x.word > y.word;
                        let by_suffix = base_a == base_b
                            && matches!((x.suffix_rank, y.suffix_rank), (Some(p), Some(q)) if p < q);
                        if by_word || by_suffix {
                            assert!(
                                d.clearly_better(d.median(a), d.median(b)),
                                "case {case}: {:?} ({}) is named better than {:?} ({}) on {d:?}",
                                a.name,
                                d.median(a),
                                b.name,
                                d.median(b)
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn profiles_reject_mismatched_or_non_finite_columns() {
        let ok = [1.0, 2.0];
        assert!(profile_clusters(&ok, &ok, &ok, &[0], &["a", "b"]).is_err());
        assert!(profile_clusters(&ok, &ok, &[1.0, f64::NAN], &[0, 1], &["a", "b"]).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any labelling gives scores in range or an error, never a panic.
        #[test]
        fn scores_are_in_range_or_an_error(
            rows in proptest::collection::vec((-5.0f64..5.0, 0usize..4), 0..50),
            sample in 2usize..60,
        ) {
            let data = Matrix::new(rows.len(), 1, rows.iter().map(|r| r.0).collect()).unwrap();
            let labels: Vec<usize> = rows.iter().map(|r| r.1).collect();
            if let Ok(s) = silhouette_score(&data, &labels, sample, 1) {
                proptest::prop_assert!((-1.0..=1.0).contains(&s));
            }
            if let Ok(db) = davies_bouldin_score(&data, &labels) {
                proptest::prop_assert!(db >= 0.0 && db.is_finite());
            }
            let segments = vec!["x"; rows.len()];
            let column = data.column(0);
            if let Ok(profiles) = profile_clusters(&column, &column, &column, &labels, &segments) {
                proptest::prop_assert_eq!(profiles.iter().map(|p| p.customers).sum::<usize>(), rows.len());
            }
        }
    }
}
