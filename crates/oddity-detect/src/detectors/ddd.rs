//! DDD, Discriminatory Detection of Distortions (seed 001 sec. 4.3, Algorithm 3;
//! physics-spec §7.3).
//!
//! A classifier learns to tell background events from a distorted copy of them; events that
//! the classifier finds "distorted" look unlike the background. The training background is
//! split by index into D_orig (even, label 0) and D_src (odd); D_src is distorted with
//! parameters (std, p) (shift of E, η, φ by N(1, std) factors with the mass kept, removal and
//! addition of objects with probability p: `oddity_repr::distort`) and gets label 1. The
//! validation background is split the same way. The training D_src is distorted afresh every
//! epoch; the validation D_src once per (std, p), so validation AUCs are comparable.
//!
//! **Calibration** towards the target discriminator AUC (default 0.85, the typical
//! supervised-signal AUC of the seed): one discriminator per (std, p) of a grid (default
//! std ∈ {0, 0.02, …, 0.10} × p ∈ {0.01, 0.02, 0.04, 0.06, 0.08, 0.10}), or bisection of std
//! in [0, 0.10] at fixed p until |AUC − target| < 0.01 or 6 iterations. The weighted AUC of
//! D_orig-val against distorted D_src-val is measured with the best-validation-loss weights.
//! The **ensemble** is the 4 discriminators closest to the target (ties: smaller std, then
//! smaller p); the score of an event is the mean over them of sigmoid(logit) = P(distorted).
//! The calibration history goes to `calibration.json` and `calibration.csv` in the run
//! directory.
//!
//! The loss is the event-weighted binary cross-entropy; the classes are balanced by
//! construction (two random halves of the same background).

use std::fmt::Write as _;
use std::path::Path;

use oddity_core::EventTable;
use oddity_eval::Roc;
use oddity_nn::train::{BatchLoss, Objective, Split, TrainConfig, train};
use oddity_repr::distort::{DistortConfig, DistortSummary, distort};
use serde::{Deserialize, Serialize};
use tch::nn::VarStore;
use tch::{Device, Kind, Reduction, Tensor};

use super::checkpoints::Checkpoints;
use crate::backbone::{Backbone, ModelConfig};
use crate::features::{FitData, Inputs, ReprConfig};
use crate::{DetectError, FitReport};

/// How (std, p) is calibrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Calibration {
    /// Every (std, p) of `std_grid` × `p_grid`.
    #[default]
    Grid,
    /// Bisection of std in [min, max] of `std_grid` at `bisect_p`.
    Bisect,
}

/// `[detector]` with `kind = "ddd"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DddConfig {
    /// The discriminator AUC the distortion is calibrated to.
    pub target_auc: f64,
    pub calibration: Calibration,
    pub std_grid: Vec<f64>,
    pub p_grid: Vec<f64>,
    /// p of the bisection.
    pub bisect_p: f64,
    /// The bisection stops at |AUC − target| below this or after `bisect_iterations`.
    pub bisect_tolerance: f64,
    pub bisect_iterations: usize,
    /// Number of discriminators averaged (the closest to the target).
    pub ensemble: usize,
}

impl Default for DddConfig {
    fn default() -> Self {
        Self {
            target_auc: 0.85,
            calibration: Calibration::Grid,
            std_grid: vec![0.0, 0.02, 0.04, 0.06, 0.08, 0.10],
            p_grid: vec![0.01, 0.02, 0.04, 0.06, 0.08, 0.10],
            bisect_p: 0.06,
            bisect_tolerance: 0.01,
            bisect_iterations: 6,
            ensemble: 4,
        }
    }
}

impl DddConfig {
    pub fn validate(&self) -> Result<(), DetectError> {
        let bad = |m: String| Err(DetectError::Config(format!("ddd: {m}")));
        if !(self.target_auc > 0.5 && self.target_auc < 1.0) {
            return bad(format!("target_auc must be in (0.5, 1), got {}", self.target_auc));
        }
        if self.std_grid.is_empty() || self.std_grid.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
            return bad(format!("std_grid must be non-empty with values >= 0, got {:?}", self.std_grid));
        }
        let prob = |p: &f64| (0.0..=1.0).contains(p);
        if self.p_grid.is_empty() || !self.p_grid.iter().all(prob) {
            return bad(format!("p_grid must be non-empty with values in [0, 1], got {:?}", self.p_grid));
        }
        if !prob(&self.bisect_p) {
            return bad(format!("bisect_p must be in [0, 1], got {}", self.bisect_p));
        }
        if self.bisect_iterations == 0 || self.bisect_tolerance.is_nan() || self.bisect_tolerance <= 0.0 {
            return bad("bisect_iterations and bisect_tolerance must be > 0".into());
        }
        if self.ensemble == 0 {
            return bad("ensemble must be at least 1".into());
        }
        Ok(())
    }
}

