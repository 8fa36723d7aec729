//! The query engine over the clean lines, and the as-of date that bounds every query.

#[cfg(feature = "cluster")]
use crate::ballista::BallistaSource;
use crate::features::{CustomerAggregates, CustomerFeatures};
#[cfg(feature = "postgres")]
use crate::postgres::PostgresSource;
use crate::{AsOf, DEFAULT_HORIZON_DAYS, Error, Result, TimeUnit};
use chrono::{Datelike, Duration, NaiveDate};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type, UInt32Type};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
#[cfg(any(feature = "postgres", feature = "cluster"))]
use rebuy_data::{CleaningRules, ColumnMapping};
use rebuy_data::{LineTable, Lines, QualityReport, SpilledLines, Transactions};
use std::sync::Arc;

/// Purchases in a hold-out period (see [`FeatureEngine::holdout_purchases`]), counted as
/// `btyd_frequency` counts them: distinct purchase days.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutPurchases {
    /// Per customer, in the order of the ids asked for.
    pub per_customer: Vec<u32>,
    /// Per day of the period, from its first: how many of the customers bought on it.
    pub per_day: Vec<u32>,
}

/// The revenue of one calendar month (see [`FeatureEngine::monthly_revenue`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MonthRevenue {
    /// `YYYY-MM`.
    pub month: String,
    /// Sum of the clean sales of the days covered.
    pub revenue: f64,
    /// The first and last day of the month covered: the whole month, or less where the
    /// data or the as-of date start or end inside it.
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

/// The clean lines as the table `lines` (schema: [`Transactions::schema`]) of a SQL
/// engine: DataFusion in process, a PostgreSQL session, or a Ballista cluster. Every
/// query is the same SQL text on all of them.
pub struct FeatureEngine {
    runtime: tokio::runtime::Runtime,
    backend: Backend,
    quality: QualityReport,
    first_day: i32,
    last_day: i32,
    btyd_time_unit: TimeUnit,
    /// The purchase horizon: the length of the seasonal window of the features.
    horizon_days: u32,
}

/// Where `lines` lives.
enum Backend {
    /// DataFusion over the clean lines in memory; `customer` holds keys into
    /// `customer_ids`.
    Embedded {
        context: SessionContext,
        customer_ids: Vec<Arc<str>>,
    },
    /// DataFusion over the clean lines spilled by customer, one partition at a time.
    /// A query's result is the concatenation of its results on each partition: right
    /// for per-customer queries (every customer is in one partition); the callers of
    /// the others (date range, revenue by day) combine the rows themselves.
    Partitioned {
        lines: SpilledLines,
        customer_ids: Vec<Arc<str>>,
    },
    /// A temporary table of a PostgreSQL session; `customer` holds the ids.
    #[cfg(feature = "postgres")]
    Postgres(tokio_postgres::Client),
    /// A view over Parquet files of a Ballista session (queries run on the cluster,
    /// each cancelled after `statement_timeout`); `customer` holds the ids.
    #[cfg(feature = "cluster")]
    Ballista {
        context: SessionContext,
        statement_timeout: std::time::Duration,
    },
}

impl std::fmt::Debug for FeatureEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match self.backend {
            Backend::Embedded { .. } => "datafusion",
            Backend::Partitioned { .. } => "datafusion, by customer partition",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
            #[cfg(feature = "cluster")]
            Backend::Ballista { .. } => "ballista",
        };
        f.debug_struct("FeatureEngine")
            .field("engine", &engine)
            .field("first_day", &self.first_day)
            .field("last_day", &self.last_day)
            .finish_non_exhaustive()
    }
}

