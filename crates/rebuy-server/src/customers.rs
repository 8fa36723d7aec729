//! `customers.csv` held column by column in little memory (the table of a run of 10M
//! customers is loaded by `rebuy run` for report.html and by the server): numbers as
//! whole numbers when every value is one, text columns as indices into their distinct
//! values, ids in one text buffer with rows sorted by id for lookups, and a column's
//! sort order computed the first time a page sorts by it.

use crate::ServerError;
use std::collections::HashMap;
use std::io::Read;
use std::ops::Index;
use std::path::Path;
use std::sync::OnceLock;

/// Columns read as text; every other column is a number (empty cell = missing).
const TEXT_COLUMNS: [&str; 6] = [
    "customer_id",
    "rfm_segment",
    "cluster_name",
    "churn_risk",
    "expected_next_purchase_date",
    "net_spend_not_positive",
];

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

/// A missing value of a column of whole numbers.
const MISSING_WHOLE: i32 = i32::MIN;

/// The values of a numeric column: whole numbers while every value read is one (half
/// the memory of `f64`), else numbers with NaN for missing.
#[derive(Debug)]
enum Values {
    Whole(Vec<i32>),
    Real(Vec<f64>),
}

impl Values {
    /// Appends a value; NaN is missing.
    fn push(&mut self, value: f64) {
        match (&mut *self, as_whole(value)) {
            (Values::Whole(whole), Some(w)) => whole.push(w),
            (Values::Whole(whole), None) => {
                let mut real = Vec::with_capacity(whole.capacity());
                real.extend(whole.iter().map(|&w| from_whole(w)));
                real.push(value);
                *self = Values::Real(real);
            }
            (Values::Real(real), _) => real.push(value),
        }
    }

    /// The value of a row; NaN when missing.
    fn get(&self, row: usize) -> f64 {
        match self {
            Values::Whole(whole) => from_whole(whole[row]),
            Values::Real(real) => real[row],
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::Whole(whole) => whole.len(),
            Values::Real(real) => real.len(),
        }
    }
}

/// `value` as a whole number that reads back to the very same `f64` (not -0.0), or
/// missing for NaN.
fn as_whole(value: f64) -> Option<i32> {
    if value.is_nan() {
        return Some(MISSING_WHOLE);
    }
    let whole = value as i32;
    (whole != MISSING_WHOLE && f64::from(whole).to_bits() == value.to_bits()).then_some(whole)
}

fn from_whole(whole: i32) -> f64 {
    match whole {
        MISSING_WHOLE => f64::NAN,
        w => f64::from(w),
    }
}

/// One numeric column; a value is missing where the cell was empty or not finite.
#[derive(Debug)]
pub struct NumberColumn {
    pub name: String,
    values: Values,
    /// Row indices in ascending order of value, missing values last (ties in row order).
    ascending: OnceLock<Vec<u32>>,
}

impl NumberColumn {
    fn new(name: &str, rows: usize) -> Self {
        NumberColumn {
            name: name.to_string(),
            values: Values::Whole(Vec::with_capacity(rows)),
            ascending: OnceLock::new(),
        }
    }

    /// The value of a row; `None` when missing (or past the last row).
    pub fn get(&self, row: usize) -> Option<f64> {
        (row < self.values.len())
            .then(|| self.values.get(row))
            .filter(|v| !v.is_nan())
    }

    /// The values that are not missing, in row order.
    pub fn present(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.values.len()).filter_map(|row| self.get(row))
    }

    /// Row indices in ascending order of value, missing values last; sorted on first use.
    pub fn ascending(&self) -> &[u32] {
        self.ascending.get_or_init(|| {
            let mut order: Vec<u32> = (0..self.values.len() as u32).collect();
            // Unstable sorts with the row as the last key: the stable order, faster.
            match &self.values {
                Values::Whole(whole) => order.sort_unstable_by_key(|&row| {
                    let w = whole[row as usize];
                    (w == MISSING_WHOLE, w, row)
                }),
                Values::Real(real) => order.sort_unstable_by(|&a, &b| {
                    let (x, y) = (real[a as usize], real[b as usize]);
                    (x.is_nan().cmp(&y.is_nan()))
                        .then(x.total_cmp(&y))
                        .then(a.cmp(&b))
                }),
            }
            order
        })
    }
}

