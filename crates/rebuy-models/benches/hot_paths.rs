//! The models' hot paths, timed by criterion: one k-means restart, growing one tree
//! (binning and the split search), scoring one customer with each classifier, and the
//! BG/NBD and Pareto/NBD log-likelihoods that their fits evaluate hundreds of times, and the
//! hold-out comparison of the transaction models (fit, check and tracking curve).
//!
//! `cargo bench -p rebuy-models --bench hot_paths` (docs/benchmarks.md, "Hot paths").
//! The data are generated here with fixed seeds, so two runs time the same work.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rebuy_models::boosting::BoostedTreesParams;
use rebuy_models::btyd::{
    BetaGeoParams, BetaGeoVariant, ComparedModel, CustomerSummary, HoldoutComparison, HoldoutData,
    ParetoNbdModel, ParetoNbdParams, ParetoNbdSimulation, SimulatedCustomers, SimulationSettings,
    simulate_customers, simulate_pareto_nbd,
};
use rebuy_models::classifier::{Classifier, Fit};
use rebuy_models::forest::RandomForestParams;
use rebuy_models::kmeans::KMeansParams;
use rebuy_models::logistic::LogisticRegressionParams;
use rebuy_models::matrix::Matrix;

/// `rows` x `columns` standard-normal-ish features and a label that depends on the first
/// two, so trees have splits worth finding.
fn classification_data(rows: usize, columns: usize) -> (Matrix, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let values: Vec<f64> = (0..rows * columns)
        .map(|_| rng.random::<f64>() * 2.0 - 1.0)
        .collect();
    let labels = values
        .chunks(columns)
        .map(|row| row[0] + 0.5 * row[1] + 0.3 * (rng.random::<f64>() - 0.5) > 0.0)
        .collect();
    (Matrix::new(rows, columns, values).unwrap(), labels)
}

fn kmeans(c: &mut Criterion) {
    let (data, _) = classification_data(100_000, 3);
    // One restart of ten Lloyd iterations (tolerance 0: no early stop).
    let params = KMeansParams::new(8)
        .n_init(1)
        .max_iter(10)
        .tolerance(0.0)
        .validate()
        .unwrap();
    c.bench_function(
        "kmeans: 100k x 3, k = 8, one restart of 10 iterations",
        |b| b.iter(|| params.fit(black_box(&data)).unwrap()),
    );
}

fn split_search(c: &mut Criterion) {
    let (data, labels) = classification_data(100_000, 8);
    let params = BoostedTreesParams::default()
        .n_trees(1)
        .early_stopping_rounds(None)
        .validate()
        .unwrap();
    c.bench_function("one boosted tree: 100k x 8 (binning + split search)", |b| {
        b.iter(|| params.fit(black_box(&data), &labels).unwrap())
    });
}

fn predict_one_row(c: &mut Criterion) {
    let (data, labels) = classification_data(10_000, 8);
    let row = Matrix::new(1, 8, data.row(0).to_vec()).unwrap();
    let boosted = BoostedTreesParams::default()
        .validate()
        .unwrap()
        .fit(&data, &labels)
        .unwrap();
    let forest = RandomForestParams::default()
        .validate()
        .unwrap()
        .fit(&data, &labels)
        .unwrap();
    let logistic = LogisticRegressionParams::default()
        .validate()
        .unwrap()
        .fit(&data, &labels)
        .unwrap();
    let mut group = c.benchmark_group("predict one customer");
    group.bench_function("boosted trees", |b| {
        b.iter(|| boosted.predict_proba(black_box(&row)).unwrap())
    });
    group.bench_function("random forest", |b| {
        b.iter(|| forest.predict_proba(black_box(&row)).unwrap())
    });
    group.bench_function("logistic regression", |b| {
        b.iter(|| logistic.predict_proba(black_box(&row)).unwrap())
    });
    group.finish();
}

/// 100k customer ages, uniform over 10 to 40 weeks.
fn ages() -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    (0..100_000)
        .map(|_| 10.0 + 30.0 * rng.random::<f64>())
        .collect()
}

fn bg_nbd_likelihood(c: &mut Criterion) {
    let ages = ages();
    let settings = SimulationSettings {
        variant: BetaGeoVariant::BgNbd,
        r: 0.24,
        alpha: 4.4,
        a: 0.79,
        b: 2.43,
        horizon: 13.0,
        seed: 3,
    };
    let customers = simulate_customers(&settings, &ages).unwrap();
    let summary =
        CustomerSummary::new(&customers.frequency, &customers.recency, &customers.t).unwrap();
    let model = BetaGeoParams::bg_nbd()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    c.bench_function("BG/NBD log-likelihood: 100k customers", |b| {
        b.iter(|| model.log_likelihood(black_box(&summary)))
    });
}

