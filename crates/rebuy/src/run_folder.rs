//! The run folder: written under a temporary name and renamed into place when
//! complete, so a killed run never leaves a folder that looks finished.

use crate::exit::{InputError, OutputLocked};
use anyhow::{Context, Result};
use serde::Serialize;
use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The file whose presence marks a complete run folder.
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug)]
pub struct RunFolder {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
    /// `.NAME.lock` beside the run folder, locked until the run ends (the lock goes
    /// with the process, also when it is killed).
    _lock: Option<File>,
}

impl RunFolder {
    /// Takes the output's lock, checks that `target` may be (re)written, sweeps the
    /// staging folders of killed runs and creates this run's beside it (private to
    /// the user: the tables hold every customer's spend).
    pub fn create(target: &Path) -> Result<Self> {
        let name = target
            .file_name()
            .ok_or_else(|| InputError(format!("{} is not a folder name", target.display())))?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let lock = lock_output(&parent, &name, target)?;
        if target.exists() {
            let is_empty = std::fs::read_dir(target)
                .with_context(|| format!("cannot read {}", target.display()))?
                .next()
                .is_none();
            if !is_empty && !target.join(MANIFEST).exists() {
                return Err(InputError(format!(
                    "{} exists and is not a rebuy run folder (no {MANIFEST}); refusing to overwrite it",
                    target.display()
                ))
                .into());
            }
        }
        sweep_abandoned_staging(&parent, &name);
        let staging = parent.join(format!(".{name}{PARTIAL}{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).ok();
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        Ok(RunFolder {
            target: target.to_path_buf(),
            staging,
            committed: false,
            _lock: lock,
        })
    }

    /// Path of a file inside the (staging) folder.
    pub fn path(&self, file: &str) -> PathBuf {
        self.staging.join(file)
    }

    pub fn write_json(&self, file: &str, value: &impl Serialize) -> Result<()> {
        self.write_text(file, serde_json::to_string_pretty(value)?)
    }

    /// As [`RunFolder::write_json`], without indentation: for big files read by
    /// programs (a saved forest is two thirds whitespace when indented).
    pub fn write_json_compact(&self, file: &str, value: &impl Serialize) -> Result<()> {
        self.write_text(file, serde_json::to_string(value)?)
    }

    fn write_text(&self, file: &str, text: String) -> Result<()> {
        std::fs::write(self.path(file), text + "\n").with_context(|| format!("cannot write {file}"))
    }

    /// The files written so far, relative to the folder, sorted; the manifest is
    /// listed too since it is written last.
    pub fn files(&self) -> Result<Vec<String>> {
        let mut files = vec![MANIFEST.to_string()];
        let mut folders = vec![self.staging.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder)? {
                let path = entry?.path();
                if path.is_dir() {
                    folders.push(path);
                } else if let Ok(relative) = path.strip_prefix(&self.staging) {
                    files.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// Moves the finished folder into place, replacing an earlier run.
    pub fn commit(mut self) -> Result<PathBuf> {
        swap_in(&self.staging, &self.target)?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

/// What a staging folder's name holds between the run folder's name and the process id.
const PARTIAL: &str = ".partial-";

/// Locks `.NAME.lock` beside the run folder: a second run into the same folder fails
/// at once ([`OutputLocked`]) instead of both writing it. `None` (with a warning) where
/// the file system cannot lock.
fn lock_output(parent: &Path, name: &str, target: &Path) -> Result<Option<File>> {
    let path = parent.join(format!(".{name}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot create the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(OutputLocked(format!(
            "another rebuy run is writing {} (it holds {}): wait for it to end or choose another --out",
            target.display(),
            path.display()
        ))
        .into()),
        Err(std::fs::TryLockError::Error(error)) => {
            eprintln!(
                "warning: cannot lock {} ({error}): two runs into {} at once would not be stopped",
                path.display(),
                target.display()
            );
            Ok(None)
        }
    }
}

/// Removes the staging folders `.NAME.partial-PID` (and `.NAME.partial-PID.old`, from
/// versions that moved the earlier run aside) of processes that no longer exist: runs
/// that were killed. Called with the output's lock held, so no live run of this
/// folder is writing one; a live process's is kept all the same.
fn sweep_abandoned_staging(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let prefix = format!(".{name}{PARTIAL}");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let pid = rest.strip_suffix(".old").unwrap_or(rest);
        if let Ok(pid) = pid.parse::<u32>()
            && pid != std::process::id()
            && rebuy_data::process_is_gone(pid)
        {
            // Another sweep may be at it too: nothing to do about a failure.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Puts the finished `staging` folder at `target`. An earlier run there is exchanged
/// with it in one step (`renameat2` with `RENAME_EXCHANGE`), so that a kill at any
/// moment leaves one complete run at `target`, the earlier or the new; the earlier
/// run, now under the staging name, is deleted last (a kill while deleting it leaves
/// it to the next run's sweep).
fn swap_in(staging: &Path, target: &Path) -> Result<()> {
    let moved = || format!("cannot move the run into {}", target.display());
    if !target.exists() {
        return std::fs::rename(staging, target).with_context(moved);
    }
    if exchange(staging, target).with_context(moved)? {
        // Nothing to do about a failure: the sweep of a later run retries.
        let _ = std::fs::remove_dir_all(staging);
        return Ok(());
    }
    // No exchange here (not Linux, a kernel before 3.15, or a file system without it,
    // such as some network file systems): the earlier run is moved aside, then the new
    // one in, with a moment between the two renames when no run folder exists.
    let old = staging.with_extension("old");
    std::fs::rename(target, &old)
        .with_context(|| format!("cannot move the earlier run {} aside", target.display()))?;
    std::fs::rename(staging, target).with_context(moved)?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Exchanges two paths atomically; `false` where the system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

impl Drop for RunFolder {
    fn drop(&mut self) {
        if !self.committed {
            std::fs::remove_dir_all(&self.staging).ok();
        }
    }
}
