//! The JSON API under `/api/`; the OpenAPI document is generated from these handlers.

use crate::batch;
use crate::comparison::ModelSummary;
use crate::error::{ApiError, ErrorBody};
use crate::history::migration::{self, Migration, Side};
use crate::history::picked::Picked;
use crate::history::runs::Runs;
use crate::listing::{CustomerQuery, list_customers, matching_customers};
use crate::prediction::Prediction;
use crate::run::{RunData, segment_action};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rebuy_models::scoring::{RFM_FIELDS, Scorer};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use utoipa::{OpenApi, ToSchema};

/// Largest request body the API reads, in bytes (`POST /api/predict`: [`MAX_PREDICT_BYTES`],
/// `POST /api/score.csv`: [`MAX_UPLOAD_BYTES`]).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Largest body of `POST /api/predict` (a list of up to [`MAX_PREDICT_CUSTOMERS`]).
pub const MAX_PREDICT_BYTES: usize = 256 * 1024;
/// Most customers in one `POST /api/predict` list.
pub const MAX_PREDICT_CUSTOMERS: usize = 1000;
/// Largest CSV file of `POST /api/score.csv`.
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;
/// Most customers in one `POST /api/score.csv` file.
pub const MAX_UPLOAD_ROWS: usize = 50_000;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "rebuy API",
        description = "Customer segments and scores of a rebuy run folder. Serving a folder of runs (`rebuy serve --runs`), every endpoint takes `?run=NAME` (default: the newest run); a run that cannot be read answers 503 with its error."
    ),
    paths(
        health,
        runs,
        customer,
        customers,
        customers_csv,
        segments,
        rfm_score,
        predict,
        score_csv,
        models,
        changes_csv
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

pub fn router() -> Router<Arc<Runs>> {
    Router::new()
        .route("/health", get(health))
        .route("/runs", get(runs))
        .route("/changes.csv", get(changes_csv))
        .route("/customers", get(customers))
        .route("/customers.csv", get(customers_csv))
        .route("/customers/{id}", get(customer))
        .route("/segments", get(segments))
        .route("/rfm-score", post(rfm_score))
        .route("/predict", post(predict))
        .route("/score.csv", post(score_csv))
        .route("/models", get(models))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        None,
        format!("no endpoint {uri}; see /api/openapi.json"),
    )
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("{uri} does not accept {method}; see /api/openapi.json"),
    )
}

/// The server is up, and which run it serves.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
    /// Folder name of the run.
    pub run: String,
    pub customers: usize,
    /// First day the run's features do not see (`YYYY-MM-DD`).
    pub as_of: Option<String>,
    /// Optional files of the run folder and whether each is present.
    pub files: BTreeMap<&'static str, bool>,
}

#[utoipa::path(get, path = "/api/health", responses((status = 200, body = Health)))]
async fn health(Picked { run, .. }: Picked) -> Json<Health> {
    let files = [
        ("quality.json", run.quality.is_some()),
        ("segments.json", run.has_segments_file),
        ("metrics.json", run.comparison.is_some()),
        ("months.csv", run.revenue_by_month.is_some()),
    ];
    Json(Health {
        status: "ok",
        run: run.name(),
        customers: run.customers.len(),
        as_of: run.manifest.as_of.clone(),
        files: files.into_iter().collect(),
    })
}

/// One customer as the run scored it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    pub customer_id: String,
    pub rfm_segment: String,
    /// What a marketer does for this segment.
    pub action: &'static str,
    /// Behavioural cluster, when the run has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    /// Every numeric column of `customers.csv` (features, scores, predictions);
    /// null where the run left the value empty.
    pub values: BTreeMap<String, Option<f64>>,
    /// The text columns the run has besides the segment and cluster (`churn_risk`,
    /// `expected_next_purchase_date`); empty where the run left the value empty.
    pub labels: BTreeMap<String, String>,
}

impl Customer {
    pub fn at(run: &RunData, row: usize) -> Customer {
        let table = &run.customers;
        Customer {
            customer_id: table.customer_id[row].to_string(),
            rfm_segment: table.rfm_segment[row].to_string(),
            action: segment_action(&table.rfm_segment[row]),
            cluster_name: table.cluster_name.as_ref().map(|c| c[row].to_string()),
            values: table
                .numbers
                .iter()
                .map(|c| (c.name.clone(), c.get(row)))
                .collect(),
            labels: table
                .labels
                .iter()
                .map(|(name, values)| (name.clone(), values[row].to_string()))
                .collect(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/customers/{id}",
    params(("id" = String, Path, description = "Customer id as in the transaction log")),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody))
)]
async fn customer(
    Picked { run, .. }: Picked,
    Path(id): Path<String>,
) -> Result<Json<Customer>, ApiError> {
    let row = run.customers.row_of(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            Some("id"),
            format!("no customer with id `{id}` in this run"),
        )
    })?;
    Ok(Json(Customer::at(&run, row)))
}

