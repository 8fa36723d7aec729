//! Metrics for a binary purchase model: how well `purchase_probability` ranks and
//! how well it is calibrated, on `labels` (did the customer buy) and scores.
//!
//! Definitions follow scikit-learn so that numbers compare with notebooks:
//! ROC-AUC counts tied scores as half (`roc_auc_score`), PR-AUC is average
//! precision (`average_precision_score`, no interpolation), log loss clips
//! probabilities to `[eps, 1 - eps]` with `eps = f64::EPSILON` (`log_loss`), the
//! Brier score is the mean squared error of the probability (`brier_score_loss`).
//! A customer is predicted a buyer when `probability >= threshold`.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Number of bins of [`ClassifierMetrics::calibration`].
pub const CALIBRATION_BINS: usize = 10;

/// Counts of a confusion matrix at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Customers with `probability >= threshold` are predicted buyers.
    pub threshold: f64,
    pub true_positives: u64,
    pub false_positives: u64,
    pub true_negatives: u64,
    pub false_negatives: u64,
}

/// A confusion matrix as `metrics.json` stores it (`tn`, `fp`, `fn`, `tp`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Confusion {
    pub threshold: f64,
    pub tn: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub tp: u64,
}

impl From<&ConfusionMatrix> for Confusion {
    fn from(c: &ConfusionMatrix) -> Self {
        Confusion {
            threshold: c.threshold,
            tn: c.true_negatives,
            fp: c.false_positives,
            fn_: c.false_negatives,
            tp: c.true_positives,
        }
    }
}

impl ConfusionMatrix {
    /// Share of predicted buyers who bought; 0 when nobody is predicted a buyer.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Share of buyers that were predicted; 0 when there is no buyer.
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub fn f1(&self) -> f64 {
        f1_from_counts(
            self.true_positives,
            self.false_positives,
            self.false_negatives,
        )
    }

    /// Share of customers classified correctly.
    pub fn accuracy(&self) -> f64 {
        let correct = self.true_positives + self.true_negatives;
        ratio(
            correct,
            correct + self.false_positives + self.false_negatives,
        )
    }
}

/// One point of the ROC curve: predicting a buyer at `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// The first point has threshold `+inf` (nobody predicted a buyer).
    pub threshold: f64,
    pub false_positive_rate: f64,
    pub true_positive_rate: f64,
}

/// One point of the precision-recall curve, at `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrPoint {
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
}

/// One bin of a calibration table: equal-width bins of the predicted probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub lower: f64,
    pub upper: f64,
    pub customers: u64,
    /// Mean predicted probability in the bin (0 for an empty bin).
    pub mean_predicted: f64,
    /// Share of buyers in the bin (0 for an empty bin).
    pub observed_rate: f64,
}

/// One decile of customers ranked by score, best first (decile 1 = top 10 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DecileRow {
    pub decile: u32,
    pub customers: u64,
    pub buyers: u64,
    pub response_rate: f64,
    /// Response rate of the decile over the overall response rate.
    pub lift: f64,
    /// Share of all buyers found in deciles 1..=this one.
    pub cumulative_gain: f64,
    /// Response rate of deciles 1..=this one over the overall rate.
    pub cumulative_lift: f64,
}

/// Every metric of one model on one labelled set, ready to serialise in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierMetrics {
    pub customers: u64,
    pub buyers: u64,
    pub accuracy: f64,
    pub roc_auc: f64,
    pub average_precision: f64,
    pub log_loss: f64,
    pub brier_score: f64,
    pub confusion_at_half: ConfusionMatrix,
    pub confusion_at_best_f1: ConfusionMatrix,
    pub roc_curve: Vec<RocPoint>,
    pub pr_curve: Vec<PrPoint>,
    pub calibration: Vec<CalibrationBin>,
    pub deciles: Vec<DecileRow>,
}

