//! The variational autoencoder of the DarkMachines challenge (arXiv 2105.14027 sec. 4.2;
//! physics-spec §7.4).
//!
//! The encoder (the `[model]` MLP) outputs μ and ln σ² per latent dimension; training decodes
//! z = μ + σ·ε, ε ~ N(0, 1) (seeded: libtorch's generator, reseeded by the training loop every
//! epoch). Per-event loss, with MSE the mean over the D standardised features of (x − x̂)² and
//! KL = ½ Σ_k (μ_k² + σ_k² − ln σ_k² − 1):
//!
//! - `loss_form = "darkmachines"` (eq. 4.1, the default): L = (1 − β)·MSE + β·KL, β ∈ [0, 1]
//!   (β = 1 leaves the decoder untrained: a "fixed target" network);
//! - `loss_form = "standard"`: L = MSE + β·KL, β ≥ 0.
//!
//! The batch loss is Σ w·L / Σ w. Validation and scoring are deterministic: they decode μ.
//! Every loss component is a score (`score`, higher = more anomalous): `reco` (MSE of the
//! decoded μ), `kl` (the per-event KL), `radius` (‖μ‖₂; the challenge's best VAE,
//! "VAE-dynamic-beta1-z13_Radius") and `total` (L with the decoded μ).

use std::path::Path;

use oddity_nn::autoencoder::{AeOutput, kl_per_event, mse_per_event};
use oddity_nn::train::TrainConfig;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use super::autoencoder::{AeNet, Loss, vae_loss_per_event, validate_latent, weighted_summary};
use crate::backbone::ModelConfig;
use crate::features::Inputs;
use crate::{DetectError, FitReport};

/// How the reconstruction and KL terms are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VaeLossForm {
    /// (1 − β)·MSE + β·KL (arXiv 2105.14027 eq. 4.1).
    #[default]
    #[serde(rename = "darkmachines")]
    DarkMachines,
    /// MSE + β·KL.
    #[serde(rename = "standard")]
    Standard,
}

/// The VAE's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VaeScore {
    /// MSE of the decoded μ.
    Reco,
    /// Per-event KL divergence.
    Kl,
    /// ‖μ‖₂.
    Radius,
    /// The training loss of the event, with the decoded μ.
    #[default]
    Total,
}

/// `[detector]` with `kind = "vae"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaeConfig {
    /// Latent dimensions (the challenge grid: 5, 8, 13, 21, 34).
    pub latent: i64,
    /// Weight of the KL term (the challenge grid: 1e-6, 1e-3, 0.1, 0.5, 0.8, 0.999, 1).
    pub beta: f64,
    pub loss_form: VaeLossForm,
    pub score: VaeScore,
}

impl Default for VaeConfig {
    /// z = 13 (the challenge's best VAE), β = 0.5 (the middle of its grid), score `total`.
    fn default() -> Self {
        Self { latent: 13, beta: 0.5, loss_form: VaeLossForm::DarkMachines, score: VaeScore::Total }
    }
}

impl VaeConfig {
    pub fn validate(&self) -> Result<(), DetectError> {
        validate_latent("vae", self.latent)?;
        let ok = match self.loss_form {
            VaeLossForm::DarkMachines => (0.0..=1.0).contains(&self.beta),
            VaeLossForm::Standard => self.beta >= 0.0 && self.beta.is_finite(),
        };
        if !ok {
            let (range, form) = match self.loss_form {
                VaeLossForm::DarkMachines => ("in [0, 1]", "darkmachines"),
                VaeLossForm::Standard => ("finite and >= 0", "standard"),
            };
            return Err(DetectError::Config(format!(
                "vae beta must be {range} with loss_form = \"{form}\", got {}",
                self.beta
            )));
        }
        Ok(())
    }

    /// The factor of the MSE term: 1 − β (DarkMachines) or 1 (standard).
    pub fn reco_factor(&self) -> f64 {
        match self.loss_form {
            VaeLossForm::DarkMachines => 1.0 - self.beta,
            VaeLossForm::Standard => 1.0,
        }
    }

    fn loss(&self) -> Loss {
        Loss::Vae { reco: self.reco_factor(), beta: self.beta }
    }

