//! The one training loop every deep detector uses.
//!
//! A detector supplies an [`Objective`] (its loss on a batch of event indices); the loop owns
//! everything else: seeded shuffling, Adam/AdamW ([`crate::optim`]), learning-rate schedules
//! (ReduceLROnPlateau, step), gradient clipping, early stopping on the validation loss,
//! checkpoints of the best and the last epoch with exact resume, per-epoch metrics in CSV
//! and a progress bar with loss and events/s. An objective may set the learning rate of each
//! epoch itself ([`Objective::epoch_lr`]) and keep warm-up epochs out of model selection
//! ([`Objective::selectable`]).
//!
//! **Determinism.** The order of the training events in epoch e is a permutation drawn from
//! ChaCha8 seeded with (seed, e), and libtorch's generator (dropout) is reseeded with a hash
//! of (seed, e) at the start of each epoch. On CPU with a fixed thread count a run is bitwise
//! reproducible (libtorch's generator is global to the process: one training at a time per
//! process), and a run resumed from its last checkpoint continues exactly as if it had
//! not been interrupted (the optimizer's moments, step count and learning rate are saved).
//!
//! **Checkpoints** in the run directory: `best.safetensors` (weights of the epoch with the
//! lowest validation loss), `last/` (`weights.safetensors`, `optimizer.safetensors`), the
//! loop's state `train-state.json` (written last: the commit point of an epoch), and
//! `metrics.csv`. Every file is written to a temporary name and renamed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use tch::Tensor;
use tch::nn::VarStore;

use crate::optim::{Adam, AdamConfig};
use crate::weights;

/// Learning-rate schedule, applied after each epoch.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", deny_unknown_fields)]
pub enum Schedule {
    #[default]
    Constant,
    /// Multiply the rate by `factor` when the validation loss has not improved (by more than
    /// 1e-4 relative, PyTorch's default threshold) for `patience` epochs; never below `min_lr`.
    Plateau { factor: f64, patience: usize, min_lr: f64 },
    /// Multiply the rate by `gamma` every `every` epochs.
    Step { every: usize, gamma: f64 },
}

/// Training-loop settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: AdamConfig,
    pub schedule: Schedule,
    /// Stop after this many epochs without a new best validation loss.
    pub early_stopping: Option<usize>,
    /// Clip the global gradient norm to this value.
    pub grad_clip: Option<f64>,
    pub seed: u64,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 500,
            optimizer: AdamConfig::default(),
            schedule: Schedule::Constant,
            early_stopping: Some(10),
            grad_clip: None,
            seed: 0,
            progress: false,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if !(self.optimizer.lr > 0.0 && self.optimizer.lr.is_finite()) {
            return bad(format!("learning rate must be > 0, got {}", self.optimizer.lr));
        }
        match self.schedule {
            Schedule::Plateau { factor, .. } if !(0.0 < factor && factor < 1.0) => {
                bad(format!("plateau factor must be in (0, 1), got {factor}"))
            }
            Schedule::Step { every: 0, .. } => bad("step schedule needs every >= 1".into()),
            _ => Ok(()),
        }
    }
}

/// Which split a batch comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Valid,
}

/// The loss of one batch: a scalar to back-propagate (the batch's weighted mean) and the
/// batch's total weight, which averages batch losses over an epoch.
#[derive(Debug)]
pub struct BatchLoss {
    pub loss: Tensor,
    pub weight: f64,
}

/// What a detector trains: its loss on batches of event indices.
pub trait Objective {
    fn train_len(&self) -> usize;
    fn valid_len(&self) -> usize;
    /// Called before each epoch's batches (DDD redraws its distortions here).
    fn start_epoch(&mut self, _epoch: usize) {}
    /// The learning rate of epoch `epoch` (1-based) when the objective prescribes its own
    /// schedule (DROCC's EdgeML steps); `base_lr` is the configured rate. `None` (the default)
    /// leaves the loop's [`Schedule`] in charge; with `Some`, the rate is set before the
    /// epoch's first batch and the loop's schedule is not applied after the epoch.
    fn epoch_lr(&self, _epoch: usize, _base_lr: f64) -> Option<f64> {
        None
    }
    /// Whether epoch `epoch` (1-based) takes part in model selection (the default: every
    /// epoch). A non-selectable epoch (a warm-up whose loss is not comparable with later ones,
    /// like DROCC's CE-only epochs) never becomes the best, does not count towards early
    /// stopping and does not drive the plateau schedule.
    fn selectable(&self, _epoch: usize) -> bool {
        true
    }
    /// A lower-is-better figure of the epoch that replaces the validation loss for model
    /// selection, early stopping and the plateau schedule (DROCC's signal-assisted selection
    /// returns 1 − AUC on validation signals); `None` (the default) keeps the validation loss.
    fn monitored(&mut self, _epoch: usize) -> Option<f64> {
        None
    }
    /// Called after each epoch's model selection with the early-stopping counter (epochs since
    /// the best monitored value; 0 when this epoch became the best). Objectives that anneal
    /// their loss weights on it (the contrastive VAE) update them here. On resume the loop
    /// replays this call for every completed epoch, so such state survives an interruption.
    fn end_epoch(&mut self, _epoch: usize, _since_best: usize) {}
    /// The loss on events `indices` of `split`; `train` selects training mode (dropout,
    /// BatchNorm batch statistics) and whether a graph is needed.
    fn batch_loss(&mut self, split: Split, indices: &[usize], train: bool) -> BatchLoss;
}

