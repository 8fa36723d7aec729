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

/// How a fit ended. A fit that converged gives a model, whose report says `Converged`
/// or `Degenerate`; the other two are how a fit fails ([`FitStatus::of_error`]), and give
/// no model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitStatus {
    /// The optimiser met its tolerance, and the model it ended at is plausible.
    #[default]
    Converged,
    /// The optimiser met its tolerance at a limit where the model says something
    /// implausible, e.g. a BG/NBD in which nobody ever leaves; the report's `warnings`
    /// say which limit and how to read the model's figures.
    Degenerate,
    /// A parameter ran to the edge of the accepted range ([`PARAMETER_RANGE`]): the
    /// likelihood's maximum is at infinity, the data do not identify the model.
    HitBound,
    /// The optimiser stopped (iterations used up, or no step lowered the objective)
    /// before its tolerance.
    NotConverged,
}

impl FitStatus {
    /// How a fit that returned `error` failed, if the optimiser is why.
    pub fn of_error(error: &Error) -> Option<Self> {
        match error {
            Error::HitBound { .. } => Some(Self::HitBound),
            Error::NotConverged { .. } => Some(Self::NotConverged),
            _ => None,
        }
    }

    /// The status in the words of metrics.json and the pages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Converged => "converged",
            Self::Degenerate => "degenerate",
            Self::HitBound => "hit_bound",
            Self::NotConverged => "not_converged",
        }
    }
}

/// How a fit went: its status, likelihood and the estimates with their standard errors,
/// and warnings a person should read before trusting the model's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// `Converged` or `Degenerate` (a failed fit gives no report). Models saved before
    /// the status existed read as `Converged`, which they had to be to be saved.
    #[serde(default)]
    pub status: FitStatus,
    /// Plain sentences: a degenerate limit, a parameter the data hardly pin down, starting
    /// points that ended at different optima. Empty for a clean fit.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Starting points the optimiser was run from; the report is the best one's.
    #[serde(default = "one")]
    pub starting_points: usize,
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

/// How one fit went, in a form to save beside a model or in place of one (the run's
/// `metrics.json` lists one per fit, a failed fit too): what the model is used for, its
/// status, estimates with standard errors, warnings, and a sentence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FitRecord {
    pub model: String,
    /// What the caller uses the model for, in words.
    pub used_for: String,
    /// [`FitStatus::name`], or `failed` when the data could not be fitted at all.
    pub status: String,
    pub customers: Option<usize>,
    pub log_likelihood: Option<f64>,
    pub starting_points: Option<usize>,
    pub parameters: Vec<ParameterEstimate>,
    pub warnings: Vec<String>,
    /// What happened, in a sentence (a failure's reason).
    pub message: String,
}

impl FitRecord {
    /// The record of a fit of `model` that gave `outcome`.
    pub fn new(
        model: &str,
        used_for: &str,
        outcome: std::result::Result<&FitReport, &Error>,
    ) -> Self {
        let (model, used_for) = (model.to_string(), used_for.to_string());
        match outcome {
            Ok(report) => Self {
                model,
                used_for,
                status: report.status.name().to_string(),
                customers: Some(report.customers),
                log_likelihood: Some(report.log_likelihood),
                starting_points: Some(report.starting_points),
                parameters: report.parameters.clone(),
                warnings: report.warnings.clone(),
                message: report.message.clone(),
            },
            Err(error) => Self {
                model,
                used_for,
                status: FitStatus::of_error(error)
                    .map_or("failed", FitStatus::name)
                    .to_string(),
                message: error.to_string(),
                ..Self::default()
            },
        }
    }
}

fn one() -> usize {
    1
}

impl FitReport {
    /// Marks the fit degenerate, with the sentence that says why.
    pub(crate) fn degenerate(&mut self, warning: String) {
        self.status = FitStatus::Degenerate;
        self.warnings.push(warning);
    }

    /// Marks a transaction model degenerate when fewer than [`FEWEST_LEAVING`] of its
    /// customers leave: `leaving` is that share, `measured` says what it is of, `estimates`
    /// the parameters behind it (e.g. "the mean chance of leaving after a purchase",
    /// "a = 0.25, b = 168.6").
    pub(crate) fn check_leaving(&mut self, leaving: f64, measured: &str, estimates: String) {
        if leaving < FEWEST_LEAVING {
            self.degenerate(format!(
                "{measured} is {} ({estimates}), so nobody ever leaves and P(alive) is near 1 \
                 for every customer however long silent: read P(alive) and expected purchases \
                 as upper bounds (the history is probably too short to tell leaving from a \
                 long pause)",
                share_words(leaving),
            ));
        }
    }
}

/// Smallest and largest parameter values accepted as a genuine optimum; outside them the
/// optimiser is running along a ridge the data do not pin down.
pub const PARAMETER_RANGE: (f64, f64) = (1e-8, 1e8);

/// A transaction model in which fewer than this share of customers ever leave (per
/// purchase for the BG/NBD family, over the median customer's age for the Pareto/NBD)
/// is degenerate: real customer bases lose far more, so the fit has run to the "nobody
/// leaves" limit because the data cannot tell leaving from a long pause (typically too
/// short a history), and its P(alive) is near 1 for everyone.
pub(crate) const FEWEST_LEAVING: f64 = 0.01;

