//! Readers: each turns one input file into lines pushed into a [`LineSink`]: the
//! [`Cleaner`] of a run, or the Parquet writer of `convert`.
//!
//! The format is detected from the file's first bytes, not its name: gzip, zip
//! (XLSX), `PAR1` (Parquet), otherwise text read as CSV. The old binary Excel format
//! (XLS, an OLE file) is refused: its reader (calamine's) builds every sheet as a
//! full grid when the file is opened, so a damaged 5 KB file could ask for gigabytes.

mod csv;
mod parquet;
mod xlsx;
mod xml_items;

use crate::clean::{Cleaner, CleaningRules, LineSink};
use crate::error::{Error, Result};
use crate::quality::InputReport;
use crate::schema::ColumnMapping;
use crate::transactions::Transactions;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How inputs are read and cleaned.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Explicit `role=column` pairs; the rest is detected from the header.
    pub mapping: ColumnMapping,
    /// CSV delimiter; detected from the header line when `None`.
    pub delimiter: Option<u8>,
    pub rules: CleaningRules,
    /// Bytes of clean lines kept in memory; beyond, they are spilled to temporary
    /// files by customer ([`crate::DEFAULT_MEMORY_BUDGET`] unless set).
    pub memory_budget: usize,
    /// The longest line of a CSV file, in bytes ([`DEFAULT_MAX_LINE_BYTES`] unless set):
    /// a longer one means a damaged file (an unclosed quote), and reading it stops
    /// there, so a hostile file cannot grow memory past this.
    pub max_line_bytes: u64,
}

/// The longest CSV line read: real lines are a few hundred bytes; a line this long is
/// a quote never closed or a damaged file.
pub const DEFAULT_MAX_LINE_BYTES: u64 = 16 << 20;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            mapping: ColumnMapping::default(),
            delimiter: None,
            rules: CleaningRules::default(),
            memory_budget: crate::DEFAULT_MEMORY_BUDGET,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Where reading is, for progress bars.
#[derive(Debug, Clone, Copy)]
pub struct ReadProgress {
    /// Bytes of the input files consumed so far (compressed bytes for gzip).
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub lines: u64,
}

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    GzipCsv,
    Excel,
    Parquet,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::GzipCsv => "csv.gz",
            Format::Excel => "excel",
            Format::Parquet => "parquet",
        }
    }
}

/// Detects a file's format from its first bytes.
pub fn detect_format(path: &Path) -> Result<Format> {
    let mut file = open(path)?;
    let mut head = [0u8; 4096];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    let head = &head[..filled];
    if head.is_empty() {
        return Err(Error::Empty { path: path.into() });
    }
    Ok(match head {
        [0x1f, 0x8b, ..] => Format::GzipCsv,
        [b'P', b'K', 3, 4, ..] => Format::Excel,
        [0xD0, 0xCF, 0x11, 0xE0, ..] => {
            return Err(Error::UnknownFormat {
                path: path.into(),
                detail: "an Excel 97-2003 workbook (.xls), which is not read (its reader holds \
                         every sheet as a full grid, so a damaged file can exhaust memory): \
                         save it as .xlsx or CSV"
                    .into(),
            });
        }
        [b'P', b'A', b'R', b'1', ..] => Format::Parquet,
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => Format::Csv,
        _ if head.contains(&0) => {
            return Err(Error::UnknownFormat {
                path: path.into(),
                detail: "binary content that is not gzip, zip (XLSX) or Parquet".into(),
            });
        }
        _ => Format::Csv,
    })
}

/// Reads, cleans and combines the input files.
///
/// CSV chunks are typed on the global rayon pool while the calling thread merges them
/// in order: call this from outside that pool (a pool thread blocked here waiting for
/// a chunk could be the one that should type it).
pub fn read_transactions(
    paths: &[PathBuf],
    options: &ReadOptions,
    progress: &mut dyn FnMut(ReadProgress),
) -> Result<Transactions> {
    let mut cleaner = Cleaner::new(options.rules.clone()).with_memory_budget(options.memory_budget);
    let inputs = read_lines(paths, options, &mut cleaner, progress)?;
    Transactions::finish(cleaner, inputs)
}

/// Reads the input files in order, pushing every line into `sink`.
pub(crate) fn read_lines(
    paths: &[PathBuf],
    options: &ReadOptions,
    cleaner: &mut dyn LineSink,
    progress: &mut dyn FnMut(ReadProgress),
) -> Result<Vec<InputReport>> {
    let mut sizes = Vec::with_capacity(paths.len());
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound { path: path.clone() },
            _ => Error::io(path, e),
        })?;
        if meta.is_dir() {
            return Err(Error::UnknownFormat {
                path: path.clone(),
                detail: "a folder, not a file".into(),
            });
        }
        sizes.push(meta.len());
    }
    let bytes_total = sizes.iter().sum();
    let mut inputs = Vec::new();
    let mut bytes_before = 0;
    for (path, size) in paths.iter().zip(sizes) {
        let mut file_progress = |bytes_done: u64, lines: u64| {
            progress(ReadProgress {
                bytes_done: bytes_before + bytes_done.min(size),
                bytes_total,
                lines,
            })
        };
        let format = detect_format(path)?;
        let report = match format {
            Format::Csv | Format::GzipCsv => csv::read(
                path,
                format == Format::GzipCsv,
                options,
                cleaner,
                &mut file_progress,
            )?,
            Format::Excel => xlsx::read(path, options, cleaner, &mut file_progress)?,
            Format::Parquet => parquet::read(path, options, cleaner, &mut file_progress)?,
        };
        inputs.push(report);
        bytes_before += size;
    }
    progress(ReadProgress {
        bytes_done: bytes_total,
        bytes_total,
        lines: cleaner.lines_read(),
    });
    Ok(inputs)
}

fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound { path: path.into() },
        _ => Error::io(path, e),
    })
}

fn input_report(path: &Path, format: Format, detail: String, lines: u64) -> InputReport {
    InputReport {
        path: path.display().to_string(),
        format: format.name().to_string(),
        detail,
        lines,
    }
}

/// How often readers report progress, in lines.
const PROGRESS_EVERY: u64 = 1 << 16;
