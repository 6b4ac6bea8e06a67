//! The variational autoencoder of the DarkMachines challenge (arXiv 2105.14027 sec. 4.2;
//! physics-spec §7.4), with the flow posteriors of sec. 4.5 and the contrastive term and
//! loss-weight annealing of the BEAD contrastive VAE (seed 002; §7.7).
//!
//! The encoder (the `[model]` MLP) outputs μ and ln σ² per latent dimension. Training draws
//! z0 = μ + σ·ε, ε ~ N(0, 1) (libtorch's generator, reseeded by the training loop every
//! epoch), pushes it through the posterior flow (`posterior`: none, planar or IAF) to z_K and
//! decodes z_K. Per event, with MSE the mean over the D standardised features of (x − x̂)²:
//!
//! - KL term: the analytic ½ Σ_k (μ_k² + σ_k² − ln σ_k² − 1) for the Gaussian posterior;
//!   with a flow, the single-sample ln q0(z0) − Σ_k ln|det ∂f_k/∂z_{k−1}| − ln p(z_K)
//!   ([`flow_kl`]; the prior at z_K, not BEAD's analytic KL minus the log-det);
//! - `loss_form = "darkmachines"` (eq. 4.1, the default): L = (1 − β)·MSE + β·KL, β ∈ [0, 1]
//!   (β = 1 leaves the decoder untrained: a "fixed target" network);
//!   `loss_form = "standard"`: L = MSE + β·KL, β ≥ 0;
//! - `contrastive` (optional): L += w_c·ℓ_con with ℓ_con the event's SupCon term (generator
//!   labels from the file or the process ID, [`LabelSource`]) or the mean NT-Xent term of its
//!   two views x + N(0, σ_aug²), on the L2-normalised z_K ([`oddity_nn::contrastive`]);
//! - `anneal` (optional): β and w_c follow schedules ([`super::anneal`]), read at every step.
//!
//! The batch loss is Σ w·L / Σ w; the contrastive term is computed within the batch and
//! weighted by the anchor's event weight (*project choice*: the spec's unweighted per-anchor
//! term, so unit weights give exactly SupCon / NT-Xent). Validation and scoring are
//! deterministic: they take z0 = μ (the NT-Xent views of the validation loss still draw
//! noise, from the reseeded generator). Scores (`score`, higher = more anomalous): `reco`
//! (MSE), `kl` (the KL term at z0 = μ), `radius` (‖μ‖₂; the challenge's best VAE,
//! "VAE-dynamic-beta1-z13_Radius"), `logdet` (Σ ln|det| of the flow at z0 = μ) and `total`
//! ((1 − β)·MSE + β·KL with the final β of the annealing). The contrastive term is not a
//! per-event score: it is defined against the other events of a batch and needs generator
//! labels, which test and signal events do not have; its validation mean is in the fit
//! report.

use std::path::Path;

use oddity_nn::autoencoder::{Autoencoder, kl_per_event, mse_per_event};
use oddity_nn::contrastive::{l2_normalize, nt_xent_per_view, supcon_per_anchor};
use oddity_nn::flow::planar::flow_kl;
use oddity_nn::flow::posterior::{PosteriorConfig, PosteriorFlow};
use oddity_nn::train::{BatchLoss, Objective, Split, TrainConfig};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use super::anneal::{AnnealConfig, Annealed};
use super::autoencoder::{AeNet, per_event_chunked, run_training, validate_latent, weighted_mean, weighted_summary};
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
    /// MSE of the decoded z_K(μ).
    Reco,
    /// The KL term at z0 = μ.
    Kl,
    /// ‖μ‖₂.
    Radius,
    /// Σ ln|det| of the posterior flow at z0 = μ (0 without a flow).
    Logdet,
    /// The VAE loss of the event at z0 = μ.
    #[default]
    Total,
}

/// Where the generator labels of the contrastive term come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelSource {
    /// The index of the event's file in `data.background` (one file per generator or tune).
    #[default]
    File,
    /// The event's process ID (one label per distinct process name).
    Process,
}

/// The contrastive term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContrastiveLoss {
    /// Supervised contrastive (arXiv 2004.11362) over generator labels.
    #[default]
    Supcon,
    /// NT-Xent (SimCLR, arXiv 2002.05709) over two noisy views of each event.
    NtXent,
}

