//! The per-customer summary the transaction models read, its checks, and its compression
//! into weighted distinct rows.

use rayon::slice::ParallelSliceMut;

use crate::{Error, Result};

/// One row per customer, in the lifetimes definitions and in one time unit of your choice
/// (days, weeks...; every horizon you later pass is in the same unit):
///
/// - `frequency`: repeat purchases, i.e. purchase periods (days) after the first, a whole
///   number `>= 0`;
/// - `recency`: age of the customer at the last purchase (time from first to last purchase),
///   `0` when `frequency` is `0`;
/// - `t`: age of the customer at the end of the observation (time from first purchase to the
///   as-of date), `>= recency`.
#[derive(Debug, Clone, Copy)]
pub struct CustomerSummary<'a> {
    frequency: &'a [f64],
    recency: &'a [f64],
    t: &'a [f64],
}

fn check_finite(name: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(row) => Err(Error::NonFinite {
            feature: name.to_string(),
            row,
            value: values[row],
        }),
        None => Ok(()),
    }
}

impl<'a> CustomerSummary<'a> {
    /// Checks the three columns: same length, finite, `frequency` a whole number `>= 0`,
    /// `0 <= recency <= t`, and `recency == 0` when `frequency == 0`. Errors name the row.
    pub fn new(frequency: &'a [f64], recency: &'a [f64], t: &'a [f64]) -> Result<Self> {
        if frequency.len() != recency.len() || frequency.len() != t.len() {
            return Err(Error::InvalidInput(format!(
                "frequency, recency and T must have the same length (got {}, {}, {})",
                frequency.len(),
                recency.len(),
                t.len()
            )));
        }
        check_finite("frequency", frequency)?;
        check_finite("recency", recency)?;
        check_finite("T", t)?;
        for (row, ((&x, &t_x), &age)) in frequency.iter().zip(recency).zip(t).enumerate() {
            let problem = if x < 0.0 || x.fract() != 0.0 {
                Some(format!("frequency {x} is not a whole number >= 0"))
            } else if t_x < 0.0 {
                Some(format!("recency {t_x} is negative"))
            } else if t_x > age {
                Some(format!(
                    "recency {t_x} is after the end of observation T = {age}"
                ))
            } else if x == 0.0 && t_x != 0.0 {
                Some(format!(
                    "recency {t_x} must be 0 for a customer with frequency 0"
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(Error::InvalidInput(format!("row {row}: {problem}")));
            }
        }
        Ok(Self {
            frequency,
            recency,
            t,
        })
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    /// True when there is no customer.
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// Repeat purchases per customer.
    pub fn frequency(&self) -> &'a [f64] {
        self.frequency
    }

    /// Age at the last purchase per customer.
    pub fn recency(&self) -> &'a [f64] {
        self.recency
    }

    /// Age at the end of observation per customer.
    pub fn t(&self) -> &'a [f64] {
        self.t
    }
}

/// Identical summary rows merged into one with a weight, and the distinct frequencies
/// indexed so that the terms depending on frequency alone are computed once per value.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompressedSummary {
    pub frequency: Vec<f64>,
    pub recency: Vec<f64>,
    pub t: Vec<f64>,
    pub weight: Vec<f64>,
    /// Index of each row's frequency in `distinct_frequency`.
    pub frequency_index: Vec<u32>,
    pub distinct_frequency: Vec<f64>,
    pub weight_by_frequency: Vec<f64>,
    pub total_weight: f64,
}

