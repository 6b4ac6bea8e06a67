//! DROCC (physics-spec §7.2): the projection onto the shell, the masks of the perturbed space,
//! the EdgeML learning-rate schedule, and end to end on synthetic events (a boosted signal
//! with large MET) with the MLP and the ParT; the run directory reloads to the same scores.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_detect::Trained;
use oddity_detect::detectors::drocc::{Drocc, edgeml_lr, event_norm, project_to_shell};
use oddity_detect::features::Inputs;
use oddity_detect::run::{RunConfig, TrainExtras, TrainOutcome, TrainedRun, train_run, train_run_with};
use tch::{Device, Kind, Tensor};

mod common;

use common::{SMALL_PART_SM, auc, events};

/// libtorch's random generator is global to the process: tests of this binary that train
/// take turns (nextest runs each test in its own process anyway).
static TORCH_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn projection_puts_every_point_on_the_shell() {
    let (r, gamma) = (0.7, 2.0);
    // Two parts per event ([B, 3] and [B, 2, 2]); event 0 has h = 0, event 1 a tiny h,
    // event 2 an h inside the ball, event 3 one far outside, event 4 one already on the shell.
    let x = [Tensor::randn([5, 3], (Kind::Float, Device::Cpu)), Tensor::randn([5, 2, 2], (Kind::Float, Device::Cpu))];
    let mask = [
        Tensor::from_slice(&[1.0f32, 1.0, 0.0]).repeat([5, 1]),
        Tensor::from_slice(&[1.0f32, 0.0, 1.0, 1.0]).reshape([1, 2, 2]).repeat([5, 1, 1]),
    ];
    let scale = Tensor::from_slice(&[0.0f32, 1e-14, 0.05, 40.0, 1.0]);
    let h: Vec<Tensor> = mask.iter().map(|m| Tensor::randn(m.size(), (Kind::Float, Device::Cpu)) * m).collect();
    let hn = event_norm(&h);
    let h: Vec<Tensor> = h
        .iter()
        .map(|t| {
            let mut s = vec![1i64; t.dim()];
            s[0] = -1;
            t * (&scale / &hn).reshape(s.as_slice())
        })
        .collect();
    // Event 4: exactly 1.0 = inside [0.7, 1.4].
    let adv: Vec<Tensor> = x.iter().zip(&h).map(|(x, h)| x + h).collect();
    let projected = project_to_shell(&x, &adv, &mask, r, gamma);
    let h: Vec<Tensor> = projected.iter().zip(&x).map(|(a, x)| a - x).collect();
    let norms: Vec<f32> = event_norm(&h).try_into().unwrap();
    for (i, n) in norms.iter().enumerate() {
        let n = f64::from(*n);
        assert!(n >= r * (1.0 - 1e-5) && n <= gamma * r * (1.0 + 1e-5), "event {i}: |h| = {n}");
    }
    assert!((f64::from(norms[4]) - 1.0).abs() < 1e-5, "a point on the shell stays put");
    // The projection moves only perturbable coordinates, the h = 0 fallback included.
    for (h, m) in h.iter().zip(&mask) {
        let off = (h * (m.ones_like() - m)).abs().max().double_value(&[]);
        assert_eq!(off, 0.0);
    }
}

#[test]
fn edgeml_schedule_boundaries() {
    // 100 epochs, 50 CE-only: D = 50, steps after e' = 15, 30, 45 (0-based epochs).
    let lr = |e| edgeml_lr(e, 100, 50, 1e-3);
    for e in [0, 49, 50, 65] {
        assert_eq!(lr(e), 1e-3, "epoch {e}");
    }
    assert_eq!(lr(66), 1e-4);
    assert_eq!(lr(80), 1e-4);
    assert_eq!(lr(81), 1e-5);
    assert_eq!(lr(95), 1e-5);
    assert_eq!(lr(96), 1e-6);
    assert_eq!(lr(99), 1e-6);
    // Without warm-up, 10 epochs: 0-3 → lr0, 4-6 → 0.1, 7-9 → 0.01 (9 > 0.9·10 is false).
    let lrs: Vec<f64> = (0..10).map(|e| edgeml_lr(e, 10, 0, 1.0)).collect();
    assert_eq!(lrs, vec![1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01]);
}