impl FeatureEngine {
    /// DataFusion over the clean lines of a run.
    pub fn new(table: LineTable) -> Result<Self> {
        // Shared: every customer table points into this list instead of copying ids.
        let customer_ids = table.customer_ids.into_iter().map(Arc::from).collect();
        let backend = match table.lines {
            Lines::InMemory(batches) => Backend::Embedded {
                context: lines_context(batches)?,
                customer_ids,
            },
            Lines::Spilled(lines) => Backend::Partitioned {
                lines,
                customer_ids,
            },
        };
        Self::with_backend(runtime()?, backend, table.quality)
    }

    /// A PostgreSQL source: the cleaning rules run in the database (each counted
    /// there), and so does every later query; only their results come back.
    #[cfg(feature = "postgres")]
    pub fn postgres(
        source: &PostgresSource,
        rules: &CleaningRules,
        mapping: &ColumnMapping,
    ) -> Result<Self> {
        let runtime = runtime()?;
        let (client, quality) = runtime.block_on(source.open(rules, mapping))?;
        Self::with_backend(runtime, Backend::Postgres(client), quality)
    }

    /// Parquet files read by a Ballista cluster: the cleaning rules run on its
    /// executors (each counted there), and so does every later query; only their
    /// results come back.
    #[cfg(feature = "cluster")]
    pub fn ballista(
        source: &BallistaSource,
        rules: &CleaningRules,
        mapping: &ColumnMapping,
    ) -> Result<Self> {
        let runtime = runtime()?;
        let (context, quality) = runtime.block_on(source.open(rules, mapping))?;
        let backend = Backend::Ballista {
            context,
            statement_timeout: source.statement_timeout(),
        };
        Self::with_backend(runtime, backend, quality)
    }

    fn with_backend(
        runtime: tokio::runtime::Runtime,
        backend: Backend,
        quality: QualityReport,
    ) -> Result<Self> {
        let mut engine = FeatureEngine {
            runtime,
            backend,
            quality,
            first_day: 0,
            last_day: 0,
            btyd_time_unit: TimeUnit::Days,
            horizon_days: DEFAULT_HORIZON_DAYS,
        };
        // One row, or one per partition (NULL where a partition has no sale).
        let range = engine.query(
            "SELECT MIN(day) AS first_day, MAX(day) AS last_day FROM lines WHERE NOT is_return",
        )?;
        let days = |name: &str| -> Result<Vec<i32>> {
            let mut out = Vec::new();
            for batch in &range {
                let column = batch
                    .column_by_name(name)
                    .ok_or_else(|| Error::Invalid(format!("missing {name}")))?;
                let days = datafusion::arrow::compute::cast(column, &DataType::Int32)?;
                out.extend(days.as_primitive::<Int32Type>().iter().flatten());
            }
            Ok(out)
        };
        let no_sale = || Error::Invalid("no sale in the data".into());
        engine.first_day = days("first_day")?.into_iter().min().ok_or_else(no_sale)?;
        engine.last_day = days("last_day")?.into_iter().max().ok_or_else(no_sale)?;
        Ok(engine)
    }

    /// The unit of the BTYD recency and T in every feature table from now on (days
    /// unless set).
    pub fn btyd_time_unit(mut self, unit: TimeUnit) -> Self {
        self.btyd_time_unit = unit;
        self
    }

    /// The purchase horizon the features are made for ([`DEFAULT_HORIZON_DAYS`] unless
    /// set): the seasonal features count the sales in that many days from one year
    /// before the as-of date on.
    pub fn horizon_days(mut self, days: u32) -> Self {
        self.horizon_days = days;
        self
    }

    pub fn quality(&self) -> &QualityReport {
        &self.quality
    }

    /// The day after the last sale: features then see every sale.
    pub fn default_as_of(&self) -> AsOf {
        AsOf::from_day(self.last_day + 1)
    }

    /// The day of the first sale.
    pub fn first_sale(&self) -> AsOf {
        AsOf::from_day(self.first_day)
    }

    /// The day of the last sale.
    pub fn last_sale(&self) -> AsOf {
        AsOf::from_day(self.last_day)
    }

