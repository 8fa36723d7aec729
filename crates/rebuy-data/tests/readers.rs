//! Every input form a user brings: encodings, delimiters, date forms, both schemas,
//! spreadsheets with several sheets, Parquet with pandas' types; and every bad input
//! gives an error that says where and what, never a panic.

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
