//! `rebuy generate` and `rebuy demo`.

use crate::cli::{DemoArgs, GenerateArgs, ReadArgs, RunArgs};
use crate::progress;
use anyhow::{Context, Result};
use rebuy_data::generate::{GenerateConfig, GenerateSize, generate_to_path};
use std::path::{Path, PathBuf};

pub fn generate(args: &GenerateArgs) -> Result<()> {
    let size = match (args.size.customers, args.size.lines) {
        (Some(customers), _) => GenerateSize::Customers(customers),
        (None, Some(lines)) => GenerateSize::Lines(lines),
        (None, None) => unreachable!("clap requires --customers or --lines"),
    };
    let config = GenerateConfig {
        size,
        seed: args.seed,
        start: args.start,
        months: args.months,
    };
    let summary = write_sample(&config, &args.out)?;
    println!(
        "wrote {} lines ({} customers, {} invoices, {} bytes) to {}",
        summary.lines,
        summary.customers,
        summary.invoices,
        summary.bytes,
        args.out.display()
    );
    Ok(())
}

fn write_sample(
    config: &GenerateConfig,
    out: &Path,
) -> Result<rebuy_data::generate::GenerateSummary> {
    let expected = match config.size {
        GenerateSize::Lines(lines) => lines,
        GenerateSize::Customers(customers) => customers * 40,
    };
    let bar = progress::count(expected, "generating");
    let summary = generate_to_path(config, out, &mut |lines| {
        if lines > bar.length().unwrap_or(0) {
            bar.set_length(lines);
        }
        bar.set_position(lines);
    });
    bar.finish_and_clear();
    Ok(summary?)
}

/// Customers and seed of the demo (`rebuy demo`'s defaults, and `serve --demo-if-missing`).
pub const DEMO_CUSTOMERS: u64 = 3000;
/// Monthly backtest cutoffs of the demo run, so that the Models page shows a backtest.
const DEMO_BACKTEST_CUTOFFS: u32 = 4;
pub const DEMO_SEED: u64 = 42;

pub fn demo(args: &DemoArgs) -> Result<()> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => default_demo_dir(),
    };
    let runs = demo_runs(&dir, args.customers, args.seed)?;
    if args.no_serve {
        return Ok(());
    }
    crate::serve::serve(rebuy_server::ServeOptions {
        run_dir: runs,
        runs_folder: true,
        addr: args.addr,
        users: None,
        // Synthetic customers: nothing to protect, so any address may serve them.
        no_auth: true,
        tls: None,
        limits: rebuy_server::Limits::default(),
    })
}

/// Where a demo goes when no folder is named: a new folder under the system's temp dir.
pub fn default_demo_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("rebuy-demo-{}", std::process::id()))
}

/// Runs of the demo: one a month, the newest on the first day after the data.
pub const DEMO_RUNS: u32 = 3;

/// Simulates `customers` customers into `dir`, runs the pipeline on them at
/// [`DEMO_RUNS`] as-of dates one month apart into `dir/runs/YYYY-MM-DD` (as
/// `rebuy run --as-of` each month would; docs/dashboard.md, Run history), says where
/// the results are, and returns the runs folder.
pub fn demo_runs(dir: &Path, customers: u64, seed: u64) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let data = dir.join("transactions.csv.gz");
    let start = chrono::NaiveDate::from_ymd_opt(2009, 12, 1).unwrap_or_default();
    let months = 24;
    let config = GenerateConfig {
        size: GenerateSize::Customers(customers),
        seed,
        start,
        months,
    };
    let summary = write_sample(&config, &data)?;
    println!(
        "sample data: {} ({} lines, {} customers)\n",
        data.display(),
        summary.lines,
        summary.customers
    );
    let runs = dir.join("runs");
    // Oldest first, so that the newest run's summary is the last thing printed.
    for months_before in (0..DEMO_RUNS).rev() {
        let as_of = start
            .checked_add_months(chrono::Months::new(months - months_before))
            .context("the demo's as-of date is out of range")?;
        println!("\nrun as of {as_of}:");
        let outcome =
            crate::run::run(&run_args(&data, &runs.join(as_of.to_string()), as_of, seed))?;
        println!(
            "\n{} customers scored; open {}/customers.csv",
            outcome.customers,
            outcome.folder.display()
        );
    }
    println!(
        "\ndemo done: {DEMO_RUNS} monthly runs in {}",
        runs.display()
    );
    Ok(runs)
}

/// `rebuy run --input DATA --out OUT --as-of AS_OF --seed SEED` with the defaults.
fn run_args(data: &Path, out: &Path, as_of: chrono::NaiveDate, seed: u64) -> RunArgs {
    RunArgs {
        inputs: vec![data.to_path_buf()],
        query: None,
        engine: None,
        out: out.to_path_buf(),
        as_of: Some(as_of),
        horizon_days: rebuy_features::DEFAULT_HORIZON_DAYS,
        seed,
        evaluation: crate::purchase::Evaluation::OutOfTime,
        max_model_customers: crate::purchase::DEFAULT_MAX_MODEL_CUSTOMERS,
        time_unit: rebuy_features::TimeUnit::Days,
        churn_risk_thresholds: rebuy_models::scoring::DEFAULT_CHURN_RISK_THRESHOLDS,
        training_windows: crate::purchase::DEFAULT_TRAINING_WINDOWS,
        backtest_cutoffs: DEMO_BACKTEST_CUTOFFS,
        backtest_every_days: 30,
        currency: None,
        segments: None,
        k: rebuy_models::segment::KChoice::Auto,
        read: ReadArgs {
            columns: Vec::new(),
            delimiter: None,
            day_first: false,
            strict: false,
            today: None,
            non_product_codes: rebuy_data::DEFAULT_NON_PRODUCT_CODES.join(","),
            memory_budget: rebuy_data::DEFAULT_MEMORY_BUDGET,
            max_field_bytes: rebuy_data::DEFAULT_MAX_FIELD_BYTES,
            max_description_bytes: rebuy_data::DEFAULT_MAX_DESCRIPTION_BYTES,
            max_line_bytes: rebuy_data::DEFAULT_MAX_LINE_BYTES,
        },
    }
}
