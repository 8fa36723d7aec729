//! Overview: headline numbers, purchases by month, and the data-quality summary.

use crate::auth::sessions::SignedIn;
use crate::history::picked::Picked;
use crate::html::{Page, chart, escape, note, page, percent, whole};
use crate::run::{RevenueMonth, RunData};
use axum::Extension;
use axum::response::Html;
use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};

pub async fn overview(picked: Picked, signed_in: Option<Extension<SignedIn>>) -> Html<String> {
    let run = &picked.run;
    Html(page(
        &picked,
        signed_in.as_deref(),
        Page::Overview,
        &overview_body(run),
        false,
    ))
}

/// The page's content (also a section of `report.html`).
pub fn overview_body(run: &RunData) -> String {
    let o = &run.overview;
    let money = &run.money;
    let lapsed = o.customers - o.active;
    let share = |n: usize| percent(n as f64 / o.customers.max(1) as f64);
    let card = |label: &str, value: String, sub: String| {
        // Long amounts (£11,598,358.12) in a smaller type, so they fit the card.
        let class = if value.chars().count() > 13 {
            "value long"
        } else {
            "value"
        };
        format!(
            "<div class=\"card\"><div class=\"label\">{label}</div><div class=\"{class}\">{value}</div><div class=\"sub\">{sub}</div></div>"
        )
    };
    let before = run
        .period
        .as_of
        .map_or_else(String::new, |d| format!(" before {d}"));
    let cards = [
        card(
            "Customers",
            whole(o.customers as f64),
            format!("with a purchase{before}"),
        ),
        card(
            "Revenue",
            money.cents(o.revenue),
            "sales before returns".into(),
        ),
        card(
            "Net spend",
            money.cents(o.net_spend),
            "sales minus returns".into(),
        ),
        card("Orders", whole(o.orders), "distinct invoices".into()),
        card(
            "Average order value",
            money.cents(o.net_spend / o.orders.max(1.0)),
            // As `avg_order_value` of customers.csv: net spend per order.
            "net spend / orders".into(),
        ),
        card(
            "Active",
            whole(o.active as f64),
            format!(
                "{} bought in the last {} days",
                share(o.active),
                o.horizon_days
            ),
        ),
        card(
            "Lapsed",
            whole(lapsed as f64),
            format!(
                "{} not seen for over {} days",
                share(lapsed),
                o.horizon_days
            ),
        ),
        card(
            "Repeat rate",
            percent(o.repeat_rate),
            "customers with 2+ orders".into(),
        ),
    ]
    .concat();
    format!(
        "<h1>Overview</h1><p class=\"lead\" id=\"period\">{period}</p>\
<div class=\"cards headline\">{cards}</div>\
<h2>By month</h2>{revenue}<div class=\"two\"><div class=\"panel\">{purchases}</div><div class=\"panel\">{activity}</div></div>\
<div class=\"panel\" id=\"quality\">{quality}</div>",
        period = period_words(run),
        revenue = revenue_by_month(run),
        purchases = first_and_last_purchases(run),
        activity = active_vs_lapsed(run),
        quality = quality(run),
    )
}

/// `2011-06-01`.
fn day(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "?".to_string(), |d| d.to_string())
}

/// Which days the page's figures cover, in a sentence or two.
fn period_words(run: &RunData) -> String {
    let p = &run.period;
    let Some(as_of) = p.as_of else {
        return "Customers and sales of this run's customers.csv.".to_string();
    };
    let mut text = format!(
        "Cards and charts: sales before the as-of date <b>{as_of}</b> ({} to {}), the \
         customers' features at that date.",
        day(p.first_sale),
        day(p.last_day())
    );
    if p.has_sales_after_as_of() {
        text.push_str(&format!(
            " The data go on to {}: those later sales are counted only in the data-quality \
             table below, which covers every line read.",
            day(p.last_sale)
        ));
    }
    text
}

/// `2010-12` -> `1-9 Dec 2010 (9 of 31 days)`.
fn covered_days(month: &RevenueMonth) -> String {
    match (month.days, month.day_counts()) {
        (Some((first, last)), Some((covered, of))) => format!(
            "{}-{} {} ({covered} of {of} days)",
            first.day(),
            last.day(),
            first.format("%b %Y")
        ),
        _ => month.month.clone(),
    }
}