/// `[detector.contrastive]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContrastiveConfig {
    pub loss: ContrastiveLoss,
    /// w_c (BEAD: 0.005).
    pub weight: f64,
    /// τ (0.07).
    pub temperature: f64,
    /// σ_aug of the NT-Xent views, in standardised units (0.1).
    pub sigma_aug: f64,
    /// SupCon labels.
    pub labels: LabelSource,
}

impl Default for ContrastiveConfig {
    fn default() -> Self {
        Self {
            loss: ContrastiveLoss::Supcon,
            weight: 0.005,
            temperature: 0.07,
            sigma_aug: 0.1,
            labels: LabelSource::File,
        }
    }
}

/// `[detector]` with `kind = "vae"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VaeConfig {
    /// Latent dimensions (the challenge grid: 5, 8, 13, 21, 34).
    pub latent: i64,
    /// Weight of the KL term (the challenge grid: 1e-6, 1e-3, 0.1, 0.5, 0.8, 0.999, 1); the
    /// start value when `anneal.beta` is set.
    pub beta: f64,
    pub loss_form: VaeLossForm,
    pub score: VaeScore,
    /// `{ kind = "gaussian" }` (the default), `{ kind = "planar", layers = 6 }` or
    /// `{ kind = "iaf", layers = 4, hidden = [330, 330, 330, 330] }`.
    pub posterior: PosteriorConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contrastive: Option<ContrastiveConfig>,
    pub anneal: AnnealConfig,
}

impl Default for VaeConfig {
    /// z = 13 (the challenge's best VAE), β = 0.5 (the middle of its grid), score `total`,
    /// Gaussian posterior, no contrastive term.
    fn default() -> Self {
        Self {
            latent: 13,
            beta: 0.5,
            loss_form: VaeLossForm::DarkMachines,
            score: VaeScore::Total,
            posterior: PosteriorConfig::Gaussian,
            contrastive: None,
            anneal: AnnealConfig::default(),
        }
    }
}

/// What one VAE forward pass produced.
#[derive(Debug)]
pub struct VaePass {
    /// `[B, D]` the decoded z_K.
    pub recon: Tensor,
    /// `[B, z]` each.
    pub mu: Tensor,
    pub logvar: Tensor,
    pub z0: Tensor,
    pub zk: Tensor,
    /// `[B]` Σ ln|det| of the flow (zeros without one).
    pub logdet: Tensor,
    /// `[B]` the KL term (analytic for the Gaussian posterior, single-sample with a flow).
    pub kl: Tensor,
}

/// Encodes `x`, draws z0 = μ + σ·`eps` (z0 = μ without `eps`), applies `flow` and decodes.
///
/// # Shapes
/// - `x`: `[B, D]`, `eps`: `[B, z]` → see [`VaePass`]
///
/// # Panics
/// If `net` is not variational.
pub fn vae_pass(
    net: &Autoencoder,
    flow: Option<&PosteriorFlow>,
    x: &Tensor,
    eps: Option<&Tensor>,
    train: bool,
) -> VaePass {
    let (mu, logvar) = net.encode(x, train);
    let logvar = logvar.expect("a VAE's encoder gives ln σ²");
    let z0 = match eps {
        Some(e) => &mu + (&logvar * 0.5).exp() * e,
        None => mu.shallow_clone(),
    };
    let (zk, logdet, kl) = match flow {
        Some(f) => {
            let (zk, logdet) = f.forward(&z0);
            let kl = flow_kl(&mu, &logvar, &z0, &zk, &logdet);
            (zk, logdet, kl)
        }
        None => {
            let zeros = Tensor::zeros([x.size()[0]], (mu.kind(), mu.device()));
            (z0.shallow_clone(), zeros, kl_per_event(&mu, &logvar))
        }
    };
    VaePass { recon: net.decode(&zk, train), mu, logvar, z0, zk, logdet, kl }
}

