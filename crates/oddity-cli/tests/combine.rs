//! End-to-end tests of `oddity combine` on score files of two "detectors".

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{read_f64, write_scores};
use predicates::prelude::*;
use rand::{Rng, SeedableRng};

fn oddity(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("oddity").expect("the oddity binary is built");
    c.current_dir(dir).env_remove("ODDITY_LOG");
    c
}

#[test]
fn combine_calibrates_applies_and_reapplies_the_stored_combination() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let n = 500;
    let ones = vec![1.0; n];
    let masses = vec![500.0; n];
    let mut uniform = |scale: f64| -> Vec<f64> { (0..n).map(|_| scale * rng.random::<f64>()).collect() };
    // Calibration background: member A in [0, 1), member B in [0, 10).
    let (a_cal, b_cal) = (uniform(1.0), uniform(10.0));
    write_scores(&d.join("a_cal.parquet"), &a_cal, &ones, &masses);
    write_scores(&d.join("b_cal.parquet"), &b_cal, &ones, &masses);
    // Events to combine: the same for both members (ids 1..=n).
    let (a, b) = (uniform(1.0), uniform(10.0));
    write_scores(&d.join("a.parquet"), &a, &ones, &masses);
    write_scores(&d.join("b.parquet"), &b, &ones, &masses);
    oddity(d)
        .args(["combine", "--mode", "and", "--calibration", "a_cal.parquet", "--calibration", "b_cal.parquet"])
        .args(["--scores", "a.parquet", "--scores", "b.parquet", "-o", "and.parquet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("combined 500 events of 2 members with and"));
    let and = read_f64(&d.join("and.parquet"), "score");
    // physics-spec §7.8 by hand: u = 1 − (1 + #{b : s_b ≥ s})/(N + 1), the exponential tail
    // beyond the largest calibration score, AND = min over the members.
    let u = |cal: &[f64], s: f64| {
        let big = cal.iter().copied().fold(f64::MIN, f64::max);
        let eps = if s > big {
            let mean = cal.iter().sum::<f64>() / n as f64;
            let sigma = (cal.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            (-(s - big) / sigma).exp() / (n as f64 + 1.0)
        } else {
            (1.0 + cal.iter().filter(|b| **b >= s).count() as f64) / (n as f64 + 1.0)
        };
        1.0 - eps
    };
    for i in 0..n {
        let want = u(&a_cal, a[i]).min(u(&b_cal, b[i]));
        assert!((and[i] - want).abs() < 1e-12, "event {i}: {} vs {want}", and[i]);
    }
    // The other columns are kept (here: the masses the search reads).
    assert_eq!(read_f64(&d.join("and.parquet"), "mjj"), masses);
    // The stored calibration reproduces the same values on the same events.
    oddity(d)
        .args(["combine", "--mode", "and", "--model", "and.combination.json"])
        .args(["--scores", "a.parquet", "--scores", "b.parquet", "-o", "again.parquet"])
        .assert()
        .success();
    assert_eq!(read_f64(&d.join("again.parquet"), "score"), and);
    // OR ≥ AVG ≥ AND per event.
    for mode in ["or", "avg"] {
        oddity(d)
            .args(["combine", "--mode", mode, "--calibration", "a_cal.parquet", "--calibration", "b_cal.parquet"])
            .args(["--scores", "a.parquet", "--scores", "b.parquet", "-o", &format!("{mode}.parquet")])
            .assert()
            .success();
    }
    let (or, avg) = (read_f64(&d.join("or.parquet"), "score"), read_f64(&d.join("avg.parquet"), "score"));
    for i in 0..n {
        assert!(and[i] <= avg[i] + 1e-15 && avg[i] <= or[i] + 1e-15, "event {i}: {} {} {}", and[i], avg[i], or[i]);
    }
}

#[test]
fn combine_rejects_misaligned_members_and_bad_modes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write_scores(&d.join("a.parquet"), &[0.1, 0.2, 0.3], &[1.0; 3], &[1.0; 3]);
    write_scores(&d.join("b.parquet"), &[0.1, 0.2], &[1.0; 2], &[1.0; 2]);
    oddity(d)
        .args(["combine", "--mode", "and", "--calibration", "a.parquet", "--calibration", "b.parquet"])
        .args(["--scores", "a.parquet", "--scores", "a.parquet", "-o", "c.parquet"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("b.parquet: 2 events, but a.parquet has 3"));
    oddity(d)
        .args(["combine", "--mode", "xor", "--calibration", "a.parquet", "--scores", "a.parquet", "-o", "c.parquet"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("xor"));
    assert!(!d.join("c.parquet").exists());
}

/// A combined run file in `dir` whose members are the presets `members` (relative to
/// examples/), each shrunk by its `set`.
fn combined_file(dir: &Path, mode: &str, members: &[(&str, &[&str])]) -> std::path::PathBuf {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut text = format!("[combination]\nmode = \"{mode}\"\n");
    for (config, sets) in members {
        let config = examples.join(config);
        text.push_str(&format!(
            "\n[[combination.member]]\nconfig = {:?}\nset = {sets:?}\n",
            config.display().to_string()
        ));
    }
    let path = dir.join(format!("combined-{mode}.toml"));
    std::fs::write(&path, text).expect("write the combined run file");
    path
}

const SVDD: &[&str] = &["train.epochs=1", "data.device=\"cpu\"", "detector.rep_dims=[2, 4]"];
const AE: &[&str] = &["train.epochs=1", "data.device=\"cpu\"", "model.hidden=[16]"];

#[test]
fn a_combined_run_trains_scores_and_equals_combining_its_members_by_hand() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let config = combined_file(d, "and", &[("deep-svdd-mlp.toml", SVDD), ("ae-simple.toml", AE)]);
    oddity(d)
        .args(["--quiet", "train", "--config"])
        .arg(&config)
        .args(["-o", "run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("combined 2 members with and(deep-svdd, autoencoder)"));
    let run = d.join("run");
    for f in ["combination.json", "config.resolved.toml", "manifest.json", "log.txt"] {
        assert!(run.join(f).is_file(), "{f}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["detector"], "and(deep-svdd, autoencoder)");
    assert_eq!(manifest["combination"]["members"], serde_json::json!(["0-deep-svdd-mlp", "1-ae-simple"]));
    // The combined test-split scores are the AND of the members' own test-split scores,
    // calibrated on their validation-split scores: what `oddity combine` computes from them.
    let member = |k: &str, split: &str| format!("run/members/{k}/scores/background_{split}.parquet");
    let (a, b) = ("0-deep-svdd-mlp", "1-ae-simple");
    oddity(d)
        .args(["combine", "--mode", "and", "--calibration", &member(a, "valid"), "--calibration", &member(b, "valid")])
        .args(["--scores", &member(a, "test"), "--scores", &member(b, "test"), "-o", "by-hand.parquet"])
        .assert()
        .success();
    let combined = read_f64(&run.join("scores/background_test.parquet"), "score");
    assert!(combined.len() > 100);
    assert_eq!(combined, read_f64(&d.join("by-hand.parquet"), "score"));
    assert!(combined.iter().all(|u| (0.0..=1.0).contains(u)));
    // Scoring new events through the run directory gives calibrated scores too, and the
    // training command reproduces from the resolved file.
    let signal = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/zprime_ttbar_2000_chan3.csv.gz");
    oddity(d).args(["--quiet", "score", "run"]).arg(&signal).args(["-o", "sig.parquet"]).assert().success();
    let sig = read_f64(&d.join("sig.parquet"), "score");
    assert_eq!(sig.len(), 2500);
    assert!(sig.iter().all(|u| (0.0..=1.0).contains(u)));
    let resolved = std::fs::read_to_string(run.join("config.resolved.toml")).expect("resolved");
    assert!(resolved.contains("deep-svdd-mlp.toml") && resolved.contains("detector.rep_dims=[2, 4]"), "{resolved}");
}

#[test]
fn a_combination_of_members_with_different_splits_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let other_split: &[&str] = &["train.epochs=1", "data.split.seed=7"];
    let refused = [
        (
            combined_file(d, "avg", &[("deep-svdd-mlp.toml", SVDD), ("ae-simple.toml", other_split)]),
            "member 1-ae-simple: data.split differs from member 0-deep-svdd-mlp's",
        ),
        (
            combined_file(d, "or", &[("deep-svdd-mlp.toml", SVDD)]),
            "a combination needs at least 2 [[combination.member]] entries, got 1",
        ),
    ];
    for (config, message) in refused {
        oddity(d)
            .args(["train", "--config"])
            .arg(&config)
            .args(["-o", "run"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
        // Refused before anything is trained or written.
        assert!(!d.join("run").exists());
    }
}