/// One page of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    /// Customers that match the filter, on all pages.
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub sort: String,
    pub order: String,
    pub customers: Vec<Customer>,
}

/// One page of the customers, sorted and filtered.
///
/// Besides the parameters below: `min_COLUMN` and `max_COLUMN` keep the customers whose
/// value of the numeric column COLUMN lies in the range, both ends included
/// (`min_clv_12m=1000`, `max_recency_days=90`); a customer without the value is left out.
#[utoipa::path(
    get,
    path = "/api/customers",
    params(
        ("segment" = Option<String>, Query, description = "Only customers of this RFM segment"),
        ("top" = Option<f64>, Query, description = "Only the first percent (above 0, at most 100, rounded up to whole customers) of the filtered list in its order"),
        ("sort" = Option<String>, Query, description = "Numeric column to sort by (default: purchase_probability when the run has it, else monetary)"),
        ("order" = Option<String>, Query, description = "`desc` (default) or `asc`"),
        ("page" = Option<usize>, Query, description = "Page number from 1 (default 1)"),
        ("per_page" = Option<usize>, Query, description = "Customers per page, 1 to 500 (default 25)"),
    ),
    responses((status = 200, body = CustomerPage), (status = 400, body = ErrorBody))
)]
async fn customers(
    Picked { run, .. }: Picked,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<CustomerPage>, ApiError> {
    let query = CustomerQuery::parse(&run, &params)?;
    let listing = list_customers(&run, &query);
    Ok(Json(CustomerPage {
        total: listing.total,
        page: query.page,
        per_page: query.per_page,
        sort: query.sort.clone(),
        order: query.order_name().to_string(),
        customers: listing
            .rows
            .iter()
            .map(|&row| Customer::at(&run, row))
            .collect(),
    }))
}

/// The customers of a filtered list, every one (not paged), as a campaign file.
///
/// Takes the filters of `GET /api/customers`: `segment`, `min_COLUMN` / `max_COLUMN`
/// on any numeric column (both ends included; a customer without the value is left
/// out), `top` (a percentage of the filtered list, by `sort` and `order`).
#[utoipa::path(
    get,
    path = "/api/customers.csv",
    params(
        ("segment" = Option<String>, Query, description = "Only customers of this RFM segment"),
        ("top" = Option<f64>, Query, description = "Only the first percent (above 0, at most 100, rounded up to whole customers) of the filtered list in its order"),
        ("sort" = Option<String>, Query, description = "The column `top` ranks by (default: purchase_probability when the run has it, else monetary)"),
        ("order" = Option<String>, Query, description = "`desc` (default: `top` keeps the highest) or `asc`"),
    ),
    responses(
        (status = 200, description = "Every matching customer, one CSV row each in the file's order, for a campaign tool: the run's customers.csv rows, with its header and every column", content_type = "text/csv"),
        (status = 400, body = ErrorBody)
    )
)]
async fn customers_csv(
    Picked { run, .. }: Picked,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let query = CustomerQuery::parse(&run, &params)?;
    let file_name = format!(
        "customers-{}.csv",
        file_slug(if query.filters() {
            query.segment.as_deref().unwrap_or("filtered")
        } else {
            "all"
        })
    );
    let mut keep = vec![false; run.customers.len()];
    for row in matching_customers(&run, &query) {
        keep[row] = true;
    }
    csv_answer(run, keep, &file_name).await
}

