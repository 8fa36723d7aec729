//! The hold-out comparison of the transaction models: its figures by hand, its choice on
//! simulated customers, what it says when nothing fits, and its tracking curve from one
//! posterior per customer. (Its figures on CDNOW are
//! checked against lifetimes in rebuy-features' tests/cdnow_summary.rs.)

use super::*;

#[test]
fn hold_out_accuracy_is_the_textbook_figures() {
    let accuracy = HoldoutAccuracy::of(&[1.0, 2.0, 3.0], &[1.0, 3.0, 5.0]).unwrap();
    assert_eq!(accuracy.customers, 3);
    assert!((accuracy.mean_absolute_error - 1.0).abs() < 1e-12);
    assert!((accuracy.root_mean_squared_error - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
    // actual = 2 * expected - 1: a perfect linear relation.
    assert!((accuracy.correlation.unwrap() - 1.0).abs() < 1e-12);
    assert_eq!((accuracy.expected_total, accuracy.actual_total), (6.0, 9.0));
    let flat = HoldoutAccuracy::of(&[1.0, 1.0], &[0.0, 2.0]).unwrap();
    assert_eq!(
        flat.correlation, None,
        "no correlation with a constant side"
    );
    for (expected, actual) in [
        (&[1.0][..], &[1.0, 2.0][..]),
        (&[][..], &[][..]),
        (&[f64::NAN][..], &[1.0][..]),
        (&[1.0][..], &[-1.0][..]),
    ] {
        assert!(matches!(
            HoldoutAccuracy::of(expected, actual),
            Err(Error::InvalidInput(_))
        ));
    }
}

const VARIANTS: [ComparedModel; 3] = [
    ComparedModel::BetaGeo(BetaGeoVariant::BgNbd),
    ComparedModel::BetaGeo(BetaGeoVariant::MbgNbd),
    ComparedModel::ParetoNbd,
];

/// `row`'s model refitted on `summary` (fits are deterministic), its expected purchases per
/// customer over `horizon`.
fn expected_purchases(row: &HoldoutModel, summary: &CustomerSummary<'_>, horizon: f64) -> Vec<f64> {
    let variant = match row.model.as_str() {
        "Pareto/NBD" => {
            let model = ParetoNbdParams::new()
                .validate()
                .unwrap()
                .fit(summary)
                .unwrap();
            return model.expected_purchases(summary, horizon).unwrap();
        }
        "BG/NBD" => BetaGeoVariant::BgNbd,
        _ => BetaGeoVariant::MbgNbd,
    };
    let model = BetaGeoParams::new(variant)
        .validate()
        .unwrap()
        .fit(summary)
        .unwrap();
    model.expected_purchases(summary, horizon).unwrap()
}

#[test]
fn the_comparison_on_simulated_customers_serves_mbg_nbd_and_adds_up() {
    let truth = SimulationSettings {
        variant: BetaGeoVariant::MbgNbd,
        r: 0.5,
        alpha: 6.0,
        a: 0.9,
        b: 1.6,
        horizon: 13.0,
        seed: 3,
    };
    let t: Vec<f64> = (0..5_000).map(|i| 10.0 + (i % 40) as f64).collect();
    let sim = simulate_customers(&truth, &t).unwrap();
    let summary = CustomerSummary::new(&sim.frequency, &sim.recency, &sim.t).unwrap();
    // The simulation gives each customer's total only: put it on the last day.
    let total: f64 = sim.future_purchases.iter().sum();
    let mut per_day = vec![0; 13];
    per_day[12] = total as u32;
    let data = HoldoutData {
        calibration: &summary,
        actual: &sim.future_purchases,
        actual_per_day: &per_day,
        units_per_day: 1.0,
    };
    let (comparison, chosen) =
        HoldoutComparison::run(data, &VARIANTS, "2026-01-01".into(), 13).unwrap();
    assert_eq!(chosen, Some(BetaGeoVariant::MbgNbd));
    assert_eq!(comparison.chosen.as_deref(), Some("MBG/NBD"));
    assert!(
        comparison
            .chosen_because
            .contains("Pareto/NBD is compared but does not serve yet"),
        "{}",
        comparison.chosen_because
    );
    let names: Vec<&str> = comparison.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(names, ["BG/NBD", "MBG/NBD", "Pareto/NBD"]);
    assert_eq!(comparison.tracking_days, [7, 13]);
    assert_eq!(comparison.tracking_actual, [0.0, total]);
    for row in &comparison.models {
        let accuracy = row.accuracy.as_ref().unwrap();
        assert_eq!(accuracy.actual_total, total);
        // Fitted on customers drawn from the model, the total is close to what they did.
        let off = (accuracy.expected_total - total).abs() / total;
        assert!(
            off < 0.05,
            "{}: {} vs {total}",
            row.model,
            accuracy.expected_total
        );
        // The one-pass curve is what each day's expected purchases summed gave before.
        let old_way: Vec<f64> = [7.0, 13.0]
            .iter()
            .map(|&days| expected_purchases(row, &summary, days).iter().sum())
            .collect();
        assert_eq!(row.tracking_expected, old_way, "{}", row.model);
        let at_holdout = expected_purchases(row, &summary, 13.0);
        assert_eq!(
            accuracy,
            &HoldoutAccuracy::of(&at_holdout, &sim.future_purchases).unwrap()
        );
        let last = *row.tracking_expected.last().unwrap();
        assert!((last - accuracy.expected_total).abs() < 1e-6 * total);
        assert!(row.tracking_expected[0] < last);
        assert_eq!(row.may_serve, row.model == "MBG/NBD");
        assert_eq!(row.fit.status, "converged", "{:?}", row.fit);
    }
}

#[test]
fn a_comparison_where_nothing_fits_says_so() {
    // One-time buyers only: neither model can be fitted.
    let (x, t_x, t) = (vec![0.0; 50], vec![0.0; 50], vec![20.0; 50]);
    let summary = CustomerSummary::new(&x, &t_x, &t).unwrap();
    let actual = vec![0.0; 50];
    let data = HoldoutData {
        calibration: &summary,
        actual: &actual,
        actual_per_day: &[0; 30],
        units_per_day: 1.0,
    };
    let (comparison, chosen) =
        HoldoutComparison::run(data, &VARIANTS, "2026-01-01".into(), 30).unwrap();
    assert_eq!(chosen, None);
    assert!(comparison.chosen_because.starts_with("no model"));
    for row in &comparison.models {
        assert!(row.accuracy.is_none() && row.tracking_expected.is_empty());
        assert!(!row.fit.message.is_empty(), "{:?}", row.fit);
    }
    let wrong_days = HoldoutData {
        actual_per_day: &[0; 29],
        ..data
    };
    assert!(HoldoutComparison::run(wrong_days, &VARIANTS, "2026-01-01".into(), 30).is_err());
}

#[test]
fn one_pass_cumulative_purchases_are_each_horizons_sum_to_the_bit_on_cdnow() {
    let data = cdnow();
    let summary = CustomerSummary::new(&data.x, &data.t_x, &data.t).unwrap();
    // The hold-out comparison's lengths (every 7th day of 273, in weeks), a zero and an
    // uneven one; CDNOW's 2,357 customers span three blocks of the one-pass sum.
    let mut horizons: Vec<f64> = (1..=39).map(|week| f64::from(week * 7) / 7.0).collect();
    horizons.extend([0.0, 2.5 / 7.0, 39.0]);
    let pareto = ParetoNbdParams::new()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    let bg = fit(BetaGeoVariant::BgNbd, &data);
    let mbg = fit(BetaGeoVariant::MbgNbd, &data);
    // Where Euler's series overflows and the direct one takes over (the drop-out Beta nearly
    // a point mass, see expected_purchases_match_lifetimes_when_...).
    let mut point_mass = mbg.clone();
    (point_mass.a, point_mass.b) = (139984.26377048498, 3443280.124213404);
    let each_horizon = |predict: &dyn Fn(f64) -> crate::Result<Vec<f64>>| -> Vec<Vec<f64>> {
        horizons.iter().map(|&h| predict(h).unwrap()).collect()
    };
    let cases = [
        (
            "BG/NBD",
            bg.expected_cumulative_purchases(&summary, &horizons),
            each_horizon(&|h| bg.expected_purchases(&summary, h)),
        ),
        (
            "MBG/NBD",
            mbg.expected_cumulative_purchases(&summary, &horizons),
            each_horizon(&|h| mbg.expected_purchases(&summary, h)),
        ),
        (
            "MBG/NBD, point-mass drop-out",
            point_mass.expected_cumulative_purchases(&summary, &horizons),
            each_horizon(&|h| point_mass.expected_purchases(&summary, h)),
        ),
        (
            "Pareto/NBD",
            pareto.expected_cumulative_purchases(&summary, &horizons),
            each_horizon(&|h| pareto.expected_purchases(&summary, h)),
        ),
    ];
    for (name, curve, each) in cases {
        let curve = curve.unwrap();
        let sums: Vec<f64> = each.iter().map(|e| e.iter().sum()).collect();
        assert_eq!(curve.total, sums, "{name}");
        assert_eq!(&curve.per_customer_at_last, each.last().unwrap(), "{name}");
        assert_eq!(
            curve.total[39], 0.0,
            "{name}: nothing is expected in no time"
        );
    }
}

#[test]
fn cumulative_purchases_need_horizons_that_are_lengths_of_time() {
    let data = cdnow();
    let summary = CustomerSummary::new(&data.x, &data.t_x, &data.t).unwrap();
    let bg = fit(BetaGeoVariant::BgNbd, &data);
    let pareto = ParetoNbdParams::new()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    for horizons in [
        &[][..],
        &[1.0, -1.0][..],
        &[f64::NAN][..],
        &[f64::INFINITY][..],
    ] {
        for result in [
            bg.expected_cumulative_purchases(&summary, horizons),
            pareto.expected_cumulative_purchases(&summary, horizons),
        ] {
            assert!(
                matches!(result, Err(Error::InvalidParameter { .. })),
                "{horizons:?}: {result:?}"
            );
        }
    }
}
