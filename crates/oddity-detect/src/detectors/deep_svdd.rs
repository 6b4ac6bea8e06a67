//! DeepSVDD (Ruff et al. 2018; seed 001 sec. 4.1 and Algorithm 1; physics-spec §7.1).
//!
//! A bias-free network φ maps events into R^d; its centre c is the weighted mean output of the
//! initial network over the training background (eval mode), with coordinates closer than
//! eps = 0.1 to zero pushed to ±eps (an exact 0 to +eps); c never changes. The one-class loss
//! is the weighted mean of ||φ(x) − c||² (weight decay through the optimizer), and the score
//! of an event is ||φ(x) − c||². The ensemble trains one network per d in {2, 4, 8, 16}, each
//! with its own centre, and scores with the arithmetic mean of the members (seed 001
//! Algorithm 1 step 6); `ensemble_norm = "val-std"` first divides each member's score by its
//! standard deviation on the validation background.
//!
//! `objective = "soft-boundary"` (Ruff et al. 2018 eq. 3): the loss is
//! R² + (1/ν)·Σ w·max(0, ‖φ(x) − c‖² − R²)/Σ w with ν = 0.1 and R = 0 at first; from epoch
//! `warm_up` (10) on, after every optimiser step R is set to the (1 − ν) quantile (linear
//! interpolation, unweighted as in Ruff's code) of the batch's distances ‖φ(x) − c‖, and the
//! score is ‖φ(x) − c‖² − R². The R of the best-validation epoch is kept with the weights; the
//! radius history is saved beside the checkpoints so a resumed training continues with it.
//!
//! Collapse guards: no bias anywhere, norms without affine parameters, frozen zero ParT class
//! token, no dropout ([`ModelConfig::deep_svdd`]); construction checks that no trainable
//! parameter is a bias or a norm shift; a warning is raised when validation scores are
//! (relatively) constant.

use std::path::Path;

use oddity_nn::train::{BatchLoss, Objective, RunOptions, Split, TrainConfig, train};
use serde::{Deserialize, Serialize};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

use super::checkpoints::Checkpoints;
use crate::backbone::{Backbone, ModelConfig};
use crate::features::Inputs;
use crate::{DetectError, FitReport};

/// How member scores are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnsembleNorm {
    /// Plain mean (the seed).
    #[default]
    None,
    /// Each member divided by its standard deviation on validation background.
    ValStd,
}

/// The training objective (physics-spec §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SvddObjective {
    /// Mean squared distance to the centre.
    #[default]
    OneClass,
    /// R² + (1/ν)·mean(max(0, d² − R²)) with R updated from the batches.
    SoftBoundary,
}

/// `[detector]` with `kind = "deep-svdd"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeepSvddConfig {
    /// Output dimensions of the ensemble members.
    pub rep_dims: Vec<i64>,
    /// Coordinates of the centre closer than this to 0 are pushed to ±eps.
    pub eps: f64,
    pub ensemble_norm: EnsembleNorm,
    pub objective: SvddObjective,
    /// ν of the soft-boundary objective: the fraction of training events allowed outside R.
    pub nu: f64,
    /// Soft boundary: R stays 0 during the first `warm_up` epochs.
    pub warm_up: usize,
}

impl Default for DeepSvddConfig {
    fn default() -> Self {
        Self {
            rep_dims: vec![2, 4, 8, 16],
            eps: 0.1,
            ensemble_norm: EnsembleNorm::None,
            objective: SvddObjective::OneClass,
            nu: 0.1,
            warm_up: 10,
        }
    }
}

impl DeepSvddConfig {
    pub fn validate(&self) -> Result<(), DetectError> {
        if self.rep_dims.is_empty() || self.rep_dims.iter().any(|&d| d < 1) {
            return Err(DetectError::Config(format!(
                "deep-svdd rep_dims must be non-empty and >= 1, got {:?}",
                self.rep_dims
            )));
        }
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            return Err(DetectError::Config(format!("deep-svdd eps must be > 0, got {}", self.eps)));
        }
        if !(self.nu > 0.0 && self.nu <= 1.0) {
            return Err(DetectError::Config(format!("deep-svdd nu must be in (0, 1], got {}", self.nu)));
        }
        Ok(())
    }
}

/// The centre from outputs `[N, d]` and weights `[N]`: weighted mean, small coordinates pushed
/// to ±eps (an exact 0 to +eps).
pub fn centre(outputs: &Tensor, weight: &Tensor, eps: f64) -> Tensor {
    let w = weight.to_kind(Kind::Float).unsqueeze(1);
    let c = (outputs * &w).sum_dim_intlist(0, false, Kind::Float) / w.sum(Kind::Float);
    let keep = c.abs().ge(eps);
    // −eps where c < 0, +eps otherwise (an exact 0 included).
    let pushed = c.lt(0.0).to_kind(Kind::Float) * (-2.0 * eps) + eps;
    c.where_self(&keep, &pushed)
}

