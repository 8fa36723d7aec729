//! The cleaning rules and the quality report as SQL, for the engines that hold the
//! lines themselves: a PostgreSQL database ([`crate::postgres`]) and a Ballista
//! cluster ([`crate::ballista`]). Both run the same text, less the few places where
//! their dialects differ ([`Dialect`]).
//!
//! Two relations come out: `rebuy_source`, every line typed, with the first cleaning
//! rule that removes it (`rule`, 0 when kept), and `lines`, the kept lines less exact
//! duplicates in the columns of [`rebuy_data::Transactions::schema`] (customer ids as
//! text, plus `invoice_ts` for the report), which the feature SQL then reads.

use crate::engine::{float_column, int_column};
use crate::{Error, Result};
use datafusion::arrow::array::RecordBatch;
use rebuy_data::quality::{InputReport, RuleCount};
use rebuy_data::schema::{ColumnMap, Role};
use rebuy_data::{CleaningRules, QualityReport, Rule, format_timestamp};

/// The engine whose SQL is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Postgres,
    DataFusion,
}

/// What a source column holds, as far as the cleaning rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    /// Integers, floats, decimals.
    Number,
    /// A date and time without time zone (or, in DataFusion, any timestamp: its cast
    /// to local time is the one the file readers make).
    Timestamp,
    /// A PostgreSQL `timestamptz`, read in UTC.
    TimestampUtc,
    Date,
    Text,
    /// A type no role accepts (binary, lists, ...).
    Other,
}

/// A source column: its name, kind, and the type's name for messages.
#[derive(Debug, Clone)]
pub(crate) struct SourceColumn {
    pub name: String,
    pub kind: ColumnKind,
    pub type_name: String,
}

/// ASCII white space (space, tab, line feed, carriage return, form feed), as the
/// readers trim it, in SQL both dialects read.
const WHITE_SPACE: &str = "' ' || chr(9) || chr(10) || chr(13) || chr(12)";

/// The SQL expression of each role over the source's columns, typed as the readers
/// type a line: numbers as `double precision`, the date as a `timestamp` (whole
/// seconds, no time zone), text trimmed, customer ids normalised (`13085.0` is
/// `13085`; empty, `nan`, `null`, `none`, `na`, `n/a` are missing). A column whose type
/// cannot hold its role is an error naming it, the source (`place`) and how to fix it
/// (`fix`, given the column's quoted name).
pub(crate) fn typed_columns(
    dialect: Dialect,
    map: &ColumnMap,
    columns: &[SourceColumn],
    place: &str,
    fix: impl Fn(&str) -> String,
) -> Result<[String; 8]> {
    let mut out: [String; 8] = Default::default();
    for (slot, role) in out.iter_mut().zip(Role::ALL) {
        let Some(index) = map.get(role) else {
            *slot = "CAST(NULL AS text)".into();
            continue;
        };
        let source = &columns[index];
        let column = quote_identifier(&source.name);
        let wrong = |expected: &str| {
            Error::Database(format!(
                "{place}: column {:?} ({role}) has type {}; expected {expected} ({})",
                source.name,
                source.type_name,
                fix(&column)
            ))
        };
        *slot = match (role, source.kind) {
            (Role::Quantity | Role::Price, ColumnKind::Number) => {
                format!("CAST({column} AS double precision)")
            }
            (Role::Quantity | Role::Price, _) => return Err(wrong("a number type")),
            (Role::InvoiceDate, kind) => match (dialect, kind) {
                (Dialect::Postgres, ColumnKind::Timestamp) => {
                    format!("date_trunc('second', {column})")
                }
                (Dialect::Postgres, ColumnKind::TimestampUtc) => {
                    format!("date_trunc('second', {column} AT TIME ZONE 'UTC')")
                }
                (Dialect::Postgres, ColumnKind::Date) => format!("CAST({column} AS timestamp)"),
                (Dialect::DataFusion, ColumnKind::Timestamp | ColumnKind::Date) => {
                    format!("date_trunc('second', CAST({column} AS timestamp))")
                }
                _ => return Err(wrong("a timestamp or date type")),
            },
            (_, ColumnKind::Other) => return Err(wrong("text, a number or a date")),
            (Role::Customer, ColumnKind::Number) => format!(
                "CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e18
                      THEN CAST(CAST({column} AS bigint) AS text) ELSE CAST({column} AS text) END"
            ),
            (Role::Customer, _) => {
                let text = format!("btrim(CAST({column} AS text), {WHITE_SPACE})");
                format!(
                    "CASE WHEN lower({text}) IN ('', 'nan', 'null', 'none', 'na', 'n/a') THEN NULL
                          WHEN {text} ~ '^[0-9]+\\.0*$' THEN split_part({text}, '.', 1)
                          ELSE {text} END"
                )
            }
            _ => format!("btrim(CAST({column} AS text), {WHITE_SPACE})"),
        };
    }
    Ok(out)
}

