//! The chart libraries, compiled into the binary so the dashboard works offline.
//! ECharts 6.1.0 (Apache-2.0) and echarts-gl 2.1.0 (BSD-3-Clause), from npm; their
//! licences are in `assets/`.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const ECHARTS: &[u8] = include_bytes!("../assets/echarts.min.js");
pub const ECHARTS_GL: &[u8] = include_bytes!("../assets/echarts-gl.min.js");

pub async fn asset(Path(file): Path<String>) -> Response {
    let bytes = match file.as_str() {
        "echarts.min.js" => ECHARTS,
        "echarts-gl.min.js" => ECHARTS_GL,
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}
