//! DeepSVDD end to end on synthetic events: a clearly separable signal (boosted objects, large
//! MET) reaches an AUC floor with the MLP and with the ParT+SM; the run directory reloads to
//! the same scores.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_core::{EventHeader, EventTable, ObjectKind};
use oddity_detect::run::{RunConfig, TrainedRun, train_run};

/// A small deterministic pseudo-random generator (xorshift), so the data need no RNG crate.
struct Xs(u64);
impl Xs {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` events; `scale` multiplies pT and MET (1 for background, ~4 for the signal).
fn events(n: usize, scale: f64, seed: u64) -> EventTable {
    let mut r = Xs(seed);
    let mut t = EventTable::new();
    for i in 0..n {
        let met = scale * (50.0 + 100.0 * r.next());
        let h = EventHeader {
            event_id: i as i64,
            process: "p",
            weight: 0.5 + r.next(),
            met,
            met_phi: 6.0 * r.next() - 3.0,
            source_line: i as u64 + 1,
        };
        t.push_event(h);
        let jets = 2 + (3.0 * r.next()) as usize;
        for k in 0..jets {
            let pt = scale * (80.0 + 200.0 * r.next()) / (1.0 + k as f64);
            let eta = 4.0 * r.next() - 2.0;
            let kind = if r.next() < 0.2 { ObjectKind::BJet } else { ObjectKind::Jet };
            t.push_object(kind, pt * f64::cosh(eta) * 1.01, pt, eta, 6.0 * r.next() - 3.0);
        }
    }
    t
}

/// Mann-Whitney AUC with ties counted half (unweighted).
fn auc(bkg: &[f64], sig: &[f64]) -> f64 {
    let mut wins = 0.0;
    for s in sig {
        for b in bkg {
            wins += if s > b {
                1.0
            } else if s == b {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (bkg.len() * sig.len()) as f64
}

fn check(toml: &str, floor: f64) {
    let dir = tempfile::tempdir().unwrap();
    let config = RunConfig::from_toml(toml, "test.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let background = events(1500, 1.0, 1);
    let outcome = train_run(&config, &background, dir.path()).unwrap();
    let signal = events(300, 4.0, 2);
    let sb = outcome.run.score(&outcome.test).unwrap();
    let ss = outcome.run.score(&signal).unwrap();
    let a = auc(&sb, &ss);
    assert!(a >= floor, "AUC {a} below {floor}");
    // Reloading the run directory gives the same scores.
    let loaded = TrainedRun::load(dir.path(), Some("cpu")).unwrap();
    assert_eq!(loaded.score(&signal).unwrap(), ss);
    for f in ["config.resolved.toml", "preprocess.json", "manifest.json", "model/deep-svdd.json"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
}

#[test]
fn mlp_ensemble_separates_a_boosted_signal() {
    check(
        r#"
[representation]
kind = "fixed"
slots = { slots = "per-type", counts = [5, 5, 1, 1, 1, 1, 0] }
[model]
kind = "mlp"
[detector]
kind = "deep-svdd"
rep_dims = [4, 8]
[train]
epochs = 8
batch_size = 128
seed = 3
optimizer = { lr = 1e-3, weight_decay = 5e-6 }
"#,
        0.9,
    );
}

#[test]
fn part_sm_separates_a_boosted_signal() {
    check(
        r#"
[representation]
kind = "particles"
max_particles = 8
pairs = { set = "delta-mass" }
sm = "running"
[model]
kind = "part"
embed_dims = [16, 32, 16]
pair_embed_dims = [8, 8]
num_heads = 2
num_layers = 1
num_cls_layers = 1
fc_dims = [16]
aux_dims = [8]
dropout = 0.0
attn_dropout = 0.0
activation_dropout = 0.0
fc_dropout = 0.0
[detector]
kind = "deep-svdd"
rep_dims = [8]
[train]
epochs = 4
batch_size = 128
seed = 3
optimizer = { lr = 1e-3 }
"#,
        0.9,
    );
}
