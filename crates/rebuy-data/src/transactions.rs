//! The clean transactions a run works on, and their Arrow form.

use crate::clean::{Cleaner, Columns};
use crate::duplicates;
use crate::error::{Error, Result};
use crate::parse::SECONDS_PER_DAY;
use crate::quality::{InputReport, QualityReport, Rule, RuleCount};
use crate::spill::SpilledLines;
use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int32Array, RecordBatch, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::DateTime;
use std::sync::Arc;

/// Clean sales and returns of known customers, with the report of how they were made.
///
/// Strings are interned: the `customer` column of [`Transactions::record_batches`]
/// is an index into [`Transactions::customer_ids`].
#[derive(Debug)]
pub struct Transactions {
    customer_ids: Vec<Box<str>>,
    lines: CleanLines,
    quality: QualityReport,
}

/// Where the clean lines are.
#[derive(Debug)]
enum CleanLines {
    /// They fit the memory budget.
    InMemory(Columns),
    /// On disk by customer, in the engine's schema.
    Spilled { lines: SpilledLines, count: usize },
}

/// How `rebuy run` lays the clean lines out for the feature SQL
/// ([`Transactions::into_line_table`]): batches of 64k rows, DataFusion's usual size,
pub const RUN_BATCH_ROWS: usize = 1 << 16;
/// in two partitions, so that both cores of a small machine scan.
pub const RUN_PARTITIONS: usize = 2;

impl Transactions {
    /// Ends cleaning: computes the report and fails when no sale is left. When lines
    /// were spilled, each partition is de-duplicated here (exact duplicates share a
    /// customer, so the count is that of one pass over all lines).
    pub fn finish(mut cleaner: Cleaner, inputs: Vec<InputReport>) -> Result<Self> {
        cleaner.flush()?;
        if cleaner.spilled.is_some() {
            cleaner.spill()?;
        } else {
            cleaner.remove_duplicates();
        }
        let future_dates = cleaner.future_dates();
        let Cleaner {
            lines_read,
            mut dropped,
            issues,
            strings,
            columns,
            spilled,
            ..
        } = cleaner;
        let mut summary = Summary::new(strings.customers.len(), strings.invoices.len());
        let lines = match spilled {
            None => {
                summary.add(&columns);
                CleanLines::InMemory(columns)
            }
            Some(raw) => {
                let mut count = 0;
                let lines = raw.finish(|mut partition| {
                    let keys = strings.keys_of(&partition);
                    dropped[Rule::Duplicate.index()] +=
                        duplicates::remove_exact_duplicates(&mut partition, keys);
                    summary.add(&partition);
                    count += partition.len();
                    line_batch(partition)
                })?;
                CleanLines::Spilled { lines, count }
            }
        };
        let summary = summary.finish();
        let quality = QualityReport {
            inputs,
            lines_read,
            dropped: Rule::ALL
                .iter()
                .map(|&rule| RuleCount {
                    rule,
                    description: rule.description().to_string(),
                    lines: dropped[rule.index()],
                })
                .collect(),
            returns_kept: summary.returns_lines,
            sales_lines: summary.sales_lines,
            parse_issues: issues,
            future_dates,
            customers: summary.customers,
            invoices: summary.invoices,
            first_sale: summary.first_sale.map(format_timestamp),
            last_sale: summary.last_sale.map(format_timestamp),
            revenue: summary.revenue,
            returns_value: summary.returns_value,
        };
        quality.require_sales()?;
        Ok(Transactions {
            customer_ids: strings.customers.into_strings(),
            lines,
            quality,
        })
    }

    pub fn quality(&self) -> &QualityReport {
        &self.quality
    }

    /// Customer id text of each customer key.
    pub fn customer_ids(&self) -> &[Box<str>] {
        &self.customer_ids
    }

    /// Number of clean lines (sales and returns).
    pub fn len(&self) -> usize {
        match &self.lines {
            CleanLines::InMemory(columns) => columns.len(),
            CleanLines::Spilled { count, .. } => *count,
        }
    }

    /// Whether the lines passed the memory budget and were spilled to disk.
    pub fn is_spilled(&self) -> bool {
        matches!(self.lines, CleanLines::Spilled { .. })
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The schema of [`Transactions::record_batches`]: one row per clean line.
    ///
    /// `customer`, `invoice`, `stock_code`, `country`: interned keys; `day`: days since
    /// 1970-01-01 of the invoice date; `quantity`: units (positive, also on returns);
    /// `amount`: quantity x unit price; `is_return`: a cancellation line.
    pub fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("customer", DataType::UInt32, false),
            Field::new("invoice", DataType::UInt32, false),
            Field::new("stock_code", DataType::UInt32, false),
            Field::new("country", DataType::UInt32, false),
            Field::new("day", DataType::Int32, false),
            Field::new("quantity", DataType::Float64, false),
            Field::new("amount", DataType::Float64, false),
            Field::new("is_return", DataType::Boolean, false),
        ]))
    }

    /// The lines as Arrow batches of at most `batch_rows` rows, split into
    /// `partitions` groups of batches for parallel scans (in memory), or the spilled
    /// customer partitions. Consumes the lines so that their memory moves into the
    /// batches instead of being copied.
    pub fn into_line_table(self, batch_rows: usize, partitions: usize) -> Result<LineTable> {
        let Transactions {
            customer_ids,
            lines,
            quality,
        } = self;
        let lines = match lines {
            CleanLines::Spilled { lines, .. } => {
                Lines::Spilled(lines.scanned_as(batch_rows, partitions))
            }
            CleanLines::InMemory(columns) => {
                Lines::InMemory(scan_groups(&line_batch(columns)?, batch_rows, partitions))
            }
        };
        Ok(LineTable {
            lines,
            customer_ids,
            quality,
        })
    }
}

