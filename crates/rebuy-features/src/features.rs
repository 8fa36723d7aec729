//! The customer table: aggregates from SQL, then the derived features.
//!
//! The SQL computes only sums, counts and extremes (the part that touches every line,
//! and that any SQL engine computes the same way); ratios and day arithmetic are
//! derived here once, so every engine gives the same features.

use crate::Result;
use crate::engine::{AsOf, customer_id_column, int_column, money_column};
use datafusion::arrow::array::RecordBatch;
use rebuy_models::rfm::{SegmentMap, quintile_scores};

/// Per-customer aggregates of the lines before an as-of date.
#[derive(Debug, Default)]
pub(crate) struct CustomerAggregates {
    customer_id: Vec<String>,
    invoices: Vec<i64>,
    monetary: Vec<f64>,
    distinct_products: Vec<i64>,
    purchase_days: Vec<i64>,
    first_day: Vec<i64>,
    last_day: Vec<i64>,
    repeat_spend: Vec<f64>,
    returns_value: Vec<f64>,
    return_invoices: Vec<i64>,
}

impl CustomerAggregates {
    /// The aggregation query. Its only source is the `history` view: lines of days
    /// before `as_of`. Nothing after `as_of` can reach a feature.
    pub(crate) fn sql(as_of: AsOf) -> String {
        format!(
            "WITH history AS (SELECT * FROM lines WHERE day < {as_of}),
             sales AS (SELECT customer, invoice, stock_code, day, amount FROM history WHERE NOT is_return),
             per_day AS (SELECT customer, day, SUM(amount) AS spend FROM sales GROUP BY customer, day),
             days AS (SELECT customer, COUNT(*) AS purchase_days, MIN(day) AS first_day,
                             MAX(day) AS last_day FROM per_day GROUP BY customer),
             repeat AS (SELECT p.customer,
                               SUM(CASE WHEN p.day > d.first_day THEN p.spend ELSE 0 END) AS repeat_spend
                        FROM per_day p JOIN days d ON p.customer = d.customer GROUP BY p.customer),
             orders AS (SELECT customer, COUNT(DISTINCT invoice) AS invoices, SUM(amount) AS monetary,
                               COUNT(DISTINCT stock_code) AS distinct_products
                        FROM sales GROUP BY customer),
             returns AS (SELECT customer, SUM(amount) AS returns_value,
                                COUNT(DISTINCT invoice) AS return_invoices
                         FROM history WHERE is_return GROUP BY customer)
             SELECT o.customer, o.invoices, o.monetary, o.distinct_products, d.purchase_days,
                    d.first_day, d.last_day, r.repeat_spend,
                    COALESCE(x.returns_value, 0) AS returns_value,
                    COALESCE(x.return_invoices, 0) AS return_invoices
             FROM orders o
             JOIN days d ON o.customer = d.customer
             JOIN repeat r ON o.customer = r.customer
             LEFT JOIN returns x ON o.customer = x.customer",
            as_of = as_of.day()
        )
    }

    /// Reads the query result, in customer id order.
    pub(crate) fn from_batches(batches: &[RecordBatch], customer_ids: &[Box<str>]) -> Result<Self> {
        let mut rows = CustomerAggregates::default();
        for batch in batches {
            rows.customer_id
                .extend(customer_id_column(batch, customer_ids)?);
            rows.invoices.extend(int_column(batch, "invoices")?);
            rows.monetary.extend(money_column(batch, "monetary")?);
            rows.distinct_products
                .extend(int_column(batch, "distinct_products")?);
            rows.purchase_days
                .extend(int_column(batch, "purchase_days")?);
            rows.first_day.extend(int_column(batch, "first_day")?);
            rows.last_day.extend(int_column(batch, "last_day")?);
            rows.repeat_spend
                .extend(money_column(batch, "repeat_spend")?);
            rows.returns_value
                .extend(money_column(batch, "returns_value")?);
            rows.return_invoices
                .extend(int_column(batch, "return_invoices")?);
        }
        rows.sort_by_customer_id();
        Ok(rows)
    }

    fn sort_by_customer_id(&mut self) {
        let mut order: Vec<usize> = (0..self.customer_id.len()).collect();
        order.sort_by(|&a, &b| compare_ids(&self.customer_id[a], &self.customer_id[b]));
        fn permute<T: Clone>(values: &mut Vec<T>, order: &[usize]) {
            *values = order.iter().map(|&i| values[i].clone()).collect();
        }
        permute(&mut self.customer_id, &order);
        permute(&mut self.invoices, &order);
        permute(&mut self.monetary, &order);
        permute(&mut self.distinct_products, &order);
        permute(&mut self.purchase_days, &order);
        permute(&mut self.first_day, &order);
        permute(&mut self.last_day, &order);
        permute(&mut self.repeat_spend, &order);
        permute(&mut self.returns_value, &order);
        permute(&mut self.return_invoices, &order);
    }
}

