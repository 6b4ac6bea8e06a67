//! End-to-end tests of `oddity train` and `oddity score`: a tiny DeepSVDD run on the real
//! DarkMachines file writes a complete run directory, and scoring with the saved run gives
//! back, event for event, the scores written at training time; configuration errors exit 2
//! and name the file or the setting.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, Float64Array, StringArray, UInt64Array};
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use predicates::prelude::*;

fn real_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/darkmachines/monojet_Zp2000.0_DM_50.0_chan3.csv")
}

fn oddity(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("oddity").expect("the oddity binary is built");
    c.current_dir(dir).env_remove("ODDITY_LOG");
    c
}

const CONFIG: &str = r#"
[data]
device = "cpu"
[representation]
kind = "fixed"
[model]
kind = "mlp"
hidden = [16, 8]
[detector]
kind = "deep-svdd"
rep_dims = [4]
[train]
epochs = 2
batch_size = 256
seed = 5
"#;

/// (source_line, score, weight) of every row of a score file, and its `process` column.
fn read_scores(path: &Path) -> (Vec<(u64, f64, f64)>, Vec<String>) {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let mut rows = Vec::new();
    let mut process = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let col = |n: &str| batch.column_by_name(n).unwrap_or_else(|| panic!("no column {n}")).clone();
        let line = col("source_line");
        let line = line.as_any().downcast_ref::<UInt64Array>().unwrap();
        let score = col("score");
        let score = score.as_any().downcast_ref::<Float64Array>().unwrap();
        let weight = col("weight");
        let weight = weight.as_any().downcast_ref::<Float64Array>().unwrap();
        let proc_ = col("process");
        let proc_ = proc_.as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..batch.num_rows() {
            rows.push((line.value(i), score.value(i), weight.value(i)));
            process.push(proc_.value(i).to_owned());
        }
        for n in ["file", "event_id", "met", "ht", "mjj"] {
            assert!(batch.column_by_name(n).is_some(), "column {n}");
        }
    }
    (rows, process)
}