/// All metrics at once. `probabilities` must lie in `[0, 1]`; both classes must occur.
pub fn evaluate(labels: &[bool], probabilities: &[f64]) -> Result<ClassifierMetrics> {
    check_probabilities(labels, probabilities)?;
    let counts = ThresholdCounts::new(labels, probabilities)?;
    let best_f1 = counts.best_f1_threshold();
    Ok(ClassifierMetrics {
        customers: labels.len() as u64,
        buyers: counts.positives,
        accuracy: confusion_matrix(labels, probabilities, 0.5)?.accuracy(),
        roc_auc: counts.roc_auc()?,
        average_precision: counts.average_precision()?,
        log_loss: log_loss(labels, probabilities)?,
        brier_score: brier_score(labels, probabilities)?,
        confusion_at_half: confusion_matrix(labels, probabilities, 0.5)?,
        confusion_at_best_f1: confusion_matrix(labels, probabilities, best_f1)?,
        roc_curve: counts.roc_curve(),
        pr_curve: counts.pr_curve(),
        calibration: calibration_table(labels, probabilities, CALIBRATION_BINS)?,
        deciles: lift_by_decile(labels, probabilities)?,
    })
}

/// Share of customers classified correctly at `probability >= threshold`.
pub fn accuracy(labels: &[bool], probabilities: &[f64], threshold: f64) -> Result<f64> {
    Ok(confusion_matrix(labels, probabilities, threshold)?.accuracy())
}

/// Area under the ROC curve, ties counted as half (scikit-learn's `roc_auc_score`).
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Result<f64> {
    ThresholdCounts::new(labels, scores)?.roc_auc()
}

/// Average precision, scikit-learn's `average_precision_score` (the PR-AUC we report).
pub fn average_precision(labels: &[bool], scores: &[f64]) -> Result<f64> {
    ThresholdCounts::new(labels, scores)?.average_precision()
}

/// ROC curve without collinear intermediate points, like `roc_curve(drop_intermediate=True)`.
pub fn roc_curve(labels: &[bool], scores: &[f64]) -> Result<Vec<RocPoint>> {
    Ok(ThresholdCounts::new(labels, scores)?.roc_curve())
}

/// Precision-recall curve by decreasing threshold, starting at `recall = 0, precision = 1`.
pub fn precision_recall_curve(labels: &[bool], scores: &[f64]) -> Result<Vec<PrPoint>> {
    Ok(ThresholdCounts::new(labels, scores)?.pr_curve())
}

/// The score threshold with the highest F1 (the highest such threshold on ties).
pub fn best_f1_threshold(labels: &[bool], scores: &[f64]) -> Result<f64> {
    Ok(ThresholdCounts::new(labels, scores)?.best_f1_threshold())
}

/// Mean negative log-likelihood, probabilities clipped to `[eps, 1 - eps]`.
pub fn log_loss(labels: &[bool], probabilities: &[f64]) -> Result<f64> {
    check_probabilities(labels, probabilities)?;
    let total: f64 = labels
        .iter()
        .zip(probabilities)
        .map(|(&bought, &p)| {
            let p = p.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
            -if bought { p.ln() } else { (1.0 - p).ln() }
        })
        .sum();
    Ok(total / labels.len() as f64)
}

/// Mean squared difference between the probability and the 0/1 outcome.
pub fn brier_score(labels: &[bool], probabilities: &[f64]) -> Result<f64> {
    check_probabilities(labels, probabilities)?;
    let total: f64 = labels
        .iter()
        .zip(probabilities)
        .map(|(&bought, &p)| (p - f64::from(u8::from(bought))).powi(2))
        .sum();
    Ok(total / labels.len() as f64)
}

/// Confusion matrix predicting a buyer at `score >= threshold`.
pub fn confusion_matrix(
    labels: &[bool],
    scores: &[f64],
    threshold: f64,
) -> Result<ConfusionMatrix> {
    check_scores(labels, scores)?;
    let mut matrix = ConfusionMatrix {
        threshold,
        true_positives: 0,
        false_positives: 0,
        true_negatives: 0,
        false_negatives: 0,
    };
    for (&bought, &score) in labels.iter().zip(scores) {
        match (score >= threshold, bought) {
            (true, true) => matrix.true_positives += 1,
            (true, false) => matrix.false_positives += 1,
            (false, false) => matrix.true_negatives += 1,
            (false, true) => matrix.false_negatives += 1,
        }
    }
    Ok(matrix)
}

