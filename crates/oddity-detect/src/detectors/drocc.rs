//! DROCC — Deep Robust One-Class Classification (Goyal et al. 2020, arXiv 2002.12718;
//! `microsoft/EdgeML:pytorch/edgeml_pytorch/trainer/drocc_trainer.py`; physics-spec §7.2).
//!
//! A classifier f (the backbone with one logit, biases allowed; normal = label 1) is trained
//! on background only. Per batch x (event weights w):
//!
//! 1. ce = Σ w·BCE(f(x), 1) / Σ w;
//! 2. during the first `only_ce_epochs` epochs the loss is ce alone;
//! 3. afterwards adversarial points are searched around x: x_adv = x + N(0, I), then
//!    `ascent_num_steps` normalised gradient-ascent steps x_adv ← x_adv + η·g/max(‖g‖, 1e-12)
//!    with g = ∇ BCE(f(x_adv), 0) (per event, norm over all perturbed coordinates), and every
//!    `project_every` steps the projection of h = x_adv − x onto the shell r ≤ ‖h‖ ≤ γr:
//!    h ← h·clamp(‖h‖, r, γr)/‖h‖. Then adv = Σ w·BCE(f(x_adv), 0) / Σ w with x_adv constant,
//!    and the loss is ce + λ·adv.
//!
//! The **perturbed space** is the continuous standardised input: for the MLP the MET columns
//! and the four features of filled slots (type codes and empty slots never move: a 0/1 mask
//! multiplies the noise and every step); for the ParT the four continuous features of real
//! tokens and the auxiliary MET inputs (one-hot types, padded tokens and masks never move).
//! The ParT's pair channels are recomputed inside f from the token features
//! ([`crate::pairs_tch`]) in every forward pass (training, search, scoring), so f depends on the
//! perturbed inputs only and the gradient of the search sees the pair features move with them.
//!
//! **Decisions** (physics-spec §7.2): the ascent passes run in eval mode (no dropout, running
//! statistics untouched). The two loss terms come from **one** forward pass in training mode
//! over the concatenated batch [x; x_adv] (upstream makes two passes): with two passes,
//! BatchNorm in training mode standardises the all-normal and the all-adversarial batch each
//! with its own statistics, which removes the shift between them, and on the synthetic test
//! data the loss stayed at 2 ln 2 (chance); with the adversarial pass alone in eval mode the
//! network could exploit the difference between batch and running statistics and training
//! oscillated. BatchNorm running statistics thus see the adversarial points of the loss pass
//! (never those of the ascent).
//!
//! The learning rate follows EdgeML's `adjust_learning_rate` ([`edgeml_lr`]; the configured
//! `[train] schedule` is ignored with a warning). `radius = "auto"` is the median over up to
//! 10 000 seeded random training events of the Euclidean distance to the nearest other event
//! of the whole training set in the perturbed space ([`auto_radius`]; O(10⁴·N·D) work, a
//! chunked matrix product). The model is the epoch with the
//! lowest validation loss ce + λ·adv (validation events get their own adversarial search, in
//! eval mode); CE-only epochs are not selectable and their validation loss is ce alone.
//! A zero ‖h‖ at a projection (possible only if the noise and every step vanish) is replaced
//! by the uniform direction over the event's perturbable coordinates, so every adversarial
//! point ends on the shell; an event without perturbable coordinates stays unperturbed.
//!
//! **Score** = −logit (higher = more anomalous; upstream reports sigmoid(logit) = P(normal)).
//!
//! **Signal-assisted model selection** (`val_signals`, off by default; seed 001 sec. 4.2): the
//! epoch with the lowest 1 − AUC of the validation background against the given signal events
//! is kept; the run's manifest says so (a warning and `model_selection` in the fit summary).

use std::path::Path;

use oddity_nn::train::{BatchLoss, Objective, Schedule, Split, TrainConfig, train};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tch::nn::VarStore;
use tch::{Device, Kind, Reduction, Tensor};

use super::checkpoints::Checkpoints;
use crate::backbone::{Backbone, ModelConfig};
use crate::features::{Batch, FitData, Inputs, ReprConfig};
use crate::pairs_tch::PairRecipe;
use crate::{DetectError, FitReport};

