//! Which input column plays which role: detected from the header (Online Retail II
//! and Online Retail I names, case, spacing and punctuation ignored, any order), or
//! named explicitly with a column mapping.

use crate::error::{Error, Result};
use std::fmt;
use std::path::Path;

/// The roles a transaction line's columns play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Invoice,
    StockCode,
    Description,
    Quantity,
    InvoiceDate,
    Price,
    Customer,
    Country,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Invoice,
        Role::StockCode,
        Role::Description,
        Role::Quantity,
        Role::InvoiceDate,
        Role::Price,
        Role::Customer,
        Role::Country,
    ];

    /// The name used in `--column ROLE=NAME` and in messages.
    pub fn key(self) -> &'static str {
        match self {
            Role::Invoice => "invoice",
            Role::StockCode => "stock_code",
            Role::Description => "description",
            Role::Quantity => "quantity",
            Role::InvoiceDate => "invoice_date",
            Role::Price => "price",
            Role::Customer => "customer",
            Role::Country => "country",
        }
    }

    /// Header names recognised for the role, already normalised (see [`normalise`]).
    fn known_names(self) -> &'static [&'static str] {
        match self {
            Role::Invoice => &["invoice", "invoiceno", "invoicenumber"],
            Role::StockCode => &["stockcode"],
            Role::Description => &["description"],
            Role::Quantity => &["quantity"],
            Role::InvoiceDate => &["invoicedate"],
            Role::Price => &["price", "unitprice"],
            Role::Customer => &["customerid", "customer"],
            Role::Country => &["country"],
        }
    }

    /// The Online Retail II header name, shown when a column is missing.
    fn display_names(self) -> &'static str {
        match self {
            Role::Invoice => "Invoice / InvoiceNo",
            Role::StockCode => "StockCode",
            Role::Description => "Description",
            Role::Quantity => "Quantity",
            Role::InvoiceDate => "InvoiceDate",
            Role::Price => "Price / UnitPrice",
            Role::Customer => "Customer ID / CustomerID",
            Role::Country => "Country",
        }
    }

    /// Roles without which no feature can be computed. The others are filled with
    /// empty values when absent.
    pub fn required(self) -> bool {
        matches!(
            self,
            Role::Invoice | Role::Quantity | Role::InvoiceDate | Role::Price | Role::Customer
        )
    }

    fn parse(key: &str) -> Option<Role> {
        let key = normalise(key);
        Role::ALL.into_iter().find(|role| {
            normalise(role.key()) == key || (*role == Role::Customer && key == "customerid")
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Lower case, with spaces, underscores, dashes and dots removed: `Customer ID`,
/// `customer_id` and `CustomerID` all become `customerid`.
pub fn normalise(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Explicit `role=column` pairs that override header detection.
#[derive(Debug, Clone, Default)]
pub struct ColumnMapping {
    pairs: Vec<(Role, String)>,
}

impl ColumnMapping {
    /// Parses `--column` values such as `customer=cust_id`.
    pub fn parse(specs: &[String]) -> Result<Self> {
        let mut pairs = Vec::new();
        for spec in specs {
            let (role, column) = spec.split_once('=').ok_or_else(|| {
                Error::Config(format!(
                    "--column {spec:?}: expected ROLE=COLUMN, e.g. customer=cust_id"
                ))
            })?;
            let role = Role::parse(role).ok_or_else(|| {
                let roles: Vec<_> = Role::ALL.iter().map(|r| r.key()).collect();
                Error::Config(format!(
                    "--column {spec:?}: unknown role {role:?}; roles are {}",
                    roles.join(", ")
                ))
            })?;
            pairs.push((role, column.trim().to_string()));
        }
        Ok(ColumnMapping { pairs })
    }
}

/// For each role, the index of the input column that holds it (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    indices: [Option<usize>; 8],
}

impl ColumnMap {
    /// Resolves roles against a header. `sheet` only improves messages.
    pub fn resolve(
        header: &[String],
        mapping: &ColumnMapping,
        path: &Path,
        sheet: Option<&str>,
    ) -> Result<Self> {
        let normalised: Vec<String> = header.iter().map(|h| normalise(h)).collect();
        let mut indices = [None; 8];
        for (slot, role) in indices.iter_mut().zip(Role::ALL) {
            *slot = role
                .known_names()
                .iter()
                .find_map(|name| normalised.iter().position(|h| h == name));
        }
        for (role, column) in &mapping.pairs {
            let wanted = normalise(column);
            let index = header
                .iter()
                .position(|h| h.trim() == column)
                .or_else(|| normalised.iter().position(|h| *h == wanted))
                .ok_or_else(|| Error::MappedColumnAbsent {
                    path: path.to_path_buf(),
                    column: column.clone(),
                    found: quoted_list(header),
                })?;
            indices[role_index(*role)] = Some(index);
        }
        for role in Role::ALL.into_iter().filter(|r| r.required()) {
            if indices[role_index(role)].is_none() {
                return Err(Error::MissingColumn {
                    path: path.to_path_buf(),
                    sheet: sheet.map(str::to_string),
                    role: role.key(),
                    expected: role.display_names().to_string(),
                    found: quoted_list(header),
                });
            }
        }
        Ok(ColumnMap { indices })
    }

    /// The input column index of a role.
    pub fn get(&self, role: Role) -> Option<usize> {
        self.indices[role_index(role)]
    }

    /// The header name of a role's column, for messages.
    pub fn name<'a>(&self, role: Role, header: &'a [String]) -> &'a str {
        self.get(role)
            .and_then(|i| header.get(i))
            .map(String::as_str)
            .unwrap_or("")
    }
}

fn role_index(role: Role) -> usize {
    Role::ALL
        .iter()
        .position(|r| *r == role)
        .expect("every role is in Role::ALL")
}

/// The header's names for a message: each cut to [`SHOWN_NAME_CHARS`] characters, and
/// at most [`SHOWN_NAMES`] of them, so that a damaged file (one 16 MiB line read as
/// its header) still gives a one-line message.
fn quoted_list(header: &[String]) -> String {
    let mut names: Vec<String> = header
        .iter()
        .take(SHOWN_NAMES)
        .map(|h| {
            let name = h.trim();
            match name.char_indices().nth(SHOWN_NAME_CHARS) {
                Some((cut, _)) => format!("{:?}... ({} bytes)", &name[..cut], name.len()),
                None => format!("{name:?}"),
            }
        })
        .collect();
    if header.len() > SHOWN_NAMES {
        names.push(format!("and {} more", header.len() - SHOWN_NAMES));
    }
    names.join(", ")
}

const SHOWN_NAMES: usize = 40;
const SHOWN_NAME_CHARS: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn online_retail_ii_names_are_recognised() {
        let h = header(&[
            "Invoice",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "Price",
            "Customer ID",
            "Country",
        ]);
        let map = ColumnMap::resolve(&h, &ColumnMapping::default(), Path::new("x"), None).unwrap();
        assert_eq!(map.get(Role::Customer), Some(6));
        assert_eq!(map.get(Role::Price), Some(5));
    }

    #[test]
    fn online_retail_i_names_in_any_order_and_case() {
        let h = header(&[
            "country",
            "CUSTOMERID",
            "unit_price",
            "InvoiceNo",
            "invoice date",
            "Quantity",
            "Stock Code",
        ]);
        let map = ColumnMap::resolve(&h, &ColumnMapping::default(), Path::new("x"), None).unwrap();
        assert_eq!(map.get(Role::Customer), Some(1));
        assert_eq!(map.get(Role::Price), Some(2));
        assert_eq!(map.get(Role::Invoice), Some(3));
        assert_eq!(map.get(Role::InvoiceDate), Some(4));
        assert_eq!(map.get(Role::Description), None);
    }

    #[test]
    fn a_missing_customer_column_names_what_was_expected_and_found() {
        let h = header(&["Invoice", "Quantity", "InvoiceDate", "Price", "client"]);
        let err = ColumnMap::resolve(&h, &ColumnMapping::default(), Path::new("orders.csv"), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("orders.csv"), "{err}");
        assert!(err.contains("Customer ID / CustomerID"), "{err}");
        assert!(err.contains("\"client\""), "{err}");
        assert!(err.contains("--column customer=NAME"), "{err}");
    }

    #[test]
    fn a_huge_damaged_header_gives_a_short_message() {
        let mut h = vec!["\0".repeat(16 << 20)];
        h.extend((0..1000).map(|i| format!("column {i}")));
        let err = ColumnMap::resolve(&h, &ColumnMapping::default(), Path::new("x.csv"), None)
            .unwrap_err()
            .to_string();
        assert!(err.len() < 2000, "{} bytes", err.len());
        assert!(err.contains("(16777216 bytes)"), "{err}");
        assert!(err.contains("\"column 38\", and 961 more"), "{err}");
    }

    #[test]
    fn an_explicit_mapping_wins() {
        let h = header(&["order", "qty", "when", "unit", "cust_id"]);
        let mapping = ColumnMapping::parse(&[
            "invoice=order".into(),
            "quantity=qty".into(),
            "invoice_date=when".into(),
            "price=unit".into(),
            "customer=cust_id".into(),
        ])
        .unwrap();
        let map = ColumnMap::resolve(&h, &mapping, Path::new("x"), None).unwrap();
        assert_eq!(map.get(Role::Customer), Some(4));
        assert!(ColumnMapping::parse(&["buyer=cust_id".into()]).is_err());
        assert!(ColumnMapping::parse(&["customer".into()]).is_err());
    }
}
