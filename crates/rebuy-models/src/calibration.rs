//! From a classifier's `purchase_probability` to numbers a user can read as rates:
//! Platt scaling fitted on a validation slice, and bands cut at fixed thresholds.
//!
//! A classifier can rank customers well and still be over- or under-confident (boosting
//! with many rounds pushes probabilities to the ends, a forest's averaged leaf shares
//! pull them to the middle). [`PlattScaling`] refits the probabilities on customers the
//! model was not trained on; [`ProbabilityBands`] then puts each customer in a band by
//! fixed thresholds (not by terciles, whose cut points move with every run and say
//! nothing about the rate itself) and reports each band's observed buy rate.
//!
//! ```
//! use rebuy_models::calibration::{PlattScaling, ProbabilityBands};
//!
//! // An over-confident model on a validation slice: it says 0.9 or 0.1 and is right
//! // for 4 customers of 5; with Platt's smoothed targets 0.9 becomes 5/7.
//! let probabilities = [0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.9, 0.1, 0.9, 0.1];
//! let bought = [true, true, false, false, false, true, true, false, true, false];
//! let platt = PlattScaling::fit(&bought, &probabilities)?;
//! let calibrated = platt.calibrate(0.9);
//! assert!((calibrated - 5.0 / 7.0).abs() < 1e-9);
//!
//! let bands = ProbabilityBands::new(vec![0.3, 0.8])?;
//! assert_eq!(bands.band(calibrated)?, 1);
//! # Ok::<(), rebuy_models::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::logistic::{sigmoid, softplus, solve_positive_definite};
use crate::metrics::{check_probabilities, ratio};
use crate::{Error, Result};

/// Probabilities are clipped to `[PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]` before the
/// logit. A pure forest leaf gives exactly 0 or 1, whose logit is infinite; clipped,
/// they stay finite and in order (logit ±27.6, and `1 - 1e-12` is still far from 1 at
/// `f64` precision), and inside the ±30 beyond which scikit-learn's
/// `_sigmoid_calibration` rescales its input, so the fit is the same problem as there.
pub const PROBABILITY_CLIP: f64 = 1e-12;

/// Newton steps of the fit, far more than the handful it takes.
const MAX_NEWTON_STEPS: usize = 100;
/// Newton stops once the fall of the objective it predicts (half the Newton decrement)
/// is below this many `f64` epsilons of the objective, less than its sum can resolve
/// (the smoothed targets keep the objective above 0): the line search can no longer
/// tell better from worse, and this close to the optimum the full step converges
/// quadratically, so it is taken and the fit ends (within 1e-12 of the optimum on the
/// reference slice, where scikit-learn's L-BFGS-B stops 4e-9 away).
const RESOLVABLE_EPSILONS: f64 = 64.0;

/// Platt scaling (Platt 1999, "Probabilistic outputs for support vector machines"):
/// `calibrated = sigmoid(slope * logit(p) + intercept)`, fitted by maximum likelihood on
/// a labelled validation slice with Platt's smoothed targets, `(N+ + 1) / (N+ + 2)` for
/// a buyer and `1 / (N- + 2)` for a non-buyer, which keep the fit finite even when the
/// classes are separated. This is scikit-learn's `_sigmoid_calibration` (1.9) fed the
/// clipped logits, whose `(A, B)` are `(-slope, -intercept)`; it minimises the same
/// convex objective by L-BFGS-B, here by Newton's method. `slope = 1, intercept = 0`
/// leaves probabilities as they are; the map is increasing for `slope > 0`, so it keeps
/// the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlattScaling {
    pub slope: f64,
    pub intercept: f64,
}

/// `ln(p / (1 - p))` of `p` clipped to [`PROBABILITY_CLIP`].
fn clipped_logit(probability: f64) -> f64 {
    let p = probability.clamp(PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP);
    (p / (1.0 - p)).ln()
}