/// One trained member.
#[derive(Debug)]
pub struct Member {
    pub rep_dim: i64,
    vs: VarStore,
    net: Backbone,
    /// `[d]`
    centre: Tensor,
    /// Standard deviation of the validation scores (for `val-std`), 1 if unknown.
    val_std: f64,
    /// R of the soft-boundary objective (0 for one-class): the score is d² − R².
    radius: f64,
}

/// The trained DeepSVDD ensemble.
#[derive(Debug)]
pub struct DeepSvdd {
    pub config: DeepSvddConfig,
    members: Vec<Member>,
}

/// Rows per forward pass when scoring.
const SCORE_CHUNK: usize = 4096;

/// Squared distances ||φ(x) − c||² of every event of `inputs`, in eval mode.
fn distances(net: &Backbone, centre: &Tensor, inputs: &Inputs) -> Vec<f64> {
    let idx: Vec<usize> = (0..inputs.len()).collect();
    let mut out = Vec::with_capacity(inputs.len());
    tch::no_grad(|| {
        for chunk in idx.chunks(SCORE_CHUNK) {
            let d =
                (net.forward_t(&inputs.select(chunk), false) - centre).square().sum_dim_intlist(1, false, Kind::Double);
            out.extend(Vec::<f64>::try_from(d.to_device(Device::Cpu)).unwrap_or_default());
        }
    });
    out
}

/// Outputs of the initial network over `inputs` (eval mode): `[N, d]`.
fn outputs(net: &Backbone, inputs: &Inputs) -> Tensor {
    let idx: Vec<usize> = (0..inputs.len()).collect();
    tch::no_grad(|| {
        let parts: Vec<Tensor> = idx.chunks(SCORE_CHUNK).map(|c| net.forward_t(&inputs.select(c), false)).collect();
        Tensor::cat(&parts, 0)
    })
}

/// Checks the collapse guards of the built network: no trainable bias or norm parameter.
fn assert_no_shift(vs: &VarStore) -> Result<(), DetectError> {
    let trainable = vs.trainable_variables();
    for (name, t) in vs.variables() {
        let is_trainable = trainable.iter().any(|p| p.data_ptr() == t.data_ptr());
        let shift =
            name.ends_with("bias") || ((name.contains("norm") || name.contains("bn.")) && name.ends_with("weight"));
        if is_trainable && (shift || name == "cls_token") {
            return Err(DetectError::Config(format!(
                "DeepSVDD network has a trainable '{name}', which allows hypersphere collapse"
            )));
        }
    }
    Ok(())
}

/// Linear-interpolation quantile `q` ∈ [0, 1] of `v` (numpy's default); 0 when empty.
pub fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
}

/// Soft-boundary state of one member.
struct Soft {
    nu: f64,
    warm_up: usize,
    /// The current R.
    r: f64,
    /// The epoch being trained (1-based).
    epoch: usize,
    /// R at the end of each finished epoch (index epoch − 1).
    history: Vec<f64>,
    /// Where the history is kept for resuming.
    file: Option<std::path::PathBuf>,
}

/// The training objective of one member.
struct OneClass<'a> {
    net: &'a Backbone,
    centre: &'a Tensor,
    train: &'a Inputs,
    valid: &'a Inputs,
    soft: Option<Soft>,
}

impl Objective for OneClass<'_> {
    fn train_len(&self) -> usize {
        self.train.len()
    }
    fn valid_len(&self) -> usize {
        self.valid.len()
    }
    fn start_epoch(&mut self, epoch: usize) {
        if let Some(soft) = &mut self.soft {
            // Continuing from epoch − 1 in this process: record its final R (and keep the
            // history beside the checkpoints for a resumed run).
            if epoch > 1 && soft.epoch == epoch - 1 && soft.history.len() == epoch - 2 {
                soft.history.push(soft.r);
                if let Some(f) = &soft.file {
                    if let Err(e) = crate::write_json(f, &soft.history) {
                        tracing::warn!("soft-boundary radius history not saved: {e}");
                    }
                }
            }
            soft.history.truncate(epoch - 1);
            soft.r = soft.history.last().copied().unwrap_or(0.0);
            soft.epoch = epoch;
        }
    }
    /// # Shapes
    /// outputs `[B, d]`, distances and weights `[B]`, loss scalar.
    fn batch_loss(&mut self, split: Split, indices: &[usize], train: bool) -> BatchLoss {
        let set = if split == Split::Train { self.train } else { self.valid };
        let b = set.select(indices);
        let d = (self.net.forward_t(&b, train) - self.centre).square().sum_dim_intlist(1, false, Kind::Float);
        let sw = b.weight.sum(Kind::Float);
        let loss = match &mut self.soft {
            None => (&d * &b.weight).sum(Kind::Float) / &sw,
            Some(soft) => {
                let r2 = soft.r * soft.r;
                let outside = (&d - r2).clamp_min(0.0);
                let loss = (outside * &b.weight).sum(Kind::Float) / &sw / soft.nu + r2;
                // Ruff's update after the optimiser step, from this batch's distances.
                if train && split == Split::Train && soft.epoch > soft.warm_up {
                    let mut dist: Vec<f64> =
                        Vec::<f64>::try_from(d.detach().sqrt().to_kind(Kind::Double).to_device(Device::Cpu))
                            .unwrap_or_default();
                    soft.r = quantile(&mut dist, 1.0 - soft.nu);
                }
                loss
            }
        };
        BatchLoss { loss, weight: sw.double_value(&[]) }
    }
}

