//! End-to-end: a PostgreSQL source with the cleaning rules and the aggregation pushed
//! down gives the run the files give (customers.csv byte for byte), against a throwaway
//! PostgreSQL server started by the test (docs/scaling.md). Built with the `postgres`
//! feature (scripts/test builds every feature).

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;
mod other_source;

use common::{cli_fixture, generated, must, path, rebuy_cmd, run};
use other_source::{
    IMPLAUSIBLE_TODAY, assert_implausible_counts, assert_same_quality, implausible_fixture, metrics,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The password of the test server's `postgres` user over TCP.
const PASSWORD: &str = "rebuy-test-secret";

/// A throwaway PostgreSQL server on a free loopback port, its data and socket in a
/// temporary folder; stopped when dropped. Run as the `postgres` user when the test
/// runs as root (PostgreSQL refuses to run as root).
struct Server {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_user: Option<&'static str>,
}

/// A certificate and its key (PEM) for the test server, and TLS required of every TCP
/// client (pg_hba.conf `hostssl`).
struct ServerTls {
    certificate: String,
    key: String,
}

impl Server {
    fn start_with(tls: Option<&ServerTls>) -> Result<Server, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|e| format!("/usr/lib/postgresql: {e}"))?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .find(|bin| bin.join("initdb").exists())
            .ok_or("no /usr/lib/postgresql/*/bin/initdb")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        if let Some(tls) = tls {
            // Written before the folder is given to the postgres user, who must own the
            // key (PostgreSQL refuses a key others may read).
            std::fs::write(dir.path().join("server.crt"), &tls.certificate)
                .map_err(|e| e.to_string())?;
            let key = dir.path().join("server.key");
            std::fs::write(&key, &tls.key).map_err(|e| e.to_string())?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| e.to_string())?;
        }
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let as_user = root.then_some("postgres");
        if root {
            let chown = Command::new("chown")
                .args(["-R", "postgres", path(dir.path())])
                .status()
                .map_err(|e| e.to_string())?;
            if !chown.success() {
                return Err("cannot give the temporary folder to the postgres user".into());
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let server = Server {
            bin,
            dir,
            port,
            as_user,
        };
        let data = server.dir.path().join("data");
        let password_file = server.dir.path().join("password");
        std::fs::write(&password_file, PASSWORD).map_err(|e| e.to_string())?;
        server.tool(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                // Local socket connections (psql here) are trusted; TCP connections,
                // rebuy's, must give the password.
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--pwfile",
                path(&password_file),
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )?;
        let mut options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            path(server.dir.path())
        );
        if tls.is_some() {
            let folder = path(server.dir.path());
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={folder}/server.crt -c ssl_key_file={folder}/server.key"
            ));
            let hba = data.join("pg_hba.conf");
            let rules = std::fs::read_to_string(&hba).map_err(|e| e.to_string())?;
            let ssl_only: String = rules
                .lines()
                .map(|line| match line.strip_prefix("host ") {
                    Some(rest) => format!("hostssl {rest}\n"),
                    None => format!("{line}\n"),
                })
                .collect();
            std::fs::write(&hba, ssl_only).map_err(|e| e.to_string())?;
        }
        let log = server.dir.path().join("log");
        server.tool(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-l",
                path(&log),
                "-o",
                &options,
                "-w",
                "start",
            ],
        )?;
        Ok(server)
    }

    fn tool(&self, name: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(name);
        let output = match self.as_user {
            Some(user) => Command::new("runuser")
                .args(["-u", user, "--", path(&program)])
                .args(args)
                .output(),
            None => Command::new(&program).args(args).output(),
        }
        .map_err(|e| format!("{name}: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "{name} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(())
    }

    fn url(&self, parameters: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/postgres{parameters}",
            self.port
        )
    }

    /// Runs psql commands (`\copy` reads files on this side).
    fn psql(&self, commands: &str) {
        let output = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
            ])
            .args([
                "-p",
                &self.port.to_string(),
                "-d",
                "postgres",
                "-c",
                commands,
            ])
            .env("PGPASSWORD", PASSWORD)
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "psql {commands}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Loads an Online Retail II CSV into `table`, with COPY into text columns, then
    /// typed columns (numbers, a timestamp); a value that is not a number or a date
    /// becomes NULL, which the pushed-down rules count as unparseable.
    fn load(&self, csv: &Path, table: &str) {
        self.psql(&format!(
            "CREATE TABLE {table}_text (\"Invoice\" text, \"StockCode\" text, \"Description\" text, \
             \"Quantity\" text, \"InvoiceDate\" text, \"Price\" text, \"Customer ID\" text, \"Country\" text)"
        ));
        self.psql(&format!(
            "\\copy {table}_text FROM '{}' WITH (FORMAT csv, HEADER true)",
            path(csv)
        ));
        let number = "'^-?[0-9]+(\\.[0-9]+)?$'";
        let date = "'^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?$'";
        self.psql(&format!(
            "CREATE TABLE {table} AS SELECT \"Invoice\", \"StockCode\", \"Description\", \
             CASE WHEN \"Quantity\" ~ {number} THEN CAST(\"Quantity\" AS numeric) END AS \"Quantity\", \
             CASE WHEN \"InvoiceDate\" ~ {date} THEN CAST(\"InvoiceDate\" AS timestamp) END AS \"InvoiceDate\", \
             CASE WHEN \"Price\" ~ {number} THEN CAST(\"Price\" AS numeric) END AS \"Price\", \
             \"Customer ID\", \"Country\" FROM {table}_text"
        ));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self.tool("pg_ctl", &["-D", path(&data), "-m", "immediate", "stop"]);
    }
}

