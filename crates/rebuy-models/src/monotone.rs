//! Monotone constraints: the promise that `purchase_probability` never falls (or never
//! rises) as one feature grows, all else equal, e.g. that a customer who lapsed longer
//! (`recency_days` up) is never predicted more likely to buy.
//!
//! The classifiers take constraints by feature name (`.monotone("recency_days",
//! Monotone::Decreasing)`) and resolve them against the training matrix's column names
//! when they fit, so a typo is an error naming it. The trees enforce a constraint as
//! XGBoost's `monotone_constraints` does ([`crate::tree`]), the logistic regression as a
//! sign on the coefficient ([`crate::logistic`]).

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::classifier::check_feature_names;

/// The direction a model's output must follow along one feature (XGBoost's `1`, `-1`,
/// `0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monotone {
    /// Never falls as the feature grows (`+1`).
    Increasing,
    /// Never rises as the feature grows (`-1`).
    Decreasing,
    /// No constraint (`0`), the default.
    #[default]
    Unconstrained,
}

impl Monotone {
    /// `+1`, `-1` or `0`: the sign the output's slope along the feature must have.
    pub fn sign(self) -> f64 {
        match self {
            Self::Increasing => 1.0,
            Self::Decreasing => -1.0,
            Self::Unconstrained => 0.0,
        }
    }
}

/// Constraints by feature name, in the order they were set; features not named are
/// unconstrained. Saved with the model's parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MonotoneConstraints(Vec<(String, Monotone)>);

impl MonotoneConstraints {
    /// Sets the constraint of `feature`, replacing an earlier one
    /// ([`Monotone::Unconstrained`] removes it).
    pub fn set(&mut self, feature: impl Into<String>, direction: Monotone) {
        let feature = feature.into();
        self.0.retain(|(name, _)| *name != feature);
        if direction != Monotone::Unconstrained {
            self.0.push((feature, direction));
        }
    }

    /// No feature is constrained (models saved before constraints existed load as this).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The constrained features and their directions, in the order they were set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Monotone)> {
        self.0
            .iter()
            .map(|(name, direction)| (name.as_str(), *direction))
    }

    /// One direction per feature of `feature_names` (the training columns, in order), or
    /// an empty list when no feature is constrained; an error naming any constrained
    /// feature that is not among them.
    pub fn resolve(&self, feature_names: &[String]) -> Result<Vec<Monotone>> {
        check_feature_names("monotone", self.iter().map(|(name, _)| name), feature_names)?;
        if self
            .iter()
            .all(|(_, direction)| direction == Monotone::Unconstrained)
        {
            return Ok(Vec::new());
        }
        Ok(feature_names
            .iter()
            .map(|feature| {
                self.iter()
                    .find(|(name, _)| name == feature)
                    .map_or(Monotone::Unconstrained, |(_, direction)| direction)
            })
            .collect())
    }
}

impl<S: Into<String>> FromIterator<(S, Monotone)> for MonotoneConstraints {
    fn from_iter<I: IntoIterator<Item = (S, Monotone)>>(constraints: I) -> Self {
        let mut all = Self::default();
        for (feature, direction) in constraints {
            all.set(feature, direction);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn names() -> Vec<String> {
        ["recency_days", "orders", "spend"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn resolves_by_name_and_the_last_setting_wins() {
        let mut constraints: MonotoneConstraints = [
            ("spend", Monotone::Increasing),
            ("recency_days", Monotone::Increasing),
        ]
        .into_iter()
        .collect();
        constraints.set("recency_days", Monotone::Decreasing);
        let resolved = constraints.resolve(&names()).unwrap();
        assert_eq!(
            resolved,
            [
                Monotone::Decreasing,
                Monotone::Unconstrained,
                Monotone::Increasing
            ]
        );
        constraints.set("spend", Monotone::Unconstrained);
        constraints.set("recency_days", Monotone::Unconstrained);
        assert!(constraints.is_empty());
        assert_eq!(constraints.resolve(&names()).unwrap(), []);
    }

    #[test]
    fn an_unknown_feature_is_named_with_the_known_ones() {
        let constraints: MonotoneConstraints =
            [("recency", Monotone::Decreasing)].into_iter().collect();
        let err = constraints.resolve(&names()).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "monotone",
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "invalid parameter `monotone`: no feature named `recency` \
             (features: recency_days, orders, spend)"
        );
    }

    #[test]
    fn saves_as_a_list_of_pairs() {
        let constraints: MonotoneConstraints = [("recency_days", Monotone::Decreasing)]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&constraints).unwrap();
        assert_eq!(json, r#"[["recency_days","decreasing"]]"#);
        let back: MonotoneConstraints = serde_json::from_str(&json).unwrap();
        assert_eq!(back, constraints);
    }
}
