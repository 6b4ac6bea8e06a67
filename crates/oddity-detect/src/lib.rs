//! Oddity's anomaly detectors behind one contract (architecture §3-4).
//!
//! - [`features`]: representation choice, standardisation, tensors on a device.
//! - [`backbone`]: the MLP or the Particle Transformer from `[model]`.
//! - [`detectors`]: one file per detector; [`registry::DetectorConfig`] is the serde-tagged
//!   registry (`kind = "deep-svdd"`), [`registry::Trained`] the fitted detectors.
//! - [`run`]: the TOML run configuration (`[data]`, `[representation]`, `[model]`,
//!   `[detector]`, `[train]`), `--set` overrides, and the run directory (resolved
//!   configuration, manifest, standardisation, checkpoints, models, metrics).
//! - [`combined`]: combined runs (AND/OR/AVG/PROD of calibrated member scores) and
//!   [`combined::AnyRun`], a run directory of either kind.
//!
//! Every detector scores with **higher = more anomalous**, in f64.

pub mod backbone;
pub mod combined;
pub mod detectors;
pub mod features;
pub mod pairs_tch;
pub mod registry;
pub mod run;

use std::path::{Path, PathBuf};

pub use registry::{DetectorConfig, Trained};
pub use run::{RunConfig, TrainedRun};

/// Detector, configuration and run-directory errors.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("{path}: {message}", path = path.display())]
    File { path: PathBuf, message: String },
    #[error(transparent)]
    Standardize(#[from] oddity_repr::standardize::StandardizeError),
    #[error(transparent)]
    Train(#[from] oddity_nn::train::TrainError),
    #[error(transparent)]
    Weights(#[from] oddity_nn::weights::WeightsError),
    #[error(transparent)]
    Device(#[from] oddity_nn::device::DeviceError),
}

/// What fitting reported, for the manifest.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FitReport {
    /// One entry per trained network.
    pub members: Vec<serde_json::Value>,
    pub warnings: Vec<String>,
}

/// Writes `value` as pretty JSON to `path` atomically.
pub fn write_json<T: serde::Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), DetectError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| file_error(path, e))?;
    write_atomic(path, text.as_bytes())
}

/// Reads JSON from `path`.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, DetectError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_error(path, e))?;
    serde_json::from_str(&text).map_err(|e| file_error(path, e))
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DetectError> {
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        file_error(path, e)
    })
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> DetectError {
    DetectError::File { path: path.to_owned(), message: e.to_string() }
}
