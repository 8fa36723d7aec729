//! Delimited text: plain or gzip'd, UTF-8 (with or without BOM), UTF-16 with BOM,
//! or Latin-1 / Windows-1252 (decoded field by field where a field is not UTF-8, so a
//! file that mixes encodings still reads).

use super::{Format, PROGRESS_EVERY, ReadOptions, input_report, open};
use crate::clean::{Field, LineSink, Location};
use crate::error::{Error, Result};
use crate::quality::InputReport;
use crate::schema::{ColumnMap, Role};
use ::csv::ByteRecord;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

pub(super) fn read(
    path: &Path,
    gzip: bool,
    options: &ReadOptions,
    cleaner: &mut dyn LineSink,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<InputReport> {
    let consumed = Arc::new(AtomicU64::new(0));
    let file = CountingReader {
        inner: open(path)?,
        count: Arc::clone(&consumed),
    };
    let decoded: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            file,
        )))
    } else {
        Box::new(file)
    };
    let mut reader = BufReader::with_capacity(1 << 20, decoded);
    let head = reader.fill_buf().map_err(|e| read_error(path, gzip, e))?;
    let utf16 = matches!(head, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..]);
    let utf8_bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let (text, encoding): (Box<dyn Read + Send>, &str) = if utf16 {
        let transcoded = encoding_rs_io::DecodeReaderBytesBuilder::new().build(reader);
        (Box::new(transcoded), "UTF-16")
    } else if utf8_bom {
        reader.consume(3);
        (Box::new(reader), "UTF-8 with BOM")
    } else {
        (Box::new(reader), "UTF-8 or Latin-1")
    };
    let mut text = BufReader::with_capacity(1 << 20, text);
    let head = text.fill_buf().map_err(|e| read_error(path, gzip, e))?;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Empty { path: path.into() });
    }
    let delimiter = options.delimiter.unwrap_or_else(|| detect_delimiter(head));
    let mut csv = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 18)
        .from_reader(text);
    let mut record = ByteRecord::new();
    if !csv
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(path, gzip, e))?
    {
        return Err(Error::Empty { path: path.into() });
    }
    let header: Vec<String> = record.iter().map(|f| decode(f).into_owned()).collect();
    let map = ColumnMap::resolve(&header, &options.mapping, path, None)?;
    let positions: Vec<Option<usize>> = Role::ALL.iter().map(|r| map.get(*r)).collect();
    let needed = positions.iter().flatten().max().map_or(0, |m| m + 1);
    let column_name = |role: Role| map.name(role, &header).to_string();
    let decimal_comma = delimiter != b',';
    let mut lines = 0u64;
    let mut scratch: [String; 8] = Default::default();
    // Splitting records (and decompressing) runs on a second thread while this one
    // types and cleans: the two halves cost about the same, so reading takes about
    // half the time on two cores. Chunks go back to the reader to be refilled.
    let (to_cleaner, from_reader) = mpsc::sync_channel::<Result<Vec<ByteRecord>>>(4);
    let (recycle, recycled) = mpsc::channel::<Vec<ByteRecord>>();
    std::thread::scope(|scope| {
        scope.spawn(move || split_records(&mut csv, path, gzip, &to_cleaner, &recycled));
        for chunk in from_reader {
            let chunk = chunk?;
            for record in &chunk {
                lines += 1;
                let location = Location {
                    path,
                    sheet: None,
                    line: record.position().map_or(lines + 1, |p| p.line()),
                };
                if record.len() < needed {
                    if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
                        lines -= 1;
                        continue; // a blank line
                    }
                    cleaner.reject_line(
                        location,
                        format!(
                            "{} fields where the header has {}",
                            record.len(),
                            header.len()
                        ),
                    )?;
                } else {
                    let fields = fields_of(record, &positions, &mut scratch);
                    cleaner.push(&fields, location, &column_name, decimal_comma)?;
                }
                if lines.is_multiple_of(PROGRESS_EVERY) {
                    progress(consumed.load(Ordering::Relaxed), cleaner.lines_read());
                }
            }
            // The reader may have stopped already: then the chunk is simply dropped.
            let _ = recycle.send(chunk);
        }
        Ok::<(), Error>(())
    })?;
    let detail = format!(
        "{encoding}, delimiter {:?}{}",
        delimiter as char,
        if decimal_comma {
            ", decimal comma accepted"
        } else {
            ""
        }
    );
    let format = if gzip { Format::GzipCsv } else { Format::Csv };
    Ok(input_report(path, format, detail, lines))
}