/// A text column with few distinct values (segments, clusters, bands, dates): each
/// row's index into them.
#[derive(Debug, Default)]
pub struct TextColumn {
    distinct: Vec<String>,
    index: Vec<u32>,
}

impl TextColumn {
    /// Appends a row's text; `seen` maps the distinct texts so far to their index.
    fn push(&mut self, text: &str, seen: &mut HashMap<String, u32>) {
        let index = match seen.get(text) {
            Some(&index) => index,
            None => {
                let index = self.distinct.len() as u32;
                self.distinct.push(text.to_string());
                seen.insert(text.to_string(), index);
                index
            }
        };
        self.index.push(index);
    }

    /// Each row's text, in row order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.index
            .iter()
            .map(|&i| self.distinct[i as usize].as_str())
    }
}

impl Index<usize> for TextColumn {
    type Output = str;

    fn index(&self, row: usize) -> &str {
        &self.distinct[self.index[row] as usize]
    }
}

/// The customer ids: one text buffer, where each row's id ends, and the rows in order of
/// id to find a row by binary search (no second copy of the ids).
#[derive(Debug, Default)]
pub struct CustomerIds {
    text: String,
    ends: Vec<u32>,
    by_id: Vec<u32>,
}

impl CustomerIds {
    fn push(&mut self, id: &str) -> Result<(), String> {
        self.text.push_str(id);
        let end = u32::try_from(self.text.len())
            .map_err(|_| "the customer ids take more than 4 GiB".to_string())?;
        self.ends.push(end);
        Ok(())
    }

    /// Sorts the rows by id; an id that appears twice is an error.
    fn sort_rows_by_id(&mut self) -> Result<(), String> {
        let mut by_id: Vec<u32> = (0..self.len() as u32).collect();
        by_id.sort_unstable_by(|&a, &b| self[a as usize].cmp(&self[b as usize]));
        if let Some(pair) = by_id
            .windows(2)
            .find(|pair| self[pair[0] as usize] == self[pair[1] as usize])
        {
            return Err(format!(
                "customer id `{}` appears twice",
                &self[pair[0] as usize]
            ));
        }
        self.by_id = by_id;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn first(&self) -> Option<&str> {
        (self.len() > 0).then(|| &self[0])
    }

    fn row_of(&self, id: &str) -> Option<usize> {
        self.by_id
            .binary_search_by(|&row| self[row as usize].cmp(id))
            .ok()
            .map(|at| self.by_id[at] as usize)
    }
}

impl Index<usize> for CustomerIds {
    type Output = str;

