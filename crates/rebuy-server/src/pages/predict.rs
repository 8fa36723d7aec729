//! Predict: score one customer typed into a form (`POST /api/predict`), or a CSV of
//! customers (`POST /api/score.csv`) with a preview and a download of the result.

use crate::api::{MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS};
use crate::assets::predict_script;
use crate::auth::sessions::SignedIn;
use crate::batch::SCORE_COLUMNS;
use crate::history::picked::Picked;
use crate::html::{Page, escape, note, page, whole};
use crate::labels::model_label;
use axum::Extension;
use axum::response::Html;
use rebuy_models::scoring::RFM_FIELDS;

/// Labels and hints of the required fields, in [`RFM_FIELDS`] order.
const REQUIRED: [(&str, &str, &str); 3] = [
    ("Recency (days)", "12", "days since the last purchase"),
    (
        "Frequency (orders)",
        "5",
        "distinct orders so far, at least 1",
    ),
    (
        "Monetary (net spend)",
        "800",
        "sales minus returns so far (may be 0 or less)",
    ),
];

pub async fn predict(picked: Picked, signed_in: Option<Extension<SignedIn>>) -> Html<String> {
    let run = &picked.run;
    let body = match &run.scorer {
        Err(reason) => note(&format!("Nothing to predict with: {}", escape(reason))),
        Ok(scorer) => {
            let required: String = RFM_FIELDS
                .iter()
                .zip(REQUIRED)
                .map(|(name, (label, example, hint))| field(name, label, Some(example), hint, true))
                .collect();
            let tenure = field(
                "tenure_days",
                "Tenure (days)",
                None,
                "optional: days since the first purchase, for P(alive) and CLV",
                false,
            );
            let answering = match &scorer.rfm_only {
                Some(model) => format!(
                    "<span class=\"pill\">{}</span> ({}, fitted on recency, frequency and net \
spend alone; test ROC-AUC {:.3})",
                    escape(&model_label(&model.file.name)),
                    escape(&model.file.kind.replace('_', " ")),
                    model.file.test_metrics.roc_auc
                ),
                None => "none: this run has no R/F/M-only model (run `rebuy run` again)".into(),
            };
            format!(
                "<p class=\"lead\">Score a customer typed in: the model answering recency, frequency \
and monetary is {answering}; purchase in the next {h} days, ranked against this run's {n} \
customers.</p>\
<div class=\"two\"><div class=\"panel\"><h2 class=\"top\">One customer</h2>\
<form id=\"predict-form\" class=\"fields\">{required}{tenure}\
<div><button type=\"submit\" id=\"predict-button\">Predict</button></div></form></div>\
<div class=\"panel\" id=\"result\" data-state=\"empty\"><h2 class=\"top\">Result</h2>\
<p class=\"muted\">Fill in the form and press Predict.</p></div></div>\
<div class=\"panel\"><h2 class=\"top\">A file of customers</h2>\
<p class=\"muted\">A CSV with a header line and the columns <code>recency_days</code>, <code>frequency</code>, \
<code>monetary</code> (scored by the R/F/M-only model), or every feature column of this run's customers.csv \
(scored by the chosen model <span class=\"pill\">{model}</span>); other columns such as <code>customer_id</code> \
are kept, as <code>rebuy score</code> reads it; up to {max_mb} MB and {max_rows} customers. The result \
adds {added} (the inputs beyond the span of the model's training customers, \
<code>;</code>-separated).</p>\
<form id=\"batch-form\" class=\"inline\"><input type=\"file\" id=\"batch-file\" accept=\".csv,text/csv\">\
<button type=\"submit\" id=\"batch-button\">Score the file</button></form>\
<div id=\"batch-result\" data-state=\"empty\"></div></div>{script}",
                model = escape(&model_label(&scorer.full.file.name)),
                h = scorer.horizon_days(),
                n = whole(scorer.rfm.customers() as f64),
                added = added_columns(),
                max_mb = MAX_UPLOAD_BYTES / (1024 * 1024),
                max_rows = whole(MAX_UPLOAD_ROWS as f64),
                script = predict_script(),
            )
        }
    };
    Html(page(
        &picked,
        signed_in.as_deref(),
        Page::Predict,
        &format!("<h1>Predict</h1>{body}"),
        false,
    ))
}

fn field(name: &str, label: &str, example: Option<&str>, hint: &str, required: bool) -> String {
    let (name, label, hint) = (escape(name), escape(label), escape(hint));
    format!(
        "<label for=\"f-{name}\">{label}<span class=\"muted\">{hint}</span></label>\
<input id=\"f-{name}\" name=\"{name}\" type=\"number\" step=\"any\"{min}{value}{required}>",
        min = match name.as_str() {
            "frequency" => " min=\"1\"",
            "recency_days" | "tenure_days" => " min=\"0\"",
            _ => "",
        },
        value = example.map_or_else(String::new, |v| format!(" value=\"{v}\"")),
        required = if required { " required" } else { "" },
    )
}

/// The columns a scored file gains, from the scoring's own list, so the page's words
/// cannot drift from what the file holds: `a`, `b` and `c`.
fn added_columns() -> String {
    let code: Vec<String> = SCORE_COLUMNS
        .iter()
        .map(|c| format!("<code>{c}</code>"))
        .collect();
    match code.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_column_a_scored_file_gains() {
        let added = added_columns();
        for column in SCORE_COLUMNS {
            assert!(added.contains(&format!("<code>{column}</code>")), "{added}");
        }
        assert!(
            added.ends_with(" and <code>outside_training_range</code>"),
            "{added}"
        );
    }
}
