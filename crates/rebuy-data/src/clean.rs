//! The cleaning rules, each counted.
//!
//! Lines are typed and filtered by the row-level rules in batches (`TypedBatch`; for
//! CSV on several threads), then merged in input order (`Cleaner::merge`), where the
//! duplicate rule runs: the result is the same as applying the rules line by line.
//!
//! Decision (merging `rebuy convert` into the parallel cleaning): readers deliver lines
//! to a [`LineSink`]. Each line is typed once, by [`RawLine::of`], which both
//! [`TypedBatch::push`] (the rules) and `convert`'s raw-line writer build on. A sink
//! that is a [`Cleaner`] gets the parallel pipeline (CSV chunks typed into batches on
//! the workers, merged in order); any other sink (`convert`, not the hot path) takes
//! the lines one by one on the reading thread, through the same per-record code.
//!
//! Order (a line is counted under the first rule that removes it): unreadable value
//! (including a quantity, price or quantity x price beyond
//! [`crate::parse::MAX_ABS_VALUE`], and a text value longer than its cap,
//! [`CleaningRules::max_bytes`]), a date after the day after the day of the run,
//! missing customer id, non-product stock code, price <= 0, quantity <= 0 on a sale
//! (or 0 on a cancellation), exact duplicate of an earlier kept line. Cancellations
//! (invoice starting with `C`) that pass are kept aside as the customer's returns.
//!
//! Kept lines stay in memory up to the memory budget; past it they are spilled to disk
//! by customer (`crate::spill`) and the duplicate rule finishes per customer partition
//! when cleaning ends (`Transactions::finish`), with the same count.

use crate::duplicates;
use crate::error::{Error, Result};
use crate::intern::Interner;
use crate::parse::{self, DayOrder, MAX_ABS_VALUE, TIMESTAMP_FORMS, VALUE_RANGE};
use crate::quality::{FutureDates, MAX_PARSE_ISSUES, ParseIssue, Rule};
use crate::schema::Role;
use crate::spill::{BYTES_PER_KEPT_LINE, DEFAULT_MEMORY_BUDGET, RawPartitions};
use crate::transactions::format_timestamp;
use chrono::NaiveDate;
use std::borrow::Cow;
use std::fmt;
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

/// The longest invoice, stock code, customer id or country kept, in bytes (UTF-8).
/// Real ones are a few dozen bytes; the cap keeps a damaged or hostile file's huge
/// values (a 1 MB customer id) out of the tables and out of memory.
pub const DEFAULT_MAX_FIELD_BYTES: usize = 256;

/// The longest description kept, in bytes (real ones are under a hundred).
pub const DEFAULT_MAX_DESCRIPTION_BYTES: usize = 4096;

