//! Normalising-flow density detector (physics-spec §7.6; arXiv 2105.14027 sec. 4.8).
//!
//! A masked autoregressive rational-quadratic spline flow ([`oddity_nn::SplineFlow`]) is
//! trained by maximum likelihood on the standardised background: the loss of a batch is the
//! weighted mean negative log-likelihood Σ w·(−ln p(x))/Σ w (event weights as in every
//! detector), through the shared training loop. The score of an event is −ln p(x) in nats
//! (higher = less likely under the background = more anomalous). The challenge's min-max
//! rescaling of ln p is monotone and not applied.
//!
//! **Dequantisation** (*project choice*, §7.6): the object counts of the "Efficient"
//! representation are integers, whose density a flow cannot fit. In training each count c
//! becomes c + u with u ~ U(0, 1) drawn per entry and batch; at evaluation (validation and
//! scoring) c + 1/2. The counts arrive standardised, x = (c − μ)/σ̃ with σ̃ = max(σ, 1e-6),
//! and the flow sees the dequantised count standardised with its own moments, mean μ + 1/2
//! and standard deviation σ′ = √(σ² + 1/12):
//! x′ = (σ̃·x + u − 1/2)/σ′ in training and σ̃·x/σ′ at evaluation. A count that is constant in
//! the training sample (σ = 0, e.g. no photons) so gets σ′ = 1/√12 instead of a
//! near-zero σ. The gains σ̃/σ′ and noise scales 1/σ′ are saved with the model.
//!
//! **Padding jitter** (*project choice*): empty object slots are exact zeros in every padded
//! column, so a flow can put unbounded density on them and learn little else (validation NLL
//! running to large negative values, anomalies scored as ordinary). In training, entries that
//! are exactly 0 outside the count columns get N(0, `pad_noise`²) noise (standardised units);
//! evaluation sees the zeros unchanged, at a finite density.
//!
//! The flow's hyperparameters are `[detector.flow]`; `[model]` is not used. Files in the model
//! directory: `flow.safetensors` (weights), `flow.json` (input width, dequantisation).

use std::path::Path;

use oddity_nn::FlowConfig;
use oddity_nn::SplineFlow;
use oddity_nn::train::{BatchLoss, Objective, Split, TrainConfig, train};
use oddity_repr::standardize::{SIGMA_FLOOR, Standardizer};
use serde::{Deserialize, Serialize};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

use super::checkpoints::Checkpoints;
use crate::features::{FitData, Inputs, ReprConfig};
use crate::{DetectError, FitReport};

/// `[detector]` with `kind = "flow"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlowDetectorConfig {
    /// The flow (default: 11 layers, MADE 7 × 200, 35 bins on [−5, 5]).
    pub flow: FlowConfig,
    /// Dequantise the count columns of the "efficient" representation.
    pub dequantize: bool,
    /// Standard deviation of the training noise on exact zeros (padding), standardised units;
    /// 0 turns it off.
    pub pad_noise: f64,
}

impl Default for FlowDetectorConfig {
    fn default() -> Self {
        Self { flow: FlowConfig::default(), dequantize: true, pad_noise: 0.1 }
    }
}

impl FlowDetectorConfig {
    pub fn validate(&self) -> Result<(), DetectError> {
        if !(self.pad_noise.is_finite() && self.pad_noise >= 0.0) {
            return Err(DetectError::Config(format!(
                "detector.pad_noise = {}: expected a finite value >= 0",
                self.pad_noise
            )));
        }
        self.flow.validate().map_err(|e| DetectError::Config(format!("detector.flow: {e}")))
    }
}

/// What besides the weights a trained flow needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Saved {
    /// Input width D.
    features: i64,
    /// Dequantisation per input column: the gain σ̃/σ′ (1 for continuous columns) and the
    /// noise scale 1/σ′ (0 for continuous columns).
    gain: Vec<f64>,
    noise: Vec<f64>,
}

/// The trained flow detector.
#[derive(Debug)]
pub struct FlowDetector {
    pub config: FlowDetectorConfig,
    vs: VarStore,
    flow: SplineFlow,
    saved: Saved,
    /// `[D]` gains and noise scales on the flow's device.
    gain: Tensor,
    noise: Tensor,
}

