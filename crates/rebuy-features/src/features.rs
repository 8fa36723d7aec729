//! The customer table: aggregates from SQL, then the derived features.
//!
//! The SQL computes only sums, counts and extremes (the part that touches every line,
//! and that any SQL engine computes the same way); ratios and day arithmetic are
//! derived here once, so every engine gives the same features.

use crate::AsOf;
use crate::engine::{customer_id_column, int_column, money_column, round_money};
use crate::{Result, TimeUnit};
use datafusion::arrow::array::RecordBatch;
use rebuy_vocabulary::rfm::{SegmentMap, quintile_scores};
use std::sync::Arc;

/// Lengths of the recent-activity windows before the as-of date, in days.
const RECENT_WINDOWS: [i32; 3] = [30, 90, 180];
/// The seasonal window starts this many days before the as-of date and is as long as
/// the purchase horizon: the calendar days of the coming horizon, one year earlier.
const YEAR_DAYS: i32 = 365;

/// Sales of one customer in one window before the as-of date.
#[derive(Debug, Default, Clone, Copy)]
struct WindowSales {
    spend: f64,
    orders: i64,
}

/// Per-customer aggregates of the lines before an as-of date, in query order.
#[derive(Debug)]
pub(crate) struct CustomerAggregates {
    customer_id: Vec<Arc<str>>,
    invoices: Vec<i64>,
    /// Sales only: returns are in `returns_value`.
    gross_spend: Vec<f64>,
    distinct_products: Vec<i64>,
    purchase_days: Vec<i64>,
    first_day: Vec<i64>,
    last_day: Vec<i64>,
    /// Sum of squared gaps (days) between consecutive purchase days.
    gap_square_sum: Vec<i64>,
    repeat_spend: Vec<f64>,
    /// Sales in the last [`RECENT_WINDOWS`] days, one array entry per window.
    recent: Vec<[WindowSales; 3]>,
    /// Sales in the horizon's days from one year before the as-of date on.
    season: Vec<WindowSales>,
    returns_value: Vec<f64>,
    return_invoices: Vec<i64>,
    return_lines: Vec<i64>,
}

impl CustomerAggregates {
    /// The aggregation query. Its only source is the `history` view: lines of days
    /// before `as_of`. Nothing after `as_of` can reach a feature.
    ///
    /// Portable SQL: GROUP BY with CASE WHEN, and one standard window function (`LAG`,
    /// SQL:2003, in PostgreSQL and Ballista too) for the gaps between purchase days.
    /// Repeat spend is summed over the window's output (each customer's days in day
    /// order) rather than over a join, whose row order, and so the floating-point sum,
    /// changed from run to run.
    pub(crate) fn sql(as_of: AsOf, horizon_days: u32) -> String {
        let day = as_of.day();
        let mut windows = String::new();
        for days in RECENT_WINDOWS {
            let since = day - days;
            windows.push_str(&format!(
                "SUM(CASE WHEN day >= {since} THEN amount ELSE 0 END) AS spend_{days}d,
                 COUNT(DISTINCT CASE WHEN day >= {since} THEN invoice END) AS orders_{days}d,"
            ));
        }
        // The horizon is at most 3650 days (the CLI's bound): no overflow in i64.
        let season_start = i64::from(day) - i64::from(YEAR_DAYS);
        let season_end = season_start + i64::from(horizon_days);
        let in_season = format!("day >= {season_start} AND day < {season_end}");
        let window_columns: Vec<String> = RECENT_WINDOWS
            .iter()
            .map(|days| format!("o.spend_{days}d, o.orders_{days}d"))
            .collect();
        format!(
            "WITH history AS (SELECT * FROM lines WHERE day < {day}),
             sales AS (SELECT customer, invoice, stock_code, day, amount FROM history WHERE NOT is_return),
             per_day AS (SELECT customer, day, SUM(amount) AS spend FROM sales GROUP BY customer, day),
             gaps AS (SELECT customer, spend,
                             day - LAG(day) OVER (PARTITION BY customer ORDER BY day) AS gap
                      FROM per_day),
             days AS (SELECT customer, COUNT(*) AS purchase_days, MIN(day) AS first_day,
                             MAX(day) AS last_day FROM per_day GROUP BY customer),
             spacing AS (SELECT customer, COALESCE(SUM(gap * gap), 0) AS gap_square_sum,
                                SUM(CASE WHEN gap IS NULL THEN 0 ELSE spend END) AS repeat_spend
                         FROM gaps GROUP BY customer),
             orders AS (SELECT customer, COUNT(DISTINCT invoice) AS invoices, SUM(amount) AS gross_spend,
                               COUNT(DISTINCT stock_code) AS distinct_products, {windows}
                               SUM(CASE WHEN {in_season} THEN amount ELSE 0 END) AS spend_season,
                               COUNT(DISTINCT CASE WHEN {in_season} THEN invoice END) AS orders_season
                        FROM sales GROUP BY customer),
             returns AS (SELECT customer, SUM(amount) AS returns_value,
                                COUNT(DISTINCT invoice) AS return_invoices, COUNT(*) AS return_lines
                         FROM history WHERE is_return GROUP BY customer)
             SELECT o.customer, o.invoices, o.gross_spend, o.distinct_products, d.purchase_days,
                    d.first_day, d.last_day, s.gap_square_sum, s.repeat_spend, {window_columns},
                    o.spend_season, o.orders_season,
                    COALESCE(x.returns_value, 0) AS returns_value,
                    COALESCE(x.return_invoices, 0) AS return_invoices,
                    COALESCE(x.return_lines, 0) AS return_lines
             FROM orders o
             JOIN days d ON o.customer = d.customer
             JOIN spacing s ON o.customer = s.customer
             LEFT JOIN returns x ON o.customer = x.customer",
            window_columns = window_columns.join(", ")
        )
    }

