//! Spreadsheets (XLSX): every sheet that has data, one after the other, each with its
//! own header (its first row with a value). Dates come as Excel serial numbers (1900
//! date system).
//!
//! Decision (hostile files): a sheet is read cell by cell as its XML is decompressed
//! (calamine's cell reader), one row at a time, never as a grid: a 5 KB workbook with
//! one cell at XFD1048576 made a grid reader ask for 512 GiB. Memory is one row, the
//! header (at most Excel's 16,384 columns), the XML item being read (a cell's text, a
//! tag), and the parts calamine keeps whole (shared strings, styles, the workbook's
//! part list). Before anything is read, the zip's declared sizes (the zip reader fails
//! on a part that grows past its own) bound the parts kept whole to
//! [`MAX_WHOLE_PARTS_BYTES`], and an XML part too large to be sure of is scanned for
//! an item longer than [`MAX_XML_ITEM_BYTES`] (a second decompression, only for parts
//! of more than that). A cell beyond Excel's own limits is refused.

use super::xml_items::LongestItem;
use super::{Format, PROGRESS_EVERY, ReadOptions, input_report};
use crate::clean::{Field, LineSink, Location};
use crate::error::{Error, Result};
use crate::parse::excel_serial_to_timestamp;
use crate::quality::InputReport;
use crate::schema::{ColumnMap, Role};
use calamine::{DataRef, Reader, Xlsx, XlsxCellReader};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// Excel's limits (1,048,576 rows, 16,384 columns: XFD): a cell past them is damage.
const MAX_ROWS: u32 = 1 << 20;
const MAX_COLUMNS: u32 = 1 << 14;

/// The most bytes of the parts calamine reads whole before the first sheet, as
/// declared uncompressed. Real workbooks of a million lines have a few MiB; 64 MiB of
/// the shortest shared strings take about 220 MB once read.
const MAX_WHOLE_PARTS_BYTES: u64 = 64 << 20;

/// The longest XML item read (the XML reader holds each one whole): the longest CSV
/// line read. A real cell's text is at most 32,767 characters.
const MAX_XML_ITEM_BYTES: u64 = 16 << 20;

