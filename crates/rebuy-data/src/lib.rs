//! Transaction ingest for rebuy: schema detection, readers for CSV (plain or gzip'd,
//! any common delimiter and encoding), XLSX and Parquet, and the cleaning rules, each
//! counted in a [`QualityReport`].
//!
//! ```no_run
//! use rebuy_data::{read_transactions, ReadOptions};
//! let transactions = read_transactions(
//!     &["online_retail_II.csv.gz".into()],
//!     &ReadOptions::default(),
//!     &mut |_progress| {},
//! )?;
//! println!("{}", transactions.quality().to_text());
//! # Ok::<(), rebuy_data::Error>(())
//! ```

pub mod clean;
pub mod convert;
mod duplicates;
pub mod error;
pub mod generate;
mod intern;
pub mod parse;
pub mod quality;
pub mod read;
pub mod schema;
mod spill;
pub mod transactions;
mod write;

pub use clean::{
    CleaningRules, DEFAULT_MAX_DESCRIPTION_BYTES, DEFAULT_MAX_FIELD_BYTES,
    DEFAULT_NON_PRODUCT_CODES,
};
pub use convert::{ConvertSummary, convert_to_parquet};
pub use error::{Error, Result};
pub use parse::DayOrder;
pub use quality::{QualityReport, Rule};
pub use read::{
    DEFAULT_MAX_LINE_BYTES, Format, ReadOptions, ReadProgress, detect_format, read_transactions,
};
pub use schema::ColumnMapping;
pub use spill::{DEFAULT_MEMORY_BUDGET, SpilledLines, process_is_gone, sweep_abandoned_spills};
pub use transactions::{
    LineTable, Lines, RUN_BATCH_ROWS, RUN_PARTITIONS, Transactions, format_timestamp,
};