/// One calibration point: a discriminator trained at (std, p).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationPoint {
    pub std: f64,
    pub p: f64,
    /// Weighted AUC of D_orig-val (0) against distorted D_src-val (1).
    pub auc: f64,
    pub epochs: usize,
    pub best_epoch: usize,
    pub best_valid_loss: f64,
    /// What the distortion of the validation D_src changed.
    pub valid_distortion: DistortSummary,
    /// True for the discriminators of the ensemble.
    pub selected: bool,
}

/// One discriminator of the ensemble.
#[derive(Debug)]
struct Member {
    vs: VarStore,
    net: Backbone,
    std: f64,
    p: f64,
    auc: f64,
}

/// The trained DDD ensemble.
#[derive(Debug)]
pub struct Ddd {
    pub config: DddConfig,
    members: Vec<Member>,
    /// The calibration history (empty when loaded).
    pub history: Vec<CalibrationPoint>,
}

/// splitmix64 of `a` combined with `b`: independent seeds for (grid point, epoch).
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `x` with at most 6 decimals and no trailing zeros (0.30000000000000004 → "0.3"), for
/// directory names.
fn short(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_owned()
}

/// The token budget of the representation (no object is added beyond it).
fn max_objects(repr: &ReprConfig) -> usize {
    match repr {
        ReprConfig::Fixed(f) => f.slot_count(),
        ReprConfig::Particles(p) => p.max_particles,
        ReprConfig::Efficient(_) => oddity_repr::efficient::JET_SLOTS + oddity_repr::efficient::LEPTON_SLOTS,
        ReprConfig::Leading(l) => l.objects,
        ReprConfig::Rmm(r) => oddity_repr::rmm::TYPES * r.rmm().config.per_type,
    }
}

/// Splits `table` by index into (even, odd).
fn halves(table: &EventTable) -> (EventTable, EventTable) {
    let even: Vec<bool> = (0..table.len()).map(|i| i % 2 == 0).collect();
    let odd: Vec<bool> = even.iter().map(|e| !e).collect();
    (table.filter(&even), table.filter(&odd))
}

/// A labelled set: `orig` (label 0) followed by `distorted` (label 1), encoded.
struct Labelled {
    inputs: Inputs,
    /// `[N]` f32 labels.
    labels: Tensor,
}

impl Labelled {
    fn new(data: &FitData<'_>, orig: &EventTable, distorted: &EventTable) -> Result<Self, DetectError> {
        let mut table = orig.clone();
        table.append(distorted);
        let inputs = Inputs::new(data.repr, data.standardizer, &table, data.device)?;
        let labels: Vec<f32> = (0..table.len()).map(|i| if i < orig.len() { 0.0 } else { 1.0 }).collect();
        Ok(Self { inputs, labels: Tensor::from_slice(&labels).to_device(data.device) })
    }
}

/// Logits `[N]` of every event of `inputs`, eval mode, no gradient.
fn logits(net: &Backbone, inputs: &Inputs) -> Vec<f64> {
    const CHUNK: usize = 4096;
    let idx: Vec<usize> = (0..inputs.len()).collect();
    let mut out = Vec::with_capacity(inputs.len());
    tch::no_grad(|| {
        for c in idx.chunks(CHUNK) {
            let l = net.forward_t(&inputs.select(c), false).reshape([-1]).to_kind(Kind::Double);
            out.extend(Vec::<f64>::try_from(l.to_device(Device::Cpu)).unwrap_or_default());
        }
    });
    out
}

/// The discriminator's objective: weighted BCE, training D_src re-distorted every epoch.
struct Discrimination<'a> {
    net: &'a Backbone,
    data: &'a FitData<'a>,
    halves: &'a (EventTable, EventTable),
    distortion: DistortConfig,
    seed: u64,
    /// The training set of `epoch`.
    train: Labelled,
    epoch: usize,
    valid: &'a Labelled,
    error: Option<DetectError>,
}

