//! The command line.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "rebuy",
    version,
    about = "Customer segments and purchase predictions from an online store's transaction log",
    long_about = "rebuy reads transaction lines in the UCI Online Retail shape (CSV, CSV.gz, XLSX, \
                  Parquet), cleans them with counted rules, and computes per-customer features, \
                  RFM scores and segments into a run folder.\n\n\
                  Exit status: 0 success, 2 bad command line, 65 bad input data or files, \
                  70 internal failure, 75 another run is writing the same --out folder."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write realistic synthetic transactions (Online Retail II columns) to a file
    Generate(GenerateArgs),
    /// Read and clean files, then print the data-quality report (no modelling)
    Inspect(InspectArgs),
    /// Run the pipeline: read, clean, customer features and RFM segments into a run folder
    Run(RunArgs),
    /// Write transaction files (CSV, CSV.gz, XLSX, Parquet) as one Parquet file of the
    /// lines as read, so that later runs read the fast format
    Convert(ConvertArgs),
    /// Generate a sample data set and run the pipeline on it
    Demo(DemoArgs),
    /// Serve the dashboard and the JSON API of a run folder
    Serve(ServeArgs),
    /// Purchase probability, RFM segment and cluster of one customer, from a run folder
    Predict(PredictArgs),
    /// Score a table of customers (the run's customers.csv columns) with a run's model
    Score(ScoreArgs),
    /// Check that a running `rebuy serve` answers its health endpoint (exit 0 when it does)
    Healthcheck(HealthcheckArgs),
    /// Manage who may sign in to `rebuy serve --users FILE`: add, remove and list users,
    /// make API tokens (the file keeps only hashes of passwords and tokens)
    #[command(subcommand)]
    Users(UsersCommand),
    /// Start a process of a Ballista cluster (scheduler or executor), for
    /// `rebuy run --engine ballista://HOST:PORT` (docs/scaling.md)
    #[cfg(feature = "cluster")]
    #[command(subcommand)]
    Ballista(BallistaCommand),
}

#[cfg(feature = "cluster")]
#[derive(Debug, Subcommand)]
pub enum BallistaCommand {
    /// Run a Ballista scheduler: it plans the queries of `rebuy run --engine` and hands
    /// their tasks to the executors registered with it (stop it with Ctrl+C)
    Scheduler(SchedulerArgs),
    /// Run a Ballista executor: it registers with the scheduler and runs tasks, reading
    /// the input files at the paths `rebuy run` names (stop it with Ctrl+C)
    Executor(ExecutorArgs),
}

#[cfg(feature = "cluster")]
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address to listen on for clients and executors; 0.0.0.0:50050 accepts
    /// connections from other machines
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub bind: std::net::SocketAddr,
}

#[cfg(feature = "cluster")]
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler's address (HOST:PORT)
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub scheduler: String,
    /// Host to listen on; 0.0.0.0 accepts connections from other machines
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_host: String,
    /// The host name other machines reach this executor by (default: the address the
    /// scheduler sees it connect from)
    #[arg(long)]
    pub external_host: Option<String>,
    /// Port of the Arrow Flight service (shuffle data and results)
    #[arg(long, default_value_t = 50051)]
    pub port: u16,
    /// Port of the gRPC service the scheduler hands tasks to
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// Tasks run at once (default: the number of cores)
    #[arg(long)]
    pub concurrent_tasks: Option<usize>,
    /// Memory the executor's tasks share (e.g. 2GiB); past it their aggregations and
    /// sorts spill to --work-dir (default: Ballista's, 70% of the machine's memory for
    /// each executor)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_pool: Option<usize>,
    /// Folder for the shuffle files (default: a new temporary folder)
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct GenerateSizeArgs {
    /// Number of customers to simulate (the line count follows from their behaviour)
    #[arg(long)]
    pub customers: Option<u64>,
    /// Exact number of lines to write
    #[arg(long)]
    pub lines: Option<u64>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub size: GenerateSizeArgs,
    /// Output file: .csv, .csv.gz or .parquet (format chosen by the extension)
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of every random choice: the same seed gives the same bytes
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First day of the simulated period (YYYY-MM-DD)
    #[arg(long, default_value = "2009-12-01")]
    pub start: chrono::NaiveDate,
    /// Length of the simulated period in months
    #[arg(long, default_value_t = 24)]
    pub months: u32,
}