/// Training failures.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("training configuration: {0}")]
    Config(String),
    #[error("the training set is empty")]
    NoTrainingEvents,
    #[error("epoch {epoch}: the training loss is not finite ({loss}); lower the learning rate or check the inputs")]
    NotFinite { epoch: usize, loss: f64 },
    #[error(transparent)]
    Weights(#[from] weights::WeightsError),
    #[error("{path}: {message}", path = path.display())]
    Checkpoint { path: PathBuf, message: String },
    #[error("{path}: {source}", path = path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// One row of `metrics.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    pub train_loss: f64,
    /// NaN without validation events (empty in the CSV, null in JSON).
    #[serde(with = "nan_as_null")]
    pub valid_loss: f64,
    pub lr: f64,
    pub events_per_s: f64,
    pub seconds: f64,
}

/// The loop's state, saved after every epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct State {
    /// Epochs completed.
    epochs_done: usize,
    #[serde(with = "nan_as_null")]
    best_valid: f64,
    best_epoch: usize,
    /// Epochs since the last best (early stopping).
    since_best: usize,
    /// Epochs since the last improvement (plateau schedule).
    plateau_wait: usize,
    #[serde(with = "nan_as_null")]
    plateau_best: f64,
    stopped_early: bool,
    history: Vec<EpochMetrics>,
    /// The early-stopping counter after each completed epoch (replayed into
    /// [`Objective::end_epoch`] on resume).
    #[serde(default)]
    since_best_history: Vec<usize>,
}

/// The result of [`train`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    pub history: Vec<EpochMetrics>,
    /// Epoch (1-based) with the lowest validation loss, 0 without validation.
    pub best_epoch: usize,
    pub best_valid: f64,
    pub stopped_early: bool,
    /// True when the run continued from a checkpoint.
    pub resumed: bool,
}

/// Options of one call to [`train`].
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Where checkpoints and metrics go (none: nothing is written).
    pub dir: Option<PathBuf>,
    /// Continue from `dir`'s last checkpoint when there is one.
    pub resume: bool,
    /// Stop (as if interrupted) after this many epochs of this call; for tests of resume.
    pub stop_after: Option<usize>,
}

/// 64-bit mix of (seed, epoch) for libtorch's generator (SplitMix64 finaliser).
fn epoch_seed(seed: u64, epoch: usize) -> i64 {
    let mut z = seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as i64 & i64::MAX
}

