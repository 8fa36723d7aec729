//! Every input form a user brings: encodings, delimiters, date forms, both schemas,
//! spreadsheets with several sheets, Parquet with pandas' types; and every bad input
//! gives an error that says where and what, never a panic.

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

use arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use proptest::prelude::*;
use rebuy_data::{ColumnMapping, Error, Lines, ReadOptions, Rule, Transactions, read_transactions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const HEADER_II: &str =
    "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read(paths: &[PathBuf]) -> rebuy_data::Result<Transactions> {
    read_transactions(paths, &ReadOptions::default(), &mut |_| {})
}

fn read_one(dir: &Path, name: &str, bytes: &[u8]) -> rebuy_data::Result<Transactions> {
    read(&[write(dir, name, bytes)])
}

/// Three sales of customer 13085 on 2010-12-01, one return.
fn sample_lines() -> String {
    format!(
        "{HEADER_II}\n\
         536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,13085,United Kingdom\n\
         536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,13085,United Kingdom\n\
         536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,13085.0,United Kingdom\n\
         C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,United Kingdom\n\
         C536383,35004C,SET OF 3 COLOURED  FLYING DUCKS,-1,2010-12-01 09:49:00,4.65,13085,United Kingdom\n"
    )
}

#[test]
fn online_retail_ii_csv_reads_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let t = read_one(dir.path(), "a.csv", sample_lines().as_bytes()).unwrap();
    let q = t.quality();
    assert_eq!(q.lines_read, 5);
    assert_eq!(q.sales_lines, 3);
    assert_eq!(q.returns_kept, 1);
    assert_eq!(q.dropped_by(Rule::NonProductCode), 1);
    assert_eq!(q.customers, 1, "13085 and 13085.0 are one customer");
    assert_eq!(q.invoices, 2);
    assert!((q.revenue - (6.0 * 2.55 + 6.0 * 3.39 + 6.0 * 1.85)).abs() < 1e-9);
    assert_eq!(q.first_sale.as_deref(), Some("2010-12-01 08:26:00"));
}

#[test]
fn online_retail_i_names_us_dates_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let text = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
                536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n\
                536366,22633,HAND WARMER,6,12/13/2010 8:28,1.85,17850.0,United Kingdom\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let t = read_one(dir.path(), "old.csv.gz", &gz.finish().unwrap()).unwrap();
    assert_eq!(t.quality().sales_lines, 2);
    assert_eq!(
        t.quality().last_sale.as_deref(),
        Some("2010-12-13 08:28:00")
    );
    assert_eq!(t.customer_ids()[0].as_ref(), "17850");
}

#[test]
fn latin1_bom_semicolons_and_decimal_commas() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(
        b"Invoice;StockCode;Description;Quantity;InvoiceDate;Price;Customer ID;Country\n",
    );
    bytes.extend_from_slice(
        b"536365;85123A;GIFT VOUCHER \xa320;1;2010-12-01 08:26;2,55;13085;Espa\xf1a\n",
    );
    let t = read_one(dir.path(), "latin1.csv", &bytes).unwrap();
    assert_eq!(t.quality().sales_lines, 1);
    assert!((t.quality().revenue - 2.55).abs() < 1e-12);
    assert!(t.quality().inputs[0].detail.contains("delimiter ';'"));
}

#[test]
fn utf16_with_bom_and_tabs() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_lines().replace(',', "\t");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let t = read_one(dir.path(), "utf16.txt", &bytes).unwrap();
    assert_eq!(t.quality().sales_lines, 3);
}

#[test]
fn columns_in_any_order_and_explicit_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let text = "cust_id,when,qty,unit_price,order\n13085,2010-12-01 08:26:00,2,1.5,536365\n";
    let path = write(dir.path(), "custom.csv", text.as_bytes());
    let err = read(std::slice::from_ref(&path)).unwrap_err().to_string();
    assert!(
        err.contains("no column for invoice") && err.contains("\"order\""),
        "{err}"
    );
    let options = ReadOptions {
        mapping: ColumnMapping::parse(&[
            "customer=cust_id".into(),
            "invoice_date=when".into(),
            "quantity=qty".into(),
            "invoice=order".into(),
        ])
        .unwrap(),
        ..Default::default()
    };
    let t = read_transactions(&[path], &options, &mut |_| {}).unwrap();
    assert_eq!(t.quality().sales_lines, 1);
    assert!((t.quality().revenue - 3.0).abs() < 1e-12);
}

/// (invoice, stock code, quantity, day of December 2010, customer)
type SheetRow<'a> = (f64, &'a str, f64, u32, f64);

fn xlsx_with_two_sheets(path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let header = [
        "Invoice",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "Price",
        "Customer ID",
        "Country",
    ];
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    // The UCI workbook's two sheets overlap: the last line of the first sheet is
    // repeated at the top of the second one.
    let sheets: [(&str, &[SheetRow]); 2] = [
        (
            "Year 2009-2010",
            &[
                (489434.0, "85048", 12.0, 1, 13085.0),
                (489435.0, "22350", 12.0, 9, 13085.0),
            ],
        ),
        (
            "Year 2010-2011",
            &[
                (489435.0, "22350", 12.0, 9, 13085.0),
                (536365.0, "85123A", 6.0, 20, 17850.0),
            ],
        ),
    ];
    for (name, rows) in sheets {
        let sheet = book.add_worksheet().set_name(name).unwrap();
        for (c, h) in header.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for (r, (invoice, code, quantity, day, customer)) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            let when = rust_xlsxwriter::ExcelDateTime::from_ymd(2010, 12, *day as u8)
                .unwrap()
                .and_hms(8, 26, 0)
                .unwrap();
            sheet.write_number(r, 0, *invoice).unwrap();
            sheet.write_string(r, 1, *code).unwrap();
            sheet.write_string(r, 2, "SOMETHING").unwrap();
            sheet.write_number(r, 3, *quantity).unwrap();
            sheet
                .write_datetime_with_format(r, 4, &when, &date_format)
                .unwrap();
            sheet.write_number(r, 5, 2.5).unwrap();
            sheet.write_number(r, 6, *customer).unwrap();
            sheet.write_string(r, 7, "United Kingdom").unwrap();
        }
    }
    book.save(path).unwrap();
}

