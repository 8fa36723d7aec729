//! The feature SQL, timed by criterion: every per-customer feature of `rebuy run`
//! (RFM, tenure, returns, seasonality, the BTYD summary) computed by DataFusion from
//! 100k clean generated lines at the data's default as-of date.
//!
//! `cargo bench -p rebuy-features --bench feature_sql` (docs/benchmarks.md, "Hot paths").

#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use rebuy_data::generate::{GenerateConfig, GenerateSize, generate_to_path};
use rebuy_data::{RUN_BATCH_ROWS, RUN_PARTITIONS, ReadOptions, read_transactions};
use rebuy_features::FeatureEngine;

fn feature_sql(c: &mut Criterion) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("lines.csv");
    let config = GenerateConfig {
        size: GenerateSize::Lines(100_000),
        ..GenerateConfig::default()
    };
    generate_to_path(&config, &path, &mut |_| {}).unwrap();
    let transactions = read_transactions(&[path], &ReadOptions::default(), &mut |_| {}).unwrap();
    // Laid out as `rebuy run` lays it out.
    let engine = FeatureEngine::new(
        transactions
            .into_line_table(RUN_BATCH_ROWS, RUN_PARTITIONS)
            .unwrap(),
    )
    .unwrap();
    let as_of = engine.default_as_of();
    let mut group = c.benchmark_group("feature SQL");
    group.sample_size(20);
    group.bench_function("customer features of 100k lines", |b| {
        b.iter(|| engine.customer_features(as_of).unwrap())
    });
    group.finish();
}

criterion_group!(benches, feature_sql);
criterion_main!(benches);