/// Trains `toml` on synthetic background; returns the outcome and the AUC on the boosted
/// signal, after checking that reloading the run directory gives the same scores.
fn train_and_check(toml: &str, dir: &std::path::Path) -> (TrainOutcome, f64) {
    tch::set_num_threads(1);
    let config = RunConfig::from_toml(toml, "test.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let background = events(1500, 1.0, 1);
    let outcome = train_run(&config, &background, dir).unwrap();
    let signal = events(300, 4.0, 2);
    let sb = outcome.run.score(&outcome.test).unwrap();
    let ss = outcome.run.score(&signal).unwrap();
    assert!(sb.iter().chain(&ss).all(|s| s.is_finite()));
    // Reloading the run directory gives the same scores.
    let loaded = TrainedRun::load(dir, Some("cpu")).unwrap();
    assert_eq!(loaded.score(&signal).unwrap(), ss);
    for f in ["config.resolved.toml", "preprocess.json", "manifest.json", "model/drocc.json", "model/model.safetensors"]
    {
        assert!(dir.join(f).exists(), "{f}");
    }
    let a = auc(&sb, &ss);
    (outcome, a)
}

/// The adversarial search of the trained detector on test events moves only perturbable
/// coordinates and ends on the shell (the step count is a multiple of `project_every`).
fn check_search(outcome: &TrainOutcome) {
    let Trained::Drocc(d) = &outcome.run.detector else { panic!("a DROCC detector") };
    let d: &Drocc = d;
    let run = &outcome.run;
    let inputs = Inputs::new(&run.config.representation, &run.standardizer, &outcome.test, Device::Cpu).unwrap();
    let batch = inputs.select(&(0..64).collect::<Vec<_>>());
    tch::manual_seed(5);
    let adv = d.adversarial(&batch);
    let p = d.perturbable(&batch);
    let h: Vec<Tensor> = adv.iter().zip(&p.x).map(|(a, x)| a - x).collect();
    for (h, m) in h.iter().zip(&p.mask) {
        assert_eq!((h * (m.ones_like() - m)).abs().max().double_value(&[]), 0.0, "a masked coordinate moved");
    }
    let norms: Vec<f32> = event_norm(&h).try_into().unwrap();
    let r = d.radius();
    assert!(r > 0.0);
    for n in norms {
        let n = f64::from(n);
        assert!(n >= r * (1.0 - 1e-4) && n <= 2.0 * r * (1.0 + 1e-4), "|h| = {n}, r = {r}");
    }
}

#[test]
fn mlp_drocc_separates_a_boosted_signal() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let (outcome, a) = train_and_check(
        r#"
[representation]
kind = "fixed"
slots = { slots = "per-type", counts = [5, 5, 1, 1, 1, 1, 0] }
[model]
kind = "mlp"
[detector]
kind = "drocc"
only_ce_epochs = 2
ascent_num_steps = 10
project_every = 5
[train]
epochs = 20
batch_size = 128
seed = 3
optimizer = { lr = 1e-2 }
"#,
        dir.path(),
    );
    // Measured 0.979-0.993 over train seeds 1-6.
    eprintln!("MLP DROCC AUC {a}");
    assert!(a >= 0.95, "AUC {a} below 0.95");
    // Type columns and empty slots are masked.
    let Trained::Drocc(d) = &outcome.run.detector else { panic!("a DROCC detector") };
    let run = &outcome.run;
    let inputs = Inputs::new(&run.config.representation, &run.standardizer, &outcome.test, Device::Cpu).unwrap();
    let b = inputs.select(&[0, 1, 2]);
    let p = d.perturbable(&b);
    let (x, m) = (&p.x[0], &p.mask[0]);
    assert_eq!(m.narrow(1, 0, 14).sum(Kind::Float).double_value(&[]), 0.0, "type columns are fixed");
    assert_eq!(m.narrow(1, 14, 2).sum(Kind::Float).double_value(&[]), 6.0, "MET columns move");
    let filled = x.narrow(1, 0, 14).ne(0.0).to_kind(Kind::Float).repeat_interleave_self_int(4, 1, None);
    assert!(m.narrow(1, 16, 56).equal(&filled), "slot features move iff the slot is filled");
    check_search(&outcome);
}

#[test]
fn part_drocc_trains_and_scores() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let (outcome, a) = train_and_check(
        &format!(
            r#"{SMALL_PART_SM}
[detector]
kind = "drocc"
only_ce_epochs = 1
ascent_num_steps = 4
project_every = 2
[train]
epochs = 8
batch_size = 128
seed = 3
optimizer = {{ lr = 3e-3 }}
"#
        ),
        dir.path(),
    );
    // Measured 0.995-1.0 over train seeds 1-5.
    eprintln!("ParT DROCC AUC {a}");
    assert!(a >= 0.95, "AUC {a} below 0.95");
    check_search(&outcome);
}

/// Signal-assisted model selection: with `val_signals` the kept epoch is the one with the best
/// validation-signal AUC, and the fit summary says so; without the signal events the run
/// refuses to start.
#[test]
fn val_signals_select_by_signal_auc_and_are_declared() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let toml = r#"
[representation]
kind = "fixed"
[model]
kind = "mlp"
[detector]
kind = "drocc"
only_ce_epochs = 1
ascent_num_steps = 5
project_every = 5
val_signals = ["validation-signals.csv"]
[train]
epochs = 6
batch_size = 128
seed = 5
optimizer = { lr = 1e-2 }
"#;
    let config = RunConfig::from_toml(toml, "test.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let background = events(1500, 1.0, 1);
    let dir = tempfile::tempdir().unwrap();
    let err = train_run(&config, &background, dir.path()).unwrap_err().to_string();
    assert!(err.contains("val_signals"), "{err}");
    let validation_signals = events(200, 4.0, 9);
    let dir = tempfile::tempdir().unwrap();
    let outcome = train_run_with(
        &config,
        &background,
        &TrainExtras { val_signals: Some(&validation_signals), ..TrainExtras::default() },
        dir.path(),
    )
    .unwrap();
    let member = &outcome.report.members[0];
    assert_eq!(member["model_selection"], "signal-assisted: 1 - AUC(validation background, val_signals)");
    assert!(outcome.report.warnings.iter().any(|w| w.contains("signal-assisted")));
    // The monitored figure is 1 − AUC: the best one lies in [0, 1] and the kept epoch is
    // past the CE-only warm-up.
    let best = member["best_valid_loss"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&best), "{best}");
    assert!(member["best_epoch"].as_u64().unwrap() >= 2);
    let manifest = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    assert!(manifest.contains("signal-assisted"));
}