/// Numeric ids in numeric order (shorter first), then text order.
fn compare_ids(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// One row per customer, columnar, at one as-of date. Definitions: docs/definitions.md.
#[derive(Debug, Clone, Default)]
pub struct CustomerFeatures {
    pub as_of: Option<AsOf>,
    pub customer_id: Vec<String>,
    /// Days from the last purchase day to the as-of date (1 = bought the day before).
    pub recency_days: Vec<f64>,
    /// Distinct sales invoices.
    pub frequency: Vec<f64>,
    /// Sum of quantity x price over sales lines.
    pub monetary: Vec<f64>,
    /// Days from the first purchase day to the as-of date.
    pub tenure_days: Vec<f64>,
    pub avg_order_value: Vec<f64>,
    pub distinct_products: Vec<f64>,
    /// Returned value / (spend + returned value), in [0, 1].
    pub return_rate: Vec<f64>,
    /// Mean gap between distinct purchase days; NaN with a single purchase day.
    pub mean_days_between_purchases: Vec<f64>,
    pub returns_value: Vec<f64>,
    /// Buy-till-you-die summary, in days: repeat purchase days.
    pub btyd_frequency: Vec<f64>,
    /// Days from the first to the last purchase day.
    pub btyd_recency: Vec<f64>,
    /// Days from the first purchase day to the last day observed (as-of minus one).
    pub btyd_t: Vec<f64>,
    /// Mean spend per repeat purchase day (0 without repeat purchases).
    pub btyd_monetary_value: Vec<f64>,
}

impl CustomerFeatures {
    pub(crate) fn derive(a: CustomerAggregates, as_of: AsOf) -> Self {
        let day = f64::from(as_of.day());
        let n = a.customer_id.len();
        let mut f = CustomerFeatures {
            as_of: Some(as_of),
            ..Default::default()
        };
        for i in 0..n {
            let (first, last) = (a.first_day[i] as f64, a.last_day[i] as f64);
            let invoices = a.invoices[i] as f64;
            let repeat_days = (a.purchase_days[i] - 1) as f64;
            f.recency_days.push(day - last);
            f.frequency.push(invoices);
            f.monetary.push(a.monetary[i]);
            f.tenure_days.push(day - first);
            f.avg_order_value.push(a.monetary[i] / invoices);
            f.distinct_products.push(a.distinct_products[i] as f64);
            let gross = a.monetary[i] + a.returns_value[i];
            f.return_rate.push(if gross > 0.0 {
                a.returns_value[i] / gross
            } else {
                0.0
            });
            f.mean_days_between_purchases.push(if repeat_days > 0.0 {
                (last - first) / repeat_days
            } else {
                f64::NAN
            });
            f.returns_value.push(a.returns_value[i]);
            f.btyd_frequency.push(repeat_days);
            f.btyd_recency.push(last - first);
            f.btyd_t.push(day - 1.0 - first);
            f.btyd_monetary_value.push(if repeat_days > 0.0 {
                a.repeat_spend[i] / repeat_days
            } else {
                0.0
            });
        }
        f.customer_id = a.customer_id;
        f
    }

    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.customer_id.is_empty()
    }

    /// RFM quintile scores and the segment names of `map`.
    pub fn rfm(&self, map: &SegmentMap) -> RfmScores {
        let r = quintile_scores(&self.recency_days, true);
        let f = quintile_scores(&self.frequency, false);
        let m = quintile_scores(&self.monetary, false);
        let segment = (0..self.len())
            .map(|i| {
                map.segment(r[i], f[i], m[i])
                    .unwrap_or("Unassigned")
                    .to_string()
            })
            .collect();
        RfmScores { r, f, m, segment }
    }

    /// The feature columns, by name, in the order models see them.
    pub fn columns(&self) -> Vec<(&'static str, &[f64])> {
        vec![
            ("recency_days", &self.recency_days),
            ("frequency", &self.frequency),
            ("monetary", &self.monetary),
            ("tenure_days", &self.tenure_days),
            ("avg_order_value", &self.avg_order_value),
            ("distinct_products", &self.distinct_products),
            ("return_rate", &self.return_rate),
            (
                "mean_days_between_purchases",
                &self.mean_days_between_purchases,
            ),
            ("returns_value", &self.returns_value),
            ("btyd_frequency", &self.btyd_frequency),
            ("btyd_recency", &self.btyd_recency),
            ("btyd_t", &self.btyd_t),
            ("btyd_monetary_value", &self.btyd_monetary_value),
        ]
    }
}

/// RFM scores 1-5 and segment names, aligned with the customer rows.
#[derive(Debug, Clone)]
pub struct RfmScores {
    pub r: Vec<u8>,
    pub f: Vec<u8>,
    pub m: Vec<u8>,
    pub segment: Vec<String>,
}
