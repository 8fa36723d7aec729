//! Overview: headline numbers, purchases by month, and the data-quality summary.

use crate::html::{Page, chart, decimal, escape, note, page, percent, whole};
use crate::run::{Quality, RunData};
use axum::extract::State;
use axum::response::Html;
use serde_json::json;
use std::sync::Arc;

pub async fn overview(State(run): State<Arc<RunData>>) -> Html<String> {
    Html(page(&run, Page::Overview, &overview_body(&run), false))
}

/// The page's content (also a section of `report.html`).
pub fn overview_body(run: &RunData) -> String {
    let o = &run.overview;
    let m = &run.manifest;
    let period = match (&m.first_sale, &m.last_sale) {
        (Some(first), Some(last)) => format!(
            "Sales from {} to {}",
            escape(first.get(..10).unwrap_or(first)),
            escape(last.get(..10).unwrap_or(last))
        ),
        _ => "Sales".to_string(),
    };
    let as_of = m.as_of.as_deref().map_or_else(String::new, |d| {
        format!("; customer features as of {}", escape(d))
    });
    let lapsed = o.customers - o.active;
    let share = |n: usize| percent(n as f64 / o.customers.max(1) as f64);
    let card = |label: &str, value: String, sub: String| {
        format!(
            "<div class=\"card\"><div class=\"label\">{label}</div><div class=\"value\">{value}</div><div class=\"sub\">{sub}</div></div>"
        )
    };
    let cards = [
        card(
            "Customers",
            whole(o.customers as f64),
            "with at least one purchase".into(),
        ),
        card("Revenue", whole(o.revenue), "sales before returns".into()),
        card("Orders", whole(o.orders), "distinct invoices".into()),
        card(
            "Average order value",
            decimal(o.revenue / o.orders.max(1.0), 2),
            "revenue / orders".into(),
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
        "<h1>Overview</h1><p class=\"lead\">{period}{as_of}.</p>\
<div class=\"cards\">{cards}</div>\
<h2>By month</h2>{revenue}<div class=\"two\"><div class=\"panel\">{purchases}</div><div class=\"panel\">{activity}</div></div>\
<div class=\"panel\"><h2 style=\"margin-top:4px\">Data quality</h2>{quality}</div>",
        revenue = revenue_by_month(run),
        purchases = first_and_last_purchases(run),
        activity = active_vs_lapsed(run),
        quality = quality(run.quality.as_ref()),
    )
}

fn revenue_by_month(run: &RunData) -> String {
    let Some(months) = &run.revenue_by_month else {
        return note(
            "<b>Revenue by month</b> is not in this run folder (no <code>months.csv</code>); \
             a later <code>rebuy run</code> writes it. Below: customers by month of their first and last purchase.",
        );
    };
    let option = json!({
        "title": {"text": "Revenue by month", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 70, "right": 20, "bottom": 40},
        "xAxis": {"type": "category", "data": months.iter().map(|(m, _)| m).collect::<Vec<_>>()},
        "yAxis": {"type": "value", "name": "revenue"},
        "series": [{"type": "bar", "name": "revenue", "itemStyle": {"color": "#1e3a5f"},
                    "data": months.iter().map(|(_, r)| (r * 100.0).round() / 100.0).collect::<Vec<_>>()}]
    });
    format!(
        "<div class=\"panel\">{}</div>",
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
    let option = json!({
        "title": {"text": "Customers by month of first and last purchase", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24},
        "grid": {"left": 50, "right": 20, "top": 60, "bottom": 40},
        "xAxis": {"type": "category", "data": months.keys().collect::<Vec<_>>()},
        "yAxis": {"type": "value", "name": "customers"},
        "series": [
            {"type": "bar", "name": "first purchase (new)", "itemStyle": {"color": "#10b981"},
             "data": months.values().map(|v| v.0).collect::<Vec<_>>()},
            {"type": "bar", "name": "last purchase", "itemStyle": {"color": "#f59e0b"},
             "data": months.values().map(|v| v.1).collect::<Vec<_>>()}
        ]
    });
    chart("customers-by-month", &option, 320)
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

fn quality(quality: Option<&Quality>) -> String {
    let Some(q) = quality else {
        return note(
            "This run folder has no <code>quality.json</code>; <code>rebuy run</code> writes it.",
        );
    };
    let mut rows = format!(
        "<tr><td>lines read</td><td class=\"num\">{}</td></tr>",
        whole(q.lines_read as f64)
    );
    for d in &q.dropped {
        rows.push_str(&format!(
            "<tr><td>&minus; {} <span class=\"muted\">({})</span></td><td class=\"num\">{}</td></tr>",
            escape(&d.rule),
            escape(&d.description),
            whole(d.lines as f64)
        ));
    }
    for (label, value) in [
        ("= sales lines kept", whole(q.sales_lines as f64)),
        ("returns kept (cancellations)", whole(q.returns_kept as f64)),
        ("customers", whole(q.customers as f64)),
        ("invoices", whole(q.invoices as f64)),
        ("revenue", decimal(q.revenue, 2)),
        ("value of returns", decimal(q.returns_value, 2)),
    ] {
        rows.push_str(&format!(
            "<tr><td>{label}</td><td class=\"num\">{value}</td></tr>"
        ));
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
    format!("<table>{rows}</table>{issues}")
}