impl Discrimination<'_> {
    /// D_orig (label 0) and D_src distorted with the seed of `epoch` (label 1).
    fn distorted_set(
        data: &FitData<'_>,
        (orig, src): &(EventTable, EventTable),
        distortion: &DistortConfig,
        seed: u64,
        epoch: usize,
    ) -> Result<Labelled, DetectError> {
        let (distorted, _) =
            distort(src, distortion, mix(seed, epoch as u64)).map_err(|e| DetectError::Config(e.to_string()))?;
        Labelled::new(data, orig, &distorted)
    }
}

impl Objective for Discrimination<'_> {
    fn train_len(&self) -> usize {
        self.train.inputs.len()
    }
    fn valid_len(&self) -> usize {
        self.valid.inputs.len()
    }
    fn start_epoch(&mut self, epoch: usize) {
        if epoch != self.epoch {
            match Self::distorted_set(self.data, self.halves, &self.distortion, self.seed, epoch) {
                Ok(set) => {
                    self.train = set;
                    self.epoch = epoch;
                }
                // Kept to be returned after training; the previous epoch's set is reused.
                Err(e) => self.error = Some(e),
            }
        }
    }
    /// # Shapes
    /// logits `[B, 1]` → `[B]`; labels and weights `[B]`; loss scalar.
    fn batch_loss(&mut self, split: Split, indices: &[usize], train: bool) -> BatchLoss {
        let set = if split == Split::Train { &self.train } else { self.valid };
        let b = set.inputs.select(indices);
        let idx =
            Tensor::from_slice(&indices.iter().map(|&i| i as i64).collect::<Vec<_>>()).to_device(set.labels.device());
        let y = set.labels.index_select(0, &idx);
        let logit = self.net.forward_t(&b, train).reshape([-1]);
        let bce = logit.binary_cross_entropy_with_logits::<Tensor>(&y, None, None, Reduction::None);
        let sw = b.weight.sum(Kind::Float);
        BatchLoss { loss: (bce * &b.weight).sum(Kind::Float) / &sw, weight: sw.double_value(&[]) }
    }
}

/// Shared state of one calibration.
struct Calibrator<'a> {
    model: ModelConfig,
    train_cfg: &'a TrainConfig,
    data: &'a FitData<'a>,
    train_halves: (EventTable, EventTable),
    valid_halves: (EventTable, EventTable),
    dir: Option<&'a Path>,
    trained: Vec<(CalibrationPoint, Member)>,
}

impl Calibrator<'_> {
    /// Trains the discriminator at (std, p) (the `k`-th point of the calibration).
    fn point(&mut self, std: f64, p: f64) -> Result<f64, DetectError> {
        let k = self.trained.len() as u64;
        let distortion = DistortConfig { std, p, max_objects: max_objects(self.data.repr) };
        let seed = mix(self.train_cfg.seed, k + 1);
        let (valid_distorted, valid_summary) = distort(&self.valid_halves.1, &distortion, mix(seed, u64::MAX))
            .map_err(|e| DetectError::Config(e.to_string()))?;
        let valid = Labelled::new(self.data, &self.valid_halves.0, &valid_distorted)?;

        let first = Discrimination::distorted_set(self.data, &self.train_halves, &distortion, seed, 0)?;
        tch::manual_seed(seed as i64);
        let mut vs = VarStore::new(self.data.device);
        let net = self.model.build(&vs.root());
        let mut objective = Discrimination {
            net: &net,
            data: self.data,
            halves: &self.train_halves,
            distortion,
            seed,
            train: first,
            epoch: 0,
            valid: &valid,
            error: None,
        };
        let ckpt = Checkpoints::new(self.dir, &format!("ddd-std{}-p{}", short(std), short(p)));
        let cfg = TrainConfig { seed, ..self.train_cfg.clone() };
        let report = train(&mut vs, &mut objective, &cfg, &ckpt.options())?;
        if let Some(e) = objective.error.take() {
            return Err(e);
        }
        ckpt.restore_best(&mut vs)?;
        let scores = logits(&net, &valid.inputs);
        let is_distorted: Vec<bool> = (0..scores.len()).map(|i| i >= self.valid_halves.0.len()).collect();
        let auc = Roc::new(&scores, &is_distorted, Some(&valid.inputs.weights))
            .map_err(|e| DetectError::Config(format!("ddd: validation AUC at std {std}, p {p}: {e}")))?
            .auc();
        tracing::info!("ddd: std {std}, p {p}: validation AUC {auc:.4}");
        let point = CalibrationPoint {
            std,
            p,
            auc,
            epochs: report.history.len(),
            best_epoch: report.best_epoch,
            best_valid_loss: report.best_valid,
            valid_distortion: valid_summary,
            selected: false,
        };
        self.trained.push((point, Member { vs, net, std, p, auc }));
        Ok(auc)
    }
}

