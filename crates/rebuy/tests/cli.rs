//! End-to-end: the real binary on files, checked against numbers computed outside
//! rebuy (pandas, docs/reference/data/fixture_reference.py).

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rebuy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rebuy"))
        .args(args)
        .output()
        .expect("the rebuy binary runs")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn run_matches_the_pandas_reference_on_the_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let input = fixture("retail_sample.csv");
    let result = rebuy(&[
        "run",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("retail_sample.expected.json")).unwrap(),
    )
    .unwrap();

    let quality: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("quality.json")).unwrap()).unwrap();
    let counts = &expected["counts"];
    for rule in quality["dropped"].as_array().unwrap() {
        let key = rule["rule"].as_str().unwrap();
        assert_eq!(rule["lines"], counts[key], "rule {key}");
    }
    for key in [
        "lines_read",
        "sales_lines",
        "returns_kept",
        "customers",
        "invoices",
    ] {
        assert_eq!(quality[key], counts[key], "{key}");
    }
    assert!(
        (quality["revenue"].as_f64().unwrap() - counts["revenue"].as_f64().unwrap()).abs() < 1e-6
    );

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["as_of"], expected["as_of"]);
    assert_eq!(manifest["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    let stages: Vec<&str> = manifest["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "read_and_clean",
            "features_and_rfm",
            "clusters",
            "purchase_models",
            "write",
            "report"
        ]
    );

    let customers = read_csv(&out.join("customers.csv"));
    let reference = expected["features"].as_object().unwrap();
    assert_eq!(customers.len(), reference.len());
    for row in &customers {
        let want = &reference[&row["customer_id"]];
        for (column, value) in want.as_object().unwrap() {
            let got: f64 = row[column]
                .parse()
                .unwrap_or_else(|_| panic!("{column}: {:?}", row[column]));
            let want = value.as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-6,
                "customer {} {column}: {got} vs {want}",
                row["customer_id"]
            );
        }
        assert!(!row["rfm_segment"].is_empty());
    }
}

