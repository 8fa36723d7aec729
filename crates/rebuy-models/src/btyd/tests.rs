//! Golden tests on the CDNOW sample (published figures and lifetimes 0.11.3's numbers, see
//! docs/reference/btyd/), simulation checks of the predictions, and extreme inputs.

use super::*;
use crate::Error;

const SUMMARY: &str = include_str!("testdata/cdnow_customers_summary_with_transactions.csv");
/// lifetimes 0.11.3 on the same summary, written by docs/reference/btyd/cdnow_reference.py.
const LIFETIMES: &str = include_str!("testdata/cdnow_lifetimes_predictions.csv");

/// Columns of a small numeric CSV with a header, the first column (the id) dropped.
fn columns(csv: &str) -> Vec<Vec<f64>> {
    let mut lines = csv.lines();
    let width = lines.next().map_or(0, |h| h.split(',').count());
    let mut out = vec![Vec::new(); width - 1];
    for line in lines.filter(|l| !l.is_empty()) {
        for (column, field) in out.iter_mut().zip(line.split(',').skip(1)) {
            column.push(field.parse().expect("number"));
        }
    }
    out
}

struct Cdnow {
    x: Vec<f64>,
    t_x: Vec<f64>,
    t: Vec<f64>,
    zbar: Vec<f64>,
}

fn cdnow() -> Cdnow {
    let mut c = columns(SUMMARY).into_iter();
    let mut next = || c.next().expect("column");
    Cdnow {
        x: next(),
        t_x: next(),
        t: next(),
        zbar: next(),
    }
}

fn fit(variant: BetaGeoVariant, data: &Cdnow) -> BetaGeoModel {
    let summary = CustomerSummary::new(&data.x, &data.t_x, &data.t).unwrap();
    BetaGeoParams::new(variant)
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap()
}

fn max_abs_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn bg_nbd_reproduces_the_published_cdnow_fit() {
    let data = cdnow();
    let model = fit(BetaGeoVariant::BgNbd, &data);
    // Fader, Hardie & Lee (2005), section 5 (and lifetimes' own test).
    for (got, published) in [
        (model.r, 0.2426),
        (model.alpha, 4.4135),
        (model.a, 0.7929),
        (model.b, 2.4258),
    ] {
        assert!((got - published).abs() < 1e-3, "{got} vs {published}");
    }
    assert!(
        (model.report.log_likelihood - -9582.43).abs() < 0.01,
        "{}",
        model.report.log_likelihood
    );
    assert!(
        model
            .report
            .parameters
            .iter()
            .all(|p| p.standard_error.is_some_and(|e| e > 0.0 && e < p.value))
    );
    let first = CustomerSummary::new(&data.x[..1], &data.t_x[..1], &data.t[..1]).unwrap();
    let expected = model.expected_purchases(&first, 39.0).unwrap()[0];
    assert!((expected - 1.226).abs() < 1e-3, "customer 1: {expected}");
}

#[test]
fn mbg_nbd_reproduces_the_published_cdnow_fit() {
    let model = fit(BetaGeoVariant::MbgNbd, &cdnow());
    // Batislam et al. (2007) as reproduced by lifetimes' ModifiedBetaGeoFitter test.
    for (got, published) in [
        (model.r, 0.525),
        (model.alpha, 6.183),
        (model.a, 0.891),
        (model.b, 1.614),
    ] {
        assert!((got - published).abs() < 1e-3, "{got} vs {published}");
    }
}

#[test]
fn predictions_match_lifetimes_on_every_cdnow_customer() {
    let data = cdnow();
    let reference = columns(LIFETIMES);
    let summary = CustomerSummary::new(&data.x, &data.t_x, &data.t).unwrap();
    for (variant, column, new_customer) in [
        (BetaGeoVariant::BgNbd, 0, 1.195016228446194),
        (BetaGeoVariant::MbgNbd, 2, 1.1822837952882788),
    ] {
        let model = fit(variant, &data);
        let alive = model.probability_alive(&summary);
        assert!(
            max_abs_difference(&alive, &reference[column]) < 1e-5,
            "{variant:?} P(alive)"
        );
        let expected = model.expected_purchases(&summary, 39.0).unwrap();
        assert!(
            max_abs_difference(&expected, &reference[column + 1]) < 1e-4,
            "{variant:?} E[X(39)]"
        );
        let population = model.expected_purchases_new_customer(39.0).unwrap();
        assert!(
            (population - new_customer).abs() < 1e-5,
            "{variant:?}: {population}"
        );
    }
}