impl DeepSvdd {
    /// Trains the ensemble on `train` (validation on `valid`); member checkpoints go under
    /// `dir/checkpoints/d{d}` when `dir` is given.
    pub fn fit(
        config: &DeepSvddConfig,
        model: &ModelConfig,
        train_cfg: &TrainConfig,
        data: (&Inputs, &Inputs),
        device: Device,
        dir: Option<&Path>,
    ) -> Result<(Self, FitReport), DetectError> {
        config.validate()?;
        let (train_set, valid_set) = data;
        let mut members = Vec::new();
        let mut report = FitReport::default();
        for (k, &d) in config.rep_dims.iter().enumerate() {
            // Each member its own seed, so members differ in initialisation and order.
            let seed = train_cfg.seed.wrapping_add(1000 * k as u64);
            tch::manual_seed(seed as i64);
            let mut vs = VarStore::new(device);
            let net = model.deep_svdd(d).build(&vs.root());
            assert_no_shift(&vs)?;
            let c = centre(&outputs(&net, train_set), &train_set.weight, config.eps);
            let cfg = TrainConfig { seed, ..train_cfg.clone() };
            let ckpt = Checkpoints::new(dir, &format!("d{d}"));
            let soft = (config.objective == SvddObjective::SoftBoundary).then(|| {
                let file = ckpt.dir().map(|p| p.join("soft-radius.json"));
                let history: Vec<f64> = file.as_ref().and_then(|f| crate::read_json(f).ok()).unwrap_or_default();
                Soft { nu: config.nu, warm_up: config.warm_up, r: 0.0, epoch: 1, history, file }
            });
            let mut objective = OneClass { net: &net, centre: &c, train: train_set, valid: valid_set, soft };
            let r = train_with_radius(&mut vs, &mut objective, &cfg, &ckpt.options())?;
            // Best validation weights restored (physics-spec §7.1).
            ckpt.restore_best(&mut vs)?;
            // R of the best epoch (the weights restored above are that epoch's).
            let radius = objective.soft.as_ref().map_or(0.0, |s| {
                s.history.get(r.best_epoch.saturating_sub(1)).or(s.history.last()).copied().unwrap_or(0.0)
            });
            let val_scores: Vec<f64> = distances(&net, &c, valid_set).iter().map(|x| x - radius * radius).collect();
            let val_std = weighted_std(&val_scores, &valid_set.weights);
            let mean = val_scores.iter().sum::<f64>() / val_scores.len().max(1) as f64;
            if !val_scores.is_empty() && val_std <= 1e-9 * mean.abs() {
                report.warnings.push(format!("member d = {d}: validation scores are constant (hypersphere collapse)"));
            }
            report.members.push(serde_json::json!({
                "rep_dim": d, "epochs": r.history.len(), "best_epoch": r.best_epoch,
                "best_valid_loss": r.best_valid, "stopped_early": r.stopped_early, "resumed": r.resumed,
                "radius": radius,
            }));
            let val_std = if val_std > 0.0 { val_std } else { 1.0 };
            members.push(Member { rep_dim: d, vs, net, centre: c, val_std, radius });
        }
        Ok((Self { config: config.clone(), members }, report))
    }

    /// Anomaly scores (higher = more anomalous): the mean over members of ||φ(x) − c||².
    pub fn score(&self, inputs: &Inputs) -> Vec<f64> {
        let mut total = vec![0.0; inputs.len()];
        for m in &self.members {
            let norm = match self.config.ensemble_norm {
                EnsembleNorm::None => 1.0,
                EnsembleNorm::ValStd => m.val_std,
            };
            let r2 = m.radius * m.radius;
            for (t, s) in total.iter_mut().zip(distances(&m.net, &m.centre, inputs)) {
                *t += (s - r2) / norm;
            }
        }
        let n = self.members.len().max(1) as f64;
        total.iter().map(|t| t / n).collect()
    }

