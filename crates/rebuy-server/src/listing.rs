//! Filtering, sorting and paging the customer table, shared by the Customers page,
//! `GET /api/customers` and its CSV export (a campaign list is the filtered table).
//!
//! Filters: `segment=NAME`; `min_COLUMN=X` / `max_COLUMN=X` on any numeric column of
//! the run, both ends included (`min_clv_12m=1000`: CLV of 1,000 or more); a customer
//! without a value in a filtered column is left out, since an unknown figure is not "over
//! 1,000"; `top=P`: the first P percent, rounded up, of the customers the other filters
//! keep, in the list's order (by default the highest of the sort column: `top=5` with
//! `sort=purchase_probability` is "the top 5 % by probability").

use crate::error::ApiError;
use crate::run::RunData;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub const DEFAULT_PER_PAGE: usize = 25;
pub const MAX_PER_PAGE: usize = 500;

/// Which values of one numeric column a customer must have: both ends included.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub column: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Range {
    fn holds(&self, value: f64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }
}

/// A checked customer-list request.
#[derive(Debug, Clone)]
pub struct CustomerQuery {
    pub segment: Option<String>,
    /// Range filters, one per column, by column name.
    pub ranges: Vec<Range>,
    /// Percent (0 to 100] of the filtered list to keep from its top.
    pub top_percent: Option<f64>,
    pub sort: String,
    pub descending: bool,
    pub page: usize,
    pub per_page: usize,
}

/// One page of row indices, and how many rows match in all.
#[derive(Debug)]
pub struct Listing {
    pub total: usize,
    pub rows: Vec<usize>,
}

impl CustomerQuery {
    /// The column the list is sorted by when the request does not say.
    pub fn default_sort(run: &RunData) -> &'static str {
        if run.has_column("purchase_probability") {
            "purchase_probability"
        } else {
            "monetary"
        }
    }

    pub fn parse(run: &RunData, params: &HashMap<String, String>) -> Result<Self, ApiError> {
        let segment = segment_param(run, params)?.map(str::to_string);
        let sort = match params.get("sort").map(|s| s.trim()) {
            None | Some("") => Self::default_sort(run).to_string(),
            Some(name) if run.has_column(name) => name.to_string(),
            Some(name) => {
                return Err(ApiError::query(
                    "sort",
                    format!("`{name}` is not a numeric column of this run"),
                ));
            }
        };
        let descending = match params.get("order").map(|s| s.trim()) {
            None | Some("") | Some("desc") => true,
            Some("asc") => false,
            Some(other) => {
                return Err(ApiError::query(
                    "order",
                    format!("must be `asc` or `desc`, got `{other}`"),
                ));
            }
        };
        let page = count_param(params, "page", 1, usize::MAX, 1)?;
        let per_page = count_param(params, "per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE)?;
        let top_percent = match number_param(params, "top")? {
            Some(p) if p > 0.0 && p <= 100.0 => Some(p),
            Some(_) => {
                return Err(ApiError::query(
                    "top",
                    format!(
                        "must be a percentage above 0 and at most 100, got `{}`",
                        params["top"].trim()
                    ),
                ));
            }
            None => None,
        };
        Ok(CustomerQuery {
            segment,
            ranges: range_params(run, params)?,
            top_percent,
            sort,
            descending,
            page,
            per_page,
        })
    }

    pub fn order_name(&self) -> &'static str {
        if self.descending { "desc" } else { "asc" }
    }

    /// The filters as query parameters (`&segment=...&min_x=...&top=...`), for links
    /// that keep them: pages, sorting, the export.
    pub fn filter_params(&self) -> String {
        let mut params = String::new();
        let mut push = |name: &str, value: &str| {
            params.push_str(&format!("&{name}={}", crate::html::url_encode(value)));
        };
        if let Some(segment) = &self.segment {
            push("segment", segment);
        }
        for range in &self.ranges {
            if let Some(min) = range.min {
                push(&format!("min_{}", range.column), &min.to_string());
            }
            if let Some(max) = range.max {
                push(&format!("max_{}", range.column), &max.to_string());
            }
        }
        if let Some(top) = self.top_percent {
            push("top", &top.to_string());
        }
        params
    }

    /// Whether the request filters at all.
    pub fn filters(&self) -> bool {
        self.segment.is_some() || !self.ranges.is_empty() || self.top_percent.is_some()
    }
}

/// A parameter that must be a finite number when given; an empty one is not given
/// (a form's empty field).
fn number_param(params: &HashMap<String, String>, name: &str) -> Result<Option<f64>, ApiError> {
    let Some(text) = params.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Some(value)),
        _ => Err(ApiError::query(
            name,
            format!("must be a number, got `{text}`"),
        )),
    }
}

