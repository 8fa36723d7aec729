//! Fit time, predict throughput and test metrics of the three purchase classifiers.
//!
//! Synthetic problem (the speed benchmark of docs/benchmarks.md):
//! `cargo run --release -p rebuy-models --example bench_classifiers -- [--rows N] [--forest-trees N] [--write DIR]`
//! (defaults: 1 000 000 training rows, 200 forest trees; with `--write` the forest's test
//! probabilities go to `DIR/forest_test_proba.f64`); `--models forest` (or any
//! comma-separated subset of `boosted,forest,logistic`) fits only those. `--write DIR` also saves the
//! generated sets as raw little-endian `f64` rows and `u8` labels, so that
//! docs/reference/trees/bench_python.py times scikit-learn and XGBoost on the same numbers.
//!
//! Reference problem (docs/classifiers.md): `-- --load DIR` reads the train and test sets
//! written by docs/reference/trees/reference_problem.py instead.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rebuy_models::boosting::BoostedTreesParams;
use rebuy_models::classifier::{Classifier, Fit};
use rebuy_models::forest::RandomForestParams;
use rebuy_models::logistic::{LogisticRegressionParams, sigmoid};
use rebuy_models::matrix::Matrix;
use rebuy_models::metrics;

const N_FEATURES: usize = 10;

/// Ten customer-like features (skewed money and counts, days, noise, 5 % missing in one)
/// and a label drawn from a non-linear logistic model of them.
fn synthetic(n_rows: usize, seed: u64) -> (Matrix, Vec<bool>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut values = Vec::with_capacity(n_rows * N_FEATURES);
    let mut labels = Vec::with_capacity(n_rows);
    for _ in 0..n_rows {
        let recency_days = rng.random::<f64>() * 365.0;
        let orders = (-rng.random::<f64>().ln() * 3.0).floor() + 1.0;
        let spend = orders * (-rng.random::<f64>().ln() * 40.0 + 5.0);
        let tenure_days = recency_days + rng.random::<f64>() * 400.0;
        let returns = (rng.random::<f64>() * orders * 0.3).floor();
        let noise: [f64; 4] = std::array::from_fn(|_| rng.random::<f64>());
        let basket = if rng.random::<f64>() < 0.05 {
            f64::NAN
        } else {
            spend / orders
        };
        let z = 1.2 - recency_days / 70.0 + 0.6 * orders.ln() + 0.3 * (spend / 100.0).min(3.0)
            - 0.4 * returns.min(2.0)
            + if basket.is_nan() {
                0.5
            } else {
                (basket / 50.0).min(2.0) - 0.5
            }
            + 0.8 * (noise[0] - 0.5) * f64::from(u8::from(tenure_days > 300.0));
        labels.push(rng.random::<f64>() < sigmoid(z));
        values.extend([recency_days, orders, spend, tenure_days, returns, basket]);
        values.extend(noise);
    }
    let names = [
        "recency_days",
        "orders",
        "spend",
        "tenure_days",
        "returns",
        "basket",
        "noise_a",
        "noise_b",
        "noise_c",
        "noise_d",
    ];
    let matrix = Matrix::new(n_rows, N_FEATURES, values)
        .and_then(|m| m.with_column_names(names.iter().map(|s| s.to_string()).collect()))
        .expect("synthetic shape is right");
    (matrix, labels)
}

fn write_raw(dir: &Path, name: &str, features: &Matrix, labels: &[bool]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{name}_x.f64")))?);
    for value in features.values() {
        file.write_all(&value.to_le_bytes())?;
    }
    let labels: Vec<u8> = labels.iter().map(|&b| u8::from(b)).collect();
    std::fs::write(dir.join(format!("{name}_y.u8")), labels)
}

fn read_raw(dir: &Path, name: &str, names: &[String]) -> (Matrix, Vec<bool>) {
    let bytes = std::fs::read(dir.join(format!("{name}_x.f64"))).expect("features file");
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let labels: Vec<bool> = std::fs::read(dir.join(format!("{name}_y.u8")))
        .expect("labels file")
        .into_iter()
        .map(|b| b == 1)
        .collect();
    let matrix = Matrix::new(labels.len(), names.len(), values)
        .and_then(|m| m.with_column_names(names.to_vec()))
        .expect("rows x columns values");
    (matrix, labels)
}

/// Missing values replaced by the training column mean (scikit-learn's `SimpleImputer`),
/// because the logistic model is fitted on finite values only.
fn mean_imputed(features: &Matrix) -> Matrix {
    let n_cols = features.n_cols();
    let means: Vec<f64> = (0..n_cols)
        .map(|c| {
            let present: Vec<f64> = features
                .column(c)
                .into_iter()
                .filter(|v| !v.is_nan())
                .collect();
            present.iter().sum::<f64>() / present.len().max(1) as f64
        })
        .collect();
    let values = features
        .values()
        .iter()
        .enumerate()
        .map(|(i, v)| if v.is_nan() { means[i % n_cols] } else { *v })
        .collect();
    Matrix::new(features.n_rows(), n_cols, values)
        .and_then(|m| m.with_column_names(features.column_names().to_vec()))
        .expect("same shape")
}