/// Two fits whose log-likelihoods differ by more than this share agree on no optimum.
const LIKELIHOOD_AGREEMENT: f64 = 1e-6;

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
        return Err(Error::HitBound {
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
    let message = format!(
        "converged in {} iterations (gradient {:.1e})",
        minimum.iterations, minimum.gradient_norm
    );
    let warnings = match &errors {
        None => vec![
            "standard errors unavailable: the likelihood is flat at the optimum, so the data \
             do not pin the parameters down"
                .to_string(),
        ],
        Some(errors) => poorly_identified(settings.names, theta, errors),
    };
    FitReport {
        status: FitStatus::Converged,
        warnings,
        starting_points: 1,
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

/// A sentence for each parameter whose standard error exceeds its value: a 95 % interval
/// would span from near 0 to several times the estimate.
fn poorly_identified(names: &[&str], theta: &[f64], errors: &[f64]) -> Vec<String> {
    names
        .iter()
        .zip(theta.iter().zip(errors))
        .filter(|(_, (value, error))| *error > *value)
        .map(|(name, (value, error))| {
            format!(
                "`{name}` = {} has a standard error of {}: the data hardly pin it down",
                significant(*value),
                significant(*error)
            )
        })
        .collect()
}

/// Four significant digits (scientific notation beyond 1e5 and below 1e-3), for a
/// sentence or a table of estimates, which span many magnitudes.
pub fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        format!("{value}")
    } else if value.abs() >= 1e5 || value.abs() < 1e-3 {
        format!("{value:.3e}")
    } else {
        let decimals = (3 - value.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{value:.decimals$}")
    }
}

/// A share as a percentage for a sentence: two places, "under 0.01 %" below that.
fn share_words(share: f64) -> String {
    if share < 1e-4 {
        "under 0.01 %".to_string()
    } else {
        format!("{:.2} %", 100.0 * share)
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

/// The best of the fits from each of `starts` (natural parameters), by log-likelihood:
/// from the whole `data`, or, on large data, from where the best fit on a stratified
/// sample of about [`WARM_START_ROWS`] rows ends, its curvature included (if no sample
/// fit converges, the whole data's fit starts from the first start). Given the sample's
/// best fit, `limit` may instead give the whole data's fit of a limit the sample already
/// ran to (`None`: go on from the sample's end). The report counts the starts and warns
/// when two converged starts ended at different optima.
pub(crate) fn fit_with_warm_start<F, L>(
    data: &CompressedSummary,
    starts: &[&[f64]],
    fit: F,
    limit: L,
) -> Result<Fitted>
where
    F: Fn(&CompressedSummary, &Start) -> Result<Fitted>,
    L: FnOnce(&Fitted) -> Option<Result<Fitted>>,
{
    let starts: Vec<Start> = starts.iter().map(|theta| Start::at(theta)).collect();
    let (mut fitted, peaks) = if data.len() >= 2 * WARM_START_ROWS {
        let sample = data.every_nth(data.len() / WARM_START_ROWS);
        match best_of(&starts, |start| fit(&sample, start)) {
            Ok((sampled, peaks)) => {
                let fitted = limit(&sampled).unwrap_or_else(|| fit(data, &sampled.end))?;
                (fitted, peaks)
            }
            Err(_) => (fit(data, &starts[0])?, None),
        }
    } else {
        best_of(&starts, |start| fit(data, start))?
    };
    fitted.report.starting_points = starts.len();
    fitted.report.warnings.extend(peaks);
    Ok(fitted)
}

/// The fit from `starts` with the highest log-likelihood (the earliest among those
/// within [`LIKELIHOOD_AGREEMENT`] of it), and a warning when converged fits disagree;
/// the first start's error when none converges.
pub(crate) fn best_of<F>(starts: &[Start], mut fit: F) -> Result<(Fitted, Option<String>)>
where
    F: FnMut(&Start) -> Result<Fitted>,
{
    let mut best: Option<Fitted> = None;
    let mut first_error = None;
    let (mut lowest, mut highest) = (f64::INFINITY, f64::NEG_INFINITY);
    for start in starts {
        match fit(start) {
            Ok(fitted) => {
                let ll = fitted.report.log_likelihood;
                (lowest, highest) = (lowest.min(ll), highest.max(ll));
                let better = |b: &Fitted| ll - b.report.log_likelihood > agreement(ll);
                if best.as_ref().is_none_or(better) {
                    best = Some(fitted);
                }
            }
            Err(error) => _ = first_error.get_or_insert(error),
        }
    }
    let Some(best) = best else {
        return Err(first_error.unwrap_or_else(|| Error::InvalidInput("no starting point".into())));
    };
    let peaks = (highest - lowest > agreement(highest)).then(|| {
        format!(
            "the fits from {} starting points ended at different log-likelihoods ({} to {}): \
             the likelihood has more than one peak, the best is kept",
            starts.len(),
            significant(lowest),
            significant(highest)
        )
    });
    Ok((best, peaks))
}

fn agreement(log_likelihood: f64) -> f64 {
    LIKELIHOOD_AGREEMENT * log_likelihood.abs().max(1.0)
}

/// A second starting point for a transaction model, from the data: a purchase rate of
/// one per `alpha = sum T / sum x` time units (shape 1), the drop-out parameters as
/// given. With the all-ones start it brackets most real data, whose rates are far from
/// one per time unit in days.
pub(crate) fn rate_start(data: &CompressedSummary, dropout: [f64; 2]) -> [f64; 4] {
    let weighted = |v: &[f64]| v.iter().zip(&data.weight).map(|(v, w)| v * w).sum::<f64>();
    let alpha = weighted(&data.t) / weighted(&data.frequency).max(1.0);
    [1.0, alpha.clamp(1e-3, 1e6), dropout[0], dropout[1]]
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
