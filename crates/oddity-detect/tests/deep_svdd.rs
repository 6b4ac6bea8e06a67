//! DeepSVDD end to end on synthetic events: a clearly separable signal (boosted objects, large
//! MET) reaches an AUC floor with the MLP and with the ParT+SM; the run directory reloads to
//! the same scores.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_detect::run::{RunConfig, TrainedRun, train_run};

mod common;

use common::{auc, events};

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
