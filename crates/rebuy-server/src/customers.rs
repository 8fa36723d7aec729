//! `customers.csv` held column by column in little memory (the table of a run of 10M
//! customers is loaded by `rebuy run` for report.html and by the server): numbers as
//! whole numbers when every value is one, text columns as indices into their distinct
//! values, ids in one text buffer with rows sorted by id for lookups, and a column's
//! sort order computed the first time a page sorts by it. Text cells are read as the
//! text they stand for ([`crate::spreadsheet::unescape`]: `'=1+2` is the id `=1+2`).

use crate::ServerError;
use crate::spreadsheet::unescape_str;
use std::collections::HashMap;
use std::io::Read;
use std::ops::Index;
use std::path::Path;
use std::sync::OnceLock;

/// Columns read as text. Any other column is read as numbers until a cell is not a
/// number: then it is a text column too (a run may add columns this version does not
/// know, such as flags or dates).
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

/// Columns that must hold numbers: a cell that is not one is an error.
const NUMBER_COLUMNS: [&str; 6] = [
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
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
    /// The other text columns the run has (`churn_risk`, `expected_next_purchase_date`,
    /// and any column that is not all numbers), by name, in file order.
    pub labels: Vec<(String, TextColumn)>,
    /// Numeric columns in file order.
    pub numbers: Vec<NumberColumn>,
    /// Every column of the file, in file order, and where it is held.
    pub columns: Vec<(String, Held)>,
}

/// Where a column of `customers.csv` is held in [`Customers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Id,
    Segment,
    Cluster,
    /// Index into [`Customers::labels`].
    Label(usize),
    /// Index into [`Customers::numbers`].
    Number(usize),
}

/// Where a column of the file goes while it is read.
#[derive(Debug, Clone, Copy)]
enum Sink {
    Id,
    /// Index into the text columns being read.
    Text(usize),
    /// Index into the numeric columns being read.
    Number(usize),
}