fn server_or_skip() -> Option<Server> {
    server_with_or_skip(None)
}

fn server_with_or_skip(tls: Option<&ServerTls>) -> Option<Server> {
    match Server::start_with(tls) {
        Ok(server) => Some(server),
        Err(why) => {
            eprintln!(
                "\n\n!!!!! SKIPPED: no PostgreSQL server could be started ({why}); \
                 scripts/test installs the Debian package postgresql !!!!!\n\n"
            );
            None
        }
    }
}

fn assert_same_customers(file: &Path, database: &Path, what: &str) {
    assert_eq!(
        std::fs::read_to_string(file.join("customers.csv")).unwrap(),
        std::fs::read_to_string(database.join("customers.csv")).unwrap(),
        "{what}: customers.csv"
    );
}

#[test]
fn postgres_pushdown_gives_the_run_on_the_file() {
    let Some(server) = server_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    server.load(&cli_fixture(), "transactions");
    let (file_run, database_run) = (d.join("fixture-file"), d.join("fixture-db"));
    run(path(&cli_fixture()), &[], &file_run);
    run(&server.url("?table=transactions"), &[], &database_run);
    assert_same_customers(&file_run, &database_run, "fixture");
    assert_same_quality(&file_run, &database_run);

    let lines = generated(d, 50_000);
    server.load(&lines, "generated");
    let (file_run, database_run) = (d.join("gen-file"), d.join("gen-db"));
    let file_seconds = run(path(&lines), &[], &file_run);
    let database_seconds = run(
        &server.url(""),
        &[
            "--query",
            "SELECT * FROM generated WHERE \"Country\" IS NOT NULL",
        ],
        &database_run,
    );
    eprintln!(
        "50,000 generated lines: run on the CSV {file_seconds:.2} s, on PostgreSQL {database_seconds:.2} s"
    );
    assert_same_customers(&file_run, &database_run, "generated");
    assert_same_quality(&file_run, &database_run);
    assert_eq!(metrics(&file_run), metrics(&database_run));
    assert!(metrics(&file_run)["models"].as_array().unwrap().len() >= 3);
}

/// Lines dated in the future and numbers beyond the bound are counted the same from
/// the CSV, from its Parquet conversion and from PostgreSQL (the rules as SQL).
#[test]
fn implausible_lines_count_the_same_on_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = implausible_fixture(d);
    let parquet = d.join("implausible.parquet");
    must(rebuy_cmd(&["convert", path(&csv), path(&parquet)]));
    let today = ["--today", IMPLAUSIBLE_TODAY];
    let (from_csv, from_parquet) = (d.join("csv"), d.join("parquet"));
    run(path(&csv), &today, &from_csv);
    run(path(&parquet), &today, &from_parquet);
    assert_implausible_counts(&from_csv);
    assert_same_customers(&from_csv, &from_parquet, "parquet");
    assert_same_quality(&from_csv, &from_parquet);

    let Some(server) = server_or_skip() else {
        return;
    };
    server.load(&csv, "implausible");
    let from_database = d.join("database");
    run(&server.url("?table=implausible"), &today, &from_database);
    assert_implausible_counts(&from_database);
    assert_same_customers(&from_csv, &from_database, "postgres");
    assert_same_quality(&from_csv, &from_database);
}