#[test]
fn xlsx_sheets_are_concatenated_and_their_overlap_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    xlsx_with_two_sheets(&path);
    let t = read(&[path]).unwrap();
    let q = t.quality();
    assert_eq!(q.lines_read, 4);
    assert_eq!(q.dropped_by(Rule::Duplicate), 1);
    assert_eq!(q.sales_lines, 3);
    assert_eq!(q.customers, 2);
    assert_eq!(q.first_sale.as_deref(), Some("2010-12-01 08:26:00"));
    assert_eq!(q.last_sale.as_deref(), Some("2010-12-20 08:26:00"));
    assert!(q.inputs[0].detail.contains("Year 2010-2011"));
}

#[test]
fn parquet_with_pandas_types() {
    // pandas writes Customer ID as float64 with NaN, InvoiceDate as timestamp[ns].
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("Invoice", DataType::Utf8, false),
        Field::new("StockCode", DataType::Utf8, false),
        Field::new("Quantity", DataType::Int64, false),
        Field::new(
            "InvoiceDate",
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            false,
        ),
        Field::new("Price", DataType::Float64, false),
        Field::new("Customer ID", DataType::Float64, true),
        Field::new("Country", DataType::Utf8, false),
    ]));
    let ns = 1_291_191_960_000_000_000i64;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["536365", "536365", "536366"])),
        Arc::new(StringArray::from(vec!["85123A", "71053", "22633"])),
        Arc::new(Int64Array::from(vec![6, 6, 6])),
        Arc::new(TimestampNanosecondArray::from(vec![
            ns,
            ns,
            ns + 120_000_000_000,
        ])),
        Arc::new(Float64Array::from(vec![2.55, 3.39, 1.85])),
        Arc::new(Float64Array::from(vec![
            Some(13085.0),
            None,
            Some(f64::NAN),
        ])),
        Arc::new(StringArray::from(vec!["United Kingdom"; 3])),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None)
            .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let t = read(&[path]).unwrap();
    assert_eq!(t.quality().sales_lines, 1);
    assert_eq!(t.quality().dropped_by(Rule::MissingCustomerId), 2);
    assert_eq!(t.customer_ids()[0].as_ref(), "13085");
    assert_eq!(
        t.quality().first_sale.as_deref(),
        Some("2010-12-01 08:26:00")
    );
}

#[test]
fn several_files_are_combined() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.csv", sample_lines().as_bytes());
    let b = write(
        dir.path(),
        "b.csv",
        format!(
            "{HEADER_II}\n536400,22423,CAKESTAND,1,2010-12-02 10:00:00,12.75,12346,United Kingdom\n"
        )
        .as_bytes(),
    );
    let t = read(&[a, b]).unwrap();
    assert_eq!(t.quality().customers, 2);
    assert_eq!(t.quality().inputs.len(), 2);
}

fn message(result: rebuy_data::Result<Transactions>) -> String {
    result.expect_err("bad input must be an error").to_string()
}

/// The input is refused with an error that says each of `parts`.
fn assert_refused(result: rebuy_data::Result<Transactions>, parts: &[&str]) {
    let error = message(result);
    for part in parts {
        assert!(error.contains(part), "{part:?} in {error}");
    }
}

#[test]
fn bad_inputs_say_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let missing = message(read(&[d.join("nope.csv")]));
    assert!(
        missing.contains("nope.csv") && missing.contains("no such file"),
        "{missing}"
    );
    let empty = message(read_one(d, "empty.csv", b""));
    assert!(empty.contains("empty"), "{empty}");
    let binary = message(read_one(d, "x.bin", &[0u8, 1, 2, 3, 0, 0, 7]));
    assert!(binary.contains("not a CSV, XLSX or Parquet"), "{binary}");
    let no_customer = message(read_one(
        d,
        "nc.csv",
        b"Invoice,Quantity,InvoiceDate,Price,Country\n1,1,2010-12-01,1,UK\n",
    ));
    assert!(
        no_customer.contains("Customer ID / CustomerID") && no_customer.contains("\"Country\""),
        "{no_customer}"
    );

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(sample_lines().repeat(200).as_bytes()).unwrap();
    let full = gz.finish().unwrap();
    let cut = message(read_one(d, "cut.csv.gz", &full[..full.len() / 2]));
    assert!(
        cut.contains("cut short") || cut.contains("damaged"),
        "{cut}"
    );

    let bad_xlsx = message(read_one(
        d,
        "bad.xlsx",
        b"PK\x03\x04 this is not a zip file at all",
    ));
    assert!(
        bad_xlsx.contains("bad.xlsx") && bad_xlsx.contains("damaged"),
        "{bad_xlsx}"
    );

    let all_dropped = format!(
        "{HEADER_II}\n1,POST,POSTAGE,1,2010-12-01 08:00,18,12346,UK\n2,22423,X,1,2010-12-01 08:00,1,,UK\n"
    );
    let none = message(read_one(d, "none.csv", all_dropped.as_bytes()));
    assert!(
        none.contains("no line survived")
            && none.contains("missing_customer_id")
            && none.contains("non_product_code"),
        "{none}"
    );
}

