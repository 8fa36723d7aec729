//! Helpers of the tests that check another source or engine gives the run the files
//! give (postgres.rs, ballista.rs): a fixture of implausible lines every path must
//! drop the same way, and the parts of two runs that must agree.

use crate::common::{cli_fixture, json, quality_counts};
use std::path::{Path, PathBuf};

/// The day of the run the implausible fixture is read on.
pub const IMPLAUSIBLE_TODAY: &str = "2024-06-01";

/// The CLI fixture plus implausible lines a table can hold (eight fields each, so that
/// PostgreSQL's COPY loads them; numbers as plain digits, so that the test's loader types
/// them): three dated after 2024-06-02 (one without customer id: still `future_date`),
/// one on 2024-06-02 (kept), four beyond the bound of 1e15 (1e308 as a price, -1e308 as
/// a return's quantity, 1e10 x 1e10, 1e16 as a quantity), one whose customer id is
/// longer than the 256 bytes of --max-field-bytes. Written to `dir`.
pub fn implausible_fixture(dir: &Path) -> PathBuf {
    let e308 = format!("1{}", "0".repeat(308));
    let long_customer = "7".repeat(300);
    let e10 = "10000000000";
    let lines = [
        ("999001", "1", "9999-12-31 23:59:00", "2.55", "12682"),
        ("999002", "1", "2099-01-01 10:00:00", "2.55", ""),
        ("999003", "1", "2024-06-03 00:00:00", "2.55", "12682"),
        ("999004", "1", "2024-06-02 23:59:59", "2.55", "12682"),
        ("999005", "1", "2010-02-01 10:00:00", e308.as_str(), "12682"),
        (
            "C999006",
            &format!("-{e308}"),
            "2010-02-01 10:00:00",
            "2",
            "12682",
        ),
        ("999007", e10, "2010-02-01 10:00:00", e10, "12682"),
        (
            "999008",
            "10000000000000000",
            "2010-02-01 10:00:00",
            "1",
            "12682",
        ),
        ("999009", "1", "2010-02-01 10:00:00", "2.55", &long_customer),
    ];
    let mut text = std::fs::read_to_string(cli_fixture()).unwrap();
    for (invoice, quantity, date, price, customer) in lines {
        text.push_str(&format!(
            "{invoice},85123A,IMPLAUSIBLE,{quantity},{date},{price},{customer},United Kingdom\n"
        ));
    }
    let file = dir.join("implausible.csv");
    std::fs::write(&file, text).unwrap();
    file
}

/// The counts the implausible fixture must give on every path.
pub fn assert_implausible_counts(run: &Path) {
    let quality = json(&run.join("quality.json"));
    let count = |rule: &str| {
        quality["dropped"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["rule"] == rule)
            .unwrap()["lines"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        count("unparseable"),
        2 + 4 + 1,
        "the fixture's 2, 4 beyond the bound, 1 too long"
    );
    assert_eq!(count("future_date"), 3);
    assert_eq!(quality["future_dates"]["latest_allowed"], "2024-06-02");
    assert_eq!(
        quality["future_dates"]["latest_seen"],
        "9999-12-31 23:59:00"
    );
    assert_eq!(quality["last_sale"], "2024-06-02 23:59:59");
    assert!(quality["revenue"].as_f64().unwrap() < 1e5);
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