/// `whole` as batches of at most `batch_rows` rows (views, not copies), dealt round
/// robin into `groups` groups for parallel scans.
pub(crate) fn scan_groups(
    whole: &RecordBatch,
    batch_rows: usize,
    groups: usize,
) -> Vec<Vec<RecordBatch>> {
    let rows = whole.num_rows();
    let batch_rows = batch_rows.max(1);
    let groups = groups.max(1);
    let mut out: Vec<Vec<RecordBatch>> = vec![Vec::new(); groups];
    for (i, offset) in (0..rows).step_by(batch_rows).enumerate() {
        out[i % groups].push(whole.slice(offset, batch_rows.min(rows - offset)));
    }
    out
}

/// The lines in the engine's schema ([`Transactions::schema`]). Each column is freed
/// as soon as it is no longer needed, and the amount is computed in the price column's
/// memory, so that building the batch needs little more than the lines themselves.
fn line_batch(columns: Columns) -> Result<RecordBatch> {
    let Columns {
        customer,
        invoice,
        stock_code,
        description,
        country,
        timestamp,
        quantity,
        price: mut amount,
        is_return,
    } = columns;
    drop(description);
    let day: Vec<i32> = timestamp
        .iter()
        .map(|t| t.div_euclid(SECONDS_PER_DAY) as i32)
        .collect();
    drop(timestamp);
    for (price, quantity) in amount.iter_mut().zip(&quantity) {
        *price *= quantity;
    }
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(customer)),
        Arc::new(UInt32Array::from(invoice)),
        Arc::new(UInt32Array::from(stock_code)),
        Arc::new(UInt32Array::from(country)),
        Arc::new(Int32Array::from(day)),
        Arc::new(Float64Array::from(quantity)),
        Arc::new(Float64Array::from(amount)),
        Arc::new(BooleanArray::from(is_return)),
    ];
    RecordBatch::try_new(Transactions::schema(), arrays)
        .map_err(|e| Error::Config(format!("internal: building the line table: {e}")))
}

/// The clean lines as Arrow batches (schema [`Transactions::schema`]), ready for a
/// query engine, with what is needed to read its keys and its history.
#[derive(Debug)]
pub struct LineTable {
    pub lines: Lines,
    /// Customer id text of each `customer` key.
    pub customer_ids: Vec<Box<str>>,
    pub quality: QualityReport,
}

/// The lines of a [`LineTable`].
#[derive(Debug)]
pub enum Lines {
    /// Groups of batches, for parallel scans.
    InMemory(Vec<Vec<RecordBatch>>),
    /// Customer partitions on disk: every customer's lines are in one partition.
    Spilled(SpilledLines),
}

/// Counts over the clean lines for the report, added up over parts of the lines (the
/// spilled partitions) with the same result as over all of them in input order.
struct Summary {
    sales_lines: u64,
    returns_lines: u64,
    buying_customer: Vec<bool>,
    sale_invoice: Vec<bool>,
    first_sale: Option<i64>,
    last_sale: Option<i64>,
    revenue: ExactSum,
    returns_value: ExactSum,
}

/// The report's figures of a [`Summary`].
struct SummaryFigures {
    sales_lines: u64,
    returns_lines: u64,
    customers: u64,
    invoices: u64,
    first_sale: Option<i64>,
    last_sale: Option<i64>,
    revenue: f64,
    returns_value: f64,
}

impl Summary {
    fn new(n_customers: usize, n_invoices: usize) -> Self {
        Summary {
            sales_lines: 0,
            returns_lines: 0,
            buying_customer: vec![false; n_customers],
            sale_invoice: vec![false; n_invoices],
            first_sale: None,
            last_sale: None,
            revenue: ExactSum::default(),
            returns_value: ExactSum::default(),
        }
    }

    fn add(&mut self, c: &Columns) {
        for i in 0..c.customer.len() {
            let amount = c.quantity[i] * c.price[i];
            if c.is_return[i] {
                self.returns_lines += 1;
                self.returns_value.add(amount);
                continue;
            }
            self.sales_lines += 1;
            self.revenue.add(amount);
            self.buying_customer[c.customer[i] as usize] = true;
            self.sale_invoice[c.invoice[i] as usize] = true;
            let t = c.timestamp[i];
            self.first_sale = Some(self.first_sale.map_or(t, |f| f.min(t)));
            self.last_sale = Some(self.last_sale.map_or(t, |l| l.max(t)));
        }
    }