/// Rows per forward pass when scoring.
const SCORE_CHUNK: usize = 4096;

/// (gain, noise scale) per column of a `width`-wide input: the dequantisation of the count
/// columns of `repr` from the fitted standardisation, the identity elsewhere.
fn dequantization(repr: &ReprConfig, standardizer: &Standardizer, width: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut gain, mut noise) = (vec![1.0; width], vec![0.0; width]);
    let ReprConfig::Efficient(e) = repr else { return (gain, noise) };
    for c in e.count_columns() {
        let sigma = standardizer
            .groups
            .iter()
            .filter(|g| g.group.array == "x")
            .find_map(|g| g.group.columns.iter().position(|&k| k == c).map(|p| g.std[p]))
            .unwrap_or(1.0);
        let dequantized = (sigma * sigma + 1.0 / 12.0).sqrt();
        gain[c] = sigma.max(SIGMA_FLOOR) / dequantized;
        noise[c] = 1.0 / dequantized;
    }
    (gain, noise)
}

/// Flow inputs of a batch: x·gain, plus (u − 1/2)·noise with u ~ U(0, 1) per entry in
/// training.
///
/// # Shapes
/// - `x`: `[B, D]`, `gain`, `noise`: `[D]` → `[B, D]`
fn dequantized(x: &Tensor, gain: &Tensor, noise: &Tensor, train: bool) -> Tensor {
    let x = x * gain;
    if train { (x.rand_like() - 0.5) * noise + x } else { x }
}

/// `y` with N(0, `scale`²) noise where `x` is exactly 0 outside the dequantised columns
/// (`noise` = 0): the padding jitter of training.
///
/// # Shapes
/// - `x`, `y`: `[B, D]`, `noise`: `[D]` → `[B, D]`
fn jitter_padding(x: &Tensor, y: Tensor, noise: &Tensor, scale: f64) -> Tensor {
    if scale == 0.0 {
        return y;
    }
    let padded = x.eq(0.0).logical_and(&noise.eq(0.0)).to_kind(x.kind());
    y + x.randn_like() * padded * scale
}

/// The maximum-likelihood objective.
struct MaxLikelihood<'a> {
    flow: &'a SplineFlow,
    gain: &'a Tensor,
    noise: &'a Tensor,
    pad_noise: f64,
    train: &'a Inputs,
    valid: &'a Inputs,
}

impl Objective for MaxLikelihood<'_> {
    fn train_len(&self) -> usize {
        self.train.len()
    }
    fn valid_len(&self) -> usize {
        self.valid.len()
    }
    /// # Shapes
    /// x `[B, D]`, log-likelihoods and weights `[B]`, loss scalar.
    fn batch_loss(&mut self, split: Split, indices: &[usize], train: bool) -> BatchLoss {
        let set = if split == Split::Train { self.train } else { self.valid };
        let b = set.select(indices);
        let mut x = dequantized(&b.x, self.gain, self.noise, train);
        if train {
            x = jitter_padding(&b.x, x, self.noise, self.pad_noise);
        }
        let nll = -self.flow.log_prob(&x);
        let sw = b.weight.sum(Kind::Float);
        let loss = (nll * &b.weight).sum(Kind::Float) / &sw;
        BatchLoss { loss, weight: sw.double_value(&[]) }
    }
}

impl FlowDetector {
    fn build(config: &FlowDetectorConfig, saved: Saved, device: Device) -> Self {
        let vs = VarStore::new(device);
        let flow = SplineFlow::new(&vs.root(), saved.features, &config.flow);
        let tensor = |v: &[f64]| Tensor::from_slice(v).to_kind(Kind::Float).to_device(device);
        let (gain, noise) = (tensor(&saved.gain), tensor(&saved.noise));
        Self { config: config.clone(), vs, flow, saved, gain, noise }
    }

