//! Loading a run folder and precomputing what the pages and the API show.

use crate::ServerError;
use crate::comparison::Comparison;
use crate::customers::Customers;
use crate::money::Money;
use chrono::NaiveDate;
use rebuy_models::backtest::Backtest;
use rebuy_models::scoring::{
    Answering, ClusterModel, LifetimeModel, ModelFile, Population, RFM_FIELDS, RFM_ONLY,
    RfmReference, Scorer,
};
use rebuy_vocabulary::rfm::{self, SegmentMap};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `manifest.json` says about the run (fields the server shows).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Manifest {
    pub rebuy_version: String,
    pub as_of: Option<String>,
    pub horizon_days: Option<u32>,
    pub first_sale: Option<String>,
    pub last_sale: Option<String>,
    pub inputs: Vec<InputFile>,
    /// ISO 4217 code of the run's amounts (`rebuy run --currency`); null or absent
    /// (older runs) when the run names none.
    pub currency: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InputFile {
    pub path: String,
    pub bytes: u64,
}

/// The data-quality report of the run (`quality.json`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Quality {
    pub lines_read: u64,
    pub dropped: Vec<DroppedLines>,
    pub returns_kept: u64,
    pub sales_lines: u64,
    pub parse_issues: Vec<ParseIssue>,
    pub customers: u64,
    pub invoices: u64,
    pub revenue: f64,
    pub returns_value: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DroppedLines {
    pub rule: String,
    pub description: String,
    pub lines: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ParseIssue {
    pub location: String,
    pub column: String,
    pub value: String,
    pub expected: String,
}

/// `segments.json` as `rebuy run` writes it (the fields the server shows).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SegmentsFile {
    clustering: Option<Clustering>,
    clustering_skipped: Option<String>,
    /// The RFM segment map the run used (absent in older runs: the default map).
    segment_map: Option<SegmentMap>,
}

/// The KMeans results of the run (`clustering` in `segments.json`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Clustering {
    /// `"Auto"`, or `{"Fixed": k}` for `--k k` (absent in older runs).
    pub k_choice: Option<serde_json::Value>,
    pub chosen_k: Option<u32>,
    /// The elbow of the inertia curve (Kneedle), when the curve has one.
    pub knee: Option<u32>,
    /// Why this k, in a sentence.
    pub reason: Option<String>,
    /// Share of the customers k was chosen and the centres fitted on (1: all).
    pub fit_customer_share: Option<f64>,
    pub sweep: Vec<SweepPoint>,
    /// One object per cluster: its id, name, size and mean features, shown as given.
    pub clusters: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SweepPoint {
    pub k: u32,
    pub inertia: Option<f64>,
    pub silhouette: Option<f64>,
    pub davies_bouldin: Option<f64>,
}

impl Clustering {
    /// The k the user forced with `--k`, if any.
    pub fn fixed_k(&self) -> Option<u64> {
        self.k_choice.as_ref()?.get("Fixed")?.as_u64()
    }
}

/// The days the figures of a run cover.
#[derive(Debug, Clone, Copy, Default)]
pub struct Period {
    /// Day of the first sale of the data (every line read).
    pub first_sale: Option<NaiveDate>,
    /// Day of the last sale of the data.
    pub last_sale: Option<NaiveDate>,
    /// The first day the customer features do not see.
    pub as_of: Option<NaiveDate>,
}

impl Period {
    fn of(manifest: &Manifest) -> Period {
        let day = |text: &Option<String>| {
            text.as_deref()
                .and_then(|t| t.get(..10))
                .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        };
        Period {
            first_sale: day(&manifest.first_sale),
            last_sale: day(&manifest.last_sale),
            as_of: day(&manifest.as_of),
        }
    }

    /// The last day the customers' figures see: the day before the as-of date, or the
    /// last sale when the data end earlier.
    pub fn last_day(&self) -> Option<NaiveDate> {
        let before_as_of = self.as_of.and_then(|d| d.pred_opt());
        match (before_as_of, self.last_sale) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The days of calendar month `YYYY-MM` that the figures cover (inside the data and
    /// before the as-of date); `None` when none is.
    pub fn days_of(&self, month: &str) -> Option<(NaiveDate, NaiveDate)> {
        let (start, end) = calendar_month(month)?;
        let from = self.first_sale.map_or(start, |f| f.max(start));
        let to = self.last_day().map_or(end, |l| l.min(end));
        (from <= to).then_some((from, to))
    }

    /// Whether the figures cover only part of calendar month `YYYY-MM`.
    pub fn is_partial(&self, month: &str) -> bool {
        self.days_of(month) != calendar_month(month)
    }

    /// Whether the data hold sales on or after the as-of date: the quality report
    /// counts them, customers.csv and months.csv do not.
    pub fn has_sales_after_as_of(&self) -> bool {
        matches!((self.as_of, self.last_sale), (Some(as_of), Some(last)) if last >= as_of)
    }
}

/// Revenue of one calendar month, and the days of it that the revenue covers.
#[derive(Debug, Clone)]
pub struct RevenueMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub revenue: f64,
    /// First and last day covered (inside the data and before the as-of date), when
    /// known.
    pub days: Option<(NaiveDate, NaiveDate)>,
}

impl RevenueMonth {
    /// The first and last day of the calendar month.
    pub fn calendar(&self) -> Option<(NaiveDate, NaiveDate)> {
        calendar_month(&self.month)
    }

    /// Whether the revenue covers only part of the month (the data or the as-of date
    /// start or end inside it).
    pub fn is_partial(&self) -> bool {
        match (self.days, self.calendar()) {
            (Some(days), Some(calendar)) => days != calendar,
            _ => false,
        }
    }

    /// Days covered and days in the month.
    pub fn day_counts(&self) -> Option<(i64, i64)> {
        let ((first, last), (start, end)) = (self.days?, self.calendar()?);
        Some(((last - first).num_days() + 1, (end - start).num_days() + 1))
    }
}

/// The first and last day of calendar month `YYYY-MM`.
fn calendar_month(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first, next.pred_opt()?))
}