    /// Features of every customer with at least one purchase before `as_of`, from
    /// lines before `as_of` only.
    pub fn customer_features(&self, as_of: AsOf) -> Result<CustomerFeatures> {
        // Every customer has a row at most: the exact size for the default as-of date.
        self.features_where(as_of, |_| true, self.customer_ids().len())
    }

    /// [`Self::customer_features`] of the customers whose id `keep` accepts (a sample
    /// of a large customer base). Each result batch of the query is turned into
    /// feature rows as it comes and dropped, so the memory is that of the kept rows.
    pub fn customer_features_of(
        &self,
        as_of: AsOf,
        keep: impl Fn(&str) -> bool,
    ) -> Result<CustomerFeatures> {
        self.features_where(as_of, keep, 0)
    }

    /// The features of the kept customers, with room for `expected_rows` made first.
    fn features_where(
        &self,
        as_of: AsOf,
        keep: impl Fn(&str) -> bool,
        expected_rows: usize,
    ) -> Result<CustomerFeatures> {
        if as_of.day() <= self.first_day {
            return Err(Error::Invalid(format!(
                "as-of date {as_of} is not after the first sale ({}): no customer has a history yet",
                AsOf::from_day(self.first_day)
            )));
        }
        let mut features = CustomerFeatures::new(as_of, self.btyd_time_unit);
        features.reserve(expected_rows);
        self.query_each(
            &CustomerAggregates::sql(as_of, self.horizon_days),
            |batch| {
                let aggregates = CustomerAggregates::from_batch(&batch, self.customer_ids())?;
                features.push_rows(aggregates, &keep);
                Ok(())
            },
        )?;
        features.sort_by_id();
        Ok(features)
    }

    /// For each of `customer_ids`, whether they buy at least once in the `horizon_days`
    /// days from `as_of` on (`as_of` included).
    pub fn purchase_labels(
        &self,
        customer_ids: &[impl AsRef<str>],
        as_of: AsOf,
        horizon_days: u32,
    ) -> Result<Vec<bool>> {
        Ok(self
            .purchase_days(customer_ids, as_of, horizon_days)?
            .into_iter()
            .map(|days| days > 0)
            .collect())
    }

    /// For each of `customer_ids`, the number of distinct days they buy on in the
    /// `horizon_days` days from `as_of` on (`as_of` included): their purchases in a
    /// hold-out period, counted as `btyd_frequency` counts them. Only the rows of
    /// `customer_ids` are kept from the query's result.
    pub fn purchase_days(
        &self,
        customer_ids: &[impl AsRef<str>],
        as_of: AsOf,
        horizon_days: u32,
    ) -> Result<Vec<u32>> {
        Ok(self
            .holdout_purchases(customer_ids, as_of, horizon_days)?
            .per_customer)
    }

    /// The purchases of `customer_ids` in the `horizon_days` days from `as_of` on, per
    /// customer (as [`Self::purchase_days`]) and per day of the period (how many of them
    /// bought on it): the actual side of a buy-till-you-die model's tracking curve.
    pub fn holdout_purchases(
        &self,
        customer_ids: &[impl AsRef<str>],
        as_of: AsOf,
        horizon_days: u32,
    ) -> Result<HoldoutPurchases> {
        let end = as_of.day() + horizon_days as i32;
        let row_of: std::collections::HashMap<&str, usize> = customer_ids
            .iter()
            .enumerate()
            .map(|(row, id)| (id.as_ref(), row))
            .collect();
        let mut purchases = HoldoutPurchases {
            per_customer: vec![0; customer_ids.len()],
            per_day: vec![0; horizon_days as usize],
        };
        self.query_each(
            &format!(
                "SELECT customer, day FROM lines \
                 WHERE NOT is_return AND day >= {} AND day < {end} GROUP BY customer, day",
                as_of.day()
            ),
            |batch| {
                let customers = customer_id_column(&batch, self.customer_ids())?;
                for (customer, day) in customers.iter().zip(int_column(&batch, "day")?) {
                    if let Some(&row) = row_of.get(&**customer) {
                        purchases.per_customer[row] += 1;
                        // The query keeps only days in the period.
                        let offset = (day - i64::from(as_of.day())) as usize;
                        purchases.per_day[offset] += 1;
                    }
                }
                Ok(())
            },
        )?;
        Ok(purchases)
    }

