//! KMeans timings, and the run on the real sheet that docs/kmeans.md compares with
//! scikit-learn.
//!
//! ```text
//! cargo run --release -p rebuy-models --example bench_kmeans              # 1M x 3, k = 8
//! cargo run --release -p rebuy-models --example bench_kmeans -- synthetic 1000000 8
//! cargo run --release -p rebuy-models --example bench_kmeans -- write /tmp/x.f64 1000000
//! cargo run --release -p rebuy-models --example bench_kmeans -- real rfm.csv [seed]
//! cargo run --release -p rebuy-models --example bench_kmeans -- seeds rfm.csv 10
//! ```
//!
//! `write` stores the scaled synthetic rows as raw little-endian f64 for
//! docs/reference/kmeans/sklearn_compare.py; `real` reads the CSV written by
//! docs/reference/kmeans/rfm_from_csv.py.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rebuy_models::kmeans::KMeansParams;
use rebuy_models::matrix::Matrix;
use rebuy_models::scale::Scaler;
use rebuy_models::segment::{KSweepParams, profile_clusters};

type BoxError = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    match arg(0, "synthetic").as_str() {
        "synthetic" => synthetic(arg(1, "1000000").parse()?, arg(2, "8").parse()?),
        "write" => write(
            &arg(1, "/tmp/kmeans-ref/bench_1m.f64"),
            arg(2, "1000000").parse()?,
        ),
        "real" => real(&arg(1, "/tmp/kmeans-ref/rfm.csv"), arg(2, "0").parse()?),
        "seeds" => seeds(&arg(1, "/tmp/kmeans-ref/rfm.csv"), arg(2, "10").parse()?),
        other => Err(format!("unknown mode {other}: synthetic | write | real | seeds").into()),
    }
}

/// Skewed RFM-like customers, scaled with log1p + standardisation.
fn synthetic_rows(n: usize) -> Result<Matrix, BoxError> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut normal = move || {
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let mut values = Vec::with_capacity(n * 3);
    for _ in 0..n {
        let recency = (373.0 * (0.5 * normal()).exp() / 3.0).min(373.0).floor();
        let frequency = (1.3 * normal().abs() * (0.8 * normal()).exp())
            .ceil()
            .max(1.0);
        let monetary = frequency * (5.5 + 0.9 * normal()).exp();
        values.extend([recency, frequency, monetary]);
    }
    let raw = Matrix::new(n, 3, values)?;
    Ok(Scaler::fit(&raw, &[true, true, true])?.transform(&raw)?)
}

fn synthetic(n: usize, k: usize) -> Result<(), BoxError> {
    let data = synthetic_rows(n)?;
    println!("| rows | k | n_init | seed | seconds | inertia | iterations |");
    println!("|---|---|---|---|---|---|---|");
    let mut times = Vec::new();
    for seed in 0..3 {
        let start = Instant::now();
        let model = KMeansParams::new(k).seed(seed).validate()?.fit(&data)?;
        let seconds = start.elapsed().as_secs_f64();
        times.push(seconds);
        println!(
            "| {n} | {k} | 10 | {seed} | {seconds:.2} | {:.6} | {} |",
            model.inertia, model.n_iter
        );
    }
    times.sort_by(f64::total_cmp);
    println!("median {:.2} s over 3 seeds", times[1]);
    Ok(())
}

fn write(path: &str, n: usize) -> Result<(), BoxError> {
    let data = synthetic_rows(n)?;
    let bytes: Vec<u8> = data.values().iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes)?;
    println!("wrote {n} x 3 scaled rows to {path}");
    Ok(())
}

/// Columns of the RFM CSV: recency_days, frequency, monetary and, if present, segment.
fn read_rfm(path: &str) -> Result<(Vec<[f64; 3]>, Vec<String>), BoxError> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty file")?.split(',').collect();
    let find = |name: &str| header.iter().position(|h| *h == name);
    let at = [find("recency_days"), find("frequency"), find("monetary")];
    let segment_at = find("segment");
    let (mut rows, mut segments) = (Vec::new(), Vec::new());
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let mut row = [0.0; 3];
        for (value, column) in row.iter_mut().zip(at) {
            *value = fields[column.ok_or("missing RFM column")?].parse()?;
        }
        rows.push(row);
        segments.push(segment_at.map_or("unknown", |s| fields[s]).to_string());
    }
    Ok((rows, segments))
}

/// Inertia for k = 2..=10 and seeds 0..n_seeds, one CSV line per (k, seed).
fn seeds(path: &str, n_seeds: u64) -> Result<(), BoxError> {
    let (rows, _) = read_rfm(path)?;
    let raw = Matrix::new(rows.len(), 3, rows.iter().flatten().copied().collect())?;
    let data = Scaler::fit(&raw, &[true, true, true])?.transform(&raw)?;
    println!("k,seed,inertia");
    for k in 2..=10 {
        for seed in 0..n_seeds {
            let model = KMeansParams::new(k).seed(seed).validate()?.fit(&data)?;
            println!("{k},{seed},{:.6}", model.inertia);
        }
    }
    Ok(())
}

fn real(path: &str, seed: u64) -> Result<(), BoxError> {
    let (rows, segments) = read_rfm(path)?;
    let raw = Matrix::new(rows.len(), 3, rows.iter().flatten().copied().collect())?;
    let start = Instant::now();
    let data = Scaler::fit(&raw, &[true, true, true])?.transform(&raw)?;
    let sweep = KSweepParams::new().seed(seed).validate()?.sweep(&data)?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{} customers; scale + sweep k=2..10 (fit, silhouette, DB) {seconds:.3} s",
        rows.len()
    );
    println!("k,inertia,silhouette,davies_bouldin");
    for s in &sweep.scores {
        println!(
            "{},{:.6},{:.6},{:.6}",
            s.k, s.inertia, s.silhouette, s.davies_bouldin
        );
    }
    println!(
        "knee {:?}; chosen {}: {}",
        sweep.knee, sweep.chosen_k, sweep.reason
    );
    let labels = sweep.model.predict_all(&data)?;
    let column = |j: usize| raw.column(j);
    let profiles = profile_clusters(&column(0), &column(1), &column(2), &labels, &segments)?;
    println!("| cluster | name | customers | revenue | median R / F / M | dominant segment |");
    println!("|---|---|---|---|---|---|");
    for p in &profiles {
        println!(
            "| {} | {} | {} ({:.0}%) | {:.0}% | {} d / {} / {:.0} | {} ({:.0}%) |",
            p.cluster,
            p.name,
            p.customers,
            100.0 * p.customer_share,
            100.0 * p.revenue_share,
            p.median_recency_days,
            p.median_frequency,
            p.median_monetary,
            p.dominant_segment,
            100.0 * p.dominant_segment_share
        );
    }
    Ok(())
}