    /// Writes the members (`model-d{d}.safetensors`) and `deep-svdd.json` (centres, norms).
    pub fn save(&self, dir: &Path) -> Result<(), DetectError> {
        let mut state = Vec::new();
        for m in &self.members {
            oddity_nn::weights::save(&m.vs, &dir.join(format!("model-d{}.safetensors", m.rep_dim)))?;
            let c: Vec<f64> =
                Vec::<f64>::try_from(m.centre.to_kind(Kind::Double).to_device(Device::Cpu)).unwrap_or_default();
            state.push(SavedMember { rep_dim: m.rep_dim, centre: c, val_std: m.val_std, radius: m.radius });
        }
        crate::write_json(&dir.join("deep-svdd.json"), &state)
    }

    /// Loads what [`save`](Self::save) wrote.
    pub fn load(config: &DeepSvddConfig, model: &ModelConfig, dir: &Path, device: Device) -> Result<Self, DetectError> {
        let state: Vec<SavedMember> = crate::read_json(&dir.join("deep-svdd.json"))?;
        let mut members = Vec::new();
        for s in state {
            let mut vs = VarStore::new(device);
            let net = model.deep_svdd(s.rep_dim).build(&vs.root());
            oddity_nn::weights::load(&mut vs, &dir.join(format!("model-d{}.safetensors", s.rep_dim)))?;
            let centre = Tensor::from_slice(&s.centre).to_kind(Kind::Float).to_device(device);
            members.push(Member { rep_dim: s.rep_dim, vs, net, centre, val_std: s.val_std, radius: s.radius });
        }
        Ok(Self { config: config.clone(), members })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedMember {
    rep_dim: i64,
    centre: Vec<f64>,
    val_std: f64,
    /// Soft-boundary R (0 for one-class).
    #[serde(default)]
    radius: f64,
}

/// [`train`], then the soft-boundary radius of the last epoch recorded (and saved for resume).
fn train_with_radius(
    vs: &mut VarStore,
    objective: &mut OneClass<'_>,
    cfg: &TrainConfig,
    options: &RunOptions,
) -> Result<oddity_nn::train::TrainReport, DetectError> {
    let report = train(vs, objective, cfg, options)?;
    if let Some(soft) = &mut objective.soft {
        if soft.history.len() < report.history.len() {
            soft.history.push(soft.r);
        }
    }
    Ok(report)
}

/// Weighted standard deviation (0 for fewer than two events).
fn weighted_std(x: &[f64], w: &[f64]) -> f64 {
    let sw: f64 = w.iter().sum();
    if x.len() < 2 || sw <= 0.0 {
        return 0.0;
    }
    let mean = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw;
    (x.iter().zip(w).map(|(a, b)| b * (a - mean).powi(2)).sum::<f64>() / sw).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_is_weighted_and_pushed_away_from_zero() {
        let out = Tensor::from_slice(&[1.0f32, 0.05, 0.0, 3.0, -0.05, 0.0]).reshape([2, 3]);
        let w = Tensor::from_slice(&[3.0f32, 1.0]);
        let c: Vec<f32> = centre(&out, &w, 0.1).try_into().expect("f32");
        // (3·1 + 1·3)/4 = 1.5; (3·0.05 − 0.05)/4 = 0.025 → +0.1; 0 → +0.1.
        assert_eq!(c, vec![1.5, 0.1, 0.1]);
        let neg = Tensor::from_slice(&[-0.02f32]).reshape([1, 1]);
        let c: Vec<f32> = centre(&neg, &Tensor::from_slice(&[1.0f32]), 0.1).try_into().expect("f32");
        assert_eq!(c, vec![-0.1]);
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        // numpy.quantile([1, 2, 3, 4], 0.9) = 3.7
        assert!((quantile(&mut [4.0, 1.0, 3.0, 2.0], 0.9) - 3.7).abs() < 1e-12);
        assert_eq!(quantile(&mut [5.0], 0.9), 5.0);
        assert_eq!(quantile(&mut [], 0.9), 0.0);
    }

    #[test]
    fn collapse_guard_rejects_biased_networks() {
        let vs = VarStore::new(Device::Cpu);
        let _net = ModelConfig::default().build(&vs.root());
        assert!(assert_no_shift(&vs).is_err());
        let vs = VarStore::new(Device::Cpu);
        let _net = ModelConfig::default().deep_svdd(4).build(&vs.root());
        assert!(assert_no_shift(&vs).is_ok());
        let vs = VarStore::new(Device::Cpu);
        let part = ModelConfig::Part(oddity_nn::PartConfig::small());
        let _net = part.deep_svdd(4).build(&vs.root());
        assert!(assert_no_shift(&vs).is_ok());
    }
}