/// `months.csv`, cut to the run's period.
#[derive(Debug, Clone, Default)]
pub struct RevenueByMonth {
    pub months: Vec<RevenueMonth>,
    /// Set for a months.csv of an older run, which counted every sale: months from the
    /// as-of date on are left out, and the as-of month may hold later sales.
    pub counts_every_sale: bool,
}

/// Headline numbers of the Overview page.
#[derive(Debug)]
pub struct Overview {
    pub customers: usize,
    /// Sales before returns, before the as-of date: the sum of `gross_spend` when the
    /// run has it, else of `monetary` (docs/definitions.md).
    pub revenue: f64,
    /// Net spend (sales minus returns) before the as-of date: the sum of `monetary`, the
    /// base of the segments' and clusters' shares.
    pub net_spend: f64,
    /// Value of the customers' returns before the as-of date, when the run has
    /// `returns_value`.
    pub returns_value: Option<f64>,
    pub orders: f64,
    /// Customers who bought within the horizon before the as-of date.
    pub active: usize,
    pub horizon_days: u32,
    /// Share of customers with two or more orders.
    pub repeat_rate: f64,
    /// Month (`YYYY-MM`) -> (customers whose first purchase, last purchase fell in it).
    pub first_and_last_purchases: BTreeMap<String, (u64, u64)>,
}

/// One named RFM segment.
#[derive(Debug, Clone)]
pub struct SegmentSummary {
    pub name: String,
    pub customers: usize,
    /// Net spend of the segment's customers (see [`Overview::net_spend`]).
    pub net_spend: f64,
    pub mean_recency_days: f64,
    pub mean_frequency: f64,
    pub mean_monetary: f64,
}

/// One cell of the R x F grid: how many customers, and the segment most of them are in.
#[derive(Debug, Clone)]
pub struct RfCell {
    pub r_score: u8,
    pub f_score: u8,
    pub customers: usize,
    pub segment: String,
}

/// A sample of one cluster's customers for the scatter plot: (recency, frequency, monetary).
#[derive(Debug)]
pub struct ClusterPoints {
    pub name: String,
    pub points: Vec<[f64; 3]>,
}

/// Most customers drawn per cluster in the scatter plot, to keep the page light.
const MAX_POINTS_PER_CLUSTER: usize = 1500;