#[test]
fn calibration_vs_holdout_groups_customers_by_calibration_frequency() {
    let model = fit(BetaGeoVariant::BgNbd, &cdnow());
    // Two one-time buyers and two copies of FHL's customer 1 (x = 2, t_x = 30.43,
    // T = 38.86), who bought 0, 1, 1 and 2 times in the 39 weeks after T.
    let x = [0.0, 0.0, 2.0, 2.0];
    let t_x = [0.0, 0.0, 30.43, 30.43];
    let t = [38.86; 4];
    let summary = CustomerSummary::new(&x, &t_x, &t).unwrap();
    let rows = model
        .calibration_vs_holdout(&summary, &[0.0, 1.0, 1.0, 2.0], 39.0, 2)
        .unwrap();
    assert_eq!(rows.len(), 2);
    let (zero, repeat) = (&rows[0], &rows[1]);
    assert_eq!(
        (zero.frequency, zero.open_ended, zero.customers),
        (0, false, 2)
    );
    assert_eq!(
        (repeat.frequency, repeat.open_ended, repeat.customers),
        (1, true, 2)
    );
    assert_eq!((zero.mean_actual, repeat.mean_actual), (0.5, 1.5));
    // FHL 2005: 1.226 purchases expected of customer 1; a one-time buyer of that age is
    // alive under BG/NBD and expected to buy 0.195 times.
    assert!(
        (repeat.mean_expected - 1.226).abs() < 1e-3,
        "{}",
        repeat.mean_expected
    );
    assert!(
        (zero.mean_expected - 0.195).abs() < 5e-4,
        "{}",
        zero.mean_expected
    );
    // Seven groups: 0..5 and 6+; empty groups are left out.
    let seven = model
        .calibration_vs_holdout(&summary, &[0.0, 1.0, 1.0, 2.0], 39.0, 7)
        .unwrap();
    let groups: Vec<(usize, bool)> = seven.iter().map(|r| (r.frequency, r.open_ended)).collect();
    assert_eq!(groups, [(0, false), (2, false)]);
    assert_eq!(seven[1].mean_expected, repeat.mean_expected);
    assert!(
        model
            .calibration_vs_holdout(&summary, &[0.0; 3], 39.0, 7)
            .is_err()
    );
    assert!(
        model
            .calibration_vs_holdout(&summary, &[0.0, 1.0, f64::NAN, 0.0], 39.0, 7)
            .is_err()
    );
    assert!(
        model
            .calibration_vs_holdout(&summary, &[0.0; 4], 39.0, 0)
            .is_err()
    );
}

#[test]
fn the_frequency_recency_matrix_is_the_model_on_a_grid() {
    let model = fit(BetaGeoVariant::BgNbd, &cdnow());
    let matrix = model
        .frequency_recency_matrix(&[0.0, 1.0, 2.0], &[0.0, 30.43, 50.0], 38.86, 39.0)
        .unwrap();
    let cell = |values: &[Option<f64>], row: usize, column: usize| values[row * 3 + column];
    // No repeat purchase with a recency above 0, and nothing after T.
    let missing: Vec<usize> = (0..9)
        .filter(|&i| matrix.expected_purchases[i].is_none())
        .collect();
    assert_eq!(missing, [1, 2, 5, 8]);
    assert_eq!(
        missing,
        (0..9)
            .filter(|&i| matrix.probability_alive[i].is_none())
            .collect::<Vec<_>>()
    );
    let customer_1 = cell(&matrix.expected_purchases, 2, 1).unwrap();
    assert!((customer_1 - 1.226).abs() < 1e-3, "{customer_1}");
    assert_eq!(cell(&matrix.probability_alive, 0, 0), Some(1.0));
    let summary = CustomerSummary::new(&[1.0], &[0.0], &[38.86]).unwrap();
    assert_eq!(
        cell(&matrix.probability_alive, 1, 0),
        Some(model.probability_alive(&summary)[0])
    );
}

#[test]
fn mbg_nbd_gives_one_time_buyers_a_probability_alive_below_one() {
    let data = cdnow();
    let summary = CustomerSummary::new(&data.x, &data.t_x, &data.t).unwrap();
    let bg = fit(BetaGeoVariant::BgNbd, &data).probability_alive(&summary);
    let mbg = fit(BetaGeoVariant::MbgNbd, &data).probability_alive(&summary);
    let one_time: Vec<usize> = (0..data.x.len()).filter(|&i| data.x[i] == 0.0).collect();
    assert!(one_time.iter().all(|&i| bg[i] == 1.0));
    assert!(one_time.iter().all(|&i| mbg[i] < 0.9));
}

