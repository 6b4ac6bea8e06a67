//! The embedded default sample (`data/` at build time): a channel-3 Standard-Model background
//! mix and BSM signals generated with Pythia 8 by `tools/generate/` (see `data/README.md`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

include!(concat!(env!("OUT_DIR"), "/embedded_samples.rs"));

/// One embedded sample file.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub name: &'static str,
}

/// What an embedded file is, from the `role` of its `samples.json` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The background the demo trains on (`"background"`).
    Background,
    /// The same background mix from another Pythia tune (`"background-tune"`), the second
    /// generator label of the contrastive VAE; the demo does not train on it.
    BackgroundTune,
    Signal,
}

impl Sample {
    /// The file's role in `samples.json`; files it does not list count as signals when their
    /// name does not start with `background`.
    pub fn role(&self) -> Role {
        let index: serde_json::Value = FILES
            .iter()
            .find(|(n, _)| *n == "samples.json")
            .and_then(|(_, b)| serde_json::from_slice(b).ok())
            .unwrap_or_default();
        let role = index
            .as_array()
            .and_then(|a| a.iter().find(|e| e["file"] == self.name))
            .and_then(|e| e["role"].as_str().map(str::to_owned));
        match role.as_deref() {
            Some("background") => Role::Background,
            Some("background-tune") => Role::BackgroundTune,
            Some(_) => Role::Signal,
            None if self.name.starts_with("background") => Role::Background,
            None => Role::Signal,
        }
    }

    /// True for the background the demo trains on.
    pub fn is_background(&self) -> bool {
        self.role() == Role::Background
    }
}

/// The embedded event files: the background first, then the other tune, then the signals.
pub fn samples() -> Vec<Sample> {
    let mut v: Vec<Sample> =
        FILES.iter().filter(|(n, _)| n.ends_with(".csv.gz")).map(|&(name, _)| Sample { name }).collect();
    v.sort_by_key(|s| (s.role(), s.name));
    v
}

/// Writes every embedded file (events and `samples.json`) into `dir`; returns the event files
/// written, background first.
pub fn extract(dir: &Path) -> Result<Vec<(Sample, PathBuf)>> {
    if samples().is_empty() {
        anyhow::bail!(
            "this oddity binary was built without an embedded sample (data/*.csv.gz was missing at build time)"
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, bytes) in FILES {
        crate::input::write_atomic(&dir.join(name), bytes)?;
    }
    Ok(samples().into_iter().map(|s| (s, dir.join(s.name))).collect())
}