    /// Trains the flow on `data.train` (validation on `data.valid`); checkpoints go to
    /// `dir/checkpoints/flow` when `dir` is given, and the best validation epoch is kept.
    pub fn fit(
        config: &FlowDetectorConfig,
        train_cfg: &TrainConfig,
        data: &FitData<'_>,
        dir: Option<&Path>,
    ) -> Result<(Self, FitReport), DetectError> {
        config.validate()?;
        let size = data.train.x.size();
        let [_, width] = size[..] else {
            return Err(DetectError::Config(format!(
                "the flow needs a flat feature vector per event (representation \"efficient\" or \"fixed\"), got inputs of shape {size:?}"
            )));
        };
        let (gain, noise) = if config.dequantize {
            dequantization(data.repr, data.standardizer, width as usize)
        } else {
            (vec![1.0; width as usize], vec![0.0; width as usize])
        };
        tch::manual_seed(train_cfg.seed as i64);
        let mut det = Self::build(config, Saved { features: width, gain, noise }, data.device);
        let ckpt = Checkpoints::new(dir, "flow");
        let mut objective = MaxLikelihood {
            flow: &det.flow,
            gain: &det.gain,
            noise: &det.noise,
            pad_noise: config.pad_noise,
            train: data.train,
            valid: data.valid,
        };
        let r = train(&mut det.vs, &mut objective, train_cfg, &ckpt.options())?;
        ckpt.restore_best(&mut det.vs)?;
        let report = FitReport {
            members: vec![serde_json::json!({
                "features": width, "epochs": r.history.len(), "best_epoch": r.best_epoch,
                "best_valid_nll": r.best_valid, "stopped_early": r.stopped_early, "resumed": r.resumed,
                "dequantized_columns": det.saved.noise.iter().filter(|&&s| s > 0.0).count(),
            })],
            warnings: Vec::new(),
        };
        Ok((det, report))
    }

    /// −ln p(x′) per event in nats (higher = more anomalous), counts at c + 1/2.
    pub fn score(&self, inputs: &Inputs) -> Vec<f64> {
        let idx: Vec<usize> = (0..inputs.len()).collect();
        let mut out = Vec::with_capacity(inputs.len());
        tch::no_grad(|| {
            for chunk in idx.chunks(SCORE_CHUNK) {
                let b = inputs.select(chunk);
                let nll = -self.flow.log_prob(&dequantized(&b.x, &self.gain, &self.noise, false));
                out.extend(Vec::<f64>::try_from(nll.to_kind(Kind::Double).to_device(Device::Cpu)).unwrap_or_default());
            }
        });
        out
    }

    /// Writes `flow.safetensors` and `flow.json`.
    pub fn save(&self, dir: &Path) -> Result<(), DetectError> {
        oddity_nn::weights::save(&self.vs, &dir.join("flow.safetensors"))?;
        crate::write_json(&dir.join("flow.json"), &self.saved)
    }

