//! Transaction lines as Parquet: the one writer behind `rebuy generate` (synthetic
//! lines) and `rebuy convert` (lines as read from any input).
//!
//! The columns carry the Online Retail II names, so readers find them without a
//! mapping, and every column is nullable: a value that could not be read is written as
//! null, which the cleaning rules count as unreadable, as they did on the original.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as ParquetCompression, ZstdLevel};
use parquet::file::properties::WriterProperties;

/// The header of the Online Retail II file.
pub(crate) const HEADER: [&str; 8] = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
];

/// Rows per Arrow batch handed to the Parquet writer.
const BATCH_ROWS: usize = 64 * 1024;
/// Rows per Parquet row group.
const ROW_GROUP_ROWS: usize = 1024 * 1024;

/// Why a file could not be written.
#[derive(Debug)]
pub(crate) enum SinkError {
    Io(io::Error),
    Parquet(String),
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkError::Io(error) => write!(f, "{error}"),
            SinkError::Parquet(message) => write!(f, "{message}"),
        }
    }
}

impl From<io::Error> for SinkError {
    fn from(error: io::Error) -> SinkError {
        SinkError::Io(error)
    }
}

impl From<csv::Error> for SinkError {
    fn from(error: csv::Error) -> SinkError {
        SinkError::Io(io::Error::other(error))
    }
}

impl From<parquet::errors::ParquetError> for SinkError {
    fn from(error: parquet::errors::ParquetError) -> SinkError {
        SinkError::Parquet(error.to_string())
    }
}

impl From<arrow::error::ArrowError> for SinkError {
    fn from(error: arrow::error::ArrowError) -> SinkError {
        SinkError::Parquet(error.to_string())
    }
}

/// The Parquet schema of transaction lines: text, quantity and price as floats (a
/// quantity may be fractional in some sources), the invoice date without time zone,
/// customer ids as text (ids need not be numbers).
pub(crate) fn parquet_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(HEADER[0], DataType::Utf8, true),
        Field::new(HEADER[1], DataType::Utf8, true),
        Field::new(HEADER[2], DataType::Utf8, true),
        Field::new(HEADER[3], DataType::Float64, true),
        Field::new(
            HEADER[4],
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        ),
        Field::new(HEADER[5], DataType::Float64, true),
        Field::new(HEADER[6], DataType::Utf8, true),
        Field::new(HEADER[7], DataType::Utf8, true),
    ]))
}

/// One line's values; `None` is written as null.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LineValues<'a> {
    pub invoice: Option<&'a str>,
    pub stock_code: Option<&'a str>,
    pub description: Option<&'a str>,
    pub quantity: Option<f64>,
    /// Seconds since 1970-01-01, no time zone.
    pub invoice_seconds: Option<i64>,
    pub price: Option<f64>,
    pub customer: Option<&'a str>,
    pub country: Option<&'a str>,
}

/// Column builders for the current batch and the Parquet writer.
pub(crate) struct ParquetLines {
    schema: SchemaRef,
    writer: ArrowWriter<BufWriter<File>>,
    rows: usize,
    invoice: StringBuilder,
    stock_code: StringBuilder,
    description: StringBuilder,
    quantity: Float64Builder,
    invoice_date: TimestampMicrosecondBuilder,
    price: Float64Builder,
    customer: StringBuilder,
    country: StringBuilder,
}

impl std::fmt::Debug for ParquetLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetLines")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl ParquetLines {
    pub(crate) fn new(file: BufWriter<File>) -> Result<ParquetLines, SinkError> {
        let schema = parquet_schema();
        let properties = WriterProperties::builder()
            .set_compression(ParquetCompression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))?;
        Ok(ParquetLines {
            schema,
            writer,
            rows: 0,
            invoice: StringBuilder::new(),
            stock_code: StringBuilder::new(),
            description: StringBuilder::new(),
            quantity: Float64Builder::with_capacity(BATCH_ROWS),
            invoice_date: TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS),
            price: Float64Builder::with_capacity(BATCH_ROWS),
            customer: StringBuilder::new(),
            country: StringBuilder::new(),
        })
    }

    pub(crate) fn write(&mut self, line: &LineValues) -> Result<(), SinkError> {
        self.invoice.append_option(line.invoice);
        self.stock_code.append_option(line.stock_code);
        self.description.append_option(line.description);
        self.quantity.append_option(line.quantity);
        self.invoice_date
            .append_option(line.invoice_seconds.map(|s| s * 1_000_000));
        self.price.append_option(line.price);
        self.customer.append_option(line.customer);
        self.country.append_option(line.country);
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<(), SinkError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.invoice.finish()),
            Arc::new(self.stock_code.finish()),
            Arc::new(self.description.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(self.invoice_date.finish()),
            Arc::new(self.price.finish()),
            Arc::new(self.customer.finish()),
            Arc::new(self.country.finish()),
        ];
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        self.writer.write(&batch)?;
        self.rows = 0;
        Ok(())
    }

    /// Writes the last batch and the footer; the file is complete once this returns.
    pub(crate) fn finish(mut self) -> Result<(), SinkError> {
        if self.rows > 0 {
            self.flush_batch()?;
        }
        let mut file = self.writer.into_inner()?;
        file.flush()?;
        Ok(())
    }
}
