//! What keeps the dashboard safe to put on a network, against a real server on a
//! loopback port: the security headers of every answer and pages that need no inline
//! script or style; request bodies only of the declared content type; and CSV cells
//! that a spreadsheet cannot run, with ids that round-trip.

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;

use reqwest::StatusCode;
use serde_json::Value;
use std::path::Path;

const SCORED: &str = "scored-run";

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let base = common::start(SCORED).await;
    for path in [
        "/",
        "/segments",
        "/customers",
        "/models",
        "/predict",
        "/api/health",
        "/api/customers.csv",
        "/api/no-such-endpoint",
        "/assets/rebuy.js",
        "/assets/no-such-file",
        "/no-such-page",
    ] {
        let response = reqwest::get(format!("{base}{path}"))
            .await
            .expect("request");
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().expect("text");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert!(
            !headers.contains_key("strict-transport-security"),
            "{path}: no HSTS over plain HTTP"
        );
    }
}

/// The pages' `<script>` elements load a file of `/assets/` or hold data; no element
/// has a style attribute or an event handler attribute: what the policy refuses.
#[tokio::test]
async fn pages_need_no_inline_script_or_style() {
    for run in [SCORED, "run-with-clusters"] {
        let base = common::start(run).await;
        for path in ["/", "/segments", "/customers", "/models", "/predict"] {
            let page = reqwest::get(format!("{base}{path}"))
                .await
                .expect("request")
                .text()
                .await
                .expect("page");
            for script in page.split("<script").skip(1) {
                let tag = &script[..script.find('>').expect("tag end")];
                assert!(
                    tag.starts_with(" src=\"/assets/")
                        || tag.starts_with(" type=\"application/json\""),
                    "{run}{path}: an inline script <script{tag}>"
                );
            }
            assert!(!page.contains("<style"), "{run}{path}: a style element");
            for tag in page.split('<').skip(1) {
                let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
                let attributes = tag.split_whitespace().skip(1);
                for attribute in attributes.filter(|a| a.contains('=')) {
                    let name = attribute.split('=').next().unwrap_or_default();
                    assert!(
                        name != "style" && !name.starts_with("on"),
                        "{run}{path}: <{tag}>"
                    );
                }
            }
        }
    }
}

async fn post(
    base: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .body(body.to_string());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn request_bodies_must_declare_their_content_type() {
    let base = common::start(SCORED).await;
    let customer = r#"{"recency_days": 3, "frequency": 2, "monetary": 5}"#;
    let csv = "recency_days,frequency,monetary\n3,2,5\n";
    let refused = [
        ("/api/predict", Some("text/plain"), customer),
        (
            "/api/predict",
            Some("application/x-www-form-urlencoded"),
            customer,
        ),
        ("/api/predict", None, customer),
        ("/api/rfm-score", Some("text/plain"), customer),
        (
            "/api/rfm-score",
            Some("multipart/form-data; boundary=x"),
            customer,
        ),
        ("/api/score.csv", Some("text/plain"), csv),
        ("/api/score.csv", Some("application/json"), csv),
        ("/api/score.csv", None, csv),
    ];
    for (path, content_type, body) in refused {
        let (status, answer) = post(&base, path, content_type, body).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{path} {content_type:?}: {answer}"
        );
        assert_eq!(answer["field"], "content-type", "{answer}");
        let error = answer["error"].as_str().expect("an error");
        assert!(error.contains("Content-Type: "), "{error}");
    }
    let accepted = [
        ("/api/predict", "application/json", customer),
        ("/api/predict", "Application/JSON; charset=utf-8", customer),
        ("/api/rfm-score", "application/json", customer),
        ("/api/score.csv", "text/csv", csv),
        ("/api/score.csv", "text/csv; charset=utf-8", csv),
    ];
    for (path, content_type, body) in accepted {
        let (status, answer) = post(&base, path, Some(content_type), body).await;
        assert_eq!(status, StatusCode::OK, "{path} {content_type}: {answer}");
    }
}

/// Ids that a spreadsheet would run as formulas.
const FORMULAS: [&str; 3] = ["=HYPERLINK(\"http://x\")", "=cmd|' /C calc'!A0", "=1+2"];

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The scored fixture run with its first customers' ids replaced: the first two as
/// `rebuy run` writes them now (escaped), the third as a run of before wrote it (raw).
fn run_with_formula_ids(dir: &Path) -> rebuy_server::RunData {
    copy_folder(&common::fixture(SCORED), dir);
    let path = dir.join("customers.csv");
    let mut reader = csv::Reader::from_path(&path).expect("customers.csv");
    let header = reader.headers().expect("header").clone();
    let mut rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    for (i, formula) in FORMULAS.iter().enumerate() {
        let written = if i < 2 {
            rebuy_server::spreadsheet::escape_str(formula).into_owned()
        } else {
            formula.to_string()
        };
        let mut cells: Vec<String> = rows[i].iter().map(str::to_string).collect();
        cells[0] = written;
        rows[i] = csv::StringRecord::from(cells);
    }
    let mut writer = csv::Writer::from_path(&path).expect("write");
    writer.write_record(&header).expect("header");
    for row in &rows {
        writer.write_record(row).expect("row");
    }
    writer.flush().expect("flush");
    rebuy_server::RunData::load(dir).expect("loads")
}

fn percent_encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn formula_ids_are_found_by_their_text_and_exported_as_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = common::serve_run(run_with_formula_ids(dir.path())).await;
    for formula in FORMULAS {
        let url = format!("{base}/api/customers/{}", percent_encoded(formula));
        let response = reqwest::get(&url).await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{formula}");
        let customer: Value = response.json().await.expect("JSON");
        assert_eq!(
            customer["customer_id"], formula,
            "the JSON holds the id itself"
        );
    }
    let export = reqwest::get(format!("{base}/api/customers.csv"))
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    let ids = common::csv_column(&export, "customer_id");
    for formula in FORMULAS {
        assert!(
            ids.contains(&format!("'{formula}")),
            "{formula} in {:?}",
            &ids[..3]
        );
    }
    let monetary = common::csv_column(&export, "monetary");
    assert!(
        monetary.iter().any(|m| m.starts_with('-')),
        "a negative net spend stays a number"
    );
    assert!(monetary.iter().all(|m| m.parse::<f64>().is_ok()));

    // The run's own customers.csv posted back: its ids come back as written, not
    // escaped twice; a raw file's formulas come back escaped, numbers as they are.
    let own = std::fs::read_to_string(dir.path().join("customers.csv")).expect("read");
    let (status, scored) = post(&base, "/api/score.csv", Some("text/csv"), &own).await;
    assert_eq!(status, StatusCode::OK, "{scored}");
    let scored = scored.as_str().expect("CSV text");
    assert_eq!(common::csv_column(scored, "customer_id")[..3], ids[..3]);
    let raw = format!(
        "customer_id,recency_days,frequency,monetary\n\"{}\",4,15,6000\n{},400,1,-35.5\n",
        FORMULAS[0].replace('"', "\"\""),
        FORMULAS[1]
    );
    let (status, scored) = post(&base, "/api/score.csv", Some("text/csv"), &raw).await;
    assert_eq!(status, StatusCode::OK, "{scored}");
    let scored = scored.as_str().expect("CSV text");
    assert_eq!(
        common::csv_column(scored, "customer_id"),
        [format!("'{}", FORMULAS[0]), format!("'{}", FORMULAS[1])]
    );
    assert_eq!(common::csv_column(scored, "monetary"), ["6000", "-35.5"]);
}
