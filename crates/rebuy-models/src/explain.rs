//! Per-customer explanations of a classifier's score: how much each feature moved the
//! customer's score away from the model's expected score, as exact SHAP values
//! (Shapley values of the features, Lundberg and Lee 2017).
//!
//! The values are additive in the model's margin, the space its trees or weights add up
//! in: log-odds for the logistic regression and the boosted trees, the purchase
//! probability itself for the random forest (the mean of its trees' shares of buyers,
//! what `shap.TreeExplainer` gives for scikit-learn's `RandomForestClassifier`). For
//! every row, `base_value + Σ contributions` is the row's margin ("local accuracy").
//! docs/classifiers.md ("Explanations") says how they are computed and checked.
//!
//! ```
//! use rebuy_models::boosting::BoostedTreesParams;
//! use rebuy_models::classifier::{Classifier, Fit};
//! use rebuy_models::matrix::Matrix;
//!
//! let recency_days: Vec<f64> = (0..200).map(f64::from).collect();
//! let orders: Vec<f64> = (0..200).map(|i| f64::from(i % 7)).collect();
//! let features = Matrix::from_columns(&[&recency_days, &orders])?
//!     .with_column_names(vec!["recency_days".into(), "orders".into()])?;
//! let bought: Vec<bool> = recency_days.iter().map(|&days| days < 60.0).collect();
//! let model = BoostedTreesParams::default().n_trees(20).validate()?.fit(&features, &bought)?;
//! let explanation = model.explain(&features)?;
//! let log_odds = model.predict_log_odds(&features)?;
//! let recent = explanation.contributions.row(0);
//! assert!(recent[0] > 0.0);
//! assert!((explanation.margin(0) - log_odds[0]).abs() < 1e-9);
//! # Ok::<(), rebuy_models::Error>(())
//! ```

use crate::matrix::Matrix;

/// The space an [`Explanation`]'s values add up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginSpace {
    /// Log-odds of a purchase (the logistic regression, the boosted trees).
    LogOdds,
    /// The purchase probability (the random forest's mean over trees).
    Probability,
}

/// SHAP values of a classifier for a table of customers.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The space of `base_value` and the contributions.
    pub space: MarginSpace,
    /// The expected margin over the training data: a customer about whom nothing is known.
    pub base_value: f64,
    /// One row per customer, one contribution per feature in the model's feature order
    /// (the columns named as the model's features).
    pub contributions: Matrix,
}

impl Explanation {
    /// `base_value` plus the contributions of `row`: the model's margin for that row.
    pub fn margin(&self, row: usize) -> f64 {
        self.base_value + self.contributions.row(row).iter().sum::<f64>()
    }
}