pub(super) fn read(
    path: &Path,
    options: &ReadOptions,
    cleaner: &mut dyn LineSink,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<InputReport> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    check_parts(path)?;
    let mut workbook: Xlsx<BufReader<File>> =
        calamine::open_workbook(path).map_err(|e| corrupt(path, e))?;
    let names = workbook.sheet_names();
    let mut sheets_read = Vec::new();
    let mut total_lines = 0;
    for (sheet_index, name) in names.iter().enumerate() {
        let mut cells = workbook
            .worksheet_cells_reader(name)
            .map_err(|e| corrupt(path, e))?;
        let mut sheet = Sheet {
            path,
            name,
            cells: &mut cells,
            pending: None,
            ended: false,
        };
        let Some(header) = sheet.header()? else {
            continue; // an empty sheet
        };
        let map = ColumnMap::resolve(&header, &options.mapping, path, Some(name))?;
        let positions: Vec<Option<u32>> = Role::ALL
            .iter()
            .map(|r| map.get(*r).map(|p| p as u32))
            .collect();
        let column_name = |role: Role| map.name(role, &header).to_string();
        let mut lines = 0u64;
        while let Some(row) = sheet.next_row(&positions)? {
            lines += 1;
            let mut fields = [Field::Empty; 8];
            for (slot, value) in fields.iter_mut().zip(&row.values) {
                if let Some(value) = value {
                    *slot = field_of(value);
                }
            }
            let location = Location {
                path,
                sheet: Some(name),
                line: u64::from(row.index) + 1,
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

/// Refuses a workbook whose parts read whole (shared strings, styles, workbook, theme,
/// relationships) declare more than [`MAX_WHOLE_PARTS_BYTES`] uncompressed, or one of
/// whose other XML parts (the sheets) holds an item longer than [`MAX_XML_ITEM_BYTES`].
fn check_parts(path: &Path) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| corrupt(path, e))?;
    let mut whole = 0u64;
    let mut to_scan = Vec::new();
    for index in 0..archive.len() {
        let entry = archive.by_index_data(index).map_err(|e| corrupt(path, e))?;
        let name = String::from_utf8_lossy(entry.name_raw()).to_ascii_lowercase();
        let file_name = name.rsplit('/').next().unwrap_or_default();
        let read_whole = matches!(
            file_name,
            "sharedstrings.xml" | "styles.xml" | "workbook.xml"
        ) || name.ends_with(".rels")
            || name.contains("/theme/");
        if read_whole {
            whole = whole.saturating_add(entry.size());
        } else if name.ends_with(".xml") && entry.size() > MAX_XML_ITEM_BYTES {
            to_scan.push(index);
        }
    }
    if whole > MAX_WHOLE_PARTS_BYTES {
        return Err(Error::Corrupt {
            path: path.into(),
            detail: format!(
                "its shared strings, styles and part lists take {whole} bytes uncompressed, \
                 more than the {} MiB read into memory: the file is damaged or built to \
                 exhaust memory (save the sheet as CSV to read it)",
                MAX_WHOLE_PARTS_BYTES >> 20
            ),
        });
    }
    for index in to_scan {
        let mut part = archive.by_index(index).map_err(|e| corrupt(path, e))?;
        let name = part.name().map_err(|e| corrupt(path, e))?.into_owned();
        let mut scanner = LongestItem::default();
        let mut buffer = vec![0u8; 1 << 16];
        while scanner.so_far() <= MAX_XML_ITEM_BYTES {
            match part.read(&mut buffer).map_err(|e| corrupt(path, e))? {
                0 => break,
                n => scanner.feed(&buffer[..n]),
            }
        }
        if scanner.finish() > MAX_XML_ITEM_BYTES {
            return Err(Error::Corrupt {
                path: path.into(),
                detail: format!(
                    "its part {name} holds one XML item (a cell's text, a tag or a comment) \
                     longer than the {} MiB read at once: the file is damaged or built to \
                     exhaust memory",
                    MAX_XML_ITEM_BYTES >> 20
                ),
            });
        }
    }
    Ok(())
}

/// One sheet's cells, read row by row.
struct Sheet<'s, 'a> {
    path: &'s Path,
    name: &'s str,
    cells: &'s mut XlsxCellReader<'a, BufReader<File>>,
    /// The first cell of the next row, read while finishing the row before it.
    pending: Option<calamine::Cell<DataRef<'a>>>,
    /// The cell reader reached the end of the sheet's data (it must not be asked again).
    ended: bool,
}

/// A row with a value: the values of the mapped columns, in role order.
struct Row<'a> {
    /// 0-based.
    index: u32,
    values: [Option<DataRef<'a>>; 8],
}

impl<'a> Sheet<'_, 'a> {
    /// The next cell with a value (empty cells only hold a format).
    fn next_cell(&mut self) -> Result<Option<calamine::Cell<DataRef<'a>>>> {
        if let Some(cell) = self.pending.take() {
            return Ok(Some(cell));
        }
        while !self.ended {
            let Some(cell) = self.cells.next_cell().map_err(|e| corrupt(self.path, e))? else {
                self.ended = true;
                break;
            };
            let (row, column) = cell.get_position();
            if row >= MAX_ROWS || column >= MAX_COLUMNS {
                return Err(Error::Corrupt {
                    path: self.path.into(),
                    detail: format!(
                        "sheet {:?} has a cell at row {}, column {}, beyond Excel's limits of \
                         {MAX_ROWS} rows and {MAX_COLUMNS} columns: the file is damaged",
                        self.name,
                        u64::from(row) + 1,
                        u64::from(column) + 1
                    ),
                });
            }
            if !matches!(cell.get_value(), DataRef::Empty) {
                return Ok(Some(cell));
            }
        }
        Ok(None)
    }

    /// The cells of the row of `first`, up to the first cell of another row.
    fn row_of(
        &mut self,
        first: calamine::Cell<DataRef<'a>>,
        mut each: impl FnMut(u32, &DataRef<'a>),
    ) -> Result<u32> {
        let index = first.get_position().0;
        each(first.get_position().1, first.get_value());
        while let Some(cell) = self.next_cell()? {
            let (row, column) = cell.get_position();
            if row != index {
                self.pending = Some(cell);
                break;
            }
            each(column, cell.get_value());
        }
        Ok(index)
    }

    /// The first row with a value as column names; `None` for an empty sheet.
    fn header(&mut self) -> Result<Option<Vec<String>>> {
        let Some(first) = self.next_cell()? else {
            return Ok(None);
        };
        let mut header = Vec::new();
        self.row_of(first, |column, value| {
            let column = column as usize;
            if header.len() <= column {
                header.resize(column + 1, String::new());
            }
            header[column] = cell_text(value);
        })?;
        Ok(Some(header))
    }

    /// The next row with a value, holding only the columns at `positions`.
    fn next_row(&mut self, positions: &[Option<u32>]) -> Result<Option<Row<'a>>> {
        let Some(first) = self.next_cell()? else {
            return Ok(None);
        };
        let mut values: [Option<DataRef<'a>>; 8] = Default::default();
        let index = self.row_of(first, |column, value| {
            for (slot, position) in values.iter_mut().zip(positions) {
                if *position == Some(column) {
                    *slot = Some(value.clone());
                }
            }
        })?;
        Ok(Some(Row { index, values }))
    }
}

fn field_of<'a>(cell: &'a DataRef<'_>) -> Field<'a> {
    match cell {
        DataRef::Empty => Field::Empty,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => text_field(s),
        DataRef::SharedString(s) => text_field(s),
        DataRef::Int(i) => Field::Int(*i),
        DataRef::Float(f) => Field::Float(*f),
        DataRef::DateTime(dt) => excel_serial_to_timestamp(dt.as_f64())
            .map_or(Field::Float(dt.as_f64()), Field::Timestamp),
        DataRef::Bool(true) => Field::Text("TRUE"),
        DataRef::Bool(false) => Field::Text("FALSE"),
        DataRef::Error(_) => Field::Text("#ERROR"),
    }
}

fn text_field(text: &str) -> Field<'_> {
    if text.trim().is_empty() {
        Field::Empty
    } else {
        Field::Text(text)
    }
}

fn cell_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Empty => String::new(),
        other => calamine::Data::from(other.clone()).to_string(),
    }
}

fn corrupt(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::Corrupt {
        path: path.into(),
        detail: format!("cannot read it as a spreadsheet: {error}"),
    }
}