/// Why a month is only partly covered: the data start or end inside it, or the as-of
/// date falls inside it.
fn partial_reason(run: &RunData, month: &RevenueMonth) -> String {
    let p = &run.period;
    let (Some((first, last)), Some((start, end))) = (month.days, month.calendar()) else {
        return String::new();
    };
    let mut reasons = Vec::new();
    if first != start && Some(first) == p.first_sale {
        reasons.push(format!("the data start on {first}"));
    }
    if last != end {
        if Some(last) == p.last_sale {
            reasons.push(format!("the data end on {last}"));
        } else if let Some(as_of) = p.as_of.filter(|d| d.pred_opt() == Some(last)) {
            reasons.push(format!("the as-of date is {as_of}"));
        }
    }
    if reasons.is_empty() {
        "only part of it is in the data".to_string()
    } else {
        reasons.join(" and ")
    }
}

fn revenue_by_month(run: &RunData) -> String {
    let Some(by_month) = &run.revenue_by_month else {
        return note(
            "<b>Revenue by month</b> is not in this run folder (no <code>months.csv</code>); \
             a later <code>rebuy run</code> writes it. Below: customers by month of their first and last purchase.",
        );
    };
    let months = &by_month.months;
    let round = |r: f64| (r * 100.0).round() / 100.0;
    let full: Vec<Value> = months
        .iter()
        .map(|m| {
            if m.is_partial() {
                Value::Null
            } else {
                json!(round(m.revenue))
            }
        })
        .collect();
    let partial: Vec<Value> = months
        .iter()
        .map(|m| match m.day_counts() {
            Some((covered, of)) if m.is_partial() => json!({
                "value": round(m.revenue),
                "label": {"show": true, "position": "top", "color": "#6b7280",
                          "formatter": format!("{covered} of {of} days")},
            }),
            _ => Value::Null,
        })
        .collect();
    let labels: Vec<String> = months
        .iter()
        .map(|m| {
            if m.is_partial() {
                format!("{}*", m.month)
            } else {
                m.month.clone()
            }
        })
        .collect();
    let option = json!({
        "title": {"text": "Revenue by month (sales before returns)", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"show": months.iter().any(RevenueMonth::is_partial), "top": 0, "right": 10},
        "grid": {"left": 90, "right": 44, "top": 50, "bottom": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "name": "revenue"},
        "series": [
            {"type": "bar", "name": "whole month", "stack": "month", "itemStyle": {"color": "#1e3a5f"}, "data": full},
            {"type": "bar", "name": "part of a month", "stack": "month",
             "itemStyle": {"color": "#c7d2e3", "borderColor": "#1e3a5f", "borderWidth": 1, "borderType": "dashed"},
             "data": partial}
        ],
        "rebuyMoney": {"axis": "y"},
    });
    let partial_notes: Vec<String> = months
        .iter()
        .filter(|m| m.is_partial())
        .map(|m| {
            format!(
                "{}* covers {} only: {}",
                escape(&m.month),
                covered_days(m),
                partial_reason(run, m)
            )
        })
        .collect();
    let mut notes = String::new();
    if !partial_notes.is_empty() {
        notes.push_str(&format!(
            "<p class=\"muted\" id=\"partial-months\">Pale bars are part of a month, not a \
             fall in sales: {}.</p>",
            partial_notes.join("; ")
        ));
    }
    if by_month.counts_every_sale {
        notes.push_str(&note(&format!(
            "This run's <code>months.csv</code> counts every sale: the months from the as-of \
             date on are left out here, and the bar of {} may hold sales from {} on. A \
             <code>rebuy run</code> of this version writes it up to the as-of date.",
            run.period
                .as_of
                .map_or_else(String::new, |d| d.format("%Y-%m").to_string()),
            day(run.period.as_of)
        )));
    }
    format!(
        "<div class=\"panel\">{}{notes}</div>",
        chart("revenue-by-month", &option, 320)
    )
}

fn first_and_last_purchases(run: &RunData) -> String {
    let months = &run.overview.first_and_last_purchases;
    if months.is_empty() {
        return note(
            "Customers by month need <code>as_of</code> in manifest.json and <code>tenure_days</code> in customers.csv; this run has neither.",
        );
    }
    let labels: Vec<String> = months
        .keys()
        .map(|m| {
            if run.period.is_partial(m) {
                format!("{m}*")
            } else {
                m.clone()
            }
        })
        .collect();
    let option = json!({
        "title": {"text": "Customers by month of first and last purchase", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24},
        "grid": {"left": 50, "right": 20, "top": 60, "bottom": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "name": "customers"},
        "series": [
            {"type": "bar", "name": "first purchase (new)", "itemStyle": {"color": "#10b981"},
             "data": months.values().map(|v| v.0).collect::<Vec<_>>()},
            {"type": "bar", "name": "last purchase", "itemStyle": {"color": "#f59e0b"},
             "data": months.values().map(|v| v.1).collect::<Vec<_>>()}
        ]
    });
    let partial = if labels.iter().any(|l| l.ends_with('*')) {
        "<p class=\"muted\">* part of a month only (see revenue by month).</p>"
    } else {
        ""
    };
    format!("{}{partial}", chart("customers-by-month", &option, 320))
}