#[test]
fn unreadable_values_are_counted_with_their_place_or_fatal_when_strict() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}536399,22423,CAKESTAND,1,31/31/2010 10:00,12.75,12346,United Kingdom\n",
        sample_lines()
    );
    let path = write(dir.path(), "bad.csv", text.as_bytes());
    let t = read(std::slice::from_ref(&path)).unwrap();
    let q = t.quality();
    assert_eq!(q.dropped_by(Rule::Unparseable), 1);
    let issue = &q.parse_issues[0];
    assert!(issue.location.ends_with("bad.csv line 7"), "{issue:?}");
    assert_eq!(issue.column, "InvoiceDate");
    assert_eq!(issue.value, "31/31/2010 10:00");
    let strict = ReadOptions {
        rules: rebuy_data::CleaningRules::new(
            rebuy_data::DEFAULT_NON_PRODUCT_CODES.iter().copied(),
            Default::default(),
            true,
        ),
        ..Default::default()
    };
    let err = read_transactions(&[path], &strict, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::BadValue { .. }));
    let text = err.to_string();
    assert!(
        text.contains("line 7")
            && text.contains("InvoiceDate")
            && text.contains("2010-12-01 08:26:00"),
        "{text}"
    );
}

/// `max_line_bytes` (`--max-line-bytes`) sets that bound: a 2 KiB one stops at a
/// 3 KB line and counts the lines after it.
#[test]
fn the_longest_line_is_a_setting() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!(
        "{}536700,85123A,{},6,2010-12-02 08:26:00,2.55,13085,United Kingdom\n",
        sample_lines(),
        "x".repeat(3000)
    );
    let after = line("536701", "1", "2010-12-02 10:00:00", "2.55", "13085");
    text.push_str(&after.repeat(3));
    let path = write(dir.path(), "long-line.csv", text.as_bytes());
    let short = ReadOptions {
        max_line_bytes: 2048,
        ..on_day("2024-06-01")
    };
    let q = read_transactions(std::slice::from_ref(&path), &short, &mut |_| {})
        .unwrap()
        .quality()
        .clone();
    assert_eq!(q.dropped_by(Rule::Unparseable), 4, "{q:?}");
    assert!(
        q.parse_issues[0]
            .expected
            .contains("longer than 2048 bytes")
    );
    let default = read_transactions(&[path], &on_day("2024-06-01"), &mut |_| {}).unwrap();
    // 3 sample sales, the long line, and one of the three copies (the others are
    // duplicates).
    assert_eq!(
        default.quality().sales_lines,
        5,
        "a 3 KB line is read by default"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = HEADER_II.as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend(body);
        let _ = read_one(dir.path(), "fuzz.csv", &bytes);
    }

    #[test]
    fn arbitrary_fields_never_panic(fields in proptest::collection::vec("[ -~£é]{0,12}", 8)) {
        let dir = tempfile::tempdir().unwrap();
        let line: Vec<String> = fields.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect();
        let text = format!("{HEADER_II}\n{}\n", line.join(","));
        let _ = read_one(dir.path(), "fuzz.csv", text.as_bytes());
    }
}

/// CSV chunks typed on the rayon workers and merged in order give exactly what one
/// line at a time gives: the same string ids, the first copy of a duplicate kept (also
/// when the copies are chunks apart), the same counts and first unreadable values.
#[test]
fn chunked_csv_reading_equals_line_by_line() {
    use rebuy_data::clean::{Cleaner, Field as LineField, LineSink, Location};
    use rebuy_data::schema::Role;
    let mut text = format!("{HEADER_II}\n");
    let mut rows = Vec::new();
    for i in 0..40_000u64 {
        // Every 7th line repeats one from far back: a duplicate in an earlier chunk.
        let j = if i % 7 == 3 { i / 3 } else { i };
        let invoice = if j % 17 == 0 { "C" } else { "" };
        let quantity = if i % 2500 == 11 {
            "x".to_string() // unreadable: more than the ten listed
        } else {
            format!("{}", (j % 13) as i64 - 2)
        };
        let customer = if j % 11 == 0 {
            String::new()
        } else {
            format!("{}", 12_000 + j % 3001)
        };
        let row = [
            format!("{invoice}{}", 500_000 + j / 5),
            format!("S{}", j % 997),
            format!("ITEM {}", j % 991),
            quantity,
            format!("2010-12-{:02} 08:{:02}:00", 1 + j % 28, j % 60),
            format!("{}.{:02}", j % 9, j % 100),
            customer,
            ["United Kingdom", "France", "EIRE"][(j % 3) as usize].to_string(),
        ];
        text.push_str(&row.join(","));
        text.push('\n');
        rows.push(row);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "many.csv", text.as_bytes());
    let chunked = read(std::slice::from_ref(&path)).unwrap();
    spilling_gives_the_same_report_and_lines(&path, &chunked);

    let header: Vec<&str> = HEADER_II.split(',').collect();
    let column_name =
        |role: Role| header[Role::ALL.iter().position(|r| *r == role).unwrap()].to_string();
    let mut cleaner = Cleaner::new(ReadOptions::default().rules);
    for (i, row) in rows.iter().enumerate() {
        let fields = std::array::from_fn(|k| match row[k].as_str() {
            "" => LineField::Empty,
            value => LineField::Text(value),
        });
        let location = Location {
            path: &path,
            sheet: None,
            line: i as u64 + 2,
        };
        cleaner
            .push(&fields, location, &column_name, false)
            .unwrap();
    }
    let one_by_one = Transactions::finish(cleaner, chunked.quality().inputs.clone()).unwrap();

    let json = |t: &Transactions| serde_json::to_string(t.quality()).unwrap();
    assert_eq!(json(&chunked), json(&one_by_one));
    assert_eq!(chunked.quality().parse_issues.len(), 10);
    assert!(chunked.quality().dropped_by(Rule::Duplicate) > 1000);
    assert_eq!(chunked.customer_ids(), one_by_one.customer_ids());
    let table = |t: Transactions| match t.into_line_table(1 << 20, 1).unwrap().lines {
        Lines::InMemory(batches) => batches,
        Lines::Spilled(_) => panic!("a small input stays in memory"),
    };
    assert_eq!(table(chunked), table(one_by_one));
}

