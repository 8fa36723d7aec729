//! A small dense row-major matrix: one row per customer, one column per feature.
//!
//! Models that need rows (clustering, scaling) take a [`Matrix`]; it is only a checked
//! `Vec<f64>` with a shape, so building one from columns costs one copy.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Dense row-major `n_rows x n_cols` matrix of `f64`, with optional column names used in
/// error messages (`feature `monetary` is not finite ...`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawMatrix")]
pub struct Matrix {
    n_rows: usize,
    n_cols: usize,
    values: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    column_names: Vec<String>,
}

/// The unchecked serialised form; loading goes through [`Matrix::new`]'s checks.
#[derive(Deserialize)]
struct RawMatrix {
    n_rows: usize,
    n_cols: usize,
    values: Vec<f64>,
    #[serde(default)]
    column_names: Vec<String>,
}

impl TryFrom<RawMatrix> for Matrix {
    type Error = Error;

    fn try_from(raw: RawMatrix) -> Result<Self> {
        let matrix = Matrix::new(raw.n_rows, raw.n_cols, raw.values)?;
        if raw.column_names.is_empty() {
            Ok(matrix)
        } else {
            matrix.with_column_names(raw.column_names)
        }
    }
}

impl Matrix {
    /// A matrix from row-major `values`; `values.len()` must be `n_rows * n_cols` and
    /// `n_cols` at least 1.
    pub fn new(n_rows: usize, n_cols: usize, values: Vec<f64>) -> Result<Self> {
        if n_cols == 0 {
            return Err(Error::InvalidInput(
                "a matrix needs at least one column".into(),
            ));
        }
        if n_rows.checked_mul(n_cols) != Some(values.len()) {
            return Err(Error::InvalidInput(format!(
                "{} values do not fill a {n_rows} x {n_cols} matrix",
                values.len()
            )));
        }
        Ok(Self {
            n_rows,
            n_cols,
            values,
            column_names: Vec::new(),
        })
    }

    /// A matrix whose columns are the given slices, which must all have the same length.
    pub fn from_columns(columns: &[&[f64]]) -> Result<Self> {
        let n_rows = columns.first().map_or(0, |column| column.len());
        if let Some(bad) = columns.iter().position(|column| column.len() != n_rows) {
            return Err(Error::InvalidInput(format!(
                "column {bad} has {} rows, column 0 has {n_rows}",
                columns[bad].len()
            )));
        }
        // Allocated once at its size: collecting a flat_map grows by doubling, which
        // for 10M customers x 28 features asked for 3.5 GiB on top of the copy.
        let mut values = Vec::with_capacity(n_rows * columns.len());
        for row in 0..n_rows {
            values.extend(columns.iter().map(|column| column[row]));
        }
        Self::new(n_rows, columns.len(), values)
    }

    /// Names the columns (for error messages); one name per column.
    pub fn with_column_names(mut self, names: Vec<String>) -> Result<Self> {
        if names.len() != self.n_cols {
            return Err(Error::InvalidInput(format!(
                "{} column names for {} columns",
                names.len(),
                self.n_cols
            )));
        }
        self.column_names = names;
        Ok(self)
    }

    /// Number of rows (customers).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns (features).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// All values, row after row.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Row `index`; panics when `index >= n_rows()`, like slice indexing.
    pub fn row(&self, index: usize) -> &[f64] {
        &self.values[index * self.n_cols..(index + 1) * self.n_cols]
    }