#[test]
fn postgres_errors_are_one_clear_line_with_exit_65() {
    let Some(server) = server_or_skip() else {
        return;
    };
    server.load(&cli_fixture(), "transactions");
    server.psql("CREATE TABLE no_price AS SELECT \"Invoice\", \"Quantity\", \"InvoiceDate\", \"Customer ID\" FROM transactions");
    server.psql("CREATE TABLE text_quantity AS SELECT * FROM transactions_text");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused = format!("postgres://postgres@127.0.0.1:{closed}/postgres?table=transactions");
    let wrong_password = format!(
        "postgres://postgres:not-the-password@127.0.0.1:{}/postgres?table=transactions",
        server.port
    );
    let missing_table = server.url("?table=nowhere");
    let no_price = server.url("?table=no_price");
    let text_quantity = server.url("?table=text_quantity");
    let no_table = server.url("");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    for (input, extra, says) in [
        (refused.as_str(), None, "cannot connect"),
        (
            wrong_password.as_str(),
            None,
            "password authentication failed",
        ),
        (missing_table.as_str(), None, "does not exist"),
        (no_price.as_str(), None, "no column for price"),
        (text_quantity.as_str(), None, "expected a number type"),
        (
            no_table.as_str(),
            Some("SELECT 1 AS x"),
            "no column for invoice",
        ),
        (no_table.as_str(), None, "?table=NAME"),
    ] {
        let mut args = vec!["run", "--input", input, "--out", path(&out)];
        if let Some(query) = extra {
            args.extend(["--query", query]);
        }
        let started = Instant::now();
        let output = rebuy_cmd(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(65), "{input}: {stderr}");
        assert!(stderr.contains(says), "{input}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            !stderr.contains("not-the-password"),
            "a password is never shown"
        );
        assert!(started.elapsed().as_secs() < 30, "{input}: no hang");
        assert!(!out.exists());
    }
}

/// A test CA (PEM) and a server certificate it signed for `localhost` only.
fn test_certificates() -> (String, ServerTls) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "rebuy test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let certificate = server_params.signed_by(&server_key, &ca).unwrap();
    (
        ca.pem(),
        ServerTls {
            certificate: certificate.pem(),
            key: server_key.serialize_pem(),
        },
    )
}

/// A server that takes TLS connections only, with a certificate for `localhost` signed
/// by a CA the test makes: each `sslmode` checks what libpq's does, the password may
/// come from `PGPASSWORD` or a password file, and no failure shows a password.
#[test]
fn postgres_over_tls_checks_the_certificate_as_sslmode_asks() {
    let (ca, tls) = test_certificates();
    let Some(server) = server_with_or_skip(Some(&tls)) else {
        return;
    };
    server.load(&cli_fixture(), "transactions");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let root = format!("sslrootcert={}", path(&ca_file));
    let url = |host: &str, parameters: &str| {
        format!(
            "postgres://postgres:{PASSWORD}@{host}:{}/postgres?table=transactions&{parameters}",
            server.port
        )
    };
    let out = dir.path().join("run");
    let run_on = |input: &str, env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rebuy"));
        command.args(["run", "--input", input, "--out", path(&out)]);
        command.env_remove("PGPASSWORD").env("HOME", dir.path());
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().unwrap()
    };
    for (input, works, says) in [
        (
            url("localhost", &format!("sslmode=verify-full&{root}")),
            true,
            "",
        ),
        (
            url("127.0.0.1", &format!("sslmode=verify-ca&{root}")),
            true,
            "",
        ),
        (url("127.0.0.1", "sslmode=require"), true, ""),
        (url("127.0.0.1", ""), true, ""),
        (
            url("127.0.0.1", &format!("sslmode=verify-full&{root}")),
            false,
            "not valid for",
        ),
        (
            url("localhost", "sslmode=verify-full"),
            false,
            "certificate",
        ),
        (url("127.0.0.1", "sslmode=disable"), false, "no encryption"),
        (
            url(
                "localhost",
                "sslmode=verify-full&sslrootcert=/nowhere/ca.pem",
            ),
            false,
            "/nowhere/ca.pem",
        ),
    ] {
        let output = run_on(&input, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if works {
            assert!(output.status.success(), "{input}: {stderr}");
        } else {
            assert_eq!(output.status.code(), Some(65), "{input}: {stderr}");
            assert!(stderr.contains(says), "{input}: {stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        }
        assert!(
            !stderr.contains(PASSWORD),
            "a password is never shown: {stderr}"
        );
    }

    let no_password = format!(
        "postgres://postgres@localhost:{}/postgres?table=transactions&sslmode=verify-full&{root}",
        server.port
    );
    let without = run_on(&no_password, &[]);
    assert_eq!(without.status.code(), Some(65));
    let from_env = run_on(&no_password, &[("PGPASSWORD", PASSWORD)]);
    assert!(
        from_env.status.success(),
        "{}",
        String::from_utf8_lossy(&from_env.stderr)
    );
    let passfile = dir.path().join("pgpass");
    std::fs::write(
        &passfile,
        format!("localhost:*:postgres:postgres:{PASSWORD}\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let from_file = run_on(&no_password, &[("PGPASSFILE", path(&passfile))]);
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );
    let inspect = rebuy_cmd(&["inspect", &url("localhost", "")]);
    let stderr = String::from_utf8_lossy(&inspect.stderr);
    assert_eq!(inspect.status.code(), Some(65), "{stderr}");
    assert!(
        stderr.contains("rebuy run") && !stderr.contains(PASSWORD),
        "{stderr}"
    );
}
