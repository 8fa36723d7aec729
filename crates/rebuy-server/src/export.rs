//! CSV exports of customers (`GET /api/customers.csv`, whole or by segment): the rows of
//! the run's own `customers.csv`, with its header, every column in its order and its
//! cells as written, whatever columns the run has. The rows are chosen on the table the
//! server loaded, and checked against it row by row, so an export never mixes runs.
//!
//! The file goes to a campaign tool or a spreadsheet, so its cells are written
//! spreadsheet-safe ([`crate::spreadsheet`]): a cell of customers.csv as rebuy wrote it
//! is copied as it is, and one of a run folder written before customers.csv was
//! escaped gets its leading `'`.

use crate::run::RunData;
use crate::spreadsheet::{escape, unescape};
use std::path::PathBuf;

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
        .write_record(header.iter().map(|cell| escape(unescape(cell))))
        .map_err(|e| read(e.to_string()))?;
    let mut record = csv::ByteRecord::new();
    let mut row = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| read(e.to_string()))?
    {
        let id = record.get(id_column).map(unescape);
        if row >= table.len() || id != Some(table.customer_id[row].as_bytes()) {
            return Err(ExportError::Changed {
                file: file.clone(),
                row: row + 1,
            });
        }
        if keep(row) {
            writer
                .write_record(record.iter().map(|cell| escape(unescape(cell))))
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