#[test]
fn train_then_score_reproduces_the_test_split_scores() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.toml"), CONFIG).unwrap();
    oddity(dir.path())
        .args(["--quiet", "train", "--config", "run.toml", "--background"])
        .arg(real_file())
        .args(["-o", "run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("trained deep-svdd"));
    let run = dir.path().join("run");
    for f in [
        "config.resolved.toml",
        "preprocess.json",
        "manifest.json",
        "model/deep-svdd.json",
        "model/model-d4.safetensors",
        "scores/background_test.parquet",
        "scores/background_valid.parquet",
        "log.txt",
    ] {
        assert!(run.join(f).is_file(), "{f} missing from the run directory");
    }
    // The log holds every epoch even with --quiet, and the summary line.
    let log = std::fs::read_to_string(run.join("log.txt")).unwrap();
    assert!(log.contains("epoch 1: train loss") && log.contains("epoch 2: train loss"), "{log}");
    assert!(log.contains("trained deep-svdd"), "{log}");
    let (test_rows, _) = read_scores(&run.join("scores/background_test.parquet"));
    // 10 % of the 6399 events of the file are the test split.
    assert!((600..=680).contains(&test_rows.len()), "{} test events", test_rows.len());
    // So is the validation split, disjoint from it (the calibration set of `oddity combine`).
    let (valid_rows, _) = read_scores(&run.join("scores/background_valid.parquet"));
    assert!((600..=680).contains(&valid_rows.len()), "{} validation events", valid_rows.len());
    assert!(valid_rows.iter().all(|v| test_rows.iter().all(|t| t.0 != v.0)), "splits overlap");

    oddity(dir.path())
        .args(["--quiet", "score", "run"])
        .arg(real_file())
        .args(["-o", "all.parquet"])
        .assert()
        .success();
    let (all, process) = read_scores(&dir.path().join("all.parquet"));
    assert_eq!(all.len(), 6399);
    assert!(process.iter().all(|p| !p.is_empty()));
    assert!(all.iter().all(|r| r.1.is_finite() && r.1 >= 0.0), "DeepSVDD scores are finite squared distances");
    let by_line: HashMap<u64, (f64, f64)> = all.iter().map(|&(l, s, w)| (l, (s, w))).collect();
    // Evaluation of the scored file against the test-split background.
    oddity(dir.path())
        .args(["eval", "--background", "run/scores/background_test.parquet", "--signal", "all.parquet"])
        .args(["--eb", "0.1,0.01", "--bootstrap", "20", "-o", "ev"])
        .assert()
        .success()
        .stdout(predicate::str::contains("monojet_Zp2000.0_DM_50.0_chan3"))
        .stdout(predicate::str::contains("eS at eB=1e-1"));
    for f in ["evaluation.md", "evaluation.json", "scores.png"] {
        assert!(dir.path().join("ev").join(f).is_file(), "{f}");
    }
    // JES robustness: the nominal row is the plain evaluation; shifted rows differ.
    oddity(dir.path())
        .args(["--quiet", "eval", "--run", "run", "--events"])
        .arg(real_file())
        .args(["--jes", "0.05", "--eb", "0.1", "-o", "jes"])
        .assert()
        .success();
    let jes = std::fs::read_to_string(dir.path().join("jes/jes.csv")).unwrap();
    let rows: Vec<Vec<f64>> =
        jes.lines().skip(1).map(|l| l.split(',').skip(1).map(|x| x.parse().unwrap()).collect()).collect();
    assert_eq!(rows.iter().map(|r| r[0]).collect::<Vec<_>>(), vec![0.95, 1.0, 1.05], "{jes}");
    let plain: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("ev/evaluation.json")).unwrap()).unwrap();
    assert_eq!(rows[1][1], plain[0]["auc"].as_f64().unwrap(), "nominal AUC");
    assert_ne!(rows[0][1], rows[1][1], "a 5 % JES shift changes the scores");
    // The HTML report: self-contained, with the tables and an inline picture.
    oddity(dir.path())
        .args(["--quiet", "report", "run", "--signal"])
        .arg(real_file())
        .args(["-o", "rep"])
        .assert()
        .success();
    let html = std::fs::read_to_string(dir.path().join("rep/report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && html.contains("<table>"));
    assert!(html.contains("monojet_Zp2000.0_DM_50.0_chan3") && html.contains("run (deep-svdd)"));
    // No external resource: the only URLs are XML namespaces.
    let external = html.match_indices("http").filter(|(i, _)| !html[..*i].ends_with("xmlns=\"")).count();
    assert_eq!(external, 0, "the report references external resources");
    assert!(dir.path().join("rep/summary_auc.csv").is_file());
    // Not the challenge's working points: no submission table.
    assert!(!dir.path().join("ev/submission.csv").exists());
    for (line, score, weight) in test_rows {
        let (s, w) = by_line[&line];
        assert_eq!(w, weight, "line {line}: weight");
        assert!((s - score).abs() <= 1e-9 * score.abs().max(1.0), "line {line}: {s} vs {score} at training time");
    }
}

#[test]
fn eval_recomputes_the_published_total_improvement() {
    let dir = tempfile::tempdir().unwrap();
    let table = real_file().parent().unwrap().join("../darkmachines-results/DeepSVDD.csv");
    oddity(dir.path())
        .args(["eval", "--table"])
        .arg(&table)
        .args(["-o", "ti"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| DeepSVDD_C25_d13 | 0.70 | 1.70 | 13.60 |"));
    let csv = std::fs::read_to_string(dir.path().join("ti/total_improvements.csv")).unwrap();
    let published = std::fs::read_to_string(
        table.parent().unwrap().join("DarkMachinesUnsupervisedChallenge_TotalImprovements.csv"),
    )
    .unwrap();
    let row = |text: &str| text.lines().find(|l| l.starts_with("DeepSVDD_C25_d13,")).map(str::to_owned);
    let ours: Vec<f64> = row(&csv).unwrap().split(',').skip(1).map(|x| x.parse().unwrap()).collect();
    let theirs: Vec<f64> = row(&published).unwrap().split(',').skip(1).map(|x| x.parse().unwrap()).collect();
    for (a, b) in ours.iter().zip(&theirs) {
        assert!((a - b).abs() <= 1e-12 * b.abs(), "{ours:?} vs published {theirs:?}");
    }
}

#[test]
fn configuration_errors_exit_2_and_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.toml"), CONFIG).unwrap();
    oddity(dir.path())
        .args(["train", "--config", "missing.toml", "-o", "run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.toml"));
    oddity(dir.path())
        .args(["train", "--config", "run.toml", "--set", "train.epochz=3", "--background"])
        .arg(real_file())
        .args(["-o", "run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("epochz"));
    std::fs::write(dir.path().join("nobkg.toml"), "[detector]\nkind = \"deep-svdd\"\n").unwrap();
    oddity(dir.path())
        .args(["train", "--config", "nobkg.toml", "-o", "run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no background files"));
    std::fs::write(dir.path().join("bad.parquet"), "not parquet").unwrap();
    oddity(dir.path())
        .args(["eval", "--background", "bad.parquet", "--signal", "bad.parquet", "-o", "ev"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.parquet: not a Parquet file"));
    oddity(dir.path())
        .args(["score", "no-such-run"])
        .arg(real_file())
        .args(["-o", "s.parquet"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-run"));
}