/// A memory budget of a few hundred lines spills the kept lines to the customer
/// partitions many times: duplicates across spills are still found, and the report and
/// the lines (as a set) are those of the run in memory.
fn spilling_gives_the_same_report_and_lines(path: &Path, in_memory: &Transactions) {
    let options = ReadOptions {
        memory_budget: 20_000,
        ..Default::default()
    };
    let spilled = read_transactions(&[path.to_path_buf()], &options, &mut |_| {}).unwrap();
    assert!(spilled.is_spilled() && !in_memory.is_spilled());
    let json = |t: &Transactions| serde_json::to_string(t.quality()).unwrap();
    assert_eq!(json(&spilled), json(in_memory));
    assert_eq!(spilled.len(), in_memory.len());
    assert_eq!(spilled.customer_ids(), in_memory.customer_ids());
}

/// The rules with the day of the run set, so that tests do not depend on the clock.
fn on_day(today: &str) -> ReadOptions {
    let mut options = ReadOptions::default();
    options.rules = options.rules.with_today(today.parse().unwrap());
    options
}

fn strict_on_day(today: &str) -> ReadOptions {
    let mut options = on_day(today);
    options.rules.strict = true;
    options
}

/// One line of the Online Retail II shape.
fn line(invoice: &str, quantity: &str, date: &str, price: &str, customer: &str) -> String {
    format!(
        "{invoice},85123A,WHITE HANGING HEART,{quantity},{date},{price},{customer},United Kingdom\n"
    )
}

#[test]
fn lines_dated_after_the_day_after_the_run_are_future_dates() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}{}{}{}{}",
        sample_lines(),
        line("536400", "1", "2024-06-02 23:59:00", "2.55", "13085"), // tomorrow: kept
        line("536401", "1", "2024-06-03 00:00:00", "2.55", "13085"),
        line("536402", "1", "9999-12-31 23:59:00", "2.55", "13085"),
        // No customer id either: still a future date, the first rule that removes it.
        line("536403", "1", "2030-01-01 10:00:00", "2.55", ""),
    );
    let path = write(dir.path(), "future.csv", text.as_bytes());
    let t = read_transactions(&[path], &on_day("2024-06-01"), &mut |_| {}).unwrap();
    let q = t.quality();
    assert_eq!(q.lines_read, 9);
    assert_eq!(q.dropped_by(Rule::FutureDate), 3);
    assert_eq!(q.dropped_by(Rule::MissingCustomerId), 0);
    assert_eq!(q.sales_lines, 4);
    assert_eq!(q.last_sale.as_deref(), Some("2024-06-02 23:59:00"));
    let future = q.future_dates.as_ref().expect("future dates reported");
    assert_eq!(future.latest_allowed, "2024-06-02");
    assert_eq!(future.latest_seen, "9999-12-31 23:59:00");
    assert_eq!(future.examples.len(), 3);
    let first = &future.examples[0];
    assert!(first.location.ends_with("future.csv line 8"), "{first:?}");
    assert_eq!(first.column, "InvoiceDate");
    assert_eq!(first.value, "2024-06-03 00:00:00");
    assert!(
        first.expected.contains("on or before 2024-06-02"),
        "{first:?}"
    );
    let warnings = q.warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("3 lines are dated after 2024-06-02")
            && warnings[0].contains("9999-12-31 23:59:00")
            && warnings[0].contains("--today"),
        "{}",
        warnings[0]
    );
    let text = q.to_text();
    assert!(
        text.contains("- future_date") && text.contains("lines dated after 2024-06-02"),
        "{text}"
    );
    let json = serde_json::to_value(q).unwrap();
    assert_eq!(json["dropped"][1]["rule"], "future_date");
    assert_eq!(
        json["future_dates"]["examples"][1]["value"],
        "9999-12-31 23:59:00"
    );
}

