//! End-to-end checks of the generator on small files.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDateTime;

use super::*;

fn config(size: GenerateSize, seed: u64) -> GenerateConfig {
    GenerateConfig {
        size,
        seed,
        ..GenerateConfig::default()
    }
}

fn generate(config: &GenerateConfig, path: &Path) -> GenerateSummary {
    generate_to_path(config, path, &mut |_| {}).expect("generation succeeds")
}

/// One CSV line, typed.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    invoice: String,
    stock_code: String,
    description: String,
    quantity: i64,
    date: NaiveDateTime,
    price: f64,
    customer: Option<i64>,
    country: String,
}

/// Reads a generated CSV, failing the test on any line that does not parse.
fn read_rows(path: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    assert_eq!(reader.headers().unwrap(), sink::HEADER.as_slice());
    reader
        .records()
        .map(|record| {
            let r = record.unwrap();
            assert_eq!(r.len(), 8, "{r:?}");
            let price = &r[5];
            let decimals = price.split_once('.').map_or(0, |(_, d)| d.len());
            assert!((1..=2).contains(&decimals), "price {price}");
            Row {
                invoice: r[0].to_string(),
                stock_code: r[1].to_string(),
                description: r[2].to_string(),
                quantity: r[3].parse().unwrap(),
                date: NaiveDateTime::parse_from_str(&r[4], "%Y-%m-%d %H:%M:%S").unwrap(),
                price: price.parse().unwrap(),
                customer: (!r[6].is_empty()).then(|| r[6].parse().unwrap()),
                country: r[7].to_string(),
            }
        })
        .collect()
}

#[test]
fn same_seed_same_bytes_in_every_format_and_another_seed_differs() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["t.csv", "t.csv.gz", "t.parquet"] {
        let (a, b, c) = (
            dir.path().join(format!("a{name}")),
            dir.path().join(format!("b{name}")),
            dir.path().join(format!("c{name}")),
        );
        let summary = generate(&config(GenerateSize::Lines(3000), 7), &a);
        generate(&config(GenerateSize::Lines(3000), 7), &b);
        generate(&config(GenerateSize::Lines(3000), 8), &c);
        let bytes = std::fs::read(&a).unwrap();
        assert_eq!(summary.bytes, bytes.len() as u64);
        assert_eq!(bytes, std::fs::read(&b).unwrap(), "{name}");
        assert_ne!(bytes, std::fs::read(&c).unwrap(), "{name}");
        assert!(!dir.path().join(format!("a{name}.tmp")).exists());
    }
}

#[test]
fn lines_are_exact_and_parquet_reads_back_with_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    let summary = generate(&config(GenerateSize::Lines(12_345), 3), &csv);
    assert_eq!(summary.lines, 12_345);
    assert_eq!(read_rows(&csv).len(), 12_345);

    let parquet = dir.path().join("t.parquet");
    let summary = generate(&config(GenerateSize::Lines(12_345), 3), &parquet);
    assert_eq!(summary.lines, 12_345);
    let file = File::open(&parquet).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(reader.schema().as_ref(), sink::parquet_schema().as_ref());
    let batches: Vec<_> = reader.build().unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 12_345);
    let customers = batches[0].column(6);
    assert!(customers.null_count() > 0, "missing customer ids are nulls");

    let gz = dir.path().join("t.csv.gz");
    let mut progress_calls = Vec::new();
    let summary = generate_to_path(
        &config(GenerateSize::Lines(200_000), 3),
        &gz,
        &mut |lines| progress_calls.push(lines),
    )
    .unwrap();
    assert_eq!(summary.lines, 200_000);
    assert_eq!(progress_calls, [65_536, 131_072, 196_608, 200_000]);
    let text =
        std::io::read_to_string(flate2::read::GzDecoder::new(File::open(&gz).unwrap())).unwrap();
    assert_eq!(text.lines().count(), 200_001);
    assert!(text.starts_with(
        "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
    ));
}

#[test]
fn zero_lines_give_a_header_and_customers_give_their_ids() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.csv");
    assert_eq!(
        generate(&config(GenerateSize::Lines(0), 1), &empty).lines,
        0
    );
    assert_eq!(std::fs::read_to_string(&empty).unwrap().lines().count(), 1);

    let few = dir.path().join("few.csv");
    let summary = generate(&config(GenerateSize::Customers(300), 1), &few);
    let rows = read_rows(&few);
    let ids: HashSet<i64> = rows.iter().filter_map(|r| r.customer).collect();
    assert_eq!(ids.len() as u64, summary.customers);
    assert!(summary.customers <= 300 && summary.customers > 200);
    assert!(
        ids.iter()
            .all(|id| (FIRST_CUSTOMER_ID..FIRST_CUSTOMER_ID + 300).contains(id))
    );
    let invoices: HashSet<&str> = rows.iter().map(|r| r.invoice.as_str()).collect();
    assert_eq!(invoices.len() as u64, summary.invoices);
}

