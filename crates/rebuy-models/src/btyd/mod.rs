//! Buy-till-you-die models: who is still a customer, how often they will buy, and what they
//! will spend.
//!
//! - [`BetaGeoParams`]: BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam et al. 2007)
//!   transaction models, fitted by maximum likelihood on a [`CustomerSummary`]; the fitted
//!   [`BetaGeoModel`] gives P(alive), expected purchases and the probability of at least one
//!   purchase over a horizon, per customer.
//! - [`ParetoNbdParams`]: Pareto/NBD (Schmittlein, Morrison & Colombo 1987), where a
//!   customer may drop out at any time, not only after a purchase; the fitted
//!   [`ParetoNbdModel`] gives the same predictions.
//! - [`GammaGammaParams`]: spend per order, fitted on repeat buyers; [`ClvParams`] combines it
//!   with a transaction model into a discounted customer lifetime value.
//!
//! [`HoldoutComparison`] fits the transaction models on a calibration period and checks
//! them on the hold-out period after it, and chooses the one that serves.
//!
//! Every fit runs from several starting points and reports its [`FitStatus`], standard
//! errors and warnings in a [`FitReport`]: `Degenerate` when it converged to a limit
//! where the model is implausible (nobody ever leaves; no finite mean spend). A fit that
//! does not converge is an [`Error::NotConverged`](crate::Error::NotConverged), one whose
//! parameter runs off an [`Error::HitBound`](crate::Error::HitBound), each saying what to
//! try, so no NaN reaches the output.
//!
//! ```
//! use rebuy_models::btyd::{BetaGeoParams, CustomerSummary};
//!
//! // frequency = repeat purchases, recency and T in weeks.
//! let frequency = [2.0, 1.0, 0.0, 0.0, 4.0, 0.0, 7.0, 1.0];
//! let recency = [30.4, 1.7, 0.0, 0.0, 20.0, 0.0, 35.0, 5.0];
//! let t = [38.9, 38.9, 38.9, 30.0, 36.0, 12.0, 37.0, 20.0];
//! let summary = CustomerSummary::new(&frequency, &recency, &t)?;
//! let model = BetaGeoParams::bg_nbd().validate()?.fit(&summary)?;
//! let buys_again = model.purchase_probability(&summary, 13.0)?; // next quarter
//! assert!(buys_again.iter().all(|p| (0.0..=1.0).contains(p)));
//! # Ok::<(), rebuy_models::Error>(())
//! ```

mod beta_geo;
mod clv;
mod diagnostics;
mod fitting;
mod gamma_gamma;
mod holdout;
mod likelihood;
mod optimize;
mod pareto_nbd;
mod predict;
mod simulate;
mod special;
mod summary;

pub use beta_geo::{
    BETA_GEO_FORMAT_VERSION, BetaGeoModel, BetaGeoParams, BetaGeoValidParams, BetaGeoVariant,
};
pub use clv::{ClvParams, ClvValidParams};
pub use diagnostics::{CalibrationHoldoutRow, FrequencyRecencyMatrix, HoldoutAccuracy};
pub use fitting::{
    FitOptions, FitRecord, FitReport, FitStatus, PARAMETER_RANGE, ParameterEstimate,
    WithFitOptions, significant,
};
pub use gamma_gamma::{
    GAMMA_GAMMA_FORMAT_VERSION, GammaGammaModel, GammaGammaParams, GammaGammaValidParams,
    frequency_spend_correlation,
};
pub use holdout::{
    CALIBRATION_GROUPS, ComparedModel, HoldoutComparison, HoldoutData, HoldoutModel, may_serve,
};
pub use pareto_nbd::{
    PARETO_NBD_FORMAT_VERSION, ParetoNbdModel, ParetoNbdParams, ParetoNbdValidParams,
};
pub use predict::CumulativePurchases;
pub use simulate::{
    ParetoNbdSimulation, SimulatedCustomers, SimulationSettings, simulate_customers,
    simulate_pareto_nbd,
};
pub use summary::CustomerSummary;

#[cfg(test)]
mod tests;