#[test]
fn purchase_probability_matches_integration_over_the_posterior() {
    let model = fit(BetaGeoVariant::BgNbd, &cdnow());
    // 1 - P(X = 0 | history) by scipy dblquad over (lambda, p) of the BG/NBD joint
    // likelihood at lifetimes' fitted parameters (docs/reference/btyd/cdnow_reference.py).
    let cases = [
        (2.0, 30.43, 38.86, 39.0, 0.5546074663053444),
        (0.0, 0.0, 38.86, 39.0, 0.14432783656913273),
        (5.0, 20.0, 38.0, 13.0, 0.23317557038213943),
    ];
    for (x, t_x, t, horizon, integrated) in cases {
        let (x, t_x, t) = ([x], [t_x], [t]);
        let summary = CustomerSummary::new(&x, &t_x, &t).unwrap();
        let closed_form = model.purchase_probability(&summary, horizon).unwrap()[0];
        assert!(
            (closed_form - integrated).abs() < 1e-4,
            "x={x:?}: {closed_form} vs {integrated}"
        );
    }
}

/// The tower property: over customers simulated from the model, the mean predicted
/// probability of buying again (and expected purchases) equals the observed share (count),
/// also within groups defined by the history.
#[test]
fn predictions_agree_with_what_simulated_customers_then_do() {
    for variant in [BetaGeoVariant::BgNbd, BetaGeoVariant::MbgNbd] {
        let truth = SimulationSettings {
            variant,
            r: 0.25,
            alpha: 4.4,
            a: 0.8,
            b: 2.4,
            horizon: 26.0,
            seed: 11,
        };
        let t: Vec<f64> = (0..60_000).map(|i| 12.0 + (i % 28) as f64).collect();
        let sim = simulate_customers(&truth, &t).unwrap();
        let model = BetaGeoModel {
            format_version: BETA_GEO_FORMAT_VERSION,
            variant,
            r: truth.r,
            alpha: truth.alpha,
            a: truth.a,
            b: truth.b,
            report: fit(variant, &cdnow()).report,
        };
        let summary = CustomerSummary::new(&sim.frequency, &sim.recency, &sim.t).unwrap();
        let probability = model.purchase_probability(&summary, truth.horizon).unwrap();
        let expected = model.expected_purchases(&summary, truth.horizon).unwrap();
        type Group = (&'static str, fn(f64) -> bool);
        let groups: [Group; 3] = [
            ("x = 0", |x| x == 0.0),
            ("x in 1..=3", |x| (1.0..=3.0).contains(&x)),
            ("x > 3", |x| x > 3.0),
        ];
        for (name, in_group) in groups {
            let rows: Vec<usize> = (0..t.len())
                .filter(|&i| in_group(sim.frequency[i]))
                .collect();
            let predicted: f64 = rows.iter().map(|&i| probability[i]).sum();
            let variance: f64 = rows
                .iter()
                .map(|&i| probability[i] * (1.0 - probability[i]))
                .sum();
            let observed = rows
                .iter()
                .filter(|&&i| sim.future_purchases[i] > 0.0)
                .count() as f64;
            assert!(
                (predicted - observed).abs() < 4.0 * variance.sqrt(),
                "{variant:?} {name}: {predicted} vs {observed}"
            );
            let predicted_count: f64 = rows.iter().map(|&i| expected[i]).sum();
            let observed_count: f64 = rows.iter().map(|&i| sim.future_purchases[i]).sum();
            let spread = rows
                .iter()
                .map(|&i| sim.future_purchases[i].powi(2))
                .sum::<f64>()
                .sqrt();
            assert!(
                (predicted_count - observed_count).abs() < 4.0 * spread,
                "{variant:?} {name} counts"
            );
        }
    }
}

#[test]
fn a_fit_recovers_simulated_parameters() {
    let truth = SimulationSettings {
        variant: BetaGeoVariant::BgNbd,
        r: 0.8,
        alpha: 8.0,
        a: 0.6,
        b: 3.0,
        horizon: 0.0,
        seed: 5,
    };
    let t: Vec<f64> = (0..200_000).map(|i| 10.0 + (i % 53) as f64).collect();
    let sim = simulate_customers(&truth, &t).unwrap();
    let summary = CustomerSummary::new(&sim.frequency, &sim.recency, &sim.t).unwrap();
    let model = BetaGeoParams::bg_nbd()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    for (estimate, true_value) in
        model
            .report
            .parameters
            .iter()
            .zip([truth.r, truth.alpha, truth.a, truth.b])
    {
        let error = estimate.standard_error.expect("standard error");
        assert!(
            (estimate.value - true_value).abs() < 4.0 * error,
            "{estimate:?} vs {true_value}"
        );
    }
    let again = BetaGeoParams::bg_nbd()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    assert_eq!(model, again, "the fit is deterministic");
}

#[test]
fn a_million_customers_fit_and_predict_without_nan() {
    let truth = SimulationSettings {
        variant: BetaGeoVariant::BgNbd,
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
        horizon: 0.0,
        seed: 9,
    };
    let n = 1_000_000;
    let t: Vec<f64> = (0..n).map(|i| 1.0 + 51.0 * i as f64 / n as f64).collect();
    let sim = simulate_customers(&truth, &t).unwrap();
    let summary = CustomerSummary::new(&sim.frequency, &sim.recency, &sim.t).unwrap();
    // BG/NBD only: the MBG/NBD's likelihood differs in one term, covered on smaller data.
    let model = BetaGeoParams::bg_nbd()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    assert!(model.report.status == FitStatus::Converged && model.report.log_likelihood.is_finite());
    let alive = model.probability_alive(&summary);
    let buys = model.purchase_probability(&summary, 13.0).unwrap();
    assert!(alive.iter().chain(&buys).all(|p| (0.0..=1.0).contains(p)));
}

#[test]
fn gamma_gamma_reproduces_the_published_cdnow_fit() {
    let data = cdnow();
    let model = GammaGammaParams::new()
        .validate()
        .unwrap()
        .fit(&data.x, &data.zbar)
        .unwrap();
    // Fader, Hardie & Lee, "RFM and CLV" (2005) / lifetimes' documentation.
    for (got, published) in [(model.p, 6.25), (model.q, 3.74), (model.v, 15.44)] {
        assert!((got - published).abs() < 1e-2, "{got} vs {published}");
    }
    assert_eq!(model.report.customers, 946);
    let spend = model
        .expected_average_order_value(&data.x, &data.zbar)
        .unwrap();
    for (got, published) in spend.iter().zip([24.65, 18.91, 35.17, 35.17, 35.17, 71.46]) {
        assert!((got - published).abs() < 0.1, "{got} vs {published}");
    }
    let reference = columns(LIFETIMES);
    assert!(max_abs_difference(&spend, &reference[4]) < 1e-3);
    // numpy.corrcoef on the 946 repeat buyers.
    let correlation = model.frequency_spend_correlation.expect("correlation");
    assert!((correlation - 0.11388391048600445).abs() < 1e-12);
}

#[test]
fn customer_lifetime_value_matches_lifetimes() {
    let data = cdnow();
    let summary = CustomerSummary::new(&data.x, &data.t_x, &data.t).unwrap();
    let transactions = fit(BetaGeoVariant::BgNbd, &data);
    let spend = GammaGammaParams::new()
        .validate()
        .unwrap()
        .fit(&data.x, &data.zbar)
        .unwrap();
    let order_value = spend
        .expected_average_order_value(&data.x, &data.zbar)
        .unwrap();
    // lifetimes' freq="W": 4.345 weeks a month, 12 months, 1% a month.
    let clv = ClvParams::new(4.345)
        .validate()
        .unwrap()
        .customer_lifetime_value(&transactions, &summary, &order_value)
        .unwrap();
    let reference = columns(LIFETIMES);
    for (got, want) in clv.iter().zip(&reference[5]) {
        assert!((got - want).abs() < 1e-3 * want.max(1.0), "{got} vs {want}");
    }
}

#[test]
fn extreme_customers_give_finite_predictions() {
    let data = cdnow();
    let (mut x, mut t_x, mut t) = (data.x.clone(), data.t_x.clone(), data.t.clone());
    x.push(200.0);
    t_x.push(38.0);
    t.push(38.5);
    let summary = CustomerSummary::new(&x, &t_x, &t).unwrap();
    for variant in [BetaGeoVariant::BgNbd, BetaGeoVariant::MbgNbd] {
        let model = BetaGeoParams::new(variant)
            .validate()
            .unwrap()
            .fit(&summary)
            .unwrap();
        for horizon in [0.0, 1.0, 39.0, 5200.0] {
            let expected = model.expected_purchases(&summary, horizon).unwrap();
            let probability = model.purchase_probability(&summary, horizon).unwrap();
            assert!(
                expected.iter().all(|e| e.is_finite() && *e >= 0.0),
                "{variant:?} {horizon}"
            );
            assert!(
                probability.iter().all(|p| (0.0..=1.0).contains(p)),
                "{variant:?} {horizon}"
            );
        }
        let heavy = model.expected_purchases(&summary, 39.0).unwrap()[x.len() - 1];
        assert!(
            heavy > 100.0 && heavy < 250.0,
            "{variant:?}: 200 purchases in 38 weeks, {heavy} next"
        );
    }
}

#[test]
fn one_time_buyers_only_is_a_clear_error() {
    let x = vec![0.0; 100];
    let t_x = vec![0.0; 100];
    let t: Vec<f64> = (0..100).map(|i| 1.0 + i as f64).collect();
    let summary = CustomerSummary::new(&x, &t_x, &t).unwrap();
    for params in [BetaGeoParams::bg_nbd(), BetaGeoParams::mbg_nbd()] {
        let err = params.validate().unwrap().fit(&summary).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput(_)) && err.to_string().contains("one-time buyers"),
            "{err}"
        );
    }
    let err = GammaGammaParams::new()
        .validate()
        .unwrap()
        .fit(&x, &vec![10.0; 100])
        .unwrap_err();
    assert!(err.to_string().contains("repeat buyers"), "{err}");
}

