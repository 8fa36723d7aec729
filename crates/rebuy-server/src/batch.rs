//! Scoring a CSV of customers with a run's chosen model: `rebuy score` and the
//! server's batch upload (`POST /api/score.csv`) both call [`score_csv`].
//!
//! Input: a header line, then one customer per line. The model features among the
//! columns choose the answering model ([`Scorer::answering`]: every feature, or
//! recency_days, frequency and monetary alone); its inputs are read by name, in any
//! order, and every other column is passed through. Output: the same rows with
//! `purchase_probability`, `churn_risk`, `probability_percentile` (ranked against the
//! run's customers), `model`, `model_test_roc_auc` and `outside_training_range` (the
//! inputs beyond the span of the model's training customers, `;`-separated) appended,
//! replacing those columns when the input has them. The result is written
//! spreadsheet-safe ([`crate::spreadsheet`]): a passed-through cell such as an id
//! `=HYPERLINK(...)` gets a leading `'`, one already escaped (a run's customers.csv)
//! is kept as it is.

use crate::spreadsheet::{escape, unescape};
use rebuy_models::scoring::{AnsweredBy, Scorer};
use std::borrow::Cow;
use std::io::{Read, Write};

/// Columns the scoring writes (and replaces when the input already has them, e.g. a
/// run's own customers.csv).
pub const SCORE_COLUMNS: [&str; 6] = [
    "purchase_probability",
    "churn_risk",
    "probability_percentile",
    "model",
    "model_test_roc_auc",
    "outside_training_range",
];

/// Smallest accepted value of the fields with a range; other model features need only
/// be finite numbers (net spend, `monetary`, may be negative).
pub const FIELD_MINIMUMS: [(&str, f64); 2] = [("recency_days", 0.0), ("frequency", 1.0)];

/// The one input that may be empty: a customer with a single purchase day has no gap
/// between purchases (the models take their tenure instead).
const MAY_BE_EMPTY: &str = "mean_days_between_purchases";

/// A CSV the scoring refuses: where, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}{}: {message}", column.as_ref().map_or_else(String::new, |c| format!(", column {c}")))]
pub struct CsvFault {
    /// Line of the file, the header being line 1.
    pub line: usize,
    pub column: Option<String>,
    pub message: String,
}

/// What a scored file held.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredCsv {
    pub customers: usize,
    /// The model that scored every customer of the file.
    pub answered_by: AnsweredBy,
    /// Model-feature columns of the input that model does not read.
    pub not_used_by_model: Vec<String>,
    /// Customers with an input beyond the span of the model's training customers.
    pub outside_training_range: usize,
}

/// Checks one cell of a model feature: a finite number at least the field's minimum;
/// empty only for `mean_days_between_purchases` (no gap: one purchase day).
pub fn parse_feature(name: &str, cell: &str) -> Result<f64, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return if name == MAY_BE_EMPTY {
            Ok(f64::NAN)
        } else {
            Err("empty: the model reads this column, and no value is imputed".to_string())
        };
    }
    let value: f64 = cell
        .parse()
        .map_err(|_| format!("{cell:?} is not a number"))?;
    check_value(name, value)?;
    Ok(value)
}

/// A finite number at least the field's minimum ([`FIELD_MINIMUMS`]).
pub fn check_value(name: &str, value: f64) -> Result<(), String> {
    if !value.is_finite() {
        return Err(format!(
            "must be a finite number, got {value} (leave a missing value empty)"
        ));
    }
    match FIELD_MINIMUMS.iter().find(|(n, _)| *n == name) {
        Some(&(_, minimum)) if value < minimum => {
            Err(format!("must be at least {minimum}, got {value}"))
        }
        _ => Ok(()),
    }
}

