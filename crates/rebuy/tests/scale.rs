//! End-to-end: the scale paths give the run the files give (customers.csv byte for
//! byte: money sums are rounded, so the order of addition does not show): `rebuy
//! convert` to Parquet, and a run spilled to disk. The PostgreSQL source's are in
//! postgres.rs, the Ballista cluster's in ballista.rs.

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;

use common::{cli_fixture, generated, json, must, path, quality_counts, rebuy_cmd, run};
use std::path::Path;
use std::process::Command;

#[test]
fn convert_then_run_gives_the_run_on_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for input in [cli_fixture(), generated(d, 20_000)] {
        let name = input.file_stem().unwrap().to_str().unwrap().to_string();
        let parquet = d.join(format!("{name}.parquet"));
        let converted = must(rebuy_cmd(&["convert", path(&input), path(&parquet)]));
        let said = String::from_utf8_lossy(&converted.stdout);
        assert!(said.contains("wrote"), "{said}");

        let (from_file, from_parquet) =
            (d.join(format!("{name}-file")), d.join(format!("{name}-pq")));
        run(path(&input), &[], &from_file);
        run(path(&parquet), &[], &from_parquet);
        assert_eq!(
            std::fs::read_to_string(from_file.join("customers.csv")).unwrap(),
            std::fs::read_to_string(from_parquet.join("customers.csv")).unwrap(),
            "{name}: customers.csv"
        );
        assert_eq!(
            quality_counts(&from_file),
            quality_counts(&from_parquet),
            "{name}"
        );
        let original = json(&from_file.join("quality.json"));
        let unparseable = original["dropped"][0]["lines"].as_u64().unwrap();
        if name == "retail_sample" {
            assert_eq!(unparseable, 2, "the fixture's two unreadable lines");
            assert!(
                said.contains("2 lines have an invoice, quantity, price or date"),
                "{said}"
            );
        }
    }
}

/// A memory budget of 2 KiB (about 40 lines) spills the clean lines to the 64 customer
/// partitions many times over: the run gives the folder of the run in memory, byte for
/// byte (customers.csv in the same row order, quality.json with the same duplicate
/// count and sums, months.csv), and leaves no spill file behind.
#[test]
fn spilled_run_gives_the_run_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spill_tmp = d.join("tmp");
    std::fs::create_dir(&spill_tmp).unwrap();
    for (i, input) in [cli_fixture(), generated(d, 20_000)].iter().enumerate() {
        let (in_memory, spilled) = (
            d.join(format!("memory-{i}")),
            d.join(format!("spilled-{i}")),
        );
        run(path(input), &[], &in_memory);
        must(
            Command::new(env!("CARGO_BIN_EXE_rebuy"))
                .args(["run", "--input", path(input), "--out", path(&spilled)])
                .args(["--memory-budget", "2KiB"])
                .env("RAYON_NUM_THREADS", "1")
                .env("TMPDIR", &spill_tmp)
                .output()
                .unwrap(),
        );
        for file in ["customers.csv", "quality.json", "months.csv"] {
            let read = |run: &Path| std::fs::read(run.join(file)).unwrap();
            assert!(
                read(&in_memory) == read(&spilled),
                "{file} of {} differs when spilled",
                input.display()
            );
        }
        if i == 0 {
            let quality = json(&spilled.join("quality.json"));
            let duplicates = quality["dropped"]
                .as_array()
                .unwrap()
                .iter()
                .find(|count| count["rule"] == "duplicate")
                .unwrap()["lines"]
                .as_u64();
            assert!(duplicates > Some(0), "the fixture has duplicates to find");
        }
        assert_eq!(std::fs::read_dir(&spill_tmp).unwrap().count(), 0);
    }
}

#[test]
fn convert_refuses_bad_input_with_exit_65() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.parquet");
    let not_data = d.join("notes.txt");
    std::fs::write(&not_data, "just,some\nwords,here\n").unwrap();
    for (args, says) in [
        (vec![path(&not_data), path(&out)], "no column for invoice"),
        (vec!["missing.csv", path(&out)], "no such file"),
        (
            vec![cli_fixture().to_str().unwrap(), "out.csv"],
            "name the output file *.parquet",
        ),
    ] {
        let mut all = vec!["convert"];
        all.extend(args);
        let output = rebuy_cmd(&all);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(65), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert!(!out.exists(), "a failed convert leaves no output");
}
