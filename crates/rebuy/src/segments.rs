//! Behavioural clusters: KMeans on log1p-standardised recency, frequency and monetary,
//! with k chosen by a sweep (or forced), profiles and names a marketer can read.

use crate::customers_csv::CustomerColumn;
use crate::exit::InputError;
use crate::run_folder::RunFolder;
use crate::sample::Sample;
use anyhow::Result;
use rebuy_features::features::RfmScores;
use rebuy_features::{CustomerFeatures, SegmentMap, rfm};
use rebuy_models::kmeans::{KMeans, count_distinct_rows};
use rebuy_models::matrix::Matrix;
use rebuy_models::scale::Scaler;
use rebuy_models::segment::{ClusterProfile, KChoice, KSweep, KSweepParams, profile_clusters};
use serde::Serialize;
use std::borrow::Cow;

/// The features the clusters are made of, in this order.
pub const CLUSTER_FEATURES: [&str; 3] = ["recency_days", "frequency", "monetary"];
const MAX_K: usize = 10;

/// The fitted clustering of one run.
#[derive(Debug)]
pub struct Segmentation {
    pub sweep: KSweep,
    pub scaler: Scaler,
    pub assignments: Vec<usize>,
    pub profiles: Vec<ClusterProfile>,
    /// Share of the customers k was chosen and the centres fitted on (1: all).
    pub fit_customer_share: f64,
}

impl Segmentation {
    /// The customers.csv columns `cluster` and `cluster_name`, read from the
    /// assignments as rows are written.
    pub fn customer_columns(&self) -> [(&'static str, CustomerColumn<'_>); 2] {
        let labels = |names| CustomerColumn::Labels {
            names,
            index: Cow::Borrowed(&self.assignments),
        };
        let clusters = 0..self.sweep.model.n_clusters();
        [
            ("cluster", labels(clusters.map(|c| c.to_string()).collect())),
            ("cluster_name", labels(self.cluster_names())),
        ]
    }

    /// The name of each cluster of the model, in cluster order.
    fn cluster_names(&self) -> Vec<String> {
        (0..self.sweep.model.n_clusters())
            .map(|c| self.name_of(c).to_string())
            .collect()
    }

    fn name_of(&self, cluster: usize) -> &str {
        self.profiles
            .iter()
            .find(|p| p.cluster == cluster)
            .map_or("", |p| p.name.as_str())
    }
}

/// Parses `--k`: `auto` or a number.
pub fn parse_k(text: &str) -> Result<KChoice, String> {
    match text {
        "auto" => Ok(KChoice::Auto),
        n => match n.parse::<usize>() {
            Ok(k) if k >= 2 => Ok(KChoice::Fixed(k)),
            _ => Err(format!("expected `auto` or a whole number >= 2, got {n:?}")),
        },
    }
}

/// The clusters of a run, or why there are none.
#[derive(Debug)]
pub enum Clustering {
    Fitted(Box<Segmentation>),
    /// Too few distinct customers to choose between two or more clusters.
    Skipped(String),
}

/// Clusters the customers.
pub fn segment_customers(
    features: &CustomerFeatures,
    rfm: &RfmScores,
    choice: KChoice,
    max_customers: u64,
    seed: u64,
) -> Result<Clustering> {
    let raw = Matrix::from_columns(&[
        &features.recency_days,
        &features.frequency,
        &features.monetary,
    ])?
    .with_column_names(CLUSTER_FEATURES.iter().map(|s| s.to_string()).collect())?;
    let scaler = Scaler::fit(&raw, &[true, true, true])?;
    let scaled = scaler.transform(&raw)?;
    drop(raw);
    // Many customers: the clusters are chosen and fitted on a seeded sample, then every
    // customer is assigned to the nearest centre.
    let sample = Sample::new(max_customers, features.len(), seed);
    let sampled = (sample.share < 1.0).then(|| {
        let rows: Vec<usize> = (0..features.len())
            .filter(|&i| sample.keeps(&features.customer_id[i]))
            .collect();
        scaled.select_rows(&rows)
    });
    let fit_data = sampled.as_ref().unwrap_or(&scaled);
    // Enough to choose k: counting stops there (a full count of 10M customers sorted
    // a copy of every row).
    let enough = match choice {
        KChoice::Fixed(k) => MAX_K.max(k),
        KChoice::Auto => MAX_K,
    } + 1;
    let distinct = count_distinct_rows(fit_data, enough);
    let max_k = MAX_K.min(distinct.saturating_sub(1));
    if let KChoice::Fixed(k) = choice
        && k > distinct
    {
        return Err(InputError(format!(
            "--k {k}: only {distinct} customers have distinct recency/frequency/monetary; choose --k <= {distinct}"
        ))
        .into());
    }
    if max_k < 2 && !matches!(choice, KChoice::Fixed(_)) {
        return Ok(Clustering::Skipped(format!(
            "{distinct} distinct customers are too few to choose between 2 or more clusters"
        )));
    }
    let max_k = match choice {
        KChoice::Fixed(k) => max_k.max(k),
        KChoice::Auto => max_k,
    };
    let sweep = KSweepParams::new()
        .k_range(2, max_k)
        .choice(choice)
        .seed(seed)
        .validate()?
        .sweep(fit_data)?;
    let assignments = sweep.model.predict_all(&scaled)?;
    drop(sampled);
    drop(scaled);
    let profiles = profile_clusters(
        &features.recency_days,
        &features.frequency,
        &features.monetary,
        &assignments,
        &rfm.segment,
    )?;
    Ok(Clustering::Fitted(Box::new(Segmentation {
        sweep,
        scaler,
        assignments,
        profiles,
        fit_customer_share: sample.share,
    })))
}

