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

/// The numbers of `bench/RESULTS-flow.md`: `examples/flow-efficient.toml` trained on the
/// embedded background (80 % train split), scored on its test split and on the three embedded
/// signals, with the weighted AUC and eS at eB = 1e-2 printed per signal. `--set` overrides
/// come from `ODDITY_FLOW_SETS` (separated by `;`). Minutes on 2 cores:
/// `cargo test -p oddity-detect --test flow -- --ignored --nocapture`.
#[test]
#[ignore = "minutes of training on the embedded sample"]
fn embedded_sample_auc_and_signal_efficiency() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |name: &str| {
        let path = root.join("data").join(name);
        oddity_io::CsvReader::read_all(&path, oddity_io::ReadOptions::default()).unwrap().0
    };
    let sets: Vec<String> = std::env::var("ODDITY_FLOW_SETS")
        .unwrap_or_default()
        .split(';')
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let config = RunConfig::load(&root.join("examples/flow-efficient.toml"), &sets).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    let outcome = train_run(&config, &read("background_chan3.csv.gz"), dir.path()).unwrap();
    println!("trained in {:.1} s: {}", start.elapsed().as_secs_f64(), outcome.report.members[0]);
    let test = &outcome.test;
    let sb = outcome.run.score(test).unwrap();
    let sw: f64 = test.weight.iter().sum();
    let ess = sw * sw / test.weight.iter().map(|w| w * w).sum::<f64>();
    println!("background test split: {} events, effective {ess:.0}", test.len());
    for signal in ["gluino_1400_neutralino_800", "zprime_ttbar_2000", "excited_quark_zvv_2500"] {
        let events = read(&format!("{signal}_chan3.csv.gz"));
        let ss = outcome.run.score(&events).unwrap();
        let scores: Vec<f64> = sb.iter().chain(&ss).copied().collect();
        let labels: Vec<bool> = (0..scores.len()).map(|i| i >= sb.len()).collect();
        let weights: Vec<f64> = test.weight.iter().chain(&events.weight).copied().collect();
        let sample = oddity_eval::ScoredSample::new(&scores, &labels, Some(&weights)).unwrap();
        let ev = oddity_eval::evaluate(&sample, &[1e-2]).unwrap();
        println!("| {signal} | {:.3} | {:.3} |", ev.auc, ev.working_points[0].es);
    }
}