/// The rows `keep` marks of the run's customers.csv as it is on disk: every column the
/// run has, in its order, cells spreadsheet-safe (export.rs).
async fn csv_answer(
    run: Arc<RunData>,
    keep: Vec<bool>,
    file_name: &str,
) -> Result<Response, ApiError> {
    let bytes = tokio::task::spawn_blocking(move || {
        crate::export::customers_csv(&run, |row| keep.get(row).copied().unwrap_or(false))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, None, e.to_string()))?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, None, e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// One run of the runs folder (or the one run served).
#[derive(Debug, Serialize, ToSchema)]
pub struct RunListing {
    /// Folder name: `?run=NAME` picks it.
    pub name: String,
    /// First day the run's features do not see (`YYYY-MM-DD`), when readable.
    pub as_of: Option<String>,
    /// Customers of customers.csv; null when the run cannot be read.
    pub customers: Option<usize>,
    /// `ready`, or `failed` (then `error` says why and its pages answer 503).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every run, newest first (by as-of date, then name).
#[derive(Debug, Serialize, ToSchema)]
pub struct RunList {
    pub runs: Vec<RunListing>,
}

#[utoipa::path(get, path = "/api/runs", responses((status = 200, body = RunList)))]
async fn runs(State(runs): State<Arc<Runs>>) -> Json<RunList> {
    let list = runs.list().await;
    Json(RunList {
        runs: list
            .iter()
            .map(|entry| RunListing {
                name: entry.name.clone(),
                as_of: entry.as_of.clone(),
                customers: entry.customers(),
                status: if entry.loaded.is_ok() {
                    "ready"
                } else {
                    "failed"
                },
                error: entry.loaded.as_ref().err().cloned(),
            })
            .collect(),
    })
}

#[utoipa::path(
    get,
    path = "/api/changes.csv",
    params(
        ("from" = Option<String>, Query, description = "The earlier run (default: the newest run older than `to`)"),
        ("to" = Option<String>, Query, description = "The later run (default: the run `run` picks, the newest)"),
        ("was" = String, Query, description = "Segment in the earlier run, or `New` (customers only the later run has)"),
        ("now" = String, Query, description = "Segment in the later run, or `Gone` (customers only the earlier run has)")
    ),
    responses(
        (status = 200, description = "The customers of one cell of the segment migration matrix: their rows of the later run's customers.csv (the earlier run's for `Gone`), every column", content_type = "text/csv"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody)
    )
)]
async fn changes_csv(
    picked: Picked,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let pair = picked
        .pair(get("from"), get("to"))
        .map_err(|refusal| crate::history::picked::refused(&refusal, true))?;
    let matrix = Migration::between(&pair.earlier.1, &pair.later.1);
    let cell_end = |name: &str, names: &[String]| {
        let value = get(name).unwrap_or_default();
        if names.iter().any(|n| n == value) {
            Ok(value.to_string())
        } else {
            Err(ApiError::query(
                name,
                format!("`{name}` must name one of: {}", names.join(", ")),
            ))
        }
    };
    let (was, now) = (cell_end("was", &matrix.was), cell_end("now", &matrix.now));
    let (was, now) = (
        was.map_err(IntoResponse::into_response)?,
        now.map_err(IntoResponse::into_response)?,
    );
    let (side, rows) = migration::movers(&pair.earlier.1, &pair.later.1, &was, &now);
    let holder = match side {
        Side::Earlier => pair.earlier.1,
        Side::Later => pair.later.1,
    };
    let mut keep = vec![false; holder.customers.len()];
    for row in rows {
        keep[row] = true;
    }
    let file_name = format!(
        "changes-{}-{}-{}-to-{}.csv",
        file_slug(&pair.earlier.0),
        file_slug(&pair.later.0),
        file_slug(&was),
        file_slug(&now)
    );
    csv_answer(holder, keep, &file_name)
        .await
        .map_err(IntoResponse::into_response)
}

/// `Can't Lose Them` -> `cant-lose-them`.
fn file_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if c.is_whitespace() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug
}

/// One RFM segment of the run.
#[derive(Debug, Serialize, ToSchema)]
pub struct Segment {
    pub name: String,
    pub customers: usize,
    /// Share of all customers, 0 to 1.
    pub customer_share: f64,
    /// Net spend (sales minus returns) of the segment's customers before the as-of date.
    pub revenue: f64,
    /// Share of all customers' net spend, 0 to 1.
    pub revenue_share: f64,
    pub mean_recency_days: f64,
    pub mean_frequency: f64,
    pub mean_monetary: f64,
    /// What a marketer does for this segment.
    pub action: &'static str,
}

/// The run's segments, largest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Segments {
    pub segments: Vec<Segment>,
    /// KMeans clusters (from `segments.json`), or null when the run has none.
    #[schema(value_type = Option<Object>)]
    pub clusters: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/api/segments", responses((status = 200, body = Segments)))]
async fn segments(Picked { run, .. }: Picked) -> Json<Segments> {
    let customers = run.overview.customers.max(1) as f64;
    let net_spend = run.overview.net_spend;
    let segments = run
        .segments
        .iter()
        .map(|s| Segment {
            name: s.name.clone(),
            customers: s.customers,
            customer_share: s.customers as f64 / customers,
            revenue: s.net_spend,
            revenue_share: if net_spend > 0.0 {
                s.net_spend / net_spend
            } else {
                0.0
            },
            mean_recency_days: s.mean_recency_days,
            mean_frequency: s.mean_frequency,
            mean_monetary: s.mean_monetary,
            action: segment_action(&s.name),
        })
        .collect();
    let clusters = run.clustering.as_ref().map(|c| {
        serde_json::json!({
            "chosen_k": c.chosen_k,
            "reason": c.reason,
            "sweep": c.sweep.iter().map(|p| serde_json::json!({
                "k": p.k, "inertia": p.inertia, "silhouette": p.silhouette
            })).collect::<Vec<_>>(),
            "clusters": c.clusters,
        })
    });
    Json(Segments { segments, clusters })
}

