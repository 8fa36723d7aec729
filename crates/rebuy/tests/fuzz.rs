//! Damaged and hostile files cannot take the machine down: every file of a seeded
//! corpus (byte flips, truncation, huge numbers, odd encodings, broken containers, in
//! CSV, CSV.gz, XLSX and Parquet) ends in under 60 s with exit 0 or 65, under 500 MB
//! of peak memory, with no panic and no abort.
//!
//! CI runs a slice of the corpus (`fuzzed_files_end_cleanly`, the first [`CI_FILES`]
//! files); the whole corpus is run by hand, `REBUY_FUZZ_FILES=400 cargo test --release
//! -p rebuy --test fuzz -- --nocapture fuzzed`, which prints the outcome counts
//! (docs/benchmarks.md).

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;

use common::cli_fixture;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Files of the corpus CI runs (of the 400 of the whole corpus).
const CI_FILES: usize = 60;
/// The corpus' seed: file `i` is made from `SEED + i`.
const SEED: u64 = 20_261_202;
const MAX_SECONDS: f64 = 60.0;
const MAX_PEAK_KB: u64 = 500 * 1000;

#[test]
fn fuzzed_files_end_cleanly() {
    let files = std::env::var("REBUY_FUZZ_FILES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CI_FILES);
    check_corpus(files);
}

fn check_corpus(files: usize) {
    let dir = tempfile::tempdir().unwrap();
    let seeds = Seeds::new();
    let mut outcomes = Vec::new();
    for i in 0..files {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED + i as u64);
        let (name, bytes) = seeds.fuzzed(i, &mut rng);
        let file = dir.path().join(format!("{i:03}-{name}"));
        std::fs::write(&file, &bytes).unwrap();
        let outcome = run_rebuy(&file, &dir.path().join("out"));
        outcome.assert_clean(&file);
        outcomes.push(outcome);
    }
    let count = |code: i32| outcomes.iter().filter(|o| o.code == Some(code)).count();
    let slowest = outcomes.iter().map(|o| o.seconds).fold(0.0, f64::max);
    let peak = outcomes.iter().map(|o| o.peak_kb).max().unwrap_or(0);
    println!(
        "{files} fuzzed files: {} exit 0, {} exit 65, {} other; slowest {slowest:.2} s, \
         highest peak {} MB",
        count(0),
        count(65),
        files - count(0) - count(65),
        peak / 1000
    );
}

/// The hostile files of issue 15: one cell at XFD1048576 (a grid reader asked for 512
/// GiB and aborted) or AZ1048576 (1.7 GB), a gzip holding one line of 256 MiB of NUL
/// bytes (16 times the longest line read), and a customer id of 1 MB, which must not
/// reach customers.csv.
#[test]
fn the_hostile_files_of_the_issue_stay_small() {
    let dir = tempfile::tempdir().unwrap();
    for (name, column, limit_mb) in [("xfd.xlsx", 16_383, 100), ("az.xlsx", 51, 100)] {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_number(1_048_575, column, 1.0).unwrap();
        let file = dir.path().join(name);
        book.save(&file).unwrap();
        let outcome = run_rebuy(&file, &dir.path().join("out"));
        outcome.assert_clean(&file);
        assert_eq!(outcome.code, Some(65), "{name}: a sheet without a header");
        assert!(outcome.peak_kb < limit_mb * 1000, "{name}: {outcome:?}");
    }

    let file = dir.path().join("nul.csv.gz");
    let mut gzip = flate2::write::GzEncoder::new(
        std::fs::File::create(&file).unwrap(),
        flate2::Compression::fast(),
    );
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        gzip.write_all(&zeros).unwrap();
    }
    gzip.finish().unwrap();
    let outcome = run_rebuy(&file, &dir.path().join("out"));
    outcome.assert_clean(&file);
    assert_eq!(outcome.code, Some(65));
    assert!(outcome.stderr.len() < 4096, "one short line: {outcome:?}");

    let file = dir.path().join("long-customer.csv");
    let mut text = std::fs::read_to_string(cli_fixture()).unwrap();
    let huge = "9".repeat(1 << 20);
    text.push_str(&format!(
        "999001,85123A,HEART,1,2011-01-01 10:00:00,2.55,{huge},United Kingdom\n"
    ));
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("long");
    let outcome = run_rebuy(&file, &out);
    outcome.assert_clean(&file);
    assert_eq!(outcome.code, Some(0), "{outcome:?}");
    let customers = std::fs::read_to_string(out.join("customers.csv")).unwrap();
    assert!(!customers.contains(&huge[..300]));
    let quality = common::json(&out.join("quality.json"));
    let issue = quality["parse_issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["column"] == "Customer ID")
        .expect("the long customer id is a parse issue");
    assert_eq!(
        issue["expected"],
        "at most 256 bytes (--max-field-bytes), not 1048576"
    );
}