/// The VAE's per-event loss `reco`·MSE + `beta`·KL of a pass.
///
/// # Shapes
/// - `x`: `[B, D]` → `[B]`
pub fn vae_loss_per_event(pass: &VaePass, x: &Tensor, reco: f64, beta: f64) -> Tensor {
    mse_per_event(x, &pass.recon) * reco + &pass.kl * beta
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
        self.posterior.validate().map_err(|e| DetectError::Config(format!("detector.posterior: {e}")))?;
        if let Some(c) = &self.contrastive {
            let bad = |what: &str, v: f64| DetectError::Config(format!("detector.contrastive.{what} = {v}"));
            if !(c.weight >= 0.0 && c.weight.is_finite()) {
                return Err(bad("weight must be finite and >= 0, got weight", c.weight));
            }
            if !(c.temperature > 0.0 && c.temperature.is_finite()) {
                return Err(bad("temperature must be > 0, got temperature", c.temperature));
            }
            if !(c.sigma_aug >= 0.0 && c.sigma_aug.is_finite()) {
                return Err(bad("sigma_aug must be finite and >= 0, got sigma_aug", c.sigma_aug));
            }
        }
        if self.anneal.contrastive.is_some() && self.contrastive.is_none() {
            return Err(DetectError::Config(
                "detector.anneal.contrastive needs a [detector.contrastive] table (the term it anneals)".into(),
            ));
        }
        Ok(())
    }

    /// Where the generator labels come from, when the configuration needs them (SupCon).
    pub fn label_source(&self) -> Option<LabelSource> {
        self.contrastive.as_ref().filter(|c| c.loss == ContrastiveLoss::Supcon).map(|c| c.labels)
    }

    /// The factor of the MSE term at KL weight `beta`: 1 − β (DarkMachines) or 1 (standard).
    pub fn reco_factor_at(&self, beta: f64) -> f64 {
        match self.loss_form {
            VaeLossForm::DarkMachines => 1.0 - beta,
            VaeLossForm::Standard => 1.0,
        }
    }

    /// The factor of the MSE term at the configured β.
    pub fn reco_factor(&self) -> f64 {
        self.reco_factor_at(self.beta)
    }

    /// The configured score of a pass, with KL weight `beta` for `total`.
    ///
    /// # Shapes
    /// - `x`: `[B, D]` → `[B]`
    pub fn score_of(&self, pass: &VaePass, x: &Tensor, beta: f64) -> Tensor {
        match self.score {
            VaeScore::Reco => mse_per_event(x, &pass.recon),
            VaeScore::Kl => pass.kl.shallow_clone(),
            VaeScore::Radius => pass.mu.square().sum_dim_intlist(1, false, Kind::Float).sqrt(),
            VaeScore::Logdet => pass.logdet.shallow_clone(),
            VaeScore::Total => vae_loss_per_event(pass, x, self.reco_factor_at(beta), beta),
        }
    }
}

/// The training objective: the weighted mean of the per-event VAE loss plus the contrastive
/// term, with annealed weights.
struct VaeObjective<'a> {
    net: &'a Autoencoder,
    flow: Option<&'a PosteriorFlow>,
    config: &'a VaeConfig,
    train: &'a Inputs,
    valid: &'a Inputs,
    beta: Annealed,
    weight_c: Annealed,
}

impl VaeObjective<'_> {
    /// # Shapes
    /// - `x`: `[B, D]`, `labels`: `[B]` → (total `[B]`, contrastive term `[B]` when computed)
    fn per_event(&self, x: &Tensor, labels: Option<&Tensor>, train: bool) -> (Tensor, Option<Tensor>) {
        let beta = self.beta.current();
        let latent = self.net.latent();
        let draw = |b: i64| train.then(|| Tensor::randn([b, latent], (Kind::Float, x.device())));
        let b = x.size()[0];
        let pass = vae_pass(self.net, self.flow, x, draw(b).as_ref(), train);
        let loss = vae_loss_per_event(&pass, x, self.config.reco_factor_at(beta), beta);
        let Some(c) = &self.config.contrastive else { return (loss, None) };
        let w_c = self.weight_c.current();
        let term = match c.loss {
            ContrastiveLoss::Supcon => {
                let labels = labels.expect("SupCon training inputs carry generator labels");
                supcon_per_anchor(&l2_normalize(&pass.zk), labels, c.temperature)
            }
            ContrastiveLoss::NtXent => {
                let view = || {
                    let v = x + Tensor::randn_like(x) * c.sigma_aug;
                    l2_normalize(&vae_pass(self.net, self.flow, &v, draw(b).as_ref(), train).zk)
                };
                let (v1, v2) = (view(), view());
                let per_view = nt_xent_per_view(&v1, &v2, c.temperature);
                (per_view.narrow(0, 0, b) + per_view.narrow(0, b, b)) * 0.5
            }
        };
        (loss + &term * w_c, Some(term))
    }
}

