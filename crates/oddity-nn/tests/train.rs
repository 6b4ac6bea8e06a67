//! The training loop: bitwise reproducibility on CPU, exact resume after an interruption,
//! early stopping, schedules and the files a run writes.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_nn::optim::AdamConfig;
use oddity_nn::train::{BatchLoss, Objective, RunOptions, Schedule, Split, TrainConfig, train};
use oddity_nn::{Mlp, MlpConfig};
use tch::nn::VarStore;
use tch::{Device, Kind, Tensor};

/// Weighted regression of a fixed nonlinear target with an MLP (dropout on, so the loop's
/// reseeding of libtorch's generator matters).
struct Regression {
    model: Mlp,
    x: [Tensor; 2],
    y: [Tensor; 2],
    w: [Tensor; 2],
}

impl Regression {
    fn new(vs: &VarStore) -> Self {
        tch::manual_seed(7);
        let make = |n: i64| {
            let x = Tensor::randn([n, 6], (Kind::Float, Device::Cpu));
            let y = (x.sin().sum_dim_intlist(1, true, Kind::Float) * 0.5).tanh();
            let w = Tensor::rand([n], (Kind::Float, Device::Cpu)).exp();
            (x, y, w)
        };
        let (xt, yt, wt) = make(300);
        let (xv, yv, wv) = make(100);
        let config = MlpConfig { input_dim: 6, hidden: vec![16, 8], out_dim: 1, dropout: 0.2, ..MlpConfig::default() };
        Self { model: Mlp::new(&vs.root(), &config), x: [xt, xv], y: [yt, yv], w: [wt, wv] }
    }
}

impl Objective for Regression {
    fn train_len(&self) -> usize {
        self.x[0].size()[0] as usize
    }
    fn valid_len(&self) -> usize {
        self.x[1].size()[0] as usize
    }
    fn batch_loss(&mut self, split: Split, indices: &[usize], train: bool) -> BatchLoss {
        let s = usize::from(split == Split::Valid);
        let idx = Tensor::from_slice(&indices.iter().map(|&i| i as i64).collect::<Vec<_>>());
        let (x, y, w) =
            (self.x[s].index_select(0, &idx), self.y[s].index_select(0, &idx), self.w[s].index_select(0, &idx));
        let per_event = (self.model.forward_t(&x, train) - y).square().squeeze_dim(1);
        let sw = w.sum(Kind::Float);
        BatchLoss { loss: (per_event * &w).sum(Kind::Float) / &sw, weight: sw.double_value(&[]) }
    }
}

fn config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 64,
        optimizer: AdamConfig { lr: 3e-3, ..AdamConfig::default() },
        schedule: Schedule::Plateau { factor: 0.5, patience: 1, min_lr: 1e-5 },
        early_stopping: None,
        grad_clip: Some(5.0),
        seed: 11,
        progress: false,
    }
}

/// libtorch's random generator is global to the process: tests in this binary that train
/// take turns (nextest runs each test in its own process anyway).
static TORCH_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Trains from scratch; returns the final weights by name.
fn run(epochs: usize, options: &RunOptions) -> (Vec<(String, Tensor)>, oddity_nn::train::TrainReport) {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    tch::set_num_threads(1);
    let mut vs = VarStore::new(Device::Cpu);
    let mut obj = Regression::new(&vs);
    let report = train(&mut vs, &mut obj, &config(epochs), options).unwrap();
    let mut w: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    (w, report)
}

fn assert_same(a: &[(String, Tensor)], b: &[(String, Tensor)]) {
    assert_eq!(a.len(), b.len());
    for ((na, ta), (nb, tb)) in a.iter().zip(b) {
        assert_eq!(na, nb);
        assert!(ta.equal(tb), "{na} differs");
    }
}

#[test]
fn seeded_runs_are_bitwise_identical_and_learn() {
    let (a, ra) = run(6, &RunOptions::default());
    let (b, rb) = run(6, &RunOptions::default());
    assert_same(&a, &b);
    assert_eq!(
        ra.history.iter().map(|m| m.train_loss).collect::<Vec<_>>(),
        rb.history.iter().map(|m| m.train_loss).collect::<Vec<_>>()
    );
    let first = ra.history[0].valid_loss;
    assert!(ra.best_valid < first, "validation loss did not improve: {first} -> {}", ra.best_valid);
}