    /// Revenue per calendar month of the clean sales before `as_of` (the days the
    /// customers' features see), for the overview: every month from the first sale to
    /// the day before `as_of` (or the last sale), months without a sale at 0, each with
    /// the days of it covered. The SQL sums by day (portable to every engine); the sums
    /// of a day from several partitions are added, rounded as money, and days are put
    /// into months here.
    pub fn monthly_revenue(&self, as_of: AsOf) -> Result<Vec<MonthRevenue>> {
        let batches = self.query(&format!(
            "SELECT day, SUM(amount) AS revenue FROM lines WHERE NOT is_return AND day < {} \
             GROUP BY day ORDER BY day",
            as_of.day()
        ))?;
        let mut days = std::collections::BTreeMap::<i64, f64>::new();
        for batch in &batches {
            let revenue = float_column(batch, "revenue")?;
            for (day, revenue) in int_column(batch, "day")?.into_iter().zip(revenue) {
                *days.entry(day).or_default() += revenue;
            }
        }
        let last = AsOf::from_day(self.last_day.min(as_of.day() - 1)).date();
        let mut months: Vec<MonthRevenue> = Vec::new();
        let mut first = AsOf::from_day(self.first_day).date();
        while first <= last {
            let next_month = first
                .with_day(1)
                .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                .unwrap_or(last + Duration::days(1));
            let last_day = (next_month - Duration::days(1)).min(last);
            months.push(MonthRevenue {
                month: first.format("%Y-%m").to_string(),
                revenue: 0.0,
                first_day: first,
                last_day,
            });
            first = next_month;
        }
        for (day, revenue) in days {
            let date = AsOf::from_day(day as i32).date();
            if let Some(month) = months
                .iter_mut()
                .find(|m| m.first_day <= date && date <= m.last_day)
            {
                month.revenue += round_money(revenue);
            }
        }
        // A sum of rounded days is not itself on the millionth grid (23035.440000000006).
        for month in &mut months {
            month.revenue = round_money(month.revenue);
        }
        Ok(months)
    }

    /// The embedded engine's customer ids by key (empty for a database, whose
    /// `customer` column holds the ids).
    fn customer_ids(&self) -> &[Arc<str>] {
        match &self.backend {
            Backend::Embedded { customer_ids, .. } | Backend::Partitioned { customer_ids, .. } => {
                customer_ids
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => &[],
            #[cfg(feature = "cluster")]
            Backend::Ballista { .. } => &[],
        }
    }

    fn query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let mut batches = Vec::new();
        self.query_each(sql, |batch| {
            batches.push(batch);
            Ok(())
        })?;
        Ok(batches)
    }

    /// Runs `sql` and hands each result batch to `each` as the engine produces it, so
    /// that a large result (one row per customer) is never held whole.
    fn query_each(&self, sql: &str, mut each: impl FnMut(RecordBatch) -> Result<()>) -> Result<()> {
        self.runtime.block_on(async {
            match &self.backend {
                Backend::Embedded { context, .. } => stream_into(context, sql, &mut each).await,
                Backend::Partitioned { lines, .. } => {
                    for partition in 0..lines.partitions() {
                        let context = lines_context(lines.read(partition)?)?;
                        stream_into(&context, sql, &mut each).await?;
                    }
                    Ok(())
                }
                #[cfg(feature = "postgres")]
                Backend::Postgres(client) => {
                    for batch in crate::postgres::query(client, sql).await? {
                        each(batch)?;
                    }
                    Ok(())
                }
                #[cfg(feature = "cluster")]
                Backend::Ballista {
                    context,
                    statement_timeout,
                } => {
                    for batch in crate::ballista::query(context, sql, *statement_timeout).await? {
                        each(batch)?;
                    }
                    Ok(())
                }
            }
        })
    }
}