/// Settings of the cleaning rules.
#[derive(Debug, Clone)]
pub struct CleaningRules {
    non_product_exact: Vec<String>,
    non_product_prefix: Vec<String>,
    /// Whether a stock code starting with this byte can be a non-product code (most
    /// codes start with a digit: one table look-up instead of a dozen comparisons).
    non_product_start: [bool; 256],
    /// How `1/12/2010` is read.
    pub day_order: DayOrder,
    /// Any unreadable value stops the run with its location.
    pub strict: bool,
    /// A line whose invoice, stock code, customer id or country (trimmed) is longer
    /// than this many bytes is `unparseable` ([`DEFAULT_MAX_FIELD_BYTES`] unless set).
    pub max_field_bytes: usize,
    /// The same for the description ([`DEFAULT_MAX_DESCRIPTION_BYTES`] unless set).
    pub max_description_bytes: usize,
    /// The day of the run; lines dated after the next day are `future_date`.
    today: NaiveDate,
    /// Seconds since 1970 of the first moment counted as the future: the start of the
    /// second day after `today`.
    future_from: i64,
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
        let mut non_product_start = [false; 256];
        if prefix.iter().any(String::is_empty) {
            non_product_start = [true; 256];
        }
        for code in exact.iter().chain(&prefix) {
            if let Some(&first) = code.as_bytes().first() {
                non_product_start[usize::from(first.to_ascii_uppercase())] = true;
                non_product_start[usize::from(first.to_ascii_lowercase())] = true;
            }
        }
        CleaningRules {
            non_product_exact: exact,
            non_product_prefix: prefix,
            non_product_start,
            day_order,
            strict,
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
            max_description_bytes: DEFAULT_MAX_DESCRIPTION_BYTES,
            today: NaiveDate::MIN,
            future_from: 0,
        }
        .with_today(chrono::Utc::now().date_naive())
    }

    /// Sets the day of the run (the clock's day in UTC unless set): lines dated after
    /// the day after it are removed as `future_date`. The day of slack covers a clock in
    /// any time zone, since invoice dates are local times without one.
    pub fn with_today(mut self, today: NaiveDate) -> Self {
        self.today = today;
        self.future_from = self
            .first_future_day()
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map_or(i64::MAX, |moment| moment.and_utc().timestamp());
        self
    }

    /// The last day a line may be dated: the day after the day of the run.
    pub fn latest_allowed_day(&self) -> NaiveDate {
        self.today.succ_opt().unwrap_or(NaiveDate::MAX)
    }

    /// The first day counted as the future (two days after the day of the run); `None`
    /// when no date is that late.
    pub fn first_future_day(&self) -> Option<NaiveDate> {
        self.today.checked_add_days(chrono::Days::new(2))
    }

    /// Whether a line of this invoice date (seconds since 1970) is dated in the future.
    fn is_future(&self, timestamp: i64) -> bool {
        timestamp >= self.future_from
    }

    /// The non-product stock codes matched exactly (upper case), and the prefixes of
    /// those given with a trailing `*`: for engines that apply the rule themselves.
    pub fn non_product_codes(&self) -> (&[String], &[String]) {
        (&self.non_product_exact, &self.non_product_prefix)
    }

    /// The longest value of a text role, in bytes, and the option that sets it. A
    /// number or a date that long cannot be read anyway.
    pub fn max_bytes(&self, role: Role) -> (usize, &'static str) {
        match role {
            Role::Description => (self.max_description_bytes, "--max-description-bytes"),
            _ => (self.max_field_bytes, "--max-field-bytes"),
        }
    }

    fn is_non_product(&self, stock_code: &str) -> bool {
        let code = stock_code.trim_ascii();
        if let Some(&first) = code.as_bytes().first()
            && !self.non_product_start[usize::from(first)]
        {
            return false;
        }
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
    pub(crate) fn len(&self) -> usize {
        self.customer.len()
    }

    /// Whether lines `i` and `j` are equal in all eight fields.
    pub(crate) fn same_line(&self, i: usize, j: usize) -> bool {
        self.invoice[i] == self.invoice[j]
            && self.stock_code[i] == self.stock_code[j]
            && self.description[i] == self.description[j]
            && self.customer[i] == self.customer[j]
            && self.country[i] == self.country[j]
            && self.timestamp[i] == self.timestamp[j]
            && self.quantity[i].to_bits() == self.quantity[j].to_bits()
            && self.price[i].to_bits() == self.price[j].to_bits()
    }

    /// Keeps the lines whose `drop` entry is false, in order.
    pub(crate) fn retain(&mut self, drop: &[bool]) {
        fn keep<T>(column: &mut Vec<T>, drop: &[bool]) {
            let mut drop = drop.iter();
            column.retain(|_| !matches!(drop.next(), Some(true)));
        }
        keep(&mut self.customer, drop);
        keep(&mut self.invoice, drop);
        keep(&mut self.stock_code, drop);
        keep(&mut self.description, drop);
        keep(&mut self.country, drop);
        keep(&mut self.timestamp, drop);
        keep(&mut self.quantity, drop);
        keep(&mut self.price, drop);
        keep(&mut self.is_return, drop);
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
    /// Hash of the eight fields (the strings by their text, so it holds whichever
    /// interner names them): the duplicate rule's key, made on the typing worker.
    key: u64,
}

/// The text fields of the lines, interned.
#[derive(Debug, Default)]
pub(crate) struct Strings {
    pub invoices: Interner,
    pub stock_codes: Interner,
    pub descriptions: Interner,
    pub customers: Interner,
    pub countries: Interner,
}

impl Strings {
    /// The duplicate rule's key of a line whose strings are these interners' ids
    /// `[invoice, stock code, description, customer, country]`: made from the strings'
    /// text hashes, so a line gets the same key whichever interners name its strings.
    fn line_key(&self, ids: [u32; 5], timestamp: i64, quantity: f64, price: f64) -> u64 {
        let parts = [
            self.invoices.hash_of(ids[0]),
            self.stock_codes.hash_of(ids[1]),
            self.descriptions.hash_of(ids[2]),
            self.customers.hash_of(ids[3]),
            self.countries.hash_of(ids[4]),
            timestamp as u64,
            quantity.to_bits(),
            price.to_bits(),
        ];
        let mut bytes = [0u8; 64];
        for (chunk, part) in bytes.chunks_exact_mut(8).zip(parts) {
            chunk.copy_from_slice(&part.to_le_bytes());
        }
        xxhash_rust::xxh3::xxh3_64(&bytes)
    }

    /// The keys of the lines of `columns` (lines read back from the spill files).
    pub(crate) fn keys_of(&self, columns: &Columns) -> Vec<u64> {
        (0..columns.len())
            .map(|i| {
                let ids = [
                    columns.invoice[i],
                    columns.stock_code[i],
                    columns.description[i],
                    columns.customer[i],
                    columns.country[i],
                ];
                self.line_key(
                    ids,
                    columns.timestamp[i],
                    columns.quantity[i],
                    columns.price[i],
                )
            })
            .collect()
    }

    /// Adds the strings of a batch (in its id order, so that new ids are given in
    /// order of first occurrence, as if the batch's lines had been interned here one
    /// by one) and rewrites the batch's lines to these ids.
    fn absorb(&mut self, batch: Strings, lines: &mut [TypedLine]) {
        let invoices = self.invoices.absorb(&batch.invoices);
        let stock_codes = self.stock_codes.absorb(&batch.stock_codes);
        let descriptions = self.descriptions.absorb(&batch.descriptions);
        let customers = self.customers.absorb(&batch.customers);
        let countries = self.countries.absorb(&batch.countries);
        for line in lines {
            line.invoice = invoices[line.invoice as usize];
            line.stock_code = stock_codes[line.stock_code as usize];
            line.description = descriptions[line.description as usize];
            line.customer = customers[line.customer as usize];
            line.country = countries[line.country as usize];
        }
    }
}

/// Where readers deliver lines: the [`Cleaner`] of a run, a [`TypedBatch`] being filled
/// on a worker, or the raw-line writer of `convert`.
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

    /// Takes a line that cannot be split into fields (too few or too many fields,
    /// broken quoting). `lines` is the number of the file's lines it stands for: 1, or
    /// more when a quote that is never closed took the lines after it.
    fn reject_line(&mut self, location: Location<'_>, detail: String, lines: u64) -> Result<()>;

    /// Lines taken so far.
    fn lines_read(&self) -> u64;

    /// The cleaner behind this sink, if any: the CSV reader then types chunks of
    /// records into [`TypedBatch`]es on the rayon workers and merges them in input
    /// order. A sink without one (`convert`'s writer, not the hot path) takes the
    /// lines one by one on the reading thread.
    fn cleaner(&mut self) -> Option<&mut Cleaner> {
        None
    }
}

/// A [`TypedBatch`] being filled on a worker, with the rules it applies.
pub(crate) struct BatchTyping<'r> {
    pub rules: &'r CleaningRules,
    pub batch: TypedBatch,
}