/// A run folder loaded into memory; pages and handlers only read it.
#[derive(Debug)]
pub struct RunData {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub quality: Option<Quality>,
    pub customers: Customers,
    pub clustering: Option<Clustering>,
    /// Why the run has no clusters, when `segments.json` says so.
    pub clustering_skipped: Option<String>,
    /// Whether the run folder has `segments.json`.
    pub has_segments_file: bool,
    /// `metrics.json`: the model comparison.
    pub comparison: Option<Comparison>,
    /// `months.csv`: revenue per month, before the as-of date.
    pub revenue_by_month: Option<RevenueByMonth>,
    /// The days the figures cover.
    pub period: Period,
    /// How amounts are written (the run's currency).
    pub money: Money,
    /// The run's name when it is not the folder's (report.html is written in a staging
    /// folder).
    display_name: Option<String>,
    pub overview: Overview,
    /// Largest segment first.
    pub segments: Vec<SegmentSummary>,
    pub rf_cells: Vec<RfCell>,
    /// Empty when `customers.csv` has no `cluster_name` column.
    pub cluster_points: Vec<ClusterPoints>,
    /// The run's quintiles and segment map, to score a new customer as the run did.
    pub rfm: Arc<RfmReference>,
    /// The chosen purchase model and all it needs to score a customer, or why the run
    /// has none (a sentence).
    pub scorer: Result<Scorer, String>,
    /// The buy-till-you-die pictures the run drew (title, SVG text), in page order.
    pub btyd_pictures: Vec<(&'static str, String)>,
    /// `backtest.json` (`rebuy run --backtest-cutoffs N`) and its picture.
    pub backtest: Option<Backtest>,
    pub backtest_picture: Option<String>,
    /// The run's name in a runs folder (`rebuy serve --runs`): every internal link
    /// carries it as `?run=NAME`, so a page of an older run links to that run's pages.
    pub picked_as: Option<String>,
}

/// The buy-till-you-die pictures `rebuy run` writes into the run folder, with titles.
const BTYD_PICTURES: [(&str, &str); 4] = [
    (
        "btyd_tracking.svg",
        "Cumulative purchases in the hold-out: each model vs actual",
    ),
    (
        "btyd_calibration_holdout.svg",
        "Repeat purchases in the test window: model vs actual",
    ),
    (
        "btyd_expected_purchases.svg",
        "Expected purchases by frequency and recency",
    ),
    ("btyd_p_alive.svg", "P(alive) by frequency and recency"),
];

impl RunData {
    /// Reads a run folder: `manifest.json` and `customers.csv` are required, every
    /// other file is optional and its absence is shown on the pages.
    pub fn load(dir: &Path) -> Result<Self, ServerError> {
        if !dir.join("manifest.json").is_file() {
            return Err(ServerError::NotARunFolder(dir.display().to_string()));
        }
        let manifest: Manifest = read_json(&dir.join("manifest.json"))?;
        let quality = read_optional_json(&dir.join("quality.json"))?;
        let segments_file: Option<SegmentsFile> = read_optional_json(&dir.join("segments.json"))?;
        let has_segments_file = segments_file.is_some();
        let (clustering, clustering_skipped, segment_map) = segments_file
            .map_or((None, None, None), |f| {
                (f.clustering, f.clustering_skipped, f.segment_map)
            });
        let comparison: Option<Comparison> = read_optional_json(&dir.join("metrics.json"))?;
        let customers = Customers::load(&dir.join("customers.csv"))?;
        let period = Period::of(&manifest);
        let revenue_by_month = read_months(&dir.join("months.csv"), &period)?;
        let overview = overview(&manifest, &customers);
        let money = Money::new(manifest.currency.as_deref());
        let segments = segment_summaries(&customers);
        let rfm = Arc::new(RfmReference::new(
            RFM_FIELDS.map(|name| customers.required(name).iter().collect()),
            segment_map.unwrap_or_default(),
        ));
        let scorer = load_scorer(dir, comparison.as_ref(), &customers, &rfm)?;
        let rf_cells = rf_cells(&customers);
        let cluster_points = cluster_points(&customers);
        let btyd_pictures = read_pictures(dir, &BTYD_PICTURES)?;
        let backtest = read_optional_json(&dir.join("backtest.json"))?;
        let backtest_picture = read_pictures(dir, &[("backtest.svg", "Backtest")])?
            .pop()
            .map(|(_, svg)| svg);
        Ok(RunData {
            dir: dir.to_path_buf(),
            manifest,
            quality,
            customers,
            clustering,
            clustering_skipped,
            has_segments_file,
            comparison,
            revenue_by_month,
            period,
            money,
            display_name: None,
            overview,
            segments,
            rf_cells,
            cluster_points,
            rfm,
            scorer,
            btyd_pictures,
            backtest,
            backtest_picture,
            picked_as: None,
        })
    }

