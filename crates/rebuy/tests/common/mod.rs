//! Helpers of the end-to-end tests that run the binary and compare runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

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
/// values and future dates were): the counts, dates and sums.
pub fn quality_counts(run: &Path) -> serde_json::Value {
    let mut quality = json(&run.join("quality.json"));
    let object = quality.as_object_mut().unwrap();
    object.remove("inputs");
    object.remove("parse_issues");
    if let Some(future) = object.get_mut("future_dates") {
        future.as_object_mut().unwrap().remove("examples");
    }
    quality
}

/// A generated transaction file of `lines` lines (seed 11) in `dir`.
pub fn generated(dir: &Path, lines: u64) -> PathBuf {
    let file = dir.join(format!("generated-{lines}.csv"));
    let lines = lines.to_string();
    must(rebuy_cmd(&[
        "generate",
        "--lines",
        &lines,
        "--seed",
        "11",
        "--out",
        path(&file),
    ]));
    file
}

/// `rebuy run` on `input` (plus extra arguments) into `out`; the seconds it took.
pub fn run(input: &str, extra: &[&str], out: &Path) -> f64 {
    let started = Instant::now();
    let mut args = vec!["run", "--input", input, "--out", path(out)];
    args.extend_from_slice(extra);
    must(rebuy_cmd(&args));
    started.elapsed().as_secs_f64()
}