/// How input files are read and cleaned (shared by `inspect` and `run`).
#[derive(Debug, Args, Clone)]
pub struct ReadArgs {
    /// Map a role to a column whose name is not recognised, e.g. `customer=cust_id`.
    /// Roles: invoice, stock_code, description, quantity, invoice_date, price, customer, country
    #[arg(long = "column", value_name = "ROLE=COLUMN")]
    pub columns: Vec<String>,
    /// CSV delimiter (detected from the header line when not given), e.g. ';' or 'tab'
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Read dates like 1/12/2010 as day/month/year (default: month/day/year, as in the
    /// widely shared Online Retail CSV)
    #[arg(long)]
    pub day_first: bool,
    /// Stop at the first value that cannot be read instead of counting and skipping it
    #[arg(long)]
    pub strict: bool,
    /// The day the run is made (YYYY-MM-DD; default: the clock's day, in UTC): lines
    /// dated after the next day are left out and counted as future_date. Set it for a
    /// run that must give the same result on another day
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<chrono::NaiveDate>,
    /// Comma-separated stock codes that are not products (a trailing * matches a prefix)
    #[arg(long, value_name = "CODES", default_value_t = rebuy_data::DEFAULT_NON_PRODUCT_CODES.join(","))]
    pub non_product_codes: String,
    /// Memory for the clean lines (e.g. 512MiB, 2GiB); beyond it they are spilled to
    /// temporary files in $TMPDIR by customer, and the features computed one customer
    /// partition at a time
    #[arg(long, value_name = "SIZE", default_value = "1GiB", value_parser = parse_size)]
    pub memory_budget: usize,
    /// Longest invoice, stock code, customer id or country, in bytes (e.g. 256, 1KiB): a
    /// line with a longer one is counted unparseable, so that a damaged file cannot put
    /// huge values in the tables
    #[arg(long, value_name = "SIZE", default_value_t = rebuy_data::DEFAULT_MAX_FIELD_BYTES, value_parser = parse_size)]
    pub max_field_bytes: usize,
    /// Longest description, in bytes: a line with a longer one is counted unparseable
    #[arg(long, value_name = "SIZE", default_value_t = rebuy_data::DEFAULT_MAX_DESCRIPTION_BYTES, value_parser = parse_size)]
    pub max_description_bytes: usize,
    /// Longest line of a CSV file, in bytes (default 16MiB): a longer one is a damaged
    /// file (a quote never closed); reading the file stops there and the lines left are
    /// counted unparseable, so memory stays bounded
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = parse_line_size)]
    pub max_line_bytes: u64,
}

fn parse_line_size(text: &str) -> Result<u64, String> {
    let bytes = parse_size(text)?;
    if bytes < 1024 {
        return Err(format!(
            "{text}: at least 1KiB, or every line would be too long"
        ));
    }
    Ok(bytes as u64)
}

/// Two ascending probabilities strictly between 0 and 1, `LOW,HIGH`.
fn parse_thresholds(text: &str) -> Result<[f64; 2], String> {
    let expected = || {
        format!(
            "expected two probabilities LOW,HIGH with 0 < LOW < HIGH < 1, such as 0.25,0.5, not {text:?}"
        )
    };
    let (low, high) = text.split_once(',').ok_or_else(expected)?;
    let parse = |t: &str| t.trim().parse::<f64>().map_err(|_| expected());
    let (low, high) = (parse(low)?, parse(high)?);
    if 0.0 < low && low < high && high < 1.0 {
        Ok([low, high])
    } else {
        Err(expected())
    }
}

