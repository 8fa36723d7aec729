//! Clean lines on disk, partitioned by customer, for inputs whose lines do not fit the
//! memory budget (grace-hash partitioning; the design is in docs/scaling.md).
//!
//! While cleaning, the kept lines stay in memory until they pass the budget; then they
//! are appended to [`PARTITIONS`] Arrow IPC files by customer key and memory starts
//! over. Exact duplicates share a customer, so each partition is de-duplicated on its
//! own when cleaning ends ([`RawPartitions::finish`] hands them back one by one); the
//! de-duplicated lines of each partition are written again in the engine's schema
//! ([`crate::Transactions::schema`]) for the feature queries, which need only the
//! lines of one customer at a time ([`SpilledLines`]). The folder is removed when the
//! last owner is dropped, also on error.

use crate::clean::Columns;
use crate::error::{Error, Result};
use crate::transactions::scan_groups;
use arrow::array::{
    ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, UInt32Array,
};
use arrow::compute::take_record_batch;
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema, SchemaRef, UInt32Type};
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Customer partitions of spilled lines: line `i` goes to partition `customer % 64`.
/// Customer keys are given in order of first appearance, so partitions are even. With
/// the default budget a partition stays under the budget up to 64 times the budget.
pub const PARTITIONS: usize = 64;

/// What one kept line costs in memory while cleaning: its columns (45 bytes), its
/// duplicate key (8) and, while the duplicate rule runs at the end, its line number and
/// key half in a partition (8).
pub const BYTES_PER_KEPT_LINE: usize = 61;

/// Kept lines in memory before they are spilled: 1 GiB, about 17.6 million lines.
pub const DEFAULT_MEMORY_BUDGET: usize = 1 << 30;

/// A temporary folder, removed with its files when dropped. In `$TMPDIR` (or the
/// system's temporary folder), named `rebuy-spill-PID-NANOS`; private to the user
/// (0700, files 0600): it holds every transaction line.
#[derive(Debug)]
struct SpillFolder {
    path: PathBuf,
}

const SPILL_PREFIX: &str = "rebuy-spill-";

impl SpillFolder {
    fn create() -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("{SPILL_PREFIX}{}-{nanos:09}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(SpillFolder { path })
    }

    fn file(&self, kind: &str, partition: usize) -> PathBuf {
        self.path.join(format!("{kind}-{partition:02}.arrow"))
    }
}

impl Drop for SpillFolder {
    fn drop(&mut self) {
        // Nothing to do about a failure here: the folder is in the temporary folder.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes the spill folders of processes that no longer exist (runs that were
/// killed), in the temporary folder that spilling uses. A live process's stay.
pub fn sweep_abandoned_spills() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(SPILL_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && process_is_gone(pid) {
            // Another user's folder, or another sweep at it: nothing to do about it.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether no process of this id exists: on Linux, `/proc` lists the live ones (of
/// this PID namespace). Elsewhere no process is known to be gone, so nothing is swept.
pub fn process_is_gone(pid: u32) -> bool {
    let proc = Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid.to_string()).exists()
}

/// Kept lines of the cleaning, spilled by customer, before the duplicate rule across
/// spills. Strings are interned keys of the run's interners.
pub(crate) struct RawPartitions {
    folder: SpillFolder,
    writers: Vec<FileWriter<BufWriter<File>>>,
}

impl std::fmt::Debug for RawPartitions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawPartitions")
            .field("folder", &self.folder.path)
            .finish_non_exhaustive()
    }
}

impl RawPartitions {
    pub fn create() -> Result<Self> {
        let folder = SpillFolder::create()?;
        let schema = raw_schema();
        let writers = (0..PARTITIONS)
            .map(|partition| ipc_writer(&folder.file("raw", partition), &schema))
            .collect::<Result<_>>()?;
        Ok(RawPartitions { folder, writers })
    }

    /// Appends the lines to their partitions, in their order.
    pub fn write(&mut self, columns: Columns) -> Result<()> {
        let mut rows: Vec<Vec<u32>> = vec![Vec::new(); PARTITIONS];
        for (row, &customer) in columns.customer.iter().enumerate() {
            rows[customer as usize % PARTITIONS].push(row as u32);
        }
        let batch = raw_batch(columns)?;
        for (partition, rows) in rows.into_iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            let part = take_record_batch(&batch, &UInt32Array::from(rows)).map_err(internal)?;
            let path = self.folder.file("raw", partition);
            self.writers[partition]
                .write(&part)
                .map_err(|e| write_error(&path, e))?;
        }
        Ok(())
    }

    /// Ends the spill. `each` gets every partition's lines in turn (in input order,
    /// duplicates included) and returns them as the engine's batches, which are
    /// written in place of the raw file.
    pub fn finish(
        self,
        mut each: impl FnMut(Columns) -> Result<RecordBatch>,
    ) -> Result<SpilledLines> {
        let RawPartitions { folder, writers } = self;
        for (partition, mut writer) in writers.into_iter().enumerate() {
            let path = folder.file("raw", partition);
            writer.finish().map_err(|e| write_error(&path, e))?;
        }
        let schema = crate::Transactions::schema();
        for partition in 0..PARTITIONS {
            let raw = folder.file("raw", partition);
            let columns = read_raw(&raw)?;
            std::fs::remove_file(&raw).map_err(|e| Error::io(&raw, e))?;
            let lines = each(columns)?;
            let path = folder.file("lines", partition);
            let mut writer = ipc_writer(&path, &schema)?;
            writer.write(&lines).map_err(|e| write_error(&path, e))?;
            writer.finish().map_err(|e| write_error(&path, e))?;
        }
        Ok(SpilledLines {
            folder: Arc::new(folder),
            batch_rows: 1 << 16,
            groups: 1,
        })
    }
}

