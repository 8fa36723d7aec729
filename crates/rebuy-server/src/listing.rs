//! Filtering, sorting and paging the customer table, shared by the Customers page
//! and `GET /api/customers`.

use crate::error::ApiError;
use crate::run::RunData;
use std::collections::HashMap;

pub const DEFAULT_PER_PAGE: usize = 25;
pub const MAX_PER_PAGE: usize = 500;

/// A checked customer-list request.
#[derive(Debug, Clone)]
pub struct CustomerQuery {
    pub segment: Option<String>,
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
        Ok(CustomerQuery {
            segment,
            sort,
            descending,
            page,
            per_page,
        })
    }

    pub fn order_name(&self) -> &'static str {
        if self.descending { "desc" } else { "asc" }
    }
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

pub fn list_customers(run: &RunData, query: &CustomerQuery) -> Listing {
    let table = &run.customers;
    let Some(column) = table.column(&query.sort) else {
        return Listing {
            total: 0,
            rows: Vec::new(),
        };
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
    let matching = ordered.map(|&row| row as usize).filter(|&row| {
        query
            .segment
            .as_ref()
            .is_none_or(|s| *s == table.rfm_segment[row])
    });
    let skip = (query.page - 1).saturating_mul(query.per_page);
    let mut total = 0;
    let mut rows = Vec::with_capacity(query.per_page);
    for row in matching {
        if total >= skip && rows.len() < query.per_page {
            rows.push(row);
        }
        total += 1;
    }
    Listing { total, rows }
}
