//! Log-likelihood of the Pareto/NBD model and its analytic gradient, after Fader, Hardie &
//! Lee (2005), "A note on deriving the Pareto/NBD model and related expressions":
//!
//! `L = Γ(r+x) α^r β^s / Γ(r) · [(α+T)^-(r+x) (β+T)^-s + s/(r+s+x) · (I(t_x) - I(T))]`
//!
//! with `I(τ) = (r+s+x) ∫_τ^∞ (α+u)^-(r+x) (β+u)^-(s+1) du` ("A₀ = I(t_x) - I(T)" in the
//! note: the customer died between the last purchase and T). As in the BG/NBD code the sum is
//! `softplus` of the log-odds `D` that the customer is dead, so everything stays in logs.
//!
//! `ln I(τ)` and its gradient are in `tail.rs`.

use rayon::prelude::*;

use super::tail::{Tails, ln_tail_difference};
use crate::Result;
use crate::btyd::special::{digamma, ln_gamma, sigmoid_and_softplus};
use crate::btyd::summary::CompressedSummary;

/// Rows per parallel task; partial sums are added in chunk order so that the result does not
/// depend on the number of threads.
pub(super) const CHUNK: usize = 8192;

/// Negative log-likelihood of `(r, alpha, s, beta)` on the (weighted) summary; its gradient
/// is written to `gradient`. An error when the drop-out integral cannot be evaluated (its
/// value overflows).
pub(crate) fn negative_log_likelihood(
    data: &CompressedSummary,
    theta: [f64; 4],
    gradient: &mut [f64],
) -> Result<f64> {
    let (frequency_part, ln_r_s_x) = frequency_terms(data, theta);
    let row_part = (0..data.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| row_terms(data, theta, &ln_r_s_x, chunk))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .fold([0.0; 5], |acc, part| {
            std::array::from_fn(|i| acc[i] + part[i])
        });
    for i in 0..4 {
        gradient[i] = -(frequency_part[i + 1] + row_part[i + 1]);
    }
    Ok(-(frequency_part[0] + row_part[0]))
}

/// `ln Γ(r+x) - ln Γ(r) + r ln α + s ln β` summed over the distinct frequencies with their
/// weights, `[ll, d/dr, d/dalpha, d/ds, d/dbeta]`; also `ln(r+s+x)` per distinct frequency.
fn frequency_terms(data: &CompressedSummary, theta: [f64; 4]) -> ([f64; 5], Vec<f64>) {
    let [r, alpha, s, beta] = theta;
    let constant = -ln_gamma(r) + r * alpha.ln() + s * beta.ln();
    let psi_r = digamma(r);
    let mut sums = [0.0; 5];
    let mut ln_r_s_x = Vec::with_capacity(data.distinct_frequency.len());
    for (&x, &w) in data
        .distinct_frequency
        .iter()
        .zip(&data.weight_by_frequency)
    {
        sums[0] += w * (constant + ln_gamma(r + x));
        sums[1] += w * (digamma(r + x) - psi_r + alpha.ln());
        sums[2] += w * r / alpha;
        sums[3] += w * beta.ln();
        sums[4] += w * s / beta;
        ln_r_s_x.push((r + s + x).ln());
    }
    (sums, ln_r_s_x)
}

/// The terms that depend on recency and T, for one chunk of rows.
fn row_terms(
    data: &CompressedSummary,
    theta: [f64; 4],
    ln_r_s_x: &[f64],
    chunk: usize,
) -> Result<[f64; 5]> {
    let [r, alpha, s, beta] = theta;
    let ln_s = s.ln();
    let start = chunk * CHUNK;
    let end = (start + CHUNK).min(data.len());
    let mut sums = [0.0; 5];
    // Rows are sorted by frequency then recency, so `I(t_x)` (all of the one-time buyers'
    // share, t_x = 0) is computed once per run of equal (x, t_x), and the tails' part that
    // depends on x alone once per frequency.
    let mut at_recency: Option<(f64, f64, (f64, [f64; 4]))> = None;
    let mut tails = Tails::new(theta, data.frequency[start]);
    for i in start..end {
        let (x, recency, age, w) = (
            data.frequency[i],
            data.recency[i],
            data.t[i],
            data.weight[i],
        );
        let r_x = r + x;
        let (ln_alpha_age, ln_beta_age) = ((alpha + age).ln(), (beta + age).ln());
        sums[0] -= w * (r_x * ln_alpha_age + s * ln_beta_age);
        sums[1] -= w * ln_alpha_age;
        sums[2] -= w * r_x / (alpha + age);
        sums[3] -= w * ln_beta_age;
        sums[4] -= w * s / (beta + age);
        if recency == age {
            continue;
        }
        if tails.x() != x {
            tails = Tails::new(theta, x);
        }
        let first = match at_recency {
            Some((x0, recency0, value)) if x0 == x && recency0 == recency => value,
            _ => {
                let value = tails.ln_at(recency)?;
                at_recency = Some((x, recency, value));
                value
            }
        };
        let Some((ln_dead, g_dead)) = ln_tail_difference(first, tails.ln_at(age)?) else {
            continue;
        };
        let ln_r_s_x = ln_r_s_x[data.frequency_index[i] as usize];
        let inverse_r_s_x = 1.0 / (r + s + x);
        let log_odds_dead = ln_s - ln_r_s_x + r_x * ln_alpha_age + s * ln_beta_age + ln_dead;
        let (probability_dead, softplus) = sigmoid_and_softplus(log_odds_dead);
        let dead = w * probability_dead;
        sums[0] += w * softplus;
        sums[1] += dead * (ln_alpha_age - inverse_r_s_x + g_dead[0]);
        sums[2] += dead * (r_x / (alpha + age) + g_dead[1]);
        sums[3] += dead * (ln_beta_age + 1.0 / s - inverse_r_s_x + g_dead[2]);
        sums[4] += dead * (s / (beta + age) + g_dead[3]);
    }
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::summary::CustomerSummary;

    #[test]
    fn gradient_matches_finite_differences() {
        let f = [0.0, 1.0, 3.0, 0.0, 7.0, 200.0, 2.0];
        let r = [0.0, 2.0, 10.5, 0.0, 20.0, 30.0, 31.0];
        let t = [5.0, 12.0, 30.0, 40.0, 25.0, 31.0, 31.0];
        let data = CompressedSummary::new(&CustomerSummary::new(&f, &r, &t).unwrap());
        // Both forms of the series (alpha above and below beta), alpha = beta, and the
        // split integral on both sides (alpha and beta far apart).
        for theta in [
            [0.55, 10.6, 0.6, 11.7],
            [0.7, 3.0, 0.8, 2.5],
            [1.3, 20.0, 2.0, 0.5],
            [0.9, 4.0, 0.3, 4.0],
            [1.3, 2000.0, 0.4, 0.05],
            [0.6, 0.3, 1.5, 400.0],
        ] {
            let mut g = [0.0; 4];
            negative_log_likelihood(&data, theta, &mut g).unwrap();
            let value = |t: [f64; 4]| negative_log_likelihood(&data, t, &mut [0.0; 4]).unwrap();
            for j in 0..4 {
                let h = 1e-6 * theta[j];
                let (mut up, mut down) = (theta, theta);
                up[j] += h;
                down[j] -= h;
                let numeric = (value(up) - value(down)) / (2.0 * h);
                assert!(
                    (numeric - g[j]).abs() < 1e-5 * g[j].abs().max(1.0),
                    "{theta:?} {j}: {numeric} vs {}",
                    g[j]
                );
            }
        }
    }
}
