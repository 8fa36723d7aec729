//! Per-customer predictions of a fitted BG/NBD or MBG/NBD model.
//!
//! Conditional on a history `(x, t_x, T)` the customer is alive with probability
//! `P(alive) = 1 / (1 + e^D)` (`D` as in the likelihood), and, if alive, has a purchase rate
//! `λ ~ Gamma(r+x, α+T)` and a drop-out probability `p ~ Beta(a, b'+x)`, independent.
//!
//! - No purchase in `(T, T+t]`: a dead customer never buys; an alive one drops out only right
//!   after a purchase, so "no purchase" is just "no Poisson event", `E[e^{-λt}]`. Hence
//!   `P(X(t) > 0 | history) = P(alive) (1 - ((α+T)/(α+T+t))^{r+x})`, no series needed.
//! - Expected purchases: FHL (2005) eq. 10,
//!   `P(alive) c/(a-1) [1 - (1-z)^{r+x} ₂F₁(r+x, b'+x; c; z)]`, `c = a+b'+x-1`,
//!   `z = t/(α+T+t)`. Euler's transformation of the ₂F₁ turns it into
//!   `c (1-(1-z)^{a-1})/(a-1) - (1-z)^{a-1} S` with `S` a series of positive-rate terms,
//!   which has no 0/0 at `a = 1` and no growing `c/(a-1)` factor (see [`alive_expectation`]).

use rayon::prelude::*;

use super::beta_geo::BetaGeoModel;
use super::special::{ln_hyp2f1, sigmoid};
use super::summary::CustomerSummary;
use crate::{Error, Result};

/// Cap on the terms of the hypergeometric series; reached only for horizons thousands of
/// times longer than `alpha + T`.
const MAX_SERIES_TERMS: usize = 200_000;
/// Relative accuracy of the series: once terms fall at the rate `z`, the rest of the series
/// is below `term / (1 - z)`, so stopping at `term < tolerance (1 - z) |sum|` leaves an error
/// below `tolerance` relative.
const SERIES_TOLERANCE: f64 = 1e-13;
/// Customers whose expected purchases at every horizon are held at once by
/// [`expected_purchases_summed`]: enough to keep both cores busy, few enough that the block
/// (this times the horizons, 8 bytes each) stays in cache.
const CUSTOMERS_PER_BLOCK: usize = 1024;

/// A transaction model's expected purchases at several horizons, each customer's posterior
/// computed once for all of them (the hold-out tracking curve).
#[derive(Debug, Clone, PartialEq)]
pub struct CumulativePurchases {
    /// Expected purchases of all customers together in `(T, T + horizon]`, one per horizon:
    /// the sum over customers, in their order, of [`BetaGeoModel::expected_purchases`] or
    /// [`ParetoNbdModel::expected_purchases`](super::ParetoNbdModel::expected_purchases),
    /// so equal to it to the last bit.
    pub total: Vec<f64>,
    /// Expected purchases per customer at the last horizon.
    pub per_customer_at_last: Vec<f64>,
}

/// The per-customer quantities shared by the predictions.
#[derive(Debug, Clone, Copy)]
struct Posterior {
    probability_alive: f64,
    /// `ln(α+T)`.
    ln_age: f64,
    r_x: f64,
    /// `c = a + b' + x - 1`.
    c: f64,
}

/// A prediction horizon must be a finite, non-negative length of time (every
/// transaction model's predictions check it).
pub(super) fn check_horizon(horizon: f64) -> Result<()> {
    if horizon.is_finite() && horizon >= 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "horizon",
            reason: format!("must be finite and >= 0, got {horizon}"),
        })
    }
}

/// [`CumulativePurchases`] of `customers` at `horizons`, `expected_at(i, out)` filling `out`
/// with customer `i`'s expected purchases at each horizon. A block of customers at a time in
/// parallel, each block's rows then added in order: the totals are then the sums of the
/// per-customer vectors exactly, and memory does not grow with customers times horizons.
pub(super) fn expected_purchases_summed<F>(
    customers: usize,
    horizons: &[f64],
    expected_at: F,
) -> Result<CumulativePurchases>
where
    F: Fn(usize, &mut [f64]) -> Result<()> + Sync,
{
    if horizons.is_empty() {
        return Err(Error::InvalidParameter {
            name: "horizons",
            reason: "must not be empty".into(),
        });
    }
    horizons
        .iter()
        .try_for_each(|&horizon| check_horizon(horizon))?;
    let width = horizons.len();
    // `Sum for f64` starts from -0.0: so does this, to give its result for no customers too.
    let mut total = vec![-0.0; width];
    let mut per_customer_at_last = Vec::with_capacity(customers);
    let mut block = vec![0.0; CUSTOMERS_PER_BLOCK.min(customers) * width];
    for first in (0..customers).step_by(CUSTOMERS_PER_BLOCK) {
        let rows = CUSTOMERS_PER_BLOCK.min(customers - first);
        let block = &mut block[..rows * width];
        // Every row's outcome kept, then the first error in customer order: the same error
        // whichever thread fails first.
        let outcomes: Vec<Result<()>> = block
            .par_chunks_mut(width)
            .enumerate()
            .map(|(row, out)| expected_at(first + row, out))
            .collect();
        outcomes.into_iter().collect::<Result<()>>()?;
        for row in block.chunks(width) {
            total
                .iter_mut()
                .zip(row)
                .for_each(|(sum, value)| *sum += value);
            per_customer_at_last.push(row[width - 1]);
        }
    }
    Ok(CumulativePurchases {
        total,
        per_customer_at_last,
    })
}

