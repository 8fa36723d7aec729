//! Per-customer predictions of a fitted Pareto/NBD model.
//!
//! Given a history `(x, t_x, T)` the customer is alive with probability
//! `P(alive) = 1 / (1 + e^D)` (`D` as in the likelihood) and, if alive,
//! has `λ ~ Gamma(r+x, α+T)` and `μ ~ Gamma(s, β+T)`, independent, with a fresh exponential
//! remaining lifetime (memorylessness). Hence, writing `α' = α+T`, `β' = β+T`:
//!
//! - expected purchases in `(T, T+t]` (as in the FHL 2005 note):
//!   `P(alive) (r+x)/α' · β' [1 - (β'/(β'+t))^(s-1)] / (s-1)`, whose `s → 1` limit is
//!   `β' ln(1 + t/β')`;
//! - no purchase in `(T, T+t]` when alive: `E[e^-(λ+μ)t] + E[μ/(λ+μ) (1 - e^-(λ+μ)t)]`
//!   `= (α'/(α'+t))^(r+x) (β'/(β'+t))^s + s/(r+s+x) α'^(r+x) β'^s (I(T) - I(T+t))`,
//!   the second part being the likelihood's drop-out integral again, from `T` to `T+t`.

use rayon::prelude::*;

use super::ParetoNbdModel;
use super::tail::{Tails, ln_tail_difference};
use crate::btyd::predict::{CumulativePurchases, check_horizon, expected_purchases_summed};
use crate::btyd::special::sigmoid;
use crate::btyd::summary::CustomerSummary;
use crate::{Error, Result};

/// The per-customer quantities shared by the predictions.
#[derive(Debug, Clone, Copy)]
struct Posterior {
    probability_alive: f64,
    x: f64,
    /// `α + T` and `β + T`.
    alpha_age: f64,
    beta_age: f64,
    /// `ln I(T)`.
    ln_tail_at_age: f64,
}

/// `(1 - (1+u)^-k) / k`, and its limit `ln(1+u)` at `k = 0`, without cancellation.
fn saturating_growth(k: f64, u: f64) -> f64 {
    let ln_growth = u.ln_1p();
    if k.abs() < 1e-12 {
        ln_growth
    } else {
        -(-k * ln_growth).exp_m1() / k
    }
}

impl ParetoNbdModel {
    fn posterior(&self, tails: &Tails, recency: f64, age: f64) -> Result<Posterior> {
        let x = tails.x();
        let (alpha_age, beta_age) = (self.alpha + age, self.beta + age);
        let at_age = tails.ln_at(age)?;
        let dead = if recency < age {
            ln_tail_difference(tails.ln_at(recency)?, at_age)
        } else {
            None
        };
        let probability_alive = dead.map_or(1.0, |(ln_dead, _)| {
            let r_x = self.r + x;
            let log_odds_dead = self.s.ln() - (r_x + self.s).ln()
                + r_x * alpha_age.ln()
                + self.s * beta_age.ln()
                + ln_dead;
            sigmoid(-log_odds_dead)
        });
        Ok(Posterior {
            probability_alive,
            x,
            alpha_age,
            beta_age,
            ln_tail_at_age: at_age.0,
        })
    }