#[test]
fn resume_after_interruption_gives_the_uninterrupted_result() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let (a, ra) = run(5, &RunOptions { dir: Some(whole.clone()), ..RunOptions::default() });
    let cut = dir.path().join("cut");
    let (_, rc) = run(5, &RunOptions { dir: Some(cut.clone()), resume: true, stop_after: Some(2) });
    assert_eq!(rc.history.len(), 2);
    // A fresh process would rebuild the model from scratch and resume from the checkpoint.
    let (b, rb) = run(5, &RunOptions { dir: Some(cut.clone()), resume: true, stop_after: None });
    assert!(rb.resumed);
    assert_same(&a, &b);
    // The same losses and learning rates epoch by epoch (timings differ).
    let losses = |r: &oddity_nn::train::TrainReport| {
        r.history.iter().map(|m| (m.epoch, m.train_loss, m.valid_loss, m.lr)).collect::<Vec<_>>()
    };
    assert_eq!(losses(&ra), losses(&rb));
    // Files of a run: best weights, metrics with a row per epoch, one last checkpoint.
    for d in [&whole, &cut] {
        assert!(d.join("best.safetensors").exists());
        let csv = std::fs::read_to_string(d.join("metrics.csv")).unwrap();
        assert_eq!(csv.lines().count(), 6, "{csv}");
        let lasts: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("last-"))
            .collect();
        assert_eq!(lasts.len(), 1);
        assert!(!std::fs::read_dir(d).unwrap().flatten().any(|e| e.file_name().to_string_lossy().contains("tmp")));
    }
}

/// An objective whose loss never changes: early stopping ends it after `patience` epochs.
struct Flat(Tensor);

impl Objective for Flat {
    fn train_len(&self) -> usize {
        10
    }
    fn valid_len(&self) -> usize {
        10
    }
    fn batch_loss(&mut self, _: Split, indices: &[usize], _: bool) -> BatchLoss {
        BatchLoss { loss: (&self.0 * 0.0).sum(Kind::Float) + 1.0, weight: indices.len() as f64 }
    }
}

#[test]
fn early_stopping_and_plateau_schedule() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut vs = VarStore::new(Device::Cpu);
    let p = vs.root().zeros("p", &[1]);
    let mut obj = Flat(p);
    let cfg = TrainConfig {
        epochs: 50,
        early_stopping: Some(3),
        schedule: Schedule::Plateau { factor: 0.5, patience: 0, min_lr: 0.0 },
        ..config(50)
    };
    let r = train(&mut vs, &mut obj, &cfg, &RunOptions::default()).unwrap();
    assert!(r.stopped_early);
    assert_eq!(r.history.len(), 4, "best at epoch 1, then three epochs without improvement");
    assert_eq!(r.best_epoch, 1);
    let lrs: Vec<f64> = r.history.iter().map(|m| m.lr).collect();
    assert_eq!(lrs, vec![3e-3, 3e-3, 1.5e-3, 7.5e-4]);
}

/// A flat objective with its own learning rates and two warm-up epochs that take no part in
/// model selection.
struct WarmUp(Tensor);

impl Objective for WarmUp {
    fn train_len(&self) -> usize {
        10
    }
    fn valid_len(&self) -> usize {
        10
    }
    fn epoch_lr(&self, epoch: usize, base_lr: f64) -> Option<f64> {
        Some(base_lr / epoch as f64)
    }
    fn selectable(&self, epoch: usize) -> bool {
        epoch > 2
    }
    fn batch_loss(&mut self, _: Split, indices: &[usize], _: bool) -> BatchLoss {
        BatchLoss { loss: (&self.0 * 0.0).sum(Kind::Float) + 1.0, weight: indices.len() as f64 }
    }
}

#[test]
fn objective_learning_rates_and_warm_up_epochs() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut vs = VarStore::new(Device::Cpu);
    let p = vs.root().zeros("p", &[1]);
    let mut obj = WarmUp(p);
    let dir = tempfile::tempdir().unwrap();
    // The plateau schedule is overridden by the objective's rates.
    let cfg = TrainConfig {
        early_stopping: Some(2),
        schedule: Schedule::Plateau { factor: 0.5, patience: 0, min_lr: 0.0 },
        ..config(50)
    };
    let options = RunOptions { dir: Some(dir.path().to_owned()), ..RunOptions::default() };
    let r = train(&mut vs, &mut obj, &cfg, &options).unwrap();
    // Warm-up epochs 1-2 neither become the best nor count towards early stopping.
    assert_eq!(r.best_epoch, 3);
    assert!(r.stopped_early);
    assert_eq!(r.history.len(), 5);
    let lrs: Vec<f64> = r.history.iter().map(|m| m.lr).collect();
    assert_eq!(lrs, (1..=5).map(|e| 3e-3 / e as f64).collect::<Vec<_>>());
    assert!(dir.path().join("best.safetensors").exists());
}
