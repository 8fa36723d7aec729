//! `report.html`: the Overview, Segments and Models pages of a run in one self-contained
//! file (styles and the chart libraries inlined, nothing fetched), written by `rebuy run`
//! with the same page builders as the dashboard.

use crate::assets::{ECHARTS, ECHARTS_GL};
use crate::html::frame;
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
    let mut scripts = inline_script(ECHARTS);
    if run.clustering.is_some() {
        scripts.push_str(&inline_script(ECHARTS_GL));
    }
    frame(run, "Report", &menu, &scripts, &body, "")
}

/// A library inlined in a `<script>` element (a `</script` inside, which would end the
/// element early, escaped; the bundled libraries have none today).
fn inline_script(library: &[u8]) -> String {
    format!(
        "<script>{}</script>",
        String::from_utf8_lossy(library).replace("</script", "<\\/script")
    )
}