/// A currency code of 3 letters (ISO 4217, such as GBP), in capitals.
fn parse_currency(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(format!(
            "expected a three-letter currency code such as GBP, EUR or USD, not {text:?}"
        ))
    }
}

/// A size in bytes: a number with an optional binary unit (KiB, MiB, GiB; K, M, G).
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        _ => {
            return Err(format!(
                "expected a size such as 512MiB or 2GiB, not {text:?}"
            ));
        }
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("expected a size such as 512MiB or 2GiB, not {text:?}"))
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Transaction files (CSV, CSV.gz, XLSX, Parquet)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Print the report as JSON (the same content as a run's quality.json)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The input files, then the Parquet file to write (`IN... OUT.parquet`). Every line
    /// is written as read (typed; an unreadable value becomes empty), none is cleaned:
    /// `rebuy run` on the Parquet file applies and counts the cleaning rules, so
    /// --non-product-codes, --today, --max-field-bytes and --max-description-bytes have
    /// no effect here
    #[arg(required = true, num_args = 2.., value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Transaction files (CSV, CSV.gz, XLSX, Parquet); several are combined. Or one
    /// PostgreSQL database, `postgres://user@host:port/db?table=NAME` (or with --query):
    /// the cleaning rules and the aggregation then run in the database (a build with the
    /// `postgres` feature; docs/scaling.md)
    #[arg(long = "input", required = true, num_args = 1..)]
    pub inputs: Vec<PathBuf>,
    /// Run the cleaning rules and the aggregation on a Ballista cluster,
    /// `ballista://HOST:PORT` (its scheduler; `?statement_timeout=SECONDS`, default 600,
    /// bounds each query): the --input files must be Parquet, readable at the same path
    /// here and on every executor (a build with the `cluster` feature; docs/scaling.md)
    #[arg(long, value_name = "URL")]
    pub engine: Option<String>,
    /// With a postgres:// input: the SQL query whose rows are the transaction lines
    /// (instead of ?table=NAME)
    #[arg(long, value_name = "SQL")]
    pub query: Option<String>,
    /// The run folder to write (replaced if it holds an earlier run)
    #[arg(long)]
    pub out: PathBuf,
    /// The first day features do not see (YYYY-MM-DD); default: the day after the last sale
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Prediction horizon in days of the purchase models (1 to 3650)
    #[arg(long, default_value_t = rebuy_features::DEFAULT_HORIZON_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub horizon_days: u32,
    /// Seed of every random choice
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// How the purchase models are tested: `out-of-time` (fit at as-of - horizon, test at
    /// as-of) or `random` (a seeded stratified 80/20 split at one as-of date)
    #[arg(long, value_enum, default_value_t = crate::purchase::Evaluation::OutOfTime)]
    pub evaluation: crate::purchase::Evaluation,
    /// Most customers the clusters and the purchase models are fitted on (and the
    /// purchase models tested on, per window): beyond it, a seeded sample of about this
    /// many customers (the same ones everywhere; every customer is still assigned a
    /// cluster and scored), so memory and time stay bounded
    #[arg(long, default_value_t = crate::purchase::DEFAULT_MAX_MODEL_CUSTOMERS, value_parser = clap::value_parser!(u64).range(100..))]
    pub max_model_customers: u64,
    /// Time unit of the buy-till-you-die summary (`btyd_recency_<unit>`, `btyd_t_<unit>`)
    /// and of its models: `days` or `weeks` (days / 7; purchases are still counted per day)
    #[arg(long, default_value_t = rebuy_features::TimeUnit::Days)]
    pub time_unit: rebuy_features::TimeUnit,
    /// Number of KMeans clusters: `auto` (elbow of k = 2..10, vetoed by a poor
    /// silhouette) or a number
    #[arg(long, default_value = "auto", value_parser = crate::segments::parse_k)]
    pub k: rebuy_models::segment::KChoice,
    /// Churn-risk bands on the calibrated purchase probability, `LOW,HIGH`: `High` risk
    /// below LOW, `Medium` from LOW to below HIGH, `Low` from HIGH on (recorded in
    /// metrics.json with each band's observed buy rate on the test customers)
    #[arg(long, value_name = "LOW,HIGH", default_value = "0.25,0.5", value_parser = parse_thresholds)]
    // The default is rebuy_models::scoring::DEFAULT_CHURN_RISK_THRESHOLDS (a test keeps
    // them equal).
    pub churn_risk_thresholds: [f64; 2],
    /// Training windows pooled for the purchase models: the customers at the training
    /// date and at N - 1 dates before it, `--horizon-days` apart, each with the labels
    /// of its own horizon (a customer once per window); the final models pool the latest
    /// N windows the same way. Fewer where the history runs out. 1 (the default): the
    /// training window alone
    #[arg(long, default_value_t = crate::purchase::DEFAULT_TRAINING_WINDOWS, value_parser = clap::value_parser!(u32).range(1..=12))]
    pub training_windows: u32,
    /// Also backtest the purchase models: refit and test every model out of time at this
    /// many cutoffs (the run's test date and every --backtest-every-days before it), and
    /// write each model's ROC-AUC, PR-AUC, Brier and lift per cutoff with the mean and
    /// spread (backtest.json, backtest.svg, the Models page); each cutoff costs about as
    /// much as the purchase models of the run. 0: no backtest
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=120))]
    pub backtest_cutoffs: u32,
    /// Days between two backtest cutoffs
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub backtest_every_days: u32,
    /// Currency of the money columns (e.g. GBP, EUR, USD), written in manifest.json and
    /// shown on the pages; default: none
    #[arg(long, value_name = "CODE", value_parser = parse_currency)]
    pub currency: Option<String>,
    /// A JSON segment map: {"rules": [{"name": ..., "r": [lo, hi], "f": [lo, hi], "m": [lo, hi]}]},
    /// first match wins, must name all 125 RFM cells (default: the R x F grid map)
    #[arg(long, value_name = "FILE")]
    pub segments: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the sample data and the runs (`runs/`, three monthly runs; default: a
    /// new folder under the system's temp dir)
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Number of simulated customers
    #[arg(long, default_value_t = crate::demo::DEMO_CUSTOMERS)]
    pub customers: u64,
    /// Seed of the sample data and the run
    #[arg(long, default_value_t = crate::demo::DEMO_SEED)]
    pub seed: u64,
    /// Stop after writing the run folders instead of serving their dashboard
    #[arg(long)]
    pub no_serve: bool,
    /// Address of the dashboard served at the end
    #[arg(long, default_value = "127.0.0.1:8501")]
    pub addr: std::net::SocketAddr,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The run folder to serve (written by `rebuy run`)
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "runs",
        conflicts_with = "runs"
    )]
    pub run: Option<PathBuf>,
    /// A folder of run folders (e.g. `rebuy run --as-of` once a month, each with
    /// `--out DIR/NAME`; `rebuy demo` writes three): serves every complete run in it,
    /// newest first by as-of date, with a run picker on every page and the Changes page
    /// (segment migration between two runs, figures across runs); a run written while
    /// the server runs shows within seconds, one that cannot be read shows its error
    #[arg(long, value_name = "DIR")]
    pub runs: Option<PathBuf>,
    /// Address to listen on; 0.0.0.0:8501 accepts connections from other machines and
    /// then needs --users (or --no-auth)
    #[arg(long, default_value = "127.0.0.1:8501")]
    pub addr: std::net::SocketAddr,
    /// When the run (or runs) folder does not exist, run the demo (as `rebuy demo` with
    /// its defaults) in a folder under the system's temp dir and serve its runs instead
    /// (their synthetic data may be served without sign-in on any address)
    #[arg(long)]
    pub demo_if_missing: bool,
    /// Users file (`rebuy users add`): every page and API route but /api/health then
    /// needs a sign-in or an API token; re-read when it changes
    #[arg(long, env = "REBUY_USERS")]
    pub users: Option<PathBuf>,
    /// Serve without sign-in on an address other machines reach (only for data that may
    /// be public); without --users only a loopback address is served
    #[arg(long, conflicts_with = "users")]
    pub no_auth: bool,
    /// Serve HTTPS with this certificate (PEM: the server's certificate, then any
    /// intermediates); needs --tls-key. Answers then carry HSTS
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM, unencrypted)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Most connections open at once (fewer when the open-file limit is lower); one
    /// more is answered 503 at once
    #[arg(long, default_value_t = rebuy_server::transport::MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password is read from standard input (asked twice on a terminal)
    /// and stored as an argon2id hash
    Add(UsersAddArgs),
    /// Remove a user and their API tokens (their sessions end within seconds)
    Remove(UsersNameArgs),
    /// List the users: name, role, date added, API tokens
    List(UsersFileArgs),
    /// Print a new API token for a user (shown once; the file keeps its SHA-256); send it
    /// as `Authorization: Bearer TOKEN`
    Token(UsersNameArgs),
    /// Revoke every API token of a user
    Revoke(UsersNameArgs),
}

