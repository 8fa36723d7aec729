//! Reading a JSON request body of numeric fields, with an error that names the field.

use crate::error::ApiError;
use axum::body::Body;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Reads at most `limit` bytes of JSON holding exactly `fields`, each a finite number
/// at least its stated minimum.
pub async fn json_body<T: DeserializeOwned>(
    body: Body,
    limit: usize,
    fields: &[(&str, f64)],
) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("body"),
            format!("the request body is larger than {limit} bytes"),
        )
    })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            Some("body"),
            format!("the request body is not valid JSON: {e}"),
        )
    })?;
    check_fields(&value, fields)?;
    serde_json::from_value(value).map_err(|e| ApiError::field("body", e.to_string()))
}

fn check_fields(value: &Value, fields: &[(&str, f64)]) -> Result<(), ApiError> {
    let Value::Object(object) = value else {
        return Err(ApiError::field(
            "body",
            format!("expected a JSON object, got {}", kind(value)),
        ));
    };
    if let Some(unknown) = object
        .keys()
        .find(|key| !fields.iter().any(|(name, _)| name == key))
    {
        let known: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
        return Err(ApiError::field(
            unknown,
            format!("unknown field; expected {}", known.join(", ")),
        ));
    }
    for &(name, minimum) in fields {
        let number = match object.get(name) {
            None => return Err(ApiError::field(name, "missing")),
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                return Err(ApiError::field(
                    name,
                    format!("must be a number, got {}", kind(other)),
                ));
            }
        };
        match number {
            Some(n) if n.is_finite() && n >= minimum => {}
            Some(n) if n.is_finite() => {
                return Err(ApiError::field(
                    name,
                    format!("must be at least {minimum}, got {n}"),
                ));
            }
            _ => return Err(ApiError::field(name, "must be a finite number")),
        }
    }
    Ok(())
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

    const FIELDS: [(&str, f64); 2] = [("frequency", 1.0), ("monetary", 0.0)];

    fn field_at_fault(json: &str) -> Option<String> {
        let value: Value = serde_json::from_str(json).expect("test JSON");
        check_fields(&value, &FIELDS)
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
    }
}