/// Trains the variables of `vs` on `objective`. With `options.dir`, the best weights are in
/// `best.safetensors` afterwards; the variables of `vs` hold the last epoch's weights.
pub fn train(
    vs: &mut VarStore,
    objective: &mut dyn Objective,
    config: &TrainConfig,
    options: &RunOptions,
) -> Result<TrainReport, TrainError> {
    config.validate()?;
    let n_train = objective.train_len();
    if n_train == 0 {
        return Err(TrainError::NoTrainingEvents);
    }
    let mut opt = Adam::new(vs, config.optimizer);
    let mut state = State {
        epochs_done: 0,
        best_valid: f64::NAN,
        best_epoch: 0,
        since_best: 0,
        plateau_wait: 0,
        plateau_best: f64::NAN,
        stopped_early: false,
        history: Vec::new(),
        since_best_history: Vec::new(),
    };
    let mut resumed = false;
    if let Some(dir) = &options.dir {
        std::fs::create_dir_all(dir).map_err(|source| TrainError::Io { path: dir.clone(), source })?;
        if options.resume && dir.join(STATE).exists() {
            state = load_checkpoint(dir, vs, &mut opt)?;
            resumed = true;
            for (k, &since) in state.since_best_history.iter().enumerate() {
                objective.end_epoch(k + 1, since);
            }
        }
    }
    let bar = progress_bar(config, n_train);
    let mut epochs_this_call = 0;
    while state.epochs_done < config.epochs && !state.stopped_early {
        if options.stop_after.is_some_and(|s| epochs_this_call >= s) {
            break;
        }
        let epoch = state.epochs_done + 1;
        let start = Instant::now();
        tch::manual_seed(epoch_seed(config.seed, epoch));
        objective.start_epoch(epoch);
        let lr_override = objective.epoch_lr(epoch, config.optimizer.lr);
        if let Some(lr) = lr_override {
            opt.lr = lr;
        }
        let mut order: Vec<usize> = (0..n_train).collect();
        order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(epoch_seed(config.seed, epoch) as u64));
        if let Some(b) = &bar {
            b.reset();
            b.set_message(format!("epoch {epoch}/{}", config.epochs));
        }
        let (mut sum, mut weight) = (0.0, 0.0);
        for batch in order.chunks(config.batch_size) {
            opt.zero_grad();
            let BatchLoss { loss, weight: w } = objective.batch_loss(Split::Train, batch, true);
            loss.backward();
            if let Some(max) = config.grad_clip {
                opt.clip_grad_norm(max);
            }
            opt.step();
            let l = loss.double_value(&[]);
            sum += l * w;
            weight += w;
            if let Some(b) = &bar {
                b.inc(batch.len() as u64);
                b.set_message(format!("epoch {epoch}/{} loss {:.4e}", config.epochs, sum / weight));
            }
        }
        let train_loss = sum / weight;
        if !train_loss.is_finite() {
            return Err(TrainError::NotFinite { epoch, loss: train_loss });
        }
        let valid_loss = validate(objective);
        let seconds = start.elapsed().as_secs_f64();
        tracing::debug!(
            "epoch {epoch}: train loss {train_loss:.6e}, validation loss {valid_loss:.6e}, lr {:.3e}, {:.1} s",
            opt.lr,
            seconds
        );
        state.history.push(EpochMetrics {
            epoch,
            train_loss,
            valid_loss,
            lr: opt.lr,
            events_per_s: n_train as f64 / seconds,
            seconds,
        });
        // Best model and early stopping on the validation loss (the training loss without one).
        // Non-selectable (warm-up) epochs are left out of all three.
        let monitored = objective.monitored(epoch).unwrap_or(if valid_loss.is_nan() { train_loss } else { valid_loss });
        let selectable = objective.selectable(epoch);
        let improved = selectable && (state.best_valid.is_nan() || monitored < state.best_valid);
        if improved {
            state.best_valid = monitored;
            state.best_epoch = epoch;
            state.since_best = 0;
        } else if selectable {
            state.since_best += 1;
        }
        if lr_override.is_none() {
            apply_schedule(config.schedule, &mut opt, &mut state, epoch, monitored, selectable);
        }
        if config.early_stopping.is_some_and(|p| state.since_best >= p) {
            state.stopped_early = true;
        }
        state.since_best_history.push(state.since_best);
        objective.end_epoch(epoch, state.since_best);
        state.epochs_done = epoch;
        if let Some(dir) = &options.dir {
            save_checkpoint(dir, vs, &opt, &state, improved)?;
        }
        if let Some(b) = &bar {
            b.println(format!(
                "epoch {epoch}: train {train_loss:.5e} valid {valid_loss:.5e} lr {:.2e} {:.0} events/s",
                opt.lr,
                n_train as f64 / seconds
            ));
        }
        epochs_this_call += 1;
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(TrainReport {
        history: state.history,
        best_epoch: state.best_epoch,
        best_valid: state.best_valid,
        stopped_early: state.stopped_early,
        resumed,
    })
}

/// Weighted mean validation loss in evaluation mode (NaN without validation events).
fn validate(objective: &mut dyn Objective) -> f64 {
    let n = objective.valid_len();
    if n == 0 {
        return f64::NAN;
    }
    let idx: Vec<usize> = (0..n).collect();
    let (mut sum, mut weight) = (0.0, 0.0);
    tch::no_grad(|| {
        for batch in idx.chunks(4096) {
            let BatchLoss { loss, weight: w } = objective.batch_loss(Split::Valid, batch, false);
            sum += loss.double_value(&[]) * w;
            weight += w;
        }
    });
    sum / weight
}

