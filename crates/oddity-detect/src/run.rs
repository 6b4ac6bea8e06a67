//! Run configuration (TOML, `--set key=value` overrides) and run directories.
//!
//! A run directory holds `config.resolved.toml` (written before any training; rerunning from
//! it reproduces the run), `preprocess.json` (the standardisation), `checkpoints/` (best and
//! last per network, resumable), `model/` (the fitted detector), `manifest.json` (inputs,
//! split sizes, effective sample sizes, device, seed, fit report, timings).

use std::path::{Path, PathBuf};
use std::time::Instant;

use oddity_core::EventTable;
use oddity_nn::train::TrainConfig;
use oddity_repr::split::{Part, SplitConfig, indices};
use oddity_repr::standardize::Standardizer;
use serde::{Deserialize, Serialize};
use tch::Device;

use crate::backbone::ModelConfig;
use crate::detectors::latent_head::LatentHeadConfig;
use crate::detectors::vae::LabelSource;
use crate::features::{FitData, Inputs, ReprConfig};
use crate::registry::{DetectorConfig, Trained};
use crate::{DetectError, FitReport};

/// `[data]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Background files (label 0) the detector learns from.
    pub background: Vec<PathBuf>,
    /// Train / validation / test split of the background (signals are test-only).
    pub split: SplitConfig,
    /// `cpu`, `cuda`, `cuda:N` or `auto`.
    pub device: String,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self { background: Vec::new(), split: SplitConfig::default(), device: "auto".into() }
    }
}

/// A whole run: what to read, how to see it, what to train, how.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    pub data: DataConfig,
    pub representation: ReprConfig,
    pub model: ModelConfig,
    pub detector: DetectorConfig,
    pub train: TrainConfig,
}

impl RunConfig {
    /// Parses TOML `text` (from `origin`, for messages), applies `key=value` overrides (TOML
    /// values; bare words are strings) and resolves it.
    pub fn from_toml(text: &str, origin: &str, sets: &[String]) -> Result<Self, DetectError> {
        let mut value: toml::Table = toml::from_str(text).map_err(|e| DetectError::Config(format!("{origin}: {e}")))?;
        for s in sets {
            apply_set(&mut value, s)?;
        }
        let mut config: RunConfig =
            value.try_into().map_err(|e: toml::de::Error| DetectError::Config(format!("{origin}: {e}")))?;
        config.resolve()?;
        Ok(config)
    }

    /// Reads a TOML run file. Relative `data.background` paths are relative to the file's
    /// directory (as in Cargo manifests) and are made absolute, so the resolved configuration
    /// saved in a run directory still finds them.
    pub fn load(path: &Path, sets: &[String]) -> Result<Self, DetectError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DetectError::File { path: path.to_owned(), message: e.to_string() })?;
        let mut config = Self::from_toml(&text, &path.display().to_string(), sets)?;
        let base = path.parent().unwrap_or(Path::new(""));
        for b in config.input_files_mut() {
            if b.is_relative() {
                let joined = base.join(&*b);
                *b = std::path::absolute(&joined).unwrap_or(joined);
            }
        }
        Ok(config)
    }

    /// Every input file the configuration names: the background files, then the signal files
    /// of the detectors that read some (DROCC's `val_signals`, the latent head's `signals`).
    fn input_files_mut(&mut self) -> impl Iterator<Item = &mut PathBuf> {
        let signals = match &mut self.detector {
            DetectorConfig::Drocc(d) => d.val_signals.iter_mut(),
            DetectorConfig::LatentHead(d) => d.signals.iter_mut(),
            _ => [].iter_mut(),
        };
        self.data.background.iter_mut().chain(signals)
    }

    /// Validates every section and sets the network's input widths from the representation.
    pub fn resolve(&mut self) -> Result<(), DetectError> {
        self.representation.validate()?;
        self.model.resolve(&self.representation)?;
        self.detector.validate()?;
        match &self.detector {
            DetectorConfig::Vae(v) | DetectorConfig::LatentHead(LatentHeadConfig { vae: v, .. }) => {
                v.anneal.validate(self.train.early_stopping)?;
            }
            _ => {}
        }
        self.train.validate().map_err(|e| DetectError::Config(e.to_string()))?;
        self.data.split.validate().map_err(|e| DetectError::Config(e.to_string()))?;
        oddity_nn::parse_device(&self.data.device)?;
        Ok(())
    }

    /// The resolved configuration as TOML.
    pub fn to_toml(&self) -> Result<String, DetectError> {
        toml::to_string_pretty(self)
            .map_err(|e| DetectError::Config(format!("cannot write the resolved configuration: {e}")))
    }
}