impl PlattScaling {
    /// Fits on the `probabilities` a model gave a validation slice and whether each of
    /// those customers bought (`labels`, in the order of the crate's metrics). Errors,
    /// never NaN parameters: on a length mismatch, no rows, a probability that is NaN or
    /// outside `[0, 1]`, one class only, or probabilities that are all the same.
    pub fn fit(labels: &[bool], probabilities: &[f64]) -> Result<Self> {
        check_probabilities(labels, probabilities)?;
        let n = labels.len();
        let buyers = labels.iter().filter(|&&bought| bought).count();
        if buyers == 0 || buyers == n {
            return Err(Error::InvalidInput(format!(
                "Platt scaling needs both buyers and non-buyers, got {buyers} buyers of {n} customers"
            )));
        }
        let logits: Vec<f64> = probabilities.iter().map(|&p| clipped_logit(p)).collect();
        if logits.iter().all(|&logit| logit == logits[0]) {
            return Err(Error::InvalidInput(format!(
                "Platt scaling needs probabilities that differ, all {n} are {}",
                probabilities[0]
            )));
        }
        let (positives, negatives) = (buyers as f64, (n - buyers) as f64);
        let targets: Vec<f64> = labels
            .iter()
            .map(|&bought| match bought {
                true => (positives + 1.0) / (positives + 2.0),
                false => 1.0 / (negatives + 2.0),
            })
            .collect();
        // Platt's start: slope 0, the intercept of the smoothed buy rate.
        let start = [0.0, ((positives + 1.0) / (negatives + 1.0)).ln()];
        let [slope, intercept] = newton(&logits, &targets, start)?;
        if !(slope.is_finite() && intercept.is_finite()) {
            return Err(Error::NotConverged {
                model: "Platt scaling",
                detail: format!("the fit ended at slope {slope}, intercept {intercept}"),
            });
        }
        Ok(Self { slope, intercept })
    }

    /// The calibrated probability of a model's `probability` (NaN stays NaN).
    pub fn calibrate(&self, probability: f64) -> f64 {
        sigmoid(self.slope * clipped_logit(probability) + self.intercept)
    }
}

/// Cross-entropy of `sigmoid(slope * logit + intercept)` against the smoothed targets.
fn objective(logits: &[f64], targets: &[f64], [slope, intercept]: [f64; 2]) -> f64 {
    logits
        .iter()
        .zip(targets)
        .map(|(&logit, &target)| {
            let z = slope * logit + intercept;
            softplus(z) - target * z
        })
        .sum()
}

/// Newton's method with a halving line search (Armijo) on the convex [`objective`].
fn newton(logits: &[f64], targets: &[f64], start: [f64; 2]) -> Result<[f64; 2]> {
    let mut weights = start;
    let mut loss = objective(logits, targets, weights);
    for _ in 0..MAX_NEWTON_STEPS {
        let (mut gradient, mut hessian) = ([0.0; 2], [0.0; 4]);
        for (&logit, &target) in logits.iter().zip(targets) {
            let p = sigmoid(weights[0] * logit + weights[1]);
            let (residual, weight) = (p - target, p * (1.0 - p));
            gradient[0] += residual * logit;
            gradient[1] += residual;
            hessian[0] += weight * logit * logit;
            hessian[1] += weight * logit;
            hessian[3] += weight;
        }
        hessian[2] = hessian[1];
        let direction =
            solve_positive_definite(hessian.to_vec(), &gradient, 2).ok_or_else(|| {
                Error::NotConverged {
                    model: "Platt scaling",
                    detail: "the Hessian is singular (probabilities nearly all the same?)".into(),
                }
            })?;
        let decrement = gradient[0] * direction[0] + gradient[1] * direction[1];
        let resolution = RESOLVABLE_EPSILONS * f64::EPSILON * loss;
        if decrement / 2.0 <= resolution {
            let last = [weights[0] - direction[0], weights[1] - direction[1]];
            // Unless the surface is so flat that the step runs off (nearly equal inputs).
            let kept = objective(logits, targets, last) <= loss + resolution;
            return Ok(if kept { last } else { weights });
        }
        let mut scale = 1.0;
        loop {
            let trial = [
                weights[0] - scale * direction[0],
                weights[1] - scale * direction[1],
            ];
            let trial_loss = objective(logits, targets, trial);
            if trial_loss <= loss - 1e-4 * scale * decrement || scale < 1e-10 {
                (weights, loss) = (trial, trial_loss);
                break;
            }
            scale /= 2.0;
        }
    }
    Err(Error::NotConverged {
        model: "Platt scaling",
        detail: format!("{MAX_NEWTON_STEPS} Newton steps were not enough"),
    })
}

