//! Delimited text: plain or gzip'd, UTF-8 (with or without BOM), UTF-16 with BOM,
//! or Latin-1 / Windows-1252 (decoded field by field where a field is not UTF-8, so a
//! file that mixes encodings still reads).

use super::{Format, PROGRESS_EVERY, ReadOptions, input_report, open};
use crate::clean::{BatchTyping, Cleaner, CleaningRules, Field, LineSink, Location, TypedBatch};
use crate::error::{Error, Result};
use crate::quality::InputReport;
use crate::schema::{ColumnMap, Role};
use ::csv::ByteRecord;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

const CANDIDATE_DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

pub(super) fn read(
    path: &Path,
    gzip: bool,
    options: &ReadOptions,
    sink: &mut dyn LineSink,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<InputReport> {
    let consumed = Arc::new(AtomicU64::new(0));
    let file = CountingReader {
        inner: open(path)?,
        count: Arc::clone(&consumed),
    };
    let decoded: Box<dyn Read + Send> = if gzip {
        Box::new(ReadAhead::spawn(flate2::read::MultiGzDecoder::new(
            BufReader::with_capacity(1 << 16, file),
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
        .from_reader(RecordGuard::new(text, options.max_line_bytes));
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
    let column_name = |role: Role| map.name(role, &header).to_string();
    let decimal_comma = delimiter != b',';
    let typing = ChunkTyping {
        path,
        needed: positions.iter().flatten().max().map_or(0, |m| m + 1),
        header_fields: header.len(),
        positions,
        column_name: &column_name,
        decimal_comma,
    };
    let lines_before = sink.lines_read();
    // Splitting records (and decompressing) runs on its own thread. A cleaner types
    // the chunks of records on the rayon workers; any other sink (`convert`) takes them
    // here, one line after the other. Chunks go back to the splitter to be refilled.
    let (to_cleaner, from_reader) = mpsc::sync_channel::<Result<Piece>>(4);
    let (recycle, recycled) = mpsc::channel::<Vec<ByteRecord>>();
    let splitter = Splitter {
        path,
        gzip,
        header: &header,
    };
    std::thread::scope(|scope| {
        scope.spawn(move || splitter.split(&mut csv, &to_cleaner, &recycled));
        if let Some(cleaner) = sink.cleaner() {
            return typing.in_parallel(cleaner, from_reader, &recycle, &consumed, progress);
        }
        for piece in from_reader {
            match piece? {
                Piece::Records(chunk) => {
                    typing.type_chunk(&chunk, sink)?;
                    // The splitter may have stopped already: then the chunk is dropped.
                    let _ = recycle.send(chunk);
                }
                Piece::Damaged(damage) => typing.reject_damaged(damage, sink)?,
            }
            progress(consumed.load(Ordering::Relaxed), sink.lines_read());
        }
        Ok(())
    })?;
    let lines = sink.lines_read() - lines_before;
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

/// Records per chunk handed from the splitting thread to the cleaning workers.
const CHUNK_RECORDS: usize = 8192;

/// Bytes of records (text and field ends) after which a chunk is handed over before
/// it has [`CHUNK_RECORDS`] records: lines of 100,000 fields then stay a few chunks'
/// worth of memory. Real lines (about 100 bytes) never reach it.
const CHUNK_BYTES: usize = 4 << 20;

/// A record larger than this (in memory or text) is not reused for the next chunk, so
/// that one huge line does not stay allocated in every slot it passed through.
const KEPT_RECORD_BYTES: usize = 64 << 10;

/// What the splitting thread hands to the typing side, in input order.
enum Piece {
    Records(Vec<ByteRecord>),
    /// The damaged record that ended the file: a quote never closed, or too long.
    Damaged(Damage),
}

/// A record that is not a line, with the lines of the file it took.
struct Damage {
    line: u64,
    detail: String,
    lines: u64,
}

/// Chunks being typed at once (bounds the memory held by records in flight).
const MAX_CHUNKS_IN_FLIGHT: usize = 8;

/// A chunk typed by a worker, with its records to be reused.
type TypedChunk = mpsc::Receiver<(Result<TypedBatch>, Vec<ByteRecord>)>;

/// What typing a chunk of records of one file needs.
struct ChunkTyping<'a> {
    path: &'a Path,
    /// Fields a record needs to reach every mapped column.
    needed: usize,
    header_fields: usize,
    positions: Vec<Option<usize>>,
    column_name: &'a (dyn Fn(Role) -> String + Sync),
    decimal_comma: bool,
}

impl ChunkTyping<'_> {
    /// Delivers the records of a chunk to `sink`, in order.
    fn type_chunk(&self, chunk: &[ByteRecord], sink: &mut dyn LineSink) -> Result<()> {
        let mut scratch: [String; 8] = Default::default();
        for record in chunk {
            let location = Location {
                path: self.path,
                sheet: None,
                line: record.position().map_or(0, |p| p.line()),
            };
            if record.len() < self.needed {
                if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
                    continue; // a blank line
                }
                let detail = format!(
                    "{} fields where the header has {}",
                    record.len(),
                    self.header_fields
                );
                sink.reject_line(location, detail, 1)?;
            } else if record.len() > self.header_fields {
                let detail = format!(
                    "{} fields where the header has {}: the line is damaged (a delimiter or \
                     quote out of place shifts its values)",
                    record.len(),
                    self.header_fields
                );
                sink.reject_line(location, detail, 1)?;
            } else {
                let fields = fields_of(record, &self.positions, &mut scratch);
                sink.push(&fields, location, self.column_name, self.decimal_comma)?;
            }
        }
        Ok(())
    }

    /// Delivers the damaged record that ended the file to `sink`.
    fn reject_damaged(&self, damage: Damage, sink: &mut dyn LineSink) -> Result<()> {
        let location = Location {
            path: self.path,
            sheet: None,
            line: damage.line,
        };
        sink.reject_line(location, damage.detail, damage.lines)
    }

    /// Types the chunks into [`TypedBatch`]es on the rayon workers and merges them
    /// into `cleaner` in input order (the merge keeps the first of duplicate lines,
    /// the first unreadable values and the first error, exactly as one thread would).
    fn in_parallel(
        &self,
        cleaner: &mut Cleaner,
        from_reader: mpsc::Receiver<Result<Piece>>,
        recycle: &mpsc::Sender<Vec<ByteRecord>>,
        consumed: &AtomicU64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<()> {
        let rules: &CleaningRules = &cleaner.rules().clone();
        let mut lines = 0u64;
        rayon::in_place_scope(|workers| {
            let mut in_flight = VecDeque::new();
            let mut merge_oldest = |in_flight: &mut VecDeque<TypedChunk>| -> Result<()> {
                let Some(oldest) = in_flight.pop_front() else {
                    return Ok(());
                };
                let (batch, chunk) = oldest.recv().map_err(|_| {
                    Error::Config("internal: a cleaning worker stopped".to_string())
                })?;
                let batch = batch?;
                let before = lines;
                lines += batch.lines_read();
                cleaner.merge(batch)?;
                if before / PROGRESS_EVERY != lines / PROGRESS_EVERY {
                    progress(consumed.load(Ordering::Relaxed), cleaner.lines_read());
                }
                // The splitter may have stopped already: then the chunk is simply dropped.
                let _ = recycle.send(chunk);
                Ok(())
            };
            for piece in from_reader {
                let piece = match piece {
                    Ok(piece) => piece,
                    Err(error) => {
                        while !in_flight.is_empty() {
                            merge_oldest(&mut in_flight)?;
                        }
                        return Err(error);
                    }
                };
                let (done, typed) = mpsc::sync_channel(1);
                let typing = || BatchTyping {
                    rules,
                    batch: TypedBatch::default(),
                };
                match piece {
                    Piece::Records(chunk) => workers.spawn(move |_| {
                        let mut typing = typing();
                        let typed = self.type_chunk(&chunk, &mut typing);
                        let _ = done.send((typed.map(|()| typing.batch), chunk));
                    }),
                    Piece::Damaged(damage) => {
                        let mut typing = typing();
                        let typed = self.reject_damaged(damage, &mut typing);
                        let _ = done.send((typed.map(|()| typing.batch), Vec::new()));
                    }
                }
                in_flight.push_back(typed);
                if in_flight.len() >= MAX_CHUNKS_IN_FLIGHT {
                    merge_oldest(&mut in_flight)?;
                }
            }
            while !in_flight.is_empty() {
                merge_oldest(&mut in_flight)?;
            }
            Ok(())
        })
    }
}

/// What the splitting thread needs to name a damaged record.
struct Splitter<'a> {
    path: &'a Path,
    gzip: bool,
    header: &'a [String],
}

impl Splitter<'_> {
    /// Reads records into chunks until the end of the input, an error, or until the
    /// cleaning side stops listening.
    fn split<R: Read>(
        &self,
        csv: &mut ::csv::Reader<RecordGuard<R>>,
        to_cleaner: &mpsc::SyncSender<Result<Piece>>,
        recycled: &mpsc::Receiver<Vec<ByteRecord>>,
    ) {
        loop {
            let mut chunk = recycled
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK_RECORDS));
            for record in &mut chunk {
                if record_bytes(record) > KEPT_RECORD_BYTES {
                    *record = ByteRecord::with_capacity(256, 8);
                }
            }
            // Sized for a typical line, so that new records are not grown field by field.
            chunk.resize_with(CHUNK_RECORDS, || ByteRecord::with_capacity(256, 8));
            let (mut filled, mut bytes) = (0, 0);
            let mut damage = None;
            while filled < CHUNK_RECORDS && bytes < CHUNK_BYTES {
                let record_start = csv.position().byte();
                let guard = csv.get_mut();
                guard.record_start = record_start;
                let ended_before = guard.ended;
                match csv.read_byte_record(&mut chunk[filled]) {
                    Ok(true) => {
                        let record = &chunk[filled];
                        if !ended_before && csv.get_ref().ended {
                            damage = self.damage(record, csv.get_ref());
                            if damage.is_some() {
                                chunk[filled] = ByteRecord::new();
                                break;
                            }
                        }
                        bytes += record_bytes(record);
                        filled += 1;
                    }
                    Ok(false) => break,
                    Err(e) => {
                        let _ = to_cleaner.send(Err(csv_error(self.path, self.gzip, e)));
                        return;
                    }
                }
            }
            chunk.truncate(filled);
            if filled > 0 && to_cleaner.send(Ok(Piece::Records(chunk))).is_err() {
                return;
            }
            if let Some(damage) = damage {
                let _ = to_cleaner.send(Ok(Piece::Damaged(damage)));
                return;
            }
            if filled == 0 {
                return;
            }
        }
    }

    /// Whether `record`, which ended with the input, is damaged: the input was cut at
    /// the longest line (`--max-line-bytes`), or a quote opened in its last field is never closed and
    /// took the lines after it (its value holds a line break, and the file does not
    /// end with a closing quote).
    fn damage<R>(&self, record: &ByteRecord, guard: &RecordGuard<R>) -> Option<Damage> {
        let line = record.position().map_or(0, |p| p.line());
        let last = record.len().checked_sub(1)?;
        let mut taken = LineCounter::default();
        taken.feed(&record[last]);
        let column = self
            .header
            .get(last)
            .map_or_else(|| format!("field {}", last + 1), |name| format!("{name:?}"));
        if guard.overlong {
            let lines = taken.lines + guard.lines_skipped;
            let detail = format!(
                "the line is longer than {} bytes (--max-line-bytes), so the file is damaged \
                 (a quote opened in column {column} and never closed?): reading the file \
                 stopped here, and the {lines} lines after it are counted unparseable with it",
                guard.max_record_bytes
            );
            return Some(Damage {
                line,
                detail,
                lines: 1 + lines,
            });
        }
        let open_quote = record[last].iter().any(|&b| b == b'\n' || b == b'\r')
            && !guard.ends_with_closing_quote()
            && taken.lines > 0;
        open_quote.then(|| Damage {
            line,
            detail: format!(
                "a quote opened in column {column} is never closed: the {} lines after it \
                 were read as that one value, and are counted unparseable with it",
                taken.lines
            ),
            lines: 1 + taken.lines,
        })
    }
}