#[test]
fn the_same_data_as_csv_gz_and_parquet_gives_the_same_customers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut tables = Vec::new();
    for name in ["t.csv.gz", "t.parquet"] {
        let data = d.join(name);
        let out = d.join(format!("run-{name}"));
        let generated = rebuy(&[
            "generate",
            "--customers",
            "300",
            "--seed",
            "7",
            "--out",
            data.to_str().unwrap(),
        ]);
        assert!(generated.status.success(), "{}", text(&generated.stderr));
        let run = rebuy(&[
            "run",
            "--input",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        tables.push(std::fs::read(out.join("customers.csv")).unwrap());
    }
    assert!(tables[0].len() > 1000);
    assert_eq!(tables[0], tables[1]);
}

#[test]
fn inspect_prints_the_quality_report() {
    let result = rebuy(&["inspect", fixture("retail_sample.csv").to_str().unwrap()]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    let out = text(&result.stdout);
    assert!(
        out.contains("missing_customer_id") && out.contains("duplicate"),
        "{out}"
    );
    assert!(
        out.contains("retail_sample.csv line 116") && out.contains("not a date"),
        "{out}"
    );
}

#[test]
fn bad_input_exits_65_with_one_clear_line_and_no_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let bad = dir.path().join("orders.csv");
    std::fs::write(
        &bad,
        "Invoice,Quantity,InvoiceDate,Price\n1,2,2010-12-01,1.0\n",
    )
    .unwrap();
    let result = rebuy(&[
        "run",
        "--input",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(65));
    let err = text(&result.stderr);
    assert!(
        err.contains("orders.csv") && err.contains("Customer ID"),
        "{err}"
    );
    assert!(!out.exists(), "a failed run leaves no run folder");
    let mut leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    leftovers.sort();
    assert_eq!(
        leftovers,
        [".run.lock", "orders.csv"],
        "no staging folder left behind (the lock file stays)"
    );

    let missing = rebuy(&["inspect", "/no/such/file.csv"]);
    assert_eq!(missing.status.code(), Some(65));
    assert!(text(&missing.stderr).contains("/no/such/file.csv"));

    let usage = rebuy(&["run", "--out", "x"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn a_run_refuses_to_overwrite_a_folder_that_is_not_a_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("precious.txt"), "keep").unwrap();
    let result = rebuy(&[
        "run",
        "--input",
        fixture("retail_sample.csv").to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(65));
    assert!(dir.path().join("precious.txt").exists());
}

#[test]
fn generate_is_deterministic_and_demo_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    for path in [&a, &b] {
        let r = rebuy(&[
            "generate",
            "--lines",
            "5000",
            "--seed",
            "3",
            "--out",
            path.to_str().unwrap(),
        ]);
        assert!(r.status.success(), "{}", text(&r.stderr));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(std::fs::read_to_string(&a).unwrap().lines().count(), 5001);

    let demo_dir = dir.path().join("demo");
    let demo = rebuy(&[
        "demo",
        "--no-serve",
        "--customers",
        "200",
        "--dir",
        demo_dir.to_str().unwrap(),
    ]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    // Three monthly runs, the newest on the first day after the data (docs/dashboard.md).
    let runs = demo_dir.join("runs");
    for as_of in ["2011-10-01", "2011-11-01", "2011-12-01"] {
        assert!(runs.join(as_of).join("customers.csv").exists(), "{as_of}");
    }
    assert!(text(&demo.stdout).contains("Champions"));
    serve_answers_its_health_check(&runs.join("2011-12-01"), &[], dir.path());
}

/// The container's default command: no run folder mounted, so the demo is run into the
/// temp dir and served.
#[test]
fn serve_runs_the_demo_when_the_run_folder_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-run-here");
    serve_answers_its_health_check(&missing, &["--demo-if-missing"], dir.path());
    let demo = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .find(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("rebuy-demo")
        })
        .expect("the demo folder in the temp dir");
    assert!(demo.path().join("runs/2011-12-01/manifest.json").exists());
    assert!(!missing.exists());
}

/// `rebuy serve` (with `extra` options, the temp dir `tmp`) loads the run folder and
/// `rebuy healthcheck` (the container's health check) says so; once the server is gone
/// the check fails.
fn serve_answers_its_health_check(run: &Path, extra: &[&str], tmp: &Path) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_rebuy"))
        .args(["serve", "--run", run.to_str().unwrap(), "--addr", &addr])
        .args(extra)
        .env("TMPDIR", tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let healthy = loop {
        let check = rebuy(&["healthcheck", "--addr", &addr]);
        if check.status.success() {
            break true;
        }
        if started.elapsed() > std::time::Duration::from_secs(180)
            || server.try_wait().unwrap().is_some()
        {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    assert!(healthy, "server never healthy: {}", text(&output.stderr));
    let check = rebuy(&["healthcheck", "--addr", &addr]);
    assert!(!check.status.success());
    assert!(
        text(&check.stderr).contains("no answer"),
        "{}",
        text(&check.stderr)
    );
}

/// `rebuy users` with the password on standard input, as a script would give it.
fn users_cmd(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rebuy"))
        .arg("users")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn users_are_added_listed_given_tokens_and_removed_and_a_public_address_needs_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.json");
    let file_arg = file.to_str().unwrap();
    let added = users_cmd(
        &["add", "--file", file_arg, "ana", "--role", "analyst"],
        "correct horse battery\n",
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let stored = std::fs::read_to_string(&file).unwrap();
    assert!(stored.contains("$argon2id$") && !stored.contains("correct horse"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "users file mode {mode:o}");
    }
    let short = users_cmd(&["add", "--file", file_arg, "bob"], "short\n");
    assert_eq!(short.status.code(), Some(65));
    assert!(
        text(&short.stderr).contains("at least 12"),
        "{}",
        text(&short.stderr)
    );
    let again = users_cmd(
        &["add", "--file", file_arg, "ana"],
        "another long password\n",
    );
    assert_eq!(again.status.code(), Some(65));

    let token = users_cmd(&["token", "--file", file_arg, "ana"], "");
    assert!(token.status.success());
    let token = text(&token.stdout);
    assert!(
        token.trim().starts_with("rebuy_") && token.lines().count() == 1,
        "{token}"
    );
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .contains(token.trim())
    );
    let list = text(&users_cmd(&["list", "--file", file_arg], "").stdout);
    assert!(list.contains("ana") && list.contains("analyst"), "{list}");

    let run = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rebuy-server/tests/fixtures/run");
    serve_answers_its_health_check(&run, &["--users", file_arg], dir.path());
    let public = rebuy(&[
        "serve",
        "--run",
        run.to_str().unwrap(),
        "--addr",
        "0.0.0.0:0",
    ]);
    assert_eq!(public.status.code(), Some(65));
    assert!(
        text(&public.stderr).contains("--users"),
        "{}",
        text(&public.stderr)
    );

    let removed = users_cmd(&["remove", "--file", file_arg, "ana"], "");
    assert!(removed.status.success());
    let list = text(&users_cmd(&["list", "--file", file_arg], "").stdout);
    assert!(list.contains("no users"), "{list}");
    let unknown = users_cmd(&["token", "--file", file_arg, "ana"], "");
    assert_eq!(unknown.status.code(), Some(65));
}

#[test]
fn every_command_has_help() {
    for command in [
        "generate",
        "inspect",
        "run",
        "demo",
        "serve",
        "predict",
        "score",
        "healthcheck",
        "users",
    ] {
        let result = rebuy(&[command, "--help"]);
        assert!(result.status.success());
        assert!(text(&result.stdout).contains("Usage"), "{command}");
    }
}

#[test]
fn run_writes_clusters_profiles_and_pictures() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("t.csv.gz");
    let generated = rebuy(&[
        "generate",
        "--customers",
        "1500",
        "--seed",
        "11",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    for (k, out) in [("auto", "auto"), ("4", "four")] {
        let out = dir.path().join(out);
        let run = rebuy(&[
            "run",
            "--input",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--k",
            k,
        ]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let segments: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("segments.json")).unwrap())
                .unwrap();
        let clustering = &segments["clustering"];
        let chosen = clustering["chosen_k"].as_u64().unwrap();
        if k == "4" {
            assert_eq!(chosen, 4);
        }
        assert!((2..=10).contains(&chosen));
        assert_eq!(
            clustering["sweep"].as_array().unwrap().len(),
            9,
            "k = 2..10"
        );
        let clusters = clustering["clusters"].as_array().unwrap();
        assert_eq!(clusters.len() as u64, chosen);
        let mut names: Vec<&str> = clusters
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len() as u64, chosen, "distinct cluster names");
        let customers = read_csv(&out.join("customers.csv"));
        let in_clusters: u64 = clusters
            .iter()
            .map(|c| c["customers"].as_u64().unwrap())
            .sum();
        assert_eq!(in_clusters, customers.len() as u64);
        assert!(
            customers
                .iter()
                .all(|c| names.contains(&c["cluster_name"].as_str()))
        );
        let rfm_total: u64 = segments["rfm_segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["customers"].as_u64().unwrap())
            .sum();
        assert_eq!(rfm_total, customers.len() as u64);
        for picture in ["elbow.svg", "silhouette.svg", "clusters.svg"] {
            let svg = std::fs::read_to_string(out.join(picture)).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.contains("<circle"),
                "{picture}"
            );
        }
        let model: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("models/kmeans.json")).unwrap())
                .unwrap();
        assert_eq!(
            model["cluster_names"].as_array().unwrap().len() as u64,
            chosen
        );
        assert_eq!(model["scaler"]["columns"].as_array().unwrap().len(), 3);
    }
    let bad_k = rebuy(&[
        "run",
        "--input",
        data.to_str().unwrap(),
        "--out",
        "x",
        "--k",
        "1",
    ]);
    assert_eq!(bad_k.status.code(), Some(2));
}

/// A run cut by `--as-of` inside the data: report.html is headed with the run's name
/// (not the staging folder's), and months.csv stops the day before the as-of date with
/// the customers' gross spend, its last month marked as covering part of the month only.
#[test]
fn a_run_cut_by_as_of_reports_its_name_and_stops_its_months_there() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("tx.csv");
    let made = rebuy(&[
        "generate",
        "--customers",
        "150",
        "--seed",
        "5",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    let out = dir.path().join("spring-2011");
    let run = rebuy(&[
        "run",
        "--input",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--as-of",
        "2011-06-15",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("run <b>spring-2011</b>"), "the run's name");
    assert!(!report.contains(".partial-"), "no staging folder name");

    let months = read_csv(&out.join("months.csv"));
    let last = months.last().unwrap();
    assert_eq!(
        (last["month"].as_str(), last["first_day"].as_str()),
        ("2011-06", "2011-06-01")
    );
    assert_eq!(last["last_day"], "2011-06-14");
    assert!(months.iter().all(|m| m["month"].as_str() <= "2011-06"));
    let monthly: f64 = months
        .iter()
        .map(|m| m["revenue"].parse::<f64>().unwrap())
        .sum();
    let spend: f64 = read_csv(&out.join("customers.csv"))
        .iter()
        .map(|c| c["gross_spend"].parse::<f64>().unwrap())
        .sum();
    assert!(
        (monthly - spend).abs() < 1e-6 * spend,
        "months.csv {monthly} vs customers' gross spend {spend}"
    );
    // Money on the millionth grid, as written: no float noise such as 23035.440000000006.
    let on_grid = |cell: &str| cell.split_once('.').is_none_or(|(_, f)| f.len() <= 6);
    for m in &months {
        assert!(on_grid(&m["revenue"]), "months.csv {}", m["revenue"]);
    }
    for c in &read_csv(&out.join("customers.csv")) {
        for column in [
            "monetary",
            "gross_spend",
            "avg_order_value",
            "returns_value",
            "spend_90d",
        ] {
            assert!(on_grid(&c[column]), "customers.csv {column} {}", c[column]);
        }
    }
    let quality: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("quality.json")).unwrap()).unwrap();
    assert!(
        quality["revenue"].as_f64().unwrap() > spend,
        "the quality report counts every sale, also those from the as-of date on"
    );
}

/// The fixture's header and one line of it with the given quantity, date and price.
fn retail_line(invoice: &str, quantity: &str, date: &str, price: &str) -> String {
    format!(
        "{invoice},85123A,WHITE HANGING HEART T-LIGHT HOLDER,{quantity},{date},{price},13085,United Kingdom\n"
    )
}

const HEADER_II: &str =
    "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n";

fn quality_of(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("quality.json")).unwrap())
        .expect("quality.json is valid JSON")
}

