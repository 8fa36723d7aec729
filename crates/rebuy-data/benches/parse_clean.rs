//! Reading and cleaning, timed by criterion: a generated CSV (and the same lines
//! gzip'd) in the Online Retail II shape, parsed, typed and passed through every
//! cleaning rule, as `rebuy run` does before the features.
//!
//! `cargo bench -p rebuy-data --bench parse_clean` (docs/benchmarks.md, "Hot paths").

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rebuy_data::generate::{GenerateConfig, GenerateSize, generate_to_path};
use rebuy_data::{ReadOptions, read_transactions};

const LINES: u64 = 100_000;

fn generated(folder: &tempfile::TempDir, name: &str) -> PathBuf {
    let path = folder.path().join(name);
    let config = GenerateConfig {
        size: GenerateSize::Lines(LINES),
        ..GenerateConfig::default()
    };
    generate_to_path(&config, &path, &mut |_| {}).unwrap();
    path
}

fn parse_and_clean(c: &mut Criterion) {
    let folder = tempfile::tempdir().unwrap();
    let options = ReadOptions::default();
    let mut group = c.benchmark_group("read and clean 100k lines");
    group.throughput(Throughput::Elements(LINES));
    group.sample_size(20);
    for name in ["lines.csv", "lines.csv.gz"] {
        let path = [generated(&folder, name)];
        group.bench_function(name, |b| {
            b.iter(|| read_transactions(&path, &options, &mut |_| {}).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, parse_and_clean);
criterion_main!(benches);
