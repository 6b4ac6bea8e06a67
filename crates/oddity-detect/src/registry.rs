//! The detector registry: `[detector]` tables tagged by `kind`, and the fitted detectors. A
//! new detector is a file in `detectors/` plus one variant here.

use std::path::Path;

use oddity_nn::train::TrainConfig;
use serde::{Deserialize, Serialize};
use tch::Device;

use crate::backbone::ModelConfig;
use crate::detectors::autoencoder::{Ae, AeConfig};
use crate::detectors::ddd::{Ddd, DddConfig};
use crate::detectors::deep_svdd::{DeepSvdd, DeepSvddConfig};
use crate::detectors::drocc::{Drocc, DroccConfig};
use crate::detectors::flow::{FlowDetector, FlowDetectorConfig};
use crate::detectors::latent_head::{LatentHead, LatentHeadConfig};
use crate::detectors::vae::{LabelSource, Vae, VaeConfig};
use crate::features::{FitData, Inputs};
use crate::{DetectError, FitReport};

/// `[detector]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DetectorConfig {
    DeepSvdd(DeepSvddConfig),
    Ddd(DddConfig),
    Drocc(DroccConfig),
    Flow(FlowDetectorConfig),
    Autoencoder(AeConfig),
    Vae(VaeConfig),
    LatentHead(LatentHeadConfig),
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig::DeepSvdd(DeepSvddConfig::default())
    }
}

impl DetectorConfig {
    pub fn name(&self) -> &'static str {
        match self {
            DetectorConfig::DeepSvdd(_) => "deep-svdd",
            DetectorConfig::Ddd(_) => "ddd",
            DetectorConfig::Drocc(_) => "drocc",
            DetectorConfig::Flow(_) => "flow",
            DetectorConfig::Autoencoder(_) => "autoencoder",
            DetectorConfig::Vae(_) => "vae",
            DetectorConfig::LatentHead(_) => "latent-head",
        }
    }

    /// True for detectors trained on labelled signal events (not model-independent).
    pub fn is_supervised(&self) -> bool {
        matches!(self, DetectorConfig::LatentHead(_))
    }

    /// Signal files the detector needs at training time (DROCC's signal-assisted model
    /// selection, the latent head's labelled signals); empty for every other detector.
    pub fn val_signals(&self) -> &[std::path::PathBuf] {
        match self {
            DetectorConfig::Drocc(c) => &c.val_signals,
            DetectorConfig::LatentHead(c) => &c.signals,
            _ => &[],
        }
    }

    /// Where the generator labels of the training events come from, when the detector needs
    /// them (the contrastive VAE with SupCon).
    pub fn label_source(&self) -> Option<LabelSource> {
        match self {
            DetectorConfig::Vae(c) => c.label_source(),
            DetectorConfig::LatentHead(c) => c.vae.label_source(),
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<(), DetectError> {
        match self {
            DetectorConfig::DeepSvdd(c) => c.validate(),
            DetectorConfig::Ddd(c) => c.validate(),
            DetectorConfig::Drocc(c) => c.validate(),
            DetectorConfig::Flow(c) => c.validate(),
            DetectorConfig::Autoencoder(c) => c.validate(),
            DetectorConfig::Vae(c) => c.validate(),
            DetectorConfig::LatentHead(c) => c.validate(),
        }
    }

    /// Trains the detector on `data`; artefacts (checkpoints, histories) go to `dir` when
    /// given.
    pub fn fit(
        &self,
        model: &ModelConfig,
        train: &TrainConfig,
        data: &FitData<'_>,
        dir: Option<&Path>,
    ) -> Result<(Trained, FitReport), DetectError> {
        match self {
            DetectorConfig::DeepSvdd(c) => {
                let (d, r) = DeepSvdd::fit(c, model, train, (data.train, data.valid), data.device, dir)?;
                Ok((Trained::DeepSvdd(d), r))
            }
            DetectorConfig::Ddd(c) => {
                let (d, r) = Ddd::fit(c, model, train, data, dir)?;
                Ok((Trained::Ddd(d), r))
            }
            DetectorConfig::Drocc(c) => {
                let (d, r) = Drocc::fit(c, model, train, data, dir)?;
                Ok((Trained::Drocc(Box::new(d)), r))
            }
            DetectorConfig::Flow(c) => {
                let (d, r) = FlowDetector::fit(c, train, data, dir)?;
                Ok((Trained::Flow(Box::new(d)), r))
            }
            DetectorConfig::Autoencoder(c) => {
                let (d, r) = Ae::fit(c, model, train, (data.train, data.valid), data.device, dir)?;
                Ok((Trained::Autoencoder(d), r))
            }
            DetectorConfig::Vae(c) => {
                let (d, r) = Vae::fit(c, model, train, (data.train, data.valid), data.device, dir)?;
                Ok((Trained::Vae(d), r))
            }
            DetectorConfig::LatentHead(c) => {
                let (d, r) = LatentHead::fit(c, model, train, data, dir)?;
                Ok((Trained::LatentHead(Box::new(d)), r))
            }
        }
    }

    /// Loads a detector saved in `dir`.
    pub fn load(&self, model: &ModelConfig, dir: &Path, device: Device) -> Result<Trained, DetectError> {
        match self {
            DetectorConfig::DeepSvdd(c) => Ok(Trained::DeepSvdd(DeepSvdd::load(c, model, dir, device)?)),
            DetectorConfig::Ddd(c) => Ok(Trained::Ddd(Ddd::load(c, model, dir, device)?)),
            DetectorConfig::Drocc(c) => Ok(Trained::Drocc(Box::new(Drocc::load(c, model, dir, device)?))),
            DetectorConfig::Flow(c) => Ok(Trained::Flow(Box::new(FlowDetector::load(c, dir, device)?))),
            DetectorConfig::Autoencoder(c) => Ok(Trained::Autoencoder(Ae::load(c, model, dir, device)?)),
            DetectorConfig::Vae(c) => Ok(Trained::Vae(Vae::load(c, model, dir, device)?)),
            DetectorConfig::LatentHead(c) => {
                Ok(Trained::LatentHead(Box::new(LatentHead::load(c, model, dir, device)?)))
            }
        }
    }
}

/// A fitted detector.
#[derive(Debug)]
pub enum Trained {
    DeepSvdd(DeepSvdd),
    Ddd(Ddd),
    Drocc(Box<Drocc>),
    Flow(Box<FlowDetector>),
    Autoencoder(Ae),
    Vae(Vae),
    LatentHead(Box<LatentHead>),
}

impl Trained {
    /// Anomaly scores, higher = more anomalous.
    pub fn score(&self, inputs: &Inputs) -> Vec<f64> {
        match self {
            Trained::DeepSvdd(d) => d.score(inputs),
            Trained::Ddd(d) => d.score(inputs),
            Trained::Drocc(d) => d.score(inputs),
            Trained::Flow(d) => d.score(inputs),
            Trained::Autoencoder(d) => d.score(inputs),
            Trained::Vae(d) => d.score(inputs),
            Trained::LatentHead(d) => d.score(inputs),
        }
    }

    /// Saves the fitted state into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), DetectError> {
        match self {
            Trained::DeepSvdd(d) => d.save(dir),
            Trained::Ddd(d) => d.save(dir),
            Trained::Drocc(d) => d.save(dir),
            Trained::Flow(d) => d.save(dir),
            Trained::Autoencoder(d) => d.save(dir),
            Trained::Vae(d) => d.save(dir),
            Trained::LatentHead(d) => d.save(dir),
        }
    }
}