    fn index(&self, row: usize) -> &str {
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        &self.text[start as usize..self.ends[row] as usize]
    }
}

/// The per-customer table of a run.
#[derive(Debug)]
pub struct Customers {
    pub customer_id: CustomerIds,
    pub rfm_segment: TextColumn,
    pub cluster_name: Option<TextColumn>,
    /// The other text columns the run has (`churn_risk`, `expected_next_purchase_date`),
    /// by name.
    pub labels: Vec<(String, TextColumn)>,
    /// Numeric columns in file order.
    pub numbers: Vec<NumberColumn>,
}

/// Where a column of the file goes.
enum Sink {
    Id,
    /// Index into [`TEXT_COLUMNS`].
    Text(usize),
    /// Index into the numeric columns.
    Number(usize),
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
        let header = reader
            .headers()
            .map_err(|e| invalid(e.to_string()))?
            .clone();
        for required in REQUIRED_COLUMNS {
            if !header.iter().any(|h| h == required) {
                return Err(invalid(format!("no column `{required}`")));
            }
        }
        // Columns sized once: grown by doubling they would hold up to twice the memory.
        let rows = count_lines(path).map_err(|source| ServerError::Read {
            file: file.clone(),
            source,
        })?;
        let mut numbers: Vec<NumberColumn> = Vec::new();
        let sinks: Vec<Sink> = header
            .iter()
            .map(|name| match TEXT_COLUMNS.iter().position(|t| *t == name) {
                Some(0) => Sink::Id,
                Some(text) => Sink::Text(text),
                None => {
                    numbers.push(NumberColumn::new(name, rows));
                    Sink::Number(numbers.len() - 1)
                }
            })
            .collect();
        let mut customer_id = CustomerIds {
            ends: Vec::with_capacity(rows),
            ..CustomerIds::default()
        };
        let mut text: [Option<(TextColumn, HashMap<String, u32>)>; TEXT_COLUMNS.len()] =
            Default::default();
        for sink in &sinks {
            if let Sink::Text(column) = sink {
                let values = TextColumn {
                    distinct: Vec::new(),
                    index: Vec::with_capacity(rows),
                };
                text[*column] = Some((values, HashMap::new()));
            }
        }
        let mut record = csv::StringRecord::new();
        let mut line = 1;
        while reader
            .read_record(&mut record)
            .map_err(|e| invalid(format!("line {}: {e}", line + 1)))?
        {
            line += 1;
            for ((sink, name), cell) in sinks.iter().zip(&header).zip(&record) {
                match sink {
                    Sink::Id => customer_id.push(cell).map_err(&invalid)?,
                    Sink::Text(column) => {
                        if let Some((values, seen)) = &mut text[*column] {
                            values.push(cell, seen);
                        }
                    }
                    Sink::Number(column) => {
                        let value = if cell.is_empty() {
                            f64::NAN
                        } else {
                            let parsed: f64 = cell.parse().map_err(|_| {
                                invalid(format!(
                                    "line {line}, column `{name}`: `{cell}` is not a number"
                                ))
                            })?;
                            if parsed.is_finite() { parsed } else { f64::NAN }
                        };
                        numbers[*column].values.push(value);
                    }
                }
            }
        }
        customer_id.text.shrink_to_fit();
        customer_id.sort_rows_by_id().map_err(&invalid)?;
        let [_, rfm_segment, cluster_name, labels @ ..] =
            text.map(|column| column.map(|(values, _)| values));
        let labels = TEXT_COLUMNS[3..]
            .iter()
            .zip(labels)
            .filter_map(|(name, values)| values.map(|values| (name.to_string(), values)))
            .collect();
        Ok(Customers {
            customer_id,
            rfm_segment: rfm_segment.unwrap_or_default(),
            cluster_name,
            labels,
            numbers,
        })
    }

    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    pub fn row_of(&self, customer_id: &str) -> Option<usize> {
        self.customer_id.row_of(customer_id.trim())
    }

    pub fn column(&self, name: &str) -> Option<&NumberColumn> {
        self.numbers.iter().find(|c| c.name == name)
    }

    /// A column's value at a row; `None` when the column or the value is missing.
    pub fn value(&self, name: &str, row: usize) -> Option<f64> {
        self.column(name).and_then(|c| c.get(row))
    }

    /// A column the loader checked is present, read in place.
    pub fn required(&self, name: &str) -> Required<'_> {
        Required {
            column: self.column(name),
            rows: self.len(),
        }
    }
}

/// A column every run has, zero where a value is missing (everywhere if the column is).
#[derive(Debug, Clone, Copy)]
pub struct Required<'a> {
    column: Option<&'a NumberColumn>,
    rows: usize,
}

impl Required<'_> {
    pub fn get(&self, row: usize) -> f64 {
        self.column.and_then(|c| c.get(row)).unwrap_or(0.0)
    }

    /// The values in row order.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.rows).map(|row| self.get(row))
    }
}