impl LineSink for BatchTyping<'_> {
    fn push(
        &mut self,
        fields: &[Field<'_>; 8],
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
        decimal_comma: bool,
    ) -> Result<()> {
        self.batch
            .push(self.rules, fields, location, column_name, decimal_comma)
    }

    fn reject_line(&mut self, location: Location<'_>, detail: String, lines: u64) -> Result<()> {
        self.batch.reject_line(self.rules, location, detail, lines)
    }

    fn lines_read(&self) -> u64 {
        self.batch.lines_read
    }
}

/// Lines typed and filtered by the row-level rules (all but the duplicate rule), with
/// their counts and their first unreadable values. A batch needs no other line, so
/// batches are typed on several threads; [`Cleaner::merge`] then takes them in input
/// order and gives exactly what typing every line in order would have given.
#[derive(Debug, Default)]
pub(crate) struct TypedBatch {
    lines_read: u64,
    dropped: [u64; Rule::ALL.len()],
    issues: Vec<ParseIssue>,
    future: FutureSeen,
    strings: Strings,
    lines: Vec<TypedLine>,
}

/// The lines the `future_date` rule removed, beyond their count.
#[derive(Debug, Default)]
pub(crate) struct FutureSeen {
    /// The latest invoice date among them (seconds since 1970).
    pub latest: Option<i64>,
    /// The first ones (at most [`MAX_PARSE_ISSUES`]).
    pub examples: Vec<ParseIssue>,
}

