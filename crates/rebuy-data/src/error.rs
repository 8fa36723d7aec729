//! The one error type of the data crate: every variant names the file, and where it
//! can, the line, the column, the value and the form that was expected.

use std::path::PathBuf;

/// Why transactions could not be read or cleaned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: no such file")]
    NotFound { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: not a CSV, XLSX or Parquet file ({detail})")]
    UnknownFormat { path: PathBuf, detail: String },
    #[error("{path}: the file is damaged or cut short ({detail})")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path}{sheet}: no column for {role}; expected one of the names {expected}, found columns [{found}] (map a column with --column {role}=NAME)",
        sheet = sheet.as_deref().map(|s| format!(" (sheet {s:?})")).unwrap_or_default()
    )]
    MissingColumn {
        path: PathBuf,
        sheet: Option<String>,
        role: &'static str,
        expected: String,
        found: String,
    },
    #[error("{path}: the column mapping names {column:?}, which is not in the header [{found}]")]
    MappedColumnAbsent {
        path: PathBuf,
        column: String,
        found: String,
    },
    #[error("{location}, column {column:?}: cannot read {value:?}: expected {expected}")]
    BadValue {
        location: String,
        column: String,
        value: String,
        expected: String,
    },
    #[error("{location}: {detail}")]
    BadLine { location: String, detail: String },
    #[error("cannot write {path}: {detail}")]
    Write { path: PathBuf, detail: String },
    #[error("invalid option: {0}")]
    Config(String),
    #[error("no line survived cleaning: {0}")]
    NothingSurvived(String),
}

impl Error {
    /// Wraps an I/O error with the file it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with the data crate's [`Error`].
impl rebuy_vocabulary::Categorized for Error {
    /// Every variant is the input's fault but a failure to read an existing file or to
    /// write one (the disk, permissions).
    fn category(&self) -> rebuy_vocabulary::Category {
        match self {
            Error::Io { .. } | Error::Write { .. } => rebuy_vocabulary::Category::Internal,
            _ => rebuy_vocabulary::Category::BadInput,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
