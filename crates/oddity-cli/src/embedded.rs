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

impl Sample {
    /// True for the background file (`background_*`), false for signals.
    pub fn is_background(&self) -> bool {
        self.name.starts_with("background")
    }
}

/// The embedded event files, background first.
pub fn samples() -> Vec<Sample> {
    let mut v: Vec<Sample> =
        FILES.iter().filter(|(n, _)| n.ends_with(".csv.gz")).map(|&(name, _)| Sample { name }).collect();
    v.sort_by_key(|s| (!s.is_background(), s.name));
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
