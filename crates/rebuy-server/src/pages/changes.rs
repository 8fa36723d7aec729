//! Changes: what moved between two runs of a runs folder. The segment migration matrix
//! (customers and net spend per cell, each cell a link to its customers), the same as
//! a Sankey chart, the list and CSV of one cell, and the headline figures of every run.

use crate::auth::sessions::SignedIn;
use crate::history::migration::{self, GONE, Migration, NEW, Side, cell_title};
use crate::history::picked::{Pair, Picked};
use crate::history::runs::RunEntry;
use crate::history::sankey::sankey;
use crate::history::trend::RunFigures;
use crate::html::{Page, chart, escape, note, page, percent, respond, url_encode, whole};
use crate::pages::segments::segment_color;
use crate::run::RunData;
use axum::Extension;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use std::collections::HashMap;

/// Customers of a cell listed on the page; the CSV has them all.
const LISTED: usize = 200;

pub async fn changes(
    picked: Picked,
    signed_in: Option<Extension<SignedIn>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let (status, comparison) = match picked.pair(get("from"), get("to")) {
        Ok(pair) => {
            let (status, body) = compared(&pair, get("was"), get("now"));
            (status, format!("{}{body}", pickers(&picked, Some(&pair))))
        }
        Err(refusal) => {
            let status = crate::history::picked::refused(&refusal, true).status();
            let shown = if status == StatusCode::NOT_FOUND && get("from").is_none() {
                // Only one run so far: a state to explain, not an error.
                StatusCode::OK
            } else {
                status
            };
            (
                shown,
                format!(
                    "{}{}",
                    pickers(&picked, None),
                    note(&escape(&refusal.to_string()))
                ),
            )
        }
    };
    let body = format!(
        "<h1>Changes between runs</h1>{comparison}{}",
        trend(&picked.runs)
    );
    respond(
        status,
        page(&picked, signed_in.as_deref(), Page::Changes, &body, false),
    )
}

/// The form choosing the earlier and the later run.
fn pickers(picked: &Picked, pair: Option<&Pair>) -> String {
    if !picked.is_folder {
        return String::new();
    }
    let select = |id: &str, label: &str, chosen: Option<&str>| {
        let options: String = picked
            .runs
            .iter()
            .filter(|e| e.loaded.is_ok())
            .map(|e| {
                let selected = if Some(e.name.as_str()) == chosen {
                    " selected"
                } else {
                    ""
                };
                format!(
                    "<option value=\"{}\"{selected}>{}</option>",
                    escape(&e.name),
                    escape(&e.label())
                )
            })
            .collect();
        format!(
            "<label for=\"{id}\">{label}</label><select id=\"{id}\" name=\"{id}\">{options}</select>"
        )
    };
    format!(
        "<form class=\"inline\" id=\"compare\" method=\"get\" action=\"/changes\">{}{}{}\
<button type=\"submit\">Compare</button></form>",
        picked.run.run_field(),
        select("from", "From", pair.map(|p| p.earlier.0.as_str())),
        select("to", "to", pair.map(|p| p.later.0.as_str())),
    )
}

/// The link to the list of cell (`was`, `now`), keeping the two runs.
fn cell_href(pair: &Pair, was: &str, now: &str) -> String {
    pair.later.1.href(&format!(
        "/changes?from={}&to={}&was={}&now={}#movers",
        url_encode(&pair.earlier.0),
        url_encode(&pair.later.0),
        url_encode(was),
        url_encode(now)
    ))
}

