//! DDD end to end on synthetic events: the calibration trains one discriminator per grid
//! point, its validation AUC grows with the distortion (and is ~0.5 without any), the
//! ensemble is the points closest to the target, the history is saved, the run reloads to the
//! same scores, and a signal made of strongly distorted events (MET no longer balancing the
//! visible objects) scores higher than the background.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_detect::detectors::ddd::CalibrationPoint;
use oddity_detect::run::{RunConfig, TrainedRun, train_run};
use oddity_repr::distort::{DistortConfig, distort};

mod common;

use common::{SMALL_PART_SM, auc, balanced_events};

/// Trains `toml` on synthetic background; returns the calibration history and the AUC of the
/// boosted signal against the test background.
fn run(toml: &str) -> (Vec<CalibrationPoint>, f64) {
    let dir = tempfile::tempdir().unwrap();
    let config = RunConfig::from_toml(toml, "test.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let background = balanced_events(3000, 0.0, 11);
    let outcome = train_run(&config, &background, dir.path()).unwrap();
    // A signal that looks like a strong distortion of the background (mismeasured, lost and
    // spurious objects).
    let strong = DistortConfig { std: 0.3, p: 0.3, max_objects: 8 };
    let signal = distort(&balanced_events(400, 0.0, 12), &strong, 99).unwrap().0;
    let sb = outcome.run.score(&outcome.test).unwrap();
    let ss = outcome.run.score(&signal).unwrap();
    assert!(sb.iter().chain(&ss).all(|s| (0.0..=1.0).contains(s)), "scores are mean probabilities");
    let loaded = TrainedRun::load(dir.path(), Some("cpu")).unwrap();
    assert_eq!(loaded.score(&signal).unwrap(), ss);
    for f in ["calibration.json", "calibration.csv", "model/ddd.json", "model/model-ddd-0.safetensors"] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    let text = std::fs::read_to_string(dir.path().join("calibration.json")).unwrap();
    let history: Vec<CalibrationPoint> = serde_json::from_str(&text).unwrap();
    (history, auc(&sb, &ss))
}

fn check_history(history: &[CalibrationPoint], ensemble: usize) {
    assert_eq!(history.len(), 4, "{history:?}");
    let at = |std: f64, p: f64| history.iter().find(|h| h.std == std && h.p == p).unwrap();
    let none = at(0.0, 0.0);
    // Nothing distorted: the two classes are two halves of the same background.
    assert!((none.auc - 0.5).abs() < 0.1, "undistorted AUC {}", none.auc);
    assert!(at(0.3, 0.3).auc > none.auc + 0.1, "{history:?}");
    assert_eq!(history.iter().filter(|h| h.selected).count(), ensemble);
    assert!(at(0.3, 0.3).valid_distortion.removed > 0 && at(0.3, 0.3).valid_distortion.added > 0);
}

const GRID: &str = r#"
[detector]
kind = "ddd"
std_grid = [0.0, 0.3]
p_grid = [0.0, 0.3]
target_auc = 0.85
ensemble = 2
"#;

#[test]
fn mlp_discriminator_calibrates_and_scores() {
    let toml = format!(
        r#"
[representation]
kind = "fixed"
[model]
kind = "mlp"
hidden = [32, 16]
{GRID}
[train]
epochs = 6
batch_size = 128
seed = 4
optimizer = {{ lr = 1e-3 }}
"#
    );
    let (history, signal_auc) = run(&toml);
    check_history(&history, 2);
    eprintln!("MLP DDD: history {history:#?}\nsignal AUC {signal_auc}");
    assert!(signal_auc >= 0.62, "signal AUC {signal_auc}");
}

#[test]
fn part_sm_discriminator_calibrates_and_scores() {
    let toml = format!(
        r#"{SMALL_PART_SM}
{GRID}
[train]
epochs = 4
batch_size = 128
seed = 4
optimizer = {{ lr = 1e-3 }}
"#
    );
    let (history, signal_auc) = run(&toml);
    check_history(&history, 2);
    eprintln!("ParT-SM DDD: history {history:#?}\nsignal AUC {signal_auc}");
    assert!(signal_auc >= 0.62, "signal AUC {signal_auc}");
}

/// Physics-spec §7.3 calibration on the embedded background: bisection of std at p = 0.06
/// lands within 0.02 of the target AUC 0.85. Minutes on 2 cores: `cargo test -p oddity-detect
/// --test ddd -- --ignored`.
#[test]
#[ignore = "minutes of training on the embedded sample"]
fn bisection_reaches_the_target_auc_on_the_embedded_background() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/background_chan3.csv.gz");
    let (background, _, _) = oddity_io::CsvReader::read_all(&path, oddity_io::ReadOptions::default()).unwrap();
    let toml = r#"
[representation]
kind = "particles"
max_particles = 20
pairs = { set = "delta-mass" }
sm = "running"
[model]
kind = "part"
embed_dims = [32, 64, 32]
pair_embed_dims = [16, 16]
num_heads = 4
num_layers = 2
num_cls_layers = 1
fc_dims = [32]
aux_dims = [16]
[detector]
kind = "ddd"
calibration = "bisect"
std_grid = [0.0, 0.4]
bisect_p = 0.06
[train]
epochs = 15
batch_size = 256
seed = 1
early_stopping = 4
optimizer = { lr = 1e-3 }
"#;
    let dir = tempfile::tempdir().unwrap();
    let config = RunConfig::from_toml(toml, "calibration.toml", &["data.device=\"cpu\"".into()]).unwrap();
    train_run(&config, &background, dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("calibration.json")).unwrap();
    let history: Vec<CalibrationPoint> = serde_json::from_str(&text).unwrap();
    for h in &history {
        eprintln!("std {:.4} p {:.2}: AUC {:.4} ({} epochs)", h.std, h.p, h.auc, h.epochs);
    }
    let best = history.iter().map(|h| (h.auc - 0.85).abs()).fold(f64::INFINITY, f64::min);
    assert!(best <= 0.02, "closest calibration point is {best:.3} from the target: {history:?}");
}