#[test]
fn bad_settings_are_errors_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let error = generate_to_path(
        &GenerateConfig::default(),
        &dir.path().join("t.xlsx"),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(error, GenerateError::UnknownExtension { .. }));
    assert!(error.to_string().contains(".csv, .csv.gz or .parquet"));
    let months = GenerateConfig {
        months: 0,
        ..GenerateConfig::default()
    };
    let error = generate_to_path(&months, &dir.path().join("t.csv"), &mut |_| {}).unwrap_err();
    assert!(matches!(error, GenerateError::InvalidConfig(_)));
    let missing_dir = dir.path().join("no/such/dir/t.csv");
    let error =
        generate_to_path(&GenerateConfig::default(), &missing_dir, &mut |_| {}).unwrap_err();
    assert!(matches!(error, GenerateError::Io { .. }));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// The shares the issue asks for, on 60k lines.
#[test]
fn shares_look_like_online_retail_ii() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    generate(&config(GenerateSize::Lines(60_000), 42), &path);
    let rows = read_rows(&path);
    let n = rows.len() as f64;
    let share = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count() as f64 / n;
    // Real 2009-2010 file: 20.5% missing ids, 1.9% cancellation lines, 92.5% UK lines, 1.3% duplicates.
    let missing = share(&|r| r.customer.is_none());
    assert!((0.15..0.26).contains(&missing), "missing ids {missing}");
    let cancelled = share(&|r| r.invoice.starts_with('C'));
    assert!(
        (0.01..0.03).contains(&cancelled),
        "cancellations {cancelled}"
    );
    let uk = share(&|r| r.country == "United Kingdom");
    assert!((0.85..0.97).contains(&uk), "UK {uk}");
    assert!(
        rows.iter()
            .filter(|r| r.invoice.starts_with('C'))
            .all(|r| r.quantity < 0)
    );
    assert!(
        rows.iter()
            .filter(|r| !r.invoice.starts_with('C'))
            .all(|r| r.quantity > 0)
    );
    let zero_prices = share(&|r| r.price == 0.0);
    assert!(
        zero_prices > 0.0 && zero_prices < 0.02,
        "zero prices {zero_prices}"
    );

    let mut seen = HashSet::new();
    let duplicates = rows
        .iter()
        .filter(|r| !seen.insert(format!("{r:?}")))
        .count() as f64
        / n;
    assert!(
        (0.003..0.02).contains(&duplicates),
        "duplicates {duplicates}"
    );

    let codes: HashSet<&str> = rows.iter().map(|r| r.stock_code.as_str()).collect();
    for code in ["POST", "M", "D", "BANK CHARGES"] {
        assert!(codes.contains(code), "{code} missing");
    }
    let fee_codes = ["POST", "M", "D", "BANK CHARGES", "AMAZONFEE"];
    for row in &rows {
        let product_code = row.stock_code.len() <= 6
            && row
                .stock_code
                .get(..5)
                .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
        assert!(
            product_code || fee_codes.contains(&row.stock_code.as_str()),
            "{row:?}"
        );
        if product_code {
            assert_eq!(row.description, row.description.to_uppercase());
        }
        if let Some(id) = row.customer {
            assert!(id >= FIRST_CUSTOMER_ID);
        }
    }
    let mut prices: Vec<f64> = rows
        .iter()
        .filter(|r| r.price > 0.0 && !fee_codes.contains(&r.stock_code.as_str()))
        .map(|r| r.price)
        .collect();
    prices.sort_by(f64::total_cmp);
    let quantile = |q: f64| prices[(q * prices.len() as f64) as usize];
    // Real line prices: median 2.10, 5th percentile 0.42, 95th 9.95.
    assert!(
        (1.2..3.5).contains(&quantile(0.5)) && quantile(0.05) > 0.2 && quantile(0.95) < 20.0,
        "prices {} {} {}",
        quantile(0.05),
        quantile(0.5),
        quantile(0.95)
    );
}