fn compared(pair: &Pair, was: Option<&str>, now: Option<&str>) -> (StatusCode, String) {
    let (earlier, later) = (&pair.earlier.1, &pair.later.1);
    let matrix = Migration::between(earlier, later);
    let total = matrix.total();
    let kept = matrix.kept();
    let sum_row = |name: &str| -> usize {
        matrix
            .was
            .iter()
            .position(|w| w == name)
            .map_or(0, |r| matrix.cells[r].iter().map(|c| c.customers).sum())
    };
    let gone: usize = matrix
        .now
        .iter()
        .position(|n| n == GONE)
        .map_or(0, |c| matrix.cells.iter().map(|row| row[c].customers).sum());
    let new = sum_row(NEW);
    let summary = format!(
        "<p id=\"migration-summary\">From <b>{}</b> to <b>{}</b>: of {} customers, {} ({}) kept \
their segment, {} moved to another, {} are new and {} are gone. Rows: the segment in the \
earlier run; columns: in the later one. A cell gives its customers and their net spend \
(the later run's; the earlier run's for those gone); click it for the list.</p>",
        escape(&pair.earlier.1.name()),
        escape(&pair.later.1.name()),
        whole(total as f64),
        whole(kept as f64),
        percent(kept as f64 / total.max(1) as f64),
        whole((total - kept - new - gone) as f64),
        whole(new as f64),
        whole(gone as f64),
    );
    let chosen = was.zip(now);
    let (status, list) = match chosen {
        None => (StatusCode::OK, String::new()),
        Some((was, now)) if matrix.cell(was, now).is_some() => {
            (StatusCode::OK, movers_list(pair, was, now))
        }
        Some((was, now)) => (
            StatusCode::BAD_REQUEST,
            note(&escape(&format!(
                "no cell `{was}` to `{now}`: expected a row of {} and a column of {}",
                matrix.was.join(", "),
                matrix.now.join(", ")
            ))),
        ),
    };
    let chart = sankey(&matrix, segment_color, |was, now| cell_href(pair, was, now));
    (
        status,
        format!(
            "{summary}{}<h2>Where customers went</h2><div class=\"panel sankey-panel\">{chart}</div>{list}",
            matrix_table(pair, &matrix, chosen)
        ),
    )
}

fn matrix_table(pair: &Pair, matrix: &Migration, chosen: Option<(&str, &str)>) -> String {
    let money = &pair.later.1.money;
    let header: String = matrix
        .now
        .iter()
        .map(|now| format!("<th class=\"num\">{}</th>", escape(now)))
        .collect();
    let rows: String = matrix
        .was
        .iter()
        .zip(&matrix.cells)
        .map(|(was, cells)| {
            let cells: String = matrix
                .now
                .iter()
                .zip(cells)
                .map(|(now, cell)| {
                    let mut class = String::from("num");
                    if was == now {
                        class.push_str(" kept");
                    }
                    if chosen == Some((was.as_str(), now.as_str())) {
                        class.push_str(" chosen");
                    }
                    if cell.customers == 0 {
                        return format!("<td class=\"{class} empty\">&middot;</td>");
                    }
                    format!(
                        "<td class=\"{class}\"><a href=\"{}\" data-was=\"{}\" data-now=\"{}\">\
<span class=\"count\">{}</span><span class=\"money\">{}</span></a></td>",
                        escape(&cell_href(pair, was, now)),
                        escape(was),
                        escape(now),
                        whole(cell.customers as f64),
                        money.whole(cell.revenue)
                    )
                })
                .collect();
            format!(
                "<tr><th><span class=\"pill\" data-color=\"{}\">{}</span></th>{cells}</tr>",
                segment_color(was),
                escape(was)
            )
        })
        .collect();
    format!(
        "<h2>Segment migration</h2><div class=\"panel\"><table id=\"migration\" class=\"migration\">\
<tr><th>earlier &#8595; later &#8594;</th>{header}</tr>{rows}</table></div>"
    )
}

