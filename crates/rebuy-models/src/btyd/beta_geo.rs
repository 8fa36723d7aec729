//! BG/NBD and MBG/NBD transaction models: hyper-parameters, fit and the fitted model.

use serde::{Deserialize, Serialize};

use super::fitting::{
    FitOptions, FitReport, FitSettings, Fitted, Start, WithFitOptions, check_saved_model,
    fit_positive_parameters, fit_with_warm_start, rate_start, significant, transaction_data,
};
use super::likelihood::negative_log_likelihood;
use super::summary::{CompressedSummary, CustomerSummary};
use crate::{Error, Result};

/// Version of the JSON form of [`BetaGeoModel`].
pub const BETA_GEO_FORMAT_VERSION: u32 = 1;

/// Which beta-geometric/NBD model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BetaGeoVariant {
    /// BG/NBD (Fader, Hardie & Lee 2005): a customer may drop out only after a repeat
    /// purchase, so everyone without repeat purchases is certainly alive (P(alive) = 1).
    BgNbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007): a customer may also drop out right after
    /// the first purchase, so one-time buyers get a P(alive) below 1 that falls with their age.
    MbgNbd,
}

impl BetaGeoVariant {
    /// Shift of `b` in the shared formulas: the MBG/NBD counts the first purchase as a
    /// drop-out opportunity, which moves the beta posterior by one.
    pub(crate) fn b_offset(self) -> f64 {
        match self {
            Self::BgNbd => 0.0,
            Self::MbgNbd => 1.0,
        }
    }

    pub(crate) fn dropout_at_first_purchase(self) -> bool {
        self == Self::MbgNbd
    }

    /// "BG/NBD" or "MBG/NBD".
    pub fn name(self) -> &'static str {
        match self {
            Self::BgNbd => "BG/NBD",
            Self::MbgNbd => "MBG/NBD",
        }
    }
}

/// Hyper-parameters of a BG/NBD or MBG/NBD fit.
///
/// Defaults: `penalty` 0 (plain maximum likelihood; lifetimes' `penalizer_coef`, added as
/// `penalty * (r² + α² + a² + b²)` to the mean negative log-likelihood), `max_iterations` 200,
/// `tolerance` 1e-8 on the largest gradient component of that mean with respect to the
/// log-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaGeoParams {
    variant: BetaGeoVariant,
    options: FitOptions,
}

/// [`BetaGeoParams`] that passed [`BetaGeoParams::validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaGeoValidParams(BetaGeoParams);

impl BetaGeoParams {
    /// Defaults for the given model.
    pub fn new(variant: BetaGeoVariant) -> Self {
        Self {
            variant,
            options: FitOptions::default(),
        }
    }

    /// BG/NBD with the defaults.
    pub fn bg_nbd() -> Self {
        Self::new(BetaGeoVariant::BgNbd)
    }

    /// MBG/NBD with the defaults.
    pub fn mbg_nbd() -> Self {
        Self::new(BetaGeoVariant::MbgNbd)
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<BetaGeoValidParams> {
        self.options.validate()?;
        Ok(BetaGeoValidParams(*self))
    }
}

impl BetaGeoValidParams {
    /// Maximum-likelihood fit of `r, alpha, a, b` on a customer summary, identical rows merged
    /// with weights.
    ///
    /// From two starting points: every parameter at 1 (as lifetimes) and one from the
    /// data's purchase rate; the report warns when they end at different optima, and
    /// says `Degenerate` when the fitted mean chance of leaving after a purchase is
    /// below 1 %.
    ///
    /// Errors: an empty summary, or one where nobody made a repeat purchase (the repeat rate
    /// cannot be estimated, the likelihood has no maximum); an optimiser that does not
    /// converge ([`Error::NotConverged`]) or whose parameter runs off
    /// ([`Error::HitBound`]), with what to try.
    pub fn fit(&self, summary: &CustomerSummary<'_>) -> Result<BetaGeoModel> {
        let settings = self.0;
        let data = transaction_data(settings.variant.name(), summary)?;
        let starts: [&[f64]; 2] = [&[1.0; 4], &rate_start(&data, [1.0, 3.0])];
        let Fitted {
            theta, mut report, ..
        } = fit_with_warm_start(
            &data,
            &starts,
            |data, start| self.fit_compressed(data, summary.len(), start),
            |_| None,
        )?;
        let [a, b] = [theta[2], theta[3]];
        report.check_leaving(
            a / (a + b),
            "the mean chance of leaving after a purchase",
            format!("a = {}, b = {}", significant(a), significant(b)),
        );
        Ok(BetaGeoModel {
            format_version: BETA_GEO_FORMAT_VERSION,
            variant: settings.variant,
            r: theta[0],
            alpha: theta[1],
            a: theta[2],
            b: theta[3],
            report,
        })
    }
}

impl BetaGeoValidParams {
    fn fit_compressed(
        &self,
        data: &CompressedSummary,
        customers: usize,
        start: &Start,
    ) -> Result<Fitted> {
        let settings = self.0;
        let fit_settings = FitSettings {
            model: settings.variant.name(),
            names: &["r", "alpha", "a", "b"],
            options: settings.options,
            customers,
            distinct_rows: data.len(),
        };
        let nll = |theta: &[f64], gradient: &mut [f64]| {
            let theta = [theta[0], theta[1], theta[2], theta[3]];
            negative_log_likelihood(settings.variant, data, theta, gradient)
        };
        fit_positive_parameters(fit_settings, data.total_weight, start, nll)
    }
}

/// A fitted BG/NBD or MBG/NBD model. `r, alpha` shape and scale the gamma distribution of
/// purchase rates (per time unit of the summary), `a, b` the beta distribution of the
/// drop-out probability after a purchase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BetaGeoModel {
    pub format_version: u32,
    pub variant: BetaGeoVariant,
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    pub report: FitReport,
}

impl BetaGeoModel {
    /// The model as JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Format(e.to_string()))
    }

    /// Reads a model written by [`BetaGeoModel::to_json`], checking its version and parameters.
    pub fn from_json(json: &str) -> Result<Self> {
        let model: Self = serde_json::from_str(json).map_err(|e| Error::Format(e.to_string()))?;
        check_saved_model(
            model.format_version,
            BETA_GEO_FORMAT_VERSION,
            &[
                ("r", model.r),
                ("alpha", model.alpha),
                ("a", model.a),
                ("b", model.b),
            ],
        )?;
        Ok(model)
    }

    /// Log-likelihood of another summary under this model (e.g. a hold-out period).
    pub fn log_likelihood(&self, summary: &CustomerSummary<'_>) -> f64 {
        let data = CompressedSummary::new(summary);
        -negative_log_likelihood(
            self.variant,
            &data,
            [self.r, self.alpha, self.a, self.b],
            &mut [0.0; 4],
        )
    }
}

impl WithFitOptions for BetaGeoParams {
    fn fit_options_mut(&mut self) -> &mut FitOptions {
        &mut self.options
    }
}
