//! End-to-end: `rebuy run --engine ballista://...` on a real Ballista cluster (a
//! scheduler and two executors, each a `rebuy ballista` process on loopback) gives the
//! run of the embedded engine on the same Parquet files: customers.csv, the models'
//! metrics and months.csv byte for byte (money sums are rounded, so the order of
//! addition across partitions does not show), the quality counts exactly and its two
//! sums to 1e-9 (docs/scaling.md). And its errors: one clear line, exit 65, no hang.

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;
mod other_source;

use common::{cli_fixture, must, path, rebuy_cmd};
use other_source::{
    IMPLAUSIBLE_TODAY, assert_implausible_counts, assert_same_quality, implausible_fixture, metrics,
};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// Waits until something listens on `port` (or panics after 30 s).
fn wait_for(port: u16, what: &str) {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what} does not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A scheduler and `executors` executors, `rebuy ballista` processes on free loopback
/// ports; killed when dropped, also when a test fails.
struct Cluster {
    scheduler_port: u16,
    processes: Vec<Child>,
    work_dirs: Vec<tempfile::TempDir>,
}

impl Cluster {
    fn start(executors: usize) -> Cluster {
        let scheduler_port = free_port();
        let mut cluster = Cluster {
            scheduler_port,
            processes: Vec::new(),
            work_dirs: Vec::new(),
        };
        let bind = format!("127.0.0.1:{scheduler_port}");
        cluster.spawn(&["ballista", "scheduler", "--bind", &bind]);
        wait_for(scheduler_port, "the scheduler");
        for _ in 0..executors {
            let work_dir = tempfile::tempdir().unwrap();
            let (port, grpc_port) = (free_port().to_string(), free_port().to_string());
            cluster.spawn(&[
                "ballista",
                "executor",
                "--scheduler",
                &bind,
                "--port",
                &port,
                "--grpc-port",
                &grpc_port,
                "--concurrent-tasks",
                "2",
                "--work-dir",
                path(work_dir.path()),
            ]);
            cluster.work_dirs.push(work_dir);
            wait_for(port.parse().unwrap(), "an executor");
        }
        cluster
    }

