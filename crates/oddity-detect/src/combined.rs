//! Combined runs: several detectors trained on the same background and split, joined per event
//! by the calibrated AND, OR, AVG or PROD of physics-spec §7.8: the DarkMachines winners'
//! DeepSVDD ensemble + normalising flow as one run that `oddity score`, `eval`, `report` and
//! `search` use like any other.
//!
//! A combined run file names its members' run files:
//!
//! ```toml
//! [combination]
//! mode = "and"            # and | or | avg | prod
//! weighted = false        # weighted conformal calibration (docs/combine.md)
//!
//! [[combination.member]]
//! config = "demo.toml"    # relative to this file
//!
//! [[combination.member]]
//! config = "flow-efficient.toml"
//! set = ["train.epochs=10"]   # --set overrides of this member only
//! ```
//!
//! Every member must read the same background with the same split: the validation split,
//! which no member trains on, is then the calibration set of every member, and the test split
//! is common to all. The run directory holds `members/<k>-<stem>/` (an ordinary run directory
//! per member), `combination.json` (the calibration), `config.resolved.toml` (this file with
//! absolute member paths: training from it again reproduces the run) and `manifest.json`.

use std::path::{Path, PathBuf};

use oddity_core::EventTable;
use oddity_eval::{Combination, CombineMode};
use serde::{Deserialize, Serialize};

use crate::DetectError;
use crate::run::{RunConfig, TrainedRun};

/// The file name of the stored calibration; its presence marks a combined run directory.
pub const COMBINATION_FILE: &str = "combination.json";

/// `[combination]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinationConfig {
    /// How the calibrated scores u_i are combined: and = min, or = max, avg = mean,
    /// prod = product.
    pub mode: CombineMode,
    /// Calibrate with the background weights (weighted conformal p-value); the challenge
    /// used unweighted counts.
    #[serde(default)]
    pub weighted: bool,
    /// The member run files, in order.
    #[serde(rename = "member")]
    pub members: Vec<MemberFile>,
}

/// `[[combination.member]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberFile {
    /// The member's run file (relative to the combined run file).
    pub config: PathBuf,
    /// `key=value` overrides of this member only (applied before the command line's).
    #[serde(default)]
    pub set: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CombinedFile {
    combination: CombinationConfig,
}

/// A combined run file with its members' resolved run configurations.
#[derive(Debug, Clone, PartialEq)]
pub struct CombinedConfig {
    pub combination: CombinationConfig,
    /// `(name, configuration)` per member; the name `<k>-<file stem>` is its directory under
    /// `members/`.
    pub members: Vec<(String, RunConfig)>,
}