/// The radius r of the shell the adversarial points are projected onto.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Radius {
    /// Data-dependent: see [`auto_radius`].
    #[default]
    Auto,
    Fixed(f64),
}

impl Serialize for Radius {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Radius::Auto => s.serialize_str("auto"),
            Radius::Fixed(r) => s.serialize_f64(*r),
        }
    }
}

impl<'de> Deserialize<'de> for Radius {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(r) => Ok(Radius::Fixed(r)),
            Raw::Text(t) if t == "auto" => Ok(Radius::Auto),
            Raw::Text(t) => {
                Err(serde::de::Error::custom(format!("drocc radius must be \"auto\" or a number, got \"{t}\"")))
            }
        }
    }
}

/// `[detector]` with `kind = "drocc"` (defaults of physics-spec §7.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DroccConfig {
    /// r: `"auto"` or a number > 0 (in standardised units).
    pub radius: Radius,
    /// γ ≥ 1: the shell is r ≤ ‖h‖ ≤ γr.
    pub gamma: f64,
    /// λ, the weight of the adversarial loss.
    pub lambda: f64,
    /// η_a, the length of one normalised ascent step.
    pub ascent_step_size: f64,
    pub ascent_num_steps: usize,
    /// Project onto the shell every this many steps.
    pub project_every: usize,
    /// Epochs of CE-only warm-up.
    pub only_ce_epochs: usize,
    /// Signal files for **signal-assisted model selection** (seed 001 sec. 4.2): the epoch
    /// with the highest AUC of validation background against these signals is kept, instead
    /// of the lowest validation loss. Off (empty) by default; they must not be the signals
    /// the detector is evaluated on. The run manifest says when it was used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub val_signals: Vec<std::path::PathBuf>,
}

impl Default for DroccConfig {
    fn default() -> Self {
        Self {
            radius: Radius::Auto,
            gamma: 2.0,
            lambda: 1.0,
            ascent_step_size: 1e-3,
            ascent_num_steps: 50,
            project_every: 10,
            only_ce_epochs: 50,
            val_signals: Vec::new(),
        }
    }
}

impl DroccConfig {
    pub fn validate(&self) -> Result<(), DetectError> {
        let bad = |m: String| Err(DetectError::Config(format!("drocc: {m}")));
        if let Radius::Fixed(r) = self.radius
            && !(r > 0.0 && r.is_finite())
        {
            return bad(format!("radius must be \"auto\" or a finite number > 0, got {r}"));
        }
        if !(self.gamma >= 1.0 && self.gamma.is_finite()) {
            return bad(format!("gamma must be >= 1 (the shell is r <= |h| <= gamma r), got {}", self.gamma));
        }
        if !(self.lambda >= 0.0 && self.lambda.is_finite()) {
            return bad(format!("lambda must be >= 0, got {}", self.lambda));
        }
        if !(self.ascent_step_size > 0.0 && self.ascent_step_size.is_finite()) {
            return bad(format!("ascent_step_size must be > 0, got {}", self.ascent_step_size));
        }
        if self.ascent_num_steps == 0 {
            return bad("ascent_num_steps must be at least 1".into());
        }
        if self.project_every == 0 {
            return bad("project_every must be at least 1".into());
        }
        Ok(())
    }
}

/// EdgeML's `adjust_learning_rate` for 0-based `epoch`: with e′ = epoch − only_ce_epochs and
/// D = epochs − only_ce_epochs, lr0 if e′ ≤ 0.3D, 0.1·lr0 if e′ ≤ 0.6D, 0.01·lr0 if
/// e′ ≤ 0.9D, else 0.001·lr0 (so the CE-only epochs run at lr0).
pub fn edgeml_lr(epoch: usize, epochs: usize, only_ce_epochs: usize, lr0: f64) -> f64 {
    let e = epoch as f64 - only_ce_epochs as f64;
    let d = epochs as f64 - only_ce_epochs as f64;
    if e <= 0.3 * d {
        lr0
    } else if e <= 0.6 * d {
        0.1 * lr0
    } else if e <= 0.9 * d {
        0.01 * lr0
    } else {
        0.001 * lr0
    }
}

