//! Customers: look one up by id, browse the top customers, export a segment.

use crate::auth::sessions::SignedIn;
use crate::customers::Held;
use crate::history::picked::Picked;
use crate::html::{
    Page, code_spans, decimal, escape, note, page, percent, respond, short, url_encode, whole,
};
use crate::labels::{column_label, is_money_column, is_share_column};
use crate::listing::{CustomerQuery, Range, list_customers};
use crate::run::{RunData, segment_action};
use axum::Extension;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

/// Columns of the table, when the run has them, with their decimals (money always has
/// cents, probabilities are percentages); headings are the columns' labels.
const TABLE_COLUMNS: [(&str, usize); 10] = [
    ("purchase_probability", 0),
    ("probability_percentile", 0),
    ("p_alive", 0),
    ("monetary", 2),
    ("frequency", 0),
    ("recency_days", 0),
    ("avg_order_value", 2),
    ("tenure_days", 0),
    ("r_score", 0),
    ("f_score", 0),
];

/// The range filters the page's form offers, when the run has the column: (column,
/// the field's label, which ends it offers). Any other numeric column can be filtered
/// through the address (`min_COLUMN`, `max_COLUMN`).
const FILTER_FIELDS: [(&str, &str, bool, bool); 3] = [
    ("clv_12m", "CLV (12 months) from", true, false),
    (
        "purchase_probability",
        "Purchase probability (0 to 1)",
        true,
        true,
    ),
    (
        "recency_days",
        "Days since the last order, at most",
        false,
        true,
    ),
];

pub async fn customers(
    picked: Picked,
    signed_in: Option<Extension<SignedIn>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let run = &picked.run;
    let mut status = StatusCode::OK;
    let lookup = match params.get("id").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => String::new(),
        Some(id) => match run.customers.row_of(id) {
            Some(row) => customer_card(run, row),
            None => {
                status = StatusCode::NOT_FOUND;
                note(&format!(
                    "No customer with id <b>{}</b> in this run.",
                    escape(id)
                ))
            }
        },
    };
    let searched = params.get("id").map_or("", |s| s.as_str());
    let search = format!(
        "<form class=\"inline\" method=\"get\" action=\"/customers\">{}\
<label for=\"customer-id\">Customer id</label>\
<input id=\"customer-id\" name=\"id\" value=\"{}\" placeholder=\"e.g. {}\">\
<button type=\"submit\">Look up</button></form>",
        run.run_field(),
        escape(searched),
        escape(run.customers.customer_id.first().unwrap_or("12346")),
    );
    let table = match CustomerQuery::parse(run, &params) {
        Ok(query) => top_customers(run, &query),
        Err(error) => {
            status = StatusCode::BAD_REQUEST;
            format!(
                "<div class=\"note error\">{}: {}</div>",
                escape(error.body.field.as_deref().unwrap_or("request")),
                escape(&error.body.error)
            )
        }
    };
    let body = format!("<h1>Customers</h1>{search}{lookup}{table}");
    respond(
        status,
        page(&picked, signed_in.as_deref(), Page::Customers, &body, false),
    )
}

/// A number of a customer: money in the run's currency with cents, a probability or a
/// share as a percentage, others with `decimals` places (`None`: as short as it reads well).
fn number_text(run: &RunData, column: &str, value: f64, decimals: Option<usize>) -> String {
    if is_money_column(column) {
        run.money.cents(value)
    } else if matches!(column, "purchase_probability" | "p_alive") {
        rebuy_models::scoring::chance(value, 1)
    } else if is_share_column(column) {
        percent(value)
    } else {
        decimals.map_or_else(|| short(value), |d| decimal(value, d))
    }
}