/// The clean lines on disk, by customer partition, in the engine's schema
/// ([`crate::Transactions::schema`]). Every customer's lines are in one partition.
#[derive(Debug, Clone)]
pub struct SpilledLines {
    folder: Arc<SpillFolder>,
    /// How [`SpilledLines::read`] cuts a partition for parallel scans.
    batch_rows: usize,
    groups: usize,
}

impl SpilledLines {
    pub(crate) fn scanned_as(self, batch_rows: usize, groups: usize) -> Self {
        SpilledLines {
            batch_rows,
            groups,
            ..self
        }
    }

    pub fn partitions(&self) -> usize {
        PARTITIONS
    }

    /// The lines of one partition, as groups of batches for parallel scans (as
    /// [`crate::LineTable`] holds lines in memory).
    pub fn read(&self, partition: usize) -> Result<Vec<Vec<RecordBatch>>> {
        let path = self.folder.file("lines", partition);
        let mut groups = vec![Vec::new(); self.groups.max(1)];
        for batch in ipc_reader(&path)? {
            let batch = batch.map_err(|e| read_error(&path, e))?;
            for (group, batches) in
                groups
                    .iter_mut()
                    .zip(scan_groups(&batch, self.batch_rows, self.groups))
            {
                group.extend(batches);
            }
        }
        Ok(groups)
    }
}

/// The columns of [`Columns`]; the timestamp as Int64 seconds.
fn raw_schema() -> SchemaRef {
    let key = |name: &str| Field::new(name, DataType::UInt32, false);
    Arc::new(Schema::new(vec![
        key("customer"),
        key("invoice"),
        key("stock_code"),
        key("description"),
        key("country"),
        Field::new("timestamp", DataType::Int64, false),
        Field::new("quantity", DataType::Float64, false),
        Field::new("price", DataType::Float64, false),
        Field::new("is_return", DataType::Boolean, false),
    ]))
}

/// The lines as one batch; the columns' memory moves into it.
fn raw_batch(c: Columns) -> Result<RecordBatch> {
    let keys = |values: Vec<u32>| -> ArrayRef { Arc::new(UInt32Array::from(values)) };
    let arrays: Vec<ArrayRef> = vec![
        keys(c.customer),
        keys(c.invoice),
        keys(c.stock_code),
        keys(c.description),
        keys(c.country),
        Arc::new(Int64Array::from(c.timestamp)),
        Arc::new(Float64Array::from(c.quantity)),
        Arc::new(Float64Array::from(c.price)),
        Arc::new(BooleanArray::from(c.is_return)),
    ];
    RecordBatch::try_new(raw_schema(), arrays).map_err(internal)
}

fn read_raw(path: &Path) -> Result<Columns> {
    let mut c = Columns::default();
    for batch in ipc_reader(path)? {
        let batch = batch.map_err(|e| read_error(path, e))?;
        let column = |i: usize| batch.column(i);
        let keys = |i: usize| column(i).as_primitive::<UInt32Type>().values().iter();
        c.customer.extend(keys(0));
        c.invoice.extend(keys(1));
        c.stock_code.extend(keys(2));
        c.description.extend(keys(3));
        c.country.extend(keys(4));
        c.timestamp
            .extend(column(5).as_primitive::<Int64Type>().values().iter());
        c.quantity
            .extend(column(6).as_primitive::<Float64Type>().values().iter());
        c.price
            .extend(column(7).as_primitive::<Float64Type>().values().iter());
        let returns = column(8).as_boolean();
        c.is_return
            .extend((0..returns.len()).map(|i| returns.value(i)));
    }
    Ok(c)
}

fn ipc_writer(path: &Path, schema: &Schema) -> Result<FileWriter<BufWriter<File>>> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    FileWriter::try_new(BufWriter::with_capacity(1 << 16, file), schema)
        .map_err(|e| write_error(path, e))
}

fn ipc_reader(path: &Path) -> Result<FileReader<BufReader<File>>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    FileReader::try_new(BufReader::with_capacity(1 << 16, file), None)
        .map_err(|e| read_error(path, e))
}

fn write_error(path: &Path, e: arrow::error::ArrowError) -> Error {
    Error::Config(format!(
        "cannot write spill file {}: {e} (is the temporary folder full? set TMPDIR or a larger --memory-budget)",
        path.display()
    ))
}

fn read_error(path: &Path, e: arrow::error::ArrowError) -> Error {
    Error::Config(format!("cannot read spill file {}: {e}", path.display()))
}

fn internal(e: arrow::error::ArrowError) -> Error {
    Error::Config(format!("internal: spilling lines: {e}"))
}