/// Which inputs are perturbed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Space {
    /// The MLP's fixed vector with `slots` slots (physics-spec §5.1).
    Fixed { slots: usize },
    /// The ParT's particle set; its pair channels are recomputed by `recipe`.
    Particles { recipe: PairRecipe },
}

impl Space {
    /// The space of a representation with its fitted standardisation.
    pub fn new(repr: &ReprConfig, standardizer: &oddity_repr::standardize::Standardizer) -> Result<Self, DetectError> {
        match repr {
            ReprConfig::Fixed(f) => Ok(Space::Fixed { slots: f.slot_count() }),
            ReprConfig::Particles(p) => Ok(Space::Particles { recipe: PairRecipe::new(p, standardizer)? }),
            ReprConfig::Leading(_) | ReprConfig::Rmm(_) | ReprConfig::Efficient(_) => {
                Err(DetectError::Config("drocc needs representation.kind = \"fixed\" or \"particles\"".into()))
            }
        }
    }

    /// The perturbable tensors of `batch` and their 0/1 masks (same shapes).
    ///
    /// # Shapes
    /// - fixed: `[x [B, 5K + 2]]`; mask 1 on the MET columns and the features of slots with a
    ///   non-zero type code
    /// - particles: `[x [B, P, F]]` and, with auxiliary input, `[aux [B, 2]]`; mask 1 on the
    ///   four continuous columns of real tokens and on every auxiliary input
    pub fn perturbable(&self, batch: &Batch) -> Perturbable {
        let x = batch.x.shallow_clone();
        let (b, dev) = (x.size()[0], x.device());
        match self {
            Space::Fixed { slots } => {
                let k = *slots as i64;
                let filled = batch.x.narrow(1, 0, k).ne(0.0).to_kind(Kind::Float);
                let mask = Tensor::cat(
                    &[
                        Tensor::zeros([b, k], (Kind::Float, dev)),
                        Tensor::ones([b, 2], (Kind::Float, dev)),
                        filled.repeat_interleave_self_int(4, 1, None),
                    ],
                    1,
                );
                Perturbable { x: vec![x], mask: vec![mask] }
            }
            Space::Particles { .. } => {
                let (_, p, f) = batch.x.size3().unwrap_or((b, 0, 0));
                let real = batch
                    .mask
                    .as_ref()
                    .map_or_else(|| Tensor::zeros([b, p], (Kind::Float, dev)), |m| m.to_kind(Kind::Float));
                let cont = oddity_repr::particles::CONTINUOUS as i64;
                let mask = Tensor::cat(
                    &[
                        real.unsqueeze(2).expand([b, p, cont], false),
                        Tensor::zeros([b, p, f - cont], (Kind::Float, dev)),
                    ],
                    2,
                );
                let mut out = Perturbable { x: vec![x], mask: vec![mask] };
                if let Some(aux) = &batch.aux {
                    out.x.push(aux.shallow_clone());
                    out.mask.push(aux.ones_like());
                }
                out
            }
        }
    }

    /// The network's inputs with the perturbable tensors replaced by `parts` (pair channels
    /// recomputed from them for a particle set).
    fn batch_from(&self, parts: &[Tensor], template: &Batch) -> Batch {
        let x = parts.first().map_or_else(|| template.x.shallow_clone(), Tensor::shallow_clone);
        let mask = template.mask.as_ref().map(Tensor::shallow_clone);
        let (pairs, aux) = match self {
            Space::Fixed { .. } => (None, None),
            Space::Particles { recipe } => {
                let pairs = mask.as_ref().and_then(|m| recipe.compute(&x, m));
                let aux = parts
                    .get(1)
                    .map(Tensor::shallow_clone)
                    .or_else(|| template.aux.as_ref().map(Tensor::shallow_clone));
                (pairs, aux)
            }
        };
        Batch { x, mask, pairs, aux, weight: template.weight.shallow_clone() }
    }
}

/// The perturbable inputs of a batch: tensors whose first dimension is the event, and 0/1
/// masks of the same shapes (1 = may move).
#[derive(Debug)]
pub struct Perturbable {
    pub x: Vec<Tensor>,
    pub mask: Vec<Tensor>,
}

