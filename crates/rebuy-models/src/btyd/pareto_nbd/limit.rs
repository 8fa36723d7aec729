//! The Pareto/NBD's nobody-leaves limit, the NBD: a customer buys at a Poisson rate
//! `λ ~ Gamma(r, α)` and never leaves. Its likelihood is what the Pareto/NBD's tends to as
//! the drop-out rates go to 0 (`s → 0` or `β → ∞`), the purchase times' density included:
//!
//! `L = Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))`
//!
//! In closed form, a logarithm per row and no drop-out integral, where the Pareto/NBD
//! needs quadrature on the ridge its fit walks along when nobody leaves.

use rayon::prelude::*;

use super::likelihood::{CHUNK, negative_log_likelihood as pareto_negative_log_likelihood};
use super::{MODEL, ParetoNbdValidParams};
use crate::Result;
use crate::btyd::fitting::{
    FitSettings, Fitted, ParameterEstimate, Start, fit_positive_parameters,
};
use crate::btyd::special::{digamma, ln_gamma};
use crate::btyd::summary::CompressedSummary;

/// Negative log-likelihood of the NBD `(r, alpha)` on the (weighted) summary; its gradient
/// is written to `gradient`.
fn negative_log_likelihood(data: &CompressedSummary, theta: [f64; 2], gradient: &mut [f64]) -> f64 {
    let [r, alpha] = theta;
    let (constant, psi_r, ln_alpha) = (-ln_gamma(r) + r * alpha.ln(), digamma(r), alpha.ln());
    let mut sums = [0.0; 3];
    for (&x, &w) in data
        .distinct_frequency
        .iter()
        .zip(&data.weight_by_frequency)
    {
        sums[0] += w * (constant + ln_gamma(r + x));
        sums[1] += w * (digamma(r + x) - psi_r + ln_alpha);
        sums[2] += w * r / alpha;
    }
    // Chunks are added in order, so the sum does not depend on the number of threads.
    let rows = (0..data.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let rows = chunk * CHUNK..((chunk + 1) * CHUNK).min(data.len());
            let mut part = [0.0; 3];
            for i in rows {
                let (r_x, alpha_age, w) =
                    (r + data.frequency[i], alpha + data.t[i], data.weight[i]);
                let ln_alpha_age = alpha_age.ln();
                part[0] -= w * r_x * ln_alpha_age;
                part[1] -= w * ln_alpha_age;
                part[2] -= w * r_x / alpha_age;
            }
            part
        })
        .collect::<Vec<_>>();
    for part in rows {
        (0..3).for_each(|i| sums[i] += part[i]);
    }
    gradient[0] = -sums[1];
    gradient[1] = -sums[2];
    -sums[0]
}