/// A customer's recency, frequency and spend, to score against this run.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RfmScoreRequest {
    /// Days since the last purchase, >= 0.
    pub recency_days: f64,
    /// Number of orders, >= 1.
    pub frequency: f64,
    /// Total spend, >= 0.
    pub monetary: f64,
}

/// Quintile scores against the run's customers, and the segment they fall in.
#[derive(Debug, Serialize, ToSchema)]
pub struct RfmScore {
    pub r_score: u8,
    pub f_score: u8,
    pub m_score: u8,
    pub rfm_segment: String,
    pub action: &'static str,
}

#[utoipa::path(
    post,
    path = "/api/rfm-score",
    request_body = RfmScoreRequest,
    responses(
        (status = 200, body = RfmScore),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 413, description = "Body larger than 16 KiB", body = ErrorBody),
        (status = 415, description = "Not sent as `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "A field is missing, not a number, or out of range", body = ErrorBody)
    )
)]
async fn rfm_score(
    Picked { run, .. }: Picked,
    request: Request,
) -> Result<Json<RfmScore>, ApiError> {
    let request: RfmScoreRequest =
        crate::validate::json_body(request, MAX_BODY_BYTES, &RFM_FIELDS).await?;
    let scores = run
        .rfm
        .score(request.recency_days, request.frequency, request.monetary);
    Ok(Json(RfmScore {
        r_score: scores.r_score,
        f_score: scores.f_score,
        m_score: scores.m_score,
        action: segment_action(&scores.segment),
        rfm_segment: scores.segment,
    }))
}

/// The run's scorer, or a 409 saying why it has none.
fn scorer_of(run: &RunData) -> Result<&Scorer, ApiError> {
    run.scorer
        .as_ref()
        .map_err(|reason| ApiError::new(StatusCode::CONFLICT, None, reason.clone()))
}

fn predict_one(scorer: &Scorer, value: &serde_json::Value) -> Result<Prediction, ApiError> {
    let given = crate::validate::numbers(value, &RFM_FIELDS, scorer.feature_names())?;
    crate::prediction::predict(scorer, &given).map_err(|e| ApiError::field("body", e.to_string()))
}

/// One prediction for one customer object, a list for a list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum PredictResponse {
    One(Box<Prediction>),
    Many(Vec<Prediction>),
}

#[utoipa::path(
    post,
    path = "/api/predict",
    request_body(content = RfmScoreRequest, description = "One customer, or a list of up to 1000 (body up to 256 KiB): recency_days, frequency and monetary (net spend) alone, answered by the run's R/F/M-only model (tenure_days and btyd_* may be added: they feed P(alive) and CLV only); or every feature of the chosen model (`GET /api/models` lists them), answered by it. Any other set is refused (422) naming the missing features: none is imputed"),
    responses(
        (status = 200, body = PredictResponse, description = "A prediction, or a list in the request's order"),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 409, description = "The run has no purchase model", body = ErrorBody),
        (status = 413, description = "Body larger than 256 KiB", body = ErrorBody),
        (status = 415, description = "Not sent as `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "A field is missing, unknown, not a number or out of range; `row` names the customer of a list (from 1)", body = ErrorBody)
    )
)]
async fn predict(
    Picked { run, .. }: Picked,
    request: Request,
) -> Result<Json<PredictResponse>, ApiError> {
    let scorer = scorer_of(&run)?;
    let value = crate::validate::read_json(request, MAX_PREDICT_BYTES).await?;
    match &value {
        serde_json::Value::Array(customers) => {
            if customers.len() > MAX_PREDICT_CUSTOMERS {
                return Err(ApiError::field(
                    "body",
                    format!(
                        "{} customers in one request, at most {MAX_PREDICT_CUSTOMERS}",
                        customers.len()
                    ),
                ));
            }
            customers
                .iter()
                .enumerate()
                .map(|(i, c)| predict_one(scorer, c).map_err(|e| e.at_row(i + 1)))
                .collect::<Result<_, _>>()
                .map(|all| Json(PredictResponse::Many(all)))
        }
        one => predict_one(scorer, one).map(|p| Json(PredictResponse::One(Box::new(p)))),
    }
}

