//! `rebuy inspect` and `rebuy run`.

use crate::backtest;
use crate::cli::{InspectArgs, ReadArgs, RunArgs};
use crate::customers_csv::{CustomerColumn, format_value, write_customers};
use crate::exit::InputError;
use crate::progress;
use crate::purchase::{self, Purchase};
use crate::run_folder::{MANIFEST, RunFolder};
use crate::sample::Sample;
use crate::segments::{self, Clustering};
use crate::source::Source;
use anyhow::{Context, Result};
use rebuy_data::{
    CleaningRules, ColumnMapping, DayOrder, QualityReport, ReadOptions, ReadProgress, Transactions,
    read_transactions,
};
use rebuy_features::features::RfmScores;
use rebuy_features::{
    AsOf, CustomerFeatures, FeatureEngine, MonthRevenue, SegmentMap, TimeUnit, is_postgres_url,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn read_options(args: &ReadArgs) -> Result<ReadOptions> {
    let delimiter = match args.delimiter.as_deref() {
        None => None,
        Some("tab" | "\\t" | "\t") => Some(b'\t'),
        Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
        Some(d) => {
            return Err(InputError(format!(
                "--delimiter {d:?}: expected one character such as ',' ';' '|' or 'tab'"
            ))
            .into());
        }
    };
    let day_order = if args.day_first {
        DayOrder::DayFirst
    } else {
        DayOrder::MonthFirst
    };
    let mut rules = CleaningRules::new(
        args.non_product_codes
            .split(',')
            .filter(|c| !c.trim().is_empty()),
        day_order,
        args.strict,
    );
    if let Some(today) = args.today {
        rules = rules.with_today(today);
    }
    rules.max_field_bytes = args.max_field_bytes;
    rules.max_description_bytes = args.max_description_bytes;
    Ok(ReadOptions {
        mapping: ColumnMapping::parse(&args.columns)?,
        delimiter,
        rules,
        memory_budget: args.memory_budget,
        max_line_bytes: args.max_line_bytes,
    })
}

/// Says on stderr what the user should know before trusting the numbers (lines dated
/// in the future).
fn print_warnings(quality: &QualityReport) {
    for warning in quality.warnings() {
        eprintln!("{warning}");
    }
}

/// Reads and cleans the inputs behind a progress bar.
pub fn read_inputs(paths: &[PathBuf], options: &ReadOptions) -> Result<Transactions> {
    with_read_progress(|progress| read_transactions(paths, options, progress))
}

/// Runs `read` behind a bar of bytes read, lines per second and time left.
pub fn with_read_progress<T>(
    read: impl FnOnce(&mut dyn FnMut(ReadProgress)) -> rebuy_data::Result<T>,
) -> Result<T> {
    let bar = progress::bytes(0, "reading");
    let started = Instant::now();
    let result = read(&mut |p| {
        bar.set_length(p.bytes_total);
        bar.set_position(p.bytes_done);
        bar.set_prefix(progress::rate(p.lines, started.elapsed()));
    });
    bar.finish_and_clear();
    Ok(result?)
}

pub fn inspect(args: &InspectArgs) -> Result<()> {
    // Said without the URL, which may hold a password.
    if args
        .files
        .iter()
        .any(|f| f.to_str().is_some_and(is_postgres_url))
    {
        return Err(InputError(
            "inspect reads files, not a database: `rebuy run --input postgres://...` writes \
             the same report as the run folder's quality.json"
                .into(),
        )
        .into());
    }
    let transactions = read_inputs(&args.files, &read_options(&args.read)?)?;
    print_warnings(transactions.quality());
    if args.json {
        println!("{}", serde_json::to_string_pretty(transactions.quality())?);
    } else {
        print!("{}", transactions.quality().to_text());
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct Manifest {
    rebuy_version: &'static str,
    command: &'static str,
    inputs: Vec<InputFile>,
    as_of: String,
    horizon_days: u32,
    /// Unit of the BTYD recency and T columns and of the BTYD models' time.
    btyd_time_unit: TimeUnit,
    /// Currency of the money columns (`--currency`), or null.
    currency: Option<String>,
    seed: u64,
    first_sale: Option<String>,
    last_sale: Option<String>,
    stages: Vec<Stage>,
    counts: Counts,
    files: Vec<String>,
}

#[derive(Debug, Serialize)]
struct InputFile {
    path: String,
    bytes: u64,
    sha256: String,
}

#[derive(Debug, Clone, Serialize)]
struct Stage {
    name: &'static str,
    seconds: f64,
    /// Highest resident memory of the run so far, at the end of the stage (Linux
    /// only): the stage that raises it is the one that needs the memory.
    peak_rss_mb: Option<u64>,
}

/// Times the stages of a run one after the other, with the memory peak so far.
struct Stages {
    started: Instant,
    done: Vec<Stage>,
}

impl Default for Stages {
    fn default() -> Self {
        Stages {
            started: Instant::now(),
            done: Vec::new(),
        }
    }
}

impl Stages {
    fn start(&mut self) {
        self.started = Instant::now();
    }

    fn end(&mut self, name: &'static str) {
        self.done.push(Stage {
            name,
            seconds: self.started.elapsed().as_secs_f64(),
            peak_rss_mb: peak_rss_mb(),
        });
    }
}

/// Peak resident memory of the process so far in MB (`VmHWM`). Not reset per stage:
/// resetting it (`/proc/self/clear_refs`) would also hide the whole run's peak from
/// `/usr/bin/time`.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    let kilobytes: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kilobytes / 1024)
}

#[derive(Debug, Serialize)]
struct Counts {
    lines_read: u64,
    sales_lines: u64,
    returns_kept: u64,
    customers: usize,
    invoices: u64,
}

/// What a run produced, for callers such as `demo`.
pub struct RunOutcome {
    pub folder: PathBuf,
    pub customers: usize,
}

pub fn run(args: &RunArgs) -> Result<RunOutcome> {
    let folder = RunFolder::create(&args.out)?;
    rebuy_data::sweep_abandoned_spills();
    let segment_map = load_segment_map(args.segments.as_deref())?;
    let options = read_options(&args.read)?;
    let source = Source::of(args)?;
    let hashing = match source.database() {
        Some((database, sql)) => InputHashing::Database(database, sql),
        None => InputHashing::Files(spawn_hashing(args.inputs.clone())),
    };
    let mut stages = Stages::default();
    let tables = write_tables(args, &folder, &segment_map, &options, &source, &mut stages)?;
    let quality = &tables.quality;
    let mut manifest = Manifest {
        rebuy_version: env!("CARGO_PKG_VERSION"),
        command: "run",
        inputs: hashing.finish()?,
        as_of: tables.as_of.to_string(),
        horizon_days: args.horizon_days,
        btyd_time_unit: args.time_unit,
        currency: args.currency.clone(),
        seed: args.seed,
        first_sale: quality.first_sale.clone(),
        last_sale: quality.last_sale.clone(),
        stages: stages.done.clone(),
        counts: Counts {
            lines_read: quality.lines_read,
            sales_lines: quality.sales_lines,
            returns_kept: quality.returns_kept,
            customers: tables.customers,
            invoices: quality.invoices,
        },
        files: folder.files()?,
    };
    folder.write_json(MANIFEST, &manifest)?;
    stages.start();
    write_report(&folder, &args.out)?;
    stages.end("report");
    manifest.stages = stages.done;
    manifest.files = folder.files()?;
    folder.write_json(MANIFEST, &manifest)?;
    print!("{}", quality.to_text());
    println!();
    print!("{}", tables.summary);
    let folder = folder.commit()?;
    println!("\nrun folder: {}", folder.display());
    Ok(RunOutcome {
        folder,
        customers: tables.customers,
    })
}

/// What a run keeps once its tables are written: the per-customer tables are dropped
/// by then, before `report.html` reads the run folder back.
struct Written {
    quality: QualityReport,
    as_of: AsOf,
    customers: usize,
    /// The segments, clusters and purchase-model lines printed at the end of the run.
    summary: String,
}

/// The stages from reading to the written run folder (all but `report.html`).
fn write_tables(
    args: &RunArgs,
    folder: &RunFolder,
    segment_map: &SegmentMap,
    options: &ReadOptions,
    source: &Source,
    stages: &mut Stages,
) -> Result<Written> {
    stages.start();
    let loaded = match source.engine(options)? {
        Some(engine) => Loaded::Database(engine),
        None => Loaded::Files(read_inputs(&args.inputs, options)?),
    };
    stages.end("read_and_clean");
    print_warnings(match &loaded {
        Loaded::Files(transactions) => transactions.quality(),
        Loaded::Database(engine) => engine.quality(),
    });

    stages.start();
    let spinner = progress::spinner("customer features");
    let engine = match loaded {
        Loaded::Database(engine) => engine,
        Loaded::Files(transactions) => FeatureEngine::new(
            transactions.into_line_table(rebuy_data::RUN_BATCH_ROWS, rebuy_data::RUN_PARTITIONS)?,
        )?,
    }
    .btyd_time_unit(args.time_unit)
    .horizon_days(args.horizon_days);
    let as_of = match args.as_of {
        Some(date) => AsOf::from_date(date),
        None => engine.default_as_of(),
    };
    warn_if_lapsed(as_of, engine.default_as_of(), args.horizon_days);
    let features = engine.customer_features(as_of).map_err(|e| match e {
        rebuy_features::Error::Invalid(text) => anyhow::Error::from(InputError(text)),
        other => other.into(),
    })?;
    let rfm = features.rfm(segment_map);
    spinner.finish_and_clear();
    stages.end("features_and_rfm");

    stages.start();
    let spinner = progress::spinner("clusters (k sweep)");
    let clustering =
        segments::segment_customers(&features, &rfm, args.k, args.max_model_customers, args.seed)?;
    spinner.finish_and_clear();
    stages.end("clusters");

    stages.start();
    let spinner = progress::spinner("purchase models");
    let settings = purchase::PurchaseSettings {
        horizon_days: args.horizon_days,
        evaluation: args.evaluation,
        churn_risk_thresholds: args.churn_risk_thresholds,
        max_customers: args.max_model_customers,
        training_windows: args.training_windows,
        seed: args.seed,
    };
    let (purchase, lifetime) = purchase::purchase_stage(&engine, &features, settings, folder)?;
    spinner.finish_and_clear();
    stages.end("purchase_models");

    if args.backtest_cutoffs > 0 && matches!(purchase, Purchase::Scored { .. }) {
        stages.start();
        let sample = Sample::new(args.max_model_customers, features.len(), args.seed);
        backtest::backtest(
            &engine,
            as_of,
            (settings, sample, features.btyd_time_unit),
            backtest::BacktestSettings {
                cutoffs: args.backtest_cutoffs,
                every_days: args.backtest_every_days,
            },
            folder,
        )?;
        stages.end("backtest");
    }

    stages.start();
    let cluster_columns = match &clustering {
        Clustering::Fitted(segmentation) => segmentation.customer_columns().into(),
        Clustering::Skipped(_) => Vec::new(),
    };
    let purchase_columns = purchase.customer_columns();
    let net_flag = net_spend_flag(&features);
    let btyd_columns = lifetime.customer_columns(&features, as_of, folder)?;
    let extra: Vec<(&str, &CustomerColumn<'_>)> = std::iter::once(&net_flag)
        .chain(&cluster_columns)
        .chain(&purchase_columns)
        .map(|(name, column)| (*name, column))
        .chain(
            btyd_columns
                .iter()
                .map(|(name, column)| (name.as_str(), column)),
        )
        .collect();
    write_customers(&folder.path("customers.csv"), &features, &rfm, &extra)?;
    segments::write(folder, &features, &rfm, segment_map, &args.k, &clustering)?;
    folder.write_json("quality.json", engine.quality())?;
    write_months(&folder.path("months.csv"), &engine.monthly_revenue(as_of)?)?;
    stages.end("write");

    let mut summary = segments_text(&features, &rfm, as_of);
    summary.push_str(&clusters_text(&clustering));
    if let Purchase::Skipped(reason) = &purchase {
        summary.push_str(&format!("\nno purchase models: {reason}\n"));
    }
    Ok(Written {
        quality: engine.quality().clone(),
        as_of,
        customers: features.len(),
        summary,
    })
}

/// The customers.csv column `net_spend_not_positive`: `true` for a customer whose
/// returns cancel their purchases (M score 1, CLV 0, left out of the spend model).
fn net_spend_flag(features: &CustomerFeatures) -> (&'static str, CustomerColumn<'static>) {
    (
        "net_spend_not_positive",
        CustomerColumn::Labels {
            names: vec!["false".into(), "true".into()],
            index: std::borrow::Cow::Owned(
                features
                    .monetary
                    .iter()
                    .map(|&net| usize::from(net <= 0.0))
                    .collect(),
            ),
        },
    )
}

/// Says so when an `--as-of` date lies more than the horizon past the last sale: every
/// customer then looks lapsed, and no label window holds a sale.
fn warn_if_lapsed(as_of: AsOf, after_last_sale: AsOf, horizon_days: u32) {
    let gap = as_of.day() - after_last_sale.day();
    if gap > i32::try_from(horizon_days).unwrap_or(i32::MAX) {
        eprintln!(
            "warning: --as-of {as_of} is {gap} days after the last sale ({}), more than the \
             {horizon_days}-day horizon: every customer will look lapsed",
            after_last_sale.plus_days(-1)
        );
    }
}

/// The clean lines of a run: read from files, or already in a database or cluster.
enum Loaded {
    Files(Transactions),
    Database(FeatureEngine),
}

/// The manifest's record of the inputs: files hashed on another thread while they are
/// read, or the database and the SQL of the lines (hashed).
enum InputHashing {
    Files(std::thread::JoinHandle<Result<Vec<InputFile>>>),
    Database(String, String),
}

impl InputHashing {
    fn finish(self) -> Result<Vec<InputFile>> {
        match self {
            InputHashing::Files(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("input hashing failed"))?,
            InputHashing::Database(path, sql) => Ok(vec![InputFile {
                path,
                bytes: 0,
                sha256: format!("{:x}", Sha256::digest(sql.as_bytes())),
            }]),
        }
    }
}

fn load_segment_map(path: Option<&Path>) -> Result<SegmentMap> {
    let Some(path) = path else {
        return Ok(SegmentMap::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("--segments {}: {e}", path.display())))?;
    let map: SegmentMap = serde_json::from_str(&text).map_err(|e| {
        InputError(format!(
            "--segments {}: not a segment map: {e}",
            path.display()
        ))
    })?;
    map.validate()
        .map_err(|e| InputError(format!("--segments {}: {e}", path.display())))?;
    Ok(map)
}

/// Hashes the inputs on another thread while they are read.
fn spawn_hashing(paths: Vec<PathBuf>) -> std::thread::JoinHandle<Result<Vec<InputFile>>> {
    std::thread::spawn(move || {
        paths
            .iter()
            .map(|path| {
                let mut file = std::fs::File::open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                let mut hasher = Sha256::new();
                let mut buffer = vec![0u8; 1 << 20];
                let mut bytes = 0u64;
                loop {
                    let n = file.read(&mut buffer)?;
                    if n == 0 {
                        break;
                    }
                    bytes += n as u64;
                    hasher.update(&buffer[..n]);
                }
                Ok(InputFile {
                    path: path.display().to_string(),
                    bytes,
                    sha256: format!("{:x}", hasher.finalize()),
                })
            })
            .collect()
    })
}

/// `months.csv`: revenue of the clean sales before the as-of date by calendar month
/// (`YYYY-MM`), with the first and last day of the month it covers (a month the data or
/// the as-of date cut is partial).
fn write_months(path: &Path, months: &[MonthRevenue]) -> Result<()> {
    let mut writer =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    writer.write_record(["month", "revenue", "first_day", "last_day"])?;
    for m in months {
        writer.write_record([
            m.month.clone(),
            format_value(m.revenue),
            m.first_day.to_string(),
            m.last_day.to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// The RFM segments table printed at the end of a run.
fn segments_text(features: &CustomerFeatures, rfm: &RfmScores, as_of: AsOf) -> String {
    let mut text = format!("RFM segments at {as_of} ({} customers):\n", features.len());
    let _ = writeln!(
        text,
        "  {:<22} {:>9} {:>10} {:>10}",
        "segment", "customers", "% cust.", "% revenue"
    );
    for segment in segments::rfm_summary(features, rfm) {
        let _ = writeln!(
            text,
            "  {:<22} {:>9} {:>9.1}% {:>9.1}%",
            segment.name,
            segment.customers,
            100.0 * segment.customer_share,
            100.0 * segment.revenue_share
        );
    }
    text
}

/// The clusters table (or why there are none) printed at the end of a run.
fn clusters_text(clustering: &Clustering) -> String {
    let mut text = String::new();
    match clustering {
        Clustering::Skipped(reason) => {
            let _ = writeln!(text, "\nno clusters: {reason}");
        }
        Clustering::Fitted(s) => {
            let _ = writeln!(
                text,
                "\nKMeans clusters (k = {}): {}",
                s.sweep.chosen_k, s.sweep.reason
            );
            // The name column is as wide as the longest name.
            let width = s
                .profiles
                .iter()
                .map(|p| p.name.len())
                .max()
                .unwrap_or(0)
                .max(7);
            let _ = writeln!(
                text,
                "  {:<width$} {:>9} {:>10} {:>10} {:>10} {:>12}",
                "cluster", "customers", "% net spend", "recency", "frequency", "monetary"
            );
            for p in &s.profiles {
                let _ = writeln!(
                    text,
                    "  {:<width$} {:>9} {:>10.1}% {:>10.0} {:>10.1} {:>12.2}",
                    p.name,
                    p.customers,
                    100.0 * p.revenue_share,
                    p.median_recency_days,
                    p.median_frequency,
                    p.median_monetary
                );
            }
            text.push_str("  (recency, frequency, monetary (net spend): medians)\n");
        }
    }
    text
}

/// `report.html`: the run folder as the dashboard shows it, in one self-contained file,
/// under the run's name (the folder `target` it is renamed to, not the staging folder
/// it is written in).
fn write_report(folder: &RunFolder, target: &Path) -> Result<()> {
    let name = target.file_name().map_or_else(
        || target.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let run = rebuy_server::RunData::load(&folder.path(""))
        .context("cannot read the run folder back for report.html")?
        .named(name);
    let path = folder.path("report.html");
    std::fs::write(&path, rebuy_server::report_html(&run))
        .with_context(|| format!("cannot write {}", path.display()))
}