/// The `min_COLUMN` / `max_COLUMN` parameters, checked against the run's numeric columns;
/// one range per column, by column name.
fn range_params(run: &RunData, params: &HashMap<String, String>) -> Result<Vec<Range>, ApiError> {
    let mut ranges: BTreeMap<&str, Range> = BTreeMap::new();
    // In name order, so that of two bad parameters the same one is named every time.
    let names: BTreeSet<&String> = params.keys().collect();
    for name in names {
        let (column, is_min) = match (name.strip_prefix("min_"), name.strip_prefix("max_")) {
            (Some(column), _) => (column, true),
            (_, Some(column)) => (column, false),
            _ => continue,
        };
        let Some(value) = number_param(params, name)? else {
            continue;
        };
        if !run.has_column(column) {
            return Err(ApiError::query(
                name,
                format!("`{column}` is not a numeric column of this run"),
            ));
        }
        let range = ranges.entry(column).or_insert_with(|| Range {
            column: column.to_string(),
            min: None,
            max: None,
        });
        if is_min {
            range.min = Some(value);
        } else {
            range.max = Some(value);
        }
    }
    for range in ranges.values() {
        if let (Some(min), Some(max)) = (range.min, range.max)
            && min > max
        {
            let column = &range.column;
            return Err(ApiError::query(
                &format!("min_{column}"),
                format!(
                    "min_{column} ({min}) is above max_{column} ({max}): no customer can match"
                ),
            ));
        }
    }
    Ok(ranges.into_values().collect())
}

/// The `segment` parameter, checked against the run's segments.
pub fn segment_param<'a>(
    run: &RunData,
    params: &'a HashMap<String, String>,
) -> Result<Option<&'a str>, ApiError> {
    match params.get("segment").map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(name) if run.segments.iter().any(|s| s.name == name) => Ok(Some(name)),
        Some(name) => Err(ApiError::query(
            "segment",
            format!("no segment `{name}` in this run; see /api/segments"),
        )),
    }
}

fn count_param(
    params: &HashMap<String, String>,
    name: &str,
    minimum: usize,
    maximum: usize,
    default: usize,
) -> Result<usize, ApiError> {
    let Some(text) = params.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return Ok(default);
    };
    let range = if maximum == usize::MAX {
        format!("a whole number of at least {minimum}")
    } else {
        format!("a whole number from {minimum} to {maximum}")
    };
    match text.parse::<usize>() {
        Ok(n) if (minimum..=maximum).contains(&n) => Ok(n),
        _ => Err(ApiError::query(
            name,
            format!("must be {range}, got `{text}`"),
        )),
    }
}

/// Every customer the query's filters keep (its `top` too), in the list's order; not paged.
pub fn matching_customers(run: &RunData, query: &CustomerQuery) -> Vec<usize> {
    let table = &run.customers;
    let Some(column) = table.column(&query.sort) else {
        return Vec::new();
    };
    let present = column
        .ascending()
        .iter()
        .filter(|&&row| column.get(row as usize).is_some());
    let missing = column
        .ascending()
        .iter()
        .filter(|&&row| column.get(row as usize).is_none());
    // Missing values stay last in both orders.
    let ordered: Box<dyn Iterator<Item = &u32>> = if query.descending {
        Box::new(present.rev().chain(missing))
    } else {
        Box::new(present.chain(missing))
    };
    let ranges: Vec<(&Range, _)> = query
        .ranges
        .iter()
        .filter_map(|range| Some((range, table.column(&range.column)?)))
        .collect();
    let mut rows: Vec<usize> = ordered
        .map(|&row| row as usize)
        .filter(|&row| {
            query
                .segment
                .as_ref()
                .is_none_or(|s| *s == table.rfm_segment[row])
                && ranges
                    .iter()
                    .all(|(range, values)| values.get(row).is_some_and(|v| range.holds(v)))
        })
        .collect();
    if let Some(percent) = query.top_percent {
        // Whole customers, rounded up: the top 5 % of 30 customers is 2 of them. The
        // tolerance keeps a share that is whole on paper (0.1 % of 1,000) from rounding
        // up on a binary fraction's last bit.
        let keep = (rows.len() as f64 * percent / 100.0 - 1e-9).ceil() as usize;
        rows.truncate(keep);
    }
    rows
}

/// One page of the matching customers.
pub fn list_customers(run: &RunData, query: &CustomerQuery) -> Listing {
    let rows = matching_customers(run, query);
    let skip = (query.page - 1).saturating_mul(query.per_page);
    Listing {
        total: rows.len(),
        rows: rows.into_iter().skip(skip).take(query.per_page).collect(),
    }
}