impl BetaGeoModel {
    fn posterior(&self, x: f64, recency: f64, t: f64) -> Posterior {
        let b_shifted = self.b + self.variant.b_offset();
        let r_x = self.r + x;
        let ln_age = (self.alpha + t).ln();
        let probability_alive = if x > 0.0 || self.variant.dropout_at_first_purchase() {
            let log_odds_dead = self.a.ln() - (b_shifted + x - 1.0).ln()
                + r_x * (ln_age - (self.alpha + recency).ln());
            sigmoid(-log_odds_dead)
        } else {
            1.0
        };
        Posterior {
            probability_alive,
            ln_age,
            r_x,
            c: self.a + b_shifted + x - 1.0,
        }
    }

    fn per_customer<F>(&self, summary: &CustomerSummary<'_>, f: F) -> Vec<f64>
    where
        F: Fn(Posterior) -> f64 + Sync,
    {
        let (x, recency, t) = (summary.frequency(), summary.recency(), summary.t());
        (0..summary.len())
            .into_par_iter()
            .map(|i| f(self.posterior(x[i], recency[i], t[i])))
            .collect()
    }

    /// P(alive) at the end of observation, per customer.
    pub fn probability_alive(&self, summary: &CustomerSummary<'_>) -> Vec<f64> {
        self.per_customer(summary, |p| p.probability_alive)
    }

    /// Probability of at least one purchase in `(T, T + horizon]`, per customer: the
    /// "buys again in the next H" score, comparable with a classifier's probability.
    pub fn purchase_probability(
        &self,
        summary: &CustomerSummary<'_>,
        horizon: f64,
    ) -> Result<Vec<f64>> {
        check_horizon(horizon)?;
        Ok(self.per_customer(summary, |p| {
            let ln_no_event = p.r_x * (p.ln_age - (p.ln_age.exp() + horizon).ln());
            p.probability_alive * -ln_no_event.exp_m1()
        }))
    }

    /// Expected number of purchases in `(T, T + horizon]`, per customer.
    pub fn expected_purchases(
        &self,
        summary: &CustomerSummary<'_>,
        horizon: f64,
    ) -> Result<Vec<f64>> {
        check_horizon(horizon)?;
        let expected = self.per_customer(summary, |p| self.expected_purchases_of(p, horizon));
        match expected.iter().position(|e| !e.is_finite()) {
            None => Ok(expected),
            Some(i) => Err(self.no_expectation(
                summary.frequency()[i],
                summary.recency()[i],
                summary.t()[i],
                horizon,
            )),
        }
    }

    /// Expected purchases in `(T, T + horizon]` at each of `horizons`, summed over customers,
    /// and per customer at the last, from one posterior per customer: what
    /// [`BetaGeoModel::expected_purchases`] at each horizon gives, for about the cost of one
    /// such call. A customer whose expectation cannot be computed is an error, as there.
    pub fn expected_cumulative_purchases(
        &self,
        summary: &CustomerSummary<'_>,
        horizons: &[f64],
    ) -> Result<CumulativePurchases> {
        let (x, recency, t) = (summary.frequency(), summary.recency(), summary.t());
        expected_purchases_summed(summary.len(), horizons, |i, out| {
            let p = self.posterior(x[i], recency[i], t[i]);
            for (value, &horizon) in out.iter_mut().zip(horizons) {
                *value = self.expected_purchases_of(p, horizon);
                if !value.is_finite() {
                    return Err(self.no_expectation(x[i], recency[i], t[i], horizon));
                }
            }
            Ok(())
        })
    }

    /// Why a customer's expected purchases could not be computed (both forms of the
    /// series failed): an error, never a NaN or a 0 in an output.
    fn no_expectation(&self, x: f64, recency: f64, t: f64, horizon: f64) -> Error {
        Error::NotConverged {
            model: self.variant.name(),
            detail: format!(
                "the expected purchases in {horizon} of a customer with frequency {x}, \
                 recency {recency} and T {t} cannot be computed at r = {}, alpha = {}, a = {}, \
                 b = {}",
                self.r, self.alpha, self.a, self.b
            ),
        }
    }

    /// Expected number of repeat purchases in `(0, horizon]` of a customer who has just made
    /// a first purchase (the population curve, FHL 2005 eq. 9).
    pub fn expected_purchases_new_customer(&self, horizon: f64) -> Result<f64> {
        check_horizon(horizon)?;
        let expected = self.expected_purchases_of(self.posterior(0.0, 0.0, 0.0), horizon);
        if expected.is_finite() {
            Ok(expected)
        } else {
            Err(self.no_expectation(0.0, 0.0, 0.0, horizon))
        }
    }

    fn expected_purchases_of(&self, p: Posterior, horizon: f64) -> f64 {
        p.probability_alive * self.alive_expected_purchases(p, horizon)
    }

    /// The expected purchases of an alive customer; NaN when neither form of the series
    /// gives a number (the public predictions turn that into an error).
    fn alive_expected_purchases(&self, p: Posterior, horizon: f64) -> f64 {
        let age = p.ln_age.exp();
        let z = horizon / (age + horizon);
        let ln_one_minus_z = p.ln_age - (age + horizon).ln();
        let c_minus_k = p.c - p.r_x;
        let mut expected = alive_expectation(self.a, p.c, c_minus_k, z, ln_one_minus_z);
        if !expected.is_finite() {
            expected = direct_expectation(self.a, p.c, p.r_x, z, ln_one_minus_z);
        }
        // Rounding may leave a tiny negative; a NaN stays a NaN (`f64::max` would make
        // it 0: a silently wrong number).
        if expected < 0.0 { 0.0 } else { expected }
    }
}

/// The same expectation from FHL's own form, `c/(a-1) [1 - (1-z)^k ₂F₁(k, c-a+1; c; z)]`,
/// for fits whose drop-out Beta is nearly a point mass (`a` and `b` in the hundreds of
/// thousands, as a fit drifting to "a fixed drop-out chance" ends): there the terms of
/// Euler's series grow like `(a z)ⁿ / n!` and overflow, while `c/(a-1)` is moderate and
/// the subtraction here loses little. NaN when the ₂F₁ itself fails.
fn direct_expectation(a: f64, c: f64, k: f64, z: f64, ln_one_minus_z: f64) -> f64 {
    match ln_hyp2f1(k, c - a + 1.0, c, z) {
        Ok(ln_f) => c / (a - 1.0) * -(k * ln_one_minus_z + ln_f.value).exp_m1(),
        Err(_) => f64::NAN,
    }
}

/// `c/(a-1) [1 - (1-z)^k ₂F₁(k, c-a+1; c; z)]` with `k = c - c_minus_k`, computed as
/// `c (1-(1-z)^{a-1})/(a-1) - (1-z)^{a-1} S`,
/// `S = Σ_{n≥1} (c-k)_n (a)_{n-1} / ((c+1)_{n-1} n!) zⁿ` (Euler's transformation
/// `₂F₁(k, β; c; z) = (1-z)^{c-k-β} ₂F₁(c-k, c-β; c; z)` with `c - β = a - 1`, then the
/// common factor `(a-1)/c` taken out of every term).
fn alive_expectation(a: f64, c: f64, c_minus_k: f64, z: f64, ln_one_minus_z: f64) -> f64 {
    let a_minus_1 = a - 1.0;
    let first = if a_minus_1.abs() < 1e-12 {
        -ln_one_minus_z
    } else {
        -(a_minus_1 * ln_one_minus_z).exp_m1() / a_minus_1
    };
    let sum = series(a, c, c_minus_k, z);
    c * first - (a_minus_1 * ln_one_minus_z).exp() * sum
}

/// `Σ_{n≥1} (c−k)_n (a)_{n−1} / ((c+1)_{n−1} n!) zⁿ`, two terms per step so that one
/// division serves both (the division, not the multiplications, bounds the speed).
fn series(a: f64, c: f64, c_minus_k: f64, z: f64) -> f64 {
    let ratio_parts = |n: f64| ((c_minus_k + n) * (a + n - 1.0) * z, (c + n) * (n + 1.0));
    let mut term = c_minus_k * z;
    let mut sum = term;
    let mut n = 1.0;
    for _ in 0..MAX_SERIES_TERMS / 2 {
        let ((up_1, down_1), (up_2, down_2)) = (ratio_parts(n), ratio_parts(n + 1.0));
        let scaled = term / (down_1 * down_2);
        let next = scaled * up_1 * down_2;
        term = scaled * up_1 * up_2;
        sum += next + term;
        n += 2.0;
        let small = term.abs().max(next.abs()) <= SERIES_TOLERANCE * (1.0 - z) * sum.abs();
        if small || term == 0.0 || next == 0.0 || !sum.is_finite() {
            break;
        }
    }
    sum
}
