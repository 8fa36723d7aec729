//! Errors: [`ServerError`] for starting the server, [`ApiError`] for one request.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0} is not a rebuy run folder (no manifest.json); make one with `rebuy run`")]
    NotARunFolder(String),
    #[error("{0} is not a folder of run folders; make one with `rebuy run --out {0}/NAME`")]
    NotARunsFolder(String),
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file} is damaged: {detail}")]
    Invalid { file: String, detail: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "refusing to serve on {0} without sign-in: anyone who reaches it would read every \
         customer's spend; add users with `rebuy users add --file users.json NAME` and pass \
         `--users users.json`, listen on 127.0.0.1, or pass --no-auth for synthetic data \
         (docs/deploy.md)"
    )]
    PublicWithoutLogin(std::net::SocketAddr),
    #[error(transparent)]
    Users(#[from] crate::auth::users::UsersError),
    /// A TLS certificate or key file that cannot be used: the file and why.
    #[error("{file}: {detail}")]
    Tls { file: String, detail: String },
    #[error("server stopped: {0}")]
    Serve(std::io::Error),
}

/// The body of every 4xx answer of the API.
impl rebuy_vocabulary::Categorized for ServerError {
    /// The run folder, the users file, the certificates and the address are the
    /// user's; failing to listen or to serve is the machine's.
    fn category(&self) -> rebuy_vocabulary::Category {
        use rebuy_vocabulary::Category::{BadInput, Internal};
        match self {
            ServerError::NotARunFolder(_)
            | ServerError::NotARunsFolder(_)
            | ServerError::Read { .. }
            | ServerError::Invalid { .. }
            | ServerError::PublicWithoutLogin(_)
            | ServerError::Tls { .. }
            | ServerError::Users(_) => BadInput,
            ServerError::Listen { .. } | ServerError::Serve(_) => Internal,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in a sentence.
    pub error: String,
    /// The request field (body field, query parameter or path segment) at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The customer at fault: position in a JSON list (from 1) or line of a CSV file
    /// (the header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
}

/// A request the API refuses, with the field at fault.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, field: Option<&str>, error: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                error: error.into(),
                field: field.map(str::to_string),
                row: None,
            },
        }
    }

    /// 422: the request parsed but a field's value is not acceptable.
    pub fn field(field: &str, error: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, Some(field), error)
    }

    /// The same error, for the customer at `row`.
    pub fn at_row(mut self, row: usize) -> Self {
        self.body.row = Some(row);
        self
    }

    /// 400: a query parameter is not acceptable.
    pub fn query(field: &str, error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(field), error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