impl FutureSeen {
    /// Adds what a later batch saw.
    fn merge(&mut self, later: FutureSeen) {
        self.latest = self.latest.max(later.latest);
        let room = MAX_PARSE_ISSUES.saturating_sub(self.examples.len());
        self.examples.extend(later.examples.into_iter().take(room));
    }
}

/// Why a line is not typed: a value that cannot be read, or a date in the future.
enum Refused {
    Unreadable(BadField),
    FutureDate(i64),
}

/// What a failed field read reports.
struct BadField {
    role: Role,
    value: String,
    expected: Cow<'static, str>,
}

impl TypedBatch {
    /// Lines seen by this batch.
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// Applies the row-level rules to one line, whose fields are given in
    /// [`Role::ALL`] order. `column_name` names a role's column for messages. Errors
    /// only in strict mode.
    pub fn push(
        &mut self,
        rules: &CleaningRules,
        fields: &[Field<'_>; 8],
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
        decimal_comma: bool,
    ) -> Result<()> {
        self.lines_read += 1;
        match self.type_line(rules, fields, decimal_comma) {
            Ok(Some(line)) => self.lines.push(line),
            Ok(None) => {}
            Err(Refused::Unreadable(bad)) => {
                self.record_unparseable(rules, bad, location, column_name)?
            }
            Err(Refused::FutureDate(timestamp)) => {
                self.record_future(rules, fields, timestamp, location, column_name)
            }
        }
        Ok(())
    }

    /// Counts a line that cannot be split into fields (too few fields, broken
    /// quoting) as unreadable. Errors only in strict mode.
    pub fn reject_line(
        &mut self,
        rules: &CleaningRules,
        location: Location<'_>,
        detail: String,
        lines: u64,
    ) -> Result<()> {
        self.lines_read += lines;
        if rules.strict {
            return Err(strict_line_error(location, detail));
        }
        self.dropped[Rule::Unparseable.index()] += lines;
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

    fn count(&mut self, rule: Rule) {
        self.dropped[rule.index()] += 1;
    }

    /// Counts a line dated in the future, keeping the latest date and the first ones.
    fn record_future(
        &mut self,
        rules: &CleaningRules,
        fields: &[Field<'_>; 8],
        timestamp: i64,
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
    ) {
        self.count(Rule::FutureDate);
        self.future.latest = Some(self.future.latest.map_or(timestamp, |t| t.max(timestamp)));
        if self.future.examples.len() < MAX_PARSE_ISSUES {
            let field = fields[role_position(Role::InvoiceDate)];
            let expected = format!("a date on or before {}", rules.latest_allowed_day());
            let future = bad(Role::InvoiceDate, field, expected.into());
            self.future
                .examples
                .push(future.issue(location, column_name));
        }
    }

    fn record_unparseable(
        &mut self,
        rules: &CleaningRules,
        bad: BadField,
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
    ) -> Result<()> {
        let issue = bad.issue(location, column_name);
        if rules.strict {
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
        rules: &CleaningRules,
        fields: &[Field<'_>; 8],
        decimal_comma: bool,
    ) -> std::result::Result<Option<TypedLine>, Refused> {
        let raw = RawLine::of(fields, rules.day_order, decimal_comma);
        let (Some(invoice), Some(quantity), Some(price), Some(timestamp)) =
            (&raw.invoice, raw.quantity, raw.price, raw.timestamp)
        else {
            return Err(Refused::Unreadable(raw.first_bad(fields)));
        };
        if !amount_in_range(quantity, price) {
            return Err(Refused::Unreadable(raw.first_bad(fields)));
        }
        if let Some(overlong) = raw.overlong(rules, fields) {
            return Err(Refused::Unreadable(overlong));
        }
        if rules.is_future(timestamp) {
            return Err(Refused::FutureDate(timestamp));
        }
        let Some(customer) = &raw.customer else {
            self.count(Rule::MissingCustomerId);
            return Ok(None);
        };
        let stock_code = raw.stock_code.as_deref().unwrap_or_default();
        if rules.is_non_product(stock_code) {
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
        let strings = &mut self.strings;
        let invoice = strings.invoices.intern(invoice);
        let stock_code = strings.stock_codes.intern(stock_code.trim_ascii());
        let description = strings.descriptions.intern(description.trim_ascii());
        let customer = strings.customers.intern(customer);
        let country = strings.countries.intern(country.trim_ascii());
        let quantity = quantity.abs();
        let ids = [invoice, stock_code, description, customer, country];
        let key = strings.line_key(ids, timestamp, quantity, price);
        Ok(Some(TypedLine {
            invoice,
            stock_code,
            description,
            customer,
            country,
            timestamp,
            quantity,
            price,
            is_return,
            key,
        }))
    }
}

/// Lines a reader pushes one by one are typed in batches of this many.
const PENDING_LINES: u64 = 8192;

/// Applies the rules to the lines readers deliver and keeps the survivors.
#[derive(Debug)]
pub struct Cleaner {
    rules: CleaningRules,
    pub(crate) lines_read: u64,
    pub(crate) dropped: [u64; Rule::ALL.len()],
    pub(crate) issues: Vec<ParseIssue>,
    pub(crate) future: FutureSeen,
    pub(crate) strings: Strings,
    pub(crate) columns: Columns,
    /// Each kept line's duplicate key ([`TypedLine::key`]); the duplicate rule is
    /// applied once all lines are in ([`Cleaner::remove_duplicates`], or per spilled
    /// partition).
    keys: Vec<u64>,
    /// Kept lines are spilled to disk when there are this many in memory.
    max_kept_lines: usize,
    /// The kept lines spilled so far, by customer; `None` while they fit in memory.
    pub(crate) spilled: Option<RawPartitions>,
    /// Lines given to [`Cleaner::push`] and not merged yet.
    pending: TypedBatch,
}

impl LineSink for Cleaner {
    /// Applies the row-level rules to one line (in the pending batch, merged every
    /// [`PENDING_LINES`] lines).
    fn push(
        &mut self,
        fields: &[Field<'_>; 8],
        location: Location<'_>,
        column_name: &dyn Fn(Role) -> String,
        decimal_comma: bool,
    ) -> Result<()> {
        self.pending
            .push(&self.rules, fields, location, column_name, decimal_comma)?;
        if self.pending.lines_read >= PENDING_LINES {
            self.flush()?;
        }
        Ok(())
    }

    /// Counts a line that cannot be split into fields as unreadable.
    fn reject_line(&mut self, location: Location<'_>, detail: String, lines: u64) -> Result<()> {
        self.pending
            .reject_line(&self.rules, location, detail, lines)
    }

    fn lines_read(&self) -> u64 {
        self.lines_read + self.pending.lines_read
    }

    fn cleaner(&mut self) -> Option<&mut Cleaner> {
        Some(self)
    }
}

impl Cleaner {
    pub fn new(rules: CleaningRules) -> Self {
        Cleaner {
            rules,
            lines_read: 0,
            dropped: [0; Rule::ALL.len()],
            issues: Vec::new(),
            future: FutureSeen::default(),
            strings: Strings::default(),
            columns: Columns::default(),
            keys: Vec::new(),
            max_kept_lines: DEFAULT_MEMORY_BUDGET / BYTES_PER_KEPT_LINE,
            spilled: None,
            pending: TypedBatch::default(),
        }
    }

    /// Keeps at most about `bytes` of clean lines in memory: beyond that they are
    /// spilled to temporary files by customer (default [`DEFAULT_MEMORY_BUDGET`]).
    pub fn with_memory_budget(mut self, bytes: usize) -> Self {
        self.max_kept_lines = (bytes / BYTES_PER_KEPT_LINE).max(1);
        self
    }

    pub fn rules(&self) -> &CleaningRules {
        &self.rules
    }

    /// The report's account of the `future_date` rule, when it removed any line.
    pub(crate) fn future_dates(&self) -> Option<FutureDates> {
        let latest = self.future.latest?;
        Some(FutureDates {
            latest_allowed: self.rules.latest_allowed_day().to_string(),
            latest_seen: format_timestamp(latest),
            examples: self.future.examples.clone(),
        })
    }

    /// Merges the lines given to [`Cleaner::push`] so far.
    pub(crate) fn flush(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.merge(pending)
    }

    /// Takes a batch typed elsewhere, after all the lines before it: adds its counts,
    /// its first issues and its lines.
    pub(crate) fn merge(&mut self, batch: TypedBatch) -> Result<()> {
        let TypedBatch {
            lines_read,
            dropped,
            issues,
            future,
            strings,
            mut lines,
        } = batch;
        self.lines_read += lines_read;
        for (total, count) in self.dropped.iter_mut().zip(dropped) {
            *total += count;
        }
        let room = MAX_PARSE_ISSUES.saturating_sub(self.issues.len());
        self.issues.extend(issues.into_iter().take(room));
        self.future.merge(future);
        self.strings.absorb(strings, &mut lines);
        if u32::try_from(self.columns.len() + lines.len()).is_err() {
            return Err(Error::Config(
                "more than 4 billion clean lines in one run".to_string(),
            ));
        }
        // Once lines go to disk, their keys are made again per partition at the end
        // (`Strings::keys_of`): keeping them here would only hold memory.
        let keep_keys = self.spilled.is_none();
        for line in &lines {
            self.columns.push(line);
            if keep_keys {
                self.keys.push(line.key);
            }
        }
        if self.columns.len() >= self.max_kept_lines {
            self.spill()?;
        }
        Ok(())
    }

    /// Applies the duplicate rule to the lines in memory (once, after the last merge,
    /// when nothing was spilled).
    pub(crate) fn remove_duplicates(&mut self) {
        let keys = std::mem::take(&mut self.keys);
        self.dropped[Rule::Duplicate.index()] +=
            duplicates::remove_exact_duplicates(&mut self.columns, keys);
    }

    /// Moves the kept lines to the spill files, duplicates included: the rule is
    /// applied per partition when cleaning ends, with keys made again from the run's
    /// interners ([`Strings::keys_of`]).
    pub(crate) fn spill(&mut self) -> Result<()> {
        let spilled = match &mut self.spilled {
            Some(spilled) => spilled,
            None => self.spilled.insert(RawPartitions::create()?),
        };
        self.keys = Vec::new();
        spilled.write(std::mem::take(&mut self.columns))
    }
}

/// A line typed field by field, before any rule: `None` where a value is absent or
/// cannot be read. The cleaning rules ([`TypedBatch::push`]) and `convert` both start
/// from it, so a converted file holds exactly what the rules would have seen.
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
    /// them (invoice, quantity, price, quantity x price, date); `None` when all were read.
    fn bad_role(&self) -> Option<(Role, Cow<'static, str>)> {
        let (quantity, price) = match (self.invoice.as_ref(), self.quantity, self.price) {
            (None, _, _) => return Some((Role::Invoice, "an invoice number".into())),
            (_, None, _) => return Some((Role::Quantity, VALUE_RANGE.into())),
            (_, _, None) => return Some((Role::Price, VALUE_RANGE.into())),
            (_, Some(quantity), Some(price)) => (quantity, price),
        };
        if !amount_in_range(quantity, price) {
            let expected = format!(
                "a price whose product with the quantity {quantity:e} is from -1e15 to 1e15"
            );
            Some((Role::Price, expected.into()))
        } else if self.timestamp.is_none() {
            Some((Role::InvoiceDate, TIMESTAMP_FORMS.into()))
        } else {
            None
        }
    }

    /// The first text value (in role order) longer than its cap,
    /// [`CleaningRules::max_bytes`]: the line is `unparseable`.
    fn overlong(&self, rules: &CleaningRules, fields: &[Field<'_>; 8]) -> Option<BadField> {
        let texts = [
            (Role::Invoice, &self.invoice),
            (Role::StockCode, &self.stock_code),
            (Role::Description, &self.description),
            (Role::Customer, &self.customer),
            (Role::Country, &self.country),
        ];
        texts.into_iter().find_map(|(role, text)| {
            let length = text.as_deref()?.trim_ascii().len();
            let (limit, option) = rules.max_bytes(role);
            (length > limit).then(|| {
                let expected = format!("at most {limit} bytes ({option}), not {length}");
                bad(role, fields[role_position(role)], expected.into())
            })
        })
    }

    /// Whether a required value could not be read (the line is `unparseable`).
    pub(crate) fn is_unreadable(&self) -> bool {
        self.bad_role().is_some()
    }

    fn first_bad(&self, fields: &[Field<'_>; 8]) -> BadField {
        let (role, expected) = self
            .bad_role()
            .unwrap_or((Role::Invoice, "an invoice number".into()));
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
            expected: self.expected.into_owned(),
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

fn role_position(role: Role) -> usize {
    Role::ALL.iter().position(|r| *r == role).unwrap_or(0)
}

fn bad(role: Role, field: Field<'_>, expected: Cow<'static, str>) -> BadField {
    let value = match field {
        Field::Empty => String::new(),
        Field::Text(t) => t.chars().take(80).collect(),
        Field::Int(i) => i.to_string(),
        Field::Float(f) => f.to_string(),
        Field::Timestamp(t) => format_timestamp(t),
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

/// A quantity or price, `None` when it is not a number or beyond [`MAX_ABS_VALUE`].
fn number_of(field: Field<'_>, decimal_comma: bool) -> Option<f64> {
    let value = match field {
        Field::Text(t) => parse::parse_number(t, decimal_comma)?,
        Field::Int(i) => i as f64,
        Field::Float(f) => f,
        Field::Empty | Field::Timestamp(_) => return None,
    };
    // Also false for NaN and the infinities.
    (value.abs() <= MAX_ABS_VALUE).then_some(value)
}

/// Whether quantity x price is within [`MAX_ABS_VALUE`] (each of them already is).
fn amount_in_range(quantity: f64, price: f64) -> bool {
    (quantity * price).abs() <= MAX_ABS_VALUE
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_and_prices_up_to_the_bound_are_read() {
        let above = f64::from_bits(MAX_ABS_VALUE.to_bits() + 1);
        for (field, read) in [
            (Field::Text("1e15"), Some(1e15)),
            (Field::Text("-1000000000000000"), Some(-1e15)),
            (Field::Text("1000000000000001"), None),
            (Field::Text("1e308"), None),
            (Field::Text("1e400"), None),
            (Field::Float(above), None),
            (Field::Float(f64::NEG_INFINITY), None),
            (Field::Float(f64::NAN), None),
            (Field::Int(1_000_000_000_000_000), Some(1e15)),
            (Field::Int(i64::MIN), None),
        ] {
            assert_eq!(number_of(field, false), read, "{field:?}");
        }
        assert!(amount_in_range(1e15, 1.0) && amount_in_range(-1e5, 1e10));
        assert!(!amount_in_range(1e15, 1.01) && !amount_in_range(1e8, -1e8));
    }

    #[test]
    fn the_day_of_the_run_sets_where_the_future_starts() {
        let day = |text: &str| text.parse::<NaiveDate>().unwrap();
        let rules = CleaningRules::default().with_today(day("2024-02-28"));
        assert_eq!(rules.first_future_day(), Some(day("2024-03-01")));
        assert_eq!(rules.latest_allowed_day(), day("2024-02-29"));
        let at = |text: &str| parse::parse_timestamp(text, DayOrder::default()).unwrap();
        assert!(!rules.is_future(at("2024-02-29 23:59:59")));
        assert!(rules.is_future(at("2024-03-01 00:00:00")));
        let last = CleaningRules::default().with_today(NaiveDate::MAX);
        assert!(!last.is_future(i64::MAX - 1));
    }

    #[test]
    fn non_product_codes_match_in_any_case_exactly_or_by_prefix() {
        let rules = CleaningRules::new(["POST", "m", "TEST*"], DayOrder::default(), false);
        for code in [
            "POST", "post", " Post ", "M", "m", "TEST001", "test", "tEsT-9",
        ] {
            assert!(rules.is_non_product(code), "{code:?} is a non-product code");
        }
        for code in ["85123A", "POSTAGE", "MM", "", "22423", "TES", "ÉPOST"] {
            assert!(!rules.is_non_product(code), "{code:?} is a product");
        }
        let everything = CleaningRules::new(["*"], DayOrder::default(), false);
        assert!(everything.is_non_product("85123A") && everything.is_non_product(""));
    }
}