    /// Reads one batch of the query's result.
    pub(crate) fn from_batch(batch: &RecordBatch, customer_ids: &[Arc<str>]) -> Result<Self> {
        let window = |name: &str| -> Result<Vec<WindowSales>> {
            let spend = money_column(batch, &format!("spend_{name}"))?;
            let orders = int_column(batch, &format!("orders_{name}"))?;
            Ok(spend
                .into_iter()
                .zip(orders)
                .map(|(spend, orders)| WindowSales { spend, orders })
                .collect())
        };
        let recent = RECENT_WINDOWS
            .map(|days| window(&format!("{days}d")))
            .into_iter()
            .collect::<Result<Vec<_>>>()?;
        Ok(CustomerAggregates {
            customer_id: customer_id_column(batch, customer_ids)?,
            invoices: int_column(batch, "invoices")?,
            gross_spend: money_column(batch, "gross_spend")?,
            distinct_products: int_column(batch, "distinct_products")?,
            purchase_days: int_column(batch, "purchase_days")?,
            first_day: int_column(batch, "first_day")?,
            last_day: int_column(batch, "last_day")?,
            gap_square_sum: int_column(batch, "gap_square_sum")?,
            repeat_spend: money_column(batch, "repeat_spend")?,
            recent: (0..batch.num_rows())
                .map(|i| [recent[0][i], recent[1][i], recent[2][i]])
                .collect(),
            season: window("season")?,
            returns_value: money_column(batch, "returns_value")?,
            return_invoices: int_column(batch, "return_invoices")?,
            return_lines: int_column(batch, "return_lines")?,
        })
    }
}