    /// The configured score of a forward pass (deterministic when it decoded μ).
    ///
    /// # Panics
    /// If `out` is not a VAE's output (no ln σ²).
    ///
    /// # Shapes
    /// - `x`: `[B, D]` → `[B]`
    pub fn score_of(&self, out: &AeOutput, x: &Tensor) -> Tensor {
        match self.score {
            VaeScore::Reco => mse_per_event(x, &out.recon),
            VaeScore::Kl => kl_per_event(&out.mu, out.logvar.as_ref().expect("a VAE's forward pass has ln σ²")),
            VaeScore::Radius => out.mu.square().sum_dim_intlist(1, false, Kind::Float).sqrt(),
            VaeScore::Total => vae_loss_per_event(out, x, self.reco_factor(), self.beta),
        }
    }
}

/// The trained VAE.
#[derive(Debug)]
pub struct Vae {
    pub config: VaeConfig,
    net: AeNet,
}

/// File of the weights in the model directory.
const WEIGHTS: &str = "vae.safetensors";

impl Vae {
    /// Trains on `train` (validation on `valid`); checkpoints under `dir/checkpoints/vae`.
    pub fn fit(
        config: &VaeConfig,
        model: &ModelConfig,
        train_cfg: &TrainConfig,
        data: (&Inputs, &Inputs),
        device: Device,
        dir: Option<&Path>,
    ) -> Result<(Self, FitReport), DetectError> {
        config.validate()?;
        let mut net = AeNet::build(model, config.latent, true, device, train_cfg.seed)?;
        let mut member = net.fit("vae", config.loss(), train_cfg, data, dir)?;
        let vae = Self { config: config.clone(), net };
        member["valid_score"] = weighted_summary(&vae.score(data.1), &data.1.weights);
        Ok((vae, FitReport { members: vec![member], warnings: Vec::new() }))
    }

    /// Anomaly scores (higher = more anomalous): the configured `score`, decoding μ.
    pub fn score(&self, inputs: &Inputs) -> Vec<f64> {
        self.net.per_event(inputs, |out, x| self.config.score_of(out, x))
    }

    /// Writes the weights (`vae.safetensors`).
    pub fn save(&self, dir: &Path) -> Result<(), DetectError> {
        self.net.save(&dir.join(WEIGHTS))
    }

    /// Loads what [`save`](Self::save) wrote.
    pub fn load(config: &VaeConfig, model: &ModelConfig, dir: &Path, device: Device) -> Result<Self, DetectError> {
        Ok(Self { config: config.clone(), net: AeNet::load(model, config.latent, true, &dir.join(WEIGHTS), device)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_range_depends_on_the_loss_form() {
        let c = |beta, loss_form| VaeConfig { beta, loss_form, ..VaeConfig::default() };
        assert!(c(1.0, VaeLossForm::DarkMachines).validate().is_ok());
        assert!(c(1.5, VaeLossForm::DarkMachines).validate().is_err());
        assert!(c(1.5, VaeLossForm::Standard).validate().is_ok());
        assert!(c(-0.1, VaeLossForm::Standard).validate().is_err());
        assert_eq!(c(0.25, VaeLossForm::DarkMachines).reco_factor(), 0.75);
        assert_eq!(c(0.25, VaeLossForm::Standard).reco_factor(), 1.0);
    }

    #[test]
    fn every_score_by_hand() {
        // x = (1, 1), x̂ = (0, 1): MSE 0.5; μ = (3, 4), ln σ² = 0: KL 12.5, radius 5.
        let out = AeOutput {
            recon: Tensor::from_slice(&[0.0f32, 1.0]).reshape([1, 2]),
            mu: Tensor::from_slice(&[3.0f32, 4.0]).reshape([1, 2]),
            logvar: Some(Tensor::zeros([1, 2], (Kind::Float, Device::Cpu))),
        };
        let x = Tensor::ones([1, 2], (Kind::Float, Device::Cpu));
        let value = |score| {
            let c = VaeConfig { score, beta: 0.2, ..VaeConfig::default() };
            c.score_of(&out, &x).double_value(&[0])
        };
        assert_eq!(value(VaeScore::Reco), 0.5);
        assert_eq!(value(VaeScore::Kl), 12.5);
        assert_eq!(value(VaeScore::Radius), 5.0);
        assert!((value(VaeScore::Total) - (0.8 * 0.5 + 0.2 * 12.5)).abs() < 1e-6);
    }
}
