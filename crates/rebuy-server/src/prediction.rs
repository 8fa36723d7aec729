//! The one shape of a prediction: `POST /api/predict` answers with [`Prediction`] and
//! `rebuy predict` prints the same, so the two can never disagree on a field.

use crate::run::segment_action;
use rebuy_models::scoring::{
    AnsweredBy, CLUSTER_EXPLANATION, Cluster, Lifetime, OutsideRange, Scorer,
};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One scored customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Prediction {
    /// Probability of at least one purchase in the next `horizon_days` (calibrated).
    pub purchase_probability: f64,
    pub horizon_days: u32,
    /// `High` below the first of `churn_risk_thresholds`, `Medium` below the second,
    /// `Low` from it on.
    pub churn_risk: &'static str,
    pub churn_risk_thresholds: [f64; 2],
    /// Share of the run's customers scored at or below this one, in %.
    pub probability_percentile: f64,
    /// The answering model's name (`rfm_only` when only recency, frequency and monetary
    /// are given; the chosen model's with every feature).
    pub model: String,
    /// That model: `model`, `kind`, `inputs` (the features it was fitted on and reads),
    /// `test_roc_auc`, `trained_as_of`.
    #[schema(value_type = Object)]
    pub answered_by: AnsweredBy,
    /// The fields given, by name.
    pub features_given: BTreeMap<String, f64>,
    /// Fields given that the answering model does not read (with `rfm_only`: the
    /// buy-till-you-die inputs, used for `lifetime` only).
    pub not_used_by_model: Vec<String>,
    /// Inputs beyond the span of the customers the answering model was fitted on
    /// (`feature`, `value`, `trained_min`, `trained_max`): the probability is an
    /// extrapolation there. Empty when every input is inside.
    #[schema(value_type = Vec<Object>)]
    pub outside_training_range: Vec<OutsideRange>,
    pub r_score: u8,
    pub f_score: u8,
    pub m_score: u8,
    pub rfm_segment: String,
    /// What a marketer does for this segment.
    pub action: &'static str,
    /// How the RFM scores were found.
    pub rfm_scored_against: String,
    /// `{"cluster": 0, "name": ...}`: the nearest centroid of the run's KMeans; null
    /// when the run has no clusters.
    #[schema(value_type = Option<Object>)]
    pub cluster: Option<Cluster>,
    pub cluster_explanation: &'static str,
    /// Buy-till-you-die scores (MBG/NBD + Gamma-Gamma) when the run has
    /// `models/btyd.json` and the customer's tenure is known: `p_alive`,
    /// `expected_purchases` in `horizon_days`, `expected_order_value` and `clv` over
    /// `clv_months` (null without a spend model; 0 with `clv_note` when the net spend
    /// is not positive), and `fit_warnings` when the fits behind them are degenerate or
    /// weak (e.g. nobody ever leaves: P(alive) is then an upper bound); else null, and
    /// `lifetime_note` says why.
    #[schema(value_type = Option<Object>)]
    pub lifetime: Option<Lifetime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_note: Option<String>,
    /// The result in plain words.
    pub explanation: String,
}

/// Scores one customer given as named fields (see [`Scorer::score`]).
pub fn predict(scorer: &Scorer, given: &[(&str, f64)]) -> rebuy_models::Result<Prediction> {
    let score = scorer.score(given)?;
    let thresholds = scorer.churn_risk_thresholds();
    Ok(Prediction {
        purchase_probability: score.purchase_probability,
        horizon_days: scorer.horizon_days(),
        churn_risk: score.churn_risk.as_str(),
        churn_risk_thresholds: thresholds,
        probability_percentile: score.probability_percentile,
        model: score.answered_by.model.clone(),
        explanation: score.explanation(scorer.horizon_days(), thresholds),
        answered_by: score.answered_by,
        features_given: given.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        not_used_by_model: score.not_used_by_model,
        outside_training_range: score.outside_training_range,
        r_score: score.rfm.r_score,
        f_score: score.rfm.f_score,
        m_score: score.rfm.m_score,
        action: segment_action(&score.rfm.segment),
        rfm_segment: score.rfm.segment,
        rfm_scored_against: format!(
            "the quintiles of the run's {} customers (net spend of 0 or less: M score 1)",
            scorer.rfm.customers()
        ),
        cluster: score.cluster,
        cluster_explanation: CLUSTER_EXPLANATION,
        lifetime_note: score.lifetime.as_ref().err().cloned(),
        lifetime: score.lifetime.ok(),
    })
}