/// Lines of a file: at least its rows after the header.
fn count_lines(path: &Path) -> std::io::Result<usize> {
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0u8; 1 << 20];
    let mut lines = 0;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "customer_id,recency_days,frequency,monetary,r_score,f_score,m_score,rfm_segment";

    fn load(rows: &str) -> Result<Customers, ServerError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("customers.csv");
        std::fs::write(&path, format!("{HEADER},churn_risk\n{rows}")).expect("write");
        Customers::load(&path)
    }

    #[test]
    fn values_ids_and_sort_orders_read_back() {
        let customers = load(
            "b7,3,2,10.5,1,1,1,Champions,High\n\
             a1,,2,-0,1,1,1,At Risk,\n\
             c22,1,inf,1e300,1,1,1,Champions,Low\n\
             a10,3,4,,1,1,1,At Risk,High\n",
        )
        .expect("loads");
        assert_eq!(customers.len(), 4);
        let ids: Vec<&str> = (0..4).map(|row| &customers.customer_id[row]).collect();
        assert_eq!(ids, ["b7", "a1", "c22", "a10"]);
        for (row, id) in ids.iter().enumerate() {
            assert_eq!(customers.row_of(id), Some(row));
        }
        assert_eq!(customers.row_of(" a10 "), Some(3));
        assert_eq!(customers.row_of("a"), None);
        assert_eq!(customers.row_of("zz"), None);
        let recency = customers.column("recency_days").expect("column");
        assert!(matches!(recency.values, Values::Whole(_)));
        assert_eq!(
            (0..4).map(|row| recency.get(row)).collect::<Vec<_>>(),
            [Some(3.0), None, Some(1.0), Some(3.0)]
        );
        assert_eq!(recency.ascending(), [2, 0, 3, 1]);
        let monetary = customers.column("monetary").expect("column");
        assert!(matches!(monetary.values, Values::Real(_)));
        let monetary_values: Vec<Option<f64>> = (0..4).map(|row| monetary.get(row)).collect();
        assert_eq!(monetary_values, [Some(10.5), Some(-0.0), Some(1e300), None]);
        assert!(monetary_values[1].is_some_and(|v| v.is_sign_negative()));
        assert_eq!(monetary.ascending(), [1, 0, 2, 3]);
        assert_eq!(customers.value("frequency", 2), None);
        assert_eq!(customers.value("frequency", 4), None);
        let frequency: Vec<f64> = customers.required("frequency").iter().collect();
        assert_eq!(frequency, [2.0, 2.0, 0.0, 4.0]);
        let absent: Vec<f64> = customers.required("tenure_days").iter().collect();
        assert_eq!(absent, [0.0; 4]);
        assert_eq!(
            customers
                .column("frequency")
                .expect("column")
                .present()
                .collect::<Vec<_>>(),
            [2.0, 2.0, 4.0]
        );
        let segments: Vec<&str> = customers.rfm_segment.iter().collect();
        assert_eq!(segments, ["Champions", "At Risk", "Champions", "At Risk"]);
        assert_eq!(customers.rfm_segment.distinct.len(), 2);
        assert!(customers.cluster_name.is_none());
        let (name, risk) = &customers.labels[0];
        assert_eq!(name, "churn_risk");
        assert_eq!(risk.iter().collect::<Vec<_>>(), ["High", "", "Low", "High"]);
    }

    #[test]
    fn sort_orders_keep_ties_in_row_order_and_missing_values_last() {
        for values in [
            Values::Real(vec![2.5, f64::NAN, 1.5, 2.5, 1.5]),
            Values::Whole(vec![2, MISSING_WHOLE, 1, 2, 1]),
        ] {
            let column = NumberColumn {
                name: "x".into(),
                values,
                ascending: OnceLock::new(),
            };
            assert_eq!(column.ascending(), [2, 4, 0, 3, 1]);
        }
    }

    #[test]
    fn whole_numbers_become_real_at_the_first_fraction() {
        let mut values = Values::Whole(Vec::new());
        for value in [1.0, f64::NAN, -7.0, 2.5, f64::from(i32::MAX)] {
            values.push(value);
        }
        assert!(matches!(values, Values::Real(_)));
        let read: Vec<String> = (0..5).map(|row| values.get(row).to_string()).collect();
        assert_eq!(read, ["1", "NaN", "-7", "2.5", "2147483647"]);
        assert_eq!(as_whole(f64::from(i32::MIN)), None);
        assert_eq!(as_whole(3e10), None);
    }

    #[test]
    fn an_id_that_appears_twice_is_refused() {
        let error =
            load("7,1,1,1,1,1,1,Champions,\n8,1,1,1,1,1,1,Champions,\n7,1,1,1,1,1,1,Champions,\n")
                .expect_err("must fail");
        assert!(
            error.to_string().contains("customer id `7` appears twice"),
            "{error}"
        );
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
        let error = load("1,3,x,1,1,1,1,Champions,\n")
            .expect_err("must fail")
            .to_string();
        assert!(
            error.contains("line 2") && error.contains("frequency"),
            "{error}"
        );
    }
}