/// The loop's schedule after epoch `epoch`; the step schedule counts every epoch, the plateau
/// schedule only `selectable` ones.
fn apply_schedule(
    schedule: Schedule,
    opt: &mut Adam,
    state: &mut State,
    epoch: usize,
    monitored: f64,
    selectable: bool,
) {
    match schedule {
        Schedule::Constant => {}
        Schedule::Step { every, gamma } => {
            if epoch % every == 0 {
                opt.lr *= gamma;
            }
        }
        Schedule::Plateau { .. } if !selectable => {}
        Schedule::Plateau { factor, patience, min_lr } => {
            if state.plateau_best.is_nan() || monitored < state.plateau_best * (1.0 - 1e-4) {
                state.plateau_best = monitored;
                state.plateau_wait = 0;
            } else {
                state.plateau_wait += 1;
                if state.plateau_wait > patience {
                    opt.lr = (opt.lr * factor).max(min_lr);
                    state.plateau_wait = 0;
                }
            }
        }
    }
}

fn progress_bar(config: &TrainConfig, n: usize) -> Option<indicatif::ProgressBar> {
    if !config.progress {
        return None;
    }
    let bar = indicatif::ProgressBar::new(n as u64);
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} events {per_sec} eta {eta}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

const STATE: &str = "train-state.json";

/// Writes `bytes` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let io = |source| TrainError::Io { path: path.to_owned(), source };
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Saves the epoch: weights and optimizer into a fresh `last-<epoch>/`, the best weights if
/// improved, the metrics, then the state (the commit point) naming that directory; older
/// `last-*` directories are removed afterwards.
fn save_checkpoint(dir: &Path, vs: &VarStore, opt: &Adam, state: &State, improved: bool) -> Result<(), TrainError> {
    let last = dir.join(format!("last-{}", state.epochs_done));
    std::fs::create_dir_all(&last).map_err(|source| TrainError::Io { path: last.clone(), source })?;
    weights::save(vs, &last.join("weights.safetensors"))?;
    let opt_path = last.join("optimizer.safetensors");
    let tmp = last.join("optimizer.tmp.safetensors");
    Tensor::write_safetensors(&opt.state_tensors(), &tmp)
        .map_err(|e| TrainError::Checkpoint { path: tmp.clone(), message: e.to_string() })?;
    std::fs::rename(&tmp, &opt_path).map_err(|source| TrainError::Io { path: opt_path.clone(), source })?;
    if improved {
        weights::save(vs, &dir.join("best.safetensors"))?;
    }
    write_atomic(&dir.join("metrics.csv"), metrics_csv(&state.history).as_bytes())?;
    let json = serde_json::to_string_pretty(state)
        .map_err(|e| TrainError::Checkpoint { path: dir.join(STATE), message: e.to_string() })?;
    write_atomic(&dir.join(STATE), json.as_bytes())?;
    // Older checkpoints are no longer referenced.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("last-") && e.path() != last {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(())
}

fn load_checkpoint(dir: &Path, vs: &mut VarStore, opt: &mut Adam) -> Result<State, TrainError> {
    let path = dir.join(STATE);
    let text = std::fs::read_to_string(&path).map_err(|source| TrainError::Io { path: path.clone(), source })?;
    let state: State = serde_json::from_str(&text).map_err(|e| TrainError::Checkpoint {
        path: path.clone(),
        message: format!("unreadable training state: {e}"),
    })?;
    let last = dir.join(format!("last-{}", state.epochs_done));
    weights::load(vs, &last.join("weights.safetensors"))?;
    let opt_path = last.join("optimizer.safetensors");
    let tensors = Tensor::read_safetensors(&opt_path)
        .map_err(|e| TrainError::Checkpoint { path: opt_path.clone(), message: e.to_string() })?;
    opt.load_state(tensors).map_err(|message| TrainError::Checkpoint { path: opt_path, message })?;
    Ok(state)
}

/// JSON has no NaN: "not yet known" is written as null.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() { s.serialize_f64(*v) } else { s.serialize_none() }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// `metrics.csv`: one row per epoch.
pub fn metrics_csv(history: &[EpochMetrics]) -> String {
    let mut s = String::from("epoch,train_loss,valid_loss,lr,events_per_s,seconds\n");
    for m in history {
        let valid = if m.valid_loss.is_nan() { String::new() } else { format!("{:e}", m.valid_loss) };
        s.push_str(&format!(
            "{},{:e},{valid},{:e},{:.1},{:.3}\n",
            m.epoch, m.train_loss, m.lr, m.events_per_s, m.seconds
        ));
    }
    s
}