/// How one run of the binary ended.
#[derive(Debug)]
struct Outcome {
    /// `None` when a signal ended it (an abort, or the kill past [`MAX_SECONDS`]).
    code: Option<i32>,
    seconds: f64,
    /// The highest resident memory seen (VmHWM, read every few milliseconds).
    peak_kb: u64,
    stderr: String,
}

impl Outcome {
    fn assert_clean(&self, file: &Path) {
        let head: String = self.stderr.chars().take(2000).collect();
        assert!(
            matches!(self.code, Some(0 | 65)),
            "{}: exit {:?}: {head}",
            file.display(),
            self.code
        );
        assert!(
            !self.stderr.contains("panicked"),
            "{}: {head}",
            file.display()
        );
        assert!(self.seconds < MAX_SECONDS, "{}: {self:?}", file.display());
        assert!(
            self.peak_kb < MAX_PEAK_KB,
            "{}: {} kB",
            file.display(),
            self.peak_kb
        );
    }
}

/// Runs `rebuy run` on `file` into `out`, watching its memory; killed past
/// [`MAX_SECONDS`].
fn run_rebuy(file: &Path, out: &Path) -> Outcome {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rebuy"))
        .args(["run", "--today", "2024-06-01", "--input"])
        .arg(file)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        stderr.read_to_end(&mut text).unwrap();
        String::from_utf8_lossy(&text).into_owned()
    });
    let started = Instant::now();
    let status_file = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak_kb = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak_kb = peak_kb.max(high_water_kb(&status_file));
        if started.elapsed().as_secs_f64() > MAX_SECONDS {
            child.kill().unwrap();
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    Outcome {
        code: status.code(),
        seconds: started.elapsed().as_secs_f64(),
        peak_kb,
        stderr: reader.join().unwrap(),
    }
}

/// A process's peak resident memory so far (0 once it has ended).
fn high_water_kb(status_file: &Path) -> u64 {
    let text = std::fs::read_to_string(status_file).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The well-formed files the corpus is made from: the CLI fixture as CSV, and its
/// lines as an XLSX sheet and a Parquet file.
struct Seeds {
    lines: Vec<Vec<String>>,
}

impl Seeds {
    fn new() -> Self {
        let text = std::fs::read_to_string(cli_fixture()).unwrap();
        let lines = text
            .lines()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        Seeds { lines }
    }

    /// File `i` of the corpus: its container is the `i`-th of the four, its damage
    /// drawn from `rng`.
    fn fuzzed(&self, i: usize, rng: &mut ChaCha8Rng) -> (&'static str, Vec<u8>) {
        let mut lines = self.lines.clone();
        if rng.random_bool(0.5) {
            damage_values(&mut lines, rng);
        }
        match i % 4 {
            0 => ("fuzz.csv", damage_bytes(damage_text(csv(&lines), rng), rng)),
            1 => (
                "fuzz.csv.gz",
                damage_bytes(gzip(&damage_text(csv(&lines), rng)), rng),
            ),
            2 => ("fuzz.xlsx", damage_bytes(xlsx(&lines, rng), rng)),
            _ => ("fuzz.parquet", damage_bytes(parquet(&lines), rng)),
        }
    }
}

/// Puts implausible values in a few fields: huge or odd numbers, long text.
fn damage_values(lines: &mut [Vec<String>], rng: &mut ChaCha8Rng) {
    const ODD: [&str; 12] = [
        "1e308",
        "-1e308",
        "99999999999999999999999999",
        "NaN",
        "inf",
        "-0",
        "0x1F",
        "1,5",
        "9999-12-31 23:59:59",
        "0000-00-00",
        "",
        "=HYPERLINK(\"x\")",
    ];
    for _ in 0..rng.random_range(1..20) {
        let row = rng.random_range(1..lines.len());
        let column = rng.random_range(0..lines[row].len());
        lines[row][column] = match rng.random_range(0..4) {
            0 => "7".repeat(rng.random_range(200..40_000)),
            1 => "x".repeat(rng.random_range(1..5000)),
            _ => ODD[rng.random_range(0..ODD.len())].to_string(),
        };
    }
}

fn csv(lines: &[Vec<String>]) -> Vec<u8> {
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.join(","));
        text.push('\n');
    }
    text.into_bytes()
}

