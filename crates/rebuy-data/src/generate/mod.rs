//! Synthetic transactions in the shape of UCI Online Retail II.
//!
//! ```no_run
//! use rebuy_data::generate::{GenerateConfig, GenerateSize, generate_to_path};
//!
//! let config = GenerateConfig { size: GenerateSize::Lines(1_000_000), ..GenerateConfig::default() };
//! let summary = generate_to_path(&config, "transactions.csv.gz".as_ref(), &mut |_lines| {})?;
//! assert_eq!(summary.lines, 1_000_000);
//! # Ok::<(), rebuy_data::generate::GenerateError>(())
//! ```
//!
//! What makes the data realistic (numbers from the real 2009-2010 file):
//! customers follow a buy-till-you-die process with heterogeneous purchase
//! rates and dropout (see `customers`), join over the period, and buy
//! baskets of a median of about 15 lines from a catalogue of 4,200 products
//! with Zipf-like popularity and log-normal prices; November is the peak,
//! Saturdays and Christmas are quiet; about 20% of lines have no customer
//! id, 2% are cancellations (`C` invoices returning products the customer
//! bought), about 1% are exact duplicates, and fee lines (`POST`, `M`,
//! `BANK CHARGES`, `AMAZONFEE`, `D`) appear as in the real file. The United
//! Kingdom has about 92% of the customers; a customer keeps one country.
//!
//! Determinism: the output is a function of the configuration only (same
//! seed, same bytes). Customers and purchases each draw from their own
//! random stream, so customer 17 is the same customer whatever the size.
//!
//! Memory: the generator streams. It holds one record per simulated
//! customer (about 24 bytes) and one queue entry per customer and pending
//! cancellation (about 32 bytes), plus the invoices of one day and the
//! writer's buffers (a Parquet row group of 1M rows, tens of MB): memory
//! grows with the number of customers, not of lines.

mod calendar;
mod catalogue;
mod customers;
mod invoices;
mod sink;
mod tables;

pub use tables::splitmix;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use calendar::Calendar;
use catalogue::Catalogue;
use customers::{Customer, Population, Purchase, SaleExtras, WalkIn};
use invoices::{Item, LineMaker, LineRecord};
use sink::{Format, InvoiceFields, LineFields, Sink, SinkError};

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerateSize {
    /// Simulate this many customers over the whole period; the number of
    /// lines follows (about 140 per customer over 24 months).
    Customers(u64),
    /// Exactly this many lines: enough customers are simulated to reach it,
    /// and the stream is cut at the N-th line, which may drop the last few
    /// hours of the period.
    Lines(u64),
}

/// What to generate. Defaults: 5,000 customers, seed 0, 24 months from
/// 2009-12-01 (the start of the real file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateConfig {
    pub size: GenerateSize,
    pub seed: u64,
    pub start: NaiveDate,
    pub months: u32,
}

impl Default for GenerateConfig {
    fn default() -> GenerateConfig {
        GenerateConfig {
            size: GenerateSize::Customers(5000),
            seed: 0,
            start: NaiveDate::from_ymd_opt(2009, 12, 1).unwrap_or_default(),
            months: 24,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Transaction lines, not counting the header.
    pub lines: u64,
    /// Distinct customer ids in the output.
    pub customers: u64,
    /// Distinct invoices, cancellations included.
    pub invoices: u64,
    /// Size of the written file.
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write Parquet file {path}: {message}")]
    Parquet { path: PathBuf, message: String },
    #[error("invalid generator setting: {0}")]
    InvalidConfig(String),
    #[error(
        "cannot tell the output format of {path}: use a name ending in .csv, .csv.gz or .parquet"
    )]
    UnknownExtension { path: PathBuf },
}

impl rebuy_vocabulary::Categorized for GenerateError {
    /// The settings and the output path are the user's.
    fn category(&self) -> rebuy_vocabulary::Category {
        rebuy_vocabulary::Category::BadInput
    }
}