/// A text column being read: its name, values and the index of each distinct text.
type TextBeingRead = (String, TextColumn, HashMap<String, u32>);

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
        let mut numbers: Vec<Option<NumberColumn>> = Vec::new();
        let mut texts: Vec<TextBeingRead> = Vec::new();
        let text_column = |name: &str| {
            let values = TextColumn {
                distinct: Vec::new(),
                index: Vec::with_capacity(rows),
            };
            (name.to_string(), values, HashMap::new())
        };
        let mut sinks: Vec<Sink> = header
            .iter()
            .map(|name| {
                if name == "customer_id" {
                    Sink::Id
                } else if TEXT_COLUMNS.contains(&name) {
                    texts.push(text_column(name));
                    Sink::Text(texts.len() - 1)
                } else {
                    numbers.push(Some(NumberColumn::new(name, rows)));
                    Sink::Number(numbers.len() - 1)
                }
            })
            .collect();
        let mut customer_id = CustomerIds {
            ends: Vec::with_capacity(rows),
            ..CustomerIds::default()
        };
        let mut record = csv::StringRecord::new();
        let mut line = 1;
        while reader
            .read_record(&mut record)
            .map_err(|e| invalid(format!("line {}: {e}", line + 1)))?
        {
            line += 1;
            for (at, (name, cell)) in header.iter().zip(&record).enumerate() {
                match sinks[at] {
                    Sink::Id => customer_id.push(unescape_str(cell)).map_err(&invalid)?,
                    Sink::Text(column) => {
                        let (_, values, seen) = &mut texts[column];
                        values.push(unescape_str(cell), seen);
                    }
                    Sink::Number(column) => {
                        let value = if cell.is_empty() {
                            Some(f64::NAN)
                        } else {
                            cell.parse::<f64>()
                                .ok()
                                .map(|v| if v.is_finite() { v } else { f64::NAN })
                        };
                        match (value, &mut numbers[column]) {
                            (Some(value), Some(numbers)) => numbers.values.push(value),
                            (None, _) if NUMBER_COLUMNS.contains(&name) => {
                                return Err(invalid(format!(
                                    "line {line}, column `{name}`: `{cell}` is not a number"
                                )));
                            }
                            (_, slot) => {
                                // Not all numbers: the column is text from here on, its
                                // earlier cells written back as the numbers they were.
                                let read = slot.take().map(|c| c.values);
                                let mut text = text_column(name);
                                for row in 0..read.as_ref().map_or(0, Values::len) {
                                    let value = read.as_ref().map_or(f64::NAN, |v| v.get(row));
                                    let earlier = if value.is_nan() {
                                        String::new()
                                    } else {
                                        value.to_string()
                                    };
                                    text.1.push(&earlier, &mut text.2);
                                }
                                text.1.push(unescape_str(cell), &mut text.2);
                                texts.push(text);
                                sinks[at] = Sink::Text(texts.len() - 1);
                            }
                        }
                    }
                }
            }
        }
        customer_id.text.shrink_to_fit();
        customer_id.sort_rows_by_id().map_err(&invalid)?;
        let mut number_index = vec![0; numbers.len()];
        let mut kept_numbers = Vec::new();
        for (at, column) in numbers.into_iter().enumerate() {
            if let Some(column) = column {
                number_index[at] = kept_numbers.len();
                kept_numbers.push(column);
            }
        }
        let mut texts: Vec<Option<(String, TextColumn)>> = texts
            .into_iter()
            .map(|(name, values, _)| Some((name, values)))
            .collect();
        let (mut rfm_segment, mut cluster_name) = (None, None);
        let mut labels = Vec::new();
        let columns = header
            .iter()
            .zip(&sinks)
            .map(|(name, sink)| {
                let held = match *sink {
                    Sink::Id => Held::Id,
                    Sink::Number(at) => Held::Number(number_index[at]),
                    Sink::Text(at) => {
                        let (name, values) = texts[at].take().unwrap_or_default();
                        match name.as_str() {
                            "rfm_segment" => {
                                rfm_segment = Some(values);
                                Held::Segment
                            }
                            "cluster_name" => {
                                cluster_name = Some(values);
                                Held::Cluster
                            }
                            _ => {
                                labels.push((name, values));
                                Held::Label(labels.len() - 1)
                            }
                        }
                    }
                };
                (name.to_string(), held)
            })
            .collect();
        Ok(Customers {
            customer_id,
            rfm_segment: rfm_segment.unwrap_or_default(),
            cluster_name,
            labels,
            numbers: kept_numbers,
            columns,
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
    fn a_column_that_is_not_all_numbers_is_read_as_text_in_file_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("customers.csv");
        std::fs::write(
            &path,
            format!(
                "{HEADER},gross_spend,net_spend_not_positive,churn_risk\n\
                 1,3,2,10.5,1,1,1,Champions,12.5,0,High\n\
                 2,3,2,10.5,1,1,1,Champions,,true,Low\n\
                 3,3,2,10.5,1,1,1,Champions,7,1.5,Low\n"
            ),
        )
        .expect("write");
        let customers = Customers::load(&path).expect("loads");
        let names: Vec<&str> = customers.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "customer_id",
                "recency_days",
                "frequency",
                "monetary",
                "r_score",
                "f_score",
                "m_score",
                "rfm_segment",
                "gross_spend",
                "net_spend_not_positive",
                "churn_risk"
            ]
        );
        assert_eq!(customers.columns[0].1, Held::Id);
        assert_eq!(customers.columns[7].1, Held::Segment);
        assert_eq!(customers.value("gross_spend", 1), None);
        assert_eq!(customers.value("gross_spend", 2), Some(7.0));
        let Held::Label(flag) = customers.columns[9].1 else {
            panic!("{:?}", customers.columns[9]);
        };
        let (name, flags) = &customers.labels[flag];
        assert_eq!(name, "net_spend_not_positive");
        assert_eq!(flags.iter().collect::<Vec<_>>(), ["0", "true", "1.5"]);
        assert!(customers.column("net_spend_not_positive").is_none());
        let Held::Label(risk) = customers.columns[10].1 else {
            panic!("{:?}", customers.columns[10]);
        };
        assert_eq!(customers.labels[risk].0, "churn_risk");
        let Held::Number(spend) = customers.columns[8].1 else {
            panic!("{:?}", customers.columns[8]);
        };
        assert_eq!(customers.numbers[spend].name, "gross_spend");
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
