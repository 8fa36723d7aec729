//! Times the synthetic generator and reports the process's peak memory.
//!
//! `cargo run --release -p rebuy-data --example bench_generate -- LINES FILE... [--months M] [--seed S]`
//! writes LINES lines to each FILE (format by extension) and prints one
//! table row per file. Peak memory is the process's high-water mark so far
//! (`VmHWM`), so give one file per run to measure each format alone.

use std::path::Path;
use std::time::Instant;

use rebuy_data::generate::{GenerateConfig, GenerateSize, generate_to_path};

const USAGE: &str = "usage: bench_generate LINES FILE... [--months M] [--seed S]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let lines: u64 = args.next().ok_or(USAGE)?.parse()?;
    let mut config = GenerateConfig {
        size: GenerateSize::Lines(lines),
        ..GenerateConfig::default()
    };
    let mut files = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--months" => config.months = args.next().ok_or(USAGE)?.parse()?,
            "--seed" => config.seed = args.next().ok_or(USAGE)?.parse()?,
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        return Err(USAGE.into());
    }
    println!("| lines | file | seconds | lines/s | MB written | peak RSS MB |");
    println!("|---|---|---|---|---|---|");
    for file in &files {
        let started = Instant::now();
        let summary = generate_to_path(&config, Path::new(file), &mut |_| {})?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "| {} | {} | {:.2} | {:.0} | {:.1} | {} |",
            summary.lines,
            file,
            seconds,
            summary.lines as f64 / seconds,
            summary.bytes as f64 / 1e6,
            peak_rss_mb().map_or_else(|| "n/a".to_string(), |mb| format!("{mb:.0}")),
        );
    }
    Ok(())
}

/// The process's peak resident memory from /proc (Linux only).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
