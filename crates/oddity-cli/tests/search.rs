//! End-to-end tests of `oddity bumphunt` (on pyBumpHunter's reference data) and `oddity
//! search` (on score files with a known bump).

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::write_scores;
use predicates::prelude::*;
use rand::{Rng, SeedableRng};

fn reference_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/bumphunter/data.root")
}

fn oddity(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("oddity").expect("the oddity binary is built");
    c.current_dir(dir).env_remove("ODDITY_LOG");
    c
}

fn read_json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// physics-spec §9.6: pyBumpHunter's 1D example (range [0, 20], 60 bins, widths 2-6).
#[test]
fn bumphunt_reproduces_the_pybumphunter_example_from_root() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = reference_root();
    let spec = |tree: &str| format!("{}:{tree}/{tree}", root.display());
    oddity(tmp.path())
        .args(["bumphunt", "--data", &spec("data"), "--bkg", &spec("bkg"), "--signal", &spec("sig")])
        .args(["--range", "0", "20", "--bins", "60", "--width-min", "2", "--width-max", "6"])
        .args(["--npe", "4000", "--seed", "666", "--signal-exp", "150", "--npe-inject", "100", "-o", "bh"])
        .assert()
        .success();
    let out = read_json(&tmp.path().join("bh/bumphunt.json"));
    let scan = &out["result"]["scan"];
    assert_eq!(scan["best"]["loc"], 16);
    assert_eq!(scan["best"]["width"], 4);
    let edges: Vec<f64> =
        scan["bump_edges"].as_array().expect("edges").iter().map(|e| e.as_f64().expect("f64")).collect();
    assert!((edges[0] - 16.0 / 3.0).abs() < 1e-12 && (edges[1] - 20.0 / 3.0).abs() < 1e-12, "{edges:?}");
    let p = scan["best"]["p"].as_f64().expect("p");
    assert!((p / 1.734_106_78e-4 - 1.0).abs() < 1e-6, "local p {p}");
    assert_eq!(scan["signal"].as_f64().expect("signal"), 208.0);
    // Global p 0.0177 in the reference; 4000 pseudo-experiments give σ ≈ 0.0021.
    let global = out["result"]["global"]["p"].as_f64().expect("global p");
    assert!((global - 0.0177).abs() < 0.0085, "global p {global}");
    // The injection stops at the statistical limit at μ = 2 or 3 (§9.6).
    let inj = &out["injection"];
    assert_eq!(inj["stop"], "stat_limit");
    let mu = inj["strength"].as_f64().expect("strength");
    assert!([2.0, 3.0].iter().any(|m| (mu - m).abs() < 1e-9), "stopped at {mu}");
    for f in ["summary.txt", "plots/bumphunt.png", "plots/tstat.png", "plots/injection.png"] {
        assert!(tmp.path().join("bh").join(f).is_file(), "{f} missing");
    }
    let summary = std::fs::read_to_string(tmp.path().join("bh/summary.txt")).expect("summary");
    assert!(summary.contains("5.33"), "{summary}");
}

