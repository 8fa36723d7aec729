//! `report.html`: the Overview, Segments and Models pages of a run in one self-contained
//! file (the style sheet, the chart libraries and the page script inlined, nothing
//! fetched), written by `rebuy run` with the same page builders as the dashboard. It is
//! a file, served with no Content-Security-Policy, so its inline scripts run.

use crate::assets::{Include, head};
use crate::html::{frame, run_name};
use crate::pages::{models_body, overview_body, segments_body};
use crate::run::RunData;

/// The report of a loaded run, as one HTML document.
pub fn report_html(run: &RunData) -> String {
    let sections = [
        ("overview", overview_body(run)),
        ("segments", segments_body(run)),
        ("models", models_body(run)),
    ];
    let menu: String = sections
        .iter()
        .map(|(id, _)| {
            let mut title = id.to_string();
            title[..1].make_ascii_uppercase();
            format!("<a href=\"#{id}\">{title}</a>")
        })
        .collect();
    let body: String = sections
        .iter()
        .map(|(id, html)| format!("<section id=\"{id}\">{html}</section>"))
        .collect();
    let head = head(Include::Inlined, run.clustering.is_some());
    frame(run, "Report", &menu, &head, &body, &run_name(run), "")
}