impl CombinedConfig {
    /// Reads the TOML file at `path` once: `None` for an ordinary run file, the combined run
    /// file with every member's run file when it has a `[combination]` table. `sets` (the
    /// command line's `--set`) apply to every member after its own `set`; members are resolved
    /// relative to the combined file's directory and stored with absolute paths.
    pub fn load_if_combined(path: &Path, sets: &[String]) -> Result<Option<Self>, DetectError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| DetectError::File { path: path.to_owned(), message: e.to_string() })?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| DetectError::Config(format!("{origin}: {e}")))?;
        if !table.contains_key("combination") {
            return Ok(None);
        }
        // From the text again, not the table: the errors then point at the line.
        let file: CombinedFile = toml::from_str(&text).map_err(|e| DetectError::Config(format!("{origin}: {e}")))?;
        let mut combination = file.combination;
        if combination.members.len() < 2 {
            return Err(DetectError::Config(format!(
                "{origin}: a combination needs at least 2 [[combination.member]] entries, got {}",
                combination.members.len()
            )));
        }
        let base = path.parent().unwrap_or(Path::new(""));
        let mut members = Vec::with_capacity(combination.members.len());
        for (k, member) in combination.members.iter_mut().enumerate() {
            let joined = base.join(&member.config);
            member.config = std::path::absolute(&joined).unwrap_or(joined);
            // The resolved file keeps the command line's overrides with the member's own.
            member.set.extend(sets.iter().cloned());
            let config = RunConfig::load(&member.config, &member.set)
                .map_err(|e| DetectError::Config(format!("{origin}: member {k}: {e}")))?;
            let stem = member.config.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            members.push((format!("{k}-{stem}"), config));
        }
        let config = Self { combination, members };
        config.check_shared_data()?;
        Ok(Some(config))
    }

    /// Replaces every member's background files (the command line's `--background`), also in
    /// the members' overrides of the resolved file.
    pub fn set_background(&mut self, files: &[PathBuf]) {
        let files: Vec<PathBuf> = files.iter().map(|f| std::path::absolute(f).unwrap_or_else(|_| f.clone())).collect();
        let list = toml::Value::Array(files.iter().map(|f| f.display().to_string().into()).collect());
        for member in &mut self.combination.members {
            member.set.push(format!("data.background={list}"));
        }
        for (_, m) in &mut self.members {
            m.data.background.clone_from(&files);
        }
    }

    /// The background files, common to every member.
    pub fn background(&self) -> &[PathBuf] {
        &self.members[0].1.data.background
    }

    /// Every member reads the same background with the same split: otherwise the
    /// validation split of one member could be training data of another, and the test splits
    /// would differ.
    pub fn check_shared_data(&self) -> Result<(), DetectError> {
        let (first_name, first) = &self.members[0];
        for (name, m) in &self.members[1..] {
            for (what, same) in [
                ("data.background", m.data.background == first.data.background),
                ("data.split", m.data.split == first.data.split),
            ] {
                if !same {
                    return Err(DetectError::Config(format!(
                        "member {name}: {what} differs from member {first_name}'s; the members of a combination \
                         must share background and split, so that the validation split (the calibration set) \
                         is held out from every member's training"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The combined run file with absolute member paths, as TOML.
    pub fn to_toml(&self) -> Result<String, DetectError> {
        toml::to_string_pretty(&CombinedFile { combination: self.combination.clone() })
            .map_err(|e| DetectError::Config(format!("cannot write the resolved combination: {e}")))
    }
}

/// What `combination.json` stores.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    /// Member names, which are their directories under `members/`.
    members: Vec<String>,
    weighted: bool,
    combination: Combination,
}

/// A trained combined run: the member runs and their calibration.
#[derive(Debug)]
pub struct CombinedRun {
    /// `(name, run)` per member, in order.
    pub members: Vec<(String, TrainedRun)>,
    pub combination: Combination,
    pub weighted: bool,
}

impl CombinedRun {
    /// Calibrates the trained `members` on `valid`, the background validation split they
    /// share (held out from all their trainings).
    pub fn fit(
        config: &CombinationConfig,
        members: Vec<(String, TrainedRun)>,
        valid: &EventTable,
    ) -> Result<Self, DetectError> {
        let scores = members.iter().map(|(_, run)| run.score(valid)).collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&[f64]> = scores.iter().map(Vec::as_slice).collect();
        let weights = config.weighted.then_some(valid.weight.as_slice());
        let combination = Combination::fit(config.mode, &refs, weights)
            .map_err(|e| DetectError::Config(format!("calibrating the members on the validation split: {e}")))?;
        Ok(Self { members, combination, weighted: config.weighted })
    }

    /// Writes `combination.json` into `dir` (the members are already in `dir/members/`).
    pub fn save(&self, dir: &Path) -> Result<(), DetectError> {
        let stored = Stored {
            members: self.members.iter().map(|(n, _)| n.clone()).collect(),
            weighted: self.weighted,
            combination: self.combination.clone(),
        };
        crate::write_json(&dir.join(COMBINATION_FILE), &stored)
    }

    /// Loads a combined run directory; `device` overrides every member's configured one.
    pub fn load(dir: &Path, device: Option<&str>) -> Result<Self, DetectError> {
        let stored: Stored = crate::read_json(&dir.join(COMBINATION_FILE))?;
        if stored.members.len() != stored.combination.members.len() {
            return Err(DetectError::File {
                path: dir.join(COMBINATION_FILE),
                message: format!(
                    "{} member names for {} calibrations",
                    stored.members.len(),
                    stored.combination.members.len()
                ),
            });
        }
        let members = stored
            .members
            .into_iter()
            .map(|name| {
                let run = TrainedRun::load(&dir.join("members").join(&name), device)?;
                Ok((name, run))
            })
            .collect::<Result<Vec<_>, DetectError>>()?;
        Ok(Self { members, combination: stored.combination, weighted: stored.weighted })
    }

    /// The combined score of every event of `table`, in [0, 1], higher = more anomalous.
    pub fn score(&self, table: &EventTable) -> Result<Vec<f64>, DetectError> {
        let scores = self.members.iter().map(|(_, run)| run.score(table)).collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&[f64]> = scores.iter().map(Vec::as_slice).collect();
        self.combination.combine(&refs).map_err(|e| DetectError::Config(format!("combining the member scores: {e}")))
    }

    /// `and(deep-svdd, flow)`.
    pub fn name(&self) -> String {
        let kinds: Vec<&str> = self.members.iter().map(|(_, r)| r.config.detector.name()).collect();
        format!("{}({})", self.combination.mode, kinds.join(", "))
    }
}

/// Any run directory: one detector, or a combination of several.
#[derive(Debug)]
pub enum AnyRun {
    Single(Box<TrainedRun>),
    Combined(CombinedRun),
}

impl AnyRun {
    /// Loads the run directory `dir`, combined when it holds `combination.json`; `device`
    /// overrides the configured one.
    pub fn load(dir: &Path, device: Option<&str>) -> Result<Self, DetectError> {
        if dir.join(COMBINATION_FILE).is_file() {
            Ok(Self::Combined(CombinedRun::load(dir, device)?))
        } else {
            Ok(Self::Single(Box::new(TrainedRun::load(dir, device)?)))
        }
    }

    /// Scores every event of `table` (higher = more anomalous).
    pub fn score(&self, table: &EventTable) -> Result<Vec<f64>, DetectError> {
        match self {
            Self::Single(r) => r.score(table),
            Self::Combined(r) => r.score(table),
        }
    }

    /// The detector's name: its registry kind, or `mode(kind, kind, ...)` for a combination.
    pub fn detector_name(&self) -> String {
        match self {
            Self::Single(r) => r.config.detector.name().to_owned(),
            Self::Combined(r) => r.name(),
        }
    }
}