#[test]
fn bumphunt_input_errors_name_the_file_and_the_candidates() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = reference_root();
    oddity(tmp.path())
        .args(["bumphunt", "--data", &format!("{}:dta/data", root.display())])
        .args(["--bkg", &format!("{}:bkg/bkg", root.display()), "--range", "0", "20", "-o", "bh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("data.root").and(predicate::str::contains("data")))
        .stderr(predicate::str::contains("bkg"));
    std::fs::write(tmp.path().join("m.csv"), "x,y\n1,2\n").expect("write");
    oddity(tmp.path())
        .args(["bumphunt", "--data", "m.csv:z", "--bkg", "m.csv:x", "--range", "0", "20", "-o", "bh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("m.csv: no column 'z'"));
    oddity(tmp.path())
        .args(["bumphunt", "--data", "m.dat:x", "--bkg", "m.csv:x", "--range", "0", "20", "-o", "bh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FILE.root:tree/branch"));
    assert!(!tmp.path().join("bh").exists(), "nothing is written on input errors");
}

/// Falling dijet-like masses above 300 GeV: m = 250 + Exp(mean 350) GeV.
fn falling(rng: &mut impl Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| 250.0 - 350.0 * (1.0 - rng.random::<f64>()).ln()).collect()
}

#[test]
fn search_finds_an_injected_bump_in_the_anomalous_region() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let n = 40_000;
    let bkg_m = falling(&mut rng, n);
    let bkg_s: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    write_scores(&tmp.path().join("bkg.parquet"), &bkg_s, &vec![1.0; n], &bkg_m);
    // Data: another background sample plus 150 anomalous events at m ≈ 1200 GeV.
    let mut m = falling(&mut rng, n);
    let mut s: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    for _ in 0..150 {
        let u: f64 = rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>() - 1.5;
        m.push(1200.0 + 60.0 * u);
        s.push(0.9 + 0.1 * rng.random::<f64>());
    }
    write_scores(&tmp.path().join("data.parquet"), &s, &vec![1.0; m.len()], &m);
    oddity(tmp.path())
        .args(["--quiet", "search", "--background", "bkg.parquet", "--data", "data.parquet"])
        .args(["--weights", "events", "--eff", "0.1", "--npe", "300", "--seed", "3", "--limit-masses", "1200"])
        .args(["--limit-widths", "0.05", "-o", "s"])
        .assert()
        .success()
        .stdout(predicate::str::contains("region eff0.1"));
    let out = read_json(&tmp.path().join("s/search.json"));
    let region = &out["regions"][0];
    // The region keeps 10 % of the (unit-weight) background: 4000 events.
    assert_eq!(region["region"]["selected"]["events"], 4000);
    let spectra = region["spectra"].as_array().expect("spectra");
    let mjj = spectra.iter().find(|s| s["name"] == "mjj").expect("mjj");
    let bump = &mjj["bump"];
    let (lo, hi) = (bump["edges_gev"][0].as_f64().expect("lo"), bump["edges_gev"][1].as_f64().expect("hi"));
    assert!(lo <= 1200.0 && 1200.0 <= hi, "bump [{lo}, {hi}]");
    assert!(bump["z_local"].as_f64().expect("z") > 4.0, "{bump}");
    assert!(bump["global_p"].as_f64().expect("p") < 0.05, "{bump}");
    // The background fit converged (its χ²/ndf includes the bump itself and sparse tail bins).
    assert_eq!(mjj["fit"]["status"], "converged", "{}", mjj["fit"]);
    assert!(mjj["alternative"]["expected"].is_array());
    assert_eq!(mjj["limits"].as_array().expect("limits").len(), 1);
    let spurious = &mjj["spurious_signal"][0];
    assert_eq!(spurious["rel_width"], 0.05);
    assert_eq!(spurious["points"].as_array().expect("points").len(), 1);
    // Spectra without entries are reported, not fitted.
    let mbb = spectra.iter().find(|s| s["name"] == "mbb").expect("mbb");
    assert!(mbb["skipped"].as_str().expect("reason").contains("not fitted"), "{mbb}");
    for f in ["summary.txt", "spectra.csv", "plots/eff0.1_mjj.png", "plots/eff0.1_mjj_t.png"] {
        assert!(tmp.path().join("s").join(f).is_file(), "{f} missing");
    }
    // A region asking for more than the background holds is an input error.
    oddity(tmp.path())
        .args([
            "search",
            "--background",
            "bkg.parquet",
            "--weights",
            "events",
            "--xsec",
            "1",
            "--lumi",
            "140",
            "-o",
            "s2",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bkg.parquet"));
}

#[test]
fn search_on_a_raw_column_with_signal_injection() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let masses = falling(&mut rng, 20_000);
    let mut csv = String::from("event,mjj\n");
    for (i, m) in masses.iter().enumerate() {
        csv.push_str(&format!("{i},{m}\n"));
    }
    std::fs::write(tmp.path().join("m.csv"), csv).expect("write");
    oddity(tmp.path())
        .args(["--quiet", "search", "--column", "m.csv:mjj", "--npe", "200", "--seed", "2"])
        .args(["--inject-mass", "1500", "--inject-events", "50", "-o", "s"])
        .assert()
        .success()
        .stdout(predicate::str::contains("region all: every event"));
    let out = read_json(&tmp.path().join("s/search.json"));
    assert!(out["background"].is_null());
    assert_eq!(out["data"]["events"], 20_000);
    let spectra = out["regions"][0]["spectra"].as_array().expect("spectra");
    assert_eq!(spectra.len(), 1);
    let s = &spectra[0];
    assert_eq!(s["name"], "mjj");
    assert_eq!(s["fit"]["status"], "converged");
    // Background only: no significant bump.
    assert!(s["bump"]["global_p"].as_f64().expect("p") > 0.01, "{}", s["bump"]);
    // The injection grows the signal until 5σ or the statistical limit of 200 pseudo-experiments.
    let inj = &s["injection"];
    assert!(["sigma_limit", "stat_limit"].contains(&inj["stop"].as_str().expect("stop")), "{inj}");
    assert!(inj["steps"].as_array().expect("steps").len() >= 2);
    for f in ["plots/all_mjj.png", "plots/all_mjj_t.png", "plots/all_mjj_injection.png"] {
        assert!(tmp.path().join("s").join(f).is_file(), "{f} missing");
    }
    // The Neyman χ² fit is available for comparison and agrees in shape at this statistics.
    oddity(tmp.path())
        .args(["--quiet", "search", "--column", "m.csv:mjj", "--npe", "50", "--fit-method", "neyman-chi2", "-o", "n"])
        .assert()
        .success();
    let neyman = read_json(&tmp.path().join("n/search.json"));
    let nfit = &neyman["regions"][0]["spectra"][0]["fit"];
    assert_eq!(nfit["method"], "neyman_chi2");
    let (a, b) = (&s["fit"]["expected"], &nfit["expected"]);
    let first = |v: &serde_json::Value| v[0].as_f64().expect("expected count");
    assert!((first(a) / first(b) - 1.0).abs() < 0.1, "{} vs {}", first(a), first(b));
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The ATLAS chain of seed 004 on the embedded sample: the one-lepton selection, the RMM
/// autoencoder (shrunk), scores of the background test split and of the Z'→tt̄ signal, and the
/// search in the anomaly region of the 10 % most anomalous background.
#[test]
fn atlas_chain_select_train_score_search() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root, data) = (repo(), repo().join("data"));
    for (input, output) in [("background_chan3.csv.gz", "bkg.csv"), ("zprime_ttbar_2000_chan3.csv.gz", "zprime.csv")] {
        oddity(tmp.path())
            .args(["--quiet", "select", "--selection"])
            .arg(root.join("examples/selections/atlas-1lepton.toml"))
            .arg(data.join(input))
            .args(["-o", output])
            .assert()
            .success();
    }
    oddity(tmp.path())
        .args(["--quiet", "train", "--config"])
        .arg(root.join("examples/rmm-ae-atlas.toml"))
        .args(["--background", "bkg.csv", "--set", "model.hidden=[32]", "--set", "detector.latent=8"])
        .args(["--set", "train.epochs=3", "--set", "data.device=\"cpu\"", "-o", "run"])
        .assert()
        .success();
    oddity(tmp.path()).args(["--quiet", "score", "run", "zprime.csv", "-o", "zprime.parquet"]).assert().success();
    oddity(tmp.path())
        .args(["--quiet", "search", "--background", "run/scores/background_test.parquet", "--data"])
        .args(["zprime.parquet", "--weights", "events", "--eff", "0.1", "--npe", "50", "--seed", "1", "-o", "s"])
        .assert()
        .success()
        .stdout(predicate::str::contains("region eff0.1"));
    let out = read_json(&tmp.path().join("s/search.json"));
    let region = &out["regions"][0];
    let selected = region["region"]["selected"]["events"].as_u64().expect("selected");
    assert!(selected >= 1, "{region}");
    // Every mass spectrum of the score file is reported (fitted or skipped with a reason).
    let spectra = region["spectra"].as_array().expect("spectra");
    assert!(spectra.iter().any(|s| s["name"] == "mjj"), "{spectra:?}");
    assert!(tmp.path().join("s/summary.txt").is_file());
}