#[utoipa::path(
    post,
    path = "/api/score.csv",
    request_body(content = String, content_type = "text/csv", description = "Customers with a header line, as `rebuy score --input` reads them: recency_days, frequency and monetary required, other model features optional (empty = missing), other columns passed through; up to 4 MiB and 50,000 customers"),
    responses(
        (status = 200, description = "The same rows with purchase_probability, churn_risk and probability_percentile appended", content_type = "text/csv"),
        (status = 409, description = "The run has no purchase model", body = ErrorBody),
        (status = 413, description = "File larger than 4 MiB", body = ErrorBody),
        (status = 415, description = "Not sent as `Content-Type: text/csv`", body = ErrorBody),
        (status = 422, description = "A bad cell or a missing column: `field` names the column, `row` the line (the header is line 1)", body = ErrorBody)
    )
)]
async fn score_csv(Picked { run, .. }: Picked, request: Request) -> Result<Response, ApiError> {
    let scorer = scorer_of(&run)?;
    crate::validate::content_type(&request, "text/csv")?;
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), MAX_UPLOAD_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("body"),
                format!("the file is larger than {MAX_UPLOAD_BYTES} bytes"),
            )
        })?;
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let header = String::from_utf8_lossy(header);
    let columns: Vec<&str> = header.trim_end().split(',').map(str::trim).collect();
    if let Some(missing) = RFM_FIELDS.iter().find(|f| !columns.contains(f)) {
        return Err(ApiError::field(
            missing,
            "no such column in the header line; recency_days, frequency and monetary are required",
        )
        .at_row(1));
    }
    let mut scored = Vec::with_capacity(bytes.len() + bytes.len() / 2);
    batch::score_csv(scorer, bytes.as_ref(), &mut scored, Some(MAX_UPLOAD_ROWS)).map_err(|f| {
        ApiError::field(f.column.as_deref().unwrap_or("body"), f.message).at_row(f.line)
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"scored.csv\"".to_string(),
            ),
        ],
        Body::from(scored),
    )
        .into_response())
}

/// One model of the comparison, and whether it serves `/api/predict`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelRow {
    #[serde(flatten)]
    pub metrics: ModelSummary,
    pub served: bool,
}

/// The served model and the comparison it was chosen from.
#[derive(Debug, Serialize, ToSchema)]
pub struct Models {
    /// The model `/api/predict` uses given every feature; null when the run has none.
    pub served: Option<String>,
    /// The model it uses given recency_days, frequency and monetary alone (`rfm_only`),
    /// when the run has one.
    pub served_rfm_only: Option<String>,
    /// The selection rule the run used.
    pub chosen_by: String,
    /// Why there is no served model, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// The served model's features, in its order (give all of them, or only
    /// recency_days, frequency and monetary).
    pub features: Vec<String>,
    pub horizon_days: u32,
    /// `out_of_time` or `random`.
    pub evaluation: String,
    pub train_as_of: String,
    pub test_as_of: String,
    pub test_customers: usize,
    /// Share of test customers who bought in the horizon.
    pub positive_rate: f64,
    pub models: Vec<ModelRow>,
}

#[utoipa::path(get, path = "/api/models", responses((status = 200, body = Models)))]
async fn models(Picked { run, .. }: Picked) -> Json<Models> {
    let empty = crate::comparison::Comparison::default();
    let c = run.comparison.as_ref().unwrap_or(&empty);
    let scorer = run.scorer.as_ref();
    Json(Models {
        served: scorer.ok().map(|s| s.full.file.name.clone()),
        served_rfm_only: scorer
            .ok()
            .and_then(|s| s.rfm_only.as_ref())
            .map(|m| m.file.name.clone()),
        chosen_by: c.chosen_by.clone(),
        unavailable: scorer.err().cloned(),
        features: scorer.map_or_else(|_| Vec::new(), |s| s.feature_names().to_vec()),
        horizon_days: c.horizon_days,
        evaluation: c.evaluation.clone(),
        train_as_of: c.train_as_of.clone(),
        test_as_of: c.as_of.clone(),
        test_customers: c.n_test,
        positive_rate: c.positive_rate,
        models: c
            .models
            .iter()
            .map(|m| ModelRow {
                served: scorer.is_ok_and(|s| {
                    s.full.file.name == m.summary.name
                        || s.rfm_only
                            .as_ref()
                            .is_some_and(|r| r.file.name == m.summary.name)
                }),
                metrics: m.summary.clone(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_of_segments_are_plain() {
        assert_eq!(super::file_slug("Can't Lose Them"), "cant-lose-them");
    }
}