fn movers_list(pair: &Pair, was: &str, now: &str) -> String {
    let (earlier, later) = (&pair.earlier.1, &pair.later.1);
    let (side, rows) = migration::movers(earlier, later, was, now);
    let holder: &RunData = match side {
        Side::Earlier => earlier,
        Side::Later => later,
    };
    let spend_before = |row: usize| -> Option<f64> {
        let id = &holder.customers.customer_id[row];
        let at = match side {
            Side::Earlier => Some(row),
            Side::Later => earlier.customers.row_of(id),
        }?;
        earlier.customers.value("monetary", at)
    };
    let money = &later.money;
    let listed: String = rows
        .iter()
        .take(LISTED)
        .map(|&row| {
            let id = &holder.customers.customer_id[row];
            let probability = holder
                .customers
                .value("purchase_probability", row)
                .map_or_else(String::new, percent);
            format!(
                "<tr><td><a href=\"{}\">{}</a></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{probability}</td></tr>",
                escape(&holder.href(&format!("/customers?id={}", url_encode(id)))),
                escape(id),
                spend_before(row).map_or_else(String::new, |v| money.cents(v)),
                holder
                    .customers
                    .value("monetary", row)
                    .map_or_else(String::new, |v| money.cents(v)),
            )
        })
        .collect();
    let shown = if rows.len() > LISTED {
        format!(" <span class=\"muted\">(the first {LISTED}; the CSV has all)</span>")
    } else {
        String::new()
    };
    let csv = holder.href(&format!(
        "/api/changes.csv?from={}&to={}&was={}&now={}",
        url_encode(&pair.earlier.0),
        url_encode(&pair.later.0),
        url_encode(was),
        url_encode(now)
    ));
    format!(
        "<div class=\"panel\" id=\"movers\"><h2 class=\"top\">{title}: {count} {customers}{shown}</h2>\
<p><a class=\"button\" href=\"{csv}\">Export as CSV</a> <span class=\"muted\">every column of {holder_name}'s customers.csv</span></p>\
<table id=\"movers-table\"><tr><th>customer</th><th class=\"num\">net spend, earlier run</th>\
<th class=\"num\">net spend, {spend_run}</th><th class=\"num\">purchase probability</th></tr>{listed}</table></div>",
        title = escape(&cell_title(was, now)),
        count = whole(rows.len() as f64),
        customers = if rows.len() == 1 {
            "customer"
        } else {
            "customers"
        },
        csv = escape(&csv),
        holder_name = escape(&holder.name()),
        spend_run = if side == Side::Earlier {
            "earlier run"
        } else {
            "later run"
        },
    )
}

/// The headline figures of every readable run, oldest first: a table and a chart of
/// the shares.
fn trend(runs: &[RunEntry]) -> String {
    let mut figures: Vec<RunFigures> = runs
        .iter()
        .filter_map(|e| {
            e.loaded
                .as_ref()
                .ok()
                .map(|run| RunFigures::of(&e.name, run))
        })
        .collect();
    figures.reverse();
    if figures.is_empty() {
        return String::new();
    }
    let optional_share = |v: Option<f64>| v.map_or_else(|| "-".to_string(), percent);
    let rows: String = figures
        .iter()
        .zip(runs.iter().rev().filter(|e| e.loaded.is_ok()))
        .map(|(f, entry)| {
            let money = entry.loaded.as_ref().map(|r| &r.money).ok();
            format!(
                "<tr data-run=\"{}\"><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&f.name),
                escape(&f.name),
                escape(f.as_of.as_deref().unwrap_or("-")),
                whole(f.customers as f64),
                percent(f.active_share),
                money.map_or_else(|| whole(f.revenue), |m| m.whole(f.revenue)),
                percent(f.repeat_rate),
                optional_share(f.mean_purchase_probability),
                f.test_auc.map_or_else(|| "-".to_string(), |a| format!("{a:.3}")),
            )
        })
        .collect();
    let dates: Vec<String> = figures
        .iter()
        .map(|f| f.as_of.clone().unwrap_or_else(|| f.name.clone()))
        .collect();
    let series = |name: &str, values: Vec<Option<f64>>| json!({"name": name, "type": "line", "data": values, "connectNulls": false});
    let option = json!({
        "rebuyPercent": "y",
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 36, "bottom": 30},
        "xAxis": {"type": "category", "data": dates},
        "yAxis": {"type": "value", "min": 0, "max": 1},
        "series": [
            series("active share", figures.iter().map(|f| Some(f.active_share)).collect()),
            series("repeat rate", figures.iter().map(|f| Some(f.repeat_rate)).collect()),
            series("mean purchase probability", figures.iter().map(|f| f.mean_purchase_probability).collect()),
            series("test AUC", figures.iter().map(|f| f.test_auc).collect()),
        ]
    });
    format!(
        "<h2>Across runs</h2><table id=\"trend\"><tr><th>run</th><th>as of</th><th class=\"num\">customers</th>\
<th class=\"num\">active share</th><th class=\"num\">revenue</th><th class=\"num\">repeat rate</th>\
<th class=\"num\">mean purchase probability</th><th class=\"num\">test AUC</th></tr>{rows}</table>{}",
        chart("trend-chart", &option, 260)
    )
}