/// The `SELECT` of `rebuy_source` over the rows of `source` (a query): every line
/// typed, with the number of the first cleaning rule that removes it (0: kept).
pub(crate) fn source_sql(source: &str, typed: &[String; 8], rules: &CleaningRules) -> String {
    let [
        invoice,
        stock_code,
        description,
        quantity,
        invoice_date,
        price,
        customer,
        country,
    ] = typed;
    let (exact, prefixes) = rules.non_product_codes();
    let mut non_product: Vec<String> = Vec::new();
    if !exact.is_empty() {
        let codes: Vec<String> = exact.iter().map(|c| quote_literal(c)).collect();
        non_product.push(format!("upper(stock_code) IN ({})", codes.join(", ")));
    }
    for prefix in prefixes {
        let pattern = prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        non_product.push(format!(
            "upper(stock_code) LIKE {}",
            quote_literal(&format!("{pattern}%"))
        ));
    }
    let non_product = if non_product.is_empty() {
        "FALSE".to_string()
    } else {
        non_product.join(" OR ")
    };
    // x - x is 0 for every finite x, NaN for NaN and the infinities (no literal for
    // those reads the same in both dialects).
    format!(
        "SELECT *,
                CASE WHEN invoice IS NULL OR invoice = '' OR quantity IS NULL OR price IS NULL
                          OR invoice_ts IS NULL OR quantity - quantity <> 0 OR price - price <> 0 THEN 1
                     WHEN customer IS NULL THEN 2
                     WHEN {non_product} THEN 3
                     WHEN price <= 0 THEN 4
                     WHEN quantity = 0 OR (quantity < 0 AND left(invoice, 1) NOT IN ('C', 'c')) THEN 5
                     ELSE 0 END AS rule
         FROM (SELECT {invoice} AS invoice,
                      COALESCE({stock_code}, '') AS stock_code,
                      COALESCE({description}, '') AS description,
                      {quantity} AS quantity,
                      {invoice_date} AS invoice_ts,
                      {price} AS price,
                      {customer} AS customer,
                      COALESCE({country}, '') AS country
               FROM ({source}) AS source) AS typed"
    )
}

/// The `SELECT` of `lines` over `rebuy_source`: the kept lines less exact duplicates,
/// in the columns the feature SQL reads (plus `invoice_ts` for the report). Every
/// output column is a function of the duplicate key, so one row per distinct key is
/// the de-duplication (a hash aggregate, cheaper on a cluster than a window).
pub(crate) const LINES_SQL: &str = "
    SELECT customer, invoice, stock_code, country,
           CAST(floor(extract(epoch FROM invoice_ts) / 86400) AS integer) AS day,
           quantity,
           quantity * price AS amount,
           left(invoice, 1) IN ('C', 'c') AS is_return,
           invoice_ts
    FROM (SELECT DISTINCT invoice, stock_code, description, customer, country, invoice_ts,
                          abs(quantity) AS quantity, price
          FROM rebuy_source WHERE rule = 0) AS kept";