    fn spawn(&mut self, args: &[&str]) {
        let child = Command::new(env!("CARGO_BIN_EXE_rebuy"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the rebuy binary starts");
        self.processes.push(child);
    }

    fn url(&self) -> String {
        format!("ballista://127.0.0.1:{}", self.scheduler_port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for process in &mut self.processes {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// `rebuy run` on `inputs` into `out`, on the cluster at `engine` if given; the
/// seconds it took.
fn run(inputs: &[&Path], engine: Option<&str>, out: &Path) -> f64 {
    let started = Instant::now();
    let mut args = vec!["run", "--out", path(out), "--today", IMPLAUSIBLE_TODAY];
    if let Some(url) = engine {
        args.extend(["--engine", url]);
    }
    args.push("--input");
    args.extend(inputs.iter().map(|p| path(p)));
    must(rebuy_cmd(&args));
    started.elapsed().as_secs_f64()
}

fn generated(dir: &Path, seed: &str, start: &str) -> PathBuf {
    let file = dir.join(format!("generated-{seed}.parquet"));
    must(rebuy_cmd(&[
        "generate",
        "--lines",
        "15000",
        "--seed",
        seed,
        "--start",
        start,
        "--months",
        "12",
        "--out",
        path(&file),
    ]));
    file
}

#[test]
fn ballista_cluster_gives_the_embedded_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cluster = Cluster::start(2);

    // The fixture (duplicates, returns, non-products, unreadable values) as Parquet.
    let fixture = d.join("retail_sample.parquet");
    must(rebuy_cmd(&[
        "convert",
        path(&cli_fixture()),
        path(&fixture),
    ]));
    // Lines dated in the future and numbers beyond the bound, as Parquet.
    let implausible = d.join("implausible.parquet");
    must(rebuy_cmd(&[
        "convert",
        path(&implausible_fixture(d)),
        path(&implausible),
    ]));
    // Two files of one log: a year each.
    let first = generated(d, "11", "2009-12-01");
    let second = generated(d, "12", "2010-12-01");

    for (name, inputs) in [
        ("fixture", vec![fixture.as_path()]),
        ("implausible", vec![implausible.as_path()]),
        ("generated", vec![first.as_path(), second.as_path()]),
    ] {
        let (embedded, on_cluster) = (d.join(format!("{name}-embedded")), d.join(name));
        let embedded_seconds = run(&inputs, None, &embedded);
        let cluster_seconds = run(&inputs, Some(&cluster.url()), &on_cluster);
        eprintln!(
            "{name}: embedded {embedded_seconds:.2} s, Ballista (2 executors) {cluster_seconds:.2} s"
        );
        for file in ["customers.csv", "months.csv"] {
            let read = |run: &Path| std::fs::read_to_string(run.join(file)).unwrap();
            assert!(
                read(&embedded) == read(&on_cluster),
                "{name}: {file} differs on the cluster"
            );
        }
        assert_same_quality(&embedded, &on_cluster);
        assert_eq!(metrics(&embedded), metrics(&on_cluster), "{name}: metrics");
        if name == "implausible" {
            assert_implausible_counts(&on_cluster);
        }
    }
    assert!(
        metrics(&d.join("generated"))["models"]
            .as_array()
            .unwrap()
            .len()
            >= 3
    );
    // Both executors ran tasks: each wrote shuffle files into its work folder.
    for work_dir in &cluster.work_dirs {
        assert!(
            std::fs::read_dir(work_dir.path()).unwrap().count() > 0,
            "an executor took no task"
        );
    }
}

/// A Parquet file of two rows of `columns` (name, and whether its values are text
/// rather than numbers).
fn parquet_file(file: &Path, columns: &[(&str, bool)]) {
    use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    let arrays: Vec<(&str, ArrayRef)> = columns
        .iter()
        .map(|&(name, text)| {
            let array: ArrayRef = if text {
                Arc::new(StringArray::from(vec!["1", "2"]))
            } else {
                Arc::new(Float64Array::from(vec![1.0, 2.0]))
            };
            (name, array)
        })
        .collect();
    let batch = RecordBatch::try_from_iter(arrays).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(file).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn ballista_errors_are_one_clear_line_with_exit_65() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The errors are found before any task runs: a scheduler alone serves.
    let cluster = Cluster::start(0);
    let no_price = d.join("no_price.parquet");
    parquet_file(
        &no_price,
        &[
            ("Invoice", true),
            ("Quantity", false),
            ("InvoiceDate", true),
            ("Customer ID", true),
        ],
    );
    let text_quantity = d.join("text_quantity.parquet");
    parquet_file(
        &text_quantity,
        &[
            ("Invoice", true),
            ("StockCode", true),
            ("Quantity", true),
            ("InvoiceDate", true),
            ("Price", false),
            ("Customer ID", true),
        ],
    );
    let lines = d.join("lines.parquet");
    must(rebuy_cmd(&[
        "generate",
        "--lines",
        "2000",
        "--out",
        path(&lines),
    ]));
    let missing = d.join("missing.parquet");
    let csv = cli_fixture();
    let refused = format!("ballista://127.0.0.1:{}", free_port());
    let url = cluster.url();
    // With no executor registered, Ballista waits for one: the run's queries time out.
    let no_executor = format!("{url}?statement_timeout=2");
    let out = d.join("run");
    for (engine, input, says) in [
        (
            refused.as_str(),
            &no_price,
            "cannot connect to the Ballista scheduler",
        ),
        (url.as_str(), &missing, "cannot read the Parquet input"),
        (url.as_str(), &no_price, "no column for price"),
        (url.as_str(), &text_quantity, "expected a number type"),
        (url.as_str(), &csv, "reads Parquet files"),
        (
            no_executor.as_str(),
            &lines,
            "longer than 2 s (statement_timeout)",
        ),
        (
            "ballista://nowhere",
            &no_price,
            "expected ballista://HOST:PORT",
        ),
        ("spark://x:1", &no_price, "expected ballista://HOST:PORT"),
    ] {
        let started = Instant::now();
        let output = rebuy_cmd(&[
            "run",
            "--engine",
            engine,
            "--input",
            path(input),
            "--out",
            path(&out),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(65), "{engine}: {stderr}");
        assert!(stderr.contains(says), "{engine}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{engine}: no hang"
        );
        assert!(!out.exists());
    }
}