#[test]
fn failures_say_what_to_try() {
    let data = cdnow();
    let summary = CustomerSummary::new(&data.x, &data.t_x, &data.t).unwrap();
    let err = BetaGeoParams::bg_nbd()
        .max_iterations(2)
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap_err();
    assert!(
        matches!(err, Error::NotConverged { .. }) && err.to_string().contains("penalty"),
        "{err}"
    );
    assert!(matches!(
        BetaGeoParams::bg_nbd().penalty(-1.0).validate(),
        Err(Error::InvalidParameter {
            name: "penalty",
            ..
        })
    ));
    assert!(matches!(
        ClvParams::new(0.0).validate(),
        Err(Error::InvalidParameter {
            name: "periods_per_month",
            ..
        })
    ));
    let model = fit(BetaGeoVariant::BgNbd, &data);
    assert!(model.expected_purchases(&summary, -1.0).is_err());
    assert!(model.purchase_probability(&summary, f64::NAN).is_err());
}

#[test]
fn a_penalty_shrinks_the_parameters() {
    let data = cdnow();
    let summary = CustomerSummary::new(&data.x, &data.t_x, &data.t).unwrap();
    let plain = fit(BetaGeoVariant::BgNbd, &data);
    let penalised = BetaGeoParams::bg_nbd()
        .penalty(0.01)
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    let size = |m: &BetaGeoModel| m.r.powi(2) + m.alpha.powi(2) + m.a.powi(2) + m.b.powi(2);
    assert!(size(&penalised) < size(&plain));
    assert!(penalised.report.log_likelihood < plain.report.log_likelihood);
}