/// Records per chunk handed from the splitting thread to the cleaning one.
const CHUNK_RECORDS: usize = 4096;

/// Reads records into chunks until the end of the input, an error, or until the
/// cleaning side stops listening.
fn split_records<R: Read>(
    csv: &mut ::csv::Reader<R>,
    path: &Path,
    gzip: bool,
    to_cleaner: &mpsc::SyncSender<Result<Vec<ByteRecord>>>,
    recycled: &mpsc::Receiver<Vec<ByteRecord>>,
) {
    loop {
        let mut chunk = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK_RECORDS));
        chunk.resize_with(CHUNK_RECORDS, ByteRecord::new);
        let mut filled = 0;
        while filled < CHUNK_RECORDS {
            match csv.read_byte_record(&mut chunk[filled]) {
                Ok(true) => filled += 1,
                Ok(false) => break,
                Err(e) => {
                    let _ = to_cleaner.send(Err(csv_error(path, gzip, e)));
                    return;
                }
            }
        }
        chunk.truncate(filled);
        if filled == 0 || to_cleaner.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// The fields of a record in role order, decoding non-UTF-8 bytes as Windows-1252.
///
/// The record is validated as UTF-8 once, as a whole, rather than field by field:
/// one call instead of eight was a fifth of the cleaning thread's work. A field
/// boundary inside a character of the whole (possible only in broken text) falls back
/// to decoding that field alone.
fn fields_of<'a>(
    record: &'a ByteRecord,
    positions: &[Option<usize>],
    scratch: &'a mut [String; 8],
) -> [Field<'a>; 8] {
    let whole = std::str::from_utf8(record.as_slice()).ok();
    let mut fields = [Field::Empty; 8];
    for ((slot, position), buffer) in fields.iter_mut().zip(positions).zip(scratch.iter_mut()) {
        let Some(position) = *position else {
            continue;
        };
        let Some(bytes) = record.get(position) else {
            continue;
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = whole.and_then(|w| record.range(position).and_then(|r| w.get(r)));
        *slot = Field::Text(match text {
            Some(text) => text,
            None => {
                buffer.clear();
                buffer.push_str(&decode(bytes));
                buffer.as_str()
            }
        });
    }
    fields
}

fn decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// The candidate that occurs most often outside quotes in the first line.
fn detect_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; CANDIDATE_DELIMITERS.len()];
    let mut quoted = false;
    for &b in head {
        if b == b'\n' && !quoted {
            break;
        }
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = CANDIDATE_DELIMITERS.iter().position(|&d| d == b) {
            counts[i] += 1;
        }
    }
    let best = (0..counts.len()).max_by_key(|&i| (counts[i], std::cmp::Reverse(i)));
    best.filter(|&i| counts[i] > 0)
        .map_or(b',', |i| CANDIDATE_DELIMITERS[i])
}

fn read_error(path: &Path, gzip: bool, error: std::io::Error) -> Error {
    use std::io::ErrorKind::{InvalidData, InvalidInput, UnexpectedEof};
    match error.kind() {
        UnexpectedEof if gzip => Error::Corrupt {
            path: path.into(),
            detail: "the gzip stream ends early: the file was cut short".into(),
        },
        InvalidInput | InvalidData if gzip => Error::Corrupt {
            path: path.into(),
            detail: format!("invalid gzip data: {error}"),
        },
        _ => Error::io(path, error),
    }
}

fn csv_error(path: &Path, gzip: bool, error: ::csv::Error) -> Error {
    let line = error.position().map(|p| p.line());
    match error.into_kind() {
        ::csv::ErrorKind::Io(e) => read_error(path, gzip, e),
        other => Error::BadLine {
            location: format!("{} line {}", path.display(), line.unwrap_or(0)),
            detail: format!("{other:?}"),
        },
    }
}

/// Counts the bytes read from the file, for progress in compressed bytes.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected_outside_quotes() {
        assert_eq!(
            detect_delimiter(b"Invoice,StockCode,Description\n1;2;3"),
            b','
        );
        assert_eq!(detect_delimiter(b"Invoice;StockCode;\"A, B, C\"\n"), b';');
        assert_eq!(detect_delimiter(b"Invoice\tStockCode\tPrice\n"), b'\t');
        assert_eq!(detect_delimiter(b"Invoice|Price\n"), b'|');
        assert_eq!(detect_delimiter(b"Invoice\n"), b',');
    }

    #[test]
    fn latin1_fields_are_decoded() {
        assert_eq!(decode(b"\xa3 POUND"), "£ POUND");
        assert_eq!(decode("£ POUND".as_bytes()), "£ POUND");
    }
}