/// `part / whole`, or 0 when `whole` is not positive.
fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// Numeric ids in numeric order (shorter first), then text order.
fn compare_ids(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// One row per customer, columnar, at one as-of date. Definitions: docs/definitions.md.
#[derive(Debug, Clone, Default)]
pub struct CustomerFeatures {
    pub as_of: Option<AsOf>,
    /// Shared with the engine's id list: a pointer per row, not a string.
    pub customer_id: Vec<Arc<str>>,
    /// Days from the last purchase day to the as-of date (1 = bought the day before).
    pub recency_days: Vec<f64>,
    /// Distinct sales invoices.
    pub frequency: Vec<f64>,
    /// Net spend: `gross_spend` minus `returns_value` (zero or below for a customer who
    /// returned everything they bought).
    pub monetary: Vec<f64>,
    /// Sum of quantity x price over sales lines.
    pub gross_spend: Vec<f64>,
    /// Days from the first purchase day to the as-of date.
    pub tenure_days: Vec<f64>,
    /// Net spend per sales invoice.
    pub avg_order_value: Vec<f64>,
    pub distinct_products: Vec<f64>,
    /// Returned value / bought value (`gross_spend`): 1 for a full return; above 1 when
    /// the customer returned goods bought before the data begin.
    pub return_rate: Vec<f64>,
    /// Mean gap between distinct purchase days; NaN with a single purchase day.
    pub mean_days_between_purchases: Vec<f64>,
    pub returns_value: Vec<f64>,
    /// The unit of `btyd_recency` and `btyd_t`, and of the time of models fitted on them.
    pub btyd_time_unit: TimeUnit,
    /// Buy-till-you-die summary: repeat purchase days (distinct purchase days - 1).
    pub btyd_frequency: Vec<f64>,
    /// Time from the first to the last purchase day, in `btyd_time_unit`.
    pub btyd_recency: Vec<f64>,
    /// Time from the first purchase day to the last day observed (as-of minus one), in
    /// `btyd_time_unit`.
    pub btyd_t: Vec<f64>,
    /// Mean net spend per repeat purchase day (0 without repeat purchases, and 0 when
    /// the net spend is not positive). The data do not tie a cancellation to the order it
    /// cancels, so a customer's returns are spread over their purchases in proportion to
    /// their value: each purchase day's spend times net / gross spend.
    pub btyd_monetary_value: Vec<f64>,
    /// Standard deviation of the gaps between consecutive purchase days (0 with fewer
    /// than two purchase days).
    pub std_days_between_purchases: Vec<f64>,
    /// That standard deviation over the mean gap (0 with fewer than two purchase days).
    pub cv_days_between_purchases: Vec<f64>,
    /// Recency over the mean gap: above 1, the customer is later than usual. With a
    /// single purchase day the mean gap is taken as the tenure, so the ratio is 1.
    pub recency_over_mean_gap: Vec<f64>,
    /// Spend and distinct invoices in the last 30, 90 and 180 days before the as-of date.
    pub spend_30d: Vec<f64>,
    pub orders_30d: Vec<f64>,
    pub spend_90d: Vec<f64>,
    pub orders_90d: Vec<f64>,
    pub spend_180d: Vec<f64>,
    pub orders_180d: Vec<f64>,
    /// Spend per day in the last 90 days (or the tenure, when shorter) over spend per
    /// day since the first purchase: 1 steady, above 1 speeding up, 0 silent lately.
    pub spend_trend_90d: Vec<f64>,
    /// The same ratio for invoices.
    pub orders_trend_90d: Vec<f64>,
    /// Distinct invoices in the calendar days of the coming horizon (`--horizon-days`,
    /// 90 unless set), one year earlier.
    pub orders_same_season_last_year: Vec<f64>,
    /// Share of the customer's spend made in those days (0 when nothing was spent).
    pub same_season_spend_share: Vec<f64>,
    /// Distinct cancelled invoices and cancelled lines.
    pub returned_orders: Vec<f64>,
    pub returned_lines: Vec<f64>,
}

impl CustomerFeatures {
    /// A table with no row yet, at `as_of`.
    pub(crate) fn new(as_of: AsOf, btyd_time_unit: TimeUnit) -> Self {
        CustomerFeatures {
            as_of: Some(as_of),
            btyd_time_unit,
            ..Default::default()
        }
    }

    /// Derives the feature rows of the customers in `a` whose id `keep` accepts and
    /// appends them in `a`'s order (see [`Self::sort_by_id`]).
    pub(crate) fn push_rows(&mut self, mut a: CustomerAggregates, keep: impl Fn(&str) -> bool) {
        let kept: Vec<usize> = (0..a.customer_id.len())
            .filter(|&i| keep(&a.customer_id[i]))
            .collect();
        self.reserve(kept.len());
        let day = f64::from(self.as_of.map_or(0, AsOf::day));
        let btyd_time_unit = self.btyd_time_unit;
        let f = self;
        for i in kept {
            f.customer_id.push(std::mem::take(&mut a.customer_id[i]));
            let (first, last) = (a.first_day[i] as f64, a.last_day[i] as f64);
            let invoices = a.invoices[i] as f64;
            let repeat_days = (a.purchase_days[i] - 1) as f64;
            let (recency, tenure) = (day - last, day - first);
            let gross = a.gross_spend[i];
            let net = round_money(gross - a.returns_value[i]);
            f.recency_days.push(recency);
            f.frequency.push(invoices);
            f.monetary.push(net);
            f.gross_spend.push(gross);
            f.tenure_days.push(tenure);
            // Money derived by division is rounded like the sums (docs/definitions.md).
            f.avg_order_value.push(round_money(net / invoices));
            f.distinct_products.push(a.distinct_products[i] as f64);
            f.return_rate.push(share(a.returns_value[i], gross));
            let mean_gap = (last - first) / repeat_days;
            f.mean_days_between_purchases.push(if repeat_days > 0.0 {
                mean_gap
            } else {
                f64::NAN
            });
            f.returns_value.push(a.returns_value[i]);
            f.btyd_frequency.push(repeat_days);
            f.btyd_recency
                .push(btyd_time_unit.days_to_units(last - first));
            f.btyd_t
                .push(btyd_time_unit.days_to_units(day - 1.0 - first));
            f.btyd_monetary_value
                .push(if repeat_days > 0.0 && net > 0.0 {
                    round_money(a.repeat_spend[i] / repeat_days * (net / gross))
                } else {
                    0.0
                });
            let gap_std = if repeat_days > 0.0 {
                (a.gap_square_sum[i] as f64 / repeat_days - mean_gap * mean_gap)
                    .max(0.0)
                    .sqrt()
            } else {
                0.0
            };
            f.std_days_between_purchases.push(gap_std);
            f.cv_days_between_purchases.push(if repeat_days > 0.0 {
                gap_std / mean_gap
            } else {
                0.0
            });
            f.recency_over_mean_gap.push(if repeat_days > 0.0 {
                recency / mean_gap
            } else {
                1.0
            });
            let [last_30, last_90, last_180] = a.recent[i];
            f.spend_30d.push(last_30.spend);
            f.orders_30d.push(last_30.orders as f64);
            f.spend_90d.push(last_90.spend);
            f.orders_90d.push(last_90.orders as f64);
            f.spend_180d.push(last_180.spend);
            f.orders_180d.push(last_180.orders as f64);
            let recent_days = tenure.min(f64::from(RECENT_WINDOWS[1]));
            f.spend_trend_90d
                .push(share(last_90.spend / recent_days, gross / tenure));
            f.orders_trend_90d
                .push(last_90.orders as f64 / recent_days / (invoices / tenure));
            f.orders_same_season_last_year
                .push(a.season[i].orders as f64);
            f.same_season_spend_share
                .push(share(a.season[i].spend, gross));
            f.returned_orders.push(a.return_invoices[i] as f64);
            f.returned_lines.push(a.return_lines[i] as f64);
        }
    }

    /// Room for `additional` more rows. Grows by an eighth, not by doubling: with 10M
    /// customers a doubled column is up to 80 MB of unused room, times 28 columns.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let len = self.len();
        if self.customer_id.capacity() - len >= additional {
            return;
        }
        let grow = additional.max(len / 8);
        self.customer_id.reserve_exact(grow);
        for column in self.columns_mut() {
            column.reserve_exact(grow);
        }
    }

    /// Puts the rows in customer id order (numeric ids in numeric order), one column at
    /// a time: the extra memory is one column, not a second table.
    pub(crate) fn sort_by_id(&mut self) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by(|&a, &b| compare_ids(&self.customer_id[a], &self.customer_id[b]));
        self.customer_id = order
            .iter()
            .map(|&i| std::mem::take(&mut self.customer_id[i]))
            .collect();
        for column in self.columns_mut() {
            *column = order.iter().map(|&i| column[i]).collect();
        }
    }

    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.customer_id.is_empty()
    }

    /// RFM quintile scores and the segment names of `map`. A customer whose net spend is
    /// not positive gets the lowest M score, whatever the quintiles say.
    pub fn rfm<'map>(&self, map: &'map SegmentMap) -> RfmScores<'map> {
        let r = quintile_scores(&self.recency_days, true);
        let f = quintile_scores(&self.frequency, false);
        let mut m = quintile_scores(&self.monetary, false);
        for (score, &net) in m.iter_mut().zip(&self.monetary) {
            if net <= 0.0 {
                *score = 1;
            }
        }
        let segment = (0..self.len())
            .map(|i| map.segment(r[i], f[i], m[i]).unwrap_or("Unassigned"))
            .collect();
        RfmScores { r, f, m, segment }
    }

    /// The feature columns, by name, in the order models see them. The names of the
    /// BTYD recency and T columns end in their unit (`btyd_t_days`, `btyd_t_weeks`).
    pub fn columns(&self) -> Vec<(&'static str, &[f64])> {
        let [recency, t] = self.btyd_time_unit.column_names();
        vec![
            ("recency_days", &self.recency_days),
            ("frequency", &self.frequency),
            ("monetary", &self.monetary),
            ("gross_spend", &self.gross_spend),
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
            (recency, &self.btyd_recency),
            (t, &self.btyd_t),
            ("btyd_monetary_value", &self.btyd_monetary_value),
            (
                "std_days_between_purchases",
                &self.std_days_between_purchases,
            ),
            ("cv_days_between_purchases", &self.cv_days_between_purchases),
            ("recency_over_mean_gap", &self.recency_over_mean_gap),
            ("spend_30d", &self.spend_30d),
            ("orders_30d", &self.orders_30d),
            ("spend_90d", &self.spend_90d),
            ("orders_90d", &self.orders_90d),
            ("spend_180d", &self.spend_180d),
            ("orders_180d", &self.orders_180d),
            ("spend_trend_90d", &self.spend_trend_90d),
            ("orders_trend_90d", &self.orders_trend_90d),
            (
                "orders_same_season_last_year",
                &self.orders_same_season_last_year,
            ),
            ("same_season_spend_share", &self.same_season_spend_share),
            ("returned_orders", &self.returned_orders),
            ("returned_lines", &self.returned_lines),
        ]
    }

    /// Every feature column, to reorder the rows.
    fn columns_mut(&mut self) -> [&mut Vec<f64>; 29] {
        [
            &mut self.recency_days,
            &mut self.frequency,
            &mut self.monetary,
            &mut self.gross_spend,
            &mut self.tenure_days,
            &mut self.avg_order_value,
            &mut self.distinct_products,
            &mut self.return_rate,
            &mut self.mean_days_between_purchases,
            &mut self.returns_value,
            &mut self.btyd_frequency,
            &mut self.btyd_recency,
            &mut self.btyd_t,
            &mut self.btyd_monetary_value,
            &mut self.std_days_between_purchases,
            &mut self.cv_days_between_purchases,
            &mut self.recency_over_mean_gap,
            &mut self.spend_30d,
            &mut self.orders_30d,
            &mut self.spend_90d,
            &mut self.orders_90d,
            &mut self.spend_180d,
            &mut self.orders_180d,
            &mut self.spend_trend_90d,
            &mut self.orders_trend_90d,
            &mut self.orders_same_season_last_year,
            &mut self.same_season_spend_share,
            &mut self.returned_orders,
            &mut self.returned_lines,
        ]
    }
}

/// RFM scores 1-5 and segment names, aligned with the customer rows. The names are
/// borrowed from the segment map: a few distinct names, not a string per customer.
#[derive(Debug, Clone)]
pub struct RfmScores<'map> {
    pub r: Vec<u8>,
    pub f: Vec<u8>,
    pub m: Vec<u8>,
    pub segment: Vec<&'map str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_reorders_every_feature_column() {
        let mut features = CustomerFeatures::default();
        for (k, column) in features.columns_mut().into_iter().enumerate() {
            column.extend([k as f64, 100.0 + k as f64]);
        }
        features.customer_id = vec!["20".into(), "3".into()];
        features.sort_by_id();
        assert_eq!(features.customer_id, ["3".into(), "20".into()]);
        let mut firsts: Vec<f64> = features.columns().iter().map(|(_, c)| c[0]).collect();
        firsts.sort_by(f64::total_cmp);
        let expected: Vec<f64> = (0..firsts.len()).map(|k| 100.0 + k as f64).collect();
        assert_eq!(firsts, expected, "a column of columns() was not reordered");
    }
}
