//! `customers.csv` held column by column, with the id index and sort orders the pages
//! and the API need, all computed once at load time.

use crate::ServerError;
use std::collections::HashMap;
use std::path::Path;

/// Columns read as text; every other column is a number (empty cell = missing).
const TEXT_COLUMNS: [&str; 3] = ["customer_id", "rfm_segment", "cluster_name"];
/// Text columns of a run that the pages do not show (a band derived from
/// `probability_percentile`, a date derived from the BTYD columns): skipped.
const SKIPPED_COLUMNS: [&str; 2] = ["churn_risk", "expected_next_purchase_date"];

/// Columns every run folder's `customers.csv` has.
const REQUIRED_COLUMNS: [&str; 8] = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
];

/// One numeric column; `None` where the cell was empty.
#[derive(Debug)]
pub struct NumberColumn {
    pub name: String,
    pub values: Vec<Option<f64>>,
    /// Row indices in ascending order of value, missing values last.
    pub ascending: Vec<u32>,
}

/// The per-customer table of a run.
#[derive(Debug)]
pub struct Customers {
    pub customer_id: Vec<String>,
    pub rfm_segment: Vec<String>,
    pub cluster_name: Option<Vec<String>>,
    /// Numeric columns in file order.
    pub numbers: Vec<NumberColumn>,
    by_id: HashMap<String, usize>,
}

impl Customers {
    pub fn load(path: &Path) -> Result<Self, ServerError> {
        let file = path.display().to_string();
        let invalid = |detail: String| ServerError::Invalid {
            file: file.clone(),
            detail,
        };
        let mut reader = csv::Reader::from_path(path).map_err(|e| ServerError::Read {
            file: file.clone(),
            source: e.into(),
        })?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| invalid(e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        for required in REQUIRED_COLUMNS {
            if !header.iter().any(|h| h == required) {
                return Err(invalid(format!("no column `{required}`")));
            }
        }
        let mut text: HashMap<&str, Vec<String>> = HashMap::new();
        let mut numbers: Vec<NumberColumn> = header
            .iter()
            .filter(|h| {
                !TEXT_COLUMNS.contains(&h.as_str()) && !SKIPPED_COLUMNS.contains(&h.as_str())
            })
            .map(|name| NumberColumn {
                name: name.clone(),
                values: Vec::new(),
                ascending: Vec::new(),
            })
            .collect();
        for (row, record) in reader.records().enumerate() {
            let line = row + 2;
            let record = record.map_err(|e| invalid(format!("line {line}: {e}")))?;
            let mut number_index = 0;
            for (name, cell) in header.iter().zip(record.iter()) {
                if let Some(&text_name) = TEXT_COLUMNS.iter().find(|t| **t == name.as_str()) {
                    text.entry(text_name).or_default().push(cell.to_string());
                    continue;
                }
                if SKIPPED_COLUMNS.contains(&name.as_str()) {
                    continue;
                }
                let value = if cell.is_empty() {
                    None
                } else {
                    let parsed: f64 = cell.parse().map_err(|_| {
                        invalid(format!(
                            "line {line}, column `{name}`: `{cell}` is not a number"
                        ))
                    })?;
                    Some(parsed).filter(|v| v.is_finite())
                };
                numbers[number_index].values.push(value);
                number_index += 1;
            }
        }
        let customer_id = text.remove("customer_id").unwrap_or_default();
        let rfm_segment = text.remove("rfm_segment").unwrap_or_default();
        let cluster_name = text.remove("cluster_name");
        for column in &mut numbers {
            column.ascending = ascending_order(&column.values);
        }
        let mut by_id = HashMap::with_capacity(customer_id.len());
        for (row, id) in customer_id.iter().enumerate() {
            if by_id.insert(id.clone(), row).is_some() {
                return Err(invalid(format!("customer id `{id}` appears twice")));
            }
        }
        Ok(Customers {
            customer_id,
            rfm_segment,
            cluster_name,
            numbers,
            by_id,
        })
    }

    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    pub fn row_of(&self, customer_id: &str) -> Option<usize> {
        self.by_id.get(customer_id.trim()).copied()
    }

    pub fn column(&self, name: &str) -> Option<&NumberColumn> {
        self.numbers.iter().find(|c| c.name == name)
    }

    /// A column's value at a row; `None` when the column or the value is missing.
    pub fn value(&self, name: &str, row: usize) -> Option<f64> {
        self.column(name)
            .and_then(|c| c.values.get(row).copied().flatten())
    }

    /// The values of a column the loader checked is present (zeros if it is not).
    pub fn required(&self, name: &str) -> Vec<f64> {
        match self.column(name) {
            Some(column) => column.values.iter().map(|v| v.unwrap_or(0.0)).collect(),
            None => vec![0.0; self.len()],
        }
    }
}

fn ascending_order(values: &[Option<f64>]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    order.sort_by(|&a, &b| match (values[a as usize], values[b as usize]) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_values_sort_last() {
        let order = ascending_order(&[Some(3.0), None, Some(1.0)]);
        assert_eq!(order, vec![2, 0, 1]);
    }

    #[test]
    fn a_file_without_a_required_column_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("customers.csv");
        std::fs::write(&path, "customer_id,frequency\n1,2\n").expect("write");
        let error = Customers::load(&path).expect_err("must fail");
        assert!(error.to_string().contains("recency_days"), "{error}");
    }

    #[test]
    fn a_text_in_a_number_column_names_line_and_column() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("customers.csv");
        let header =
            "customer_id,recency_days,frequency,monetary,r_score,f_score,m_score,rfm_segment";
        std::fs::write(&path, format!("{header}\n1,3,x,1,1,1,1,Champions\n")).expect("write");
        let error = Customers::load(&path).expect_err("must fail").to_string();
        assert!(
            error.contains("line 2") && error.contains("frequency"),
            "{error}"
        );
    }
}