impl CompressedSummary {
    pub fn new(summary: &CustomerSummary<'_>) -> Self {
        // `+ 0.0` turns -0.0 into 0.0; values are finite and >= 0, so the bit patterns then
        // sort like the numbers. Rows with equal keys are identical, so the order among them
        // (unstable sort) cannot change the result.
        let bits = |v: f64| (v + 0.0).to_bits();
        let mut keys: Vec<[u64; 3]> = (0..summary.len())
            .map(|i| {
                [
                    bits(summary.frequency[i]),
                    bits(summary.recency[i]),
                    bits(summary.t[i]),
                ]
            })
            .collect();
        keys.par_sort_unstable();
        let mut out = Self::default();
        let mut previous = None;
        for key in keys {
            if previous == Some(key) {
                if let Some(w) = out.weight.last_mut() {
                    *w += 1.0;
                }
                continue;
            }
            previous = Some(key);
            let x = f64::from_bits(key[0]);
            if out.distinct_frequency.last() != Some(&x) {
                out.distinct_frequency.push(x);
                out.weight_by_frequency.push(0.0);
            }
            out.frequency.push(x);
            out.recency.push(f64::from_bits(key[1]));
            out.t.push(f64::from_bits(key[2]));
            out.weight.push(1.0);
            out.frequency_index
                .push((out.distinct_frequency.len() - 1) as u32);
        }
        for (index, w) in out.frequency_index.iter().zip(&out.weight) {
            out.weight_by_frequency[*index as usize] += w;
        }
        out.total_weight = summary.len() as f64;
        out
    }

    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    /// Every `step`-th distinct row with its weight: a sample stratified by frequency,
    /// since the rows are sorted by it.
    pub fn every_nth(&self, step: usize) -> Self {
        let mut out = Self::default();
        for i in (0..self.len()).step_by(step.max(1)) {
            let x = self.frequency[i];
            if out.distinct_frequency.last() != Some(&x) {
                out.distinct_frequency.push(x);
                out.weight_by_frequency.push(0.0);
            }
            let index = out.distinct_frequency.len() - 1;
            out.weight_by_frequency[index] += self.weight[i];
            out.frequency.push(x);
            out.recency.push(self.recency[i]);
            out.t.push(self.t[i]);
            out.weight.push(self.weight[i]);
            out.frequency_index.push(index as u32);
            out.total_weight += self.weight[i];
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_named() {
        let err = |f: &[f64], r: &[f64], t: &[f64]| {
            CustomerSummary::new(f, r, t).unwrap_err().to_string()
        };
        assert!(err(&[1.0, 2.0], &[1.0, 5.0], &[3.0, 4.0]).contains("row 1"));
        assert!(err(&[1.5], &[1.0], &[3.0]).contains("whole number"));
        assert!(err(&[0.0], &[1.0], &[3.0]).contains("must be 0"));
        assert!(err(&[1.0], &[f64::NAN], &[3.0]).contains("recency"));
        assert!(err(&[1.0], &[1.0], &[3.0, 4.0]).contains("same length"));
    }

    #[test]
    fn compression_merges_identical_rows_and_keeps_weights() {
        let f = [1.0, 0.0, 1.0, 0.0, 2.0];
        let r = [2.0, 0.0, 2.0, 0.0, 3.0];
        let t = [5.0, 5.0, 5.0, 6.0, 5.0];
        let c = CompressedSummary::new(&CustomerSummary::new(&f, &r, &t).unwrap());
        assert_eq!(c.len(), 4);
        assert_eq!(c.weight.iter().sum::<f64>(), 5.0);
        assert_eq!(c.distinct_frequency, vec![0.0, 1.0, 2.0]);
        assert_eq!(c.weight_by_frequency, vec![2.0, 2.0, 1.0]);
        let merged = c
            .frequency
            .iter()
            .zip(&c.weight)
            .find(|(x, _)| **x == 1.0)
            .map(|(_, w)| *w);
        assert_eq!(merged, Some(2.0));
        let sample = c.every_nth(2);
        assert_eq!(sample.frequency, vec![c.frequency[0], c.frequency[2]]);
        assert_eq!(sample.total_weight, c.weight[0] + c.weight[2]);
        assert_eq!(
            sample.weight_by_frequency.iter().sum::<f64>(),
            sample.total_weight
        );
    }
}