/// Where the JSON files of a run folder (and of its `models/`) hold `null`, each file
/// parsed as JSON. serde_json writes NaN and the infinities as `null`, so a number that
/// overflowed shows up here; some fields are `null` by design (a curve's first
/// threshold, an option not set), which a run on clean data has too.
fn null_paths(run: &Path) -> std::collections::BTreeSet<String> {
    fn walk(value: &serde_json::Value, at: String, found: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::Null => {
                found.insert(at);
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{at}[{i}]"), found);
                }
            }
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    walk(item, format!("{at}.{key}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = std::collections::BTreeSet::new();
    for folder in [run.to_path_buf(), run.join("models")] {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let file = entry.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                let name = file.strip_prefix(run).unwrap().display().to_string();
                let text = std::fs::read_to_string(&file).unwrap();
                let value: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}"));
                walk(&value, name, &mut found);
            }
        }
    }
    found
}

#[test]
fn a_line_dated_9999_is_left_out_with_a_warning_and_the_as_of_date_stays_right() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = std::fs::read_to_string(fixture("retail_sample.csv")).unwrap();
    lines.push_str(&retail_line("999001", "1", "9999-12-31 23:59:00", "2.55"));
    let input = dir.path().join("future.csv");
    std::fs::write(&input, lines).unwrap();
    let input = input.to_str().unwrap();

    let inspect = rebuy(&["inspect", input, "--today", "2024-06-01"]);
    assert!(inspect.status.success(), "{}", text(&inspect.stderr));
    let warning = text(&inspect.stderr);
    assert!(
        warning.contains("1 line is dated after 2024-06-02")
            && warning.contains("9999-12-31 23:59:00"),
        "{warning}"
    );
    let report = text(&inspect.stdout);
    assert!(
        report.contains("- future_date") && report.contains("future.csv line 236"),
        "{report}"
    );
    let json = rebuy(&["inspect", input, "--today", "2024-06-01", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["future_dates"]["latest_seen"], "9999-12-31 23:59:00");

    let out = dir.path().join("run");
    let run = rebuy(&["run", "--input", input, "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(text(&run.stderr).contains("left out as future_date"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["as_of"], "2010-03-24", "the fixture's as-of date");
    let quality = quality_of(&out);
    assert_eq!(quality["dropped"][1]["rule"], "future_date");
    assert_eq!(quality["dropped"][1]["lines"], 1);
    let customers = read_csv(&out.join("customers.csv"));
    let recency: f64 = customers[0]["recency_days"].parse().unwrap();
    assert!(recency < 200.0, "recency {recency}");

    // The last sale the --as-of check compares with is the real one, so an --as-of more
    // than the horizon (90 days) after it is still told.
    let lapsed = rebuy(&[
        "run",
        "--input",
        input,
        "--out",
        dir.path().join("lapsed").to_str().unwrap(),
        "--as-of",
        "2010-12-01",
    ]);
    let err = text(&lapsed.stderr);
    assert!(
        err.contains("--as-of 2010-12-01 is 252 days after the last sale (2010-03-23)")
            && err.contains("every customer will look lapsed"),
        "{err}"
    );
    assert_ne!(lapsed.status.code(), Some(70), "{err}");

    // A day of the run before the data: every line is in the future, nothing is left.
    let early = rebuy(&["inspect", input, "--today", "2000-01-01"]);
    assert_eq!(early.status.code(), Some(65), "{}", text(&early.stderr));
    assert!(text(&early.stderr).contains("future_date removed"));
    let bad_day = rebuy(&["inspect", input, "--today", "2024-13-01"]);
    assert_eq!(bad_day.status.code(), Some(2));
}

#[test]
fn numbers_beyond_the_bound_are_bad_input_never_an_internal_failure() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture_text = std::fs::read_to_string(fixture("retail_sample.csv")).unwrap();
    let huge = format!("1{}", "0".repeat(308));
    let mut lines = fixture_text;
    lines.push_str(&retail_line("999001", "1", "2010-02-01 10:00:00", "1e308"));
    lines.push_str(&retail_line(
        "C999002",
        "-1e308",
        "2010-02-01 10:00:00",
        "2",
    ));
    lines.push_str(&retail_line(
        "999003",
        "1e10",
        "2010-02-01 10:00:00",
        "1e10",
    ));
    lines.push_str(&retail_line("999004", &huge, "2010-02-01 10:00:00", "2"));
    lines.push_str(&retail_line("999005", "1e300", "2010-02-01 10:00:00", "2"));
    let csv = d.join("huge.csv");
    std::fs::write(&csv, &lines).unwrap();
    let parquet = d.join("huge.parquet");
    let converted = rebuy(&["convert", csv.to_str().unwrap(), parquet.to_str().unwrap()]);
    assert!(converted.status.success(), "{}", text(&converted.stderr));
    let clean = d.join("run-clean");
    let fixture_run = rebuy(&[
        "run",
        "--input",
        fixture("retail_sample.csv").to_str().unwrap(),
        "--out",
        clean.to_str().unwrap(),
    ]);
    assert!(
        fixture_run.status.success(),
        "{}",
        text(&fixture_run.stderr)
    );

    for input in [&csv, &parquet] {
        let name = input.file_name().unwrap().to_str().unwrap();
        let out = d.join(format!("run-{name}"));
        let run = rebuy(&[
            "run",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(run.status.success(), "{name}: {}", text(&run.stderr));
        // The lines beyond the bound are left out, so every output is the fixture's.
        assert_eq!(null_paths(&out), null_paths(&clean), "{name}");
        let quality = quality_of(&out);
        assert_eq!(
            quality["dropped"][0]["lines"],
            2 + 5,
            "{name}: the fixture's 2 and 5 more"
        );
        assert!(quality["revenue"].as_f64().unwrap() < 1e5, "{name}");
        assert!(quality["returns_value"].as_f64().unwrap() < 1e5, "{name}");
        if input == &csv {
            let issues = quality["parse_issues"].as_array().unwrap();
            let huge_price = issues
                .iter()
                .find(|i| i["value"] == "1e308")
                .expect("the 1e308 price listed");
            assert!(
                huge_price["location"]
                    .as_str()
                    .unwrap()
                    .ends_with("huge.csv line 236")
            );
            assert_eq!(huge_price["column"], "Price");
            assert_eq!(huge_price["expected"], "a number from -1e15 to 1e15");
        }
        // The run folder is read back by the dashboard (it refused quality.json with null).
        let customers = read_csv(&out.join("customers.csv"));
        assert!(
            customers
                .iter()
                .all(|c| c["monetary"].parse::<f64>().unwrap() < 1e5)
        );
    }

    // --strict stops at the first value beyond the bound: one line, exit 65.
    let good = retail_line("536365", "6", "2010-12-01 08:26:00", "2.55");
    let strict_csv = d.join("strict.csv");
    std::fs::write(
        &strict_csv,
        format!(
            "{HEADER_II}{good}{}{good}",
            retail_line("536366", "6", "2010-12-01 08:26:00", "1e308")
        ),
    )
    .unwrap();
    let strict_parquet = d.join("strict.parquet");
    let converted = rebuy(&[
        "convert",
        strict_csv.to_str().unwrap(),
        strict_parquet.to_str().unwrap(),
    ]);
    assert!(converted.status.success(), "{}", text(&converted.stderr));
    for (input, place) in [
        (&strict_csv, "strict.csv line 3"),
        (&strict_parquet, "strict.parquet line 2"),
    ] {
        let strict = rebuy(&[
            "run",
            "--input",
            input.to_str().unwrap(),
            "--out",
            d.join("strict").to_str().unwrap(),
            "--strict",
        ]);
        let err = text(&strict.stderr);
        assert_eq!(strict.status.code(), Some(65), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(place) && err.contains("\"Price\""), "{err}");
        if input == &strict_csv {
            assert!(
                err.contains("\"1e308\": expected a number from -1e15 to 1e15"),
                "{err}"
            );
        }
    }

    // Only lines beyond the bound: nothing left, bad input.
    let all_huge = d.join("all-huge.csv");
    std::fs::write(
        &all_huge,
        format!(
            "{HEADER_II}{}{}",
            retail_line("1", "1", "2010-02-01 10:00:00", "1e308"),
            retail_line("2", "1e200", "2010-02-01 10:00:00", "1e200")
        ),
    )
    .unwrap();
    let out = d.join("run-all");
    let run = rebuy(&[
        "run",
        "--input",
        all_huge.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(65), "{err}");
    assert!(
        err.contains("no line survived") && err.contains("1e15"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn damaged_csv_lines_are_bad_input_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = retail_line("536365", "6", "2010-12-01 08:26:00", "2.55");
    let wide = d.join("wide.csv");
    std::fs::write(
        &wide,
        format!("{HEADER_II}{good}536366{}\n{good}", ",1".repeat(99_999)),
    )
    .unwrap();
    let open_quote = d.join("quote.csv");
    std::fs::write(
        &open_quote,
        format!(
            "{HEADER_II}{good}536366,85123A,\"WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,13085,United Kingdom\n{}",
            good.repeat(5)
        ),
    )
    .unwrap();
    for (input, unparseable, says) in [
        (
            &wide,
            1,
            "wide.csv line 3: 100000 fields where the header has 8: the line is damaged",
        ),
        (
            &open_quote,
            6,
            "quote.csv line 3: a quote opened in column \"Description\" is never closed",
        ),
    ] {
        let inspect = rebuy(&["inspect", "--json", input.to_str().unwrap()]);
        assert!(inspect.status.success(), "{}", text(&inspect.stderr));
        let quality: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
        assert_eq!(quality["dropped"][0]["lines"], unparseable, "{says}");
        let strict = rebuy(&["inspect", "--strict", input.to_str().unwrap()]);
        let err = text(&strict.stderr);
        assert_eq!(strict.status.code(), Some(65), "{err}");
        assert!(err.contains(says), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}