/// Per-event Euclidean norm over all coordinates of all `parts`.
///
/// # Shapes
/// - `parts`: each `[B, ...]` → `[B]` f32
pub fn event_norm(parts: &[Tensor]) -> Tensor {
    parts
        .iter()
        .map(|t| t.square().reshape([t.size()[0], -1]).sum_dim_intlist(1, false, Kind::Float))
        .reduce(|a, b| a + b)
        .map_or_else(|| Tensor::zeros([0], (Kind::Float, Device::Cpu)), |s| s.sqrt())
}

/// `v` `[B]` shaped to broadcast against `like` `[B, ...]`.
fn per_event(v: &Tensor, like: &Tensor) -> Tensor {
    let mut shape = vec![1i64; like.dim()];
    shape[0] = -1;
    v.reshape(shape.as_slice())
}

/// Projects `x_adv` onto the shell around `x`: h = x_adv − x, h ← h·clamp(‖h‖, r, γr)/‖h‖
/// (EdgeML, every `project_every` ascent steps). Where ‖h‖ < 1e-12 the uniform direction over
/// the event's perturbable coordinates (`mask`) is used instead, so the result satisfies
/// r ≤ ‖h‖ ≤ γr for every event with at least one perturbable coordinate (others keep h = 0).
///
/// # Shapes
/// - `x`, `x_adv`, `mask`: parts of shapes `[B, ...]` (matching pairwise) → parts like `x`
pub fn project_to_shell(x: &[Tensor], x_adv: &[Tensor], mask: &[Tensor], r: f64, gamma: f64) -> Vec<Tensor> {
    let h: Vec<Tensor> = x_adv.iter().zip(x).map(|(a, b)| a - b).collect();
    let n = event_norm(&h);
    let mask_norm = event_norm(mask).clamp_min(1e-12);
    let zero = n.lt(1e-12);
    let h: Vec<Tensor> = h
        .iter()
        .zip(mask)
        .map(|(h, m)| h.where_self(&per_event(&zero, h).logical_not(), &(m / per_event(&mask_norm, m))))
        .collect();
    let n = event_norm(&h);
    let scale = n.clamp(r, gamma * r) / n.clamp_min(1e-12);
    x.iter().zip(&h).map(|(x, h)| x + h * per_event(&scale, h)).collect()
}

/// The median over up to `sample` training events (seeded choice) of the Euclidean distance
/// to the nearest other training event, in the rows of `points` (the perturbed space: masked
/// coordinates zeroed). Distances are searched with f32 matrix products in chunks and the
/// nearest neighbour's distance recomputed exactly in f64; an even count takes the mean of
/// the two middle values.
///
/// # Shapes
/// - `points`: `[N, D]`
pub fn auto_radius(points: &Tensor, sample: usize, seed: u64) -> Result<f64, DetectError> {
    let n = points.size()[0] as usize;
    if n < 2 {
        return Err(DetectError::Config("drocc radius = \"auto\" needs at least 2 training events".into()));
    }
    let chosen = sample_indices(n, sample.min(n), seed);
    let pts = points.to_kind(Kind::Float);
    let norms = pts.square().sum_dim_intlist(1, false, Kind::Float); // [N]
    let mut dists = Vec::with_capacity(chosen.len());
    for q in chosen.chunks(512) {
        let qi = Tensor::from_slice(&q.iter().map(|&i| i as i64).collect::<Vec<_>>()).to_device(pts.device());
        let a = pts.index_select(0, &qi);
        let an = norms.index_select(0, &qi);
        let mut best = Tensor::full([q.len() as i64], f64::INFINITY, (Kind::Float, pts.device()));
        let mut best_idx = Tensor::zeros([q.len() as i64], (Kind::Int64, pts.device()));
        let mut start = 0i64;
        while start < n as i64 {
            let len = 8192.min(n as i64 - start);
            let b = pts.narrow(0, start, len);
            let d2 = an.unsqueeze(1) + norms.narrow(0, start, len).unsqueeze(0) - a.matmul(&b.tr()) * 2.0;
            // Exclude each query itself.
            let cols = Tensor::arange_start(start, start + len, (Kind::Int64, pts.device()));
            let own = qi.unsqueeze(1).eq_tensor(&cols.unsqueeze(0));
            let d2 = d2.masked_fill(&own, f64::INFINITY);
            let (m, arg) = d2.min_dim(1, false);
            let better = m.lt_tensor(&best);
            best = m.where_self(&better, &best);
            best_idx = (arg + start).where_self(&better, &best_idx);
            start += len;
        }
        let exact = (a.to_kind(Kind::Double) - pts.index_select(0, &best_idx).to_kind(Kind::Double))
            .square()
            .sum_dim_intlist(1, false, Kind::Double)
            .sqrt();
        dists.extend(Vec::<f64>::try_from(exact.to_device(Device::Cpu)).unwrap_or_default());
    }
    if dists.is_empty() || dists.iter().any(|d| !d.is_finite()) {
        return Err(DetectError::Config("drocc radius = \"auto\": nearest-neighbour distances are not finite".into()));
    }
    dists.sort_by(f64::total_cmp);
    let m = dists.len();
    let median = if m % 2 == 1 { dists[m / 2] } else { 0.5 * (dists[m / 2 - 1] + dists[m / 2]) };
    if median <= 0.0 {
        return Err(DetectError::Config(
            "drocc radius = \"auto\" gave 0 (most training events have an identical twin): set radius to a number"
                .into(),
        ));
    }
    Ok(median)
}

