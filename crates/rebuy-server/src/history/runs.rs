//! The runs the server serves: one run folder (`--run`), or every complete run folder
//! of a runs folder (`--runs`), newest first. A runs folder is scanned again when a
//! request comes and the last scan is older than [`RESCAN_AFTER`], so a run written
//! while the server runs shows without a restart; a run is re-read only when its
//! manifest changed.

use crate::run::RunData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How old a scan of the runs folder may be before a request scans it again.
pub const RESCAN_AFTER: Duration = Duration::from_secs(2);

/// The file whose presence marks a complete run folder: `rebuy run` writes it last,
/// in a hidden staging folder (`.NAME.partial-PID`) renamed into place when complete.
const MANIFEST: &str = "manifest.json";

/// One run of the list: loaded, or the one-line reason it could not be.
#[derive(Debug, Clone)]
pub struct RunEntry {
    /// The folder name, which `?run=` names.
    pub name: String,
    /// `YYYY-MM-DD` from the manifest, when it could be read.
    pub as_of: Option<String>,
    pub loaded: Result<Arc<RunData>, String>,
    /// When the manifest was written: a run replaced in place is read again.
    modified: Option<SystemTime>,
}

impl RunEntry {
    fn of(run: Arc<RunData>) -> Self {
        RunEntry {
            name: run.picked_as.clone().unwrap_or_else(|| run.name()),
            as_of: run.manifest.as_of.clone(),
            loaded: Ok(run),
            modified: None,
        }
    }

    pub fn customers(&self) -> Option<usize> {
        self.loaded.as_ref().ok().map(|run| run.customers.len())
    }

    /// How the run picker names the run: its name, as-of date, and whether it failed.
    pub fn label(&self) -> String {
        // A run named by its date (`rebuy run --as-of D --out runs/D`) says it once.
        let as_of = match self.as_of.as_deref().map(|d| d.get(..10).unwrap_or(d)) {
            Some(day) if day != self.name => format!(" · as of {day}"),
            _ => String::new(),
        };
        let failed = if self.loaded.is_err() {
            " (cannot be read)"
        } else {
            ""
        };
        format!("{}{as_of}{failed}", self.name)
    }
}

/// Why a request's run cannot be served.
#[derive(Debug)]
pub enum Refusal {
    /// `?run=` names no run of the folder (the names it has).
    Unknown { name: String, known: Vec<String> },
    /// The run is there but could not be read (its error).
    Failed { name: String, error: String },
    /// The folder holds no complete run yet.
    Empty(PathBuf),
    /// Two runs to compare, but the server serves one run folder.
    NotAFolder,
    /// Two runs to compare, but no readable run is older than this one.
    NothingEarlier(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Unknown { name, known } => write!(
                f,
                "no run `{name}` here; expected one of: {}",
                if known.is_empty() {
                    "(none yet)".to_string()
                } else {
                    known.join(", ")
                }
            ),
            Refusal::Failed { name, error } => write!(f, "run `{name}` cannot be read: {error}"),
            Refusal::Empty(dir) => write!(
                f,
                "{} holds no complete run yet: write one with `rebuy run --out {}/NAME`",
                dir.display(),
                dir.display()
            ),
            Refusal::NotAFolder => write!(
                f,
                "comparing runs needs a folder of runs: serve it with `rebuy serve --runs DIR` \
                 (docs/dashboard.md, Run history)"
            ),
            Refusal::NothingEarlier(name) => write!(
                f,
                "no readable run is older than `{name}`: write one with `rebuy run --as-of` \
                 at an earlier date (docs/dashboard.md, Run history)"
            ),
        }
    }
}

/// The runs the server serves.
#[derive(Debug)]
pub struct Runs {
    /// The runs folder; `None` for one run folder (never scanned).
    folder: Option<PathBuf>,
    scan: tokio::sync::Mutex<Scan>,
}

#[derive(Debug)]
struct Scan {
    at: Option<Instant>,
    runs: Arc<Vec<RunEntry>>,
}

impl Runs {
    /// One loaded run (`rebuy serve --run`): `?run=` is ignored.
    pub fn one(run: Arc<RunData>) -> Self {
        Runs {
            folder: None,
            scan: tokio::sync::Mutex::new(Scan {
                at: Some(Instant::now()),
                runs: Arc::new(vec![RunEntry::of(run)]),
            }),
        }
    }