    /// The rows in order.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.values.chunks_exact(self.n_cols)
    }

    /// A copy of the given rows, in the given order, with the column names; panics when
    /// a row is out of range.
    pub fn select_rows(&self, rows: &[usize]) -> Matrix {
        let mut values = Vec::with_capacity(rows.len() * self.n_cols);
        for &row in rows {
            values.extend_from_slice(self.row(row));
        }
        Matrix {
            n_rows: rows.len(),
            n_cols: self.n_cols,
            values,
            column_names: self.column_names.clone(),
        }
    }

    /// The rows of `parts` one after the other (pooled training windows); the parts must
    /// have the same columns, by name and number.
    pub fn stack(parts: &[&Matrix]) -> Result<Matrix> {
        let Some(first) = parts.first() else {
            return Err(Error::InvalidInput("no matrix to stack".into()));
        };
        if let Some(bad) = parts
            .iter()
            .find(|m| m.n_cols != first.n_cols || m.column_names != first.column_names)
        {
            return Err(Error::InvalidInput(format!(
                "cannot stack a matrix of columns {:?} under one of {:?}",
                bad.column_names, first.column_names
            )));
        }
        let n_rows = parts.iter().map(|m| m.n_rows).sum();
        let mut values = Vec::with_capacity(n_rows * first.n_cols);
        for part in parts {
            values.extend_from_slice(&part.values);
        }
        Ok(Matrix {
            n_rows,
            n_cols: first.n_cols,
            values,
            column_names: first.column_names.clone(),
        })
    }

    /// A copy of column `index`; panics when `index >= n_cols()`.
    pub fn column(&self, index: usize) -> Vec<f64> {
        self.rows().map(|row| row[index]).collect()
    }

    /// The name of column `index`: its given name, or `column {index}`.
    pub fn column_name(&self, index: usize) -> String {
        self.column_names
            .get(index)
            .cloned()
            .unwrap_or_else(|| format!("column {index}"))
    }

    /// The column names given with [`Matrix::with_column_names`] (empty if none).
    pub fn column_names(&self) -> &[String] {
        &self.column_names
    }

    /// [`Error::NonFinite`] naming the first NaN or infinite value, row by row.
    pub fn check_finite(&self) -> Result<()> {
        match self.values.iter().position(|value| !value.is_finite()) {
            None => Ok(()),
            Some(at) => Err(Error::NonFinite {
                feature: self.column_name(at % self.n_cols),
                row: at / self.n_cols,
                value: self.values[at],
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_columns_interleaves_rows() {
        let matrix = Matrix::from_columns(&[&[1.0, 2.0], &[10.0, 20.0]]).unwrap();
        assert_eq!(matrix.values(), &[1.0, 10.0, 2.0, 20.0]);
        assert_eq!(matrix.row(1), &[2.0, 20.0]);
        assert_eq!(matrix.column(1), vec![10.0, 20.0]);
    }

    #[test]
    fn stack_puts_rows_under_each_other_and_refuses_other_columns() {
        let named = |m: Matrix| m.with_column_names(vec!["r".into(), "f".into()]).unwrap();
        let a = named(Matrix::from_columns(&[&[1.0], &[10.0]]).unwrap());
        let b = named(Matrix::from_columns(&[&[2.0, 3.0], &[20.0, 30.0]]).unwrap());
        let stacked = Matrix::stack(&[&a, &b]).unwrap();
        assert_eq!(stacked.n_rows(), 3);
        assert_eq!(stacked.column(1), vec![10.0, 20.0, 30.0]);
        assert_eq!(stacked.column_names(), a.column_names());
        let other = Matrix::from_columns(&[&[1.0], &[1.0]]).unwrap();
        assert!(Matrix::stack(&[&a, &other]).is_err());
        assert!(Matrix::stack(&[]).is_err());
    }

    #[test]
    fn shape_errors_are_reported() {
        assert!(Matrix::new(2, 2, vec![1.0; 3]).is_err());
        assert!(Matrix::new(2, 0, vec![]).is_err());
        assert!(Matrix::from_columns(&[&[1.0, 2.0], &[1.0]]).is_err());
    }

    #[test]
    fn non_finite_value_is_named() {
        let matrix = Matrix::from_columns(&[&[1.0, 2.0], &[3.0, f64::NAN]])
            .unwrap()
            .with_column_names(vec!["frequency".into(), "monetary".into()])
            .unwrap();
        let message = matrix.check_finite().unwrap_err().to_string();
        assert_eq!(message, "feature `monetary` is not finite (NaN) in row 1");
    }

    #[test]
    fn json_round_trip_checks_the_shape() {
        let matrix = Matrix::new(1, 2, vec![1.5, -2.0]).unwrap();
        let json = serde_json::to_string(&matrix).unwrap();
        assert_eq!(serde_json::from_str::<Matrix>(&json).unwrap(), matrix);
        let broken = r#"{"n_rows":2,"n_cols":2,"values":[1.0]}"#;
        assert!(serde_json::from_str::<Matrix>(broken).is_err());
    }
}
