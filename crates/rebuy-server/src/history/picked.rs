//! The run a request asks for (`?run=NAME`, the newest without one) as an extractor,
//! and the run picker every page's header shows when serving a runs folder.

use super::runs::{Refusal, RunEntry, Runs};
use crate::error::ApiError;
use crate::html::{escape, respond, run_name};
use crate::run::RunData;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The run a request picked, and every run the server has (for the picker).
#[derive(Debug, Clone)]
pub struct Picked {
    pub run: Arc<RunData>,
    pub runs: Arc<Vec<RunEntry>>,
    /// Whether the runs come from a runs folder (a lone run has no picker).
    pub is_folder: bool,
}

/// The value of query parameter `name`, decoded.
pub fn query_value(parts: &Parts, name: &str) -> Option<String> {
    form_urlencoded::parse(parts.uri.query()?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

impl FromRequestParts<Arc<Runs>> for Picked {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, runs: &Arc<Runs>) -> Result<Self, Response> {
        let name = query_value(parts, "run");
        match runs.pick(name.as_deref()).await {
            Ok((run, list)) => Ok(Picked {
                run,
                runs: list,
                is_folder: runs.is_folder(),
            }),
            Err(refusal) => {
                // Under `/api` the router strips its prefix: the original path tells.
                let path = parts
                    .extensions
                    .get::<OriginalUri>()
                    .map_or(parts.uri.path(), |original| original.path());
                Err(refused(&refusal, path.starts_with("/api/")))
            }
        }
    }
}

/// 404 for a run that is not there, 503 for one that cannot be read (or none yet): as
/// JSON for the API, as a page for a person.
pub fn refused(refusal: &Refusal, api: bool) -> Response {
    let status = match refusal {
        Refusal::Unknown { .. } | Refusal::NotAFolder | Refusal::NothingEarlier(_) => {
            StatusCode::NOT_FOUND
        }
        Refusal::Failed { .. } | Refusal::Empty(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    if api {
        return ApiError::new(status, Some("run"), refusal.to_string()).into_response();
    }
    respond(
        status,
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Run not available &middot; rebuy</title><link rel=\"stylesheet\" href=\"/assets/rebuy.css\"></head>\
<body><main><h1>Run not available</h1><div class=\"note error\">{}</div>\
<p><a href=\"/\">the newest run</a> &middot; <a href=\"/api/runs\">every run</a></p></main></body></html>",
            escape(&refusal.to_string())
        ),
    )
}

/// Two runs to compare, by name: `earlier` and `later`.
#[derive(Debug, Clone)]
pub struct Pair {
    pub earlier: (String, Arc<RunData>),
    pub later: (String, Arc<RunData>),
}

impl Picked {
    /// The runs `from` and `to` name; without `to`, the picked run; without `from`,
    /// the newest readable run older than `to`.
    pub fn pair(&self, from: Option<&str>, to: Option<&str>) -> Result<Pair, Refusal> {
        if !self.is_folder {
            return Err(Refusal::NotAFolder);
        }
        let position = |name: &str| {
            self.runs
                .iter()
                .position(|e| e.name == name)
                .ok_or_else(|| Refusal::Unknown {
                    name: name.to_string(),
                    known: self.runs.iter().map(|e| e.name.clone()).collect(),
                })
        };
        let loaded = |at: usize| {
            let entry = &self.runs[at];
            match &entry.loaded {
                Ok(run) => Ok((entry.name.clone(), Arc::clone(run))),
                Err(error) => Err(Refusal::Failed {
                    name: entry.name.clone(),
                    error: error.clone(),
                }),
            }
        };
        let to = to
            .map(str::to_string)
            .or_else(|| self.run.picked_as.clone())
            .unwrap_or_default();
        let later_at = position(&to)?;
        let earlier_at = match from {
            Some(from) => position(from)?,
            None => (later_at + 1..self.runs.len())
                .find(|&at| self.runs[at].loaded.is_ok())
                .ok_or(Refusal::NothingEarlier(to))?,
        };
        Ok(Pair {
            earlier: loaded(earlier_at)?,
            later: loaded(later_at)?,
        })
    }

    /// The header's run: a `<select>` of every run (a GET form to `path`, sent on
    /// change by the page script, with a button without scripts) for a runs folder,
    /// the run's name for a lone run.
    pub fn picker(&self, path: &str) -> String {
        let run = &self.run;
        if !self.is_folder {
            return run_name(run);
        }
        let options: String = self
            .runs
            .iter()
            .map(|entry| {
                let selected = if Some(&entry.name) == run.picked_as.as_ref() {
                    " selected"
                } else {
                    ""
                };
                format!(
                    "<option value=\"{}\"{selected}>{}</option>",
                    escape(&entry.name),
                    escape(&entry.label())
                )
            })
            .collect();
        format!(
            "<form class=\"run run-picker\" method=\"get\" action=\"{}\">\
<label for=\"run-picker\">run</label><select id=\"run-picker\" name=\"run\" data-submit-on-change>{options}</select>\
<noscript><button type=\"submit\">Show</button></noscript></form>",
            escape(path)
        )
    }
}