#[test]
fn without_future_dates_the_report_has_only_their_count() {
    let dir = tempfile::tempdir().unwrap();
    let t = read_one(dir.path(), "a.csv", sample_lines().as_bytes()).unwrap();
    let q = t.quality();
    assert!(q.future_dates.is_none() && q.warnings().is_empty());
    let json = serde_json::to_value(q).unwrap();
    assert!(json.get("future_dates").is_none(), "{json}");
    assert_eq!(json["dropped"][1]["rule"], "future_date");
    assert_eq!(json["dropped"][1]["lines"], 0);
    // The clock's day is the default day of the run (a run at midnight may see two).
    let tomorrow = chrono::Utc::now().date_naive().succ_opt().unwrap();
    let allowed = rebuy_data::CleaningRules::default().latest_allowed_day();
    assert!((allowed - tomorrow).num_days().abs() <= 1, "{allowed}");
}

#[test]
fn every_line_in_the_future_is_no_line_left() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER_II}\n{}",
        line("536402", "1", "9999-12-31 23:59:00", "2.55", "13085")
    );
    let path = write(dir.path(), "all-future.csv", text.as_bytes());
    let err = read_transactions(&[path], &on_day("2024-06-01"), &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::NothingSurvived(_)));
    assert!(err.to_string().contains("future_date removed 1"), "{err}");
}

/// `1` followed by 308 zeros: 1e308, written as plain digits.
fn ten_to_the_308() -> String {
    format!("1{}", "0".repeat(308))
}

#[test]
fn numbers_beyond_the_bound_are_unparseable_and_sums_stay_finite() {
    let dir = tempfile::tempdir().unwrap();
    let huge = ten_to_the_308();
    let text = format!(
        "{}{}{}{}{}{}{}{}",
        sample_lines(),
        line("536500", "1", "2010-12-02 10:00:00", "1e308", "13085"),
        line("536501", &huge, "2010-12-02 10:00:00", "2.55", "13085"),
        line("536502", "1e10", "2010-12-02 10:00:00", "1e10", "13085"),
        line("C536503", "-1e308", "2010-12-02 10:00:00", "2.55", "13085"),
        line("536504", "1", "2010-12-02 10:00:00", "1e400", "13085"),
        // At the bound: kept.
        line(
            "536505",
            "1000",
            "2010-12-02 10:00:00",
            "1000000000000",
            "13085"
        ),
        line("536506", "1", "2010-12-02 10:00:00", "1e15", "13085"),
    );
    let path = write(dir.path(), "huge.csv", text.as_bytes());
    let t = read_transactions(
        std::slice::from_ref(&path),
        &on_day("2024-06-01"),
        &mut |_| {},
    )
    .unwrap();
    let q = t.quality();
    assert_eq!(q.dropped_by(Rule::Unparseable), 5);
    assert_eq!(q.sales_lines, 5);
    assert!((q.revenue - (2e15 + 6.0 * (2.55 + 3.39 + 1.85))).abs() < 1.0);
    assert!(q.revenue.is_finite() && q.returns_value.is_finite());
    let columns: Vec<(&str, &str)> = q
        .parse_issues
        .iter()
        .map(|i| (i.column.as_str(), i.value.as_str()))
        .collect();
    assert_eq!(
        columns,
        [
            ("Price", "1e308"),
            ("Quantity", &huge[..80]),
            ("Price", "1e10"),
            ("Quantity", "-1e308"),
            ("Price", "1e400"),
        ]
    );
    let issue = &q.parse_issues[0];
    assert!(issue.location.ends_with("huge.csv line 7"), "{issue:?}");
    assert_eq!(issue.expected, "a number from -1e15 to 1e15");
    assert!(
        q.parse_issues[2]
            .expected
            .contains("product with the quantity 1e10"),
        "{:?}",
        q.parse_issues[2]
    );
    let json = serde_json::to_string(q).unwrap();
    assert!(!json.contains("null"), "{json}");

    let err = read_transactions(&[path], &strict_on_day("2024-06-01"), &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::BadValue { .. }));
    let text = err.to_string();
    assert!(
        text.contains("huge.csv line 7")
            && text.contains("\"Price\"")
            && text.contains("\"1e308\"")
            && text.contains("from -1e15 to 1e15"),
        "{text}"
    );
}

#[test]
fn parquet_and_xlsx_values_beyond_the_bound_are_unparseable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("Invoice", DataType::Utf8, false),
        Field::new("StockCode", DataType::Utf8, false),
        Field::new("Quantity", DataType::Int64, false),
        Field::new(
            "InvoiceDate",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("Price", DataType::Float64, false),
        Field::new("Customer ID", DataType::Utf8, false),
    ]));
    let us = 1_291_191_960_000_000i64;
    let year_9999 = 253_402_214_400_000_000i64;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["1", "2", "3", "4", "C5", "6"])),
        Arc::new(StringArray::from(vec!["85123A"; 6])),
        Arc::new(Int64Array::from(vec![
            6,
            6,
            i64::MAX,
            10_000_000_000,
            -6,
            1,
        ])),
        Arc::new(arrow::array::TimestampMicrosecondArray::from(vec![
            us, us, us, us, us, year_9999,
        ])),
        Arc::new(Float64Array::from(vec![
            2.55,
            1e308,
            2.55,
            1e10,
            f64::MAX,
            2.55,
        ])),
        Arc::new(StringArray::from(vec!["13085"; 6])),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None)
            .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let t = read_transactions(
        std::slice::from_ref(&path),
        &on_day("2024-06-01"),
        &mut |_| {},
    )
    .unwrap();
    let q = t.quality();
    assert_eq!(q.dropped_by(Rule::Unparseable), 4);
    assert_eq!(q.dropped_by(Rule::FutureDate), 1);
    assert_eq!(q.sales_lines, 1);
    assert!(q.revenue.is_finite() && q.returns_value.is_finite());
    let issue = &q.parse_issues[0];
    assert!(issue.location.ends_with("huge.parquet line 2"), "{issue:?}");
    assert_eq!(issue.column, "Price");
    assert_eq!(issue.expected, "a number from -1e15 to 1e15");
    let future = q.future_dates.as_ref().unwrap();
    assert_eq!(future.latest_seen, "9999-12-31 00:00:00");
    assert_eq!(future.examples[0].value, "9999-12-31 00:00:00");

    let book = dir.path().join("huge.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in ["Invoice", "Quantity", "InvoiceDate", "Price", "Customer ID"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *name).unwrap();
    }
    for (row, price) in [2.55, 1e308].iter().enumerate() {
        let row = row as u32 + 1;
        sheet.write_string(row, 0, "536365").unwrap();
        sheet.write_number(row, 1, 6.0).unwrap();
        sheet.write_string(row, 2, "2010-12-01 08:26:00").unwrap();
        sheet.write_number(row, 3, *price).unwrap();
        sheet.write_number(row, 4, 13085.0).unwrap();
    }
    workbook.save(&book).unwrap();
    let t = read_transactions(&[book], &on_day("2024-06-01"), &mut |_| {}).unwrap();
    assert_eq!(t.quality().dropped_by(Rule::Unparseable), 1);
    assert_eq!(t.quality().parse_issues[0].column, "Price");
}