impl Objective for VaeObjective<'_> {
    fn train_len(&self) -> usize {
        self.train.len()
    }
    fn valid_len(&self) -> usize {
        self.valid.len()
    }
    fn end_epoch(&mut self, epoch: usize, since_best: usize) {
        self.beta.end_epoch(epoch, since_best);
        self.weight_c.end_epoch(epoch, since_best);
    }
    /// # Shapes
    /// per-event loss and weights `[B]`, loss scalar.
    fn batch_loss(&mut self, split: Split, indices: &[usize], train: bool) -> BatchLoss {
        let set = if split == Split::Train { self.train } else { self.valid };
        let b = set.select(indices);
        let labels = set.select_labels(indices);
        let (per_event, _) = self.per_event(&b.x, labels.as_ref(), train);
        BatchLoss { loss: weighted_mean(&per_event, &b.weight), weight: b.weight.sum(Kind::Double).double_value(&[]) }
    }
}

/// The trained VAE.
#[derive(Debug)]
pub struct Vae {
    pub config: VaeConfig,
    /// The KL weight at the end of training (the configured β without annealing).
    pub final_beta: f64,
    net: AeNet,
}

/// Files of the weights and of the final annealed weights in the model directory.
const WEIGHTS: &str = "vae.safetensors";
const STATE: &str = "vae.json";

impl Vae {
    /// Trains on `train` (validation on `valid`); checkpoints under `dir/checkpoints/vae`.
    /// With a SupCon term both sets must carry generator labels ([`Inputs::with_labels`]).
    pub fn fit(
        config: &VaeConfig,
        model: &ModelConfig,
        train_cfg: &TrainConfig,
        data: (&Inputs, &Inputs),
        device: Device,
        dir: Option<&Path>,
    ) -> Result<(Self, FitReport), DetectError> {
        config.validate()?;
        config.anneal.validate(train_cfg.early_stopping)?;
        if config.label_source().is_some() && (data.0.labels.is_none() || data.1.labels.is_none()) {
            return Err(DetectError::Config("the SupCon term needs generator labels on the training inputs".into()));
        }
        let mut net = AeNet::build_with(model, config.latent, true, &config.posterior, device, train_cfg.seed)?;
        let patience = train_cfg.early_stopping;
        let mut objective = VaeObjective {
            net: &net.net,
            flow: net.flow.as_ref(),
            config,
            train: data.0,
            valid: data.1,
            beta: Annealed::new(config.anneal.beta.clone(), config.beta, patience),
            weight_c: Annealed::new(
                config.anneal.contrastive.clone(),
                config.contrastive.as_ref().map_or(0.0, |c| c.weight),
                patience,
            ),
        };
        let mut member = run_training(&mut net.vs, &mut objective, "vae", config.latent, train_cfg, dir)?;
        // The weights of the last epoch's end (the annealing state is not rolled back to the
        // best epoch's: the loss that selected it used the weights of that epoch, recorded in
        // the history below).
        let (final_beta, final_wc) = (objective.beta.current(), objective.weight_c.current());
        let contrastive = config.contrastive.as_ref().map(|_| {
            let idx: Vec<usize> = (0..data.1.len()).collect();
            let chunk = |ix: &[usize]| {
                tch::no_grad(|| {
                    let b = data.1.select(ix);
                    let t = objective.per_event(&b.x, data.1.select_labels(ix).as_ref(), false).1;
                    t.map(|t| Vec::<f64>::try_from(t.to_kind(Kind::Double).to_device(Device::Cpu)).unwrap_or_default())
                        .unwrap_or_default()
                })
            };
            let term: Vec<f64> = idx.chunks(4096).flat_map(chunk).collect();
            weighted_summary(&term, &data.1.weights)
        });
        drop(objective);
        member["posterior"] = config.posterior.name().into();
        member["final_beta"] = final_beta.into();
        if let Some(c) = contrastive {
            member["final_contrastive_weight"] = final_wc.into();
            member["valid_contrastive"] = c;
        }
        let vae = Self { config: config.clone(), final_beta, net };
        member["valid_score"] = weighted_summary(&vae.score(data.1), &data.1.weights);
        Ok((vae, FitReport { members: vec![member], warnings: Vec::new() }))
    }

