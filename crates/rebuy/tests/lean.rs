//! End-to-end: a build without the scale features (the default build) refuses their
//! inputs as bad input (exit 65), naming the feature and the command that builds it.
//! The tests exist only in such a build: `.ci/run` runs them with
//! `cargo test --release -p rebuy --test lean` (scripts/test builds every feature).

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

#[cfg(any(not(feature = "postgres"), not(feature = "cluster")))]
fn refusal(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rebuy"))
        .arg("run")
        .args(args)
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(65), "bad input, not a failure");
    assert!(!out.exists(), "nothing written");
    String::from_utf8(output.stderr).unwrap()
}

#[cfg(not(feature = "postgres"))]
#[test]
fn a_build_without_postgres_refuses_a_database_input() {
    let error = refusal(&["--input", "postgres://shop@db:5432/sales?table=lines"]);
    assert!(error.contains("`postgres` feature"), "{error}");
    assert!(
        error.contains("cargo build --release -p rebuy --features postgres"),
        "{error}"
    );
}

#[cfg(not(feature = "cluster"))]
#[test]
fn a_build_without_cluster_refuses_a_ballista_engine() {
    let error = refusal(&[
        "--engine",
        "ballista://scheduler:50050",
        "--input",
        "/shared/a.parquet",
    ]);
    assert!(error.contains("`cluster` feature"), "{error}");
    assert!(
        error.contains("cargo build --release -p rebuy --features cluster"),
        "{error}"
    );
}
