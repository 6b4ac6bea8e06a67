//! Every run file in `examples/` trains and scores through the CLI on the embedded sample,
//! shrunk with `--set` to one epoch, small networks and one calibration point so the test
//! takes seconds: the presets stay loadable and complete as the code changes.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `--set` overrides that make a preset fast, from what the preset uses.
fn shrink(text: &str) -> Vec<String> {
    let mut sets = vec!["train.epochs=1".to_owned(), "data.device=\"cpu\"".to_owned()];
    if text.contains("kind = \"part\"") {
        sets.extend(
            [
                "model.embed_dims=[16, 32, 16]",
                "model.pair_embed_dims=[8, 8]",
                "model.num_heads=2",
                "model.num_layers=1",
                "model.num_cls_layers=1",
                "model.fc_dims=[16]",
                "model.aux_dims=[8]",
                "representation.max_particles=10",
            ]
            .map(str::to_owned),
        );
    }
    if text.contains("kind = \"deep-svdd\"") {
        sets.push("detector.rep_dims=[4]".into());
    }
    if text.contains("kind = \"ddd\"") {
        sets.extend(["detector.std_grid=[0.05]", "detector.p_grid=[0.05]", "detector.ensemble=1"].map(str::to_owned));
    }
    if text.contains("kind = \"flow\"") {
        sets.extend(
            ["detector.flow.layers=2", "detector.flow.hidden=[16, 16]", "detector.flow.spline.bins=8"]
                .map(str::to_owned),
        );
    }
    if ["autoencoder", "vae", "latent-head"].iter().any(|k| text.contains(&format!("kind = \"{k}\""))) {
        sets.push("model.hidden=[16]".into());
    }
    if text.contains("kind = \"iaf\"") {
        sets.push("detector.posterior.hidden=[16]".into());
    }
    if text.contains("kind = \"drocc\"") {
        sets.extend(
            ["detector.only_ce_epochs=0", "detector.ascent_num_steps=2", "detector.project_every=1"].map(str::to_owned),
        );
    }
    sets
}

/// A copy of the combined run file `preset` in `dir` with absolute member paths, each member
/// given the overrides [`shrink`] finds for its own run file.
fn shrunk_combination(preset: &Path, text: &str, dir: &Path) -> PathBuf {
    let mut table: toml::Table = toml::from_str(text).unwrap();
    let members = table["combination"]["member"].as_array().unwrap().clone();
    let members: Vec<toml::Value> = members
        .into_iter()
        .map(|mut m| {
            let config = preset.parent().unwrap().join(m["config"].as_str().unwrap());
            let sets = shrink(&std::fs::read_to_string(&config).unwrap());
            let member = m.as_table_mut().unwrap();
            member.insert("config".into(), config.display().to_string().into());
            member.insert("set".into(), sets.into_iter().map(toml::Value::from).collect::<Vec<_>>().into());
            m
        })
        .collect();
    table["combination"].as_table_mut().unwrap().insert("member".into(), members.into());
    let path = dir.join(preset.file_name().unwrap());
    std::fs::write(&path, toml::to_string(&table).unwrap()).unwrap();
    path
}

#[test]
fn every_preset_trains_and_scores_on_the_embedded_sample() {
    let examples = root().join("examples");
    let signal = root().join("data/zprime_ttbar_2000_chan3.csv.gz");
    assert!(signal.exists(), "the embedded sample (data/) is missing");
    let mut presets: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    presets.sort();
    assert!(presets.len() >= 19, "{presets:?}");
    let tmp = tempfile::tempdir().unwrap();
    for preset in presets {
        let text = std::fs::read_to_string(&preset).unwrap();
        let name = preset.file_stem().unwrap().to_string_lossy().into_owned();
        let run = tmp.path().join(&name);
        let mut train = Command::cargo_bin("oddity").unwrap();
        train.env_remove("ODDITY_LOG").args(["--quiet", "train", "--config"]);
        if text.contains("[combination]") {
            // A combined run file: the same preset with each member shrunk by its own `set`.
            train.arg(shrunk_combination(&preset, &text, tmp.path()));
        } else {
            train.arg(&preset);
            for s in shrink(&text) {
                train.args(["--set", &s]);
            }
        }
        let out = train.arg("-o").arg(&run).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let scores = tmp.path().join(format!("{name}.parquet"));
        let out = Command::cargo_bin("oddity")
            .unwrap()
            .args(["--quiet", "score"])
            .arg(&run)
            .arg(&signal)
            .arg("-o")
            .arg(&scores)
            .output()
            .unwrap();
        assert!(out.status.success(), "{name} score: {}", String::from_utf8_lossy(&out.stderr));
        assert!(scores.is_file(), "{name}");
    }
}
