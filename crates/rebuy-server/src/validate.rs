//! Reading a JSON request body of numeric fields, with an error that names the field
//! (and, in a list, the customer); and the content type every request body must
//! declare.

use crate::batch::check_value;
use crate::error::ApiError;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// 415 unless the request declares its body `expected` (`application/json`,
/// `text/csv`; parameters such as `; charset=utf-8` allowed). A form of another site
/// can post only `text/plain`, form-encoded or multipart bodies without the browser
/// first asking the server (which allows no other site), so it cannot reach the API.
pub fn content_type(request: &Request, expected: &str) -> Result<(), ApiError> {
    let given = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let media_type = given.as_deref().and_then(|v| v.split(';').next());
    if media_type.is_some_and(|m| m.trim().eq_ignore_ascii_case(expected)) {
        return Ok(());
    }
    let got = given.map_or_else(|| "none".to_string(), |v| format!("`{v}`"));
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Some("content-type"),
        format!("the body must be sent with `Content-Type: {expected}`; got {got}"),
    ))
}

/// Reads at most `limit` bytes of JSON, declared `application/json`.
pub async fn read_json(request: Request, limit: usize) -> Result<Value, ApiError> {
    content_type(&request, "application/json")?;
    let bytes = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("body"),
                format!("the request body is larger than {limit} bytes"),
            )
        })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            Some("body"),
            format!("the request body is not valid JSON: {e}"),
        )
    })
}

/// Reads at most `limit` bytes of JSON holding exactly the `required` numeric fields.
pub async fn json_body<T: DeserializeOwned>(
    request: Request,
    limit: usize,
    required: &[&str],
) -> Result<T, ApiError> {
    let value = read_json(request, limit).await?;
    numbers(&value, required, &[])?;
    serde_json::from_value(value).map_err(|e| ApiError::field("body", e.to_string()))
}

/// The numeric fields of one JSON object: every `required` one, any of `optional`, no
/// other; each a finite number in its range ([`check_value`]).
pub fn numbers<'v>(
    value: &'v Value,
    required: &[&str],
    optional: &[String],
) -> Result<Vec<(&'v str, f64)>, ApiError> {
    let Value::Object(object) = value else {
        return Err(ApiError::field(
            "body",
            format!("expected a JSON object, got {}", kind(value)),
        ));
    };
    let known = |key: &str| required.contains(&key) || optional.iter().any(|o| o == key);
    if let Some(unknown) = object.keys().find(|key| !known(key)) {
        let mut names: Vec<&str> = required.to_vec();
        names.extend(
            optional
                .iter()
                .map(String::as_str)
                .filter(|o| !required.contains(o)),
        );
        return Err(ApiError::field(
            unknown,
            format!("unknown field; expected {}", names.join(", ")),
        ));
    }
    if let Some(missing) = required.iter().find(|name| !object.contains_key(**name)) {
        return Err(ApiError::field(missing, "missing"));
    }
    object
        .iter()
        .map(|(name, value)| {
            let number = match value {
                Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                other => {
                    return Err(ApiError::field(
                        name,
                        format!("must be a number, got {}", kind(other)),
                    ));
                }
            };
            check_value(name, number).map_err(|message| ApiError::field(name, message))?;
            Ok((name.as_str(), number))
        })
        .collect()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 2] = ["frequency", "monetary"];

    fn field_at_fault(json: &str) -> Option<String> {
        let value: Value = serde_json::from_str(json).expect("test JSON");
        let optional = ["return_rate".to_string()];
        numbers(&value, &FIELDS, &optional)
            .err()
            .and_then(|e| e.body.field)
    }

    #[test]
    fn each_fault_names_its_field() {
        assert_eq!(field_at_fault(r#"{"frequency": 2, "monetary": 1}"#), None);
        assert_eq!(
            field_at_fault(r#"{"frequency": 2}"#).as_deref(),
            Some("monetary")
        );
        assert_eq!(
            field_at_fault(r#"{"frequency": 0, "monetary": 1}"#).as_deref(),
            Some("frequency")
        );
        assert_eq!(
            field_at_fault(r#"{"frequency": "NaN", "monetary": 1}"#).as_deref(),
            Some("frequency")
        );
        assert_eq!(
            field_at_fault(r#"{"frequency": 2, "monetary": 1, "x": 1}"#).as_deref(),
            Some("x")
        );
        assert_eq!(field_at_fault("[1, 2]").as_deref(), Some("body"));
        assert_eq!(
            field_at_fault(r#"{"frequency": 2, "monetary": 1, "return_rate": 0.5}"#),
            None
        );
        // Net spend may be negative (a customer who returned more than they bought).
        assert_eq!(field_at_fault(r#"{"frequency": 2, "monetary": -1}"#), None);
    }
}