/// Lines per cleaning rule (0: kept).
const RULE_COUNTS_SQL: &str = "SELECT rule, COUNT(*) AS lines FROM rebuy_source GROUP BY rule";

/// The report's counts, dates (seconds since 1970) and sums over the clean lines.
const SUMMARY_SQL: &str = "
    SELECT COALESCE(SUM(CASE WHEN is_return THEN 0 ELSE 1 END), 0) AS sales_lines,
           COALESCE(SUM(CASE WHEN is_return THEN 1 ELSE 0 END), 0) AS returns_kept,
           COUNT(DISTINCT CASE WHEN NOT is_return THEN customer END) AS customers,
           COUNT(DISTINCT CASE WHEN NOT is_return THEN invoice END) AS invoices,
           MIN(CASE WHEN NOT is_return THEN extract(epoch FROM invoice_ts) END) AS first_sale,
           MAX(CASE WHEN NOT is_return THEN extract(epoch FROM invoice_ts) END) AS last_sale,
           COALESCE(SUM(CASE WHEN is_return THEN 0 ELSE amount END), 0) AS revenue,
           COALESCE(SUM(CASE WHEN is_return THEN amount ELSE 0 END), 0) AS returns_value
    FROM lines";

/// The quality report of `rebuy_source` and `lines`, its counts computed by `query`
/// (which runs one statement on the engine holding them); `input` names the source.
pub(crate) async fn quality<F, Q>(query: Q, input: InputReport) -> Result<QualityReport>
where
    Q: Fn(&'static str) -> F,
    F: std::future::Future<Output = Result<Vec<RecordBatch>>>,
{
    let mut dropped = [0u64; Rule::ALL.len()];
    let mut lines_read = 0;
    for batch in query(RULE_COUNTS_SQL).await? {
        for (rule, lines) in int_column(&batch, "rule")?
            .into_iter()
            .zip(int_column(&batch, "lines")?)
        {
            lines_read += lines as u64;
            if let Some(slot) = usize::try_from(rule - 1)
                .ok()
                .and_then(|i| dropped.get_mut(i))
            {
                *slot = lines as u64;
            }
        }
    }
    let summary = query(SUMMARY_SQL).await?;
    let batch = summary
        .first()
        .filter(|b| b.num_rows() == 1)
        .ok_or_else(|| Error::Invalid("the quality summary returned no row".into()))?;
    let count = |name: &str| -> Result<u64> { Ok(int_column(batch, name)?[0] as u64) };
    let (sales_lines, returns_kept) = (count("sales_lines")?, count("returns_kept")?);
    let sale_time = |name: &str| -> Result<Option<String>> {
        Ok((sales_lines > 0)
            .then(|| int_column(batch, name))
            .transpose()?
            .map(|seconds| format_timestamp(seconds[0])))
    };
    let kept_before_duplicates = lines_read - dropped.iter().sum::<u64>();
    dropped[Rule::ALL.len() - 1] = kept_before_duplicates - sales_lines - returns_kept;
    let quality = QualityReport {
        inputs: vec![InputReport {
            lines: lines_read,
            ..input
        }],
        lines_read,
        dropped: Rule::ALL
            .iter()
            .zip(dropped)
            .map(|(&rule, lines)| RuleCount {
                rule,
                description: rule.description().to_string(),
                lines,
            })
            .collect(),
        returns_kept,
        sales_lines,
        parse_issues: Vec::new(),
        customers: count("customers")?,
        invoices: count("invoices")?,
        first_sale: sale_time("first_sale")?,
        last_sale: sale_time("last_sale")?,
        revenue: float_column(batch, "revenue")?[0],
        returns_value: float_column(batch, "returns_value")?[0],
    };
    quality.require_sales()?;
    Ok(quality)
}

pub(crate) fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
