//! The run folder is never lost: a kill at any moment of a replace leaves a complete
//! run (the earlier or the new one), killed runs' staging folders and spill files are
//! private and swept by the next run (never a live process's), and a second run into
//! the same folder fails at once with its own exit status.

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

// Each test binary uses a part of the shared helpers.
#[allow(dead_code)]
mod common;

use common::{must, path};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn rebuy(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rebuy"));
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Synthetic lines of 1,500 customers: a run takes about a second.
fn data(dir: &Path) -> PathBuf {
    let file = dir.join("lines.csv");
    must(
        rebuy(&[
            "generate",
            "--customers",
            "1500",
            "--seed",
            "7",
            "--out",
            path(&file),
        ])
        .output()
        .unwrap(),
    );
    file
}

fn start_run(input: &Path, out: &Path, seed: u64, tmp: &Path) -> Child {
    let seed = seed.to_string();
    rebuy(&[
        "run",
        "--input",
        path(input),
        "--out",
        path(out),
        "--seed",
        &seed,
    ])
    .env("TMPDIR", tmp)
    .spawn()
    .unwrap()
}

/// The seed of the run in `out`, whose manifest must be complete.
fn seed_of(out: &Path) -> u64 {
    common::json(&out.join("manifest.json"))["seed"]
        .as_u64()
        .expect("a complete manifest")
}

/// Entries of `dir` whose name starts with `prefix`.
fn named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Puts files in the run folder (not a part of it), so that deleting it takes a while
/// (the moment a replace that moved the earlier run aside before deleting it had no
/// run folder).
fn pad(out: &Path) {
    let padding = out.join("padding");
    if padding.exists() {
        return;
    }
    std::fs::create_dir(&padding).unwrap();
    for i in 0..5000 {
        std::fs::write(padding.join(i.to_string()), b"x").unwrap();
    }
}

#[test]
fn a_kill_at_any_moment_of_a_replace_leaves_a_complete_run() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out, tmp) = (data(dir.path()), dir.path().join("out"), dir.path());
    assert!(start_run(&input, &out, 1, tmp).wait().unwrap().success());
    pad(&out);
    let started = Instant::now();
    assert!(start_run(&input, &out, 2, tmp).wait().unwrap().success());
    let run_time = started.elapsed();
    let kills = 40;
    let (mut earlier, mut newer) = (0, 0);
    for k in 0..kills {
        pad(&out);
        let before = seed_of(&out);
        let seed = before % 2 + 1;
        let mut child = start_run(&input, &out, seed, tmp);
        if k + 1 < kills {
            // Spread over the run's length and a little past it: the replace is its end.
            std::thread::sleep(run_time.mul_f64(1.1 * f64::from(k) / f64::from(kills)));
            child.kill().unwrap();
        }
        // The last run ends on its own: on a loaded machine every run may take longer
        // than the first, and each kill may land before the replace.
        child.wait().unwrap();
        let after = seed_of(&out);
        if after == before {
            earlier += 1;
        } else {
            assert_eq!(after, seed);
            newer += 1;
        }
    }
    assert!(earlier > 0 && newer > 0, "{earlier} earlier, {newer} new");
    // The next run sweeps what the killed ones left.
    assert!(start_run(&input, &out, 3, tmp).wait().unwrap().success());
    assert_eq!(seed_of(&out), 3);
    assert_eq!(named(dir.path(), ".out.partial-"), Vec::<PathBuf>::new());
    assert_eq!(named(dir.path(), "rebuy-spill-"), Vec::<PathBuf>::new());
}

/// Kills a run that spills (a budget of one line) once its spill files are written,
/// and checks what it left is private; the next run sweeps it, and leaves the staging
/// folder and spill folder of a live process.
#[test]
fn staging_and_spill_files_are_private_and_swept_once_their_process_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (data(dir.path()), dir.path().join("out"));
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let mut child = rebuy(&["run", "--memory-budget", "1", "--input", path(&input)])
        .args(["--out", path(&out)])
        .env("TMPDIR", &tmp)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let spill = loop {
        let spilled = named(&tmp, "rebuy-spill-")
            .into_iter()
            .find(|d| named(d, "raw-").len() == 64);
        if let Some(spill) = spilled {
            break spill;
        }
        assert!(Instant::now() < deadline, "the run never spilled");
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let staging = dir.path().join(format!(".out.partial-{}", child.id()));
    assert_eq!(mode(&staging), 0o700);
    assert_eq!(mode(&spill), 0o700);
    for file in named(&spill, "raw-") {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }

    // A live process's leftovers: this test's own id.
    let live_staging = dir
        .path()
        .join(format!(".out.partial-{}", std::process::id()));
    let live_spill = tmp.join(format!("rebuy-spill-{}-000000001", std::process::id()));
    std::fs::create_dir(&live_staging).unwrap();
    std::fs::create_dir(&live_spill).unwrap();
    must(
        rebuy(&["run", "--input", path(&input), "--out", path(&out)])
            .env("TMPDIR", &tmp)
            .output()
            .unwrap(),
    );
    assert!(
        !staging.exists() && !spill.exists(),
        "the killed run's are swept"
    );
    assert!(
        live_staging.exists() && live_spill.exists(),
        "a live process's stay"
    );
    assert!(out.join("manifest.json").exists());
}

#[test]
fn a_second_run_into_the_same_folder_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (data(dir.path()), dir.path().join("out"));
    let mut first = start_run(&input, &out, 1, dir.path());
    let staging = dir.path().join(format!(".out.partial-{}", first.id()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !staging.exists() {
        assert!(Instant::now() < deadline, "the first run never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    let started = Instant::now();
    let second = rebuy(&["run", "--input", path(&input), "--out", path(&out)])
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "at once");
    assert_eq!(second.status.code(), Some(75));
    let message = String::from_utf8_lossy(&second.stderr);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("another rebuy run is writing") && message.contains(".out.lock"),
        "{message}"
    );
    assert!(
        staging.exists(),
        "the first run's staging folder is left alone"
    );
    assert!(first.wait().unwrap().success());
    assert_eq!(seed_of(&out), 1);
}
