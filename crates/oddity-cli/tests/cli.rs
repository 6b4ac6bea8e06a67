//! End-to-end tests of the `oddity` binary: exit codes, messages, files written.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

const REAL: &str = "monojet_Zp2000.0_DM_50.0_chan3.csv";

fn real_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/darkmachines").join(REAL)
}

fn oddity(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("oddity").expect("the oddity binary is built");
    c.current_dir(dir).env_remove("ODDITY_LOG");
    c
}

/// Three valid events (GeV-sized values written in MeV) with `bad` inserted as line `at`.
fn file_with(dir: &Path, name: &str, bad: Option<(usize, &str)>) -> PathBuf {
    let mut lines = vec![
        "1;pA;1;150000;0.1;j,700000,650000,0.3,1.0;".to_owned(),
        "2;pA;2;20000;0.2;j,50000,40000,0.1,0.5;e-,30000,25000,-0.2,2.0;".to_owned(),
        "3;pB;0.5;300000;-1;j,900000,800000,-0.4,-2.0;b,200000,150000,1.1,0.3;".to_owned(),
    ];
    if let Some((at, text)) = bad {
        lines.insert(at - 1, text.to_owned());
    }
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write test file");
    path
}

fn read_json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn inspect_real_file_reports_events_process_and_ess() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out =
        oddity(tmp.path()).args(["inspect", "--json"]).arg(real_file()).assert().success().get_output().stdout.clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("inspect --json prints JSON");
    let f = &json[0];
    assert_eq!(f["events"], 6399);
    assert_eq!(f["rejected_lines"], 0);
    let procs = f["processes"].as_array().expect("process table");
    assert_eq!(procs.len(), 1);
    assert_eq!(procs[0]["process"], "monojet_Zp2000.0_DM_50.0");
    assert_eq!(procs[0]["events"], 6399);
    // All weights are equal in this file, so the ESS is the event count.
    let ess = f["effective_sample_size"].as_f64().expect("ESS");
    assert!((ess - 6399.0).abs() < 1e-6, "ESS {ess}");

    oddity(tmp.path())
        .arg("inspect")
        .arg(real_file())
        .assert()
        .success()
        .stdout(predicate::str::contains("events                 6399"))
        .stdout(predicate::str::contains("effective sample size"))
        .stdout(predicate::str::contains("monojet_Zp2000.0_DM_50.0"));
}

#[test]
fn inspect_writes_plots() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = file_with(tmp.path(), "small.csv", None);
    oddity(tmp.path()).args(["inspect", "--plots", "plots"]).arg(&f).assert().success();
    for png in ["met.png", "ht.png", "lead_jet_pt.png", "multiplicity.png", "processes.png"] {
        let p = tmp.path().join("plots/small.csv").join(png);
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(bytes.starts_with(b"\x89PNG"), "{} is not a PNG", p.display());
    }
}

#[test]
fn select_channel_3_keeps_every_event_of_the_real_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    oddity(tmp.path())
        .args(["select", "--channel", "3", "--summary", "sel.json", "-o", "chan3.parquet"])
        .arg(real_file())
        .assert()
        .success()
        .stdout(predicate::str::contains("kept 6399 of 6399 events"));
    let summary = read_json(&tmp.path().join("sel.json"));
    assert_eq!(summary["selection"], "chan3");
    assert_eq!(summary["inputs"][0]["selected"]["events"], 6399);
    oddity(tmp.path())
        .args(["inspect", "--json", "chan3.parquet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"events\": 6399"));
}

#[test]
fn select_applies_the_cuts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = file_with(tmp.path(), "small.csv", None);
    // Event 1: HT 650, MET 150 -> passes; 2: HT 40 -> fails; 3: HT 950, MET 300 -> passes.
    oddity(tmp.path())
        .args(["select", "--channel", "chan3", "-o", "out.csv"])
        .arg(&f)
        .assert()
        .success()
        .stdout(predicate::str::contains("kept 2 of 3 events"));
    let text = std::fs::read_to_string(tmp.path().join("out.csv")).expect("output");
    let ids: Vec<&str> = text.lines().map(|l| l.split(';').next().unwrap_or("")).collect();
    assert_eq!(ids, ["1", "3"]);
}