#[test]
fn lines_with_more_fields_than_the_header_are_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let wide = format!("536600{}\n", ",1".repeat(99_999));
    let text = format!(
        "{}536599,85123A,WHITE HANGING HEART,6,2010-12-02 08:26:00,2.55,13085,United Kingdom,extra\n{wide}{}",
        sample_lines(),
        line("536601", "1", "2010-12-02 10:00:00", "2.55", "13085"),
    );
    let path = write(dir.path(), "wide.csv", text.as_bytes());
    let t = read_transactions(
        std::slice::from_ref(&path),
        &on_day("2024-06-01"),
        &mut |_| {},
    )
    .unwrap();
    let q = t.quality();
    assert_eq!(q.lines_read, 8);
    assert_eq!(q.dropped_by(Rule::Unparseable), 2);
    assert_eq!(q.sales_lines, 4);
    let issue = &q.parse_issues[0];
    assert!(issue.location.ends_with("wide.csv line 7"), "{issue:?}");
    assert_eq!(issue.column, "(whole line)");
    assert!(
        issue
            .expected
            .starts_with("9 fields where the header has 8: the line is damaged"),
        "{issue:?}"
    );
    assert!(
        q.parse_issues[1]
            .expected
            .starts_with("100000 fields where the header has 8"),
        "{:?}",
        q.parse_issues[1]
    );
    let err = read_transactions(&[path], &strict_on_day("2024-06-01"), &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::BadLine { .. }));
    assert!(err.to_string().contains("wide.csv line 7"), "{err}");
}

#[test]
fn a_quote_never_closed_counts_the_lines_it_took() {
    let dir = tempfile::tempdir().unwrap();
    let after = line("536701", "1", "2010-12-02 10:00:00", "2.55", "13085").repeat(3);
    for (name, opened, column) in [
        (
            "country.csv",
            "536700,85123A,WHITE HANGING HEART,6,2010-12-02 08:26:00,2.55,13085,\"United Kingdom\n",
            "\"Country\"",
        ),
        (
            "description.csv",
            "536700,85123A,\"WHITE HANGING HEART,6,2010-12-02 08:26:00,2.55,13085,United Kingdom\n",
            "\"Description\"",
        ),
    ] {
        let text = format!("{}{opened}\n{after}", sample_lines());
        let path = write(dir.path(), name, text.as_bytes());
        let t = read_transactions(&[path], &on_day("2024-06-01"), &mut |_| {}).unwrap();
        let q = t.quality();
        assert_eq!(q.lines_read, 9, "{name}: every line of the file is counted");
        assert_eq!(q.dropped_by(Rule::Unparseable), 4, "{name}");
        assert_eq!(q.sales_lines, 3, "{name}");
        let issue = &q.parse_issues[0];
        assert!(
            issue.location.ends_with(&format!("{name} line 7")),
            "{issue:?}"
        );
        assert!(
            issue.expected.contains(&format!(
                "a quote opened in column {column} is never closed"
            )) && issue.expected.contains("the 3 lines after it"),
            "{issue:?}"
        );
    }
    // A quoted value with a line break, closed, at the end of the file reads normally,
    // with or without a last line break; so does a quote opened on the last line that
    // takes no line.
    for (name, last) in [
        (
            "closed.csv",
            "536702,85123A,\"TWO\nLINES\",1,2010-12-02 10:00:00,2.55,13085,\"United\nKingdom\"",
        ),
        (
            "closed-nl.csv",
            "536702,85123A,\"TWO\nLINES\",1,2010-12-02 10:00:00,2.55,13085,\"United\nKingdom\"\n",
        ),
        (
            "open-last.csv",
            "536702,85123A,TWO,1,2010-12-02 10:00:00,2.55,13085,\"United Kingdom\n",
        ),
    ] {
        let text = format!("{}{last}", sample_lines());
        let t = read_one(dir.path(), name, text.as_bytes()).unwrap();
        assert_eq!(t.quality().dropped_by(Rule::Unparseable), 0, "{name}");
        assert_eq!(t.quality().sales_lines, 4, "{name}");
    }
}

