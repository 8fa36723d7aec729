//! Fits that say when they fail: the status, the warnings and the starting points.

use super::super::fitting::{FitSettings, Start, best_of, fit_positive_parameters};
use super::*;

#[test]
fn a_clean_fit_is_converged_from_two_starts_without_warnings() {
    let data = cdnow();
    let summary = CustomerSummary::new(&data.x, &data.t_x, &data.t).unwrap();
    for variant in [BetaGeoVariant::BgNbd, BetaGeoVariant::MbgNbd] {
        let report = fit(variant, &data).report;
        assert_eq!(report.status, FitStatus::Converged, "{report:?}");
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(report.starting_points, 2);
    }
    let pareto = ParetoNbdParams::new()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    assert_eq!(pareto.report.status, FitStatus::Converged);
    assert!(
        pareto.report.warnings.is_empty(),
        "{:?}",
        pareto.report.warnings
    );
}

/// An MBG/NBD fitted on 20,000 customers simulated from `truth`, aged 10 to 49.
fn mbg_nbd_on_simulated(truth: &SimulationSettings) -> BetaGeoModel {
    let t: Vec<f64> = (0..20_000).map(|i| 10.0 + (i % 40) as f64).collect();
    let sim = simulate_customers(truth, &t).unwrap();
    let summary = CustomerSummary::new(&sim.frequency, &sim.recency, &sim.t).unwrap();
    BetaGeoParams::mbg_nbd()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap()
}

/// The report of a fit that ran to the "nobody leaves" limit: degenerate, and says so.
fn assert_nobody_leaves(report: &FitReport) {
    assert_eq!(report.status, FitStatus::Degenerate, "{report:?}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("nobody ever leaves")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn a_fit_in_which_nobody_leaves_is_degenerate_and_says_so() {
    // Customers who hardly ever drop out: a mean chance of leaving of 0.15 % per
    // purchase (the real UCI sheet's MBG/NBD fit).
    let truth = SimulationSettings {
        variant: BetaGeoVariant::MbgNbd,
        r: 0.8,
        alpha: 8.0,
        a: 0.25,
        b: 170.0,
        horizon: 0.0,
        seed: 11,
    };
    let report = mbg_nbd_on_simulated(&truth).report;
    assert_nobody_leaves(&report);
    // The same customers with real churn fit cleanly.
    let churning = SimulationSettings {
        a: 0.6,
        b: 3.0,
        ..truth
    };
    let model = mbg_nbd_on_simulated(&churning);
    assert_eq!(
        model.report.status,
        FitStatus::Converged,
        "{:?}",
        model.report
    );
}

/// A one-parameter objective with two minima in u = ln(theta): a shallow one near
/// u = 0 and a deeper one near u = 3.
fn two_valleys(theta: &[f64], gradient: &mut [f64]) -> f64 {
    let u = theta[0].ln();
    let value = u * u * (u - 3.0) * (u - 3.0) - 0.5 * u;
    let d_du = 2.0 * u * (u - 3.0) * (2.0 * u - 3.0) - 0.5;
    gradient[0] = d_du / theta[0];
    value
}

#[test]
fn starts_that_end_at_different_optima_keep_the_best_and_warn() {
    let settings = FitSettings {
        model: "two valleys",
        names: &["theta"],
        options: FitOptions::default(),
        customers: 1,
        distinct_rows: 1,
    };
    let starts = [Start::at(&[0.01f64.exp()]), Start::at(&[3f64.exp() * 1.2])];
    let (fitted, warning) = best_of(&starts, |start| {
        fit_positive_parameters(settings, 1.0, start, two_valleys)
    })
    .unwrap();
    assert!(
        fitted.theta[0].ln() > 2.5,
        "kept the shallow valley: {:?}",
        fitted.theta
    );
    assert!(
        warning
            .as_deref()
            .is_some_and(|w| w.contains("more than one peak")),
        "{warning:?}"
    );
    // Both starts in the deep valley: one optimum, no warning.
    let same = [
        Start::at(&[3f64.exp() * 0.9]),
        Start::at(&[3f64.exp() * 1.2]),
    ];
    let (_, warning) = best_of(&same, |start| {
        fit_positive_parameters(settings, 1.0, start, two_valleys)
    })
    .unwrap();
    assert_eq!(warning, None);
}

#[test]
fn a_parameter_that_runs_off_is_a_hit_bound_failure() {
    let settings = FitSettings {
        model: "runaway",
        names: &["theta"],
        options: FitOptions::default(),
        customers: 1,
        distinct_rows: 1,
    };
    // Strictly decreasing in theta: the minimum is at infinity.
    let runaway = |theta: &[f64], gradient: &mut [f64]| {
        gradient[0] = -1.0 / theta[0];
        -theta[0].ln()
    };
    let error = fit_positive_parameters(settings, 1.0, &Start::at(&[1.0]), runaway).unwrap_err();
    assert_eq!(
        FitStatus::of_error(&error),
        Some(FitStatus::HitBound),
        "{error}"
    );
    assert!(error.to_string().contains("ran off"), "{error}");
}

#[test]
fn saved_models_without_a_status_read_as_converged() {
    let model = fit(BetaGeoVariant::BgNbd, &cdnow());
    let mut json: serde_json::Value = serde_json::from_str(&model.to_json().unwrap()).unwrap();
    let report = json["report"].as_object_mut().unwrap();
    for field in ["status", "warnings", "starting_points"] {
        report.remove(field);
    }
    report.insert("converged".into(), true.into());
    let old = BetaGeoModel::from_json(&json.to_string()).unwrap();
    assert_eq!(old.report.status, FitStatus::Converged);
    assert_eq!(old.report.starting_points, 1);
}

/// The ridge that took the real sheet's fit 18.7 minutes: the drop-out rates' shape `s`
/// runs to 0 (every rate 0), the optimiser walks along it while `alpha` and `beta` drift
/// orders of magnitude apart, where the hypergeometric series needed up to 100k terms.
#[test]
fn a_pareto_nbd_fit_in_which_nobody_leaves_ends_fast_and_says_so() {
    let (truth, sim) = crate::btyd::simulate::nobody_leaves();
    let summary = CustomerSummary::new(&sim.frequency, &sim.recency, &sim.t).unwrap();
    let model = ParetoNbdParams::new()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    let report = &model.report;
    assert_nobody_leaves(report);
    // Well within the default 200 iterations, each of bounded cost.
    assert!(report.iterations <= 60, "{report:?}");
    // The purchase side is still recovered.
    assert!((model.r - truth.r).abs() < 0.1 && (model.alpha - truth.alpha).abs() < 1.0);
}