fn active_vs_lapsed(run: &RunData) -> String {
    let o = &run.overview;
    let option = json!({
        "title": {"text": format!("Active vs lapsed ({}-day window)", o.horizon_days), "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0},
        "series": [{
            "type": "pie", "radius": ["45%", "70%"], "center": ["50%", "52%"],
            "label": {"formatter": "{b}: {d}%", "fontSize": 13},
            "data": [
                {"name": "active", "value": o.active, "itemStyle": {"color": "#10b981"}},
                {"name": "lapsed", "value": o.customers - o.active, "itemStyle": {"color": "#9ca3af"}}
            ]
        }]
    });
    chart("active-vs-lapsed", &option, 320)
}

/// The data-quality report: every line read, all dates; beside it, when the as-of date
/// cuts the data, the same counts before the as-of date (the cards' figures).
fn quality(run: &RunData) -> String {
    let Some(q) = &run.quality else {
        return note(
            "This run folder has no <code>quality.json</code>; <code>rebuy run</code> writes it.",
        );
    };
    let p = &run.period;
    let cut = p.has_sales_after_as_of();
    let title = format!(
        "<h2 class=\"top\">Data quality: every line read ({} to {})</h2>",
        day(p.first_sale),
        day(p.last_sale)
    );
    let o = &run.overview;
    let money = &run.money;
    let (header, blank) = if cut {
        (
            format!(
                "<tr><th></th><th class=\"num\">all lines read</th><th class=\"num\">before the as-of date {}</th></tr>",
                day(p.as_of)
            ),
            "<td></td>",
        )
    } else {
        (String::new(), "")
    };
    let row = |label: &str, all: String, before: Option<String>| {
        let before = if cut {
            format!("<td class=\"num\">{}</td>", before.unwrap_or_default())
        } else {
            String::new()
        };
        format!("<tr><td>{label}</td><td class=\"num\">{all}</td>{before}</tr>")
    };
    let mut rows = header;
    rows.push_str(&row("lines read", whole(q.lines_read as f64), None));
    for d in &q.dropped {
        rows.push_str(&format!(
            "<tr><td>&minus; {} <span class=\"muted\">(rule <code>{}</code>)</span></td><td class=\"num\">{}</td>{blank}</tr>",
            escape(&d.description),
            escape(&d.rule),
            whole(d.lines as f64)
        ));
    }
    rows.push_str(&row(
        "= sales lines kept",
        whole(q.sales_lines as f64),
        None,
    ));
    rows.push_str(&row(
        "returns kept (cancellations)",
        whole(q.returns_kept as f64),
        None,
    ));
    rows.push_str(&row(
        "customers with a purchase",
        whole(q.customers as f64),
        Some(whole(o.customers as f64)),
    ));
    rows.push_str(&row(
        "orders (distinct sales invoices)",
        whole(q.invoices as f64),
        Some(whole(o.orders)),
    ));
    rows.push_str(&row(
        "revenue (sales before returns)",
        money.cents(q.revenue),
        Some(money.cents(o.revenue)),
    ));
    rows.push_str(&row(
        "value of returns",
        money.cents(q.returns_value),
        o.returns_value.map(|v| money.cents(v)),
    ));
    // A return by a customer without a sale belongs to no customer, so the cards' net
    // spend is the revenue minus the customers' returns only: the table says by how much
    // the two differ, or the subtraction a reader makes would not come out.
    if let Some(customers_returns) = o.returns_value.filter(|_| !cut) {
        let unmatched = q.returns_value - customers_returns;
        if unmatched.abs() >= 0.005 {
            rows.push_str(&row(
                "of which by customers with no sale (in no customer's net spend)",
                money.cents(unmatched),
                None,
            ));
        }
    }
    let issues: String = q
        .parse_issues
        .iter()
        .map(|i| {
            format!(
                "<li>{}: column {} has <code>{}</code>, expected {}</li>",
                escape(&i.location),
                escape(&i.column),
                escape(&i.value),
                escape(&i.expected)
            )
        })
        .collect();
    let issues = if issues.is_empty() {
        String::new()
    } else {
        format!("<p class=\"muted\">Values that could not be read:</p><ul>{issues}</ul>")
    };
    let later = if cut {
        format!(
            "<p class=\"muted\">The sales from the as-of date on ({} of revenue) are in the \
             first column only: the customers' figures stop the day before the as-of date.</p>",
            money.cents(q.revenue - o.revenue)
        )
    } else {
        String::new()
    };
    format!("{title}<table id=\"quality-table\">{rows}</table>{later}{issues}")
}