/// A quote never closed early in a file larger than the longest record: reading stops
/// there (memory stays bounded), and every line after it is counted.
#[test]
fn a_record_longer_than_16_mib_ends_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!(
        "{}536700,85123A,WHITE HANGING HEART,6,2010-12-02 08:26:00,2.55,13085,\"United Kingdom\n",
        sample_lines()
    );
    let after = line("536701", "1", "2010-12-02 10:00:00", "2.55", "13085");
    let copies = (20 << 20) / after.len();
    text.push_str(&after.repeat(copies));
    let path = write(dir.path(), "long.csv", text.as_bytes());
    let t = read_transactions(&[path], &on_day("2024-06-01"), &mut |_| {}).unwrap();
    let q = t.quality();
    assert_eq!(q.lines_read, 6 + copies as u64);
    assert_eq!(q.dropped_by(Rule::Unparseable), 1 + copies as u64);
    let issue = &q.parse_issues[0];
    assert!(issue.location.ends_with("long.csv line 7"), "{issue:?}");
    assert!(
        issue
            .expected
            .contains("longer than 16777216 bytes (--max-line-bytes)")
            && issue
                .expected
                .contains(&format!("the {copies} lines after it")),
        "{issue:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever numbers a line holds (any float, written in full or short), the
    /// report's sums are finite: a value either is within the bound or is unparseable.
    #[test]
    fn any_quantity_and_price_give_finite_sums(
        quantity in any::<f64>(),
        price in any::<f64>(),
        short in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let number = |x: f64| if short { format!("{x:e}") } else { format!("{x}") };
        let text = format!(
            "{}{}{}",
            sample_lines(),
            line("536800", &number(quantity), "2010-12-02 10:00:00", &number(price), "13085"),
            line("C536801", &number(-quantity.abs()), "2010-12-02 10:00:00", &number(price), "13085"),
        );
        let t = read_one(dir.path(), "numbers.csv", text.as_bytes()).unwrap();
        let q = t.quality();
        prop_assert!(q.revenue.is_finite() && q.returns_value.is_finite());
        prop_assert!(q.revenue.abs() <= 3e15 && q.returns_value.abs() <= 3e15);
        let json = serde_json::to_string(q).unwrap();
        prop_assert!(!json.contains("null"), "{}", json);
    }
}

/// One sale in the Online Retail II columns.
const SALE: [&str; 8] = [
    "536365",
    "85123A",
    "HEART",
    "6",
    "2010-12-01 08:26:00",
    "2.55",
    "13085",
    "United Kingdom",
];

/// A value longer than its cap (--max-field-bytes, --max-description-bytes) makes its
/// line unparseable in every format, naming the column and the cap; the caps are
/// settings.
#[test]
fn values_longer_than_their_cap_are_unparseable() {
    let dir = tempfile::tempdir().unwrap();
    let huge_customer = "7".repeat(1 << 20);
    let long_description = "D".repeat(5000);
    let long_invoice = "5".repeat(300);
    let csv = format!(
        "{}{}{}536801,85123A,{long_description},1,2010-12-02 10:00:00,2.55,13085,United Kingdom\n",
        sample_lines(),
        line("536800", "1", "2010-12-02 10:00:00", "2.55", &huge_customer),
        line(&long_invoice, "1", "2010-12-02 10:00:00", "2.55", "13085"),
    );
    let path = write(dir.path(), "long.csv", csv.as_bytes());
    let read_with = |options: &ReadOptions| {
        read_transactions(std::slice::from_ref(&path), options, &mut |_| {}).unwrap()
    };
    let t = read_with(&on_day("2024-06-01"));
    let q = t.quality();
    assert_eq!(q.dropped_by(Rule::Unparseable), 3);
    assert_eq!(q.customers, 1, "the 1 MB customer id is not a customer");
    let issue = &q.parse_issues[0];
    assert_eq!(issue.column, "Customer ID");
    assert_eq!(issue.value.len(), 80, "the value is shown cut");
    assert_eq!(
        issue.expected,
        "at most 256 bytes (--max-field-bytes), not 1048576"
    );
    assert_eq!(q.parse_issues[1].column, "Invoice");
    assert_eq!(
        q.parse_issues[2].expected,
        "at most 4096 bytes (--max-description-bytes), not 5000"
    );

    let mut wider = on_day("2024-06-01");
    wider.rules.max_field_bytes = 300;
    wider.rules.max_description_bytes = 5000;
    assert_eq!(read_with(&wider).quality().dropped_by(Rule::Unparseable), 1);

    let book = dir.path().join("long.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in HEADER_II.split(',').enumerate() {
        sheet.write_string(0, col as u16, name).unwrap();
    }
    // A cell holds at most 32,767 characters.
    let long_customer = "7".repeat(30_000);
    for (row, customer) in ["13085", long_customer.as_str()].iter().enumerate() {
        let row = row as u32 + 1;
        for (col, value) in SALE[..6].iter().enumerate() {
            sheet.write_string(row, col as u16, *value).unwrap();
        }
        sheet.write_string(row, 6, *customer).unwrap();
    }
    workbook.save(&book).unwrap();
    let t = read_transactions(&[book], &on_day("2024-06-01"), &mut |_| {}).unwrap();
    assert_eq!(t.quality().dropped_by(Rule::Unparseable), 1);
    assert_eq!(t.quality().customers, 1);
}