/// Bands of probability cut at fixed, ascending thresholds `t_1 < ... < t_k` in `(0, 1)`:
/// band 0 is `p < t_1`, band `i` is `t_i <= p < t_(i+1)`, band `k` is `p >= t_k`. With
/// `[0.2, 0.6]` on the probability of buying: 0 is "likely lapsed", 1 "at risk", 2
/// "active". Saved as the list of thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct ProbabilityBands {
    thresholds: Vec<f64>,
}

/// One band of [`ProbabilityBands::summarise`]: `lower <= p < upper` (`p <= 1` for the
/// last band).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BandSummary {
    pub band: usize,
    pub lower: f64,
    pub upper: f64,
    pub customers: u64,
    pub buyers: u64,
    /// Share of the band's customers who bought (0 for an empty band).
    pub observed_rate: f64,
}

impl TryFrom<Vec<f64>> for ProbabilityBands {
    type Error = Error;

    fn try_from(thresholds: Vec<f64>) -> Result<Self> {
        Self::new(thresholds)
    }
}

impl From<ProbabilityBands> for Vec<f64> {
    fn from(bands: ProbabilityBands) -> Self {
        bands.thresholds
    }
}

impl ProbabilityBands {
    /// Bands cut at `thresholds`: at least one, each strictly between 0 and 1, strictly
    /// ascending; anything else is [`Error::InvalidParameter`] `thresholds`.
    pub fn new(thresholds: Vec<f64>) -> Result<Self> {
        let bad = |reason: String| {
            Err(Error::InvalidParameter {
                name: "thresholds",
                reason,
            })
        };
        if thresholds.is_empty() {
            return bad("give at least one threshold".into());
        }
        if let Some(outside) = thresholds.iter().find(|&&t| !(t > 0.0 && t < 1.0)) {
            return bad(format!("{outside} is not strictly between 0 and 1"));
        }
        if let Some(pair) = thresholds.windows(2).find(|pair| pair[0] >= pair[1]) {
            return bad(format!(
                "must be strictly ascending, {} is followed by {}",
                pair[0], pair[1]
            ));
        }
        Ok(Self { thresholds })
    }

    /// The thresholds, ascending.
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// Number of bands, one more than the thresholds.
    pub fn n_bands(&self) -> usize {
        self.thresholds.len() + 1
    }

    /// The band of `probability`; an error when it is NaN or outside `[0, 1]`.
    pub fn band(&self, probability: f64) -> Result<usize> {
        if !(0.0..=1.0).contains(&probability) {
            return Err(Error::InvalidInput(format!(
                "probability {probability} is outside [0, 1]"
            )));
        }
        Ok(self.thresholds.partition_point(|&t| t <= probability))
    }

