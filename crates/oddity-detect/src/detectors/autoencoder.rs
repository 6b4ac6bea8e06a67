//! The dense autoencoder: the DarkMachines SimpleAE (arXiv 2105.14027 sec. 4.1; physics-spec
//! §7.4) and the ATLAS RMM autoencoder (seed 004, arXiv 2307.01612; §7.5). Also the shared
//! machinery of the autoencoder family (network, objective, chunked scoring), which the VAE
//! ([`super::vae`]) reuses.
//!
//! The encoder is the `[model]` MLP (`kind = "mlp"`) with `latent` outputs, the decoder its
//! mirror ([`oddity_nn::Autoencoder`]). Training minimises the weighted mean over events of
//! the per-event MSE (the mean over the D input features of (x − x̂)², in the units of the
//! standardised inputs; raw RMM cells for the RMM autoencoder), Σ w·MSE / Σ w per batch, with
//! early stopping on the validation loss through the shared loop; the best-validation weights
//! are kept.
//!
//! Score (`score`): `mse` (the SimpleAE) or `ln-mse` = ln(MSE) (the RMM autoencoder; the
//! natural log, with MSE floored at the smallest positive f64 so a perfect reconstruction
//! scores a finite −708). Both are higher = more anomalous.

use std::path::Path;

use oddity_nn::MlpConfig;
use oddity_nn::autoencoder::{AeOutput, Autoencoder, mse_per_event};
use oddity_nn::flow::posterior::{PosteriorConfig, PosteriorFlow};
use oddity_nn::train::{BatchLoss, Objective, Split, TrainConfig, train};
use serde::{Deserialize, Serialize};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

use super::checkpoints::Checkpoints;
use crate::backbone::ModelConfig;
use crate::features::Inputs;
use crate::{DetectError, FitReport};

/// The autoencoder's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AeScore {
    /// Per-event MSE (the SimpleAE).
    #[default]
    Mse,
    /// ln(MSE) (the ATLAS RMM autoencoder).
    LnMse,
}

/// `[detector]` with `kind = "autoencoder"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AeConfig {
    /// Width of the latent code (the SimpleAE: 10).
    pub latent: i64,
    pub score: AeScore,
}

impl Default for AeConfig {
    fn default() -> Self {
        Self { latent: 10, score: AeScore::Mse }
    }
}

impl AeConfig {
    pub fn validate(&self) -> Result<(), DetectError> {
        validate_latent("autoencoder", self.latent)
    }
}

/// `latent` must be at least 1.
pub(crate) fn validate_latent(kind: &str, latent: i64) -> Result<(), DetectError> {
    if latent < 1 {
        return Err(DetectError::Config(format!("{kind} latent must be >= 1, got {latent}")));
    }
    Ok(())
}

/// The weighted mean Σ w·ℓ / Σ w of per-event losses, the batch loss of every detector of
/// this family.
///
/// # Shapes
/// - `per_event`, `weight`: `[B]` → scalar
pub fn weighted_mean(per_event: &Tensor, weight: &Tensor) -> Tensor {
    (per_event * weight).sum(Kind::Float) / weight.sum(Kind::Float)
}

/// The autoencoder's training objective: the weighted mean of the per-event MSE.
struct Reconstruction<'a> {
    net: &'a Autoencoder,
    train: &'a Inputs,
    valid: &'a Inputs,
}

impl Objective for Reconstruction<'_> {
    fn train_len(&self) -> usize {
        self.train.len()
    }
    fn valid_len(&self) -> usize {
        self.valid.len()
    }
    /// # Shapes
    /// per-event loss and weights `[B]`, loss scalar.
    fn batch_loss(&mut self, split: Split, indices: &[usize], train: bool) -> BatchLoss {
        let set = if split == Split::Train { self.train } else { self.valid };
        let b = set.select(indices);
        let per_event = mse_per_event(&b.x, &self.net.forward_t(&b.x, None, train).recon);
        BatchLoss { loss: weighted_mean(&per_event, &b.weight), weight: b.weight.sum(Kind::Double).double_value(&[]) }
    }
}