/// An XLSX part written by hand (`(name, xml)`), stored or deflated: for workbooks no
/// spreadsheet program writes.
fn zip_parts(path: &Path, parts: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// The parts of a one-sheet workbook around the sheet's `<sheetData>` rows and a
/// shared-strings part.
fn workbook_parts(path: &Path, rows: &str, shared_strings: &[u8]) {
    let sheet = format!(
        "<?xml version=\"1.0\"?><worksheet \
         xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <sheetData>{rows}</sheetData></worksheet>"
    );
    let rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let package = "http://schemas.openxmlformats.org/package/2006/relationships";
    zip_parts(
        path,
        &[
            (
                "_rels/.rels",
                format!(
                    "<Relationships xmlns=\"{package}\"><Relationship Id=\"rId1\" \
                     Type=\"{rels}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
                )
                .as_bytes(),
            ),
            (
                "xl/workbook.xml",
                format!(
                    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
                     xmlns:r=\"{rels}\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" \
                     r:id=\"rId1\"/></sheets></workbook>"
                )
                .as_bytes(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                format!(
                    "<Relationships xmlns=\"{package}\"><Relationship Id=\"rId1\" \
                     Type=\"{rels}/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"
                )
                .as_bytes(),
            ),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
            ("xl/sharedStrings.xml", shared_strings),
        ],
    );
}

/// The header and one sale as `<row>`s of inline strings and numbers.
fn header_and_sale_rows() -> String {
    let cell = |column: char, row: u32, text: &str| {
        format!("<c r=\"{column}{row}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
    };
    let header: String = HEADER_II
        .split(',')
        .zip('A'..)
        .map(|(name, column)| cell(column, 1, name))
        .collect();
    let sale: String = SALE.iter().zip('A'..).map(|(v, c)| cell(c, 2, v)).collect();
    format!("<row r=\"1\">{header}</row><row r=\"2\">{sale}</row>")
}

/// A cell far out (XFD1048576, Excel's last) is read without a grid (one made the
/// reader ask for 512 GiB and abort); one beyond Excel's limits is refused, naming it.
#[test]
fn xlsx_cells_far_out_are_read_without_a_grid_and_beyond_excel_refused() {
    let dir = tempfile::tempdir().unwrap();
    let far = dir.path().join("far.xlsx");
    let rows = format!(
        "{}<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row>",
        header_and_sale_rows()
    );
    workbook_parts(&far, &rows, b"<sst/>");
    let t = read_transactions(&[far], &on_day("2024-06-01"), &mut |_| {}).unwrap();
    let q = t.quality();
    assert_eq!((q.lines_read, q.sales_lines), (2, 1));
    assert!(
        q.parse_issues[0].location.ends_with("row 1048576"),
        "{:?}",
        q.parse_issues
    );

    for (cell, named) in [
        ("XFE2", "row 2, column 16385"),
        ("A1048577", "row 1048577, column 1"),
    ] {
        let beyond = dir.path().join("beyond.xlsx");
        let rows = format!(
            "{}<row><c r=\"{cell}\"><v>1</v></c></row>",
            header_and_sale_rows()
        );
        workbook_parts(&beyond, &rows, b"<sst/>");
        let limits = format!("sheet \"Sheet1\" has a cell at {named}, beyond Excel's limits");
        assert_refused(read(&[beyond]), &["beyond.xlsx", &limits]);
    }
}

/// Shared strings that would take more memory than any real workbook's (a zip bomb:
/// 65 MiB of strings in 100 KB) are refused before they are read.
#[test]
fn xlsx_with_huge_shared_strings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.xlsx");
    let mut strings = b"<sst>".to_vec();
    while strings.len() < 65 << 20 {
        strings.extend_from_slice(b"<si><t>a</t></si>");
    }
    strings.extend_from_slice(b"</sst>");
    workbook_parts(&path, &header_and_sale_rows(), &strings);
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    assert_refused(
        read(&[path]),
        &["bomb.xlsx", "more than the 64 MiB read into memory"],
    );
}

/// The old binary Excel format is refused with what to do instead.
#[test]
fn xls_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    assert_refused(
        read_one(dir.path(), "old.xls", &ole),
        &["old.xls", "save it as .xlsx or CSV"],
    );
}

/// A sheet part larger than the longest XML item read (16 MiB) is scanned first: one
/// holding a 20 MiB cell text (20 KB deflated) is refused, naming the part; one of
/// many short items reads.
#[test]
fn xlsx_sheets_with_an_item_too_long_to_hold_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty_rows: String = (3..700_000)
        .map(|r| format!("<row r=\"{r}\"><c r=\"A{r}\"/></row>"))
        .collect();
    assert!(empty_rows.len() > 16 << 20);
    let large = dir.path().join("large.xlsx");
    workbook_parts(&large, &(header_and_sale_rows() + &empty_rows), b"<sst/>");
    let t = read(&[large]).unwrap();
    assert_eq!(t.quality().sales_lines, 1);

    let long_text = format!(
        "<row r=\"3\"><c r=\"B3\" t=\"inlineStr\"><is><t>{}</t></is></c></row>",
        "x".repeat(20 << 20)
    );
    let bomb = dir.path().join("long-cell.xlsx");
    workbook_parts(&bomb, &(header_and_sale_rows() + &long_text), b"<sst/>");
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    assert_refused(
        read(&[bomb]),
        &[
            "long-cell.xlsx",
            "part xl/worksheets/sheet1.xml holds one XML item",
            "longer than the 16 MiB read at once",
        ],
    );
}
