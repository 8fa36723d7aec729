//! `customers.csv`: the features, the RFM scores, then the model columns, written row
//! by row. The model columns stay typed (numbers, label indices, dates) until a row is
//! written, so no text is held per customer: at 10M customers a column of texts would
//! take over 500 MB. Text cells (ids, segment and label names) are written
//! spreadsheet-safe (`rebuy_server::spreadsheet`: an id `=1+2` is written `'=1+2`, and
//! the server reads it back as `=1+2`); numbers as they are.

use anyhow::{Context, Result};
use rebuy_features::features::RfmScores;
use rebuy_features::{AsOf, CustomerFeatures};
use rebuy_server::spreadsheet::escape_str;
use std::borrow::Cow;
use std::fmt::Write;
use std::path::Path;

/// One customers.csv column after the RFM segment, one value per customer.
#[derive(Debug)]
pub enum CustomerColumn<'a> {
    /// Shortest text that reads back to the same number; empty for NaN (no output file
    /// holds the text `NaN`).
    Numbers(Cow<'a, [f64]>),
    /// With one decimal; empty for NaN.
    OneDecimal(Vec<f64>),
    /// Each customer's text as an index into a few `names`.
    Labels {
        names: Vec<String>,
        index: Cow<'a, [usize]>,
    },
    /// A date, or empty.
    Dates(Vec<Option<AsOf>>),
}

impl CustomerColumn<'_> {
    /// Writes the cell of `row` into `cell` (cleared first).
    fn format(&self, row: usize, cell: &mut String) {
        cell.clear();
        // Writing into a String cannot fail.
        let _ = match self {
            CustomerColumn::Numbers(values) => {
                format_value_into(values[row], cell);
                Ok(())
            }
            CustomerColumn::OneDecimal(values) if values[row].is_nan() => Ok(()),
            CustomerColumn::OneDecimal(values) => write!(cell, "{:.1}", values[row]),
            CustomerColumn::Labels { names, index } => {
                cell.write_str(&escape_str(&names[index[row]]))
            }
            CustomerColumn::Dates(dates) => match dates[row] {
                Some(date) => write!(cell, "{date}"),
                None => Ok(()),
            },
        };
    }
}

/// `customers.csv`: the features, the RFM scores, then `extra` columns.
pub fn write_customers(
    path: &Path,
    features: &CustomerFeatures,
    rfm: &RfmScores,
    extra: &[(&str, &CustomerColumn<'_>)],
) -> Result<()> {
    let mut writer =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    let columns = features.columns();
    let mut header = vec!["customer_id"];
    header.extend(columns.iter().map(|(name, _)| *name));
    header.extend(["r_score", "f_score", "m_score", "rfm_segment"]);
    header.extend(extra.iter().map(|(name, _)| *name));
    writer.write_record(&header)?;
    let mut cell = String::new();
    for i in 0..features.len() {
        writer.write_field(escape_str(&features.customer_id[i]).as_bytes())?;
        for (_, values) in &columns {
            cell.clear();
            format_value_into(values[i], &mut cell);
            writer.write_field(&cell)?;
        }
        for score in [rfm.r[i], rfm.f[i], rfm.m[i]] {
            cell.clear();
            let _ = write!(cell, "{score}");
            writer.write_field(&cell)?;
        }
        writer.write_field(escape_str(rfm.segment[i]).as_bytes())?;
        for (_, column) in extra {
            column.format(i, &mut cell);
            writer.write_field(&cell)?;
        }
        writer.write_record(None::<&[u8]>)?;
    }
    writer.flush()?;
    Ok(())
}

/// Shortest text that reads back to the same number; empty for NaN.
pub fn format_value(value: f64) -> String {
    let mut text = String::new();
    format_value_into(value, &mut text);
    text
}

fn format_value_into(value: f64, text: &mut String) {
    if !value.is_nan() {
        let _ = write!(text, "{value}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(column: &CustomerColumn<'_>, rows: usize) -> Vec<String> {
        let mut cell = String::new();
        (0..rows)
            .map(|row| {
                column.format(row, &mut cell);
                cell.clone()
            })
            .collect()
    }

    #[test]
    fn typed_columns_write_the_texts_of_before() {
        let numbers = [0.1 + 0.2, f64::NAN, 3.0];
        assert_eq!(
            cells(&CustomerColumn::Numbers(Cow::Borrowed(&numbers)), 3),
            [(0.1 + 0.2).to_string(), String::new(), "3".into()]
        );
        assert_eq!(
            cells(&CustomerColumn::OneDecimal(vec![16.66, f64::NAN, 100.0]), 3),
            ["16.7", "", "100.0"]
        );
        let labels = CustomerColumn::Labels {
            names: vec!["High".into(), "Low".into()],
            index: Cow::Owned(vec![1, 0, 1]),
        };
        assert_eq!(cells(&labels, 3), ["Low", "High", "Low"]);
        let as_of = AsOf::from_date(chrono::NaiveDate::from_ymd_opt(2011, 12, 9).unwrap());
        let dates = CustomerColumn::Dates(vec![Some(as_of.plus_days(30)), None]);
        assert_eq!(cells(&dates, 2), ["2012-01-08", ""]);
        assert_eq!(format_value(f64::NAN), "");
        assert_eq!(format_value(2.5), "2.5");
    }
}
