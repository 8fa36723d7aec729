//! The cleaning rules, applied line by line as readers deliver them, each counted.
//!
//! Order (a line is counted under the first rule that removes it): unreadable value,
//! missing customer id, non-product stock code, price <= 0, quantity <= 0 on a sale
//! (or 0 on a cancellation), exact duplicate of an earlier kept line. Cancellations
//! (invoice starting with `C`) that pass are kept aside as the customer's returns.

use crate::error::{Error, Result};
use crate::intern::Interner;
use crate::parse::{self, DayOrder, TIMESTAMP_FORMS};
use crate::quality::{MAX_PARSE_ISSUES, ParseIssue, Rule};
use crate::schema::Role;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::borrow::Cow;
use std::fmt;
use std::hash::BuildHasher;
use std::path::Path;

/// Stock codes that are charges, fees or adjustments rather than products (matched
/// case-insensitively; a trailing `*` matches any code with that prefix).
pub const DEFAULT_NON_PRODUCT_CODES: &[&str] = &[
    "POST",
    "DOT",
    "M",
    "C2",
    "D",
    "S",
    "B",
    "CRUK",
    "PADS",
    "BANK CHARGES",
    "AMAZONFEE",
    "ADJUST",
    "ADJUST2",
    "TEST*",
];

/// Settings of the cleaning rules.
#[derive(Debug, Clone)]
pub struct CleaningRules {
    non_product_exact: Vec<String>,
    non_product_prefix: Vec<String>,
    /// How `1/12/2010` is read.
    pub day_order: DayOrder,
    /// Any unreadable value stops the run with its location.
    pub strict: bool,
}

impl Default for CleaningRules {
    fn default() -> Self {
        Self::new(
            DEFAULT_NON_PRODUCT_CODES.iter().copied(),
            DayOrder::default(),
            false,
        )
    }
}

impl CleaningRules {
    pub fn new<'a>(
        non_product_codes: impl IntoIterator<Item = &'a str>,
        day_order: DayOrder,
        strict: bool,
    ) -> Self {
        let (mut exact, mut prefix) = (Vec::new(), Vec::new());
        for code in non_product_codes {
            let code = code.trim().to_ascii_uppercase();
            match code.strip_suffix('*') {
                Some(p) => prefix.push(p.to_string()),
                None => exact.push(code),
            }
        }
        CleaningRules {
            non_product_exact: exact,
            non_product_prefix: prefix,
            day_order,
            strict,
        }
    }

    /// The non-product stock codes matched exactly (upper case), and the prefixes of
    /// those given with a trailing `*`: for engines that apply the rule themselves.
    pub fn non_product_codes(&self) -> (&[String], &[String]) {
        (&self.non_product_exact, &self.non_product_prefix)
    }

    fn is_non_product(&self, stock_code: &str) -> bool {
        let code = stock_code.trim_ascii();
        self.non_product_exact
            .iter()
            .any(|c| c.eq_ignore_ascii_case(code))
            || self
                .non_product_prefix
                .iter()
                .any(|p| code.len() >= p.len() && code[..p.len()].eq_ignore_ascii_case(p))
    }
}

/// One field as a reader delivers it, before it is typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    Empty,
    Text(&'a str),
    Int(i64),
    Float(f64),
    /// Seconds since 1970-01-01, no time zone.
    Timestamp(i64),
}

/// Where a line came from, for messages: `orders.csv line 12` or
/// `book.xlsx sheet "Year 2010-2011" row 12`.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    pub path: &'a Path,
    pub sheet: Option<&'a str>,
    pub line: u64,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.sheet {
            Some(sheet) => write!(
                f,
                "{} sheet {sheet:?} row {}",
                self.path.display(),
                self.line
            ),
            None => write!(f, "{} line {}", self.path.display(), self.line),
        }
    }
}

/// The clean lines, columnar; strings are ids into the interners of [`Cleaner`].
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub customer: Vec<u32>,
    pub invoice: Vec<u32>,
    pub stock_code: Vec<u32>,
    pub description: Vec<u32>,
    pub country: Vec<u32>,
    pub timestamp: Vec<i64>,
    pub quantity: Vec<f64>,
    pub price: Vec<f64>,
    pub is_return: Vec<bool>,
}

impl Columns {
    fn len(&self) -> usize {
        self.customer.len()
    }