/// `k` distinct indices of `0..n`, a seeded partial Fisher-Yates shuffle (SplitMix64).
fn sample_indices(n: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut state = seed ^ 0x5EED_D0CC;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut v: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + (next() % (n - i) as u64) as usize;
        v.swap(i, j);
    }
    v.truncate(k);
    v
}

/// The network with what its forward pass needs.
#[derive(Debug)]
struct Model {
    net: Backbone,
    space: Space,
    /// r actually used.
    radius: f64,
    config: DroccConfig,
}

impl Model {
    /// Logits of the network on `parts` (the perturbable tensors) with the rest of `template`.
    ///
    /// # Shapes
    /// - → `[B]`
    fn logits(&self, parts: &[Tensor], template: &Batch, train: bool) -> Tensor {
        self.net.forward_t(&self.space.batch_from(parts, template), train).reshape([-1])
    }

    /// The adversarial search around `p.x` (eval mode, with gradients enabled whatever the
    /// caller's mode); returns the detached x_adv.
    fn adversarial(&self, template: &Batch, p: &Perturbable) -> Vec<Tensor> {
        let c = &self.config;
        tch::with_grad(|| {
            let mut adv: Vec<Tensor> =
                p.x.iter().zip(&p.mask).map(|(x, m)| (x + x.randn_like() * m).detach()).collect();
            for step in 1..=c.ascent_num_steps {
                let leaves: Vec<Tensor> = adv.iter().map(|t| t.detach().set_requires_grad(true)).collect();
                let logits = self.logits(&leaves, template, false);
                let loss =
                    logits.binary_cross_entropy_with_logits::<Tensor>(&logits.zeros_like(), None, None, Reduction::Sum);
                let grads = Tensor::run_backward(&[loss], &leaves, false, false);
                let grads: Vec<Tensor> = grads.iter().zip(&p.mask).map(|(g, m)| g * m).collect();
                let norm = event_norm(&grads).clamp_min(1e-12);
                adv = leaves
                    .iter()
                    .zip(&grads)
                    .map(|(a, g)| (a.detach() + g / per_event(&norm, g) * c.ascent_step_size).detach())
                    .collect();
                if step % c.project_every == 0 {
                    adv = project_to_shell(&p.x, &adv, &p.mask, self.radius, c.gamma);
                }
            }
            adv.iter().map(Tensor::detach).collect()
        })
    }

    /// −logit of every event of `inputs`, in eval mode without gradients, in chunks.
    fn scores(&self, inputs: &Inputs) -> Vec<f64> {
        let idx: Vec<usize> = (0..inputs.len()).collect();
        let mut out = Vec::with_capacity(inputs.len());
        tch::no_grad(|| {
            for chunk in idx.chunks(SCORE_CHUNK) {
                let b = inputs.select(chunk);
                let p = self.space.perturbable(&b);
                let s = self.logits(&p.x, &b, false).neg().to_kind(Kind::Double);
                out.extend(Vec::<f64>::try_from(s.to_device(Device::Cpu)).unwrap_or_default());
            }
        });
        out
    }
}