#[test]
fn defect_on_line_n_fails_with_exit_2_naming_the_line_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = file_with(tmp.path(), "bad.csv", Some((3, "7;pA;1;2;0;j,1,1,0")));
    for cmd in
        [vec!["inspect"], vec!["select", "--channel", "3", "-o", "out.csv"], vec!["convert", "-o", "out.parquet"]]
    {
        oddity(tmp.path())
            .args(&cmd)
            .arg(&f)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("bad.csv"))
            .stderr(predicate::str::contains("line 3"))
            .stderr(predicate::str::contains("field 6"));
    }
    let left: Vec<_> =
        std::fs::read_dir(tmp.path()).expect("dir").filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert_eq!(left, ["bad.csv"], "a failed command must leave no output or temporary file");
}

#[test]
fn skip_bad_lines_reports_and_writes_rejects() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = file_with(tmp.path(), "bad.csv", Some((2, "8;pA;one;2;0")));
    oddity(tmp.path())
        .args(["select", "--channel", "3", "--skip-bad-lines", "--summary", "s.json", "-o", "out.csv"])
        .arg(&f)
        .assert()
        .success()
        .stdout(predicate::str::contains("1 malformed line(s) rejected"));
    let rejects = std::fs::read_to_string(tmp.path().join("out.csv.rejects.txt")).expect("rejects file");
    assert!(rejects.contains("line 2"), "{rejects}");
    assert!(rejects.contains("weight must be a finite number"), "{rejects}");
    assert!(rejects.lines().any(|l| l == "8;pA;one;2;0"), "original line kept: {rejects}");
    let s = read_json(&tmp.path().join("s.json"));
    assert_eq!(s["inputs"][0]["rejected_lines"], 1);
    assert_eq!(s["inputs"][0]["read"]["events"], 3);

    oddity(tmp.path())
        .args(["inspect", "--skip-bad-lines", "--rejects", "mine.txt"])
        .arg(&f)
        .assert()
        .success()
        .stdout(predicate::str::contains("1 rejected, see mine.txt"));
    assert!(tmp.path().join("mine.txt").exists());
}