    /// `f` of row `i`'s posterior, its drop-out integrals and its age; an error names the row.
    fn with_posterior<T, F>(&self, summary: &CustomerSummary<'_>, i: usize, f: F) -> Result<T>
    where
        F: FnOnce(Posterior, &Tails, f64) -> Result<T>,
    {
        let (x, recency, t) = (summary.frequency()[i], summary.recency()[i], summary.t()[i]);
        let tails = Tails::new(self.theta(), x);
        self.posterior(&tails, recency, t)
            .and_then(|p| f(p, &tails, t))
            .map_err(|e| Error::NotConverged {
                model: "Pareto/NBD prediction",
                detail: format!("row {i}: {e}"),
            })
    }

    fn per_customer<F>(&self, summary: &CustomerSummary<'_>, f: F) -> Result<Vec<f64>>
    where
        F: Fn(Posterior, &Tails, f64) -> Result<f64> + Sync,
    {
        (0..summary.len())
            .into_par_iter()
            .map(|i| self.with_posterior(summary, i, &f))
            .collect()
    }

    /// P(alive) at the end of observation, per customer.
    pub fn probability_alive(&self, summary: &CustomerSummary<'_>) -> Result<Vec<f64>> {
        self.per_customer(summary, |p, _, _| Ok(p.probability_alive))
    }

    /// Expected number of purchases in `(T, T + horizon]`, per customer.
    pub fn expected_purchases(
        &self,
        summary: &CustomerSummary<'_>,
        horizon: f64,
    ) -> Result<Vec<f64>> {
        check_horizon(horizon)?;
        self.per_customer(
            summary,
            |p, _, _| Ok(self.expected_purchases_of(p, horizon)),
        )
    }

    /// Expected purchases in `(T, T + horizon]` at each of `horizons`, summed over customers,
    /// and per customer at the last, from one posterior (one drop-out integral) per customer:
    /// what [`ParetoNbdModel::expected_purchases`] at each horizon gives, for about the cost
    /// of one such call.
    pub fn expected_cumulative_purchases(
        &self,
        summary: &CustomerSummary<'_>,
        horizons: &[f64],
    ) -> Result<CumulativePurchases> {
        expected_purchases_summed(summary.len(), horizons, |i, out| {
            self.with_posterior(summary, i, |p, _, _| {
                for (value, &horizon) in out.iter_mut().zip(horizons) {
                    *value = self.expected_purchases_of(p, horizon);
                }
                Ok(())
            })
        })
    }

    /// Expected number of repeat purchases in `(0, horizon]` of a customer who has just made
    /// a first purchase.
    pub fn expected_purchases_new_customer(&self, horizon: f64) -> Result<f64> {
        check_horizon(horizon)?;
        // Alive for sure, so no series: the prior itself.
        Ok(self.expected_while_alive(self.r, self.alpha, self.beta, horizon))
    }

    fn expected_purchases_of(&self, p: Posterior, horizon: f64) -> f64 {
        p.probability_alive * self.alive_expected_purchases(p, horizon)
    }

    fn alive_expected_purchases(&self, p: Posterior, horizon: f64) -> f64 {
        self.expected_while_alive(self.r + p.x, p.alpha_age, p.beta_age, horizon)
    }

    /// `E[λ] E[(1 - e^-μt)/μ]` for `λ ~ Gamma(shape, alpha_age)`, `μ ~ Gamma(s, beta_age)`.
    fn expected_while_alive(&self, shape: f64, alpha_age: f64, beta_age: f64, horizon: f64) -> f64 {
        shape / alpha_age * beta_age * saturating_growth(self.s - 1.0, horizon / beta_age)
    }

    /// Probability of at least one purchase in `(T, T + horizon]`, per customer: the
    /// "buys again in the next H" score, comparable with a classifier's probability.
    pub fn purchase_probability(
        &self,
        summary: &CustomerSummary<'_>,
        horizon: f64,
    ) -> Result<Vec<f64>> {
        check_horizon(horizon)?;
        self.per_customer(summary, |p, tails, age| {
            if horizon == 0.0 {
                return Ok(0.0);
            }
            let r_x = self.r + p.x;
            let (ln_alpha_age, ln_beta_age) = (p.alpha_age.ln(), p.beta_age.ln());
            let survives = r_x * (ln_alpha_age - (p.alpha_age + horizon).ln())
                + self.s * (ln_beta_age - (p.beta_age + horizon).ln());
            let later = tails.ln_at(age + horizon)?;
            let ln_no_purchase = match ln_tail_difference((p.ln_tail_at_age, [0.0; 4]), later) {
                Some((ln_dies, _)) => {
                    let dies = self.s.ln() - (r_x + self.s).ln()
                        + r_x * ln_alpha_age
                        + self.s * ln_beta_age
                        + ln_dies;
                    let (high, low) = (survives.max(dies), survives.min(dies));
                    high + (low - high).exp().ln_1p()
                }
                None => survives,
            };
            Ok((p.probability_alive * -ln_no_purchase.min(0.0).exp_m1()).clamp(0.0, 1.0))
        })
    }
}
