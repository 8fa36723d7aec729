//! End-to-end: purchase models in `rebuy run`, `rebuy predict` and `rebuy score` on
//! generated data.

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

use rebuy_models::classifier::AnyClassifier;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn rebuy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rebuy"))
        .args(args)
        .output()
        .expect("the rebuy binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn work_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("models-{}", std::process::id()))
}

/// Generated transactions of 2,000 customers, written once per test process.
fn transactions() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = work_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("transactions.csv.gz");
        let generated = rebuy(&[
            "generate",
            "--customers",
            "2000",
            "--out",
            data.to_str().unwrap(),
            "--seed",
            "7",
        ]);
        assert!(generated.status.success(), "{}", text(&generated.stderr));
        data
    })
}

fn run(name: &str, extra: &[&str]) -> (PathBuf, Output) {
    let out = work_dir().join(name);
    let mut args = vec![
        "run",
        "--input",
        transactions().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--k",
        "4",
    ];
    args.extend(extra);
    let result = rebuy(&args);
    assert!(result.status.success(), "{}", text(&result.stderr));
    (out, result)
}

/// The default (out-of-time) run, shared by the tests of this file.
fn default_run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| run("run", &[]).0)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn column(path: &Path, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let index = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("{} has no column {name}", path.display()));
    reader
        .records()
        .map(|r| r.unwrap()[index].to_string())
        .collect()
}