    /// Loads what [`save`](Self::save) wrote.
    pub fn load(config: &FlowDetectorConfig, dir: &Path, device: Device) -> Result<Self, DetectError> {
        let saved: Saved = crate::read_json(&dir.join("flow.json"))?;
        for (name, v) in [("gain", &saved.gain), ("noise", &saved.noise)] {
            if v.len() != saved.features as usize {
                return Err(DetectError::File {
                    path: dir.join("flow.json"),
                    message: format!(
                        "'{name}' has {} entries, expected one per input feature ({})",
                        v.len(),
                        saved.features
                    ),
                });
            }
        }
        let mut det = Self::build(config, saved, device);
        oddity_nn::weights::load(&mut det.vs, &dir.join("flow.safetensors"))?;
        Ok(det)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oddity_repr::{Array, FeatureBatch};

    #[test]
    fn loss_is_the_weighted_mean_nll() {
        let vs = VarStore::new(Device::Cpu);
        let flow = SplineFlow::new(&vs.root(), 2, &FlowConfig { identity_init: false, ..FlowConfig::small() });
        let batch = FeatureBatch {
            arrays: vec![Array {
                name: "x".into(),
                shape: vec![3, 2],
                data: vec![0.5, -1.0, 2.0, 0.1, -0.3, 0.7],
                offsets: None,
            }],
        };
        let inputs = Inputs::from_batch(&batch, &[1.0, 3.0, 0.5], Device::Cpu);
        let (gain, noise) =
            (Tensor::ones([2], (Kind::Float, Device::Cpu)), Tensor::zeros([2], (Kind::Float, Device::Cpu)));
        let mut objective =
            MaxLikelihood { flow: &flow, gain: &gain, noise: &noise, pad_noise: 0.0, train: &inputs, valid: &inputs };
        let BatchLoss { loss, weight } = objective.batch_loss(Split::Valid, &[0, 1, 2], false);
        let lp: Vec<f32> = flow.log_prob(&inputs.x).try_into().unwrap_or_default();
        let want = -(lp[0] + 3.0 * lp[1] + 0.5 * lp[2]) / 4.5;
        assert!((loss.double_value(&[]) as f32 - want).abs() < 1e-5);
        assert_eq!(weight, 4.5);
    }

    #[test]
    fn dequantisation_moves_only_count_columns() {
        let x = Tensor::ones([1000, 3], (Kind::Float, Device::Cpu));
        let gain = Tensor::from_slice(&[1.0f32, 0.5, 1.0]);
        let noise = Tensor::from_slice(&[0.0f32, 2.0, 0.0]);
        let eval: Vec<f32> = dequantized(&x, &gain, &noise, false).get(0).try_into().unwrap_or_default();
        assert_eq!(eval, vec![1.0, 0.5, 1.0]);
        let t = dequantized(&x, &gain, &noise, true);
        let col = t.select(1, 1);
        // 0.5 + (u − 1/2)·2 ∈ [−0.5, 1.5], mean 0.5.
        assert!(col.min().double_value(&[]) >= -0.5 && col.max().double_value(&[]) <= 1.5);
        assert!((col.mean(Kind::Float).double_value(&[]) - 0.5).abs() < 0.1);
        assert_eq!((t.select(1, 0) - 1.0).abs().sum(Kind::Float).double_value(&[]), 0.0);
    }

    #[test]
    fn padding_jitter_moves_only_exact_zeros_outside_count_columns() {
        // Columns: a padded feature (0), a count (0, dequantised), a filled feature (1).
        let x = Tensor::from_slice(&[0.0f32, 0.0, 1.0]).repeat([2000, 1]);
        let noise = Tensor::from_slice(&[0.0f32, 2.0, 0.0]);
        let y = jitter_padding(&x, x.shallow_clone(), &noise, 0.1);
        let padded = y.select(1, 0);
        let sd = padded.std(true).double_value(&[]);
        assert!((sd - 0.1).abs() < 0.01, "padding noise sd {sd}");
        assert_eq!(y.select(1, 1).abs().sum(Kind::Float).double_value(&[]), 0.0, "counts are dequantised instead");
        assert_eq!((y.select(1, 2) - 1.0).abs().sum(Kind::Float).double_value(&[]), 0.0, "filled entries unchanged");
        assert_eq!(jitter_padding(&x, x.shallow_clone(), &noise, 0.0), x);
    }

    #[test]
    fn constant_counts_get_the_width_of_the_noise() {
        use oddity_repr::standardize::{FittedGroup, StdGroup, Validity};
        let repr = ReprConfig::Efficient(oddity_repr::efficient::Efficient::default());
        let columns: Vec<usize> = (0..9).collect();
        let mut std = vec![1.0; 9];
        std[8] = 0.0; // no photons in training
        std[2] = 2.0;
        let standardizer = Standardizer {
            representation: "efficient".into(),
            groups: vec![FittedGroup {
                group: StdGroup { array: "x".into(), row_len: 53, columns, validity: Validity::All },
                mean: vec![0.0; 9],
                std,
                sum_weights: vec![1.0; 9],
                effective_entries: vec![1.0; 9],
            }],
        };
        let (gain, noise) = dequantization(&repr, &standardizer, 53);
        assert_eq!((gain[0], noise[0]), (1.0, 0.0));
        let s = (4.0f64 + 1.0 / 12.0).sqrt();
        assert!((gain[2] - 2.0 / s).abs() < 1e-12 && (noise[2] - 1.0 / s).abs() < 1e-12);
        assert!((noise[8] - 12f64.sqrt()).abs() < 1e-12 && gain[8] < 1e-5);
        assert_eq!(noise.iter().filter(|&&n| n > 0.0).count(), 7);
    }
}