    /// μ of every event of `inputs` (eval mode, no gradients).
    ///
    /// # Shapes
    /// → `[N, z]`
    pub fn mu(&self, inputs: &Inputs) -> Tensor {
        let idx: Vec<usize> = (0..inputs.len()).collect();
        let parts: Vec<Tensor> =
            tch::no_grad(|| idx.chunks(4096).map(|c| self.net.net.encode(&inputs.select(c).x, false).0).collect());
        Tensor::cat(&parts, 0)
    }

    /// Anomaly scores (higher = more anomalous): the configured `score` at z0 = μ.
    pub fn score(&self, inputs: &Inputs) -> Vec<f64> {
        per_event_chunked(inputs, |x| {
            let pass = vae_pass(&self.net.net, self.net.flow.as_ref(), x, None, false);
            self.config.score_of(&pass, x, self.final_beta)
        })
    }

    /// Writes the weights (`vae.safetensors`) and the final KL weight (`vae.json`).
    pub fn save(&self, dir: &Path) -> Result<(), DetectError> {
        self.net.save(&dir.join(WEIGHTS))?;
        let state = serde_json::json!({ "final_beta": self.final_beta, "posterior": self.config.posterior.name() });
        crate::write_json(&dir.join(STATE), &state)
    }

    /// Loads what [`save`](Self::save) wrote (`vae.json` is optional: runs written before it
    /// existed score with the configured β).
    pub fn load(config: &VaeConfig, model: &ModelConfig, dir: &Path, device: Device) -> Result<Self, DetectError> {
        let net = AeNet::load(model, config.latent, true, &config.posterior, &dir.join(WEIGHTS), device)?;
        let path = dir.join(STATE);
        let final_beta = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["final_beta"].as_f64())
                .ok_or_else(|| DetectError::File { path: path.clone(), message: "no number \"final_beta\"".into() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => config.beta,
            Err(e) => return Err(DetectError::File { path, message: e.to_string() }),
        };
        Ok(Self { config: config.clone(), final_beta, net })
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
        let f = |v: &[f32]| Tensor::from_slice(v).reshape([1, v.len() as i64]);
        let mu = f(&[3.0, 4.0]);
        let pass = VaePass {
            recon: f(&[0.0, 1.0]),
            logvar: f(&[0.0, 0.0]),
            z0: mu.shallow_clone(),
            zk: mu.shallow_clone(),
            logdet: Tensor::from_slice(&[0.25f32]),
            kl: Tensor::from_slice(&[12.5f32]),
            mu,
        };
        let x = Tensor::ones([1, 2], (Kind::Float, Device::Cpu));
        let value = |score| {
            let c = VaeConfig { score, beta: 0.2, ..VaeConfig::default() };
            c.score_of(&pass, &x, 0.2).double_value(&[0])
        };
        assert_eq!(value(VaeScore::Reco), 0.5);
        assert_eq!(value(VaeScore::Kl), 12.5);
        assert_eq!(value(VaeScore::Radius), 5.0);
        assert_eq!(value(VaeScore::Logdet), 0.25);
        assert!((value(VaeScore::Total) - (0.8 * 0.5 + 0.2 * 12.5)).abs() < 1e-6);
    }

    #[test]
    fn contrastive_and_anneal_tables_parse_and_validate() {
        let text = "latent = 4\nbeta = 0.001\nposterior = { kind = \"planar\", layers = 3 }\n\
                    [contrastive]\nloss = \"nt-xent\"\nweight = 0.01\n\
                    [anneal.beta]\nkind = \"linear\"\nstart = 0.001\nend = 0.01\nepochs = 5\n";
        let c: VaeConfig = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.validate().is_ok());
        assert_eq!(c.posterior, PosteriorConfig::Planar { layers: 3 });
        assert_eq!(c.label_source(), None); // NT-Xent needs no labels
        let back: VaeConfig =
            toml::from_str(&toml::to_string(&c).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, c);
        let supcon = VaeConfig { contrastive: Some(ContrastiveConfig::default()), ..VaeConfig::default() };
        assert_eq!(supcon.label_source(), Some(LabelSource::File));
        let bad = VaeConfig {
            contrastive: Some(ContrastiveConfig { temperature: 0.0, ..ContrastiveConfig::default() }),
            ..VaeConfig::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("detector.contrastive.temperature"));
        let orphan = VaeConfig { anneal: AnnealConfig::bead(), ..VaeConfig::default() };
        assert!(orphan.validate().unwrap_err().to_string().contains("needs a [detector.contrastive]"));
    }
}