/// Rows per forward pass when scoring.
const SCORE_CHUNK: usize = 4096;

/// The trained DROCC classifier.
#[derive(Debug)]
pub struct Drocc {
    pub config: DroccConfig,
    vs: VarStore,
    model: Model,
}

/// DROCC's training objective.
struct DroccObjective<'a> {
    model: &'a Model,
    train: &'a Inputs,
    valid: &'a Inputs,
    epochs: usize,
    /// The current epoch, 0-based.
    epoch: usize,
    /// Validation signals of signal-assisted model selection.
    val_signals: Option<&'a Inputs>,
}

impl Objective for DroccObjective<'_> {
    fn train_len(&self) -> usize {
        self.train.len()
    }
    fn valid_len(&self) -> usize {
        self.valid.len()
    }
    fn start_epoch(&mut self, epoch: usize) {
        self.epoch = epoch.saturating_sub(1);
    }
    fn epoch_lr(&self, epoch: usize, base_lr: f64) -> Option<f64> {
        Some(edgeml_lr(epoch.saturating_sub(1), self.epochs, self.model.config.only_ce_epochs, base_lr))
    }
    fn selectable(&self, epoch: usize) -> bool {
        epoch.saturating_sub(1) >= self.model.config.only_ce_epochs
    }
    /// 1 − the weighted AUC of the validation background against the validation signals
    /// (signal-assisted selection), or `None` without them.
    fn monitored(&mut self, _epoch: usize) -> Option<f64> {
        let signals = self.val_signals?;
        let bkg = self.model.scores(self.valid);
        let sig = self.model.scores(signals);
        let scores: Vec<f64> = bkg.iter().chain(&sig).copied().collect();
        let weights: Vec<f64> = self.valid.weights.iter().chain(&signals.weights).copied().collect();
        let is_signal: Vec<bool> = (0..scores.len()).map(|i| i >= bkg.len()).collect();
        match oddity_eval::Roc::new(&scores, &is_signal, Some(&weights)) {
            Ok(roc) => {
                let auc = roc.auc();
                tracing::debug!("drocc: validation-signal AUC {auc:.4}");
                Some(1.0 - auc)
            }
            // NaN scores (a diverged epoch): never the best.
            Err(e) => {
                tracing::warn!("drocc: validation-signal AUC not computable: {e}");
                Some(f64::INFINITY)
            }
        }
    }
    fn batch_loss(&mut self, split: Split, indices: &[usize], train: bool) -> BatchLoss {
        let set = if split == Split::Train { self.train } else { self.valid };
        let b = set.select(indices);
        let p = self.model.space.perturbable(&b);
        let sw = b.weight.sum(Kind::Float);
        let weighted_bce = |logits: &Tensor, target: f64| {
            let t = logits.full_like(target);
            (logits.binary_cross_entropy_with_logits::<Tensor>(&t, None, None, Reduction::None) * &b.weight)
                .sum(Kind::Float)
                / &sw
        };
        let loss = if self.epoch < self.model.config.only_ce_epochs {
            weighted_bce(&self.model.logits(&p.x, &b, train), 1.0)
        } else {
            let adv = self.model.adversarial(&b, &p);
            // One pass over [x; x_adv], so that BatchNorm normalises both with the same
            // statistics (see the module documentation).
            let n = indices.len() as i64;
            let both: Vec<Tensor> = p.x.iter().zip(&adv).map(|(x, a)| Tensor::cat(&[x, a], 0)).collect();
            let logits = self.model.logits(&both, &doubled(&b), train);
            weighted_bce(&logits.narrow(0, 0, n), 1.0)
                + weighted_bce(&logits.narrow(0, n, n), 0.0) * self.model.config.lambda
        };
        BatchLoss { loss, weight: sw.double_value(&[]) }
    }
}

