//! Maximum likelihood on positive parameters, shared by the transaction and spend models:
//! BFGS on log-parameters, an optional L2 penalty, Hessian standard errors and a report.

use serde::{Deserialize, Serialize};

use super::optimize::{Minimum, minimize, standard_errors};
use super::summary::{CompressedSummary, CustomerSummary};
use crate::{Error, Result};

/// Above twice this many distinct rows, a transaction model's fit starts from a fit on a
/// sample of about this many rows (instead of every parameter at 1, as lifetimes does), which
/// saves most of the optimiser's iterations on the whole data.
const WARM_START_ROWS: usize = 50_000;

/// A fitted parameter with its standard error from the inverse Hessian of the
/// log-likelihood (`None` when the Hessian is not positive definite at the optimum).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterEstimate {
    pub name: String,
    pub value: f64,
    pub standard_error: Option<f64>,
}

/// How a fit went: convergence, likelihood and the estimates with their standard errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    pub converged: bool,
    pub iterations: usize,
    /// Likelihood (and gradient) evaluations, line search included.
    pub evaluations: usize,
    /// Log-likelihood of the data at the estimates (without the penalty).
    pub log_likelihood: f64,
    /// Largest gradient component of the optimised objective (mean negative
    /// log-likelihood plus penalty, with respect to log-parameters) at the end.
    pub gradient_norm: f64,
    pub penalty: f64,
    /// Customers used by the fit.
    pub customers: usize,
    /// Distinct summary rows after merging identical customers.
    pub distinct_rows: usize,
    pub parameters: Vec<ParameterEstimate>,
    /// One line for a person: what happened and, when relevant, what to try.
    pub message: String,
}

/// Smallest and largest parameter values accepted as a genuine optimum; outside them the
/// optimiser is running along a ridge the data do not pin down.
const PARAMETER_RANGE: (f64, f64) = (1e-8, 1e8);

/// The optimiser's options, the same for every BTYD model.
///
/// Defaults: `penalty` 0 (plain maximum likelihood; lifetimes' `penalizer_coef`, added as
/// `penalty` times the sum of squared parameters to the mean negative log-likelihood),
/// `max_iterations` 200, `tolerance` 1e-8 on the largest gradient component of that mean
/// with respect to the log-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    penalty: f64,
    max_iterations: usize,
    tolerance: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            penalty: 0.0,
            max_iterations: 200,
            tolerance: 1e-8,
        }
    }
}

impl FitOptions {
    /// Checks the options.
    pub(crate) fn validate(&self) -> Result<()> {
        let Self {
            penalty,
            max_iterations,
            tolerance,
        } = *self;
        if !(penalty.is_finite() && penalty >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "penalty",
                reason: format!("must be finite and >= 0, got {penalty}"),
            });
        }
        if max_iterations == 0 {
            return Err(Error::InvalidParameter {
                name: "max_iterations",
                reason: "must be at least 1".into(),
            });
        }
        if !(tolerance.is_finite() && tolerance > 0.0) {
            return Err(Error::InvalidParameter {
                name: "tolerance",
                reason: format!("must be finite and > 0, got {tolerance}"),
            });
        }
        Ok(())
    }
}

/// The builder setters of [`FitOptions`], shared by the parameters of every BTYD model
/// (`BetaGeoParams::bg_nbd().penalty(0.01)`; bring the trait into scope).
pub trait WithFitOptions: Sized {
    /// The model's options, for the setters.
    fn fit_options_mut(&mut self) -> &mut FitOptions;

    /// L2 penalty on the parameters (default 0); a small one (0.001-0.1) stabilises fits on
    /// few or odd customers.
    fn penalty(mut self, penalty: f64) -> Self {
        self.fit_options_mut().penalty = penalty;
        self
    }

    /// Most BFGS iterations (default 200).
    fn max_iterations(mut self, max_iterations: usize) -> Self {
        self.fit_options_mut().max_iterations = max_iterations;
        self
    }

    /// Convergence tolerance on the gradient (default 1e-8).
    fn tolerance(mut self, tolerance: f64) -> Self {
        self.fit_options_mut().tolerance = tolerance;
        self
    }
}

