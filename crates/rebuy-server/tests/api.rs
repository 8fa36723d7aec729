//! The JSON API and the pages, against a real server on a loopback port.

mod common;

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn get_json(url: &str) -> (StatusCode, Value) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

async fn post_body(base: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    post_to(base, "/api/rfm-score", body).await
}

async fn post_to(base: &str, path: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    let response = post_raw(base, path, body).await;
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

async fn post_raw(base: &str, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    let content_type = if path.ends_with(".csv") {
        "text/csv"
    } else {
        "application/json"
    };
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

/// Asserts a refused request: the status, and the field the error names.
fn assert_refused(answer: (StatusCode, Value), status: StatusCode, field: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["field"], field, "{}", answer.1);
    assert!(answer.1["error"].as_str().is_some_and(|e| !e.is_empty()));
}

#[tokio::test]
async fn health_names_the_run_and_its_optional_files() {
    let base = common::start("run").await;
    let (status, health) = get_json(&format!("{base}/api/health")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["run"], "run");
    assert_eq!(health["customers"], 240);
    assert_eq!(health["as_of"], "2011-12-10");
    assert_eq!(health["files"]["segments.json"], false);
    assert_eq!(health["files"]["quality.json"], true);
}

#[tokio::test]
async fn a_customer_by_id_and_an_unknown_id() {
    let base = common::start("run").await;
    let (status, customer) = get_json(&format!("{base}/api/customers/12346")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(customer["customer_id"], "12346");
    assert_eq!(customer["rfm_segment"], "About to Sleep");
    assert_eq!(customer["values"]["monetary"], 639.46);
    assert_eq!(customer["values"]["r_score"], 3.0);
    assert!(customer["action"].as_str().is_some_and(|a| !a.is_empty()));
    let unknown = get_json(&format!("{base}/api/customers/99999999")).await;
    assert_refused(unknown, StatusCode::NOT_FOUND, "id");
}

#[tokio::test]
async fn the_customer_list_sorts_filters_and_pages() {
    let base = common::start("run").await;
    let (status, page) = get_json(&format!("{base}/api/customers?per_page=10")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 240);
    assert_eq!(page["sort"], "monetary");
    let spend: Vec<f64> = page["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .filter_map(|c| c["values"]["monetary"].as_f64())
        .collect();
    assert_eq!(spend.len(), 10);
    assert!(spend.windows(2).all(|w| w[0] >= w[1]), "{spend:?}");

    let url = format!(
        "{base}/api/customers?segment=Champions&sort=recency_days&order=asc&page=2&per_page=5"
    );
    let (status, page) = get_json(&url).await;
    assert_eq!(status, StatusCode::OK);
    let (_, segments) = get_json(&format!("{base}/api/segments")).await;
    let champions = segments["segments"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "Champions"))
        .expect("a Champions segment")["customers"]
        .clone();
    assert_eq!(page["total"], champions);
    assert_eq!(page["page"], 2);
    let customers = page["customers"].as_array().expect("customers");
    assert!(customers.iter().all(|c| c["rfm_segment"] == "Champions"));
}

#[tokio::test]
async fn bad_list_parameters_name_the_parameter() {
    let base = common::start("run").await;
    for (query, field) in [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("per_page=1000", "per_page"),
        ("per_page=2.5", "per_page"),
        ("sort=favourite_colour", "sort"),
        ("sort=rfm_segment", "sort"),
        ("order=up", "order"),
        ("segment=Nobody", "segment"),
        ("min_favourite_colour=1", "min_favourite_colour"),
        ("max_monetary=lots", "max_monetary"),
        ("min_monetary=100&max_monetary=10", "min_monetary"),
        ("top=0", "top"),
        ("top=150", "top"),
        ("top=NaN", "top"),
    ] {
        let answer = get_json(&format!("{base}/api/customers?{query}")).await;
        assert_refused(answer, StatusCode::BAD_REQUEST, field);
    }
    let answer = get_json(&format!("{base}/api/customers.csv?segment=Nobody")).await;
    assert_refused(answer, StatusCode::BAD_REQUEST, "segment");
    let answer = get_json(&format!("{base}/api/customers.csv?min_recency_days=soon")).await;
    assert_refused(answer, StatusCode::BAD_REQUEST, "min_recency_days");
}

#[tokio::test]
async fn a_segment_exports_as_csv() {
    let base = common::start("run").await;
    let response = reqwest::get(format!(
        "{base}/api/customers.csv?segment=Can%27t%20Lose%20Them"
    ))
    .await
    .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ascii header")
        .to_string();
    assert!(
        disposition.contains("customers-cant-lose-them.csv"),
        "{disposition}"
    );
    let text = response.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    assert_eq!(&header[0], "customer_id");
    assert!(header.iter().any(|h| h == "monetary"));
    let segment = header
        .iter()
        .position(|h| h == "rfm_segment")
        .expect("segment column");
    let rows: Vec<_> = reader.records().map(|r| r.expect("row")).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| &r[segment] == "Can't Lose Them"));

    let all = reqwest::get(format!("{base}/api/customers.csv"))
        .await
        .expect("request");
    let lines = all.text().await.expect("body").lines().count();
    assert_eq!(lines, 241, "header and one line per customer");
}