/// Calibration table with `n_bins` equal-width bins over `[0, 1]` (1.0 falls in the last).
pub fn calibration_table(
    labels: &[bool],
    probabilities: &[f64],
    n_bins: usize,
) -> Result<Vec<CalibrationBin>> {
    check_probabilities(labels, probabilities)?;
    if n_bins == 0 {
        return Err(Error::InvalidParameter {
            name: "n_bins",
            reason: "must be at least 1".into(),
        });
    }
    let mut sums = vec![(0_u64, 0.0_f64, 0_u64); n_bins];
    for (&bought, &p) in labels.iter().zip(probabilities) {
        let bin = ((p * n_bins as f64) as usize).min(n_bins - 1);
        sums[bin].0 += 1;
        sums[bin].1 += p;
        sums[bin].2 += u64::from(bought);
    }
    let width = 1.0 / n_bins as f64;
    Ok(sums
        .iter()
        .enumerate()
        .map(|(bin, &(customers, predicted, buyers))| CalibrationBin {
            lower: bin as f64 * width,
            upper: (bin + 1) as f64 * width,
            customers,
            mean_predicted: if customers == 0 {
                0.0
            } else {
                predicted / customers as f64
            },
            observed_rate: ratio(buyers, customers),
        })
        .collect())
}

/// Expected calibration error over `n_bins` equal-width bins of the probability (those
/// of [`calibration_table`]): `Σ (n_bin / n) · |mean probability − share of buyers|`
/// over the bins, the gap between what the model says and what happened, weighted by
/// customers (0 when every bin's mean is its share of buyers; empty bins weigh nothing).
pub fn expected_calibration_error(
    labels: &[bool],
    probabilities: &[f64],
    n_bins: usize,
) -> Result<f64> {
    let table = calibration_table(labels, probabilities, n_bins)?;
    let customers = labels.len() as f64;
    Ok(table
        .iter()
        .map(|bin| {
            bin.customers as f64 / customers * (bin.mean_predicted - bin.observed_rate).abs()
        })
        .sum())
}

/// Lift and cumulative gains by decile of score (needs at least 10 customers and one buyer).
///
/// Customers are ranked by decreasing score; tied scores keep their input order, and
/// row `i` of `n` falls in decile `1 + floor(10 i / n)`.
pub fn lift_by_decile(labels: &[bool], scores: &[f64]) -> Result<Vec<DecileRow>> {
    check_scores(labels, scores)?;
    if labels.len() < 10 {
        return Err(Error::InvalidInput(format!(
            "lift by decile needs at least 10 customers, got {}",
            labels.len()
        )));
    }
    let total_buyers = labels.iter().filter(|&&bought| bought).count() as u64;
    if total_buyers == 0 {
        return Err(Error::InvalidInput(
            "lift by decile needs at least one buyer".into(),
        ));
    }
    let order = descending_order(scores);
    let n = labels.len();
    let mut per_decile = [(0_u64, 0_u64); 10];
    for (rank, &row) in order.iter().enumerate() {
        let decile = rank * 10 / n;
        per_decile[decile].0 += 1;
        per_decile[decile].1 += u64::from(labels[row]);
    }
    let overall_rate = ratio(total_buyers, n as u64);
    let (mut seen_customers, mut seen_buyers) = (0_u64, 0_u64);
    Ok(per_decile
        .iter()
        .enumerate()
        .map(|(decile, &(customers, buyers))| {
            seen_customers += customers;
            seen_buyers += buyers;
            let response_rate = ratio(buyers, customers);
            DecileRow {
                decile: decile as u32 + 1,
                customers,
                buyers,
                response_rate,
                lift: response_rate / overall_rate,
                cumulative_gain: ratio(seen_buyers, total_buyers),
                cumulative_lift: ratio(seen_buyers, seen_customers) / overall_rate,
            }
        })
        .collect())
}

/// True and false positives at each distinct score, by decreasing score
/// (scikit-learn's `_binary_clf_curve`): the base of the ROC and PR curves.
struct ThresholdCounts {
    thresholds: Vec<f64>,
    true_positives: Vec<u64>,
    false_positives: Vec<u64>,
    positives: u64,
    negatives: u64,
}

impl ThresholdCounts {
    fn new(labels: &[bool], scores: &[f64]) -> Result<Self> {
        check_scores(labels, scores)?;
        let order = descending_order(scores);
        let mut counts = ThresholdCounts {
            thresholds: Vec::new(),
            true_positives: Vec::new(),
            false_positives: Vec::new(),
            positives: 0,
            negatives: 0,
        };
        for (rank, &row) in order.iter().enumerate() {
            if labels[row] {
                counts.positives += 1;
            } else {
                counts.negatives += 1;
            }
            let last_of_tie = order
                .get(rank + 1)
                .is_none_or(|&next| scores[next] != scores[row]);
            if last_of_tie {
                counts.thresholds.push(scores[row]);
                counts.true_positives.push(counts.positives);
                counts.false_positives.push(counts.negatives);
            }
        }
        Ok(counts)
    }