#[test]
fn models_round_trip_through_json() {
    let data = cdnow();
    let model = fit(BetaGeoVariant::MbgNbd, &data);
    assert_eq!(
        BetaGeoModel::from_json(&model.to_json().unwrap()).unwrap(),
        model
    );
    let newer = model
        .to_json()
        .unwrap()
        .replace("\"format_version\": 1", "\"format_version\": 99");
    assert!(matches!(
        BetaGeoModel::from_json(&newer),
        Err(Error::Format(_))
    ));
    let spend = GammaGammaParams::new()
        .validate()
        .unwrap()
        .fit(&data.x, &data.zbar)
        .unwrap();
    assert_eq!(
        GammaGammaModel::from_json(&spend.to_json().unwrap()).unwrap(),
        spend
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Small valid summaries of arbitrary shape: any mix of one-time and repeat buyers, ages
    /// up to 400 days. Their likelihood often has its supremum at infinity (no drop-out, no
    /// heterogeneity), so most fits are errors: the point is that nothing panics or is NaN.
    fn arbitrary_summaries() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>)> {
        proptest::collection::vec((0u32..60, 0.0f64..=1.0, 0.0f64..400.0), 1..40).prop_map(|rows| {
            let x: Vec<f64> = rows.iter().map(|r| f64::from(r.0)).collect();
            let t: Vec<f64> = rows.iter().map(|r| r.2).collect();
            let t_x = rows
                .iter()
                .map(|r| if r.0 == 0 { 0.0 } else { r.1 * r.2 })
                .collect();
            (x, t_x, t)
        })
    }

    /// Summaries drawn from the model itself with random parameters: fits should succeed.
    fn model_summaries() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>)> {
        (
            0.1f64..3.0,
            1.0f64..50.0,
            0.2f64..3.0,
            0.5f64..10.0,
            any::<u64>(),
        )
            .prop_map(|(r, alpha, a, b, seed)| {
                let truth = SimulationSettings {
                    variant: BetaGeoVariant::BgNbd,
                    r,
                    alpha,
                    a,
                    b,
                    horizon: 0.0,
                    seed,
                };
                let t: Vec<f64> = (0..2000).map(|i| 10.0 + (i % 390) as f64).collect();
                let sim = simulate_customers(&truth, &t).unwrap();
                (sim.frequency, sim.recency, sim.t)
            })
    }

    /// Fits both transaction models and checks every prediction; returns how many fitted.
    fn check_predictions(x: &[f64], t_x: &[f64], t: &[f64]) -> Result<usize, TestCaseError> {
        let summary = CustomerSummary::new(x, t_x, t).unwrap();
        let mut fitted = 0;
        for params in [BetaGeoParams::bg_nbd(), BetaGeoParams::mbg_nbd()] {
            let Ok(model) = params.validate().unwrap().fit(&summary) else {
                continue;
            };
            fitted += 1;
            prop_assert!(model.report.log_likelihood.is_finite());
            for horizon in [0.0, 30.0, 1000.0] {
                let buys = model.purchase_probability(&summary, horizon).unwrap();
                let orders = model.expected_purchases(&summary, horizon).unwrap();
                prop_assert!(buys.iter().all(|p| (0.0..=1.0).contains(p)));
                prop_assert!(orders.iter().all(|e| e.is_finite() && *e >= 0.0));
            }
            prop_assert!(
                model
                    .probability_alive(&summary)
                    .iter()
                    .all(|p| (0.0..=1.0).contains(p))
            );
        }
        Ok(fitted)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn arbitrary_summaries_give_finite_predictions_or_errors((x, t_x, t) in arbitrary_summaries(), spend in 0.5f64..500.0) {
            check_predictions(&x, &t_x, &t)?;
            let monetary: Vec<f64> = (0..x.len()).map(|i| spend * (1.0 + (i % 7) as f64)).collect();
            let spend_model = GammaGammaParams::new().validate().unwrap().fit(&x, &monetary);
            if let Ok(values) = spend_model.and_then(|m| m.expected_average_order_value(&x, &monetary)) {
                prop_assert!(values.iter().all(|v| v.is_finite() && *v > 0.0));
            }
        }

        #[test]
        fn summaries_from_the_model_fit((x, t_x, t) in model_summaries()) {
            prop_assert!(check_predictions(&x, &t_x, &t)? >= 1, "neither model fitted");
        }
    }
}

