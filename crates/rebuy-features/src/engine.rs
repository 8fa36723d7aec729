//! The query engine over the clean lines, and the as-of date that bounds every query.

use crate::features::{CustomerAggregates, CustomerFeatures};
use crate::{Error, Result, TimeUnit};
use chrono::{Duration, NaiveDate};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, Int64Type, UInt32Type};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use rebuy_data::{LineTable, QualityReport, Transactions};
use std::sync::Arc;

/// The first day that features do not see: features use the lines of days before it,
/// labels the days from it on. Held as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AsOf(i32);

impl AsOf {
    pub fn from_date(date: NaiveDate) -> Self {
        AsOf((date - epoch()).num_days() as i32)
    }

    pub fn date(self) -> NaiveDate {
        epoch() + Duration::days(i64::from(self.0))
    }

    /// Days since 1970-01-01.
    pub fn day(self) -> i32 {
        self.0
    }

    /// The as-of date `days` later (earlier when negative).
    pub fn plus_days(self, days: i32) -> Self {
        AsOf(self.0 + days)
    }
}

impl std::fmt::Display for AsOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.date())
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// The clean lines registered in DataFusion as the table `lines`
/// (schema: [`Transactions::schema`]).
pub struct FeatureEngine {
    runtime: tokio::runtime::Runtime,
    context: SessionContext,
    customer_ids: Vec<Box<str>>,
    quality: QualityReport,
    first_day: i32,
    last_day: i32,
    btyd_time_unit: TimeUnit,
}

impl std::fmt::Debug for FeatureEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeatureEngine")
            .field("customers", &self.customer_ids.len())
            .field("first_day", &self.first_day)
            .field("last_day", &self.last_day)
            .finish_non_exhaustive()
    }
}

impl FeatureEngine {
    pub fn new(table: LineTable) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Invalid(format!("cannot start the query runtime: {e}")))?;
        let partitions = table.partitions.len().max(1);
        let config = SessionConfig::new().with_target_partitions(partitions);
        let context = SessionContext::new_with_config(config);
        let memory = MemTable::try_new(Transactions::schema(), table.partitions)?;
        context.register_table("lines", Arc::new(memory))?;
        let mut engine = FeatureEngine {
            runtime,
            context,
            customer_ids: table.customer_ids,
            quality: table.quality,
            first_day: 0,
            last_day: 0,
            btyd_time_unit: TimeUnit::Days,
        };
        let range = engine.query(
            "SELECT MIN(day) AS first_day, MAX(day) AS last_day FROM lines WHERE NOT is_return",
        )?;
        let batch = range
            .first()
            .ok_or_else(|| Error::Invalid("no sale in the data".into()))?;
        let day = |name: &str| -> Result<i32> {
            let column = batch
                .column_by_name(name)
                .ok_or_else(|| Error::Invalid(format!("missing {name}")))?;
            let days = column.as_primitive::<datafusion::arrow::datatypes::Int32Type>();
            if days.is_null(0) {
                return Err(Error::Invalid("no sale in the data".into()));
            }
            Ok(days.value(0))
        };
        engine.first_day = day("first_day")?;
        engine.last_day = day("last_day")?;
        Ok(engine)
    }

    /// The unit of the BTYD recency and T in every feature table from now on (days
    /// unless set).
    pub fn btyd_time_unit(mut self, unit: TimeUnit) -> Self {
        self.btyd_time_unit = unit;
        self
    }

    pub fn quality(&self) -> &QualityReport {
        &self.quality
    }

    /// The day after the last sale: features then see every sale.
    pub fn default_as_of(&self) -> AsOf {
        AsOf(self.last_day + 1)
    }

    /// The day of the first sale.
    pub fn first_sale(&self) -> AsOf {
        AsOf(self.first_day)
    }

    /// The day of the last sale.
    pub fn last_sale(&self) -> AsOf {
        AsOf(self.last_day)
    }

    /// Features of every customer with at least one purchase before `as_of`, from
    /// lines before `as_of` only.
    pub fn customer_features(&self, as_of: AsOf) -> Result<CustomerFeatures> {
        if as_of.day() <= self.first_day {
            return Err(Error::Invalid(format!(
                "as-of date {as_of} is not after the first sale ({}): no customer has a history yet",
                AsOf(self.first_day)
            )));
        }
        let batches = self.query(&CustomerAggregates::sql(as_of))?;
        let aggregates = CustomerAggregates::from_batches(&batches, &self.customer_ids)?;
        Ok(CustomerFeatures::derive(
            aggregates,
            as_of,
            self.btyd_time_unit,
        ))
    }

    /// For each of `customer_ids`, whether they buy at least once in the `horizon_days`
    /// days from `as_of` on (`as_of` included).
    pub fn purchase_labels(
        &self,
        customer_ids: &[String],
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
    /// hold-out period, counted as `btyd_frequency` counts them.
    pub fn purchase_days(
        &self,
        customer_ids: &[String],
        as_of: AsOf,
        horizon_days: u32,
    ) -> Result<Vec<u32>> {
        let end = as_of.day() + horizon_days as i32;
        let batches = self.query(&format!(
            "SELECT customer, COUNT(DISTINCT day) AS days FROM lines \
             WHERE NOT is_return AND day >= {} AND day < {end} GROUP BY customer",
            as_of.day()
        ))?;
        let mut purchase_days = vec![0u32; self.customer_ids.len()];
        for batch in &batches {
            let keys = batch.column(0).as_primitive::<UInt32Type>().values();
            for (key, days) in keys.iter().zip(int_column(batch, "days")?) {
                purchase_days[*key as usize] = u32::try_from(days).unwrap_or(u32::MAX);
            }
        }
        let index: std::collections::HashMap<&str, usize> = self
            .customer_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (&**id, i))
            .collect();
        Ok(customer_ids
            .iter()
            .map(|id| index.get(id.as_str()).map_or(0, |&i| purchase_days[i]))
            .collect())
    }

    /// Revenue per calendar month of the clean sales, for the overview.
    pub fn monthly_revenue(&self) -> Result<Vec<(String, f64)>> {
        let batches = self.query(
            "SELECT date_trunc('month', to_timestamp_seconds(CAST(day AS BIGINT) * 86400)) AS month, \
             SUM(amount) AS revenue FROM lines WHERE NOT is_return GROUP BY 1 ORDER BY 1",
        )?;
        let mut out = Vec::new();
        for batch in &batches {
            let months = datafusion::arrow::compute::cast(
                batch.column(0),
                &datafusion::arrow::datatypes::DataType::Utf8,
            )?;
            let months = months.as_string::<i32>();
            let revenue = batch.column(1).as_primitive::<Float64Type>();
            for i in 0..batch.num_rows() {
                out.push((months.value(i)[..7].to_string(), revenue.value(i)));
            }
        }
        Ok(out)
    }

    fn query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        self.runtime.block_on(async {
            let frame = self.context.sql(sql).await?;
            Ok(frame.collect().await?)
        })
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