/// What a fit needs besides the likelihood.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FitSettings<'a> {
    pub model: &'static str,
    pub names: &'a [&'static str],
    pub options: FitOptions,
    pub customers: usize,
    pub distinct_rows: usize,
}

/// Where the optimiser starts: natural parameters, and the inverse Hessian (of the objective
/// in log-parameters) that an earlier fit on a sample ended with, if any. The objective is a
/// mean per customer, so a sample's curvature is the whole data's and BFGS need not learn it
/// again.
#[derive(Debug, Clone)]
pub(crate) struct Start {
    pub theta: Vec<f64>,
    pub inverse_hessian: Option<Vec<Vec<f64>>>,
}

impl Start {
    pub fn at(theta: &[f64]) -> Self {
        Self {
            theta: theta.to_vec(),
            inverse_hessian: None,
        }
    }
}

/// A converged fit: the estimates, the report, and where it ends as a [`Start`] for more.
#[derive(Debug, Clone)]
pub(crate) struct Fitted {
    pub theta: Vec<f64>,
    pub report: FitReport,
    pub end: Start,
}

fn advice(penalty: f64) -> &'static str {
    if penalty > 0.0 {
        "try a larger penalty (e.g. 10x), a coarser time unit (weeks rather than days), or more customers"
    } else {
        "try a small penalty (e.g. 0.001), a coarser time unit (weeks rather than days), or more iterations"
    }
}

/// Maximises the likelihood whose negative (and gradient, natural parameters) `nll` gives,
/// from `start` (natural parameters, > 0). `total_weight` scales the
/// objective to a per-customer mean so that the tolerance does not depend on the data size.
pub(crate) fn fit_positive_parameters<F>(
    settings: FitSettings<'_>,
    total_weight: f64,
    start: &Start,
    mut nll: F,
) -> Result<Fitted>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let penalty = settings.options.penalty;
    let mut natural_gradient = vec![0.0; start.theta.len()];
    let objective = |u: &[f64], gradient: &mut [f64]| {
        let theta: Vec<f64> = u.iter().map(|v| v.exp()).collect();
        let value = nll(&theta, &mut natural_gradient) / total_weight;
        for (i, g) in gradient.iter_mut().enumerate() {
            *g = (natural_gradient[i] / total_weight + 2.0 * penalty * theta[i]) * theta[i];
        }
        value + penalty * theta.iter().map(|t| t * t).sum::<f64>()
    };
    let log_start: Vec<f64> = start.theta.iter().map(|s| s.ln()).collect();
    let bound = PARAMETER_RANGE.1.ln();
    let minimum = minimize(
        objective,
        &log_start,
        start.inverse_hessian.as_deref(),
        bound,
        settings.options.max_iterations,
        settings.options.tolerance,
    );
    let theta: Vec<f64> = minimum.point.iter().map(|v| v.exp()).collect();
    check_minimum(&settings, &minimum, &theta)?;
    let errors = standard_errors(|t, g| _ = nll(t, g), &theta);
    // The optimiser's last value is the penalised mean at these parameters: undo both.
    let penalty_term = penalty * theta.iter().map(|t| t * t).sum::<f64>();
    let log_likelihood = -(minimum.value - penalty_term) * total_weight;
    let report = report(&settings, &minimum, &theta, errors, log_likelihood);
    let end = Start {
        theta: theta.clone(),
        inverse_hessian: Some(minimum.inverse_hessian),
    };
    Ok(Fitted { theta, report, end })
}