/// A built autoencoder network with its variables: the autoencoder and, for a VAE with a
/// flow posterior, the flow (under `flow.`).
#[derive(Debug)]
pub(crate) struct AeNet {
    pub(crate) vs: VarStore,
    pub(crate) net: Autoencoder,
    pub(crate) flow: Option<PosteriorFlow>,
}

/// Rows per forward pass when scoring.
const SCORE_CHUNK: usize = 4096;

impl AeNet {
    /// Builds the network for `model` (which must be an MLP: it is the encoder) on `device`,
    /// seeding libtorch's generator with `seed` first so the initial weights are reproducible.
    pub(crate) fn build(
        model: &ModelConfig,
        latent: i64,
        variational: bool,
        device: Device,
        seed: u64,
    ) -> Result<Self, DetectError> {
        Self::build_with(model, latent, variational, &PosteriorConfig::Gaussian, device, seed)
    }

    /// [`build`](Self::build) with a posterior flow (a VAE's `posterior`).
    pub(crate) fn build_with(
        model: &ModelConfig,
        latent: i64,
        variational: bool,
        posterior: &PosteriorConfig,
        device: Device,
        seed: u64,
    ) -> Result<Self, DetectError> {
        let encoder = encoder_config(model)?;
        tch::manual_seed(seed as i64);
        let vs = VarStore::new(device);
        let net = Autoencoder::new(&vs.root(), encoder, latent, variational);
        let flow = PosteriorFlow::new(&(vs.root() / "flow"), posterior, latent);
        Ok(Self { vs, net, flow })
    }

    /// Trains the autoencoder on `data` (train, validation) with the MSE; see
    /// [`run_training`].
    pub(crate) fn fit(
        &mut self,
        name: &str,
        train_cfg: &TrainConfig,
        data: (&Inputs, &Inputs),
        dir: Option<&Path>,
    ) -> Result<serde_json::Value, DetectError> {
        let mut objective = Reconstruction { net: &self.net, train: data.0, valid: data.1 };
        run_training(&mut self.vs, &mut objective, name, self.net.latent(), train_cfg, dir)
    }

    /// `f(output, x)` → `[B]` over every event of `inputs`, in eval mode without sampling.
    pub(crate) fn per_event(&self, inputs: &Inputs, f: impl Fn(&AeOutput, &Tensor) -> Tensor) -> Vec<f64> {
        per_event_chunked(inputs, |x| f(&self.net.forward_t(x, None, false), x))
    }

    pub(crate) fn save(&self, path: &Path) -> Result<(), DetectError> {
        Ok(oddity_nn::weights::save(&self.vs, path)?)
    }

    /// Builds the network and loads its weights from `path`.
    pub(crate) fn load(
        model: &ModelConfig,
        latent: i64,
        variational: bool,
        posterior: &PosteriorConfig,
        path: &Path,
        device: Device,
    ) -> Result<Self, DetectError> {
        let mut net = Self::build_with(model, latent, variational, posterior, device, 0)?;
        oddity_nn::weights::load(&mut net.vs, path)?;
        Ok(net)
    }
}

/// Trains the variables `vs` on `objective`; checkpoints go under `dir/checkpoints/{name}`
/// when `dir` is given, and the best-validation weights are restored. Returns the manifest
/// entry.
pub(crate) fn run_training(
    vs: &mut VarStore,
    objective: &mut dyn Objective,
    name: &str,
    latent: i64,
    train_cfg: &TrainConfig,
    dir: Option<&Path>,
) -> Result<serde_json::Value, DetectError> {
    let ckpt = Checkpoints::new(dir, name);
    let r = train(vs, objective, train_cfg, &ckpt.options())?;
    ckpt.restore_best(vs)?;
    Ok(serde_json::json!({
        "network": name, "latent": latent, "epochs": r.history.len(), "best_epoch": r.best_epoch,
        "best_valid_loss": r.best_valid, "stopped_early": r.stopped_early, "resumed": r.resumed,
    }))
}

