//! CSV exports of customers (`GET /api/customers.csv`, whole or by segment): the rows of
//! the run's own `customers.csv`, with its header, every column in its order and its
//! cells as written, whatever columns the run has. The rows are chosen on the table the
//! server loaded, and checked against it row by row, so an export never mixes runs.
//!
//! The file goes to a campaign tool or a spreadsheet, so a cell a spreadsheet would run
//! as a formula (an id or a name starting with `=`, `+`, `-`, `@`, tab or carriage
//! return) is written with a leading `'`, which spreadsheets show as text (OWASP's
//! advice on CSV injection); a number such as `-65.5` stays as it is.

use crate::run::RunData;
use std::borrow::Cow;
use std::path::PathBuf;

/// The first characters with which a spreadsheet reads a cell as a formula.
const FORMULA_STARTS: [u8; 6] = [b'=', b'+', b'-', b'@', b'\t', b'\r'];

/// A cell as a spreadsheet can open it safely: a number or a cell that cannot start a
/// formula as it is, anything else starting like a formula behind a `'`.
pub fn spreadsheet_safe(cell: &[u8]) -> Cow<'_, [u8]> {
    match cell.first() {
        Some(first) if FORMULA_STARTS.contains(first) && !is_plain_number(cell) => {
            let mut quoted = Vec::with_capacity(cell.len() + 1);
            quoted.push(b'\'');
            quoted.extend_from_slice(cell);
            Cow::Owned(quoted)
        }
        _ => Cow::Borrowed(cell),
    }
}

/// `-65.5`, `+3`, `1e-6`: digits with a sign, a point and an exponent only (no `inf`,
/// no `-1+2`), which a spreadsheet reads as the number it is.
fn is_plain_number(cell: &[u8]) -> bool {
    cell.iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && std::str::from_utf8(cell).is_ok_and(|text| text.parse::<f64>().is_ok())
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read {file}: {detail}")]
    Read { file: String, detail: String },
    #[error(
        "{file} changed since the server loaded the run (row {row}); restart `rebuy serve` to export it"
    )]
    Changed { file: String, row: usize },
}

/// The path of the run's customers table.
fn customers_file(run: &RunData) -> PathBuf {
    run.dir.join("customers.csv")
}

/// `customers.csv` reduced to the rows `keep` accepts (row numbers of the loaded table,
/// in file order), as CSV bytes.
pub fn customers_csv(run: &RunData, keep: impl Fn(usize) -> bool) -> Result<Vec<u8>, ExportError> {
    let path = customers_file(run);
    let file = path.display().to_string();
    let read = |detail: String| ExportError::Read {
        file: file.clone(),
        detail,
    };
    let mut reader = csv::Reader::from_path(&path).map_err(|e| read(e.to_string()))?;
    let header = reader
        .byte_headers()
        .map_err(|e| read(e.to_string()))?
        .clone();
    let id_column = header
        .iter()
        .position(|h| h == b"customer_id")
        .ok_or_else(|| read("no column `customer_id`".to_string()))?;
    let table = &run.customers;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(header.iter().map(spreadsheet_safe))
        .map_err(|e| read(e.to_string()))?;
    let mut record = csv::ByteRecord::new();
    let mut row = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| read(e.to_string()))?
    {
        if row >= table.len() || record.get(id_column) != Some(table.customer_id[row].as_bytes()) {
            return Err(ExportError::Changed {
                file: file.clone(),
                row: row + 1,
            });
        }
        if keep(row) {
            writer
                .write_record(record.iter().map(spreadsheet_safe))
                .map_err(|e| read(e.to_string()))?;
        }
        row += 1;
    }
    if row != table.len() {
        return Err(ExportError::Changed {
            file: file.clone(),
            row: row + 1,
        });
    }
    writer.into_inner().map_err(|e| read(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(cell: &str) -> String {
        String::from_utf8(spreadsheet_safe(cell.as_bytes()).into_owned()).expect("UTF-8")
    }

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_written_as_text() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1+2",
            "-1+2",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "-",
            "-inf",
            "=1",
        ] {
            assert_eq!(safe(formula), format!("'{formula}"), "{formula:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_stay_as_they_are() {
        for kept in [
            "-65.5",
            "-0.01",
            "+3",
            "1e-6",
            "-2E+3",
            "12346",
            "Champions",
            "",
            "0",
            "a=b",
            "2011-06-01",
        ] {
            assert_eq!(safe(kept), kept, "{kept:?}");
        }
    }
}