    fn finish(self) -> SummaryFigures {
        SummaryFigures {
            sales_lines: self.sales_lines,
            returns_lines: self.returns_lines,
            customers: self.buying_customer.iter().filter(|b| **b).count() as u64,
            invoices: self.sale_invoice.iter().filter(|b| **b).count() as u64,
            first_sale: self.first_sale,
            last_sale: self.last_sale,
            revenue: self.revenue.value(),
            returns_value: self.returns_value.value(),
        }
    }
}

/// A sum of floats rounded once, at the end (Shewchuk's exact partials, as Python's
/// `math.fsum`): the result does not depend on the order of the terms, so the report
/// is the same whether the lines were added in input order or partition by partition.
#[derive(Debug, Default)]
struct ExactSum {
    /// Non-overlapping partial sums, smallest first, whose exact sum is the total.
    partials: Vec<f64>,
}

impl ExactSum {
    fn add(&mut self, mut x: f64) {
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let high = x + y;
            let low = y - (high - x);
            if low != 0.0 {
                self.partials[kept] = low;
                kept += 1;
            }
            x = high;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// The exact sum rounded to the nearest float (ties to even).
    fn value(&self) -> f64 {
        let p = &self.partials;
        let Some((&last, rest)) = p.split_last() else {
            return 0.0;
        };
        let (mut high, mut low) = (last, 0.0);
        let mut n = rest.len();
        while n > 0 {
            let (x, y) = (high, rest[n - 1]);
            n -= 1;
            high = x + y;
            low = y - (high - x);
            if low != 0.0 {
                break;
            }
        }
        // Round half to even when the rest of the partials decide a tie.
        if n > 0 && ((low < 0.0 && rest[n - 1] < 0.0) || (low > 0.0 && rest[n - 1] > 0.0)) {
            let y = low * 2.0;
            let x = high + y;
            if y == x - high {
                high = x;
            }
        }
        high
    }
}

/// `YYYY-MM-DD HH:MM:SS` of seconds since 1970.
pub fn format_timestamp(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| seconds.to_string())
}

impl QualityReport {
    /// Fails, saying which rules removed what, when no sale survived cleaning.
    pub fn require_sales(&self) -> Result<()> {
        if self.sales_lines == 0 {
            return Err(Error::NothingSurvived(nothing_survived(self)));
        }
        Ok(())
    }
}

fn nothing_survived(q: &QualityReport) -> String {
    let mut worst: Vec<&RuleCount> = q.dropped.iter().filter(|c| c.lines > 0).collect();
    worst.sort_by_key(|c| std::cmp::Reverse(c.lines));
    let rules: Vec<String> = worst
        .iter()
        .map(|c| format!("{} removed {} ({})", c.rule.key(), c.lines, c.description))
        .collect();
    let mut text = format!("{} lines read", q.lines_read);
    if !rules.is_empty() {
        text.push_str(": ");
        text.push_str(&rules.join("; "));
    }
    if q.returns_kept > 0 {
        text.push_str(&format!(
            "; {} cancellation lines kept as returns, but no sale",
            q.returns_kept
        ));
    }
    if let Some(issue) = q.parse_issues.first() {
        text.push_str(&format!(
            "; first unreadable value: {}, column {:?}: {:?}, expected {}",
            issue.location, issue.column, issue.value, issue.expected
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::ExactSum;

    fn exact_sum(terms: impl IntoIterator<Item = f64>) -> f64 {
        let mut sum = ExactSum::default();
        terms.into_iter().for_each(|x| sum.add(x));
        sum.value()
    }

    /// The values Python's `math.fsum` gives, in any order of the terms.
    #[test]
    fn exact_sum_is_fsum_whatever_the_order() {
        assert_eq!(exact_sum([0.1; 10]), 1.0);
        assert_eq!(exact_sum([1e100, 1.0, -1e100, 1e-100]), 1.0);
        assert_eq!(exact_sum([]), 0.0);
        // fsum([1, 1e-16, 1e-16]) rounds the exact 1 + 2e-16 up; a loop gives 1.0.
        assert_eq!(exact_sum([1.0, 1e-16, 1e-16]), 1.0000000000000002);
        let terms: Vec<f64> = (1..2000).map(|i| (i as f64) * 0.37 / 3.0 - 100.0).collect();
        let forward = exact_sum(terms.iter().copied());
        assert_eq!(exact_sum(terms.iter().rev().copied()), forward);
        let (even, odd): (Vec<f64>, Vec<f64>) = terms.iter().partition(|x| x.to_bits() % 2 == 0);
        assert_eq!(exact_sum(odd.into_iter().chain(even)), forward);
    }
}