/// Reads customers from `input`, writes them scored to `output`; refuses the whole
/// file at the first bad cell, or when it has more than `max_rows` customers.
pub fn score_csv(
    scorer: &Scorer,
    input: impl Read,
    output: impl Write,
    max_rows: Option<usize>,
) -> Result<ScoredCsv, CsvFault> {
    let fault = |line: usize, column: Option<&str>, message: String| CsvFault {
        line,
        column: column.map(str::to_string),
        message,
    };
    let mut reader = csv::Reader::from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| fault(1, None, e.to_string()))?
        .clone();
    let kept: Vec<usize> = (0..headers.len())
        .filter(|&i| !SCORE_COLUMNS.contains(&&headers[i]))
        .collect();
    let present: Vec<&str> = scorer
        .feature_names()
        .iter()
        .map(String::as_str)
        .filter(|name| headers.iter().any(|h| h == *name))
        .collect();
    let answering = scorer
        .answering(&present)
        .map_err(|e| fault(1, None, e.to_string()))?;
    let features: Vec<(&str, usize)> = answering
        .feature_names()
        .iter()
        .filter_map(|name| Some((name.as_str(), headers.iter().position(|h| h == name)?)))
        .collect();
    let mut rows: Vec<csv::StringRecord> = Vec::new();
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); features.len()];
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        if max_rows.is_some_and(|max| index >= max) {
            return Err(fault(
                line,
                None,
                format!("more than {index} customers in one file"),
            ));
        }
        let record = record.map_err(|e| fault(line, None, e.to_string()))?;
        for ((name, column), out) in features.iter().zip(&mut values) {
            let cell = record.get(*column).unwrap_or("");
            out.push(parse_feature(name, cell).map_err(|m| fault(line, Some(name), m))?);
        }
        rows.push(record);
    }
    let columns: Vec<(&str, &[f64])> = features
        .iter()
        .zip(&values)
        .map(|((name, _), v)| (*name, v.as_slice()))
        .collect();
    let probability = answering
        .probabilities(rows.len(), &columns)
        .map_err(|e| fault(1, None, e.to_string()))?;
    let answered_by = answering.answered_by();
    let write_fault = |e: csv::Error| fault(1, None, format!("cannot write the result: {e}"));
    let mut writer = csv::Writer::from_writer(output);
    let header = kept
        .iter()
        .map(|&c| pass_through(&headers[c]))
        .chain(SCORE_COLUMNS.map(|c| Cow::Borrowed(c.as_bytes())));
    writer.write_record(header).map_err(write_fault)?;
    let mut outside_training_range = 0;
    for (i, (row, &p)) in rows.iter().zip(&probability).enumerate() {
        let (percentile, risk) = scorer.rank(p).map_err(|e| fault(1, None, e.to_string()))?;
        let given: Vec<(&str, f64)> = columns.iter().map(|(name, v)| (*name, v[i])).collect();
        let outside: Vec<String> = answering
            .outside_training_range(&given)
            .into_iter()
            .map(|o| o.feature)
            .collect();
        outside_training_range += usize::from(!outside.is_empty());
        let scores = [
            p.to_string(),
            risk.as_str().to_string(),
            format!("{percentile:.1}"),
            answered_by.model.clone(),
            answered_by.test_roc_auc.to_string(),
            outside.join(";"),
        ];
        let cells = kept
            .iter()
            .map(|&c| pass_through(row.get(c).unwrap_or("")))
            .chain(scores.iter().map(|s| Cow::Borrowed(s.as_bytes())));
        writer.write_record(cells).map_err(write_fault)?;
    }
    writer
        .flush()
        .map_err(|e| fault(1, None, format!("cannot write the result: {e}")))?;
    Ok(ScoredCsv {
        customers: rows.len(),
        not_used_by_model: present
            .iter()
            .filter(|name| !answered_by.inputs.iter().any(|i| i == *name))
            .map(|name| name.to_string())
            .collect(),
        outside_training_range,
        answered_by,
    })
}

/// A cell of the input as the result holds it: the text it stands for, escaped.
fn pass_through(cell: &str) -> Cow<'_, [u8]> {
    escape(unescape(cell.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_numbers_in_range_never_imputed() {
        assert!(parse_feature("recency_days", "").is_err());
        assert!(
            parse_feature("mean_days_between_purchases", "")
                .unwrap()
                .is_nan()
        );
        assert_eq!(parse_feature("monetary", "-2.5"), Ok(-2.5));
        assert_eq!(parse_feature("recency_days", " 3 "), Ok(3.0));
        assert!(parse_feature("recency_days", "ten").is_err());
        assert!(parse_feature("recency_days", "-1").is_err());
        assert!(parse_feature("frequency", "0").is_err());
        assert!(parse_feature("return_rate", "NaN").is_err());
        assert_eq!(parse_feature("returns_value", "-5"), Ok(-5.0));
    }
}