#[derive(Serialize)]
pub struct RfmSegmentSummary {
    pub name: String,
    pub customers: usize,
    pub customer_share: f64,
    pub revenue_share: f64,
    pub action: Option<&'static str>,
}

#[derive(Serialize)]
struct SegmentsFile<'a> {
    format_version: u32,
    cluster_features: [&'static str; 3],
    preprocessing: &'static str,
    clustering: Option<ClusteringSummary<'a>>,
    clustering_skipped: Option<&'a str>,
    rfm_segments: Vec<RfmSegmentSummary>,
    /// The map that named the RFM segments, so that the server names a new customer
    /// the same way.
    segment_map: &'a SegmentMap,
}

#[derive(Serialize)]
struct ClusteringSummary<'a> {
    k_choice: &'a KChoice,
    chosen_k: usize,
    knee: Option<usize>,
    reason: &'a str,
    fit_customer_share: f64,
    sweep: &'a [rebuy_models::segment::KScore],
    clusters: &'a [ClusterProfile],
}

/// What `rebuy predict` needs to place a new customer in a cluster.
#[derive(Serialize)]
struct SavedKMeans<'a> {
    format_version: u32,
    feature_names: [&'static str; 3],
    scaler: &'a Scaler,
    model: &'a KMeans,
    cluster_names: Vec<String>,
}

/// Writes `segments.json`, `models/kmeans.json` and the pictures.
pub fn write(
    folder: &RunFolder,
    features: &CustomerFeatures,
    rfm_scores: &RfmScores,
    segment_map: &SegmentMap,
    choice: &KChoice,
    clustering: &Clustering,
) -> Result<()> {
    let (fitted, skipped) = match clustering {
        Clustering::Fitted(s) => (Some(s), None),
        Clustering::Skipped(reason) => (None, Some(reason.as_str())),
    };
    let file = SegmentsFile {
        format_version: 1,
        cluster_features: CLUSTER_FEATURES,
        preprocessing: "signed log1p, then standardised (mean 0, sd 1) per feature",
        clustering: fitted.map(|s| ClusteringSummary {
            k_choice: choice,
            chosen_k: s.sweep.chosen_k,
            knee: s.sweep.knee,
            reason: &s.sweep.reason,
            fit_customer_share: s.fit_customer_share,
            sweep: &s.sweep.scores,
            clusters: &s.profiles,
        }),
        clustering_skipped: skipped,
        rfm_segments: rfm_summary(features, rfm_scores),
        segment_map,
    };
    folder.write_json("segments.json", &file)?;
    if let Some(segmentation) = fitted {
        std::fs::create_dir_all(folder.path("models"))?;
        let cluster_names = segmentation.cluster_names();
        folder.write_json(
            "models/kmeans.json",
            &SavedKMeans {
                format_version: 1,
                feature_names: CLUSTER_FEATURES,
                scaler: &segmentation.scaler,
                model: &segmentation.sweep.model,
                cluster_names,
            },
        )?;
        crate::plots::write_cluster_plots(folder, features, segmentation)?;
    }
    Ok(())
}

/// Customers and revenue per RFM segment, largest revenue share first.
pub fn rfm_summary(features: &CustomerFeatures, scores: &RfmScores) -> Vec<RfmSegmentSummary> {
    let total_revenue: f64 = features.monetary.iter().sum();
    let n = features.len().max(1) as f64;
    let mut out: Vec<RfmSegmentSummary> = Vec::new();
    for (i, name) in scores.segment.iter().enumerate() {
        let index = match out.iter().position(|s| s.name == *name) {
            Some(index) => index,
            None => {
                out.push(RfmSegmentSummary {
                    name: name.to_string(),
                    customers: 0,
                    customer_share: 0.0,
                    revenue_share: 0.0,
                    action: rfm::suggested_action(name),
                });
                out.len() - 1
            }
        };
        out[index].customers += 1;
        out[index].revenue_share += features.monetary[i];
    }
    for s in &mut out {
        s.customer_share = s.customers as f64 / n;
        s.revenue_share /= total_revenue.max(f64::MIN_POSITIVE);
    }
    out.sort_by(|a, b| b.revenue_share.total_cmp(&a.revenue_share));
    out
}