/// First customer id, as in the real file (12346..18287).
const FIRST_CUSTOMER_ID: i64 = 12346;
/// First invoice number, as in the real file; numbers pass six digits after
/// about 510,000 invoices (about 9M lines).
const FIRST_INVOICE: u64 = 489_434;
/// Lines between two calls of the progress callback.
const PROGRESS_EVERY: u64 = 64 * 1024;

/// Writes synthetic transactions to `path` (format by extension) and calls
/// `progress` with the number of lines written every 64k lines and at the
/// end. The file is written as `path.tmp` and renamed when complete.
pub fn generate_to_path(
    config: &GenerateConfig,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<GenerateSummary, GenerateError> {
    let format = Format::from_path(path).ok_or_else(|| GenerateError::UnknownExtension {
        path: path.to_path_buf(),
    })?;
    let calendar = Calendar::new(config.start, config.months)?;
    let catalogue = Catalogue::new(config.seed);
    let population = Population {
        seed: config.seed,
        calendar: &calendar,
        catalogue: &catalogue,
    };
    let (customers, line_limit) = match config.size {
        GenerateSize::Customers(n) => (customer_count(n)?, u64::MAX),
        GenerateSize::Lines(n) => (customers_for_lines(&population, n)?, n),
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let file = File::create(&temporary).map_err(io_error(&temporary))?;
    let written = Sink::create(format, file).and_then(|sink| {
        let mut run = Run::new(&population, sink, customers, line_limit);
        run.simulate(progress)?;
        run.finish()
    });
    let mut summary = written.map_err(|error| {
        // Best effort: the write error is the one worth reporting.
        let _ = fs::remove_file(&temporary);
        match error {
            SinkError::Io(source) => GenerateError::Io {
                path: temporary.clone(),
                source,
            },
            SinkError::Parquet(message) => GenerateError::Parquet {
                path: temporary.clone(),
                message,
            },
        }
    })?;
    if let Err(source) = fs::rename(&temporary, path) {
        let _ = fs::remove_file(&temporary);
        return Err(io_error(path)(source));
    }
    summary.bytes = fs::metadata(path).map_err(io_error(path))?.len();
    progress(summary.lines);
    Ok(summary)
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> GenerateError + '_ {
    move |source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn customer_count(customers: u64) -> Result<u32, GenerateError> {
    u32::try_from(customers).map_err(|_| {
        GenerateError::InvalidConfig(format!("at most {} customers, got {customers}", u32::MAX))
    })
}

/// The fewest customers whose lines reach `lines`: customers are
/// independent, so their line counts can be added up without writing.
fn customers_for_lines(population: &Population, lines: u64) -> Result<u32, GenerateError> {
    let mut total = 0;
    let mut customers = 0u32;
    while total < lines {
        total += population.lines_of_customer(customers);
        customers = customers.checked_add(1).ok_or_else(|| {
            GenerateError::InvalidConfig(format!(
                "{lines} lines need more than {} customers",
                u32::MAX
            ))
        })?;
    }
    Ok(customers)
}

/// A pending event: a customer's next purchase attempt, or a cancellation.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    /// Days since the start as `f64` bits: non-negative floats order like their bits.
    time: u64,
    customer: u32,
    cancellation: Option<PendingCancellation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct PendingCancellation {
    event: u32,
    minute: u16,
    product_lines: u32,
    discount: bool,
}

/// An invoice of the day being written, before its lines are drawn.
#[derive(Debug)]
struct InvoiceHead {
    minute: u16,
    customer: u32,
    event: u32,
    kind: InvoiceKind,
}

#[derive(Debug)]
enum InvoiceKind {
    Sale {
        product_lines: u32,
        extras: SaleExtras,
    },
    WalkIn(WalkIn),
    Cancellation {
        product_lines: u32,
        discount: bool,
    },
}

/// The state of one generation: customers, the event queue and the output.
struct Run<'a> {
    population: &'a Population<'a>,
    lines: LineMaker<'a>,
    sink: Sink,
    customers: Vec<Customer>,
    queue: BinaryHeap<Reverse<Pending>>,
    line_limit: u64,
    next_invoice: u64,
    summary: GenerateSummary,
}

impl<'a> Run<'a> {
    fn new(population: &'a Population<'a>, sink: Sink, customers: u32, line_limit: u64) -> Run<'a> {
        let mut run = Run {
            population,
            lines: LineMaker {
                seed: population.seed,
                catalogue: population.catalogue,
            },
            sink,
            customers: Vec::with_capacity(customers as usize),
            queue: BinaryHeap::with_capacity(customers as usize),
            line_limit,
            next_invoice: FIRST_INVOICE,
            summary: GenerateSummary {
                lines: 0,
                customers: 0,
                invoices: 0,
                bytes: 0,
            },
        };
        for id in 0..customers {
            let (customer, first) = population.customer(id);
            run.customers.push(customer);
            if let Some(time) = first {
                run.queue.push(Reverse(Pending {
                    time: time.to_bits(),
                    customer: id,
                    cancellation: None,
                }));
            }
        }
        run
    }

    /// Day by day: take the day's events from the queue, order the day's
    /// invoices by time and write them.
    fn simulate(&mut self, progress: &mut dyn FnMut(u64)) -> Result<(), SinkError> {
        let mut heads = Vec::new();
        let mut records = Vec::new();
        let mut fields = InvoiceFields::default();
        for day in 0..self.population.calendar.days() {
            let day_end = f64::from(day + 1);
            heads.clear();
            while let Some(Reverse(next)) = self.queue.peek() {
                if f64::from_bits(next.time) >= day_end {
                    break;
                }
                if let Some(Reverse(pending)) = self.queue.pop() {
                    self.handle(pending, &mut heads);
                }
            }
            // Stable: invoices of the same minute keep their queue order.
            heads.sort_by_key(|head| head.minute);
            for head in &heads {
                if self.summary.lines >= self.line_limit {
                    return Ok(());
                }
                self.write_invoice(day, head, &mut records, &mut fields, progress)?;
            }
        }
        Ok(())
    }

    fn handle(&mut self, pending: Pending, heads: &mut Vec<InvoiceHead>) {
        let id = pending.customer;
        if let Some(c) = pending.cancellation {
            let kind = InvoiceKind::Cancellation {
                product_lines: c.product_lines,
                discount: c.discount,
            };
            heads.push(InvoiceHead {
                minute: c.minute,
                customer: id,
                event: c.event,
                kind,
            });
            return;
        }
        let customer = &mut self.customers[id as usize];
        let attempt = self
            .population
            .attempt(id, customer, f64::from_bits(pending.time));
        if let Some(purchase) = attempt.purchase {
            self.queue_purchase(id, purchase, heads);
        }
        if let Some(time) = attempt.next_time {
            self.queue.push(Reverse(Pending {
                time: time.to_bits(),
                customer: id,
                cancellation: None,
            }));
        }
    }

    fn queue_purchase(&mut self, id: u32, purchase: Purchase, heads: &mut Vec<InvoiceHead>) {
        let kind = InvoiceKind::Sale {
            product_lines: purchase.product_lines,
            extras: purchase.extras,
        };
        heads.push(InvoiceHead {
            minute: purchase.minute,
            customer: id,
            event: purchase.event,
            kind,
        });
        if let Some(walk_in) = purchase.walk_in {
            heads.push(InvoiceHead {
                minute: walk_in.minute,
                customer: id,
                event: purchase.event,
                kind: InvoiceKind::WalkIn(walk_in),
            });
        }
        if let Some(c) = purchase.cancellation {
            let time = f64::from(c.day) + f64::from(c.minute) / 1440.0;
            let cancellation = PendingCancellation {
                event: purchase.event,
                minute: c.minute,
                product_lines: c.product_lines,
                discount: c.discount,
            };
            self.queue.push(Reverse(Pending {
                time: time.to_bits(),
                customer: id,
                cancellation: Some(cancellation),
            }));
        }
    }

    fn write_invoice(
        &mut self,
        day: u32,
        head: &InvoiceHead,
        records: &mut Vec<LineRecord>,
        fields: &mut InvoiceFields,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), SinkError> {
        let customer = &self.customers[head.customer as usize];
        let known_customer = !matches!(head.kind, InvoiceKind::WalkIn(_));
        match head.kind {
            InvoiceKind::Sale {
                product_lines,
                extras,
            } => self.lines.sale(
                head.customer,
                head.event,
                customer.wholesale,
                product_lines,
                extras,
                records,
            ),
            InvoiceKind::WalkIn(walk_in) => {
                self.lines
                    .walk_in(head.customer, head.event, &walk_in, records)
            }
            InvoiceKind::Cancellation {
                product_lines,
                discount,
            } => {
                self.lines
                    .cancellation(head.customer, head.event, product_lines, discount, records)
            }
        }
        let country = match head.kind {
            InvoiceKind::WalkIn(walk_in) => walk_in.country,
            _ => customer.country,
        };
        let cancellation = matches!(head.kind, InvoiceKind::Cancellation { .. });
        self.fill_fields(
            fields,
            day,
            head.minute,
            known_customer.then_some(head.customer),
            country,
            cancellation,
        );
        let catalogue = self.population.catalogue;
        let mut written = false;
        for record in records.iter() {
            if self.summary.lines >= self.line_limit {
                break;
            }
            let (stock_code, description) = match record.item {
                Item::Product(index) => {
                    let product = catalogue.product(index);
                    (product.stock_code.as_str(), product.description.as_str())
                }
                Item::Fee(fee) => (fee.stock_code(), fee.description()),
            };
            let line = LineFields {
                stock_code,
                description,
                quantity: record.quantity,
                price_cents: record.price_cents,
            };
            self.sink.write(fields, line)?;
            written = true;
            self.summary.lines += 1;
            if self.summary.lines.is_multiple_of(PROGRESS_EVERY) {
                progress(self.summary.lines);
            }
        }
        if written {
            self.summary.invoices += 1;
            if known_customer && !self.customers[head.customer as usize].seen {
                self.customers[head.customer as usize].seen = true;
                self.summary.customers += 1;
            }
        }
        Ok(())
    }

    /// Formats what the invoice's lines share; takes the next invoice number.
    fn fill_fields(
        &mut self,
        fields: &mut InvoiceFields,
        day: u32,
        minute: u16,
        customer: Option<u32>,
        country: u8,
        cancellation: bool,
    ) {
        use std::fmt::Write;
        let date = self.population.calendar.date(day);
        let (hour, minute) = (u32::from(minute / 60), u32::from(minute % 60));
        fields.invoice.clear();
        let prefix = if cancellation { "C" } else { "" };
        // Writing to a String cannot fail.
        let _ = write!(fields.invoice, "{prefix}{}", self.next_invoice);
        self.next_invoice += 1;
        fields.invoice_date.clear();
        let _ = write!(
            fields.invoice_date,
            "{} {hour:02}:{minute:02}:00",
            date.format("%Y-%m-%d")
        );
        fields.invoice_seconds = date
            .and_hms_opt(hour, minute, 0)
            .map_or(0, |t| t.and_utc().timestamp());
        fields.customer_id = customer.map(|id| FIRST_CUSTOMER_ID + i64::from(id));
        fields.customer_text.clear();
        if let Some(id) = fields.customer_id {
            let _ = write!(fields.customer_text, "{id}");
        }
        fields.country = Catalogue::country_name(country);
    }

    fn finish(self) -> Result<GenerateSummary, SinkError> {
        self.sink.finish()?;
        Ok(self.summary)
    }
}

#[cfg(test)]
mod tests;