/// The Pareto/NBD log-likelihood where its drop-out integral is a short series (the CDNOW
/// estimates, alpha close to beta), on the ridge a fit in which nobody leaves walks along
/// (alpha and beta 30x apart, z 0.8-0.97), and with alpha and beta a million times apart
/// (z = 1 - 1e-6), where the series needed up to 100k terms.
fn pareto_nbd_likelihood(c: &mut Criterion) {
    let truth = ParetoNbdSimulation {
        r: 0.553,
        alpha: 10.578,
        s: 0.606,
        beta: 11.669,
        horizon: 0.0,
        seed: 3,
    };
    let customers = simulate_pareto_nbd(&truth, &ages()).unwrap();
    let summary =
        CustomerSummary::new(&customers.frequency, &customers.recency, &customers.t).unwrap();
    let model = ParetoNbdParams::new()
        .validate()
        .unwrap()
        .fit(&summary)
        .unwrap();
    let mut group = c.benchmark_group("Pareto/NBD log-likelihood: 100k customers");
    for (name, s, beta) in [
        ("alpha close to beta", model.s, model.beta),
        ("ridge, beta 30x alpha", 0.03, 315.0),
        ("beta 1e6 x alpha", 0.6, 1e7),
    ] {
        let at = ParetoNbdModel {
            s,
            beta,
            ..model.clone()
        };
        group.bench_function(name, |b| b.iter(|| at.log_likelihood(black_box(&summary))));
    }
    group.finish();
}

/// One model's row of the hold-out comparison on 5,000 simulated customers in weeks, over a
/// hold-out of 273 days (39 weeks: 39 points on the tracking curve, as the real sheet's).
fn holdout_comparison(c: &mut Criterion) {
    const HOLDOUT_DAYS: u32 = 273;
    let horizon = f64::from(HOLDOUT_DAYS) / 7.0;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let ages: Vec<f64> = (0..5_000)
        .map(|_| 10.0 + 52.0 * rng.random::<f64>())
        .collect();
    let mbg_nbd = SimulationSettings {
        variant: BetaGeoVariant::MbgNbd,
        r: 0.24,
        alpha: 4.4,
        a: 0.79,
        b: 2.43,
        horizon,
        seed: 3,
    };
    // Drop-out rates so low that nobody leaves: the degenerate Pareto/NBD fit of the real
    // sheet, whose drop-out integrals are the costly ones.
    let nobody_leaves = ParetoNbdSimulation {
        r: 0.553,
        alpha: 10.578,
        s: 0.5,
        beta: 1e5,
        horizon,
        seed: 3,
    };
    let cases = [
        (
            "MBG/NBD customers",
            simulate_customers(&mbg_nbd, &ages).unwrap(),
            &[
                ComparedModel::BetaGeo(BetaGeoVariant::BgNbd),
                ComparedModel::BetaGeo(BetaGeoVariant::MbgNbd),
                ComparedModel::ParetoNbd,
            ][..],
        ),
        (
            "nobody leaves",
            simulate_pareto_nbd(&nobody_leaves, &ages).unwrap(),
            &[ComparedModel::ParetoNbd][..],
        ),
    ];
    let mut group = c.benchmark_group("hold-out comparison: 5,000 customers");
    for (name, customers, models) in &cases {
        let SimulatedCustomers {
            frequency,
            recency,
            t,
            future_purchases,
        } = customers;
        let summary = CustomerSummary::new(frequency, recency, t).unwrap();
        // Only each customer's total is simulated: put all of them on the last day.
        let mut per_day = vec![0; HOLDOUT_DAYS as usize];
        per_day[HOLDOUT_DAYS as usize - 1] = future_purchases.iter().sum::<f64>() as u32;
        let data = HoldoutData {
            calibration: &summary,
            actual: future_purchases,
            actual_per_day: &per_day,
            units_per_day: 1.0 / 7.0,
        };
        for &model in *models {
            group.bench_function(format!("{name}, {}", model.name()), |b| {
                b.iter(|| {
                    HoldoutComparison::run(
                        black_box(data),
                        &[model],
                        "2026-01-01".into(),
                        HOLDOUT_DAYS,
                    )
                    .unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(
    hot_paths,
    kmeans,
    split_search,
    predict_one_row,
    bg_nbd_likelihood,
    pareto_nbd_likelihood,
    holdout_comparison
);
criterion_main!(hot_paths);