#[derive(Debug, Args)]
pub struct UsersFileArgs {
    /// The users file (made on the first `rebuy users add`, readable by its owner only)
    #[arg(long)]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct UsersNameArgs {
    #[command(flatten)]
    pub file: UsersFileArgs,
    /// The user's name (letters, digits, . _ - @)
    pub name: String,
}

#[derive(Debug, Args)]
pub struct UsersAddArgs {
    #[command(flatten)]
    pub user: UsersNameArgs,
    /// viewer: reads pages and exports; analyst: may also start actions that change
    /// state (none yet)
    #[arg(long, default_value = "viewer", value_parser = ["viewer", "analyst"])]
    pub role: String,
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// Address of the server to ask (its `--addr`; 0.0.0.0 is asked on 127.0.0.1)
    #[arg(long, default_value = "127.0.0.1:8501")]
    pub addr: std::net::SocketAddr,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The run folder whose chosen purchase model, quintiles and clusters are used
    #[arg(long)]
    pub run: PathBuf,
    /// Days since the customer's last purchase
    #[arg(long)]
    pub recency_days: f64,
    /// Number of purchases (distinct invoices)
    #[arg(long)]
    pub frequency: f64,
    /// Net spend: sales minus returns (may be zero or negative)
    #[arg(long, allow_hyphen_values = true)]
    pub monetary: f64,
    /// Another model feature (see docs/definitions.md), e.g. `tenure_days=400`. With
    /// recency, frequency and monetary alone, the run's R/F/M-only model answers
    /// (`tenure_days` and `btyd_*` then feed only P(alive) and CLV); with every
    /// feature, the chosen model; any other set is refused, naming what is missing:
    /// nothing is imputed
    #[arg(long = "feature", value_name = "NAME=VALUE")]
    pub features: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The run folder whose chosen purchase model is used
    #[arg(long)]
    pub run: PathBuf,
    /// A CSV of customers: every feature column of the run's customers.csv (scored by
    /// the chosen model), or recency_days, frequency and monetary (scored by the
    /// R/F/M-only model); other columns are kept
    #[arg(long)]
    pub input: PathBuf,
    /// The scored CSV to write: the input columns plus purchase_probability, churn_risk,
    /// probability_percentile, and the answering model and its test ROC-AUC
    #[arg(long)]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn churn_risk_thresholds_default_to_the_scorers_and_are_checked() {
        assert_eq!(
            parse_thresholds("0.25,0.5"),
            Ok(rebuy_models::scoring::DEFAULT_CHURN_RISK_THRESHOLDS)
        );
        assert_eq!(parse_thresholds(" 0.1 , 0.9 "), Ok([0.1, 0.9]));
        for bad in ["0.5,0.25", "0,0.5", "0.2,1", "0.3", "a,b", "0.3,0.3"] {
            assert!(parse_thresholds(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_currency("gbp"), Ok("GBP".to_string()));
        assert!(parse_currency("£").is_err());
    }
}
