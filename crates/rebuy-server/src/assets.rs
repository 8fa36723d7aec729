//! The files under `/assets/`, compiled into the binary so the dashboard works offline:
//! the chart libraries, ECharts 6.1.0 (Apache-2.0) and echarts-gl 2.1.0 (BSD-3-Clause),
//! from npm (their licences are in `assets/`; echarts-gl with one change, so that it
//! needs no eval: `assets/echarts-gl.PATCH.md`), and the dashboard's own style sheet and
//! scripts. The served pages link them (the Content-Security-Policy allows scripts and
//! styles from the server alone); `report.html`, a file opened from disk, inlines them.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const ECHARTS: &str = include_str!("../assets/echarts.min.js");
const ECHARTS_GL: &str = include_str!("../assets/echarts-gl.min.js");
const STYLE: &str = include_str!("../assets/rebuy.css");
/// Records a page's errors for the browser tests.
const ERRORS: &str = include_str!("../assets/rebuy-errors.js");
const PAGE_SCRIPT: &str = include_str!("../assets/rebuy.js");
const PREDICT_SCRIPT: &str = include_str!("../assets/predict.js");

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Every file of `/assets/`: name, content type, text.
const FILES: [(&str, &str, &str); 6] = [
    ("echarts.min.js", JAVASCRIPT, ECHARTS),
    ("echarts-gl.min.js", JAVASCRIPT, ECHARTS_GL),
    ("rebuy.css", "text/css; charset=utf-8", STYLE),
    ("rebuy-errors.js", JAVASCRIPT, ERRORS),
    ("rebuy.js", JAVASCRIPT, PAGE_SCRIPT),
    ("predict.js", JAVASCRIPT, PREDICT_SCRIPT),
];

/// The content type and text of the file `name` of `/assets/`.
fn file(name: &str) -> Option<(&'static str, &'static str)> {
    FILES
        .iter()
        .find(|(file, _, _)| *file == name)
        .map(|&(_, content_type, text)| (content_type, text))
}

pub async fn asset(Path(name): Path<String>) -> Response {
    match file(&name) {
        Some((content_type, text)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            text,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// How a page gets its style sheet and scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    /// From `/assets/` (the dashboard).
    Linked,
    /// Inlined in the page (`report.html`, which is opened from disk).
    Inlined,
}

/// The style sheet and the scripts of a page's head, in the order they run: the error
/// recorder (first, so that it sees the others' errors), ECharts (and echarts-gl
/// `with_3d`), then the page script.
pub fn head(include: Include, with_3d: bool) -> String {
    let mut head = match include {
        Include::Linked => "<link rel=\"stylesheet\" href=\"/assets/rebuy.css\">".to_string(),
        Include::Inlined => format!("<style>{}</style>", STYLE.replace("</style", "<\\/style")),
    };
    let libraries: &[&str] = if with_3d {
        &["echarts.min.js", "echarts-gl.min.js"]
    } else {
        &["echarts.min.js"]
    };
    for name in ["rebuy-errors.js"]
        .iter()
        .chain(libraries)
        .chain(&["rebuy.js"])
    {
        head.push_str(&script_element(include, name));
    }
    head
}

/// The Predict page's script, for the end of its body.
pub fn predict_script() -> String {
    script_element(Include::Linked, "predict.js")
}

/// A `<script>` element loading the file `name` of [`FILES`], or holding it (a
/// `</script` inside, which would end the element early, escaped; the bundled files
/// have none today).
fn script_element(include: Include, name: &str) -> String {
    match (include, file(name)) {
        (Include::Inlined, Some((_, text))) => {
            format!(
                "<script>{}</script>",
                text.replace("</script", "<\\/script")
            )
        }
        _ => format!("<script src=\"/assets/{name}\"></script>"),
    }
}