/// `b` twice, one copy after the other (pair channels left out: they are recomputed).
fn doubled(b: &Batch) -> Batch {
    let twice = |t: &Tensor| Tensor::cat(&[t, t], 0);
    Batch {
        x: twice(&b.x),
        mask: b.mask.as_ref().map(twice),
        pairs: None,
        aux: b.aux.as_ref().map(twice),
        weight: twice(&b.weight),
    }
}

/// The perturbed-space rows of every event of `inputs` (masked coordinates zeroed, parts
/// flattened and concatenated).
///
/// # Shapes
/// - → `[N, D′]`
fn perturbed_rows(space: &Space, inputs: &Inputs) -> Tensor {
    let idx: Vec<usize> = (0..inputs.len()).collect();
    tch::no_grad(|| {
        let rows: Vec<Tensor> = idx
            .chunks(SCORE_CHUNK)
            .map(|c| {
                let p = space.perturbable(&inputs.select(c));
                let flat: Vec<Tensor> =
                    p.x.iter().zip(&p.mask).map(|(x, m)| (x * m).reshape([c.len() as i64, -1])).collect();
                Tensor::cat(&flat, 1)
            })
            .collect();
        Tensor::cat(&rows, 0)
    })
}

impl Drocc {
    /// Trains on `data.train` (model selection on `data.valid`); checkpoints go under
    /// `dir/checkpoints/drocc` when `dir` is given (and the best epoch is restored from there).
    pub fn fit(
        config: &DroccConfig,
        model: &ModelConfig,
        train_cfg: &TrainConfig,
        data: &FitData<'_>,
        dir: Option<&Path>,
    ) -> Result<(Self, FitReport), DetectError> {
        config.validate()?;
        if train_cfg.epochs <= config.only_ce_epochs {
            return Err(DetectError::Config(format!(
                "drocc: train.epochs ({}) must exceed only_ce_epochs ({}): the CE-only epochs are not selectable",
                train_cfg.epochs, config.only_ce_epochs
            )));
        }
        let mut report = FitReport::default();
        if train_cfg.schedule != Schedule::Constant {
            report.warnings.push("drocc: train.schedule is ignored, DROCC uses EdgeML's step schedule".into());
        }
        let space = Space::new(data.repr, data.standardizer)?;
        let radius = match config.radius {
            Radius::Fixed(r) => r,
            Radius::Auto => auto_radius(&perturbed_rows(&space, data.train), 10_000, train_cfg.seed)?,
        };
        tch::manual_seed(train_cfg.seed as i64);
        let mut vs = VarStore::new(data.device);
        let net = model.with_outputs(1).build(&vs.root());
        let m = Model { net, space, radius, config: config.clone() };
        let ckpt = Checkpoints::new(dir, "drocc");
        let val_signals = match (config.val_signals.is_empty(), data.val_signals) {
            (true, _) => None,
            (false, Some(s)) if !s.is_empty() => Some(s),
            (false, _) => {
                return Err(DetectError::Config(
                    "drocc: val_signals are set but no signal events reached the detector (train through `oddity train`, which reads them)".into(),
                ));
            }
        };
        if val_signals.is_some() {
            report.warnings.push(
                "drocc: signal-assisted model selection (the epoch with the best AUC on val_signals is kept): the run has seen signal events"
                    .into(),
            );
        }
        let mut objective = DroccObjective {
            model: &m,
            train: data.train,
            valid: data.valid,
            epochs: train_cfg.epochs,
            epoch: 0,
            val_signals,
        };
        let r = train(&mut vs, &mut objective, train_cfg, &ckpt.options())?;
        // Best validation weights restored (physics-spec §7.2, model selection).
        ckpt.restore_best(&mut vs)?;
        report.members.push(serde_json::json!({
            "radius": radius, "epochs": r.history.len(), "best_epoch": r.best_epoch,
            "best_valid_loss": r.best_valid, "stopped_early": r.stopped_early, "resumed": r.resumed,
            "model_selection": if val_signals.is_some() { "signal-assisted: 1 - AUC(validation background, val_signals)" } else { "validation loss" },
        }));
        Ok((Self { config: config.clone(), vs, model: m }, report))
    }

    /// The radius r actually used.
    pub fn radius(&self) -> f64 {
        self.model.radius
    }