/// Text-level damage of a CSV: other encodings, broken quoting, odd line breaks,
/// very wide or long lines, or nothing.
fn damage_text(text: Vec<u8>, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let at = rng.random_range(0..text.len());
    let insert = |what: &[u8]| [&text[..at], what, &text[at..]].concat();
    match rng.random_range(0..11) {
        0 => {
            let mut utf16 = vec![0xFF, 0xFE];
            for unit in String::from_utf8_lossy(&text).encode_utf16() {
                utf16.extend_from_slice(&unit.to_le_bytes());
            }
            utf16
        }
        1 => insert(b"\xa3\xe9\xff\xfe\xc3"),
        2 => insert(b"\"never closed,"),
        3 => text
            .iter()
            .map(|&b| if b == b'\n' { b'\r' } else { b })
            .collect(),
        4 => insert(&b",".repeat(rng.random_range(100..100_000))),
        5 => insert(&vec![0u8; rng.random_range(1..(20 << 20))]),
        6 => insert("\u{feff}".as_bytes()),
        7 => text[..at].to_vec(),
        8 => b"   \n\n".to_vec(),
        9 => insert(&b"\"".repeat(rng.random_range(1..1000))),
        _ => text,
    }
}

/// Byte-level damage of any file: flipped bytes, a cut, a copied or zeroed stretch,
/// or nothing.
fn damage_bytes(mut bytes: Vec<u8>, rng: &mut ChaCha8Rng) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    let len = bytes.len();
    match rng.random_range(0..6) {
        0 => {
            for _ in 0..rng.random_range(1..40) {
                let at = rng.random_range(0..len);
                bytes[at] = rng.random();
            }
        }
        1 => bytes.truncate(rng.random_range(0..len)),
        2 => {
            let (from, to) = (rng.random_range(0..len), rng.random_range(0..len));
            let stretch = bytes[from..(from + 4096).min(len)].to_vec();
            bytes.splice(to..to, stretch);
        }
        3 => {
            let at = rng.random_range(0..len);
            let end = (at + rng.random_range(1..512)).min(len);
            bytes[at..end].fill(0);
        }
        4 => {
            // The end of the file: a zip's directory, a Parquet footer, a gzip trailer.
            let at = len - rng.random_range(1..len.min(200) + 1);
            bytes[at] ^= 1 << rng.random_range(0..8);
        }
        _ => {}
    }
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(bytes).unwrap();
    gzip.finish().unwrap()
}

/// The lines as one sheet (numbers where a field reads as one), sometimes with a
/// cell far out (Excel's last row or column).
fn xlsx(lines: &[Vec<String>], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in lines.iter().enumerate() {
        for (c, value) in line.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match value.parse::<f64>() {
                Ok(number) if number.is_finite() && r > 0 => {
                    sheet.write_number(r, c, number).unwrap();
                }
                // A cell holds at most 32,767 characters.
                _ => {
                    let text: String = value.chars().take(32_767).collect();
                    sheet.write_string(r, c, text).unwrap();
                }
            };
        }
    }
    if rng.random_bool(0.2) {
        let (row, column) = (rng.random_range(0..1_048_576), rng.random_range(0..16_384));
        sheet.write_number(row, column, 1.0).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// The lines as a Parquet file of text columns.
fn parquet(lines: &[Vec<String>]) -> Vec<u8> {
    use arrow::array::{ArrayRef, RecordBatch, StringArray};
    let header = &lines[0];
    let columns: Vec<(String, ArrayRef)> = (0..header.len())
        .map(|c| {
            let values: StringArray = lines[1..]
                .iter()
                .map(|l| l.get(c).map(String::as_str))
                .collect();
            (header[c].clone(), std::sync::Arc::new(values) as ArrayRef)
        })
        .collect();
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut bytes = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    bytes
}
