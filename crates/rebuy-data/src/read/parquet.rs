//! Parquet: columns found by name like a CSV header; strings, integers, floats,
//! decimals, timestamps (any unit) and dates are all accepted for any role.

use super::{Format, PROGRESS_EVERY, ReadOptions, input_report, open};
use crate::clean::{Field, LineSink, Location};
use crate::error::{Error, Result};
use crate::quality::InputReport;
use crate::schema::{ColumnMap, Role};
use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, StringArray, TimestampSecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit, TimestampSecondType};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;

const BATCH_ROWS: usize = 1 << 16;

pub(super) fn read(
    path: &Path,
    options: &ReadOptions,
    cleaner: &mut dyn LineSink,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<InputReport> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(open(path)?).map_err(|e| corrupt(path, e))?;
    let total_rows = builder.metadata().file_metadata().num_rows().max(1) as u64;
    let header: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let map = ColumnMap::resolve(&header, &options.mapping, path, None)?;
    let mut wanted: Vec<usize> = Role::ALL.iter().filter_map(|r| map.get(*r)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mask = ProjectionMask::roots(builder.parquet_schema(), wanted.iter().copied());
    // After projection, column i of a batch is the i-th smallest wanted index.
    let positions: Vec<Option<usize>> = Role::ALL
        .iter()
        .map(|r| {
            map.get(*r)
                .and_then(|c| wanted.iter().position(|w| *w == c))
        })
        .collect();
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| corrupt(path, e))?;
    let column_name = |role: Role| map.name(role, &header).to_string();
    let mut lines = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| corrupt(path, e))?;
        let columns: Vec<Option<Typed>> = positions
            .iter()
            .map(|p| p.map(|i| Typed::of(batch.column(i))).transpose())
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| corrupt(path, e))?;
        for row in 0..batch.num_rows() {
            lines += 1;
            let mut fields = [Field::Empty; 8];
            for (slot, column) in fields.iter_mut().zip(&columns) {
                if let Some(column) = column {
                    *slot = column.field(row);
                }
            }
            let location = Location {
                path,
                sheet: None,
                line: lines,
            };
            cleaner.push(&fields, location, &column_name, false)?;
            if lines.is_multiple_of(PROGRESS_EVERY) {
                progress(size * lines / total_rows, cleaner.lines_read());
            }
        }
    }
    Ok(input_report(
        path,
        Format::Parquet,
        "row number as line".into(),
        lines,
    ))
}

/// A column cast to one of the four forms the cleaner reads.
enum Typed {
    Text(StringArray),
    Int(Int64Array),
    Float(Float64Array),
    Time(TimestampSecondArray),
}

impl Typed {
    fn of(array: &ArrayRef) -> std::result::Result<Self, arrow::error::ArrowError> {
        let data_type = array.data_type();
        Ok(if data_type.is_integer() {
            Typed::Int(
                cast(array, &DataType::Int64)?
                    .as_primitive::<Int64Type>()
                    .clone(),
            )
        } else if data_type.is_floating()
            || matches!(
                data_type,
                DataType::Decimal128(..) | DataType::Decimal256(..)
            )
        {
            Typed::Float(
                cast(array, &DataType::Float64)?
                    .as_primitive::<Float64Type>()
                    .clone(),
            )
        } else if data_type.is_temporal()
            && !matches!(
                data_type,
                DataType::Time32(_)
                    | DataType::Time64(_)
                    | DataType::Duration(_)
                    | DataType::Interval(_)
            )
        {
            let seconds = cast(array, &DataType::Timestamp(TimeUnit::Second, None))?;
            Typed::Time(seconds.as_primitive::<TimestampSecondType>().clone())
        } else {
            Typed::Text(cast(array, &DataType::Utf8)?.as_string::<i32>().clone())
        })
    }

    fn field(&self, row: usize) -> Field<'_> {
        let valid = match self {
            Typed::Text(a) => a.is_valid(row),
            Typed::Int(a) => a.is_valid(row),
            Typed::Float(a) => a.is_valid(row),
            Typed::Time(a) => a.is_valid(row),
        };
        if !valid {
            return Field::Empty;
        }
        match self {
            Typed::Text(a) => match a.value(row) {
                text if text.trim().is_empty() => Field::Empty,
                text => Field::Text(text),
            },
            Typed::Int(a) => Field::Int(a.value(row)),
            Typed::Float(a) => Field::Float(a.value(row)),
            Typed::Time(a) => Field::Timestamp(a.value(row)),
        }
    }
}

fn corrupt(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::Corrupt {
        path: path.into(),
        detail: format!("cannot read it as Parquet: {error}"),
    }
}
