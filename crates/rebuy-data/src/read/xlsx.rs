//! Spreadsheets (XLSX, XLS): every sheet that has data, one after the other, each
//! with its own header. Dates come as Excel serial numbers (1900 date system).

use super::{Format, PROGRESS_EVERY, ReadOptions, input_report};
use crate::clean::{Field, LineSink, Location};
use crate::error::{Error, Result};
use crate::parse::excel_serial_to_timestamp;
use crate::quality::InputReport;
use crate::schema::{ColumnMap, Role};
use calamine::{Data, Reader};
use std::path::Path;

pub(super) fn read(
    path: &Path,
    options: &ReadOptions,
    cleaner: &mut dyn LineSink,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<InputReport> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| corrupt(path, e))?;
    let names = workbook.sheet_names();
    let mut sheets_read = Vec::new();
    let mut total_lines = 0;
    for (sheet_index, name) in names.iter().enumerate() {
        let range = workbook
            .worksheet_range(name)
            .map_err(|e| corrupt(path, e))?;
        let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
        let mut rows = range.rows().enumerate();
        let Some((_, header_cells)) = rows.next() else {
            continue; // an empty sheet
        };
        let header: Vec<String> = header_cells.iter().map(cell_text).collect();
        let map = ColumnMap::resolve(&header, &options.mapping, path, Some(name))?;
        let positions: Vec<Option<usize>> = Role::ALL.iter().map(|r| map.get(*r)).collect();
        let column_name = |role: Role| map.name(role, &header).to_string();
        let mut lines = 0u64;
        for (offset, cells) in rows {
            if cells.iter().all(|c| matches!(c, Data::Empty)) {
                continue;
            }
            lines += 1;
            let mut fields = [Field::Empty; 8];
            for (slot, position) in fields.iter_mut().zip(&positions) {
                if let Some(cell) = position.and_then(|p| cells.get(p)) {
                    *slot = field_of(cell);
                }
            }
            let location = Location {
                path,
                sheet: Some(name),
                line: first_row + offset as u64 + 1,
            };
            cleaner.push(&fields, location, &column_name, false)?;
            if lines.is_multiple_of(PROGRESS_EVERY) {
                progress(
                    size * sheet_index as u64 / names.len() as u64,
                    cleaner.lines_read(),
                );
            }
        }
        total_lines += lines;
        sheets_read.push(format!("{name:?} ({lines} rows)"));
    }
    if sheets_read.is_empty() {
        return Err(Error::Empty { path: path.into() });
    }
    let detail = format!("sheets {}", sheets_read.join(", "));
    Ok(input_report(path, Format::Excel, detail, total_lines))
}

fn field_of(cell: &Data) -> Field<'_> {
    match cell {
        Data::Empty => Field::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            if s.trim().is_empty() {
                Field::Empty
            } else {
                Field::Text(s)
            }
        }
        Data::Int(i) => Field::Int(*i),
        Data::Float(f) => Field::Float(*f),
        Data::DateTime(dt) => excel_serial_to_timestamp(dt.as_f64())
            .map_or(Field::Float(dt.as_f64()), Field::Timestamp),
        Data::Bool(true) => Field::Text("TRUE"),
        Data::Bool(false) => Field::Text("FALSE"),
        Data::Error(_) => Field::Text("#ERROR"),
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn corrupt(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::Corrupt {
        path: path.into(),
        detail: format!("cannot read it as a spreadsheet: {error}"),
    }
}