#[tokio::test]
async fn segments_partition_the_customers() {
    let base = common::start("run").await;
    let (status, answer) = get_json(&format!("{base}/api/segments")).await;
    assert_eq!(status, StatusCode::OK);
    let segments = answer["segments"].as_array().expect("segments");
    let customers: u64 = segments
        .iter()
        .filter_map(|s| s["customers"].as_u64())
        .sum();
    assert_eq!(customers, 240);
    let revenue_share: f64 = segments
        .iter()
        .filter_map(|s| s["revenue_share"].as_f64())
        .sum();
    assert!((revenue_share - 1.0).abs() < 1e-9, "{revenue_share}");
    assert!(answer["clusters"].is_null());

    let base = common::start("run-with-clusters").await;
    let (_, answer) = get_json(&format!("{base}/api/segments")).await;
    assert_eq!(answer["clusters"]["chosen_k"], 3);
    assert_eq!(
        answer["clusters"]["clusters"].as_array().map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn rfm_score_places_extremes_in_the_obvious_segments() {
    let base = common::start("run").await;
    let best = json!({"recency_days": 0, "frequency": 1000, "monetary": 1e9});
    let (status, score) = post_body(&base, best.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{score}");
    assert_eq!(
        (&score["r_score"], &score["f_score"], &score["m_score"]),
        (&json!(5), &json!(5), &json!(5))
    );
    assert_eq!(score["rfm_segment"], "Champions");
    let worst = json!({"recency_days": 5000, "frequency": 1, "monetary": 0});
    let (_, score) = post_body(&base, worst.to_string()).await;
    assert_eq!(score["rfm_segment"], "Hibernating", "{score}");
}

/// Bodies that every endpoint taking recency, frequency and monetary refuses: (body,
/// status, the field the error names).
const BAD_RFM_BODIES: [(&str, StatusCode, &str); 13] = [
    (
        r#"{"recency_days": 3, "frequency": 2"#,
        StatusCode::BAD_REQUEST,
        "body",
    ),
    (r#"not json"#, StatusCode::BAD_REQUEST, "body"),
    ("", StatusCode::BAD_REQUEST, "body"),
    (
        r#"{"recency_days": NaN, "frequency": 2, "monetary": 5}"#,
        StatusCode::BAD_REQUEST,
        "body",
    ),
    (
        r#"{"recency_days": 1e999, "frequency": 2, "monetary": 5}"#,
        StatusCode::BAD_REQUEST,
        "body",
    ),
    (r#"[1, 2, 3]"#, StatusCode::UNPROCESSABLE_ENTITY, "body"),
    (
        r#"{"frequency": 2, "monetary": 5}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recency_days",
    ),
    (
        r#"{"recency_days": 3, "frequency": 2}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "monetary",
    ),
    (
        r#"{"recency_days": -1, "frequency": 2, "monetary": 5}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recency_days",
    ),
    (
        r#"{"recency_days": 3, "frequency": 0, "monetary": 5}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "frequency",
    ),
    (
        r#"{"recency_days": "NaN", "frequency": 2, "monetary": 5}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recency_days",
    ),
    (
        r#"{"recency_days": 3, "frequency": "two", "monetary": 5}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "frequency",
    ),
    (
        r#"{"recency_days": 3, "frequency": 2, "monetary": null}"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "monetary",
    ),
];

#[tokio::test]
async fn each_bad_body_is_a_4xx_naming_the_field() {
    let base = common::start("run").await;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let cases = BAD_RFM_BODIES.into_iter().chain([(
        r#"{"recency_days": 3, "frequency": 2, "monetary": 5, "age": 40}"#,
        unprocessable,
        "age",
    )]);
    for (body, status, field) in cases {
        let answer = post_body(&base, body).await;
        assert_refused(answer, status, field);
    }
    let oversized = format!(
        r#"{{"recency_days": 3, "frequency": 2, "monetary": 5, "padding": "{}"}}"#,
        "x".repeat(rebuy_server::MAX_BODY_BYTES)
    );
    assert_refused(
        post_body(&base, oversized).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body",
    );
}

#[tokio::test]
async fn unknown_endpoints_and_methods_answer_json() {
    let base = common::start("run").await;
    let (status, body) = get_json(&format!("{base}/api/nothing-here")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().is_some());
    let (status, body) = get_json(&format!("{base}/api/rfm-score")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["error"].as_str().is_some());
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_handlers() {
    let base = common::start("scored-run").await;
    let (status, doc) = get_json(&format!("{base}/api/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    let expected = BTreeSet::from([
        "/api/health",
        "/api/runs",
        "/api/changes.csv",
        "/api/customers",
        "/api/customers.csv",
        "/api/customers/{id}",
        "/api/segments",
        "/api/rfm-score",
        "/api/predict",
        "/api/score.csv",
        "/api/models",
    ]);
    assert_eq!(paths, expected);
    for path in paths {
        let methods = doc["paths"][path].as_object().expect("methods");
        let url = format!("{base}{}", path.replace("{id}", "12346"));
        if path == "/api/changes.csv" {
            // One run served: nothing to compare (a runs folder's test is below).
            let response = reqwest::get(&url).await.expect("request");
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            continue;
        }
        let response = if methods.contains_key("post") {
            let body = if path.ends_with(".csv") {
                "recency_days,frequency,monetary\n3,2,5\n"
            } else {
                r#"{"recency_days": 3, "frequency": 2, "monetary": 5}"#
            };
            post_raw(&base, path, body).await
        } else {
            reqwest::get(&url).await.expect("request")
        };
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn pages_render_and_say_what_is_missing() {
    let base = common::start("run").await;
    let page = |path: &'static str| {
        let base = base.clone();
        async move {
            let response = reqwest::get(format!("{base}{path}"))
                .await
                .expect("request");
            (response.status(), response.text().await.expect("body"))
        }
    };
    let (status, overview) = page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(overview.contains("id=\"customers-by-month\""));
    assert!(overview.contains("no <code>months.csv</code>"));
    let (_, segments) = page("/segments").await;
    assert!(segments.contains("id=\"segment-map\""));
    assert!(segments.contains("No KMeans clusters in this run yet"));
    let (_, models) = page("/models").await;
    assert!(models.contains("No purchase model in this run"));
    let (status, customers) = page("/customers?id=12346").await;
    assert_eq!(status, StatusCode::OK);
    assert!(customers.contains("id=\"customer-card\""));
    let (status, unknown) = page("/customers?id=nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(unknown.contains("No customer with id <b>nobody</b>"));
    let (status, bad) = page("/customers?page=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("page: must be"));
    let (status, script) = page("/assets/echarts.min.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(script.len() > 1_000_000);

    let base = common::start("run-with-clusters").await;
    let segments = reqwest::get(format!("{base}/segments"))
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    for id in ["cluster-scatter", "cluster-elbow", "cluster-silhouette"] {
        assert!(segments.contains(&format!("id=\"{id}\"")), "{id}");
    }
}

#[test]
fn a_folder_that_is_not_a_run_is_refused() {
    let empty = tempfile::tempdir().expect("temp dir");
    let error = rebuy_server::RunData::load(empty.path()).expect_err("not a run folder");
    assert!(error.to_string().contains("manifest.json"), "{error}");
    std::fs::write(empty.path().join("manifest.json"), "{}").expect("write");
    let error = rebuy_server::RunData::load(empty.path()).expect_err("no customers.csv");
    assert!(error.to_string().contains("customers.csv"), "{error}");
}

#[tokio::test]
async fn serve_stops_when_asked() {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = rebuy_server::ServeOptions {
        run_dir: common::fixture("run"),
        runs_folder: false,
        addr: "127.0.0.1:0".parse().expect("address"),
        users: None,
        no_auth: false,
        tls: None,
        limits: rebuy_server::Limits::default(),
    };
    let server = tokio::spawn(rebuy_server::serve(options, async move {
        stopped.await.ok();
    }));
    stop.send(()).expect("server is waiting");
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("stops within 10 s")
        .expect("task");
    assert!(outcome.is_ok(), "{outcome:?}");
}

#[tokio::test]
async fn a_run_whose_clustering_was_skipped_says_why() {
    let folder = tempfile::tempdir().expect("temp dir");
    for file in ["manifest.json", "quality.json", "customers.csv"] {
        std::fs::copy(common::fixture("run").join(file), folder.path().join(file)).expect("copy");
    }
    let segments = json!({"format_version": 1, "clustering": null,
        "clustering_skipped": "3 distinct customers are too few to choose between 2 or more clusters"});
    std::fs::write(folder.path().join("segments.json"), segments.to_string()).expect("write");
    let run = rebuy_server::RunData::load(folder.path()).expect("loads");
    let base = common::serve_run(run).await;
    let page = reqwest::get(format!("{base}/segments"))
        .await
        .expect("request");
    let text = page.text().await.expect("body");
    assert!(
        text.contains("no KMeans clusters: 3 distinct customers are too few"),
        "clustering reason shown"
    );
    let (_, health) = get_json(&format!("{base}/api/health")).await;
    assert_eq!(health["files"]["segments.json"], true);
}

/// `POST /api/rfm-score` scores a customer's own numbers as the run scored them
/// (for spend, where ties are rare and the rank order is unambiguous).
#[test]
fn scoring_a_customers_own_spend_gives_the_runs_m_score() {
    let run = rebuy_server::RunData::load(&common::fixture("run")).expect("loads");
    let text = std::fs::read_to_string(common::fixture("run").join("customers.csv")).expect("read");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (monetary, m_score) = (column("monetary"), column("m_score"));
    let rows: Vec<(f64, u8)> = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (
                r[monetary].parse().expect("spend"),
                r[m_score].parse().expect("score"),
            )
        })
        .collect();
    let mut checked = 0;
    for &(spend, score) in &rows {
        if rows.iter().filter(|(other, _)| *other == spend).count() == 1 {
            assert_eq!(
                run.rfm.score(0.0, 1.0, spend).m_score,
                score,
                "spend {spend}"
            );
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
}

#[tokio::test]
async fn a_run_without_customers_still_renders_every_page() {
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::write(folder.path().join("manifest.json"), "{}").expect("write");
    let header =
        "customer_id,recency_days,frequency,monetary,r_score,f_score,m_score,rfm_segment\n";
    std::fs::write(folder.path().join("customers.csv"), header).expect("write");
    let run = rebuy_server::RunData::load(folder.path()).expect("loads");
    let base = common::serve_run(run).await;
    for path in [
        "/",
        "/segments",
        "/customers",
        "/models",
        "/api/segments",
        "/api/customers",
        "/api/health",
    ] {
        let status = reqwest::get(format!("{base}{path}"))
            .await
            .expect("request")
            .status();
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (status, score) = post_body(
        &base,
        r#"{"recency_days": 1, "frequency": 1, "monetary": 1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{score}");
}

/// A run folder as `rebuy demo` writes it loads, and every customer's scores map to
/// the segment the run gave them.
#[tokio::test]
async fn a_real_run_folder_loads_and_its_segments_agree() {
    let run = rebuy_server::RunData::load(&common::fixture("demo-run")).expect("loads");
    let table = &run.customers;
    let score = |name: &str, row: usize| table.value(name, row).expect("score") as u8;
    for row in 0..table.len() {
        let segment = run.rfm.segment(
            score("r_score", row),
            score("f_score", row),
            score("m_score", row),
        );
        assert_eq!(
            segment, &table.rfm_segment[row],
            "customer {}",
            &table.customer_id[row]
        );
    }
    let base = common::serve_run(run).await;
    let (_, health) = get_json(&format!("{base}/api/health")).await;
    assert_eq!(health["files"]["segments.json"], true);
    let (_, segments) = get_json(&format!("{base}/api/segments")).await;
    assert!(
        segments["clusters"]["chosen_k"]
            .as_u64()
            .is_some_and(|k| k >= 2),
        "{segments}"
    );
    for path in ["/", "/segments", "/customers", "/models"] {
        let status = reqwest::get(format!("{base}{path}"))
            .await
            .expect("request")
            .status();
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}

/// `tests/fixtures/scored-run` is a real `rebuy run` folder with a saved model.
const SCORED: &str = "scored-run";
/// The model that run chose.
const SERVED: &str = "logistic_regression";

#[tokio::test]
async fn predict_one_customer_scores_like_the_run() {
    let base = common::start(SCORED).await;
    let (status, customer) = get_json(&format!("{base}/api/customers/12346")).await;
    assert_eq!(status, StatusCode::OK);
    let values = &customer["values"];
    // Every feature of the served model: the served model answers.
    let (_, models) = get_json(&format!("{base}/api/models")).await;
    let features: Vec<&str> = models["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f.as_str().expect("name"))
        .collect();
    let body: serde_json::Map<String, Value> = features
        .iter()
        .filter(|f| values[**f].is_number())
        .map(|f| (f.to_string(), values[*f].clone()))
        .collect();
    // A subset no model was fitted on is refused, naming what is missing.
    let mut partial = body.clone();
    partial.retain(|name, _| !name.starts_with("spend_"));
    let (status, refused) =
        post_to(&base, "/api/predict", Value::Object(partial).to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("spend_30d")),
        "{refused}"
    );
    let (status, prediction) =
        post_to(&base, "/api/predict", Value::Object(body).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{prediction}");
    let probability = prediction["purchase_probability"]
        .as_f64()
        .expect("probability");
    let expected = values["purchase_probability"]
        .as_f64()
        .expect("run's probability");
    assert!(
        (probability - expected).abs() < 1e-9,
        "{probability} vs {expected}"
    );
    assert_eq!(prediction["model"], SERVED);
    assert_eq!(prediction["horizon_days"], 90);
    assert!(prediction["rfm_segment"].is_string());
    assert!(prediction["cluster"]["name"].is_string(), "{prediction}");
    assert!(
        prediction["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("90 days"))
    );
    assert_eq!(prediction["answered_by"]["model"], SERVED);
    assert_eq!(prediction["not_used_by_model"], json!([]));
    for (ours, runs) in [
        ("p_alive", "p_alive"),
        ("clv", "clv_12m"),
        ("expected_order_value", "expected_order_value"),
        ("expected_purchases", "expected_purchases_90d"),
    ] {
        let ours = prediction["lifetime"][ours].as_f64().expect(ours);
        let runs = values[runs].as_f64().expect(runs);
        assert!(
            (ours - runs).abs() <= 1e-9 * runs.abs().max(1.0),
            "{ours} vs {runs}"
        );
    }
    let percentile = prediction["probability_percentile"]
        .as_f64()
        .expect("percentile");
    assert!((0.0..=100.0).contains(&percentile));

    let only_rfm = json!({"recency_days": 3, "frequency": 20, "monetary": 9000});
    let (status, recent) = post_to(&base, "/api/predict", only_rfm.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{recent}");
    assert_eq!(recent["model"], "rfm_only");
    assert_eq!(
        recent["answered_by"]["inputs"],
        json!(["recency_days", "frequency", "monetary"])
    );
    assert_eq!(recent["rfm_segment"], "Champions");
    assert!(recent["lifetime"].is_null());
    assert!(
        recent["lifetime_note"]
            .as_str()
            .is_some_and(|n| n.contains("tenure_days"))
    );
    let with_tenure =
        json!({"recency_days": 3, "frequency": 20, "monetary": 9000, "tenure_days": 700});
    let (_, with_tenure) = post_to(&base, "/api/predict", with_tenure.to_string()).await;
    let p_alive = with_tenure["lifetime"]["p_alive"]
        .as_f64()
        .expect("p_alive");
    assert!((0.0..=1.0).contains(&p_alive), "{with_tenure}");
    let lapsed = json!({"recency_days": 600, "frequency": 1, "monetary": 20});
    let (_, lapsed) = post_to(&base, "/api/predict", lapsed.to_string()).await;
    assert!(
        recent["purchase_probability"].as_f64() > lapsed["purchase_probability"].as_f64(),
        "{recent} {lapsed}"
    );
    assert_eq!(lapsed["churn_risk"], "High");
}

#[tokio::test]
async fn predict_a_list_keeps_its_order_and_names_the_bad_row() {
    let base = common::start(SCORED).await;
    let list = json!([
        {"recency_days": 3, "frequency": 20, "monetary": 9000},
        {"recency_days": 600, "frequency": 1, "monetary": 20, "tenure_days": 600},
    ]);
    let (status, answer) = post_to(&base, "/api/predict", list.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let predictions = answer.as_array().expect("a list");
    assert_eq!(predictions.len(), 2);
    assert_eq!(predictions[0]["rfm_segment"], "Champions");
    assert_eq!(predictions[1]["rfm_segment"], "Hibernating");

    let bad = json!([
        {"recency_days": 3, "frequency": 2, "monetary": 5},
        {"recency_days": 3, "frequency": 2, "monetary": 5},
        {"recency_days": 3, "frequency": 0, "monetary": 5},
    ]);
    let answer = post_to(&base, "/api/predict", bad.to_string()).await;
    assert_eq!(answer.1["row"], 3, "{}", answer.1);
    assert_refused(answer, StatusCode::UNPROCESSABLE_ENTITY, "frequency");
    let too_many = Value::Array(vec![
        json!({"recency_days": 1, "frequency": 1, "monetary": 1});
        1001
    ]);
    assert_refused(
        post_to(&base, "/api/predict", too_many.to_string()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "body",
    );
}

#[tokio::test]
async fn each_bad_predict_body_is_a_4xx_naming_the_field() {
    let base = common::start(SCORED).await;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let cases = BAD_RFM_BODIES.into_iter().chain([
        (
            r#"{"recency_days": 1, "frequency": 2, "monetary": 5, "tenure_days": "NaN"}"#,
            unprocessable,
            "tenure_days",
        ),
        (
            r#"{"recency_days": 1, "frequency": 2, "monetary": 5, "shoe_size": 9}"#,
            unprocessable,
            "shoe_size",
        ),
        (
            r#"[{"recency_days": 1, "frequency": 2}]"#,
            unprocessable,
            "monetary",
        ),
    ]);
    for (body, status, field) in cases {
        assert_refused(post_to(&base, "/api/predict", body).await, status, field);
    }
    let oversized = format!("[{}]", "1,".repeat(rebuy_server::MAX_PREDICT_BYTES / 2));
    assert_refused(
        post_to(&base, "/api/predict", oversized).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body",
    );
    let base = common::start("run").await;
    let (status, answer) = post_to(
        &base,
        "/api/predict",
        r#"{"recency_days": 1, "frequency": 1, "monetary": 1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("no purchase model"))
    );
}

#[tokio::test]
async fn models_lists_the_comparison_and_the_served_model() {
    let base = common::start(SCORED).await;
    let (status, models) = get_json(&format!("{base}/api/models")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(models["served"], SERVED);
    assert!(
        models["chosen_by"]
            .as_str()
            .is_some_and(|c| c.contains("validation ROC-AUC"))
    );
    let names: Vec<&str> = models["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture(SCORED).join("metrics.json")).expect("read"),
    )
    .expect("metrics.json");
    let in_file: Vec<&str> = file["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names, in_file);
    assert!(names.contains(&"bg_nbd") && names.contains(&"baseline_recency"));
    let served: Vec<&Value> = models["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter(|m| m["served"] == true)
        .collect();
    // The chosen model (every feature) and rfm_only (recency, frequency, monetary).
    assert_eq!(served.len(), 2);
    assert_eq!(served[1]["name"], "rfm_only");
    assert_eq!(models["served_rfm_only"], "rfm_only");
    assert!(served[0]["roc_auc"].as_f64().is_some_and(|a| a > 0.5));
    assert!(served[0]["confusion_matrix"]["tp"].is_u64());
    assert_eq!(models["features"].as_array().map(Vec::len), Some(29));

    let page = reqwest::get(format!("{base}/models"))
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert!(page.contains("id=\"comparison\"") && page.contains("id=\"roc-chart\""));
    assert!(page.contains("best F1"));
    let predict = reqwest::get(format!("{base}/predict"))
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert!(predict.contains("id=\"predict-form\"") && predict.contains("id=\"f-tenure_days\""));
}

#[tokio::test]
async fn a_csv_of_customers_comes_back_scored_as_the_run_scored_them() {
    let base = common::start(SCORED).await;
    let customers =
        std::fs::read_to_string(common::fixture(SCORED).join("customers.csv")).expect("read");
    let response = post_raw(&base, "/api/score.csv", customers.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/csv"))
    );
    let scored = response.text().await.expect("body");
    let column = common::csv_column;
    assert_eq!(
        column(&scored, "customer_id"),
        column(&customers, "customer_id")
    );
    let close = column(&scored, "purchase_probability")
        .iter()
        .zip(column(&customers, "purchase_probability"))
        .all(|(a, b)| (a.parse::<f64>().expect("a") - b.parse::<f64>().expect("b")).abs() < 1e-9);
    assert!(close);
    assert_eq!(
        column(&scored, "churn_risk"),
        column(&customers, "churn_risk")
    );

    let bad_cell = "customer_id,recency_days,frequency,monetary\n1,3,2,5\n2,ten,1,5\n";
    let answer = post_to(&base, "/api/score.csv", bad_cell).await;
    assert_eq!(answer.1["row"], 3, "{}", answer.1);
    assert_refused(answer, StatusCode::UNPROCESSABLE_ENTITY, "recency_days");
    let cases = [
        ("recency_days,frequency\n1,2\n", "monetary", 1),
        ("recency_days,frequency,monetary\n1,0,3\n", "frequency", 2),
        ("recency_days,frequency,monetary\n1,2,\n", "monetary", 2),
        ("recency_days,frequency,monetary\n1,2,NaN\n", "monetary", 2),
        ("recency_days,frequency,monetary\n1,2,3\n1,2\n", "body", 3),
    ];
    for (body, field, row) in cases {
        let answer = post_to(&base, "/api/score.csv", body).await;
        assert_eq!(answer.1["row"], row, "{body}: {}", answer.1);
        assert_refused(answer, StatusCode::UNPROCESSABLE_ENTITY, field);
    }
    let too_big = format!(
        "recency_days,frequency,monetary\n{}",
        "1,1,1\n".repeat(rebuy_server::MAX_UPLOAD_BYTES / 6 + 1)
    );
    assert_refused(
        post_to(&base, "/api/score.csv", too_big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body",
    );
    let too_many = format!(
        "recency_days,frequency,monetary\n{}",
        "1,1,1\n".repeat(rebuy_server::MAX_UPLOAD_ROWS + 1)
    );
    assert_refused(
        post_to(&base, "/api/score.csv", too_many).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "body",
    );
}

#[tokio::test]
async fn the_models_page_shows_the_runs_buy_till_you_die_pictures() {
    let base = common::start(SCORED).await;
    let page = reqwest::get(format!("{base}/models"))
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    let svg = std::fs::read_to_string(common::fixture(SCORED).join("btyd_calibration_holdout.svg"))
        .expect("the fixture's picture");
    assert!(page.contains("Repeat purchases in the test window: model vs actual"));
    assert!(page.contains(svg.trim()), "the picture is inline");
    // The fixture has no frequency/recency matrices: no empty panels for them.
    assert!(!page.contains("P(alive) by frequency and recency"));
}

#[tokio::test]
async fn a_runs_folder_lists_its_runs_and_serves_the_one_picked() {
    let runs = common::history_copy();
    // A run being written (the run writer's hidden staging folder) and a folder that is
    // no run are not listed; a damaged run is, with its error.
    common::copy_folder(
        &common::fixture("history/2011-04-15"),
        &runs.path().join(".2011-07-15.partial-123"),
    );
    std::fs::create_dir(runs.path().join("notes")).expect("a folder");
    common::copy_folder(
        &common::fixture("history/2011-04-15"),
        &runs.path().join("broken"),
    );
    std::fs::write(runs.path().join("broken/customers.csv"), "customer_id\n1\n").expect("damage");
    let base = common::start_runs(runs.path()).await;

    let (status, list) = get_json(&format!("{base}/api/runs")).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    // Newest first; the damaged copy has the same as-of date as 2011-04-15: by name.
    assert_eq!(names, ["2011-06-15", "2011-05-15", "2011-04-15", "broken"]);
    let lines = |run: &str| {
        std::fs::read_to_string(common::fixture("history").join(run).join("customers.csv"))
            .expect("customers.csv")
            .lines()
            .count()
            - 1
    };
    assert_eq!(list["runs"][0]["customers"], lines("2011-06-15"));
    assert_eq!(list["runs"][0]["status"], "ready");
    assert_eq!(list["runs"][0]["as_of"], "2011-06-15");
    assert_eq!(list["runs"][3]["status"], "failed");
    assert!(
        list["runs"][3]["error"]
            .as_str()
            .is_some_and(|e| e.contains("customers.csv")),
        "{list}"
    );

    // Without ?run= the newest; with it, that run's numbers.
    let (_, newest) = get_json(&format!("{base}/api/health")).await;
    assert_eq!(newest["run"], "2011-06-15");
    let (status, older) = get_json(&format!("{base}/api/health?run=2011-04-15")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(older["run"], "2011-04-15");
    assert_eq!(older["customers"], lines("2011-04-15"));
    let (_, segments) = get_json(&format!("{base}/api/segments?run=2011-04-15")).await;
    let counted: u64 = segments["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| s["customers"].as_u64().expect("customers"))
        .sum();
    assert_eq!(counted as usize, lines("2011-04-15"));
    let page = reqwest::get(format!("{base}/segments?run=2011-04-15"))
        .await
        .expect("request")
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("href=\"/customers?run=2011-04-15\""),
        "menu links keep the run"
    );
    assert!(
        page.contains("<option value=\"2011-04-15\" selected>"),
        "the picker shows it"
    );

    // The damaged run: 503 with its error, for the API and the pages; an unknown one 404.
    let (status, body) = get_json(&format!("{base}/api/health?run=broken")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("customers.csv")),
        "{body}"
    );
    let page = reqwest::get(format!("{base}/segments?run=broken"))
        .await
        .expect("request");
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.text().await.expect("page").contains("customers.csv"));
    let (status, body) = get_json(&format!("{base}/api/health?run=nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("2011-06-15")),
        "{body}"
    );

    // A run written while the server runs shows after the next scan.
    common::copy_folder(
        &common::fixture("history/2011-04-15"),
        &runs.path().join("2011-07-15"),
    );
    tokio::time::sleep(
        rebuy_server::history::runs::RESCAN_AFTER + std::time::Duration::from_millis(300),
    )
    .await;
    let (_, list) = get_json(&format!("{base}/api/runs")).await;
    let names: Vec<&str> = list["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(names.contains(&"2011-07-15"), "{list}");
}