#[test]
fn order_invoices_and_countries_are_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    generate(&config(GenerateSize::Lines(40_000), 5), &path);
    let rows = read_rows(&path);
    let mut finished_invoices = HashSet::new();
    let mut country_of = HashMap::new();
    let mut bought: HashSet<(i64, &str)> = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let number: u64 = row.invoice.trim_start_matches('C').parse().unwrap();
        assert!(number >= FIRST_INVOICE && row.invoice.len() >= 6);
        if i > 0 {
            let previous = &rows[i - 1];
            assert!(previous.date <= row.date, "rows are ordered by date");
            if previous.invoice != row.invoice {
                assert!(
                    finished_invoices.insert(previous.invoice.clone()),
                    "lines of an invoice are contiguous"
                );
                assert!(
                    number
                        > previous
                            .invoice
                            .trim_start_matches('C')
                            .parse::<u64>()
                            .unwrap()
                );
            } else {
                assert_eq!((previous.date, previous.customer), (row.date, row.customer));
            }
        }
        let time = row.date.time();
        assert!(
            time >= chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap()
                && time < chrono::NaiveTime::from_hms_opt(21, 0, 0).unwrap()
        );
        if let Some(id) = row.customer {
            assert_eq!(
                country_of.entry(id).or_insert(row.country.as_str()),
                &row.country,
                "a customer keeps one country"
            );
            if row.invoice.starts_with('C') {
                assert!(
                    row.stock_code == "D" || bought.contains(&(id, row.stock_code.as_str())),
                    "cancelled products were bought: {row:?}"
                );
            } else {
                bought.insert((id, row.stock_code.as_str()));
            }
        }
    }
}

/// Purchase counts vary a lot between customers, and some customers have
/// stopped buying by the end while others have not: "will they buy again"
/// is learnable but not trivial.
#[test]
fn customers_are_heterogeneous_and_some_lapse() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    generate(&config(GenerateSize::Customers(1500), 9), &path);
    let rows = read_rows(&path);
    let end = rows.iter().map(|r| r.date).max().unwrap();
    let mut invoices: HashMap<i64, HashSet<&str>> = HashMap::new();
    let mut last: HashMap<i64, NaiveDateTime> = HashMap::new();
    for row in rows.iter().filter(|r| !r.invoice.starts_with('C')) {
        if let Some(id) = row.customer {
            invoices.entry(id).or_default().insert(row.invoice.as_str());
            let latest = last.entry(id).or_insert(row.date);
            *latest = (*latest).max(row.date);
        }
    }
    let counts: Vec<f64> = invoices.values().map(|s| s.len() as f64).collect();
    let mean = counts.iter().sum::<f64>() / counts.len() as f64;
    let sd = (counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / counts.len() as f64).sqrt();
    // Real file: coefficient of variation 1.83.
    assert!(sd / mean > 1.0, "coefficient of variation {}", sd / mean);
    let lapsed = last
        .values()
        .filter(|&&d| (end - d).num_days() > 90)
        .count() as f64
        / last.len() as f64;
    // Real file: 33% of customers did not buy in the last 90 days of its year.
    assert!((0.3..0.85).contains(&lapsed), "lapsed share {lapsed}");
}

/// The November peak: more invoices per day in November than in the
/// spring and summer.
#[test]
fn november_is_the_peak() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    generate(&config(GenerateSize::Customers(800), 4), &path);
    let rows = read_rows(&path);
    let mut invoices_by_month: HashMap<u32, HashSet<&str>> = HashMap::new();
    for row in &rows {
        use chrono::Datelike;
        invoices_by_month
            .entry(row.date.month())
            .or_default()
            .insert(row.invoice.as_str());
    }
    let count = |month| invoices_by_month.get(&month).map_or(0, HashSet::len) as f64;
    let summer = (4..=8).map(count).sum::<f64>() / 5.0;
    assert!(
        count(11) > 1.3 * summer,
        "november {} vs summer {summer}",
        count(11)
    );
}

/// The memory claim of the module documentation: per customer, one record
/// and about one queue entry.
#[test]
fn per_customer_state_stays_small() {
    assert!(std::mem::size_of::<customers::Customer>() <= 24);
    assert!(std::mem::size_of::<Reverse<Pending>>() <= 32);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Any start, length and size gives a file of exactly the lines asked
    /// for, or a configuration error; never a panic.
    #[test]
    fn any_setting_gives_a_file_or_an_error(
        start_day in 0i32..3_000_000,
        months in 0u32..1300,
        lines in 0u64..300,
        seed: u64,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let start = NaiveDate::from_num_days_from_ce_opt(start_day).unwrap_or(NaiveDate::MAX);
        let config = GenerateConfig { size: GenerateSize::Lines(lines), seed, start, months };
        match generate_to_path(&config, &dir.path().join("t.parquet"), &mut |_| {}) {
            Ok(summary) => proptest::prop_assert_eq!(summary.lines, lines),
            Err(error) => proptest::prop_assert!(matches!(error, GenerateError::InvalidConfig(_)), "{error}"),
        }
    }
}