#[test]
fn convert_round_trip_csv_parquet_csv_is_byte_identical() {
    let tmp = tempfile::tempdir().expect("tempdir");
    oddity(tmp.path()).args(["convert", "-o", "a.parquet"]).arg(real_file()).assert().success();
    oddity(tmp.path()).args(["convert", "a.parquet", "-o", "b.csv.gz"]).assert().success();
    oddity(tmp.path()).args(["convert", "b.csv.gz", "-o", "c.csv"]).assert().success();
    let original = std::fs::read(real_file()).expect("real file");
    let back = std::fs::read(tmp.path().join("c.csv")).expect("round trip");
    assert!(original == back, "CSV -> Parquet -> CSV.gz -> CSV changed the file");
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    oddity(tmp.path()).args(["select", "x.csv", "-o", "y.csv"]).assert().code(2); // no --channel
    oddity(tmp.path()).args(["frobnicate"]).assert().code(2);
    oddity(tmp.path())
        .args(["select", "--channel", "7", "x.csv", "-o", "y.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown selection '7'"));
    oddity(tmp.path())
        .args(["inspect", "missing.csv"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.csv"));
    oddity(tmp.path()).args(["convert", "missing.csv", "-o", "y.txt"]).assert().code(2);
    oddity(tmp.path()).arg("--help").assert().success().stdout(predicate::str::contains("inspect"));
}

#[test]
fn selection_file_errors_name_the_file_and_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("cuts.toml"), "name = \"x\"\nmet_minn = 3\n").expect("write");
    let f = file_with(tmp.path(), "small.csv", None);
    oddity(tmp.path())
        .args(["select", "--selection", "cuts.toml", "-o", "o.csv"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cuts.toml"))
        .stderr(predicate::str::contains("met_minn"));
}

#[test]
fn demo_runs_on_the_embedded_sample() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples.json");
    if !data.exists() {
        // Built without data/: the demo must say so clearly.
        oddity(tmp.path())
            .args(["demo", "-o", "d"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("without an embedded sample"));
        return;
    }
    oddity(tmp.path())
        .args(["--quiet", "demo", "-o", "d"])
        .assert()
        .success()
        .stdout(predicate::str::contains("background_chan3.csv.gz"))
        .stdout(predicate::str::contains("| signal | events | AUC |"));
    for f in [
        "inspect.json",
        "selected/background_chan3.parquet",
        "run/manifest.json",
        "run/log.txt",
        "scores.parquet",
        "evaluation.md",
        "evaluation.json",
        "plots/scores.png",
        "report/report.html",
        "search/summary.txt",
        "search/spectra.csv",
    ] {
        assert!(tmp.path().join("d").join(f).is_file(), "{f} missing");
    }
    // The run was given relative paths (d/data/...): its resolved configuration, read back
    // from inside the run directory, names them absolutely.
    let resolved = std::fs::read_to_string(tmp.path().join("d/run/config.resolved.toml")).expect("resolved config");
    let abs = tmp.path().join("d/data/background_chan3.csv.gz").canonicalize().expect("extracted");
    assert!(resolved.contains(&abs.display().to_string()), "{resolved}");
    // One row per signal, each with an AUC in [0, 1].
    let rows = read_json(&tmp.path().join("d/evaluation.json"));
    let rows = rows.as_array().expect("an array of signals");
    assert!(rows.len() >= 3, "{rows:?}");
    // The demo's DeepSVDD-MLP on the embedded sample (seeded; measured 0.890 and 0.812):
    // floors with margin for the signals it clearly finds.
    for (signal, floor) in [("excited_quark_zvv_2500", 0.8), ("zprime_ttbar_2000", 0.7)] {
        let row = rows.iter().find(|r| r["signal"] == signal).expect("signal row");
        let auc = row["auc"].as_f64().expect("auc");
        assert!(auc >= floor, "{signal}: AUC {auc} below {floor}");
    }
    for r in rows {
        let auc = r["auc"].as_f64().expect("auc");
        assert!((0.0..=1.0).contains(&auc), "{r}");
    }
    // The search: regions of 10 and 1 pb fixed on the background, nine spectra each; every
    // fitted spectrum has its plot.
    let search = read_json(&tmp.path().join("d/search/search.json"));
    let regions = search["regions"].as_array().expect("regions");
    assert_eq!(regions.len(), 2);
    let lumi = search["luminosity_fb"].as_f64().expect("lumi");
    for (region, sigma) in regions.iter().zip([10.0, 1.0]) {
        let selected = region["region"]["selected"]["sum_weights"].as_f64().expect("selected");
        assert!(selected >= sigma * 1000.0 * lumi, "{sigma} pb region holds {selected} events");
        assert_eq!(region["spectra"].as_array().expect("spectra").len(), 9);
        for s in region["spectra"].as_array().expect("spectra") {
            if s["fit"].is_object() {
                let png = format!(
                    "d/search/plots/{}_{}.png",
                    region["label"].as_str().expect("label"),
                    s["name"].as_str().expect("name")
                );
                assert!(tmp.path().join(&png).is_file(), "{png} missing");
            } else {
                assert!(s["skipped"].is_string(), "{s}");
            }
        }
    }
    assert!(
        regions[0]["spectra"].as_array().expect("spectra").iter().any(|s| s["bump"].is_object()),
        "no spectrum scanned"
    );
}
