//! The clean transactions a run works on, and their Arrow form.

use crate::clean::{Cleaner, Columns};
use crate::error::{Error, Result};
use crate::parse::SECONDS_PER_DAY;
use crate::quality::{InputReport, QualityReport, Rule, RuleCount};
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
    columns: Columns,
    quality: QualityReport,
}

impl Transactions {
    /// Ends cleaning: computes the report and fails when no sale is left.
    pub fn finish(mut cleaner: Cleaner, inputs: Vec<InputReport>) -> Result<Self> {
        cleaner.flush()?;
        cleaner.remove_duplicates();
        let Cleaner {
            lines_read,
            dropped,
            issues,
            strings,
            columns,
            ..
        } = cleaner;
        let summary = Summary::of(&columns, strings.customers.len(), strings.invoices.len());
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
            columns,
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
        self.columns.customer.len()
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
    /// `partitions` groups of batches for parallel scans. Consumes the lines so that
    /// their memory moves into the batches instead of being copied.
    pub fn into_line_table(self, batch_rows: usize, partitions: usize) -> Result<LineTable> {
        let Transactions {
            customer_ids,
            columns,
            quality,
        } = self;
        // Each column is freed as soon as it is no longer needed, and the amount is
        // computed in the price column's memory, so that building the table needs
        // little more than the lines themselves.
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
        let whole = RecordBatch::try_new(Self::schema(), arrays)
            .map_err(|e| Error::Config(format!("internal: building the line table: {e}")))?;
        let rows = whole.num_rows();
        let batch_rows = batch_rows.max(1);
        let partitions = partitions.max(1);
        let mut out: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
        for (i, offset) in (0..rows).step_by(batch_rows).enumerate() {
            out[i % partitions].push(whole.slice(offset, batch_rows.min(rows - offset)));
        }
        Ok(LineTable {
            partitions: out,
            customer_ids,
            quality,
        })
    }
}

/// The clean lines as Arrow batches (schema [`Transactions::schema`]), ready for a
/// query engine, with what is needed to read its keys and its history.
#[derive(Debug)]
pub struct LineTable {
    pub partitions: Vec<Vec<RecordBatch>>,
    /// Customer id text of each `customer` key.
    pub customer_ids: Vec<Box<str>>,
    pub quality: QualityReport,
}

/// Counts over the clean lines for the report.
struct Summary {
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
    fn of(c: &Columns, n_customers: usize, n_invoices: usize) -> Self {
        let mut buying_customer = vec![false; n_customers];
        let mut sale_invoice = vec![false; n_invoices];
        let mut s = Summary {
            sales_lines: 0,
            returns_lines: 0,
            customers: 0,
            invoices: 0,
            first_sale: None,
            last_sale: None,
            revenue: 0.0,
            returns_value: 0.0,
        };
        for i in 0..c.customer.len() {
            let amount = c.quantity[i] * c.price[i];
            if c.is_return[i] {
                s.returns_lines += 1;
                s.returns_value += amount;
                continue;
            }
            s.sales_lines += 1;
            s.revenue += amount;
            buying_customer[c.customer[i] as usize] = true;
            sale_invoice[c.invoice[i] as usize] = true;
            let t = c.timestamp[i];
            s.first_sale = Some(s.first_sale.map_or(t, |f| f.min(t)));
            s.last_sale = Some(s.last_sale.map_or(t, |l| l.max(t)));
        }
        s.customers = buying_customer.iter().filter(|b| **b).count() as u64;
        s.invoices = sale_invoice.iter().filter(|b| **b).count() as u64;
        s
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
