//! Customer ids that a spreadsheet would run as formulas, through the real binary:
//! `rebuy run` writes them escaped in customers.csv, the server reads them back as
//! the ids they are, `rebuy score` writes them escaped (once); and `rebuy serve`'s TLS
//! files refused with exit status 65.

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;

use common::{must, path, rebuy_cmd as rebuy};
use std::path::Path;

const FORMULAS: [&str; 3] = ["=HYPERLINK(\"http://x\")", "=cmd|' /C calc'!A0", "=1+2"];

fn column(file: &Path, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == name)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[at].to_string())
        .collect()
}

/// Generated transactions whose first three customers have formula ids.
fn transactions_with_formula_ids(dir: &Path) -> std::path::PathBuf {
    let generated = dir.join("generated.csv");
    must(rebuy(&[
        "generate",
        "--customers",
        "1000",
        "--seed",
        "3",
        "--out",
        path(&generated),
    ]));
    let mut reader = csv::Reader::from_path(&generated).unwrap();
    let header = reader.headers().unwrap().clone();
    let id_at = header.iter().position(|h| h == "Customer ID").unwrap();
    let mut renamed: Vec<String> = Vec::new();
    let input = dir.join("orders.csv");
    let mut writer = csv::Writer::from_path(&input).unwrap();
    writer.write_record(&header).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
        let id = cells[id_at].clone();
        if !id.is_empty() && renamed.len() < FORMULAS.len() && !renamed.contains(&id) {
            renamed.push(id.clone());
        }
        if let Some(at) = renamed.iter().position(|r| *r == id) {
            cells[id_at] = FORMULAS[at].to_string();
        }
        writer.write_record(&cells).unwrap();
    }
    writer.flush().unwrap();
    input
}

#[test]
fn formula_ids_are_written_safe_everywhere_and_read_back_as_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let input = transactions_with_formula_ids(dir.path());
    let run = dir.path().join("run");
    must(rebuy(&[
        "run",
        "--input",
        path(&input),
        "--out",
        path(&run),
    ]));

    let customers = run.join("customers.csv");
    let ids = column(&customers, "customer_id");
    for formula in FORMULAS {
        assert!(
            ids.contains(&format!("'{formula}")),
            "{formula} escaped in customers.csv"
        );
    }
    let formula_start = |cell: &String| cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    assert!(!ids.iter().any(formula_start), "no id starts a formula");
    let monetary = column(&customers, "monetary");
    assert!(
        monetary.iter().all(|m| m.parse::<f64>().is_ok()),
        "numbers stay numbers"
    );

    let loaded = rebuy_server::RunData::load(&run).unwrap();
    for formula in FORMULAS {
        assert!(
            loaded.customers.row_of(formula).is_some(),
            "the server finds {formula}"
        );
    }

    // The run's own customers.csv scored: its ids come back as written (not escaped
    // twice); a raw file's formulas come back escaped, its numbers as they are.
    let scored = dir.path().join("scored.csv");
    must(rebuy(&[
        "score",
        "--run",
        path(&run),
        "--input",
        path(&customers),
        "--out",
        path(&scored),
    ]));
    assert_eq!(column(&scored, "customer_id"), ids);
    let raw = dir.path().join("raw.csv");
    std::fs::write(
        &raw,
        format!(
            "customer_id,recency_days,frequency,monetary\n\"{}\",4,15,6000\n{},400,1,-35.5\n",
            FORMULAS[0].replace('"', "\"\""),
            FORMULAS[1]
        ),
    )
    .unwrap();
    must(rebuy(&[
        "score",
        "--run",
        path(&run),
        "--input",
        path(&raw),
        "--out",
        path(&scored),
    ]));
    assert_eq!(
        column(&scored, "customer_id"),
        [format!("'{}", FORMULAS[0]), format!("'{}", FORMULAS[1])]
    );
    assert_eq!(column(&scored, "monetary"), ["6000", "-35.5"]);
}

#[test]
fn tls_files_that_cannot_work_exit_65_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::cli_fixture();
    let key = dir.path().join("key.pem");
    std::fs::write(&key, "not a key").unwrap();
    let missing = dir.path().join("missing-cert.pem");
    let refused = rebuy(&[
        "serve",
        "--run",
        path(&run),
        "--addr",
        "127.0.0.1:0",
        "--tls-cert",
        path(&missing),
        "--tls-key",
        path(&key),
    ]);
    assert_eq!(refused.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("missing-cert.pem") && stderr.contains("cannot open it"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");

    let half = rebuy(&["serve", "--run", path(&run), "--tls-cert", path(&missing)]);
    assert_eq!(half.status.code(), Some(2), "--tls-cert needs --tls-key");
}