/// An error saying what to try when the optimiser did not converge or ran off.
fn check_minimum(settings: &FitSettings<'_>, minimum: &Minimum, theta: &[f64]) -> Result<()> {
    let in_range = |t: &f64| (PARAMETER_RANGE.0..=PARAMETER_RANGE.1).contains(t);
    if let Some(i) = theta.iter().position(|t| !in_range(t)) {
        return Err(Error::NotConverged {
            model: settings.model,
            detail: format!(
                "parameter `{}` ran off to {:.3e}, the data do not identify the model; {}",
                settings.names[i],
                theta[i],
                advice(settings.options.penalty)
            ),
        });
    }
    if !minimum.converged {
        return Err(Error::NotConverged {
            model: settings.model,
            detail: format!(
                "stopped after {} iterations with gradient {:.1e} (tolerance {:.0e}) at {}; {}",
                minimum.iterations,
                minimum.gradient_norm,
                settings.options.tolerance,
                describe(settings.names, theta),
                advice(settings.options.penalty)
            ),
        });
    }
    Ok(())
}

fn report(
    settings: &FitSettings<'_>,
    minimum: &Minimum,
    theta: &[f64],
    errors: Option<Vec<f64>>,
    log_likelihood: f64,
) -> FitReport {
    let parameters = (0..theta.len())
        .map(|i| ParameterEstimate {
            name: settings.names[i].to_string(),
            value: theta[i],
            standard_error: errors.as_ref().map(|e| e[i]),
        })
        .collect();
    let mut message = format!(
        "converged in {} iterations (gradient {:.1e})",
        minimum.iterations, minimum.gradient_norm
    );
    if errors.is_none() {
        message.push_str("; standard errors unavailable (flat likelihood at the optimum)");
    }
    FitReport {
        converged: true,
        iterations: minimum.iterations,
        evaluations: minimum.evaluations,
        log_likelihood,
        gradient_norm: minimum.gradient_norm,
        penalty: settings.options.penalty,
        customers: settings.customers,
        distinct_rows: settings.distinct_rows,
        parameters,
        message,
    }
}

fn describe(names: &[&str], theta: &[f64]) -> String {
    names
        .iter()
        .zip(theta)
        .map(|(n, t)| format!("{n} = {t:.4e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The summary a transaction model (BG/NBD, MBG/NBD, Pareto/NBD) can be fitted on, merged:
/// errors for an empty summary and for one where nobody made a repeat purchase (the purchase
/// rate cannot be estimated, the likelihood has no maximum).
pub(crate) fn transaction_data(
    model: &str,
    summary: &CustomerSummary<'_>,
) -> Result<CompressedSummary> {
    if summary.is_empty() {
        return Err(Error::InvalidInput("the customer summary is empty".into()));
    }
    if summary.frequency().iter().all(|&x| x == 0.0) {
        return Err(Error::InvalidInput(format!(
            "all {} customers are one-time buyers (frequency 0): a {model} model needs some repeat purchases \
             to estimate the purchase rate; use a longer observation period",
            summary.len(),
        )));
    }
    Ok(CompressedSummary::new(summary))
}

/// `fit(data, start)` from `start`, or, on large data, from where `fit` ends on a stratified
/// sample of about [`WARM_START_ROWS`] rows, its curvature included (a failed sample fit only
/// loses the head start).
pub(crate) fn fit_with_warm_start<F>(
    data: &CompressedSummary,
    start: &[f64],
    fit: F,
) -> Result<Fitted>
where
    F: Fn(&CompressedSummary, &Start) -> Result<Fitted>,
{
    let mut start = Start::at(start);
    if data.len() >= 2 * WARM_START_ROWS {
        let sample = data.every_nth(data.len() / WARM_START_ROWS);
        if let Ok(fitted) = fit(&sample, &start) {
            start = fitted.end;
        }
    }
    fit(data, &start)
}

/// Checks a model read back from JSON: its format version and its parameters.
pub(crate) fn check_saved_model(
    format_version: u32,
    supported: u32,
    parameters: &[(&str, f64)],
) -> Result<()> {
    if format_version != supported {
        return Err(Error::Format(format!(
            "format_version {format_version} is not the supported {supported}"
        )));
    }
    if parameters.iter().any(|(_, p)| !(p.is_finite() && *p > 0.0)) {
        let names: Vec<&str> = parameters.iter().map(|(name, _)| *name).collect();
        return Err(Error::Format(format!(
            "{} must be finite and > 0",
            names.join(", ")
        )));
    }
    Ok(())
}