    fn require_both_classes(&self, metric: &str) -> Result<()> {
        if self.positives == 0 || self.negatives == 0 {
            return Err(Error::InvalidInput(format!(
                "{metric} needs both buyers and non-buyers, got {} and {}",
                self.positives, self.negatives
            )));
        }
        Ok(())
    }

    fn roc_auc(&self) -> Result<f64> {
        self.require_both_classes("ROC-AUC")?;
        // Trapezoids between consecutive distinct thresholds count a tied pair as half.
        let (mut area, mut previous_tp, mut previous_fp) = (0.0, 0_u64, 0_u64);
        for (&tp, &fp) in self.true_positives.iter().zip(&self.false_positives) {
            area += (fp - previous_fp) as f64 * (tp + previous_tp) as f64 / 2.0;
            (previous_tp, previous_fp) = (tp, fp);
        }
        Ok(area / (self.positives as f64 * self.negatives as f64))
    }

    fn average_precision(&self) -> Result<f64> {
        self.require_both_classes("average precision")?;
        let mut previous_tp = 0_u64;
        let mut sum = 0.0;
        for (&tp, &fp) in self.true_positives.iter().zip(&self.false_positives) {
            let recall_step = (tp - previous_tp) as f64 / self.positives as f64;
            sum += recall_step * ratio(tp, tp + fp);
            previous_tp = tp;
        }
        Ok(sum)
    }

    fn roc_curve(&self) -> Vec<RocPoint> {
        let n = self.thresholds.len();
        let mut points = vec![RocPoint {
            threshold: f64::INFINITY,
            false_positive_rate: 0.0,
            true_positive_rate: 0.0,
        }];
        for i in 0..n {
            // scikit-learn's `drop_intermediate`: drop a point whose neighbours are
            // equally spaced around it in both counts (it lies inside a straight segment).
            let collinear = i > 0
                && i + 1 < n
                && self.false_positives[i - 1] + self.false_positives[i + 1]
                    == 2 * self.false_positives[i]
                && self.true_positives[i - 1] + self.true_positives[i + 1]
                    == 2 * self.true_positives[i];
            if !collinear {
                points.push(RocPoint {
                    threshold: self.thresholds[i],
                    false_positive_rate: ratio(self.false_positives[i], self.negatives),
                    true_positive_rate: ratio(self.true_positives[i], self.positives),
                });
            }
        }
        points
    }

    fn pr_curve(&self) -> Vec<PrPoint> {
        let mut points = vec![PrPoint {
            threshold: f64::INFINITY,
            precision: 1.0,
            recall: 0.0,
        }];
        for i in 0..self.thresholds.len() {
            let (tp, fp) = (self.true_positives[i], self.false_positives[i]);
            points.push(PrPoint {
                threshold: self.thresholds[i],
                precision: ratio(tp, tp + fp),
                recall: ratio(tp, self.positives),
            });
            // Past full recall more customers only lower precision.
            if tp == self.positives {
                break;
            }
        }
        points
    }

    fn best_f1_threshold(&self) -> f64 {
        let mut best = (f64::NEG_INFINITY, f64::INFINITY);
        for i in 0..self.thresholds.len() {
            let tp = self.true_positives[i];
            let fp = self.false_positives[i];
            let f1 = f1_from_counts(tp, fp, self.positives - tp);
            if f1 > best.0 {
                best = (f1, self.thresholds[i]);
            }
        }
        best.1
    }
}

fn f1_from_counts(true_positives: u64, false_positives: u64, false_negatives: u64) -> f64 {
    ratio(
        2 * true_positives,
        2 * true_positives + false_positives + false_negatives,
    )
}

