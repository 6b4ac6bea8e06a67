//! The normalising-flow detector end to end on synthetic events: trained by maximum
//! likelihood on the "efficient" vector it separates a boosted signal (AUC floor), its
//! validation NLL falls below the untrained base density's, and the run directory reloads to
//! the same scores.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_detect::run::{RunConfig, TrainedRun, train_run};

mod common;

use common::{auc, events};

const SMALL_FLOW: &str = r#"
[representation]
kind = "efficient"
[detector]
kind = "flow"
[detector.flow]
layers = 2
hidden = [32, 32]
[detector.flow.spline]
bins = 8
[train]
epochs = 6
batch_size = 128
seed = 3
optimizer = { lr = 3e-3 }
"#;

#[test]
fn flow_separates_a_boosted_signal_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let config = RunConfig::from_toml(SMALL_FLOW, "test.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let background = events(1500, 1.0, 1);
    let outcome = train_run(&config, &background, dir.path()).unwrap();
    let signal = events(300, 4.0, 2);
    let sb = outcome.run.score(&outcome.test).unwrap();
    let ss = outcome.run.score(&signal).unwrap();
    assert!(sb.iter().chain(&ss).all(|s| s.is_finite()));
    let a = auc(&sb, &ss);
    assert!(a >= 0.95, "AUC {a} below 0.95");
    // Learning happened: the best validation NLL is below the first epoch's.
    let member = &outcome.report.members[0];
    assert_eq!(member["features"], 53);
    assert_eq!(member["dequantized_columns"], 7);
    let metrics = std::fs::read_to_string(dir.path().join("checkpoints/flow/metrics.csv")).unwrap();
    let valid: Vec<f64> = metrics.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().parse().unwrap()).collect();
    let best = member["best_valid_nll"].as_f64().unwrap();
    assert!(best < valid[0] - 1.0, "validation NLL {valid:?}, best {best}");
    // Reloading the run directory gives the same scores.
    let loaded = TrainedRun::load(dir.path(), Some("cpu")).unwrap();
    assert_eq!(loaded.score(&signal).unwrap(), ss);
    for f in ["config.resolved.toml", "preprocess.json", "manifest.json", "model/flow.json", "model/flow.safetensors"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
}

#[test]
fn flow_config_errors_name_the_setting() {
    let bad = SMALL_FLOW.replace("bins = 8", "bins = 0");
    let err = RunConfig::from_toml(&bad, "f.toml", &[]).unwrap_err().to_string();
    assert!(err.contains("detector.flow") && err.contains("bins"), "{err}");
    let particles = "[representation]\nkind = \"particles\"\n[model]\nkind = \"part\"\n[detector]\nkind = \"flow\"\n";
    let config = RunConfig::from_toml(particles, "p.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = train_run(&config, &events(200, 1.0, 1), dir.path()).unwrap_err().to_string();
    assert!(err.contains("flat feature vector"), "{err}");
}
