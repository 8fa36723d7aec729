//! Log-likelihood of the BG/NBD and MBG/NBD models and its analytic gradient.
//!
//! Both models share one form (Fader, Hardie & Lee 2005, eq. 6; Batislam, Denizel & Filiztekin
//! 2007) once the MBG/NBD's `b` is shifted by one ("b'" below) and its drop-out term is kept
//! for customers without repeat purchases:
//!
//! `ll = ln Γ(r+x) - ln Γ(r) + r ln α + ln B(a, b'+x) - ln B(a, b) - (r+x) ln(α+T) + softplus(D)`
//!
//! with `D = ln a - ln(b'+x-1) + (r+x) [ln(α+T) - ln(α+t_x)]` the log-odds that the customer
//! dropped out after the last purchase. Working with `softplus(D)` instead of adding the two
//! likelihood branches keeps everything in log space, so 200 repeat purchases do not overflow.

use rayon::prelude::*;

use super::beta_geo::BetaGeoVariant;
use super::special::{digamma, ln_gamma, sigmoid_and_softplus};
use super::summary::CompressedSummary;

/// Rows per parallel task; partial sums are added in chunk order so that the result does not
/// depend on the number of threads.
const CHUNK: usize = 8192;

/// Negative log-likelihood of `(r, alpha, a, b)` on the (weighted) summary; its gradient with
/// respect to the four parameters is written to `gradient`.
pub(crate) fn negative_log_likelihood(
    variant: BetaGeoVariant,
    data: &CompressedSummary,
    theta: [f64; 4],
    gradient: &mut [f64],
) -> f64 {
    let (frequency_part, ln_dropout_offset) = frequency_terms(variant, data, theta);
    let row_part = (0..data.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| row_terms(variant, data, theta, &ln_dropout_offset, chunk))
        .collect::<Vec<_>>()
        .into_iter()
        .fold([0.0; 5], |acc, part| {
            std::array::from_fn(|i| acc[i] + part[i])
        });
    for i in 0..4 {
        gradient[i] = -(frequency_part[i + 1] + row_part[i + 1]);
    }
    -(frequency_part[0] + row_part[0])
}

/// The terms that depend on a customer's frequency only, summed over the distinct frequencies
/// with their weights: `[ll, d/dr, d/dalpha, d/da, d/db]`. Also returns `ln(b'+x-1)` per
/// distinct frequency for the row terms.
fn frequency_terms(
    variant: BetaGeoVariant,
    data: &CompressedSummary,
    theta: [f64; 4],
) -> ([f64; 5], Vec<f64>) {
    let [r, alpha, a, b] = theta;
    let b_shifted = b + variant.b_offset();
    let constant = ln_gamma(a + b) - ln_gamma(b) - ln_gamma(r) + r * alpha.ln();
    let (psi_r, psi_ab, psi_b) = (digamma(r), digamma(a + b), digamma(b));
    let mut sums = [0.0; 5];
    let mut ln_dropout_offset = Vec::with_capacity(data.distinct_frequency.len());
    for (&x, &w) in data
        .distinct_frequency
        .iter()
        .zip(&data.weight_by_frequency)
    {
        let psi_abx = digamma(a + b_shifted + x);
        sums[0] += w
            * (constant + ln_gamma(r + x) + ln_gamma(b_shifted + x) - ln_gamma(a + b_shifted + x));
        sums[1] += w * (digamma(r + x) - psi_r + alpha.ln());
        sums[2] += w * r / alpha;
        sums[3] += w * (psi_ab - psi_abx);
        sums[4] += w * (psi_ab + digamma(b_shifted + x) - psi_b - psi_abx);
        let has_dropout_term = x > 0.0 || variant.dropout_at_first_purchase();
        ln_dropout_offset.push(if has_dropout_term {
            (b_shifted + x - 1.0).ln()
        } else {
            0.0
        });
    }
    (sums, ln_dropout_offset)
}

/// The terms that depend on recency and T, for one chunk of rows.
fn row_terms(
    variant: BetaGeoVariant,
    data: &CompressedSummary,
    theta: [f64; 4],
    ln_dropout_offset: &[f64],
    chunk: usize,
) -> [f64; 5] {
    let [r, alpha, a, b] = theta;
    let b_shifted = b + variant.b_offset();
    let ln_a = a.ln();
    let start = chunk * CHUNK;
    let end = (start + CHUNK).min(data.len());
    let mut sums = [0.0; 5];
    for i in start..end {
        let (x, w) = (data.frequency[i], data.weight[i]);
        let r_x = r + x;
        let ln_age = (alpha + data.t[i]).ln();
        sums[0] -= w * r_x * ln_age;
        sums[1] -= w * ln_age;
        sums[2] -= w * r_x / (alpha + data.t[i]);
        if x > 0.0 || variant.dropout_at_first_purchase() {
            let ln_last = (alpha + data.recency[i]).ln();
            let log_odds_dead = ln_a - ln_dropout_offset[data.frequency_index[i] as usize]
                + r_x * (ln_age - ln_last);
            let (probability_dead, softplus) = sigmoid_and_softplus(log_odds_dead);
            let dead = w * probability_dead;
            sums[0] += w * softplus;
            sums[1] += dead * (ln_age - ln_last);
            sums[2] += dead * r_x * (1.0 / (alpha + data.t[i]) - 1.0 / (alpha + data.recency[i]));
            sums[3] += dead / a;
            sums[4] -= dead / (b_shifted + x - 1.0);
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::summary::CustomerSummary;

    #[test]
    fn gradient_matches_finite_differences() {
        let f = [0.0, 1.0, 3.0, 0.0, 7.0, 200.0];
        let r = [0.0, 2.0, 10.5, 0.0, 20.0, 30.0];
        let t = [5.0, 12.0, 30.0, 40.0, 25.0, 31.0];
        let data = CompressedSummary::new(&CustomerSummary::new(&f, &r, &t).unwrap());
        for variant in [BetaGeoVariant::BgNbd, BetaGeoVariant::MbgNbd] {
            let theta = [0.7, 3.0, 0.8, 2.5];
            let mut g = [0.0; 4];
            negative_log_likelihood(variant, &data, theta, &mut g);
            for j in 0..4 {
                let h = 1e-6 * theta[j];
                let (mut up, mut down) = (theta, theta);
                up[j] += h;
                down[j] -= h;
                let numeric = (negative_log_likelihood(variant, &data, up, &mut [0.0; 4])
                    - negative_log_likelihood(variant, &data, down, &mut [0.0; 4]))
                    / (2.0 * h);
                assert!(
                    (numeric - g[j]).abs() < 1e-5 * g[j].abs().max(1.0),
                    "{variant:?} {j}: {numeric} vs {}",
                    g[j]
                );
            }
        }
    }
}