/// `numerator / denominator`, 0 when the denominator is 0 (an empty bin or band).
pub(crate) fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Row indices by decreasing score; ties keep input order (a stable sort).
fn descending_order(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

fn check_scores(labels: &[bool], scores: &[f64]) -> Result<()> {
    if labels.len() != scores.len() {
        return Err(Error::InvalidInput(format!(
            "{} labels but {} scores",
            labels.len(),
            scores.len()
        )));
    }
    if labels.is_empty() {
        return Err(Error::InvalidInput("no customers to evaluate".into()));
    }
    match scores.iter().position(|s| !s.is_finite()) {
        Some(row) => Err(Error::NonFinite {
            feature: "score".into(),
            row,
            value: scores[row],
        }),
        None => Ok(()),
    }
}

/// [`Error`] unless there is one label per probability, at least one, and every
/// probability is finite and in `[0, 1]`.
pub(crate) fn check_probabilities(labels: &[bool], probabilities: &[f64]) -> Result<()> {
    check_scores(labels, probabilities)?;
    match probabilities.iter().position(|p| !(0.0..=1.0).contains(p)) {
        Some(row) => Err(Error::InvalidInput(format!(
            "probability {} in row {row} is outside [0, 1]",
            probabilities[row]
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Fixed scores with many ties across classes and scikit-learn 1.9.1's metrics on
    // them, printed by docs/reference/trees/metrics_reference.py.
    #[rustfmt::skip]
    const LABELS: [bool; 60] = [false, true, false, false, false, false, true, false, false, false, true, true, false, true, true, true, true, true, false, false, true, false, false, false, false, false, false, true, false, false, false, true, true, false, false, true, false, false, false, true, false, true, false, false, true, false, true, false, true, true, false, true, true, false, false, false, false, true, false, true];
    #[rustfmt::skip]
    const SCORES: [f64; 60] = [0.5, 0.4, 0.1, 0.4, 0.2, 0.6, 0.7, 0.5, 0.6, 0.1, 0.7, 0.9, 0.3, 0.7, 0.95, 0.6, 0.8, 0.8, 0.5, 0.1, 0.8, 0.3, 0.5, 0.5, 0.2, 0.4, 0.3, 0.4, 0.3, 0.6, 0.4, 0.5, 0.7, 0.1, 0.3, 0.95, 0.3, 0.4, 0.4, 0.4, 0.2, 0.8, 0.6, 0.3, 0.4, 0.2, 0.5, 0.6, 0.9, 0.4, 0.3, 0.8, 0.9, 0.3, 0.1, 0.2, 0.1, 0.7, 0.6, 0.6];
    const SKLEARN_ROC_AUC: f64 = 0.8952546296296297;
    const SKLEARN_AVERAGE_PRECISION: f64 = 0.8643719806763285;
    const SKLEARN_LOG_LOSS: f64 = 0.44637872731461914;
    const SKLEARN_BRIER: f64 = 0.14308333333333334;

    #[test]
    fn matches_scikit_learn_on_tied_scores() {
        let metrics = evaluate(&LABELS, &SCORES).unwrap();
        assert!((metrics.roc_auc - SKLEARN_ROC_AUC).abs() < 1e-9);
        assert!((metrics.average_precision - SKLEARN_AVERAGE_PRECISION).abs() < 1e-9);
        assert!((metrics.log_loss - SKLEARN_LOG_LOSS).abs() < 1e-9);
        assert!((metrics.brier_score - SKLEARN_BRIER).abs() < 1e-9);
    }

    #[test]
    fn confusion_matrix_counts_every_customer_once() {
        let matrix = confusion_matrix(&LABELS, &SCORES, 0.5).unwrap();
        let total = matrix.true_positives
            + matrix.false_positives
            + matrix.true_negatives
            + matrix.false_negatives;
        assert_eq!(total, 60);
        assert_eq!(matrix.true_positives + matrix.false_negatives, 24);
        // Scores >= 0.5 that bought, counted by hand from the fixture.
        let by_hand = LABELS
            .iter()
            .zip(SCORES)
            .filter(|&(&bought, score)| bought && score >= 0.5)
            .count() as u64;
        assert_eq!(matrix.true_positives, by_hand);
    }

    #[test]
    fn best_f1_threshold_beats_every_other_threshold() {
        let best = best_f1_threshold(&LABELS, &SCORES).unwrap();
        let best_f1 = confusion_matrix(&LABELS, &SCORES, best).unwrap().f1();
        for &threshold in &SCORES {
            assert!(confusion_matrix(&LABELS, &SCORES, threshold).unwrap().f1() <= best_f1);
        }
    }

    #[test]
    fn curves_start_at_origin_and_end_at_full_recall() {
        let roc = roc_curve(&LABELS, &SCORES).unwrap();
        assert_eq!(
            (roc[0].false_positive_rate, roc[0].true_positive_rate),
            (0.0, 0.0)
        );
        let last = roc[roc.len() - 1];
        assert_eq!(
            (last.false_positive_rate, last.true_positive_rate),
            (1.0, 1.0)
        );
        let pr = precision_recall_curve(&LABELS, &SCORES).unwrap();
        assert_eq!(pr[pr.len() - 1].recall, 1.0);
    }

    #[test]
    fn perfect_ranking_has_full_gain_in_top_deciles() {
        let labels: Vec<bool> = (0..100).map(|i| i < 20).collect();
        let scores: Vec<f64> = (0..100).map(|i| 1.0 - i as f64 / 100.0).collect();
        let deciles = lift_by_decile(&labels, &scores).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(deciles[0].lift, 5.0));
        assert!(close(deciles[1].cumulative_gain, 1.0));
        assert!(close(deciles[9].cumulative_lift, 1.0));
        assert!(close(roc_auc(&labels, &scores).unwrap(), 1.0));
        assert!(close(average_precision(&labels, &scores).unwrap(), 1.0));
    }

    #[test]
    fn calibration_bins_split_counts_by_probability() {
        let table = calibration_table(&LABELS, &SCORES, 10).unwrap();
        assert_eq!(table.iter().map(|bin| bin.customers).sum::<u64>(), 60);
        // The three 0.9 and two 0.95 scores are all buyers.
        assert_eq!(table[9].customers, 5);
        assert_eq!(table[9].observed_rate, 1.0);
    }

    #[test]
    fn expected_calibration_error_by_hand() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // Bin [0, 0.5): mean 0.15, half bought; bin [0.5, 1]: mean 0.85, half bought.
        let ece = expected_calibration_error(&[true, false, true, false], &[0.9, 0.8, 0.1, 0.2], 2);
        assert!(close(ece.unwrap(), 0.5 * 0.35 + 0.5 * 0.35));
        // Calibrated: a quarter bought at 0.25.
        let ece = expected_calibration_error(&[true, false, false, false], &[0.25; 4], 10);
        assert_eq!(ece.unwrap(), 0.0);
        // 1.0 is in the last bin (mean 1, half bought); the empty bins weigh nothing.
        let ece = expected_calibration_error(&[true, false, false], &[1.0, 1.0, 0.0], 10);
        assert!(close(ece.unwrap(), 2.0 / 3.0 * 0.5));
        // One bin: the gap between the mean score and the buy rate (24 of 60).
        let ece = expected_calibration_error(&LABELS, &SCORES, 1).unwrap();
        let mean: f64 = SCORES.iter().sum::<f64>() / 60.0;
        assert!(close(ece, (mean - 24.0 / 60.0).abs()));
        assert!(expected_calibration_error(&LABELS, &SCORES, 0).is_err());
        assert!(expected_calibration_error(&[true], &[f64::NAN], 10).is_err());
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(roc_auc(&[true, true], &[0.1, 0.2]).is_err());
        assert!(roc_auc(&[true, false], &[0.1]).is_err());
        assert!(matches!(
            log_loss(&[true, false], &[f64::NAN, 0.2]),
            Err(Error::NonFinite { row: 0, .. })
        ));
        assert!(brier_score(&[true, false], &[1.5, 0.2]).is_err());
    }

    proptest! {
        #[test]
        fn any_input_gives_a_value_or_an_error(
            rows in proptest::collection::vec((any::<bool>(), -1.0_f64..2.0), 0..40)
        ) {
            let (labels, scores): (Vec<bool>, Vec<f64>) = rows.into_iter().unzip();
            if let Ok(auc) = roc_auc(&labels, &scores) {
                prop_assert!((0.0..=1.0).contains(&auc));
            }
            if let Ok(ap) = average_precision(&labels, &scores) {
                // Summing recall steps may overshoot 1 by a rounding error.
                prop_assert!((0.0..=1.0 + 1e-12).contains(&ap));
            }
            if let Ok(ece) = expected_calibration_error(&labels, &scores, 10) {
                prop_assert!((0.0..=1.0).contains(&ece));
            }
            let _ = evaluate(&labels, &scores);
        }
    }
}
