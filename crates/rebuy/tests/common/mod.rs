//! Helpers of the end-to-end tests that compare runs (scale.rs, ballista.rs).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary with one model thread, so that two runs on the same customer table
/// give the same numbers to the last bit.
pub fn rebuy_cmd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rebuy"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("the rebuy binary runs")
}

pub fn must(output: Output) -> Output {
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn cli_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/retail_sample.csv")
}

pub fn json(file: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// quality.json without what names the input (paths, formats, where unreadable
/// values were): the counts, dates and sums.
pub fn quality_counts(run: &Path) -> serde_json::Value {
    let mut quality = json(&run.join("quality.json"));
    let object = quality.as_object_mut().unwrap();
    object.remove("inputs");
    object.remove("parse_issues");
    quality
}

/// metrics.json without the timings.
pub fn metrics(run: &Path) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(object) => {
                object.retain(|key, _| !key.ends_with("_seconds"));
                object.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut metrics = json(&run.join("metrics.json"));
    strip(&mut metrics);
    metrics
}

/// quality.json's counts identical; revenue and returns value (summed exactly in
/// rebuy, by another engine in its own order) to 1e-9.
pub fn assert_same_quality(embedded: &Path, other: &Path) {
    let (want, got) = (quality_counts(embedded), quality_counts(other));
    for (key, value) in want.as_object().unwrap() {
        match (value.as_f64(), key.as_str()) {
            (Some(x), "revenue" | "returns_value") => {
                let y = got[key].as_f64().unwrap();
                assert!((x - y).abs() <= 1e-9 * x.abs(), "{key}: {x} vs {y}");
            }
            _ => assert_eq!(value, &got[key], "quality.json {key}"),
        }
    }
}