    fn same_line(&self, i: usize, line: &TypedLine) -> bool {
        self.invoice[i] == line.invoice
            && self.stock_code[i] == line.stock_code
            && self.description[i] == line.description
            && self.customer[i] == line.customer
            && self.country[i] == line.country
            && self.timestamp[i] == line.timestamp
            && self.quantity[i].to_bits() == line.quantity.to_bits()
            && self.price[i].to_bits() == line.price.to_bits()
    }

    fn push(&mut self, line: &TypedLine) {
        self.customer.push(line.customer);
        self.invoice.push(line.invoice);
        self.stock_code.push(line.stock_code);
        self.description.push(line.description);
        self.country.push(line.country);
        self.timestamp.push(line.timestamp);
        self.quantity.push(line.quantity);
        self.price.push(line.price);
        self.is_return.push(line.is_return);
    }
}

/// A line that passed the row-level rules, its strings interned.
#[derive(Debug)]
struct TypedLine {
    invoice: u32,
    stock_code: u32,
    description: u32,
    customer: u32,
    country: u32,
    timestamp: i64,
    quantity: f64,
    price: f64,
    is_return: bool,
}

impl TypedLine {
    fn hash_key(&self) -> (u32, u32, u32, u32, u32, i64, u64, u64) {
        (
            self.invoice,
            self.stock_code,
            self.description,
            self.customer,
            self.country,
            self.timestamp,
            self.quantity.to_bits(),
            self.price.to_bits(),
        )
    }
}