    /// Anomaly scores (higher = more anomalous): −logit.
    pub fn score(&self, inputs: &Inputs) -> Vec<f64> {
        self.model.scores(inputs)
    }

    /// The perturbable inputs of `batch` (for inspection and tests).
    pub fn perturbable(&self, batch: &Batch) -> Perturbable {
        self.model.space.perturbable(batch)
    }

    /// Runs the adversarial search of training around `batch` with the trained network
    /// (for inspection and tests); returns x_adv, part by part like [`Perturbable::x`].
    pub fn adversarial(&self, batch: &Batch) -> Vec<Tensor> {
        let p = self.model.space.perturbable(batch);
        self.model.adversarial(batch, &p)
    }

    /// Writes `model.safetensors` and `drocc.json` (radius used, perturbed space).
    pub fn save(&self, dir: &Path) -> Result<(), DetectError> {
        oddity_nn::weights::save(&self.vs, &dir.join("model.safetensors"))?;
        let state = Saved { radius: self.model.radius, space: self.model.space.clone() };
        crate::write_json(&dir.join("drocc.json"), &state)
    }

    /// Loads what [`save`](Self::save) wrote.
    pub fn load(config: &DroccConfig, model: &ModelConfig, dir: &Path, device: Device) -> Result<Self, DetectError> {
        let state: Saved = crate::read_json(&dir.join("drocc.json"))?;
        let mut vs = VarStore::new(device);
        let net = model.with_outputs(1).build(&vs.root());
        oddity_nn::weights::load(&mut vs, &dir.join("model.safetensors"))?;
        let m = Model { net, space: state.space, radius: state.radius, config: config.clone() };
        Ok(Self { config: config.clone(), vs, model: m })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    radius: f64,
    space: Space,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn radius_parses_auto_or_a_number() {
        let c: DroccConfig = toml::from_str("radius = \"auto\"").unwrap();
        assert_eq!(c.radius, Radius::Auto);
        let c: DroccConfig = toml::from_str("radius = 3").unwrap();
        assert_eq!(c.radius, Radius::Fixed(3.0));
        let c: DroccConfig = toml::from_str("radius = 0.5\ngamma = 3.0").unwrap();
        assert_eq!((c.radius, c.gamma), (Radius::Fixed(0.5), 3.0));
        assert!(toml::from_str::<DroccConfig>("radius = \"big\"").is_err());
        assert!(toml::from_str::<DroccConfig>("radios = 1.0").is_err());
        let bad = DroccConfig { gamma: 0.5, ..DroccConfig::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("gamma"));
        let bad = DroccConfig { radius: Radius::Fixed(0.0), ..DroccConfig::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("radius"));
    }

    #[test]
    fn auto_radius_is_the_median_nearest_neighbour_distance() {
        // Points on a line at 0, 1, 3, 6, 10: nearest distances 1, 1, 2, 3, 4 → median 2.
        let pts = Tensor::from_slice(&[0.0f32, 1.0, 3.0, 6.0, 10.0]).reshape([5, 1]);
        let r = auto_radius(&pts, 10, 1).unwrap();
        assert!((r - 2.0).abs() < 1e-12, "{r}");
        // A duplicate counts as a neighbour at distance 0, the point itself does not.
        // Points 0, 0, 5, 6, 20: nearest distances 0, 0, 1, 1, 14 → median 1.
        let pts = Tensor::from_slice(&[0.0f32, 0.0, 5.0, 6.0, 20.0]).reshape([5, 1]);
        assert!((auto_radius(&pts, 10, 1).unwrap() - 1.0).abs() < 1e-12);
        // Mostly duplicates: 0 is refused.
        let pts = Tensor::from_slice(&[0.0f32, 0.0, 0.0, 7.0]).reshape([4, 1]);
        assert!(auto_radius(&pts, 10, 1).unwrap_err().to_string().contains("set radius"));
        assert!(auto_radius(&Tensor::zeros([1, 2], (Kind::Float, Device::Cpu)), 10, 1).is_err());
        let s = sample_indices(100, 10, 4);
        let mut u = s.clone();
        u.sort_unstable();
        u.dedup();
        assert_eq!(u.len(), 10);
        assert_eq!(s, sample_indices(100, 10, 4));
    }
}
