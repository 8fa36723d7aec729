//! Models: the model comparison of the run, once runs write `metrics.json`.

use crate::html::{Page, escape, note, page};
use crate::run::RunData;
use axum::extract::State;
use axum::response::Html;
use std::sync::Arc;

pub async fn models(State(run): State<Arc<RunData>>) -> Html<String> {
    let body = match &run.metrics {
        None => note(
            "No model in this run yet &mdash; comes with <code>rebuy run</code> once models are integrated \
             (the run folder has no <code>metrics.json</code>).",
        ),
        Some(metrics) => {
            let text = serde_json::to_string_pretty(metrics).unwrap_or_default();
            format!(
                "<p class=\"lead\">Model comparison from <code>metrics.json</code>.</p>\
<div class=\"panel\"><pre id=\"metrics\">{}</pre></div>",
                escape(&text)
            )
        }
    };
    Html(page(
        &run,
        Page::Models,
        &format!("<h1>Models</h1>{body}"),
        false,
    ))
}
