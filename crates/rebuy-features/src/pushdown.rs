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
use rebuy_data::parse::MAX_ABS_VALUE;
use rebuy_data::quality::{FutureDates, InputReport, RuleCount};
use rebuy_data::schema::{ColumnMap, Role};
use rebuy_data::{CleaningRules, QualityReport, Rule, format_timestamp};

/// The engine whose SQL is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    #[cfg(feature = "postgres")]
    Postgres,
    /// Ballista's.
    #[cfg(feature = "cluster")]
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
                #[cfg(feature = "postgres")]
                (Dialect::Postgres, ColumnKind::Timestamp) => {
                    format!("date_trunc('second', {column})")
                }
                #[cfg(feature = "postgres")]
                (Dialect::Postgres, ColumnKind::TimestampUtc) => {
                    format!("date_trunc('second', {column} AT TIME ZONE 'UTC')")
                }
                #[cfg(feature = "postgres")]
                (Dialect::Postgres, ColumnKind::Date) => format!("CAST({column} AS timestamp)"),
                // Microseconds, not the nanoseconds `CAST(... AS timestamp)` gives:
                // those end in 2262, and a line dated 9999-12-31 must reach the
                // `future_date` rule instead of failing the cast.
                #[cfg(feature = "cluster")]
                (Dialect::DataFusion, ColumnKind::Timestamp | ColumnKind::Date) => format!(
                    "date_trunc('second', arrow_cast({column}, 'Timestamp(Microsecond, None)'))"
                ),
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
    let rule = |rule: Rule| rule_number(rule);
    let (unparseable, future_date, missing_customer, non_product_code) = (
        rule(Rule::Unparseable),
        rule(Rule::FutureDate),
        rule(Rule::MissingCustomerId),
        rule(Rule::NonProductCode),
    );
    let (price_not_positive, quantity_not_positive) = (
        rule(Rule::PriceNotPositive),
        rule(Rule::QuantityNotPositive),
    );
    let max = format!("CAST({MAX_ABS_VALUE:e} AS double precision)");
    // The same caps as CleaningRules::max_bytes, on the same trimmed values.
    let overlong = [
        ("invoice", Role::Invoice),
        ("stock_code", Role::StockCode),
        ("description", Role::Description),
        ("customer", Role::Customer),
        ("country", Role::Country),
    ]
    .map(|(column, role)| format!("octet_length({column}) > {}", rules.max_bytes(role).0))
    .join(" OR ");
    let future_from = rules.first_future_day().map_or_else(
        || "FALSE".to_string(),
        |day| format!("invoice_ts >= CAST('{day} 00:00:00' AS timestamp)"),
    );
    // x - x is 0 for every finite x, NaN for NaN and the infinities (no literal for
    // those reads the same in both dialects). The bound on quantity x price is tested
    // once both are known to be within the bound, so that the product cannot overflow
    // (PostgreSQL refuses a product that does): CASE tests its conditions in order.
    format!(
        "SELECT *,
                CASE WHEN invoice IS NULL OR invoice = '' OR quantity IS NULL OR price IS NULL
                          OR invoice_ts IS NULL OR quantity - quantity <> 0 OR price - price <> 0
                          OR abs(quantity) > {max} OR abs(price) > {max} THEN {unparseable}
                     WHEN abs(quantity * price) > {max} OR {overlong} THEN {unparseable}
                     WHEN {future_from} THEN {future_date}
                     WHEN customer IS NULL THEN {missing_customer}
                     WHEN {non_product} THEN {non_product_code}
                     WHEN price <= 0 THEN {price_not_positive}
                     WHEN quantity = 0 OR (quantity < 0 AND left(invoice, 1) NOT IN ('C', 'c'))
                          THEN {quantity_not_positive}
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

/// The number of a cleaning rule in the `rule` column (0: kept).
fn rule_number(rule: Rule) -> usize {
    Rule::ALL
        .iter()
        .position(|r| *r == rule)
        .map_or(0, |i| i + 1)
}

/// Lines per cleaning rule (0: kept).
const RULE_COUNTS_SQL: &str = "SELECT rule, COUNT(*) AS lines FROM rebuy_source GROUP BY rule";

/// The latest invoice date (seconds since 1970) of the lines dated in the future
/// (`rule` 2, [`Rule::FutureDate`]; a test keeps the two in step): asked only when there
/// are some.
const LATEST_FUTURE_SQL: &str =
    "SELECT MAX(extract(epoch FROM invoice_ts)) AS latest FROM rebuy_source WHERE rule = 2";

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
pub(crate) async fn quality<F, Q>(
    query: Q,
    input: InputReport,
    rules: &CleaningRules,
) -> Result<QualityReport>
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
    let future_dates = match dropped[rule_number(Rule::FutureDate) - 1] {
        0 => None,
        _ => {
            let latest = query(LATEST_FUTURE_SQL).await?;
            let seconds = latest
                .iter()
                .find(|b| b.num_rows() == 1)
                .map(|b| int_column(b, "latest"))
                .transpose()?
                .map(|latest| latest[0])
                .ok_or_else(|| Error::Invalid("the latest future date returned no row".into()))?;
            Some(FutureDates {
                latest_allowed: rules.latest_allowed_day().to_string(),
                latest_seen: format_timestamp(seconds),
                examples: Vec::new(),
            })
        }
    };
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
        future_dates,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_numbers_follow_the_rule_order() {
        assert_eq!(rule_number(Rule::Unparseable), 1);
        assert!(LATEST_FUTURE_SQL.ends_with(&format!("rule = {}", rule_number(Rule::FutureDate))));
        assert_eq!(rule_number(Rule::Duplicate), Rule::ALL.len());
    }
}