fn customer_card(run: &RunData, row: usize) -> String {
    let table = &run.customers;
    let segment = &table.rfm_segment[row];
    let none = || "<span class=\"muted\">none</span>".to_string();
    // Every column in the file's order; the id, segment, cluster and R/F/M scores are
    // in the heading.
    let in_heading = ["r_score", "f_score", "m_score", "cluster"];
    let facts: String = table
        .columns
        .iter()
        .filter(|(name, _)| !in_heading.contains(&name.as_str()))
        .filter_map(|(name, held)| {
            let value = match *held {
                Held::Id | Held::Segment | Held::Cluster => return None,
                Held::Number(at) => table.numbers[at]
                    .get(row)
                    .map_or_else(none, |v| number_text(run, name, v, None)),
                Held::Label(at) => match &table.labels[at].1[row] {
                    "" => none(),
                    text => escape(text),
                },
            };
            Some(format!(
                "<dt title=\"{}\">{}</dt><dd>{value}</dd>",
                escape(name),
                escape(&column_label(name))
            ))
        })
        .collect();
    let cluster = table.cluster_name.as_ref().map_or_else(String::new, |c| {
        format!(
            " &middot; cluster <span class=\"pill\">{}</span>",
            escape(&c[row])
        )
    });
    format!(
        "<div class=\"panel\" id=\"customer-card\"><h2 class=\"top\">Customer {id}</h2>\
<p>Segment <span class=\"pill\">{segment}</span>{cluster} &middot; scores R {r} F {f} M {m}</p>\
<p><b>What to do:</b> {action}</p><dl class=\"facts\">{facts}</dl>{warnings}\
<p><a href=\"{json}\">as JSON</a></p></div>",
        id = escape(&table.customer_id[row]),
        json = run.href(&format!(
            "/api/customers/{}",
            url_encode(&table.customer_id[row])
        )),
        segment = escape(segment),
        r = score(run, "r_score", row),
        f = score(run, "f_score", row),
        m = score(run, "m_score", row),
        action = escape(segment_action(segment)),
        warnings = lifetime_warnings(run),
    )
}

/// The warnings of the fits behind P(alive), expected purchases and CLV (a degenerate
/// fit's figures are bounds), as a note; empty for clean fits.
fn lifetime_warnings(run: &RunData) -> String {
    let warnings = run
        .scorer
        .as_ref()
        .ok()
        .and_then(|s| s.lifetime.as_ref())
        .map(|l| l.fit_warnings())
        .unwrap_or_default();
    if warnings.is_empty() {
        return String::new();
    }
    let items: String = warnings
        .iter()
        .map(|w| format!("<li>{}</li>", code_spans(w)))
        .collect();
    format!(
        "<div class=\"note\" id=\"lifetime-warnings\">P(alive), expected purchases and CLV, \
         read with care (<a href=\"{fits}\">how the fits went</a>):<ul>{items}</ul></div>",
        fits = run.href("/models#btyd-fits")
    )
}

fn score(run: &RunData, column: &str, row: usize) -> String {
    run.customers
        .value(column, row)
        .map_or_else(|| "-".to_string(), whole)
}

fn top_customers(run: &RunData, query: &CustomerQuery) -> String {
    let listing = list_customers(run, query);
    let columns: Vec<_> = TABLE_COLUMNS
        .iter()
        .filter(|(name, _)| run.has_column(name))
        .collect();
    let filters = query.filter_params();
    let link = |sort: &str, descending: bool, page: usize| {
        run.href(&format!(
            "/customers?sort={}&order={}&page={page}{filters}",
            url_encode(sort),
            if descending { "desc" } else { "asc" }
        ))
    };
    let header: String = columns
        .iter()
        .map(|(name, _)| {
            let heading = escape(&column_label(name));
            let current = query.sort == *name;
            let arrow = match (current, query.descending) {
                (true, true) => " &#9660;",
                (true, false) => " &#9650;",
                _ => "",
            };
            let descending = !(current && query.descending);
            format!(
                "<th class=\"num\"><a href=\"{}\" title=\"sort\">{heading}{arrow}</a></th>",
                link(name, descending, 1)
            )
        })
        .collect();
    let has_clusters = run.customers.cluster_name.is_some();
    let rows: String = listing
        .rows
        .iter()
        .map(|&row| {
            let id = &run.customers.customer_id[row];
            let cells: String = columns
                .iter()
                .map(|(name, decimals)| {
                    let value = run
                        .customers
                        .value(name, row)
                        .map_or_else(String::new, |v| number_text(run, name, v, Some(*decimals)));
                    format!("<td class=\"num\">{value}</td>")
                })
                .collect();
            let cluster = match &run.customers.cluster_name {
                Some(c) => format!("<td class=\"name\">{}</td>", escape(&c[row])),
                None => String::new(),
            };
            format!(
                "<tr><td><a href=\"{}\">{}</a></td><td class=\"name\">{}</td>{cluster}{cells}</tr>",
                run.href(&format!("/customers?id={}", url_encode(id))),
                escape(id),
                escape(&run.customers.rfm_segment[row])
            )
        })
        .collect();
    let options: String = std::iter::once(("", "all segments".to_string()))
        .chain(
            run.segments
                .iter()
                .map(|s| (s.name.as_str(), s.name.clone())),
        )
        .map(|(value, label)| {
            let selected = if query.segment.as_deref().unwrap_or("") == value {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{}\"{selected}>{}</option>",
                escape(value),
                escape(&label)
            )
        })
        .collect();
    let export = run.href(&format!(
        "/api/customers.csv?sort={}&order={}{filters}",
        url_encode(&query.sort),
        query.order_name()
    ));
    let pages = listing.total.div_ceil(query.per_page).max(1);
    let previous = if query.page > 1 {
        format!(
            "<a href=\"{}\">&larr; previous</a>",
            link(&query.sort, query.descending, query.page - 1)
        )
    } else {
        String::new()
    };
    let next = if query.page < pages {
        format!(
            "<a href=\"{}\">next &rarr;</a>",
            link(&query.sort, query.descending, query.page + 1)
        )
    } else {
        String::new()
    };
    let heading = escape(&column_label(&query.sort));
    format!(
        "<h2>Top customers by {heading}</h2>\
<form class=\"inline\" id=\"customers-filter\" method=\"get\" action=\"/customers\">{run_field}\
<input type=\"hidden\" name=\"sort\" value=\"{sort}\"><input type=\"hidden\" name=\"order\" value=\"{order}\">\
<label for=\"segment\">Segment</label><select id=\"segment\" name=\"segment\" data-submit-on-change>{options}</select>\
{range_fields}<label for=\"top\">Top</label><input id=\"top\" name=\"top\" class=\"short\" inputmode=\"decimal\" value=\"{top}\" placeholder=\"all\"> %\
<button type=\"submit\">Filter</button></form>\
<p id=\"filtered\">{described} <a class=\"button\" href=\"{export}\">Export {what} as CSV</a></p>\
<table id=\"customer-table\"><tr><th>customer</th><th>segment</th>{cluster_header}{header}</tr>{rows}</table>\
<div class=\"pager\">{previous}<span class=\"muted\">page {page} of {pages} &middot; {total} customers</span>{next}</div>",
        run_field = run.run_field(),
        sort = escape(&query.sort),
        order = query.order_name(),
        what = if query.filters() {
            format!("these {}", whole(listing.total as f64))
        } else {
            "all customers".to_string()
        },
        range_fields = range_fields(run, query),
        top = query
            .top_percent
            .map_or_else(String::new, |p| p.to_string()),
        described = describe_filters(run, query, listing.total),
        cluster_header = if has_clusters { "<th>cluster</th>" } else { "" },
        page = query.page,
        total = whole(listing.total as f64),
    )
}