impl ParetoNbdValidParams {
    /// The whole data's fit once the fit on a sample (`sample`) ran to the nobody-leaves
    /// limit: the NBD's `r, alpha` on all rows, from the sample's, with standard errors,
    /// and the sample's `s, beta`, which the data do not identify (no standard errors). The
    /// log-likelihood is the Pareto/NBD's at these four, the model that predicts with them.
    pub(super) fn fit_nobody_leaves(
        &self,
        data: &CompressedSummary,
        customers: usize,
        sample: &Fitted,
    ) -> Result<Fitted> {
        let settings = FitSettings {
            model: MODEL,
            names: &["r", "alpha"],
            options: self.0.options,
            customers,
            distinct_rows: data.len(),
        };
        // The sample's curvature is along the ridge, not the NBD's: BFGS learns it afresh,
        // in a few milliseconds an iteration.
        let start = Start::at(&sample.theta[..2]);
        let nbd = fit_positive_parameters(settings, data.total_weight, &start, |t, g| {
            negative_log_likelihood(data, [t[0], t[1]], g)
        })?;
        let theta = vec![nbd.theta[0], nbd.theta[1], sample.theta[2], sample.theta[3]];
        let mut report = nbd.report;
        let four = [theta[0], theta[1], theta[2], theta[3]];
        report.log_likelihood = -pareto_negative_log_likelihood(data, four, &mut [0.0; 4])?;
        report
            .parameters
            .extend(
                [("s", theta[2]), ("beta", theta[3])].map(|(name, value)| ParameterEstimate {
                    name: name.to_string(),
                    value,
                    standard_error: None,
                }),
            );
        report.warnings.push(format!(
            "the fit on a sample of {} rows already ran to the limit where nobody leaves, so on \
             all rows only the limit's purchase side was fitted (the NBD: r and alpha, no \
             drop-out); s and beta are the sample's, and the data do not identify them (the \
             likelihood is flat along them)",
            sample.report.distinct_rows
        ));
        Ok(Fitted {
            end: Start::at(&theta),
            theta,
            report,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btyd::ParetoNbdParams;
    use crate::btyd::fitting::FitStatus;
    use crate::btyd::simulate::nobody_leaves;
    use crate::btyd::summary::CustomerSummary;

    fn small_summary() -> CompressedSummary {
        let f = [0.0, 1.0, 3.0, 0.0, 7.0, 200.0, 2.0];
        let r = [0.0, 2.0, 10.5, 0.0, 20.0, 30.0, 31.0];
        let t = [5.0, 12.0, 30.0, 40.0, 25.0, 31.0, 31.0];
        CompressedSummary::new(&CustomerSummary::new(&f, &r, &t).unwrap())
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let data = small_summary();
        for theta in [[0.55, 10.6], [3.0, 0.2], [0.01, 500.0]] {
            let mut g = [0.0; 2];
            negative_log_likelihood(&data, theta, &mut g);
            for j in 0..2 {
                let h = 1e-6 * theta[j];
                let (mut up, mut down) = (theta, theta);
                up[j] += h;
                down[j] -= h;
                let value = |t| negative_log_likelihood(&data, t, &mut [0.0; 2]);
                let numeric = (value(up) - value(down)) / (2.0 * h);
                assert!(
                    (numeric - g[j]).abs() < 1e-6 * g[j].abs().max(1.0),
                    "{theta:?} {j}: {numeric} vs {}",
                    g[j]
                );
            }
        }
    }

    #[test]
    fn it_is_the_pareto_nbd_likelihood_where_nobody_leaves() {
        let data = small_summary();
        let nbd = negative_log_likelihood(&data, [0.55, 10.6], &mut [0.0; 2]);
        // Drop-out rates to 0 by s -> 0, and by beta -> infinity.
        for [s, beta] in [[1e-12, 1.0], [0.5, 1e9]] {
            let pareto =
                pareto_negative_log_likelihood(&data, [0.55, 10.6, s, beta], &mut [0.0; 4])
                    .unwrap();
            assert!(
                (pareto - nbd).abs() < 1e-6,
                "{s}, {beta}: {pareto} vs {nbd}"
            );
        }
    }

    /// Where both can run: the limit's fit on all rows (after a fit on half of them) against
    /// the Pareto/NBD's own fit on all rows, on customers of whom nobody leaves.
    #[test]
    fn the_limit_predicts_what_the_full_fit_does_where_nobody_leaves() {
        let (_, sim) = nobody_leaves();
        let summary = CustomerSummary::new(&sim.frequency, &sim.recency, &sim.t).unwrap();
        let params = ParetoNbdParams::new().validate().unwrap();
        let full = params.fit(&summary).unwrap();
        assert_eq!(full.report.status, FitStatus::Degenerate);
        // The warm start's sample: every other customer.
        let half = |v: &[f64]| v.iter().step_by(2).copied().collect::<Vec<_>>();
        let (x, t_x, age) = (half(&sim.frequency), half(&sim.recency), half(&sim.t));
        let on_half = params
            .fit(&CustomerSummary::new(&x, &t_x, &age).unwrap())
            .unwrap();
        assert_eq!(on_half.report.status, FitStatus::Degenerate);
        let theta = on_half.theta().to_vec();
        let sample = Fitted {
            end: Start::at(&theta),
            theta,
            report: on_half.report,
        };
        let data = CompressedSummary::new(&summary);
        let fitted = params
            .fit_nobody_leaves(&data, sim.t.len(), &sample)
            .unwrap();
        let limit = crate::btyd::ParetoNbdModel {
            r: fitted.theta[0],
            alpha: fitted.theta[1],
            s: fitted.theta[2],
            beta: fitted.theta[3],
            report: fitted.report.clone(),
            ..full.clone()
        };
        // Both end on the ridge beta -> infinity: the same purchase side, likelihood and
        // predictions, to far within a standard error.
        for (i, value) in [full.r, full.alpha].into_iter().enumerate() {
            let estimate = &limit.report.parameters[i];
            let error = estimate.standard_error.expect("the NBD's standard error");
            assert!(
                (estimate.value - value).abs() < 1e-3 * error,
                "{estimate:?} vs {value}"
            );
        }
        let (ll_full, ll_limit) = (full.report.log_likelihood, limit.report.log_likelihood);
        assert!((ll_full - ll_limit).abs() < 1e-3, "{ll_full} vs {ll_limit}");
        assert!((limit.log_likelihood(&summary).unwrap() - ll_limit).abs() < 1e-9);
        let alive = limit.probability_alive(&summary).unwrap();
        assert!(alive.iter().all(|p| *p > 0.999 && *p <= 1.0));
        for horizon in [1.0, 39.0, 520.0] {
            let a = full.expected_purchases(&summary, horizon).unwrap();
            let b = limit.expected_purchases(&summary, horizon).unwrap();
            let worst = a
                .iter()
                .zip(&b)
                .map(|(a, b)| (a - b).abs() / a)
                .fold(0.0, f64::max);
            assert!(worst < 1e-6, "{horizon}: {worst}");
        }
    }
}