/// Runs `sql` on `context` and hands each result batch to `each` as it comes.
async fn stream_into(
    context: &SessionContext,
    sql: &str,
    each: &mut impl FnMut(RecordBatch) -> Result<()>,
) -> Result<()> {
    let mut stream = context.sql(sql).await?.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        each(batch?)?;
    }
    Ok(())
}

/// A DataFusion session whose table `lines` is `batches`, one scan partition per group.
fn lines_context(batches: Vec<Vec<RecordBatch>>) -> Result<SessionContext> {
    let config = SessionConfig::new().with_target_partitions(batches.len().max(1));
    let context = SessionContext::new_with_config(config);
    let memory = MemTable::try_new(Transactions::schema(), batches)?;
    context.register_table("lines", Arc::new(memory))?;
    Ok(context)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("cannot start the query runtime: {e}")))
}

/// The customer ids of a result's `customer` column: keys into `customer_ids` (the
/// embedded engine's interned ids) or the ids themselves as text (a database, a
/// cluster).
pub(crate) fn customer_id_column(
    batch: &RecordBatch,
    customer_ids: &[Arc<str>],
) -> Result<Vec<Arc<str>>> {
    let column = batch
        .column_by_name("customer")
        .ok_or_else(|| Error::Invalid("query result has no customer column".into()))?;
    match column.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let ids = datafusion::arrow::compute::cast(column, &DataType::Utf8)?;
            Ok(ids
                .as_string::<i32>()
                .iter()
                .map(|id| Arc::from(id.unwrap_or_default()))
                .collect())
        }
        _ => {
            let keys = datafusion::arrow::compute::cast(column, &DataType::UInt32)?;
            keys.as_primitive::<UInt32Type>()
                .values()
                .iter()
                .map(|&key| {
                    customer_ids
                        .get(key as usize)
                        .cloned()
                        .ok_or_else(|| Error::Invalid(format!("unknown customer key {key}")))
                })
                .collect()
        }
    }
}

/// Reads an integer column that an engine may type as Int64 or narrower.
pub(crate) fn int_column(batch: &RecordBatch, name: &str) -> Result<Vec<i64>> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| Error::Invalid(format!("query result has no column {name}")))?;
    let as_i64 =
        datafusion::arrow::compute::cast(column, &datafusion::arrow::datatypes::DataType::Int64)?;
    Ok(as_i64.as_primitive::<Int64Type>().values().to_vec())
}

/// Reads a sum of money, rounded to a millionth of the currency unit: engines add the
/// amounts in different orders, which changes the last bits of a sum; rounded, every
/// engine (DataFusion, PostgreSQL) gives the same number, and so the same scores.
pub(crate) fn money_column(batch: &RecordBatch, name: &str) -> Result<Vec<f64>> {
    Ok(float_column(batch, name)?
        .into_iter()
        .map(round_money)
        .collect())
}

/// A sum of money rounded to a millionth of the currency unit.
pub(crate) fn round_money(sum: f64) -> f64 {
    (sum * 1e6).round() / 1e6
}

/// Reads a float column, with NULL as 0.
pub(crate) fn float_column(batch: &RecordBatch, name: &str) -> Result<Vec<f64>> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| Error::Invalid(format!("query result has no column {name}")))?;
    let as_f64 =
        datafusion::arrow::compute::cast(column, &datafusion::arrow::datatypes::DataType::Float64)?;
    let values = as_f64.as_primitive::<Float64Type>();
    Ok((0..values.len())
        .map(|i| {
            if values.is_null(i) {
                0.0
            } else {
                values.value(i)
            }
        })
        .collect())
}