/// Where readers deliver lines: the [`Cleaner`] of a run, or the raw-line writer of
/// `convert`.
pub trait LineSink {
    /// Takes one line, whose fields are given in [`Role::ALL`] order. `column_name`
    /// names a role's column for messages. Errors only in strict mode (or on a write
    /// failure).
    fn push(
        &mut self,
        fields: &[Field<'_>; 8],
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
        decimal_comma: bool,
    ) -> Result<()>;

    /// Takes a line that cannot be split into fields (too few fields, broken quoting).
    fn reject_line(&mut self, location: Location<'_>, detail: String) -> Result<()>;

    /// Lines taken so far.
    fn lines_read(&self) -> u64;
}

/// Applies the rules to each line a reader pushes and keeps the survivors.
#[derive(Debug)]
pub struct Cleaner {
    rules: CleaningRules,
    pub(crate) lines_read: u64,
    pub(crate) dropped: [u64; Rule::ALL.len()],
    pub(crate) issues: Vec<ParseIssue>,
    pub(crate) invoices: Interner,
    pub(crate) stock_codes: Interner,
    pub(crate) descriptions: Interner,
    pub(crate) customers: Interner,
    pub(crate) countries: Interner,
    pub(crate) columns: Columns,
    seen: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl LineSink for Cleaner {
    /// Applies the rules to one line.
    fn push(
        &mut self,
        fields: &[Field<'_>; 8],
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
        decimal_comma: bool,
    ) -> Result<()> {
        self.lines_read += 1;
        let typed = match self.type_line(fields, decimal_comma) {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(()),
            Err(bad) => return self.record_unparseable(bad, location, column_name),
        };
        let hash = self.hasher.hash_one(typed.hash_key());
        let columns = &self.columns;
        if self
            .seen
            .find(hash, |&i| columns.same_line(i as usize, &typed))
            .is_some()
        {
            self.count(Rule::Duplicate);
            return Ok(());
        }
        let index = u32::try_from(self.columns.len())
            .map_err(|_| Error::Config("more than 4 billion clean lines in one run".to_string()))?;
        let (columns, hasher) = (&self.columns, &self.hasher);
        self.seen.insert_unique(hash, index, |&i| {
            hasher.hash_one(line_key(columns, i as usize))
        });
        self.columns.push(&typed);
        Ok(())
    }

    /// Counts a line that cannot be split into fields as unreadable.
    fn reject_line(&mut self, location: Location<'_>, detail: String) -> Result<()> {
        self.lines_read += 1;
        if self.rules.strict {
            return Err(strict_line_error(location, detail));
        }
        self.count(Rule::Unparseable);
        if self.issues.len() < MAX_PARSE_ISSUES {
            self.issues.push(ParseIssue {
                location: location.to_string(),
                column: "(whole line)".to_string(),
                value: String::new(),
                expected: detail,
            });
        }
        Ok(())
    }

    fn lines_read(&self) -> u64 {
        self.lines_read
    }
}

/// What a failed field read reports.
struct BadField {
    role: Role,
    value: String,
    expected: &'static str,
}

impl Cleaner {
    pub fn new(rules: CleaningRules) -> Self {
        Cleaner {
            rules,
            lines_read: 0,
            dropped: [0; Rule::ALL.len()],
            issues: Vec::new(),
            invoices: Interner::default(),
            stock_codes: Interner::default(),
            descriptions: Interner::default(),
            customers: Interner::default(),
            countries: Interner::default(),
            columns: Columns::default(),
            seen: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }

    pub fn rules(&self) -> &CleaningRules {
        &self.rules
    }

    fn count(&mut self, rule: Rule) {
        self.dropped[rule.index()] += 1;
    }

    fn record_unparseable(
        &mut self,
        bad: BadField,
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
    ) -> Result<()> {
        let issue = bad.issue(location, column_name);
        if self.rules.strict {
            return Err(strict_value_error(issue));
        }
        self.count(Rule::Unparseable);
        if self.issues.len() < MAX_PARSE_ISSUES {
            self.issues.push(issue);
        }
        Ok(())
    }

    /// Types a line and applies the row-level rules: `Ok(None)` when a rule drops it.
    fn type_line(
        &mut self,
        fields: &[Field<'_>; 8],
        decimal_comma: bool,
    ) -> std::result::Result<Option<TypedLine>, BadField> {
        let raw = RawLine::of(fields, self.rules.day_order, decimal_comma);
        let (Some(invoice), Some(quantity), Some(price), Some(timestamp)) =
            (&raw.invoice, raw.quantity, raw.price, raw.timestamp)
        else {
            return Err(raw.first_bad(fields));
        };
        let Some(customer) = &raw.customer else {
            self.count(Rule::MissingCustomerId);
            return Ok(None);
        };
        let stock_code = raw.stock_code.as_deref().unwrap_or_default();
        if self.rules.is_non_product(stock_code) {
            self.count(Rule::NonProductCode);
            return Ok(None);
        }
        if price <= 0.0 {
            self.count(Rule::PriceNotPositive);
            return Ok(None);
        }
        let invoice = invoice.trim_ascii();
        let is_return = invoice.starts_with(['C', 'c']);
        if quantity == 0.0 || (quantity < 0.0 && !is_return) {
            self.count(Rule::QuantityNotPositive);
            return Ok(None);
        }
        let description = raw.description.as_deref().unwrap_or_default();
        let country = raw.country.as_deref().unwrap_or_default();
        Ok(Some(TypedLine {
            invoice: self.invoices.intern(invoice),
            stock_code: self.stock_codes.intern(stock_code.trim_ascii()),
            description: self.descriptions.intern(description.trim_ascii()),
            customer: self.customers.intern(customer),
            country: self.countries.intern(country.trim_ascii()),
            timestamp,
            quantity: quantity.abs(),
            price,
            is_return,
        }))
    }
}

/// A line typed field by field, before any rule: `None` where a value is absent or
/// cannot be read. The cleaning rules and `convert` both start from it, so a
/// converted file holds exactly what the rules would have seen.
#[derive(Debug)]
pub(crate) struct RawLine<'a> {
    /// Not empty or blank.
    pub invoice: Option<Cow<'a, str>>,
    pub stock_code: Option<Cow<'a, str>>,
    pub description: Option<Cow<'a, str>>,
    pub quantity: Option<f64>,
    /// Seconds since 1970-01-01, no time zone.
    pub timestamp: Option<i64>,
    pub price: Option<f64>,
    /// Normalised (`13085.0` is `13085`); `None` when missing.
    pub customer: Option<Cow<'a, str>>,
    pub country: Option<Cow<'a, str>>,
}

impl<'a> RawLine<'a> {
    pub(crate) fn of(fields: &[Field<'a>; 8], day_order: DayOrder, decimal_comma: bool) -> Self {
        let field = |role: Role| fields[role_position(role)];
        RawLine {
            invoice: text_of(field(Role::Invoice)).filter(|t| !t.trim_ascii().is_empty()),
            stock_code: text_of(field(Role::StockCode)),
            description: text_of(field(Role::Description)),
            quantity: number_of(field(Role::Quantity), decimal_comma),
            timestamp: timestamp_of(field(Role::InvoiceDate), day_order),
            price: number_of(field(Role::Price), decimal_comma),
            customer: customer_of(field(Role::Customer)),
            country: text_of(field(Role::Country)),
        }
    }

    /// The first required value that could not be read, in the order the rules check
    /// them (invoice, quantity, price, date); `None` when all four were read.
    fn bad_role(&self) -> Option<(Role, &'static str)> {
        if self.invoice.is_none() {
            Some((Role::Invoice, "an invoice number"))
        } else if self.quantity.is_none() {
            Some((Role::Quantity, "a number"))
        } else if self.price.is_none() {
            Some((Role::Price, "a number"))
        } else if self.timestamp.is_none() {
            Some((Role::InvoiceDate, TIMESTAMP_FORMS))
        } else {
            None
        }
    }

    /// Whether a required value could not be read (the line is `unparseable`).
    pub(crate) fn is_unreadable(&self) -> bool {
        self.bad_role().is_some()
    }

    fn first_bad(&self, fields: &[Field<'_>; 8]) -> BadField {
        let (role, expected) = self
            .bad_role()
            .unwrap_or((Role::Invoice, "an invoice number"));
        bad(role, fields[role_position(role)], expected)
    }

    /// In strict mode, the error of the first unreadable value.
    pub(crate) fn strict_error(
        &self,
        fields: &[Field<'_>; 8],
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
    ) -> Option<Error> {
        self.is_unreadable()
            .then(|| strict_value_error(self.first_bad(fields).issue(location, column_name)))
    }
}

impl BadField {
    fn issue(self, location: Location<'_>, column_name: &dyn Fn(Role) -> String) -> ParseIssue {
        ParseIssue {
            location: location.to_string(),
            column: column_name(self.role),
            value: self.value,
            expected: self.expected.to_string(),
        }
    }
}

fn strict_value_error(issue: ParseIssue) -> Error {
    Error::BadValue {
        location: issue.location,
        column: issue.column,
        value: issue.value,
        expected: format!(
            "{} (--strict stops at the first unreadable value)",
            issue.expected
        ),
    }
}

/// In strict mode, the error of a line that cannot be split into fields.
pub(crate) fn strict_line_error(location: Location<'_>, detail: String) -> Error {
    Error::BadLine {
        location: location.to_string(),
        detail: format!("{detail} (--strict stops at the first unreadable line)"),
    }
}

fn line_key(columns: &Columns, i: usize) -> (u32, u32, u32, u32, u32, i64, u64, u64) {
    (
        columns.invoice[i],
        columns.stock_code[i],
        columns.description[i],
        columns.customer[i],
        columns.country[i],
        columns.timestamp[i],
        columns.quantity[i].to_bits(),
        columns.price[i].to_bits(),
    )
}

fn role_position(role: Role) -> usize {
    Role::ALL.iter().position(|r| *r == role).unwrap_or(0)
}

fn bad(role: Role, field: Field<'_>, expected: &'static str) -> BadField {
    let value = match field {
        Field::Empty => String::new(),
        Field::Text(t) => t.chars().take(80).collect(),
        Field::Int(i) => i.to_string(),
        Field::Float(f) => f.to_string(),
        Field::Timestamp(t) => t.to_string(),
    };
    BadField {
        role,
        value,
        expected,
    }
}

fn text_of(field: Field<'_>) -> Option<Cow<'_, str>> {
    match field {
        Field::Empty => None,
        Field::Text(t) => Some(Cow::Borrowed(t)),
        Field::Int(i) => Some(Cow::Owned(i.to_string())),
        Field::Float(f) => parse::customer_id_from_float(f).map(Cow::Owned),
        Field::Timestamp(t) => Some(Cow::Owned(t.to_string())),
    }
}

fn number_of(field: Field<'_>, decimal_comma: bool) -> Option<f64> {
    match field {
        Field::Text(t) => parse::parse_number(t, decimal_comma),
        Field::Int(i) => Some(i as f64),
        Field::Float(f) => f.is_finite().then_some(f),
        Field::Empty | Field::Timestamp(_) => None,
    }
}

fn timestamp_of(field: Field<'_>, order: DayOrder) -> Option<i64> {
    match field {
        Field::Text(t) => parse::parse_timestamp(t, order),
        Field::Timestamp(t) => Some(t),
        // A spreadsheet date cell that lost its date format is its serial number.
        Field::Float(f) => parse::excel_serial_to_timestamp(f),
        Field::Int(i) => parse::excel_serial_to_timestamp(i as f64),
        Field::Empty => None,
    }
}

fn customer_of(field: Field<'_>) -> Option<Cow<'_, str>> {
    match field {
        Field::Text(t) => parse::normalise_customer_id(t).map(Cow::Borrowed),
        Field::Float(f) => parse::customer_id_from_float(f).map(Cow::Owned),
        Field::Int(i) => Some(Cow::Owned(i.to_string())),
        Field::Empty | Field::Timestamp(_) => None,
    }
}