/// Applies `a.b.c=value` to a TOML table.
fn apply_set(root: &mut toml::Table, set: &str) -> Result<(), DetectError> {
    let (key, raw) =
        set.split_once('=').ok_or_else(|| DetectError::Config(format!("--set '{set}': expected key=value")))?;
    let parts: Vec<&str> = key.trim().split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(DetectError::Config(format!("--set '{set}': empty key component")));
    }
    // A TOML value if it parses as one, else a string.
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.trim().to_owned()));
    let mut table = root;
    for p in &parts[..parts.len() - 1] {
        let entry = table.entry((*p).to_owned()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table =
            entry.as_table_mut().ok_or_else(|| DetectError::Config(format!("--set '{set}': '{p}' is not a table")))?;
    }
    table.insert(parts[parts.len() - 1].to_owned(), value);
    Ok(())
}

/// Σw and the effective sample size (Σw)²/Σw² of `w`.
fn ess(w: &[f64]) -> (f64, f64) {
    let s: f64 = w.iter().sum();
    let s2: f64 = w.iter().map(|x| x * x).sum();
    (s, if s2 > 0.0 { s * s / s2 } else { 0.0 })
}

/// A trained run, loaded or fresh.
#[derive(Debug)]
pub struct TrainedRun {
    pub config: RunConfig,
    pub standardizer: Standardizer,
    pub detector: Trained,
    pub device: Device,
}

/// What [`train_run`] returns besides the run: the background validation and test events.
#[derive(Debug)]
pub struct TrainOutcome {
    pub run: TrainedRun,
    /// The background events of the validation split (held out from training: the
    /// calibration set of score combinations, physics-spec §7.8).
    pub valid: EventTable,
    /// The background events of the test split (for evaluation).
    pub test: EventTable,
    pub report: FitReport,
}

/// Trains the detector of `config` on `background` into the run directory `out`.
pub fn train_run(config: &RunConfig, background: &EventTable, out: &Path) -> Result<TrainOutcome, DetectError> {
    train_run_with(config, background, &TrainExtras::default(), out)
}

/// What some detectors need besides the background events.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrainExtras<'a> {
    /// Signal events of signal-assisted model selection (DROCC's `val_signals`, read by the
    /// caller with the same input options as the background).
    pub val_signals: Option<&'a EventTable>,
    /// Events per background file, in the order of `data.background`, when `background` is
    /// their concatenation (the file-level generator labels of the contrastive VAE).
    pub file_lengths: Option<&'a [usize]>,
}

/// The generator label of every background event for `source` (the file index, or the
/// process index of the table).
fn generator_labels(
    source: LabelSource,
    background: &EventTable,
    file_lengths: Option<&[usize]>,
) -> Result<Vec<i64>, DetectError> {
    let labels: Vec<i64> = match source {
        LabelSource::Process => background.process.iter().map(|&p| i64::from(p)).collect(),
        LabelSource::File => {
            let lengths = file_lengths.ok_or_else(|| {
                DetectError::Config("contrastive labels = \"file\" need the events per background file".into())
            })?;
            if lengths.iter().sum::<usize>() != background.len() {
                return Err(DetectError::Config(format!(
                    "events per background file {lengths:?} do not add up to the {} background events",
                    background.len()
                )));
            }
            lengths.iter().enumerate().flat_map(|(k, &n)| std::iter::repeat_n(k as i64, n)).collect()
        }
    };
    let mut distinct = labels.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        let what = match source {
            LabelSource::File => "files in data.background (one per generator or tune)",
            LabelSource::Process => "process IDs in the background",
        };
        return Err(DetectError::Config(format!(
            "the SupCon term needs at least two generator labels: give two or more {what}, or use loss = \"nt-xent\""
        )));
    }
    Ok(labels)
}