/// Memory a record holds: its text and its field ends.
fn record_bytes(record: &ByteRecord) -> usize {
    record.as_slice().len() + record.len() * std::mem::size_of::<usize>()
}

/// Counts the lines that start in a text read piece by piece: non-blank lines, as the
/// csv reader counts records, the first (partial) one excluded.
#[derive(Debug, Default)]
struct LineCounter {
    at_line_start: bool,
    lines: u64,
}

impl LineCounter {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                self.at_line_start = true;
            } else if self.at_line_start && !b.is_ascii_whitespace() {
                self.lines += 1;
                self.at_line_start = false;
            }
        }
    }
}

/// Sits under the csv parser: bounds the record being read to `max_record_bytes`
/// (past it, the rest of the input is only read to count its lines, and the parser is
/// told the input ended), and keeps the last bytes of the input, which tell a quote
/// closed at the end of the file from one never closed.
struct RecordGuard<R> {
    inner: R,
    /// Bytes handed to the parser.
    delivered: u64,
    /// Where the record being read starts, in the parser's bytes (set by the splitter).
    record_start: u64,
    /// The input has ended (or was cut).
    ended: bool,
    /// The longest record read, in bytes of text (`--max-line-bytes`). Only a quote
    /// that is never closed (the csv parser then reads to the end of the file as one
    /// value) or a damaged file makes a record this long; reading the file stops there,
    /// so memory stays bounded by it.
    max_record_bytes: u64,
    /// The record being read passed `max_record_bytes`: the input was cut there.
    overlong: bool,
    /// Lines of the input after the cut.
    lines_skipped: u64,
    /// The last three bytes handed to the parser.
    tail: [u8; 3],
}

