//! The run folder: written under a temporary name and renamed into place when
//! complete, so a killed run never leaves a folder that looks finished.

use crate::exit::InputError;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The file whose presence marks a complete run folder.
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug)]
pub struct RunFolder {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl RunFolder {
    /// Checks that `target` may be (re)written and creates the staging folder beside it.
    pub fn create(target: &Path) -> Result<Self> {
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
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).ok();
        }
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        Ok(RunFolder {
            target: target.to_path_buf(),
            staging,
            committed: false,
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
        if self.target.exists() {
            let old = self.staging.with_extension("old");
            std::fs::rename(&self.target, &old).with_context(|| {
                format!(
                    "cannot move the earlier run {} aside",
                    self.target.display()
                )
            })?;
            std::fs::remove_dir_all(&old).ok();
        }
        std::fs::rename(&self.staging, &self.target)
            .with_context(|| format!("cannot move the run into {}", self.target.display()))?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for RunFolder {
    fn drop(&mut self) {
        if !self.committed {
            std::fs::remove_dir_all(&self.staging).ok();
        }
    }
}