/// [`train_run`] with the [`TrainExtras`] some detectors need.
pub fn train_run_with(
    config: &RunConfig,
    background: &EventTable,
    extras: &TrainExtras<'_>,
    out: &Path,
) -> Result<TrainOutcome, DetectError> {
    let val_signals = extras.val_signals;
    let start = Instant::now();
    // The resolved configuration names its inputs absolutely: it is read back from inside
    // the run directory, where relative paths would point elsewhere.
    let mut config = config.clone();
    for b in config.input_files_mut() {
        if let Ok(abs) = std::path::absolute(&*b) {
            *b = abs;
        }
    }
    let config = &config;
    let device = oddity_nn::parse_device(&config.data.device)?;
    let file = |p: &Path, e: std::io::Error| DetectError::File { path: p.to_owned(), message: e.to_string() };
    std::fs::create_dir_all(out).map_err(|e| file(out, e))?;
    crate::write_atomic(&out.join("config.resolved.toml"), config.to_toml()?.as_bytes())?;

    let parts = config.data.split.assign(background.len()).map_err(|e| DetectError::Config(e.to_string()))?;
    let mask = |part: Part| parts.iter().map(|p| *p == part).collect::<Vec<bool>>();
    let (train, valid, test) = (
        background.filter(&mask(Part::Train)),
        background.filter(&mask(Part::Validation)),
        background.filter(&mask(Part::Test)),
    );
    if train.is_empty() {
        return Err(DetectError::Config("the training split is empty: more background events are needed".into()));
    }
    let mut batch = config.representation.encode(&train);
    let standardizer = config.representation.fit_standardizer(&batch, &train.weight)?;
    crate::write_atomic(&out.join("preprocess.json"), standardizer.to_json().as_bytes())?;
    standardizer.apply(&mut batch)?;
    let mut train_in = Inputs::from_batch(&batch, &train.weight, device);
    drop(batch);
    let mut valid_in = Inputs::new(&config.representation, &standardizer, &valid, device)?;
    if let Some(source) = config.detector.label_source() {
        let labels = generator_labels(source, background, extras.file_lengths)?;
        let of = |part: Part| indices(&parts, part).iter().map(|&i| labels[i]).collect::<Vec<i64>>();
        train_in = train_in.with_labels(&of(Part::Train));
        valid_in = valid_in.with_labels(&of(Part::Validation));
    }
    let signals_in = match val_signals {
        Some(t) if !t.is_empty() => Some(Inputs::new(&config.representation, &standardizer, t, device)?),
        _ => None,
    };

    let data = FitData {
        repr: &config.representation,
        standardizer: &standardizer,
        train_events: &train,
        valid_events: &valid,
        train: &train_in,
        valid: &valid_in,
        val_signals: signals_in.as_ref(),
        device,
    };
    let (detector, report) = config.detector.fit(&config.model, &config.train, &data, Some(out))?;
    let model_dir = out.join("model");
    std::fs::create_dir_all(&model_dir).map_err(|e| file(&model_dir, e))?;
    detector.save(&model_dir)?;

    let summary = |t: &EventTable| {
        let (sw, n_eff) = ess(&t.weight);
        serde_json::json!({ "events": t.len(), "sum_weights": sw, "effective_events": n_eff })
    };
    let manifest = serde_json::json!({
        "oddity_version": env!("CARGO_PKG_VERSION"),
        "detector": config.detector.name(),
        "supervised": config.detector.is_supervised(),
        "device": oddity_nn::device::describe(device),
        "seed": config.train.seed,
        "split_seed": config.data.split.seed,
        "inputs": config.data.background.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "background": summary(background),
        "train": summary(&train),
        "validation": summary(&valid),
        "test": summary(&test),
        "fit": report,
        "seconds": start.elapsed().as_secs_f64(),
        "test_lines": indices(&parts, Part::Test).iter().map(|&i| background.source_line[i]).collect::<Vec<_>>(),
    });
    crate::write_json(&out.join("manifest.json"), &manifest)?;
    Ok(TrainOutcome { run: TrainedRun { config: config.clone(), standardizer, detector, device }, valid, test, report })
}