fn report<M: Classifier>(name: &str, fit: impl FnOnce() -> M, test: &Matrix, labels: &[bool]) -> M {
    let start = Instant::now();
    let model = fit();
    let fit_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let probabilities = model.predict_proba(test).expect("test set matches");
    let predict_seconds = start.elapsed().as_secs_f64();
    let m = metrics::evaluate(labels, &probabilities).expect("both classes");
    let rows_per_second = test.n_rows() as f64 / predict_seconds;
    println!(
        "| {name} | {fit_seconds:.2} | {predict_seconds:.3} | {:.2} M | {:.4} | {:.4} | {:.4} | {:.4} |",
        rows_per_second / 1e6,
        m.roc_auc,
        m.average_precision,
        m.log_loss,
        m.brier_score
    );
    model
}

/// User + system CPU time of this process from `/proc/self/stat` (Linux), in seconds:
/// on a loaded machine wall time overstates the cost of the work itself.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

struct Options {
    rows: usize,
    forest_trees: usize,
    write: Option<String>,
    load: Option<String>,
    /// Comma-separated subset of `boosted,forest,logistic` (default: all).
    models: Option<String>,
}

impl Options {
    fn wants(&self, model: &str) -> bool {
        self.models
            .as_deref()
            .is_none_or(|list| list.split(',').any(|m| m.trim() == model))
    }
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    Options {
        rows: value("--rows")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000),
        forest_trees: value("--forest-trees")
            .and_then(|v| v.parse().ok())
            .unwrap_or(200),
        write: value("--write"),
        load: value("--load"),
        models: value("--models"),
    }
}

fn main() {
    let options = options();
    let (train, train_labels, test, test_labels, log1p) = match &options.load {
        Some(dir) => {
            let columns: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(Path::new(dir).join("columns.json"))
                    .expect("columns.json"),
            )
            .expect("columns.json is JSON");
            let strings = |key: &str| -> Vec<String> {
                columns[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            };
            let names = strings("names");
            let (train, train_labels) = read_raw(Path::new(dir), "train", &names);
            let (test, test_labels) = read_raw(Path::new(dir), "test", &names);
            (train, train_labels, test, test_labels, strings("log1p"))
        }
        None => {
            let (train, train_labels) = synthetic(options.rows, 1);
            let (test, test_labels) = synthetic(options.rows.min(200_000), 2);
            let log1p = ["orders", "spend", "returns", "basket"]
                .map(String::from)
                .to_vec();
            (train, train_labels, test, test_labels, log1p)
        }
    };
    if let Some(dir) = &options.write {
        write_raw(Path::new(dir), "train", &train, &train_labels).expect("data dir is writable");
        write_raw(Path::new(dir), "test", &test, &test_labels).expect("data dir is writable");
    }
    println!(
        "{} x {} train, {} test rows, {} threads",
        train.n_rows(),
        train.n_cols(),
        test.n_rows(),
        rayon::current_num_threads()
    );
    println!(
        "| model | fit s | predict s | predict rows/s | ROC-AUC | PR-AUC (AP) | log loss | Brier |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    if options.wants("boosted") {
        boosted_trees(&train, &train_labels, &test, &test_labels);
    }
    let trees = options.forest_trees;
    if trees > 0 && options.wants("forest") {
        let forest = RandomForestParams::default()
            .n_trees(trees)
            .validate()
            .expect("valid");
        let model = report(
            &format!("random forest ({trees} trees)"),
            || forest.fit(&train, &train_labels).expect("fit"),
            &test,
            &test_labels,
        );
        if let Some(dir) = &options.write {
            // Kept so a change to the learner can be checked for bit-identical output.
            let probabilities = model.predict_proba(&test).expect("test set matches");
            let bytes: Vec<u8> = probabilities.iter().flat_map(|p| p.to_le_bytes()).collect();
            std::fs::write(Path::new(dir).join("forest_test_proba.f64"), bytes)
                .expect("data dir is writable");
        }
    }
    if options.wants("logistic") {
        let imputed = mean_imputed(&train);
        let logistic = LogisticRegressionParams::default()
            .log1p_columns(Some(log1p))
            .validate()
            .expect("valid");
        let _ = report(
            "logistic regression (l2 1)",
            || logistic.fit(&imputed, &train_labels).expect("fit"),
            &test,
            &test_labels,
        );
    }
}

/// Fits the boosted trees, then times their prediction on one thread too.
fn boosted_trees(train: &Matrix, train_labels: &[bool], test: &Matrix, test_labels: &[bool]) {
    let boosting = BoostedTreesParams::default()
        .validate()
        .expect("defaults are valid");
    let boosted = report(
        "boosted trees (300, depth 4, eta 0.05)",
        || boosting.fit(train, train_labels).expect("fit"),
        test,
        test_labels,
    );
    // Throughput per core: the same prediction on a one-thread pool.
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool");
    let (start, cpu_start) = (Instant::now(), cpu_seconds());
    let _ = one_thread
        .install(|| boosted.predict_proba(test))
        .expect("test set matches");
    let per_core = test.n_rows() as f64 / start.elapsed().as_secs_f64();
    let per_cpu_second = cpu_seconds()
        .zip(cpu_start)
        .map_or(f64::NAN, |(end, start)| {
            test.n_rows() as f64 / (end - start)
        });
    println!(
        "| boosted trees, predict on 1 thread | | | {:.2} M ({:.2} M per CPU-second) | | | | |",
        per_core / 1e6,
        per_cpu_second / 1e6
    );
}