impl Ddd {
    /// Calibrates the distortion and trains the ensemble; checkpoints of every discriminator
    /// go under `dir/checkpoints/ddd-std{std}-p{p}`, the history to `dir/calibration.{json,csv}`.
    pub fn fit(
        config: &DddConfig,
        model: &ModelConfig,
        train_cfg: &TrainConfig,
        data: &FitData<'_>,
        dir: Option<&Path>,
    ) -> Result<(Self, FitReport), DetectError> {
        config.validate()?;
        if data.train_events.len() < 2 || data.valid_events.len() < 2 {
            return Err(DetectError::Config(
                "ddd needs at least two training and two validation background events".into(),
            ));
        }
        let mut cal = Calibrator {
            model: model.with_outputs(1),
            train_cfg,
            data,
            train_halves: halves(data.train_events),
            valid_halves: halves(data.valid_events),
            dir,
            trained: Vec::new(),
        };
        match config.calibration {
            Calibration::Grid => {
                for &std in &config.std_grid {
                    for &p in &config.p_grid {
                        cal.point(std, p)?;
                    }
                }
            }
            Calibration::Bisect => {
                let lo_hi =
                    config.std_grid.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &s| (a.min(s), b.max(s)));
                let (mut lo, mut hi) = lo_hi;
                for _ in 0..config.bisect_iterations {
                    let mid = 0.5 * (lo + hi);
                    let auc = cal.point(mid, config.bisect_p)?;
                    if (auc - config.target_auc).abs() < config.bisect_tolerance {
                        break;
                    }
                    // The AUC grows with the distortion.
                    if auc < config.target_auc {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
            }
        }
        let mut trained = cal.trained;
        let chosen = select(&trained.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(), config);
        for &i in &chosen {
            trained[i].0.selected = true;
        }
        let history: Vec<CalibrationPoint> = trained.iter().map(|(p, _)| p.clone()).collect();
        if let Some(dir) = dir {
            crate::write_json(&dir.join("calibration.json"), &history)?;
            crate::write_atomic(&dir.join("calibration.csv"), calibration_csv(&history).as_bytes())?;
        }
        let mut report = FitReport::default();
        let mut members = Vec::new();
        for (i, (point, member)) in trained.into_iter().enumerate() {
            if chosen.contains(&i) {
                report.members.push(serde_json::json!({
                    "std": point.std, "p": point.p, "valid_auc": point.auc, "epochs": point.epochs,
                    "best_epoch": point.best_epoch, "best_valid_loss": point.best_valid_loss,
                }));
                members.push(member);
            }
        }
        let best = history.iter().map(|p| (p.auc - config.target_auc).abs()).fold(f64::INFINITY, f64::min);
        if best > 0.02 {
            report.warnings.push(format!(
                "ddd: no calibration point within 0.02 of the target AUC {} (closest off by {best:.3}); widen std_grid/p_grid or use calibration = \"bisect\"",
                config.target_auc
            ));
        }
        Ok((Self { config: config.clone(), members, history }, report))
    }

    /// Anomaly scores: the mean over the ensemble of sigmoid(logit) = P(distorted).
    pub fn score(&self, inputs: &Inputs) -> Vec<f64> {
        let mut total = vec![0.0; inputs.len()];
        for m in &self.members {
            for (t, l) in total.iter_mut().zip(logits(&m.net, inputs)) {
                *t += 1.0 / (1.0 + (-l).exp());
            }
        }
        let n = self.members.len().max(1) as f64;
        total.iter().map(|t| t / n).collect()
    }

    /// Writes the members (`model-ddd-{k}.safetensors`) and `ddd.json`.
    pub fn save(&self, dir: &Path) -> Result<(), DetectError> {
        let mut state = Vec::new();
        for (k, m) in self.members.iter().enumerate() {
            oddity_nn::weights::save(&m.vs, &dir.join(format!("model-ddd-{k}.safetensors")))?;
            state.push(SavedMember { std: m.std, p: m.p, valid_auc: m.auc });
        }
        crate::write_json(&dir.join("ddd.json"), &state)
    }

    /// Loads what [`save`](Self::save) wrote.
    pub fn load(config: &DddConfig, model: &ModelConfig, dir: &Path, device: Device) -> Result<Self, DetectError> {
        let state: Vec<SavedMember> = crate::read_json(&dir.join("ddd.json"))?;
        let model = model.with_outputs(1);
        let mut members = Vec::new();
        for (k, s) in state.into_iter().enumerate() {
            let mut vs = VarStore::new(device);
            let net = model.build(&vs.root());
            oddity_nn::weights::load(&mut vs, &dir.join(format!("model-ddd-{k}.safetensors")))?;
            members.push(Member { vs, net, std: s.std, p: s.p, auc: s.valid_auc });
        }
        Ok(Self { config: config.clone(), members, history: Vec::new() })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedMember {
    std: f64,
    p: f64,
    valid_auc: f64,
}

/// Indices of the `config.ensemble` points closest to the target AUC; ties by smaller std,
/// then smaller p.
pub fn select(points: &[CalibrationPoint], config: &DddConfig) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    let key = |i: usize| ((points[i].auc - config.target_auc).abs(), points[i].std, points[i].p);
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(ka.2.total_cmp(&kb.2))
    });
    order.truncate(config.ensemble);
    order.sort_unstable();
    order
}

