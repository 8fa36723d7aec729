//! Writes the out-of-time windows of `rebuy run` as raw feature tables, so that our
//! classifiers and the Python references are compared on the very same numbers.
//!
//! `cargo run --release -p rebuy-features --example export_windows -- DATA DIR [--columns a,b,c] [--horizon-days 90] [--days-earlier 0]`
//!
//! Train at `as_of - H`, test at `as_of` = the day after the last sale minus `H` (the
//! latest window whose labels are complete), as `rebuy run` does; `--days-earlier N`
//! moves both dates N days back (other as-of dates of the same sheet). DIR then holds
//! `{train,test}_x.f64` (little-endian rows), `{train,test}_y.u8` and `columns.json`
//! (`names`, and `log1p`: the columns without a negative training value), the layout
//! `bench_classifiers --load DIR` and docs/reference/trees/fit_exported.py read.
//! `--columns` keeps only the named features (e.g. the set before a change). Features are
//! written as in customers.csv: `mean_days_between_purchases` is NaN for one-day buyers.

use rebuy_data::{RUN_BATCH_ROWS, RUN_PARTITIONS, ReadOptions, read_transactions};
use rebuy_features::{AsOf, FeatureEngine};
use std::path::{Path, PathBuf};

fn write_window(
    engine: &FeatureEngine,
    as_of: AsOf,
    horizon_days: u32,
    keep: &[String],
    dir: &Path,
    name: &str,
) -> Vec<Vec<f64>> {
    let features = engine.customer_features(as_of).expect("features");
    let labels = engine
        .purchase_labels(&features.customer_id, as_of, horizon_days)
        .expect("labels");
    let columns: Vec<Vec<f64>> = features
        .columns()
        .into_iter()
        .filter(|(column, _)| keep.iter().any(|k| k == column))
        .map(|(_, values)| values.to_vec())
        .collect();
    let bytes: Vec<u8> = (0..features.len())
        .flat_map(|row| columns.iter().map(move |column| column[row]))
        .flat_map(f64::to_le_bytes)
        .collect();
    std::fs::write(dir.join(format!("{name}_x.f64")), bytes).expect("writable");
    let labels: Vec<u8> = labels.into_iter().map(u8::from).collect();
    std::fs::write(dir.join(format!("{name}_y.u8")), &labels).expect("writable");
    let buyers = labels.iter().filter(|&&b| b == 1).count();
    println!(
        "{name}: as of {as_of}, {} customers, {buyers} buy within {horizon_days} days",
        labels.len()
    );
    columns
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        let pair = args.windows(2).find(|pair| pair[0] == flag);
        pair.map(|pair| pair[1].clone())
    };
    let (Some(data), Some(dir)) = (args.first(), args.get(1)) else {
        panic!(
            "usage: export_windows DATA DIR [--columns a,b,c] [--horizon-days 90] [--days-earlier 0]"
        );
    };
    let horizon_days: u32 = value("--horizon-days").map_or(90, |v| v.parse().expect("days"));
    let transactions =
        read_transactions(&[PathBuf::from(data)], &ReadOptions::default(), &mut |_| {})
            .expect("readable data");
    let engine = FeatureEngine::new(
        transactions
            .into_line_table(RUN_BATCH_ROWS, RUN_PARTITIONS)
            .expect("lines"),
    )
    .expect("engine");
    let horizon = horizon_days as i32;
    let days_earlier: i32 = value("--days-earlier").map_or(0, |v| v.parse().expect("days"));
    let test_as_of = engine.default_as_of().plus_days(-horizon - days_earlier);
    let all: Vec<String> = engine
        .customer_features(test_as_of)
        .expect("features")
        .columns()
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    let keep: Vec<String> = value("--columns").map_or(all.clone(), |list| {
        list.split(',').map(|c| c.trim().to_string()).collect()
    });
    let names: Vec<&String> = all.iter().filter(|n| keep.contains(n)).collect();
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).expect("DIR is writable");
    let train = write_window(
        &engine,
        test_as_of.plus_days(-horizon),
        horizon_days,
        &keep,
        dir,
        "train",
    );
    write_window(&engine, test_as_of, horizon_days, &keep, dir, "test");
    let log1p: Vec<&&String> = names
        .iter()
        .zip(&train)
        .filter(|(_, values)| values.iter().all(|v| v.is_nan() || *v >= 0.0))
        .map(|(name, _)| name)
        .collect();
    let columns = serde_json::json!({ "names": names, "log1p": log1p });
    std::fs::write(dir.join("columns.json"), columns.to_string()).expect("writable");
}