/// `f(x)` → `[B]` over every event of `inputs` in chunks, without gradients, as f64.
pub(crate) fn per_event_chunked(inputs: &Inputs, f: impl Fn(&Tensor) -> Tensor) -> Vec<f64> {
    let idx: Vec<usize> = (0..inputs.len()).collect();
    let mut out = Vec::with_capacity(inputs.len());
    tch::no_grad(|| {
        for chunk in idx.chunks(SCORE_CHUNK) {
            let v = f(&inputs.select(chunk).x).to_kind(Kind::Double).to_device(Device::Cpu);
            out.extend(Vec::<f64>::try_from(v).unwrap_or_default());
        }
    });
    out
}

/// The encoder of the autoencoder family: the `[model]` MLP.
fn encoder_config(model: &ModelConfig) -> Result<&MlpConfig, DetectError> {
    match model {
        ModelConfig::Mlp(m) => Ok(m),
        ModelConfig::Part(_) => Err(DetectError::Config(
            "the autoencoders need model.kind = \"mlp\" (the encoder; the decoder mirrors it)".into(),
        )),
    }
}

/// Weighted mean and effective sample size (Σw)²/Σw² of `x` with weights `w`, for the fit
/// report.
pub(crate) fn weighted_summary(x: &[f64], w: &[f64]) -> serde_json::Value {
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|v| v * v).sum();
    let mean = if sw > 0.0 { x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw } else { f64::NAN };
    serde_json::json!({
        "mean": if mean.is_finite() { Some(mean) } else { None },
        "effective_events": if sw2 > 0.0 { sw * sw / sw2 } else { 0.0 },
    })
}

/// The trained autoencoder.
#[derive(Debug)]
pub struct Ae {
    pub config: AeConfig,
    net: AeNet,
}

/// File of the weights in the model directory.
const WEIGHTS: &str = "autoencoder.safetensors";

impl Ae {
    /// Trains on `train` (validation on `valid`); checkpoints under `dir/checkpoints/autoencoder`.
    pub fn fit(
        config: &AeConfig,
        model: &ModelConfig,
        train_cfg: &TrainConfig,
        data: (&Inputs, &Inputs),
        device: Device,
        dir: Option<&Path>,
    ) -> Result<(Self, FitReport), DetectError> {
        config.validate()?;
        let mut net = AeNet::build(model, config.latent, false, device, train_cfg.seed)?;
        let mut member = net.fit("autoencoder", train_cfg, data, dir)?;
        let ae = Self { config: config.clone(), net };
        member["valid_score"] = weighted_summary(&ae.score(data.1), &data.1.weights);
        Ok((ae, FitReport { members: vec![member], warnings: Vec::new() }))
    }

    /// Anomaly scores (higher = more anomalous): the per-event MSE or its logarithm.
    pub fn score(&self, inputs: &Inputs) -> Vec<f64> {
        let mse = self.net.per_event(inputs, |out, x| mse_per_event(x, &out.recon));
        match self.config.score {
            AeScore::Mse => mse,
            AeScore::LnMse => mse.into_iter().map(|m| m.max(f64::MIN_POSITIVE).ln()).collect(),
        }
    }

    /// Writes the weights (`autoencoder.safetensors`); the architecture is in the run's
    /// resolved configuration.
    pub fn save(&self, dir: &Path) -> Result<(), DetectError> {
        self.net.save(&dir.join(WEIGHTS))
    }

    /// Loads what [`save`](Self::save) wrote.
    pub fn load(config: &AeConfig, model: &ModelConfig, dir: &Path, device: Device) -> Result<Self, DetectError> {
        Ok(Self {
            config: config.clone(),
            net: AeNet::load(model, config.latent, false, &PosteriorConfig::Gaussian, &dir.join(WEIGHTS), device)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoder_must_be_an_mlp() {
        let part = ModelConfig::Part(oddity_nn::PartConfig::small());
        let err = AeNet::build(&part, 4, false, Device::Cpu, 0).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("model.kind = \"mlp\""), "{err}");
        assert!(AeConfig { latent: 0, ..AeConfig::default() }.validate().is_err());
    }

    #[test]
    fn weighted_summary_by_hand() {
        let s = weighted_summary(&[1.0, 3.0], &[3.0, 1.0]);
        assert_eq!(s["mean"], 1.5);
        assert_eq!(s["effective_events"], 1.6);
    }
}