/// The calibration history as CSV.
fn calibration_csv(points: &[CalibrationPoint]) -> String {
    let mut s =
        String::from("std,p,valid_auc,epochs,best_epoch,best_valid_loss,objects_removed,objects_added,selected\n");
    for p in points {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            p.std,
            p.p,
            p.auc,
            p.epochs,
            p.best_epoch,
            p.best_valid_loss,
            p.valid_distortion.removed,
            p.valid_distortion.added,
            p.selected
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(std: f64, p: f64, auc: f64) -> CalibrationPoint {
        CalibrationPoint {
            std,
            p,
            auc,
            epochs: 1,
            best_epoch: 1,
            best_valid_loss: 0.0,
            valid_distortion: DistortSummary::default(),
            selected: false,
        }
    }

    #[test]
    fn ensemble_is_the_closest_to_the_target_with_ties_by_std_then_p() {
        let cfg = DddConfig { ensemble: 3, ..DddConfig::default() };
        let pts = vec![
            point(0.10, 0.10, 0.99), // far
            point(0.06, 0.06, 0.86), // 0.01
            point(0.04, 0.06, 0.84), // 0.01, smaller std: before the one above
            point(0.04, 0.02, 0.84), // 0.01, same std, smaller p: first
            point(0.02, 0.01, 0.60), // far
        ];
        assert_eq!(select(&pts, &cfg), vec![1, 2, 3]);
        let cfg = DddConfig { ensemble: 2, ..cfg };
        assert_eq!(select(&pts, &cfg), vec![2, 3]);
        // Fewer points than the ensemble size: all of them.
        assert_eq!(select(&pts[..1], &DddConfig::default()), vec![0]);
    }

    #[test]
    fn halves_alternate_and_mix_separates_seeds() {
        let mut t = EventTable::new();
        for i in 0..5 {
            let h = oddity_core::EventHeader {
                event_id: i,
                process: "p",
                weight: 1.0,
                met: 10.0,
                met_phi: 0.0,
                source_line: i as u64 + 1,
            };
            t.push_event(h);
        }
        let (even, odd) = halves(&t);
        assert_eq!(even.event_id, vec![0, 2, 4]);
        assert_eq!(odd.event_id, vec![1, 3]);
        assert_ne!(mix(1, 0), mix(1, 1));
        assert_eq!(
            (short(0.1 + 0.2), short(0.25625), short(0.0), short(2.0)),
            ("0.3".into(), "0.25625".into(), "0".into(), "2".into())
        );
        assert_ne!(mix(1, 2), mix(2, 1));
    }

    #[test]
    fn configuration_errors_are_named() {
        let e = DddConfig { target_auc: 0.4, ..DddConfig::default() }.validate().unwrap_err().to_string();
        assert!(e.contains("target_auc"), "{e}");
        let e = DddConfig { p_grid: vec![1.5], ..DddConfig::default() }.validate().unwrap_err().to_string();
        assert!(e.contains("p_grid"), "{e}");
        assert!(DddConfig::default().validate().is_ok());
    }
}