impl<R> RecordGuard<R> {
    /// Whether the input ends with a quote, then at most a line break.
    fn ends_with_closing_quote(&self) -> bool {
        matches!(
            self.tail,
            [_, _, b'"'] | [_, b'"', b'\n' | b'\r'] | [b'"', b'\r', b'\n']
        )
    }
}

impl<R: Read> RecordGuard<R> {
    fn new(inner: R, max_record_bytes: u64) -> Self {
        RecordGuard {
            inner,
            max_record_bytes,
            delivered: 0,
            record_start: 0,
            ended: false,
            overlong: false,
            lines_skipped: 0,
            tail: [0; 3],
        }
    }

    /// Reads the rest of the input, counting its lines.
    fn skip_rest(&mut self) -> std::io::Result<()> {
        let mut counter = LineCounter {
            at_line_start: matches!(self.tail[2], b'\n' | b'\r'),
            lines: 0,
        };
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            match self.inner.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => counter.feed(&buffer[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.lines_skipped = counter.lines;
        Ok(())
    }
}

impl<R: Read> Read for RecordGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.ended {
            return Ok(0);
        }
        if self.delivered.saturating_sub(self.record_start) > self.max_record_bytes {
            self.ended = true;
            self.overlong = true;
            self.skip_rest()?;
            return Ok(0);
        }
        // Never hand over more than one byte past the bound, so that a small bound is
        // kept to the byte and not to the size of the parser's buffer.
        let room = self.max_record_bytes + 1 - (self.delivered - self.record_start);
        let wanted = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let buf = &mut buf[..wanted];
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended = true;
        }
        self.delivered += n as u64;
        for &b in &buf[n.saturating_sub(3)..n] {
            self.tail = [self.tail[1], self.tail[2], b];
        }
        Ok(n)
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

/// Reads a stream (the gzip decoder) on its own thread, a few blocks ahead: on two
/// cores, decompressing then overlaps splitting records.
struct ReadAhead {
    blocks: mpsc::Receiver<std::io::Result<Vec<u8>>>,
    block: Vec<u8>,
    at: usize,
}

impl ReadAhead {
    const BLOCK_BYTES: usize = 1 << 20;

