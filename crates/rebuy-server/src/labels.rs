//! The words the pages use for the run files' field names, where a marketer reads them:
//! `recency_days` is "days since last order", `logistic_regression` "Logistic
//! regression". The files and the API keep the field names (docs/definitions.md).

use std::borrow::Cow;

/// The heading of a `customers.csv` column (or model feature); a column this version
/// does not know is shown with spaces for underscores.
pub fn column_label(name: &str) -> Cow<'_, str> {
    let known = match name {
        "customer_id" => "customer",
        "recency_days" => "days since last order",
        "frequency" => "orders",
        "monetary" => "net spend",
        "tenure_days" => "days since first order",
        "avg_order_value" => "average order value",
        "distinct_products" => "distinct products",
        "return_rate" => "return rate",
        "mean_days_between_purchases" => "days between purchases (mean)",
        "std_days_between_purchases" => "days between purchases (spread)",
        "cv_days_between_purchases" => "purchase regularity (0 = like clockwork)",
        "recency_over_mean_gap" => "days since last order / usual gap",
        "returns_value" => "value of returns",
        "btyd_frequency" => "repeat purchase days",
        "btyd_recency_days" => "days from first to last purchase",
        "btyd_recency_weeks" => "weeks from first to last purchase",
        "btyd_t_days" => "days from first purchase to the as-of date",
        "btyd_t_weeks" => "weeks from first purchase to the as-of date",
        "btyd_monetary_value" => "net spend per repeat purchase day",
        // Older runs' names, before the time unit was part of them.
        "btyd_recency" => "time from first to last purchase",
        "btyd_t" => "time from first purchase to the as-of date",
        "spend_trend_90d" => "spend trend, 90 days (1 = steady)",
        "orders_trend_90d" => "order trend, 90 days (1 = steady)",
        "orders_same_season_last_year" => "orders in the same season last year",
        "same_season_spend_share" => "share of spend in the same season last year",
        "returned_orders" => "orders returned",
        "returned_lines" => "lines returned",
        "r_score" => "R score",
        "f_score" => "F score",
        "m_score" => "M score",
        "rfm_segment" => "RFM segment",
        "cluster" => "cluster number",
        "cluster_name" => "cluster",
        "purchase_probability" => "purchase probability",
        "probability_percentile" => "probability percentile",
        "churn_risk" => "churn risk",
        "p_alive" => "P(alive)",
        "expected_order_value" => "expected order value",
        "value_tier" => "value tier (by CLV)",
        "expected_next_purchase_date" => "expected next purchase",
        "gross_spend" => "gross spend (before returns)",
        "net_spend" => "net spend",
        "net_spend_not_positive" => "net spend zero or less",
        _ => return windowed(name).unwrap_or_else(|| Cow::Owned(name.replace('_', " "))),
    };
    Cow::Borrowed(known)
}

/// Columns named after a window of days or months: `spend_30d`, `orders_90d`,
/// `expected_purchases_90d`, `clv_12m`.
fn windowed(name: &str) -> Option<Cow<'static, str>> {
    let (stem, window) = name.rsplit_once('_')?;
    let (count, unit) = if let Some(days) = window.strip_suffix('d') {
        (days, "days")
    } else {
        (window.strip_suffix('m')?, "months")
    };
    count.parse::<u32>().ok()?;
    let text = match stem {
        "spend" => format!("gross spend, last {count} {unit}"),
        "orders" => format!("orders, last {count} {unit}"),
        "expected_purchases" => format!("expected purchases, next {count} {unit}"),
        "clv" => format!("CLV, next {count} {unit}"),
        _ => return None,
    };
    Some(Cow::Owned(text))
}

/// Whether a column holds amounts of money (shown in the run's currency).
pub fn is_money_column(name: &str) -> bool {
    matches!(
        name,
        "monetary"
            | "avg_order_value"
            | "returns_value"
            | "btyd_monetary_value"
            | "expected_order_value"
            | "gross_spend"
            | "net_spend"
    ) || ["spend_", "clv_"].iter().any(|stem| {
        name.strip_prefix(stem)
            .and_then(|w| w.strip_suffix('d').or_else(|| w.strip_suffix('m')))
            .is_some_and(|count| count.parse::<u32>().is_ok())
    })
}

/// Whether a column holds a probability or a share (1 = all), shown as a percentage.
pub fn is_share_column(name: &str) -> bool {
    matches!(
        name,
        "purchase_probability" | "p_alive" | "return_rate" | "same_season_spend_share"
    )
}

/// The name of a purchase model of `metrics.json`.
pub fn model_label(name: &str) -> Cow<'_, str> {
    Cow::Borrowed(match name {
        "logistic_regression" => "Logistic regression",
        "random_forest" => "Random forest",
        "gradient_boosting" => "Gradient boosting",
        "baseline_recency" => "Recency baseline",
        "bg_nbd" => "BG/NBD",
        "mbg_nbd" => "MBG/NBD",
        _ => return Cow::Owned(name.replace('_', " ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_read_as_words() {
        assert_eq!(column_label("recency_days"), "days since last order");
        assert_eq!(column_label("spend_90d"), "gross spend, last 90 days");
        assert_eq!(
            column_label("expected_purchases_30d"),
            "expected purchases, next 30 days"
        );
        assert_eq!(column_label("clv_12m"), "CLV, next 12 months");
        assert_eq!(column_label("some_new_column"), "some new column");
        assert_eq!(
            column_label("spend_trend_90d"),
            "spend trend, 90 days (1 = steady)"
        );
        assert_eq!(model_label("gradient_boosting"), "Gradient boosting");
        assert_eq!(model_label("new_model"), "new model");
    }

    #[test]
    fn money_columns_are_the_amounts() {
        for money in [
            "monetary",
            "spend_30d",
            "clv_12m",
            "avg_order_value",
            "gross_spend",
        ] {
            assert!(is_money_column(money), "{money}");
        }
        for not_money in [
            "spend_trend_90d",
            "same_season_spend_share",
            "orders_30d",
            "frequency",
            "net_spend_not_positive",
        ] {
            assert!(!is_money_column(not_money), "{not_money}");
        }
    }
}