    /// Every complete run folder of `folder`, scanned at the first request.
    pub fn folder(folder: impl Into<PathBuf>) -> Self {
        Runs {
            folder: Some(folder.into()),
            scan: tokio::sync::Mutex::new(Scan {
                at: None,
                runs: Arc::new(Vec::new()),
            }),
        }
    }

    /// Whether the runs come from a runs folder (and pages offer a choice).
    pub fn is_folder(&self) -> bool {
        self.folder.is_some()
    }

    /// The runs, newest first (scanned again if the last scan is old).
    pub async fn list(&self) -> Arc<Vec<RunEntry>> {
        let mut scan = self.scan.lock().await;
        let Some(folder) = &self.folder else {
            return Arc::clone(&scan.runs);
        };
        if scan.at.is_some_and(|at| at.elapsed() < RESCAN_AFTER) {
            return Arc::clone(&scan.runs);
        }
        let (folder, before) = (folder.clone(), Arc::clone(&scan.runs));
        // Reading a run folder is file work: off the async threads. The lock is held
        // meanwhile so that requests arriving together scan once.
        let runs = tokio::task::spawn_blocking(move || scan_folder(&folder, &before))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        scan.runs = Arc::new(runs);
        scan.at = Some(Instant::now());
        Arc::clone(&scan.runs)
    }

    /// The run `name` names (the newest readable one without a name), and the list.
    pub async fn pick(
        &self,
        name: Option<&str>,
    ) -> Result<(Arc<RunData>, Arc<Vec<RunEntry>>), Refusal> {
        let runs = self.list().await;
        let entry = match (name, self.is_folder()) {
            (Some(name), true) => {
                runs.iter()
                    .find(|e| e.name == name)
                    .ok_or_else(|| Refusal::Unknown {
                        name: name.to_string(),
                        known: runs.iter().map(|e| e.name.clone()).collect(),
                    })?
            }
            _ => match runs.iter().find(|e| e.loaded.is_ok()).or(runs.first()) {
                Some(entry) => entry,
                None => return Err(Refusal::Empty(self.folder.clone().unwrap_or_default())),
            },
        };
        match &entry.loaded {
            Ok(run) => Ok((Arc::clone(run), runs)),
            Err(error) => Err(Refusal::Failed {
                name: entry.name.clone(),
                error: error.clone(),
            }),
        }
    }
}

/// The complete run folders of `folder`, newest first (by as-of date, then name);
/// runs of `before` whose manifest did not change are kept as they were.
fn scan_folder(folder: &Path, before: &[RunEntry]) -> Vec<RunEntry> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) => {
            tracing::warn!("cannot read the runs folder {}: {error}", folder.display());
            return Vec::new();
        }
    };
    let mut runs: Vec<RunEntry> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            // Hidden names are the run writer's staging folders and lock files.
            let manifest = entry.path().join(MANIFEST);
            if name.starts_with('.') || !manifest.is_file() {
                return None;
            }
            let modified = std::fs::metadata(&manifest).and_then(|m| m.modified()).ok();
            let unchanged = before
                .iter()
                .find(|e| e.name == name && modified.is_some() && e.modified == modified);
            Some(match unchanged {
                Some(entry) => entry.clone(),
                None => read_run(&entry.path(), name, modified),
            })
        })
        .collect();
    runs.sort_by(|a, b| b.as_of.cmp(&a.as_of).then_with(|| a.name.cmp(&b.name)));
    runs
}

fn read_run(dir: &Path, name: String, modified: Option<SystemTime>) -> RunEntry {
    match RunData::load(dir) {
        Ok(run) => {
            tracing::info!("run {name} read from {}", dir.display());
            let mut entry = RunEntry::of(Arc::new(run.picked_as(name)));
            entry.modified = modified;
            entry
        }
        Err(error) => {
            tracing::warn!("run {name} cannot be read: {error}");
            RunEntry {
                as_of: as_of_of(&dir.join(MANIFEST)),
                name,
                loaded: Err(error.to_string()),
                modified,
            }
        }
    }
}

/// The as-of date of a manifest that may be damaged, to sort a run that failed.
fn as_of_of(manifest: &Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("as_of")?.as_str().map(str::to_string)
}