mod holdout;
mod honest_fits;
mod pareto_nbd;

/// A fit that drifts towards a fixed drop-out chance ends with `a` and `b` in the
/// hundreds of thousands (seen on generated data: MBG/NBD a = 1.4e5, b = 3.4e6). Euler's
/// series overflows there; the expected purchases must still be lifetimes' (0.11.3,
/// `conditional_expected_number_of_purchases_up_to_time(90, x, t_x, T)` with these
/// parameters), never a NaN turned into 0.
#[test]
fn expected_purchases_match_lifetimes_when_the_drop_out_beta_is_nearly_a_point_mass() {
    let (x, t_x, t) = ([2.0, 0.0, 10.0], [13.0, 0.0, 300.0], [35.0, 100.0, 400.0]);
    let summary = CustomerSummary::new(&x, &t_x, &t).unwrap();
    for (variant, lifetimes) in [
        (
            BetaGeoVariant::BgNbd,
            [2.737261326212762, 0.26999332399709647, 1.26925621057297],
        ),
        (
            BetaGeoVariant::MbgNbd,
            [2.737261470420853, 0.25167127414254853, 1.2692563702116062],
        ),
    ] {
        let mut model = fit(variant, &cdnow());
        (model.r, model.alpha, model.a, model.b) = (
            0.39734138081334486,
            30.000494453597263,
            139984.26377048498,
            3443280.124213404,
        );
        let expected = model.expected_purchases(&summary, 90.0).unwrap();
        for (got, want) in expected.iter().zip(lifetimes) {
            assert!(
                (got - want).abs() < 1e-6 * want,
                "{variant:?}: {got} vs {want}"
            );
        }
    }
}