    /// The run as one of a runs folder, picked with `?run=NAME`.
    pub fn picked_as(mut self, name: impl Into<String>) -> Self {
        self.picked_as = Some(name.into());
        self
    }

    /// An internal link (`/customers?segment=x`) to this run's page: with `run=NAME`
    /// added when the run is one of a runs folder.
    pub fn href(&self, path: &str) -> String {
        match &self.picked_as {
            None => path.to_string(),
            Some(name) => {
                let joint = if path.contains('?') { '&' } else { '?' };
                let (path, anchor) = path.split_once('#').map_or((path, ""), |(p, a)| (p, a));
                let anchor = if anchor.is_empty() {
                    String::new()
                } else {
                    format!("#{anchor}")
                };
                format!("{path}{joint}run={}{anchor}", crate::html::url_encode(name))
            }
        }
    }

    /// The hidden field that keeps a GET form on this run (empty for a lone run).
    pub fn run_field(&self) -> String {
        self.picked_as.as_ref().map_or_else(String::new, |name| {
            format!(
                "<input type=\"hidden\" name=\"run\" value=\"{}\">",
                crate::html::escape(name)
            )
        })
    }

    /// Short name of the run for page titles: the folder name, or the name given by
    /// [`RunData::named`].
    pub fn name(&self) -> String {
        if let Some(name) = &self.display_name {
            return name.clone();
        }
        self.dir.file_name().map_or_else(
            || self.dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The run under another name than its folder's: `rebuy run` writes report.html in
    /// a staging folder that is renamed to the run's name afterwards.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Whether a numeric column is in `customers.csv`.
    pub fn has_column(&self, name: &str) -> bool {
        self.customers.column(name).is_some()
    }
}

/// What a marketer does for a segment of the default map.
pub fn segment_action(segment: &str) -> &'static str {
    rfm::suggested_action(segment)
        .unwrap_or("No default action for this segment: decide one in your campaign tool.")
}

/// The run's chosen purchase model, or why there is none; a model file that is
/// named but damaged stops the server.
fn load_scorer(
    dir: &Path,
    comparison: Option<&Comparison>,
    customers: &Customers,
    rfm: &Arc<RfmReference>,
) -> Result<Result<Scorer, String>, ServerError> {
    let Some(comparison) = comparison else {
        return Ok(Err(
            "the run has no purchase model (no metrics.json): run `rebuy run` with this version"
                .to_string(),
        ));
    };
    if let Some(reason) = &comparison.skipped {
        return Ok(Err(format!("the run has no purchase model: {reason}")));
    }
    let chosen = &comparison.chosen;
    if chosen.is_empty() {
        return Ok(Err("metrics.json names no chosen model".to_string()));
    }
    let invalid = |file: PathBuf, detail: String| ServerError::Invalid {
        file: file.display().to_string(),
        detail,
    };
    let answering = |path: PathBuf| {
        ModelFile::load(&path)
            .map(|(file, model)| Answering::new(file, model))
            .map_err(|e| invalid(path, e.to_string()))
    };
    let full = answering(dir.join("models").join(format!("{chosen}.json")))?;
    let optional_model = |name: &str| {
        let path = dir.join("models").join(name);
        path.is_file().then_some(path)
    };
    let rfm_only = optional_model(&format!("{RFM_ONLY}.json"))
        .map(answering)
        .transpose()?;
    let clusters = optional_model("kmeans.json")
        .map(|path| ClusterModel::load(&path).map_err(|e| invalid(path, e.to_string())))
        .transpose()?;
    let lifetime = optional_model("btyd.json")
        .map(|path| LifetimeModel::load(&path).map_err(|e| invalid(path, e.to_string())))
        .transpose()?;
    let probabilities: Vec<f64> = customers
        .column("purchase_probability")
        .map(|c| c.present().collect())
        .unwrap_or_default();
    let population = match Population::new(&probabilities) {
        Ok(population) => population,
        Err(_) => {
            return Ok(Err(
                "customers.csv has no purchase_probability to rank a new customer against"
                    .to_string(),
            ));
        }
    };
    let scorer =
        Scorer::new(full, rfm_only, rfm.clone(), clusters, lifetime, population).map_err(|e| {
            invalid(
                dir.join("models").join(format!("{chosen}.json")),
                e.to_string(),
            )
        })?;
    Ok(Ok(scorer))
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, ServerError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ServerError::Read {
        file: file.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| ServerError::Invalid {
        file,
        detail: e.to_string(),
    })
}

fn read_optional_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, ServerError> {
    if path.is_file() {
        read_json(path).map(Some)
    } else {
        Ok(None)
    }
}

/// The SVG pictures of `names` that the run folder has, with their titles.
fn read_pictures(
    dir: &Path,
    names: &[(&str, &'static str)],
) -> Result<Vec<(&'static str, String)>, ServerError> {
    let mut pictures = Vec::new();
    for (name, title) in names {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        let svg = std::fs::read_to_string(&path).map_err(|e| ServerError::Read {
            file: path.display().to_string(),
            source: e,
        })?;
        if !svg.trim_start().starts_with("<svg") {
            return Err(ServerError::Invalid {
                file: path.display().to_string(),
                detail: "not an SVG picture".to_string(),
            });
        }
        pictures.push((*title, svg));
    }
    Ok(pictures)
}

/// `months.csv`: `month,revenue` and, since the file stops at the as-of date,
/// `first_day,last_day` (the days of the month the revenue covers). An older file, which
/// counted every sale, is cut here to the months before the as-of date.
fn read_months(path: &Path, period: &Period) -> Result<Option<RevenueByMonth>, ServerError> {
    if !path.is_file() {
        return Ok(None);
    }
    let file = path.display().to_string();
    let invalid = |detail: String| ServerError::Invalid {
        file: file.clone(),
        detail,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| invalid(e.to_string()))?;
    let header = reader
        .headers()
        .map_err(|e| invalid(e.to_string()))?
        .clone();
    let find = |name: &str| header.iter().position(|h| h == name);
    let position = |name: &str| find(name).ok_or_else(|| invalid(format!("no column `{name}`")));
    let (month, revenue) = (position("month")?, position("revenue")?);
    let covered = find("first_day").zip(find("last_day"));
    let mut months = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| invalid(e.to_string()))?;
        let line = index + 2;
        let cell = record.get(revenue).unwrap_or_default();
        let value: f64 = cell
            .parse()
            .map_err(|_| invalid(format!("line {line}: revenue `{cell}` is not a number")))?;
        let date = |at: usize| {
            let cell = record.get(at).unwrap_or_default();
            NaiveDate::parse_from_str(cell, "%Y-%m-%d")
                .map_err(|_| invalid(format!("line {line}: `{cell}` is not a date YYYY-MM-DD")))
        };
        let days = match covered {
            Some((first, last)) => Some((date(first)?, date(last)?)),
            None => None,
        };
        months.push(RevenueMonth {
            month: record.get(month).unwrap_or_default().to_string(),
            revenue: value,
            days,
        });
    }
    let counts_every_sale = covered.is_none();
    if counts_every_sale {
        // The days of each month inside the data and before the as-of date.
        months.retain_mut(|m| {
            m.days = period.days_of(&m.month);
            m.days.is_some()
        });
    }
    Ok(Some(RevenueByMonth {
        months,
        counts_every_sale: counts_every_sale && period.has_sales_after_as_of(),
    }))
}

/// `gross_spend` when the table has it (sales before returns), else `monetary` (which
/// is that sum in runs without it).
fn sales_column(customers: &Customers) -> &'static str {
    if customers.column("gross_spend").is_some() {
        "gross_spend"
    } else {
        "monetary"
    }
}

fn overview(manifest: &Manifest, customers: &Customers) -> Overview {
    let horizon_days = manifest
        .horizon_days
        .unwrap_or(rebuy_vocabulary::DEFAULT_HORIZON_DAYS);
    let recency = customers.required("recency_days");
    let frequency = customers.required("frequency");
    let tenure = customers.column("tenure_days");
    let as_of = manifest
        .as_of
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let mut first_and_last_purchases: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    if let (Some(as_of), Some(tenure)) = (as_of, tenure) {
        let month = |days_before: f64| {
            as_of
                .checked_sub_days(chrono::Days::new(days_before.max(0.0) as u64))
                .map(|d| d.format("%Y-%m").to_string())
        };
        for (row, days) in recency.iter().enumerate() {
            if let Some(last) = month(days) {
                first_and_last_purchases.entry(last).or_default().1 += 1;
            }
            if let Some(first) = tenure.get(row).and_then(month) {
                first_and_last_purchases.entry(first).or_default().0 += 1;
            }
        }
    }
    let count = customers.len();
    Overview {
        customers: count,
        revenue: customers.required(sales_column(customers)).iter().sum(),
        net_spend: customers.required("monetary").iter().sum(),
        returns_value: customers.column("returns_value").map(|c| c.present().sum()),
        orders: frequency.iter().sum(),
        active: recency
            .iter()
            .filter(|&d| d <= f64::from(horizon_days))
            .count(),
        horizon_days,
        repeat_rate: frequency.iter().filter(|&f| f >= 2.0).count() as f64 / count.max(1) as f64,
        first_and_last_purchases,
    }
}

fn segment_summaries(customers: &Customers) -> Vec<SegmentSummary> {
    let recency = customers.required("recency_days");
    let frequency = customers.required("frequency");
    let monetary = customers.required("monetary");
    let mut by_name: HashMap<&str, SegmentSummary> = HashMap::new();
    for (row, name) in customers.rfm_segment.iter().enumerate() {
        let summary = by_name.entry(name).or_insert_with(|| SegmentSummary {
            name: name.to_string(),
            customers: 0,
            net_spend: 0.0,
            mean_recency_days: 0.0,
            mean_frequency: 0.0,
            mean_monetary: 0.0,
        });
        summary.customers += 1;
        summary.net_spend += monetary.get(row);
        summary.mean_recency_days += recency.get(row);
        summary.mean_frequency += frequency.get(row);
    }
    let mut summaries: Vec<SegmentSummary> = by_name
        .into_values()
        .map(|mut s| {
            let n = s.customers as f64;
            s.mean_recency_days /= n;
            s.mean_frequency /= n;
            s.mean_monetary = s.net_spend / n;
            s
        })
        .collect();
    summaries.sort_by(|a, b| b.customers.cmp(&a.customers).then(a.name.cmp(&b.name)));
    summaries
}

fn rf_cells(customers: &Customers) -> Vec<RfCell> {
    let r_scores = customers.required("r_score");
    let f_scores = customers.required("f_score");
    let mut names: HashMap<(u8, u8), HashMap<&str, usize>> = HashMap::new();
    for (row, segment) in customers.rfm_segment.iter().enumerate() {
        let cell = (r_scores.get(row) as u8, f_scores.get(row) as u8);
        *names.entry(cell).or_default().entry(segment).or_default() += 1;
    }
    let mut cells: Vec<RfCell> = names
        .into_iter()
        .map(|((r_score, f_score), counts)| {
            let customers = counts.values().sum();
            let segment = counts
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                .map_or_else(String::new, |(name, _)| name.to_string());
            RfCell {
                r_score,
                f_score,
                customers,
                segment,
            }
        })
        .collect();
    cells.sort_by_key(|c| (c.r_score, c.f_score));
    cells
}

fn cluster_points(customers: &Customers) -> Vec<ClusterPoints> {
    let Some(names) = &customers.cluster_name else {
        return Vec::new();
    };
    let columns = ["recency_days", "frequency", "monetary"].map(|c| customers.required(c));
    let mut by_cluster: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (row, name) in names.iter().enumerate() {
        by_cluster.entry(name).or_default().push(row);
    }
    by_cluster
        .into_iter()
        .map(|(name, rows)| {
            let step = rows.len().div_ceil(MAX_POINTS_PER_CLUSTER).max(1);
            ClusterPoints {
                name: name.to_string(),
                points: rows
                    .iter()
                    .step_by(step)
                    .map(|&row| [0, 1, 2].map(|i| columns[i].get(row)))
                    .collect(),
            }
        })
        .collect()
}
