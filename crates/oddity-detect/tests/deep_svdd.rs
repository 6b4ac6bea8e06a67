//! DeepSVDD end to end on synthetic events: a clearly separable signal (boosted objects, large
//! MET) reaches an AUC floor with the MLP and with the ParT+SM; the run directory reloads to
//! the same scores.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_detect::run::{RunConfig, TrainedRun, train_run};

mod common;

use common::{SMALL_PART_SM, auc, events};

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
        &format!(
            r#"{SMALL_PART_SM}
[detector]
kind = "deep-svdd"
rep_dims = [8]
[train]
epochs = 4
batch_size = 128
seed = 3
optimizer = {{ lr = 1e-3 }}
"#
        ),
        0.9,
    );
}

#[test]
fn soft_boundary_learns_a_radius_and_separates() {
    let toml = r#"
[representation]
kind = "fixed"
[model]
kind = "mlp"
[detector]
kind = "deep-svdd"
rep_dims = [4]
objective = "soft-boundary"
nu = 0.1
warm_up = 2
[train]
epochs = 8
batch_size = 128
seed = 3
optimizer = { lr = 1e-3, weight_decay = 5e-6 }
"#;
    let dir = tempfile::tempdir().unwrap();
    let config = RunConfig::from_toml(toml, "test.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let background = events(1500, 1.0, 1);
    let outcome = train_run(&config, &background, dir.path()).unwrap();
    let radius = outcome.report.members[0]["radius"].as_f64().unwrap();
    assert!(radius > 0.0, "R stays 0 after the warm-up");
    // Scores are d² − R²: most background events (about 1 − ν) lie inside the sphere.
    let sb = outcome.run.score(&outcome.test).unwrap();
    let inside = sb.iter().filter(|s| **s <= 0.0).count() as f64 / sb.len() as f64;
    assert!((0.6..=1.0).contains(&inside), "{inside} of the test background inside R");
    let ss = outcome.run.score(&events(300, 4.0, 2)).unwrap();
    let a = auc(&sb, &ss);
    assert!(a >= 0.9, "AUC {a}");
    // The radius is saved with the model and the history beside the checkpoints.
    let loaded = TrainedRun::load(dir.path(), Some("cpu")).unwrap();
    assert_eq!(loaded.score(&outcome.test).unwrap(), sb);
    assert!(dir.path().join("checkpoints/d4/soft-radius.json").is_file());
}