    /// Per band, how many of a labelled set's customers fall in it and the share of them
    /// who bought: what a band's label promises, checked on customers with outcomes.
    pub fn summarise(&self, labels: &[bool], probabilities: &[f64]) -> Result<Vec<BandSummary>> {
        check_probabilities(labels, probabilities)?;
        let mut counts = vec![(0_u64, 0_u64); self.n_bands()];
        for (&bought, &p) in labels.iter().zip(probabilities) {
            let band = self.band(p)?;
            counts[band].0 += 1;
            counts[band].1 += u64::from(bought);
        }
        let edge = |band: usize| match band {
            0 => 0.0,
            band if band > self.thresholds.len() => 1.0,
            band => self.thresholds[band - 1],
        };
        Ok(counts
            .iter()
            .enumerate()
            .map(|(band, &(customers, buyers))| BandSummary {
                band,
                lower: edge(band),
                upper: edge(band + 1),
                customers,
                buyers,
                observed_rate: ratio(buyers, customers),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs/reference/calibration/platt_reference.py: an over-confident model (true
    // log-odds half its own, minus 0.4), with a pure leaf's 0 (a buyer) and 1 at rows 5
    // and 17, and scikit-learn 1.9.1's `_sigmoid_calibration` on their clipped logits.
    #[rustfmt::skip]
    const PROBABILITIES: [f64; 80] = [0.5786, 0.9064, 0.8838, 0.8835, 0.251, 0.0, 0.5149, 0.3424, 0.3929, 0.0152, 0.7934, 0.9938, 0.7259, 0.4378, 0.056, 0.5701, 0.4198, 1.0, 0.3257, 0.7904, 0.9935, 0.8295, 0.963, 0.9814, 0.5517, 0.1933, 0.9954, 0.056, 0.4364, 0.0075, 0.1126, 0.976, 0.5295, 0.954, 0.3057, 0.0337, 0.9306, 0.849, 0.9656, 0.7785, 0.0204, 0.2837, 0.0036, 0.1559, 0.1799, 0.913, 0.8207, 0.0345, 0.0958, 0.8902, 0.9472, 0.0077, 0.9555, 0.3379, 0.9403, 0.103, 0.878, 0.308, 0.0294, 0.524, 0.1465, 0.9089, 0.9441, 0.8044, 0.1637, 0.0181, 0.9897, 0.3604, 0.7536, 0.9692, 0.937, 0.1179, 0.4595, 0.3195, 0.877, 0.2518, 0.9631, 0.9175, 0.3936, 0.8562];
    #[rustfmt::skip]
    const LABELS: [bool; 80] = [false, false, false, true, true, true, true, true, false, false, true, false, true, false, false, true, true, true, false, true, true, false, true, true, false, true, true, false, false, false, false, false, true, true, false, false, true, false, true, false, false, false, false, false, false, true, true, false, false, true, false, false, false, true, false, false, false, false, false, false, true, false, false, true, false, false, true, true, false, true, true, false, false, false, true, false, true, true, false, true];
    const SKLEARN_SLOPE: f64 = 0.12492998970873037;
    const SKLEARN_INTERCEPT: f64 = -0.3575432141397984;
    // The same objective minimised by the script's own Newton iterations: scikit-learn's
    // L-BFGS-B stops 2e-9 and 4e-9 away, this fit within 1e-12.
    const EXACT_SLOPE: f64 = 0.12492999137538797;
    const EXACT_INTERCEPT: f64 = -0.35754321008338824;

    #[test]
    fn matches_scikit_learns_sigmoid_calibration() {
        let platt = PlattScaling::fit(&LABELS, &PROBABILITIES).unwrap();
        assert!((platt.slope - SKLEARN_SLOPE).abs() < 1e-6, "{platt:?}");
        assert!(
            (platt.intercept - SKLEARN_INTERCEPT).abs() < 1e-6,
            "{platt:?}"
        );
        assert!((platt.slope - EXACT_SLOPE).abs() < 1e-10, "{platt:?}");
        assert!(
            (platt.intercept - EXACT_INTERCEPT).abs() < 1e-10,
            "{platt:?}"
        );
        let json = serde_json::to_string(&platt).unwrap();
        assert_eq!(serde_json::from_str::<PlattScaling>(&json).unwrap(), platt);
    }

    #[test]
    fn calibrating_keeps_the_order_and_the_identity_is_the_identity() {
        let platt = PlattScaling::fit(&LABELS, &PROBABILITIES).unwrap();
        let mut sorted = PROBABILITIES;
        sorted.sort_by(f64::total_cmp);
        let calibrated: Vec<f64> = sorted.iter().map(|&p| platt.calibrate(p)).collect();
        assert!(calibrated.windows(2).all(|pair| pair[0] <= pair[1]));
        assert!(calibrated.iter().all(|p| (0.0..=1.0).contains(p)));
        let identity = PlattScaling {
            slope: 1.0,
            intercept: 0.0,
        };
        for p in [0.01, 0.3, 0.5, 0.97] {
            assert!((identity.calibrate(p) - p).abs() < 1e-15);
        }
        assert!(identity.calibrate(f64::NAN).is_nan());
    }

    #[test]
    fn a_large_slice_of_forest_like_probabilities_converges() {
        // 60,000 customers on 21 leaf shares, pure leaves (0 and 1) included: the
        // objective's sum is too large for the line search to resolve the last steps.
        let probabilities: Vec<f64> = (0..60_000).map(|i| f64::from(i % 21) / 20.0).collect();
        let labels: Vec<bool> = (0..60_000_u64)
            .map(|i| (i * 7919 % 1000) as f64 / 1000.0 < 0.2 + 0.6 * ((i % 21) as f64 / 20.0))
            .collect();
        let platt = PlattScaling::fit(&labels, &probabilities).unwrap();
        assert!(platt.slope > 0.0 && platt.slope.is_finite(), "{platt:?}");
        assert!(platt.intercept.is_finite(), "{platt:?}");
    }

    #[test]
    fn degenerate_slices_are_errors_with_a_message() {
        let one_class = PlattScaling::fit(&[true, true], &[0.2, 0.7]).unwrap_err();
        assert!(one_class.to_string().contains("both buyers and non-buyers"));
        let constant = PlattScaling::fit(&[true, false, true], &[0.4; 3]).unwrap_err();
        assert!(constant.to_string().contains("all 3 are 0.4"), "{constant}");
        // 0 and 1e-13 clip to the same value: constant too.
        assert!(PlattScaling::fit(&[true, false], &[0.0, 1e-13]).is_err());
        let nan = PlattScaling::fit(&[true, false], &[f64::NAN, 0.5]).unwrap_err();
        assert!(matches!(nan, Error::NonFinite { row: 0, .. }));
        assert!(PlattScaling::fit(&[true, false], &[1.5, 0.5]).is_err());
        assert!(PlattScaling::fit(&[true], &[0.5, 0.5]).is_err());
        assert!(PlattScaling::fit(&[], &[]).is_err());
        // Two nearly equal probabilities: an error or finite parameters, never NaN.
        if let Ok(platt) = PlattScaling::fit(&[true, false], &[0.5, 0.5 + 1e-15]) {
            assert!(platt.slope.is_finite() && platt.intercept.is_finite());
        }
    }

    #[test]
    fn bands_cut_at_the_thresholds() {
        let bands = ProbabilityBands::new(vec![0.2, 0.6]).unwrap();
        assert_eq!(bands.n_bands(), 3);
        let cases = [(0.0, 0), (0.19, 0), (0.2, 1), (0.59, 1), (0.6, 2), (1.0, 2)];
        for (p, band) in cases {
            assert_eq!(bands.band(p).unwrap(), band, "{p}");
        }
        assert!(bands.band(f64::NAN).is_err());
        assert!(bands.band(1.01).is_err());
        let labels = [false, false, true, true, false, true, true];
        let probabilities = [0.1, 0.15, 0.3, 0.5, 0.55, 0.7, 0.9];
        let summary = bands.summarise(&labels, &probabilities).unwrap();
        let counts: Vec<(u64, u64)> = summary.iter().map(|b| (b.customers, b.buyers)).collect();
        assert_eq!(counts, [(2, 0), (3, 2), (2, 2)]);
        assert_eq!(summary[1].observed_rate, 2.0 / 3.0);
        let edges: Vec<(f64, f64)> = summary.iter().map(|b| (b.lower, b.upper)).collect();
        assert_eq!(edges, [(0.0, 0.2), (0.2, 0.6), (0.6, 1.0)]);
        // An empty band counts nobody.
        let summary = bands.summarise(&[true], &[0.9]).unwrap();
        assert_eq!((summary[0].customers, summary[0].observed_rate), (0, 0.0));
    }

    #[test]
    fn bad_thresholds_are_errors() {
        for thresholds in [
            vec![],
            vec![0.0, 0.5],
            vec![0.5, 1.0],
            vec![0.6, 0.2],
            vec![0.3, 0.3],
            vec![f64::NAN],
        ] {
            let err = ProbabilityBands::new(thresholds.clone()).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidParameter {
                        name: "thresholds",
                        ..
                    }
                ),
                "{thresholds:?}"
            );
        }
        let saved = serde_json::to_string(&ProbabilityBands::new(vec![0.2, 0.6]).unwrap());
        assert_eq!(saved.unwrap(), "[0.2,0.6]");
        assert!(serde_json::from_str::<ProbabilityBands>("[0.6,0.2]").is_err());
    }
}