impl TrainedRun {
    /// Loads a run directory written by [`train_run`]; `device` overrides the configured one.
    pub fn load(dir: &Path, device: Option<&str>) -> Result<Self, DetectError> {
        let config = RunConfig::load(&dir.join("config.resolved.toml"), &[])?;
        let device = oddity_nn::parse_device(device.unwrap_or(&config.data.device))?;
        let path = dir.join("preprocess.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| DetectError::File { path: path.clone(), message: e.to_string() })?;
        let standardizer = Standardizer::from_json(&text)?;
        let detector = config.detector.load(&config.model, &dir.join("model"), device)?;
        Ok(Self { config, standardizer, detector, device })
    }

    /// Scores every event of `table` (higher = more anomalous).
    pub fn score(&self, table: &EventTable) -> Result<Vec<f64>, DetectError> {
        if table.is_empty() {
            return Ok(Vec::new());
        }
        let inputs = Inputs::new(&self.config.representation, &self.standardizer, table, self.device)?;
        Ok(self.detector.score(&inputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_overrides_and_resolution() {
        let text = "[model]\nkind = \"mlp\"\n[detector]\nkind = \"deep-svdd\"\n[train]\nepochs = 3\n";
        let sets =
            vec!["train.batch_size=64".to_owned(), "detector.rep_dims=[2, 4]".to_owned(), "data.device=cpu".to_owned()];
        let c = RunConfig::from_toml(text, "t.toml", &sets).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.train.batch_size, 64);
        assert_eq!(c.train.epochs, 3);
        assert_eq!(c.data.device, "cpu");
        let DetectorConfig::DeepSvdd(d) = &c.detector else { panic!("deep-svdd") };
        assert_eq!(d.rep_dims, vec![2, 4]);
        let ModelConfig::Mlp(m) = &c.model else { panic!("mlp") };
        assert_eq!(m.input_dim, 72);
        // The resolved TOML reads back to the same configuration.
        let back =
            RunConfig::from_toml(&c.to_toml().unwrap_or_default(), "resolved", &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, c);
    }

    #[test]
    fn documented_representation_tables_parse() {
        // The forms shown in docs/run-files.md.
        for repr in [
            "kind = \"fixed\"\nslots = { slots = \"any-type\", k = 18, order = { order = \"pt\" } }",
            "kind = \"fixed\"\nslots = { slots = \"any-type\", k = 18, order = { order = \"random\", seed = 5 } }",
            "kind = \"particles\"\nmax_particles = 20\nmet = \"token\"\npairs = { set = \"part4\" }\nsm = \"binary\"",
            "kind = \"leading\"\nobjects = 8\nlog = true",
            "kind = \"rmm\"\nvariant = \"adfilter\"",
            "kind = \"efficient\"\nenergies = false",
        ] {
            let model = if repr.contains("particles") { "part" } else { "mlp" };
            let text = format!("[representation]\n{repr}\n[model]\nkind = \"{model}\"\n");
            RunConfig::from_toml(&text, "doc.toml", &[]).unwrap_or_else(|e| panic!("{repr}: {e}"));
        }
    }

    #[test]
    fn background_paths_are_relative_to_the_run_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sub = dir.path().join("examples");
        std::fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{e}"));
        let file = sub.join("run.toml");
        let abs = dir.path().join("elsewhere.csv");
        let text = format!("[data]\nbackground = [\"../data/bkg.csv\", {:?}]\n", abs.display().to_string());
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
        let c = RunConfig::load(&file, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.data.background[0], sub.join("../data/bkg.csv"));
        assert_eq!(c.data.background[1], abs);
    }

    #[test]
    fn errors_name_the_problem() {
        let err = RunConfig::from_toml("[model]\nkind = \"part\"\n", "r.toml", &[]).unwrap_err().to_string();
        assert!(err.contains("needs representation.kind = \"particles\""), "{err}");
        let err = RunConfig::from_toml("[train]\nepoch = 3\n", "r.toml", &[]).unwrap_err().to_string();
        assert!(err.contains("r.toml") && err.contains("epoch"), "{err}");
        let err = RunConfig::from_toml("", "r.toml", &["data.device=tpu".into()]).unwrap_err().to_string();
        assert!(err.contains("unknown device 'tpu'"), "{err}");
    }
}
