//! `rebuy convert`: any input rebuy reads, written once as Parquet so that later runs
//! read the fast format.
//!
//! The lines are written **as read**, not cleaned: every line becomes one row, each
//! value typed by the same code the cleaning rules start from (numbers, dates in any
//! accepted form, `13085.0` ids), and a value that cannot be read becomes null. A run
//! on the Parquet file therefore counts every cleaning rule as a run on the original
//! does, and the cleaning options (`--non-product-codes`) still apply at run time.

use crate::clean::{Field, LineSink, Location, RawLine, strict_line_error};
use crate::error::{Error, Result};
use crate::parse::DayOrder;
use crate::quality::InputReport;
use crate::read::{ReadOptions, ReadProgress, read_lines};
use crate::schema::Role;
use crate::write::{LineValues, ParquetLines};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// What `convert` wrote.
#[derive(Debug, Clone)]
pub struct ConvertSummary {
    /// Rows written: every line read.
    pub lines: u64,
    /// Lines with an invoice, quantity, price or date that could not be read (written
    /// with nulls there; a run counts them as `unparseable`).
    pub unreadable_lines: u64,
    pub inputs: Vec<InputReport>,
    /// Size of the Parquet file.
    pub bytes: u64,
}

/// Reads `paths` (any format rebuy reads) and writes their lines to the Parquet file
/// `out`, replacing it only once complete.
pub fn convert_to_parquet(
    paths: &[PathBuf],
    options: &ReadOptions,
    out: &Path,
    progress: &mut dyn FnMut(ReadProgress),
) -> Result<ConvertSummary> {
    if !out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        return Err(Error::Config(format!(
            "{}: convert writes Parquet; name the output file *.parquet",
            out.display()
        )));
    }
    if paths.iter().any(|p| p == out) {
        return Err(Error::Config(format!(
            "{}: the output is also an input",
            out.display()
        )));
    }
    let mut temporary = out.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let file = File::create(&temporary).map_err(|e| Error::io(&temporary, e))?;
    let written = ParquetLines::new(BufWriter::with_capacity(1 << 20, file))
        .map_err(|e| write_error(&temporary, e))
        .and_then(|writer| {
            let mut raw = RawWriter {
                writer,
                path: &temporary,
                day_order: options.rules.day_order,
                strict: options.rules.strict,
                lines: 0,
                unreadable_lines: 0,
            };
            let inputs = read_lines(paths, options, &mut raw, progress)?;
            let (lines, unreadable_lines) = (raw.lines, raw.unreadable_lines);
            raw.writer
                .finish()
                .map_err(|e| write_error(&temporary, e))?;
            Ok((inputs, lines, unreadable_lines))
        });
    let (inputs, lines, unreadable_lines) = written.inspect_err(|_| {
        // Best effort: the read or write error is the one worth reporting.
        let _ = std::fs::remove_file(&temporary);
    })?;
    std::fs::rename(&temporary, out).map_err(|e| Error::io(out, e))?;
    let bytes = std::fs::metadata(out).map_err(|e| Error::io(out, e))?.len();
    Ok(ConvertSummary {
        lines,
        unreadable_lines,
        inputs,
        bytes,
    })
}

fn write_error(path: &Path, error: crate::write::SinkError) -> Error {
    Error::Write {
        path: path.into(),
        detail: error.to_string(),
    }
}

/// Writes each line as read.
struct RawWriter<'p> {
    writer: ParquetLines,
    path: &'p Path,
    day_order: DayOrder,
    strict: bool,
    lines: u64,
    unreadable_lines: u64,
}

impl RawWriter<'_> {
    fn write(&mut self, line: &LineValues, unreadable: bool) -> Result<()> {
        self.lines += 1;
        self.unreadable_lines += u64::from(unreadable);
        self.writer
            .write(line)
            .map_err(|e| write_error(self.path, e))
    }
}

impl LineSink for RawWriter<'_> {
    fn push(
        &mut self,
        fields: &[Field<'_>; 8],
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
        decimal_comma: bool,
    ) -> Result<()> {
        let raw = RawLine::of(fields, self.day_order, decimal_comma);
        if self.strict
            && let Some(error) = raw.strict_error(fields, location, column_name)
        {
            return Err(error);
        }
        let values = LineValues {
            invoice: raw.invoice.as_deref(),
            stock_code: raw.stock_code.as_deref(),
            description: raw.description.as_deref(),
            quantity: raw.quantity,
            invoice_seconds: raw.timestamp,
            price: raw.price,
            customer: raw.customer.as_deref(),
            country: raw.country.as_deref(),
        };
        self.write(&values, raw.is_unreadable())
    }

    /// A line that cannot be split into fields is kept as a row of nulls (one per line
    /// of the file it stands for), so that a run on the converted file counts it as
    /// unreadable too.
    fn reject_line(&mut self, location: Location<'_>, detail: String, lines: u64) -> Result<()> {
        if self.strict {
            return Err(strict_line_error(location, detail));
        }
        for _ in 0..lines {
            self.write(&LineValues::default(), true)?;
        }
        Ok(())
    }

    fn lines_read(&self) -> u64 {
        self.lines
    }
}