    fn spawn(mut inner: impl Read + Send + 'static) -> Self {
        let (send, blocks) = mpsc::sync_channel(4);
        std::thread::spawn(move || {
            loop {
                let mut block = vec![0u8; Self::BLOCK_BYTES];
                let mut filled = 0;
                let result = loop {
                    match inner.read(&mut block[filled..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            filled += n;
                            if filled == block.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                block.truncate(filled);
                let end = filled < Self::BLOCK_BYTES || result.is_err();
                // Blocks before an error are delivered first; a reader that stopped
                // listening ends the thread.
                if (filled > 0 && send.send(Ok(block)).is_err()) || end {
                    if let Err(e) = result {
                        let _ = send.send(Err(e));
                    }
                    return;
                }
            }
        });
        ReadAhead {
            blocks,
            block: Vec::new(),
            at: 0,
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.block.len() {
            match self.blocks.recv() {
                Ok(block) => (self.block, self.at) = (block?, 0),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.block.len() - self.at);
        buf[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
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
    use crate::read::DEFAULT_MAX_LINE_BYTES;

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
    fn lines_are_counted_as_the_csv_reader_counts_records() {
        let mut counter = LineCounter::default();
        counter.feed(b"rest of a line\nsecond\r\n\n   \nthird");
        assert_eq!(counter.lines, 2, "blank lines are not lines");
        counter.feed(b" still third\r\nfourth\n");
        assert_eq!(counter.lines, 3);
    }

    #[test]
    fn a_closing_quote_at_the_end_of_the_input_is_seen() {
        let ends = |text: &[u8]| {
            let mut guard = RecordGuard::new(text, DEFAULT_MAX_LINE_BYTES);
            std::io::copy(&mut guard, &mut std::io::sink()).unwrap();
            guard.ends_with_closing_quote()
        };
        for closed in [&b"a,\"b\""[..], b"a,\"b\"\n", b"a,\"b\"\r\n", b"\""] {
            assert!(ends(closed), "{closed:?}");
        }
        for open in [&b"a,\"b\nc,d\n"[..], b"a,b", b"", b"\"b\nc\r\n"] {
            assert!(!ends(open), "{open:?}");
        }
    }

    #[test]
    fn a_record_past_the_limit_cuts_the_input_and_counts_its_lines() {
        let limit = 1 << 20;
        let mut text = vec![b'x'; limit as usize + (1 << 20)];
        text.extend_from_slice(b"\nline\nline\n\nline");
        let mut guard = RecordGuard::new(&text[..], limit);
        let mut buffer = vec![0u8; 1 << 18];
        let mut read = 0;
        loop {
            match guard.read(&mut buffer).unwrap() {
                0 => break,
                n => read += n,
            }
        }
        assert!(guard.overlong && guard.ended);
        assert!(read as u64 > limit && read < text.len());
        assert_eq!(guard.lines_skipped, 3);
        assert_eq!(guard.read(&mut buffer).unwrap(), 0, "the input stays ended");
    }

    #[test]
    fn latin1_fields_are_decoded() {
        assert_eq!(decode(b"\xa3 POUND"), "£ POUND");
        assert_eq!(decode("£ POUND".as_bytes()), "£ POUND");
    }
}