/// The form's range fields: a from and a to box per offered column the run has, filled
/// with the request's values.
fn range_fields(run: &RunData, query: &CustomerQuery) -> String {
    let value = |column: &str, min: bool| {
        query
            .ranges
            .iter()
            .find(|r| r.column == column)
            .and_then(|r| if min { r.min } else { r.max })
            .map_or_else(String::new, |v| v.to_string())
    };
    FILTER_FIELDS
        .iter()
        .filter(|(column, ..)| run.has_column(column))
        .map(|&(column, label, from, to)| {
            let input = |end: &str| {
                format!(
                    "<input id=\"{end}_{column}\" name=\"{end}_{column}\" class=\"short\" \
inputmode=\"decimal\" value=\"{}\" placeholder=\"any\" aria-label=\"{} ({})\">",
                    escape(&value(column, end == "min")),
                    escape(label),
                    if end == "min" { "from" } else { "to" },
                )
            };
            let first = if from { "min" } else { "max" };
            let mut field = format!(
                "<label for=\"{first}_{column}\">{}</label>{}",
                escape(label),
                input(first)
            );
            if from && to {
                field.push_str(&format!(" to {}", input("max")));
            }
            field
        })
        .collect()
}

/// The list's filters in words, with how many customers pass: "12 customers: segment
/// At Risk, CLV (12 months) at least £1,000.00, the top 5 % by purchase probability".
fn describe_filters(run: &RunData, query: &CustomerQuery, total: usize) -> String {
    let mut parts = Vec::new();
    if let Some(segment) = &query.segment {
        parts.push(format!("segment <b>{}</b>", escape(segment)));
    }
    for Range { column, min, max } in &query.ranges {
        let label = escape(&column_label(column));
        let value = |v: f64| number_text(run, column, v, None);
        parts.push(match (min, max) {
            (Some(min), Some(max)) => format!("{label} from {} to {}", value(*min), value(*max)),
            (Some(min), None) => format!("{label} at least {}", value(*min)),
            (None, Some(max)) => format!("{label} at most {}", value(*max)),
            (None, None) => continue,
        });
    }
    if let Some(top) = query.top_percent {
        parts.push(format!(
            "the {} {top} % by {}",
            if query.descending { "top" } else { "bottom" },
            escape(&column_label(&query.sort))
        ));
    }
    let count = format!(
        "<b>{}</b> customer{}",
        whole(total as f64),
        if total == 1 { "" } else { "s" }
    );
    if parts.is_empty() {
        format!("{count}.")
    } else {
        format!("{count}: {}.", parts.join(", "))
    }
}