#[test]
fn metrics_follow_the_contract_and_the_models_load_back() {
    let run = default_run();
    let metrics = json(&run.join("metrics.json"));
    assert_eq!(metrics["evaluation"], "out_of_time");
    assert_eq!(metrics["horizon_days"], 90);
    for key in ["as_of", "n_train", "n_test", "positive_rate", "chosen"] {
        assert!(!metrics[key].is_null(), "metrics.json lacks {key}");
    }
    let models = metrics["models"].as_array().unwrap();
    let names: Vec<&str> = models.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "logistic_regression",
            "random_forest",
            "gradient_boosting",
            "rfm_only",
            "bg_nbd",
            "baseline_recency"
        ]
    );
    for model in models {
        for key in [
            "accuracy",
            "roc_auc",
            "pr_auc",
            "log_loss",
            "brier",
            "validation_roc_auc",
        ] {
            let value = model[key].as_f64().unwrap();
            assert!(value.is_finite(), "{key} of {}", model["name"]);
        }
        let confusion = &model["confusion_matrix"];
        let total: u64 = ["tn", "fp", "fn", "tp"]
            .iter()
            .map(|k| confusion[k].as_u64().unwrap())
            .sum();
        assert_eq!(total, metrics["n_test"].as_u64().unwrap());
        assert_eq!(model["calibration"].as_array().unwrap().len(), 10);
        assert_eq!(model["lift"].as_array().unwrap().len(), 10);
    }
    let chosen = metrics["chosen"].as_str().unwrap();
    let chosen_row = models.iter().find(|m| m["name"] == chosen).unwrap();
    let best_validation = models[..3]
        .iter()
        .map(|m| m["validation_roc_auc"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    assert_eq!(
        chosen_row["validation_roc_auc"].as_f64(),
        Some(best_validation)
    );
    let auc = chosen_row["roc_auc"].as_f64().unwrap();
    let baseline = models[5]["roc_auc"].as_f64().unwrap();
    assert!(
        auc > 0.6 || auc > baseline,
        "chosen AUC {auc}, baseline {baseline}"
    );

    let features_of = |name: &str| if name == "rfm_only" { 3 } else { 29 };
    for name in &names[..4] {
        let file = json(&run.join(format!("models/{name}.json")));
        assert_eq!(file["format_version"], 3);
        // The span of every input among the training customers, for the answer's
        // `outside_training_range`.
        let ranges = file["training_ranges"].as_object().unwrap();
        assert_eq!(ranges.len(), features_of(name));
        for (feature, range) in ranges {
            let (min, max) = (range["min"].as_f64(), range["max"].as_f64());
            assert!(min <= max && min.is_some(), "{name} {feature}: {range}");
        }
        assert_eq!(file["chosen"], *name == chosen);
        let features = features_of(name);
        assert_eq!(file["feature_names"].as_array().unwrap().len(), features);
        assert!(file["training_window"]["as_of"].is_string());
        assert_eq!(file["monotone"]["recency_days"], "decreasing");
        assert_eq!(
            file["churn_risk_thresholds"],
            serde_json::json!([0.25, 0.5])
        );
        let model = AnyClassifier::from_json(&file["model"].to_string()).unwrap();
        assert_eq!(model.feature_names().len(), features);
    }
    // The R/F/M-only model is the kind with the best validation ROC-AUC on R, F, M.
    let rfm_only = &models[3];
    let candidates = rfm_only["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 3);
    let best = candidates
        .iter()
        .max_by(|a, b| {
            let auc = |c: &Value| c["validation_roc_auc"].as_f64().unwrap();
            auc(a).total_cmp(&auc(b))
        })
        .unwrap();
    assert_eq!(rfm_only["kind"], best["kind"]);
    assert_eq!(
        rfm_only["inputs"],
        serde_json::json!(["recency_days", "frequency", "monetary"])
    );
    // Calibration on the validation slice, with its effect on the test customers.
    for model in &models[..4] {
        let calibration = &model["probability_calibration"];
        assert_eq!(calibration["method"], "platt", "{}", model["name"]);
        for key in [
            "test_ece_before",
            "test_ece_after",
            "test_brier_before",
            "test_brier_after",
        ] {
            let value = calibration[key].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&value), "{key}: {value}");
        }
        assert_eq!(
            calibration["test_brier_after"].as_f64(),
            model["brier"].as_f64()
        );
    }
    let manifest = json(&run.join("manifest.json"));
    let files = manifest["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f == "metrics.json"), "{files:?}");
}

#[test]
fn customers_get_probabilities_risk_bands_and_percentiles() {
    let customers = default_run().join("customers.csv");
    let probability: Vec<f64> = column(&customers, "purchase_probability")
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(probability.iter().all(|p| (0.0..=1.0).contains(p)));
    // Bands from the fixed thresholds on the calibrated probability, not terciles.
    let risk = column(&customers, "churn_risk");
    for (p, band) in probability.iter().zip(&risk) {
        let expected = if *p < 0.25 {
            "High"
        } else if *p < 0.5 {
            "Medium"
        } else {
            "Low"
        };
        assert_eq!(band, expected, "probability {p}");
    }
    // metrics.json records the thresholds and what each band's test customers did:
    // the bands are ordered by what actually happened.
    let bands = json(&default_run().join("metrics.json"))["churn_risk_bands"].clone();
    assert_eq!(bands["thresholds"], serde_json::json!([0.25, 0.5]));
    let bands = bands["bands"].as_array().unwrap();
    let names: Vec<&str> = bands.iter().map(|b| b["band"].as_str().unwrap()).collect();
    assert_eq!(names, ["High", "Medium", "Low"]);
    let total: u64 = bands
        .iter()
        .map(|b| b["test_customers"].as_u64().unwrap())
        .sum();
    assert_eq!(
        total,
        json(&default_run().join("metrics.json"))["n_test"]
            .as_u64()
            .unwrap()
    );
    let rate = |i: usize| bands[i]["observed_buy_rate"].as_f64().unwrap();
    assert!(
        rate(0) < rate(2),
        "High risk bought less than Low risk: {bands:?}"
    );
    let percentile = column(&customers, "probability_percentile");
    assert!(percentile.iter().all(|p| {
        let p: f64 = p.parse().unwrap();
        (0.0..=100.0).contains(&p)
    }));
}

/// Every customers.csv cell in its written form: numbers as the shortest text that
/// reads back the same, the percentile with one decimal, bands and cluster names from
/// their few values, dates as YYYY-MM-DD.
#[test]
fn customers_csv_cells_are_written_in_their_forms() {
    let run = default_run();
    let mut reader = csv::Reader::from_path(run.join("customers.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let kmeans = json(&run.join("models/kmeans.json"));
    let cluster_names: Vec<&str> = kmeans["cluster_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let cell = |name: &str| &record[header.iter().position(|h| h == name).unwrap()];
        for (name, text) in header.iter().zip(&record) {
            match name.as_str() {
                "customer_id" | "rfm_segment" | "cluster_name" => {}
                "net_spend_not_positive" => assert!(["true", "false"].contains(&text), "{text}"),
                "churn_risk" => assert!(["High", "Medium", "Low"].contains(&text), "{text}"),
                "value_tier" => assert!(
                    ["top 1%", "1-5%", "5-20%", "rest"].contains(&text),
                    "{text}"
                ),
                "probability_percentile" => {
                    let p: f64 = text.parse().unwrap();
                    assert_eq!(format!("{p:.1}"), text);
                }
                "expected_next_purchase_date" => assert!(
                    text.is_empty()
                        || chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                            .is_ok_and(|d| d.to_string() == text),
                    "{text}"
                ),
                _ => assert!(
                    text.is_empty() || text.parse::<f64>().unwrap().to_string() == text,
                    "{name}: {text}"
                ),
            }
        }
        let cluster: usize = cell("cluster").parse().unwrap();
        assert_eq!(cell("cluster_name"), cluster_names[cluster]);
        rows += 1;
    }
    assert_eq!(
        rows,
        json(&run.join("manifest.json"))["counts"]["customers"]
    );
}

#[test]
fn customers_get_buy_till_you_die_scores() {
    let run = default_run();
    let customers = run.join("customers.csv");
    let numbers = |name: &str| -> Vec<f64> {
        column(&customers, name)
            .iter()
            .map(|v| v.parse().unwrap())
            .collect()
    };
    assert!(numbers("p_alive").iter().all(|p| (0.0..=1.0).contains(p)));
    assert!(numbers("expected_purchases_90d").iter().all(|e| *e >= 0.0));
    // Net spend of zero or less: order value and CLV 0; every other customer's are
    // positive.
    let net = numbers("monetary");
    for (name, values) in [
        ("expected_order_value", numbers("expected_order_value")),
        ("clv_12m", numbers("clv_12m")),
    ] {
        for (value, net) in values.iter().zip(&net) {
            assert!(
                if *net <= 0.0 {
                    *value == 0.0
                } else {
                    *value > 0.0
                },
                "{name} {value} at net spend {net}"
            );
        }
    }
    let as_of = json(&run.join("manifest.json"))["as_of"]
        .as_str()
        .unwrap()
        .to_string();
    let dates = column(&customers, "expected_next_purchase_date");
    assert!(dates.iter().any(|d| !d.is_empty()) && dates.iter().any(String::is_empty));
    assert!(dates.iter().all(|d| d.is_empty() || *d >= as_of), "{as_of}");

    let metrics = json(&run.join("metrics.json"));
    let bg_nbd = metrics["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "bg_nbd")
        .unwrap();
    assert!(
        bg_nbd["roc_auc"].as_f64().unwrap() > 0.6,
        "{}",
        bg_nbd["roc_auc"]
    );
    assert_ne!(metrics["chosen"], "bg_nbd");
}

#[test]
fn buy_till_you_die_pictures_are_in_the_run_folder() {
    let run = default_run();
    let files = json(&run.join("manifest.json"))["files"].clone();
    for (file, title, legend) in [
        (
            "btyd_expected_purchases.svg",
            "Expected purchases in the next 90 days (MBG/NBD",
            "expected purchases",
        ),
        (
            "btyd_p_alive.svg",
            "Probability that a customer is alive (MBG/NBD",
            "P(alive)",
        ),
        (
            "btyd_calibration_holdout.svg",
            "BG/NBD calibration vs hold-out",
            "model (BG/NBD expected)",
        ),
        (
            "btyd_tracking.svg",
            "Cumulative purchases in the 90 days from",
            "MBG/NBD expected, serves",
        ),
    ] {
        let svg = std::fs::read_to_string(run.join(file)).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{file}"
        );
        assert!(svg.contains(title) && svg.contains(legend), "{file}");
        assert!(svg.contains("<rect") || svg.contains("<polyline"), "{file}");
        assert!(
            files.as_array().unwrap().iter().any(|f| f == file),
            "{file} in the manifest"
        );
    }
    let calibration = std::fs::read_to_string(run.join("btyd_calibration_holdout.svg")).unwrap();
    assert!(calibration.contains("6+ (n="), "the open-ended group");
    assert!(calibration.contains("actual (mean in the hold-out)"));
}

#[test]
fn weeks_as_the_time_unit_scale_the_summary_not_the_predictions() {
    let (weeks, _) = run("weeks", &["--time-unit", "weeks"]);
    let days = default_run();
    assert_eq!(
        json(&weeks.join("manifest.json"))["btyd_time_unit"],
        "weeks"
    );
    assert_eq!(json(&days.join("manifest.json"))["btyd_time_unit"], "days");
    let numbers = |run: &Path, name: &str| -> Vec<f64> {
        column(&run.join("customers.csv"), name)
            .iter()
            .map(|v| v.parse().unwrap())
            .collect()
    };
    for (in_weeks, in_days) in [
        ("btyd_t_weeks", "btyd_t_days"),
        ("btyd_recency_weeks", "btyd_recency_days"),
    ] {
        let (w, d) = (numbers(&weeks, in_weeks), numbers(days, in_days));
        assert!(
            w.iter().zip(&d).all(|(w, d)| (w * 7.0 - d).abs() < 1e-9),
            "{in_weeks}"
        );
    }
    // BG/NBD and MBG/NBD are invariant to the time unit (alpha absorbs it), so the
    // customers' scores agree up to the optimiser's tolerance.
    for name in ["p_alive", "expected_purchases_90d", "clv_12m"] {
        let (w, d) = (numbers(&weeks, name), numbers(days, name));
        let worst = w
            .iter()
            .zip(&d)
            .map(|(w, d)| (w - d).abs() / d.abs().max(1.0))
            .fold(0.0, f64::max);
        assert!(worst < 1e-3, "{name}: {worst}");
    }
    let bad = rebuy(&[
        "run",
        "--input",
        "x.csv",
        "--out",
        "x",
        "--time-unit",
        "months",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("days or weeks"));
}

fn predict(run: &Path, recency: &str, frequency: &str, monetary: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "predict",
        "--run",
        run.to_str().unwrap(),
        "--recency-days",
        recency,
        "--frequency",
        frequency,
        "--monetary",
        monetary,
    ];
    args.extend(extra);
    let out = rebuy(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn predict_with_only_recency_frequency_and_monetary() {
    let run = default_run();
    let output = predict(run, "12", "5", "800", &[]);
    let probability = output["purchase_probability"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&probability), "{output}");
    assert!(output["rfm_segment"].is_string(), "{output}");
    assert!((1..=5).contains(&output["r_score"].as_u64().unwrap()));
    assert!(output["cluster"]["name"].is_string(), "{output}");
    // Answered by the model fitted on exactly these three, and the answer says so.
    assert_eq!(output["model"], "rfm_only");
    assert_eq!(
        output["answered_by"]["inputs"],
        serde_json::json!(["recency_days", "frequency", "monetary"])
    );
    let metrics = json(&run.join("metrics.json"));
    let rfm_row = metrics["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "rfm_only")
        .unwrap()
        .clone();
    assert_eq!(output["answered_by"]["test_roc_auc"], rfm_row["roc_auc"]);
    assert_eq!(output["answered_by"]["kind"], rfm_row["kind"]);
    assert!(
        output["explanation"]
            .as_str()
            .unwrap()
            .contains("test ROC-AUC")
    );

    // tenure_days feeds P(alive) and CLV only: the probability is the R/F/M model's.
    let with_tenure = predict(run, "12", "5", "800", &["--feature", "tenure_days=700"]);
    assert_eq!(with_tenure["model"], "rfm_only");
    assert_eq!(
        with_tenure["purchase_probability"],
        output["purchase_probability"]
    );
    assert_eq!(
        with_tenure["not_used_by_model"],
        serde_json::json!(["tenure_days"])
    );
    assert!(
        with_tenure["lifetime"]["p_alive"].is_number(),
        "{with_tenure}"
    );
    let recent = |days: &str| {
        predict(run, days, "5", "800", &["--feature", "tenure_days=400"])["purchase_probability"]
            .as_f64()
            .unwrap()
    };
    assert!(
        recent("3") > recent("380"),
        "a recent buyer is likelier to buy"
    );

    // A subset no model was fitted on is refused, naming what is missing.
    let partial = rebuy(&[
        "predict",
        "--run",
        run.to_str().unwrap(),
        "--recency-days",
        "3",
        "--frequency",
        "5",
        "--monetary",
        "800",
        "--feature",
        "returns_value=10",
    ]);
    assert_eq!(partial.status.code(), Some(65));
    let message = text(&partial.stderr);
    assert!(
        message.contains("also needs") && message.contains("spend_30d"),
        "{message}"
    );

    let unknown = rebuy(&[
        "predict",
        "--run",
        run.to_str().unwrap(),
        "--recency-days",
        "1",
        "--frequency",
        "1",
        "--monetary",
        "1",
        "--feature",
        "shoe_size=9",
    ]);
    assert_eq!(unknown.status.code(), Some(65));
    assert!(text(&unknown.stderr).contains("shoe_size"));
}

#[test]
fn score_round_trips_the_runs_customers() {
    let run = default_run();
    let customers = run.join("customers.csv");
    let scored = work_dir().join("scored.csv");
    let result = rebuy(&[
        "score",
        "--run",
        run.to_str().unwrap(),
        "--input",
        customers.to_str().unwrap(),
        "--out",
        scored.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(
        column(&scored, "purchase_probability"),
        column(&customers, "purchase_probability")
    );
    assert_eq!(
        column(&scored, "rfm_segment"),
        column(&customers, "rfm_segment")
    );
    let chosen = json(&run.join("metrics.json"))["chosen"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(column(&scored, "model").iter().all(|m| *m == chosen));

    let bad = work_dir().join("bad.csv");
    std::fs::write(
        &bad,
        "customer_id,recency_days,frequency,monetary\n1,3,2,10\n2,ten,1,5\n",
    )
    .unwrap();
    let result = rebuy(&[
        "score",
        "--run",
        run.to_str().unwrap(),
        "--input",
        bad.to_str().unwrap(),
        "--out",
        work_dir().join("bad-scored.csv").to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(65));
    let message = text(&result.stderr);
    assert!(
        message.contains("line 3") && message.contains("recency_days"),
        "{message}"
    );
}

/// Equal up to float noise: the logistic fit of the models crate is not bit-for-bit the
/// same from run to run with several threads (last digits differ).
fn assert_close(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            let close = (x - y).abs() <= 1e-9 * x.abs().max(1.0);
            assert!(close || path.ends_with("seconds"), "{path}: {x} != {y}");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                assert_close(u, v, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (key, u) in x {
                assert_close(u, &y[key], &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn random_evaluation_is_deterministic_for_a_seed() {
    let (first, _) = run("random-1", &["--evaluation", "random", "--seed", "3"]);
    let (second, _) = run("random-2", &["--evaluation", "random", "--seed", "3"]);
    let metrics = json(&first.join("metrics.json"));
    assert_eq!(metrics["evaluation"], "random");
    assert_close(&metrics, &json(&second.join("metrics.json")), "metrics");
}

#[test]
fn many_customers_fit_on_a_seeded_sample_and_score_everyone() {
    let (sampled, _) = run("sampled", &["--max-model-customers", "500"]);
    let metrics = json(&sampled.join("metrics.json"));
    let customers = column(&sampled.join("customers.csv"), "customer_id").len();
    let share = metrics["model_customer_share"].as_f64().unwrap();
    assert!((share - 500.0 / customers as f64).abs() < 1e-12, "{share}");
    assert_eq!(metrics["max_model_customers"], 500);
    // The test window holds about `share` of its customers: within 5 standard errors.
    let everyone = json(&default_run().join("metrics.json"))["n_test"]
        .as_f64()
        .unwrap();
    let expected = everyone * share;
    let n_test = metrics["n_test"].as_f64().unwrap();
    assert!(
        (n_test - expected).abs() < 5.0 * (expected * (1.0 - share)).sqrt(),
        "{n_test} test customers, expected about {expected}"
    );
    // Every customer is still scored, and put in a cluster fitted on the sample.
    let probability = column(&sampled.join("customers.csv"), "purchase_probability");
    assert!(probability.iter().all(|p| p.parse::<f64>().is_ok()));
    let clusters = column(&sampled.join("customers.csv"), "cluster");
    assert!(
        clusters
            .iter()
            .all(|c| c.parse::<usize>().is_ok_and(|c| c < 4))
    );
    let segments = json(&sampled.join("segments.json"));
    assert_eq!(segments["clustering"]["fit_customer_share"], share);
    let everyone_segments = json(&default_run().join("segments.json"));
    assert_eq!(everyone_segments["clustering"]["fit_customer_share"], 1.0);
    // The same seed draws the same customers; another seed others.
    let (again, _) = run("sampled-again", &["--max-model-customers", "500"]);
    assert_close(&metrics, &json(&again.join("metrics.json")), "metrics");
    let (other, _) = run(
        "sampled-seed",
        &["--max-model-customers", "500", "--seed", "5"],
    );
    assert_ne!(
        json(&other.join("metrics.json"))["n_test"],
        metrics["n_test"]
    );
    // Without the cap, every customer of the window is tested.
    assert_eq!(
        json(&default_run().join("metrics.json"))["model_customer_share"],
        1.0
    );
}

#[test]
fn too_little_history_skips_the_models_but_writes_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/retail_sample.csv");
    let result = rebuy(&[
        "run",
        "--input",
        fixture.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let reason = json(&out.join("metrics.json"))["skipped"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("--horizon-days"), "{reason}");
    assert!(text(&result.stdout).contains(&reason));
    assert!(out.join("customers.csv").exists());
    assert!(
        !std::fs::read_to_string(out.join("customers.csv"))
            .unwrap()
            .contains("purchase_probability")
    );

    let predict = rebuy(&[
        "predict",
        "--run",
        out.to_str().unwrap(),
        "--recency-days",
        "1",
        "--frequency",
        "1",
        "--monetary",
        "1",
    ]);
    assert_eq!(predict.status.code(), Some(65));
    assert!(text(&predict.stderr).contains("no purchase model"));
}

#[test]
fn run_writes_a_self_contained_report() {
    let run = default_run();
    let report = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(!report.contains("<script src"), "every script is inline");
    // The markup outside the inlined libraries (whose code holds URLs it never loads
    // here, e.g. echarts-gl's default map tiles).
    let mut markup = String::new();
    let mut rest = report.as_str();
    while let Some(start) = rest.find("<script>") {
        markup.push_str(&rest[..start]);
        let end = rest[start..].find("</script>").expect("a closed script");
        rest = &rest[start + end + "</script>".len()..];
    }
    markup.push_str(rest);
    for attribute in ["src=", "href="] {
        for quote in ["\"", "'"] {
            for scheme in ["http://", "https://", "//", "/assets/"] {
                let reference = format!("{attribute}{quote}{scheme}");
                assert!(!markup.contains(&reference), "report.html has {reference}");
            }
        }
    }
    // One chart of each section (the browser test draws them all).
    for id in ["customers-by-month", "segment-map", "roc-chart"] {
        assert!(
            report.contains(&format!("id=\"{id}\" data-chart")),
            "no chart {id}"
        );
    }
    assert!(report.contains("echarts"), "the chart library is inlined");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .contains(&Value::from("report.html"))
    );
}
