//! Pareto/NBD transaction model (Schmittlein, Morrison & Colombo 1987): while alive, a
//! customer buys at a Poisson rate `λ ~ Gamma(r, α)` and dies at an exponential rate
//! `μ ~ Gamma(s, β)`, independent, so unlike the BG/NBD a customer may drop out at any time,
//! not only right after a purchase. Hyper-parameters, fit and the fitted model; the
//! likelihood and the predictions are in `pareto_nbd/`.

mod likelihood;
mod limit;
mod predict;
mod tail;

use serde::{Deserialize, Serialize};

use super::fitting::{
    FEWEST_LEAVING, FitOptions, FitReport, FitSettings, Fitted, Start, WithFitOptions,
    check_saved_model, fit_positive_parameters, fit_with_warm_start, rate_start, significant,
    transaction_data,
};
use super::summary::{CompressedSummary, CustomerSummary};
use crate::{Error, Result};
use likelihood::negative_log_likelihood;

/// Version of the JSON form of [`ParetoNbdModel`].
pub const PARETO_NBD_FORMAT_VERSION: u32 = 1;

const MODEL: &str = "Pareto/NBD";

/// Hyper-parameters of a Pareto/NBD fit.
///
/// Defaults, as for the BG/NBD: `penalty` 0 (lifetimes' `penalizer_coef`, added as
/// `penalty * (r² + α² + s² + β²)` to the mean negative log-likelihood), `max_iterations`
/// 200, `tolerance` 1e-8 on the largest gradient component of that mean with respect to the
/// log-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ParetoNbdParams {
    options: FitOptions,
}

/// [`ParetoNbdParams`] that passed [`ParetoNbdParams::validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoNbdValidParams(ParetoNbdParams);

impl ParetoNbdParams {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<ParetoNbdValidParams> {
        self.options.validate()?;
        Ok(ParetoNbdValidParams(*self))
    }
}

impl ParetoNbdValidParams {
    /// Maximum-likelihood fit of `r, alpha, s, beta` (from all four at 1, as lifetimes) on a
    /// customer summary, identical rows merged with weights. `Degenerate` when fewer than
    /// 1 % of the customers are gone by the median customer's age. On large data whose
    /// sample fit (the warm start) is already degenerate, all rows fit the nobody-leaves
    /// limit (the NBD: `r, alpha`) and `s, beta` are the sample's, which the report says.
    ///
    /// Errors: an empty summary, or one where nobody made a repeat purchase; an optimiser
    /// that does not converge, or a likelihood that cannot be evaluated at the optimum
    /// ([`Error::NotConverged`], with what to try).
    pub fn fit(&self, summary: &CustomerSummary<'_>) -> Result<ParetoNbdModel> {
        let data = transaction_data(MODEL, summary)?;
        let median_age = median(summary.t());
        // P(a customer is still alive at age t) = (beta / (beta + t))^s, unconditionally.
        let leaving =
            |theta: &[f64]| -(theta[2] * (theta[3] / (theta[3] + median_age)).ln()).exp_m1();
        let starts: [&[f64]; 2] = [&[1.0; 4], &rate_start(&data, [1.0, median_age.max(1e-3)])];
        let Fitted {
            theta, mut report, ..
        } = fit_with_warm_start(
            &data,
            &starts,
            |data, start| self.fit_compressed(data, summary.len(), start),
            // Where the sample says nobody leaves, all rows leave the likelihood flat along
            // s and beta too: the Pareto/NBD fit would walk that ridge (10 s on 1M rows) to
            // move r and alpha by a standard error, which the limit's closed form gives.
            |sample| {
                (leaving(&sample.theta) < FEWEST_LEAVING)
                    .then(|| self.fit_nobody_leaves(&data, summary.len(), sample))
            },
        )?;
        let [s, beta] = [theta[2], theta[3]];
        report.check_leaving(
            leaving(&theta),
            "the share of customers gone by the median customer's age",
            format!("s = {}, beta = {}", significant(s), significant(beta)),
        );
        Ok(ParetoNbdModel {
            format_version: PARETO_NBD_FORMAT_VERSION,
            r: theta[0],
            alpha: theta[1],
            s: theta[2],
            beta: theta[3],
            report,
        })
    }

    fn fit_compressed(
        &self,
        data: &CompressedSummary,
        customers: usize,
        start: &Start,
    ) -> Result<Fitted> {
        let settings = self.0;
        let fit_settings = FitSettings {
            model: MODEL,
            names: &["r", "alpha", "s", "beta"],
            options: settings.options,
            customers,
            distinct_rows: data.len(),
        };
        // A trial point where the likelihood cannot be evaluated (its value overflows)
        // counts as infinitely bad, so the line search steps back from it. The optimiser
        // accepts finite points only and a converged fit has a finite value, so its optimum
        // was evaluated and needs no second evaluation (0.7 s on 1M rows).
        let nll = |t: &[f64], gradient: &mut [f64]| {
            negative_log_likelihood(data, [t[0], t[1], t[2], t[3]], gradient).unwrap_or_else(|_| {
                gradient.iter_mut().for_each(|g| *g = 0.0);
                f64::INFINITY
            })
        };
        fit_positive_parameters(fit_settings, data.total_weight, start, nll)
    }
}

/// The median of non-empty `values` (the upper one of an even count), in linear time.
fn median(values: &[f64]) -> f64 {
    let mut values = values.to_vec();
    let middle = values.len() / 2;
    *values.select_nth_unstable_by(middle, f64::total_cmp).1
}

/// A fitted Pareto/NBD model. `r, alpha` shape and scale the gamma distribution of purchase
/// rates, `s, beta` that of drop-out rates (both per time unit of the summary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdModel {
    pub format_version: u32,
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
    pub report: FitReport,
}

impl ParetoNbdModel {
    /// The model as JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Format(e.to_string()))
    }

    /// Reads a model written by [`ParetoNbdModel::to_json`], checking its version and
    /// parameters.
    pub fn from_json(json: &str) -> Result<Self> {
        let model: Self = serde_json::from_str(json).map_err(|e| Error::Format(e.to_string()))?;
        check_saved_model(
            model.format_version,
            PARETO_NBD_FORMAT_VERSION,
            &[
                ("r", model.r),
                ("alpha", model.alpha),
                ("s", model.s),
                ("beta", model.beta),
            ],
        )?;
        Ok(model)
    }

    /// Log-likelihood of another summary under this model (e.g. a hold-out period).
    pub fn log_likelihood(&self, summary: &CustomerSummary<'_>) -> Result<f64> {
        let data = CompressedSummary::new(summary);
        Ok(-negative_log_likelihood(
            &data,
            self.theta(),
            &mut [0.0; 4],
        )?)
    }

    fn theta(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }
}

impl WithFitOptions for ParetoNbdParams {
    fn fit_options_mut(&mut self) -> &mut FitOptions {
        &mut self.options
    }
}
