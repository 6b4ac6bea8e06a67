//! The autoencoder end to end on synthetic events: the SimpleAE on the leading-object vector
//! and the RMM autoencoder (ln MSE) separate a boosted signal; the run directory reloads to the
//! same scores; the configuration errors name the problem.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_detect::run::{RunConfig, TrainedRun, train_run};

mod common;

use common::{auc, events};

/// Trains `toml` on synthetic background and returns (test background, signal) scores after
/// checking that the reloaded run scores the same.
fn train_and_score(toml: &str) -> (Vec<f64>, Vec<f64>) {
    let dir = tempfile::tempdir().unwrap();
    let config = RunConfig::from_toml(toml, "test.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let outcome = train_run(&config, &events(1500, 1.0, 1), dir.path()).unwrap();
    let signal = events(300, 4.0, 2);
    let sb = outcome.run.score(&outcome.test).unwrap();
    let ss = outcome.run.score(&signal).unwrap();
    let loaded = TrainedRun::load(dir.path(), Some("cpu")).unwrap();
    assert_eq!(loaded.score(&signal).unwrap(), ss);
    for f in ["config.resolved.toml", "preprocess.json", "manifest.json", "model/autoencoder.safetensors"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("manifest.json")).unwrap()).unwrap();
    let member = &manifest["fit"]["members"][0];
    assert!(member["valid_score"]["effective_events"].as_f64().unwrap() > 10.0, "{member}");
    (sb, ss)
}

#[test]
fn simple_ae_separates_a_boosted_signal() {
    let (sb, ss) = train_and_score(
        r#"
[representation]
kind = "leading"
objects = 8
[model]
kind = "mlp"
hidden = [32, 16]
activation = "tanh"
batchnorm = false
[detector]
kind = "autoencoder"
latent = 4
[train]
epochs = 10
batch_size = 125
seed = 3
optimizer = { lr = 1e-3 }
"#,
    );
    assert!(sb.iter().chain(&ss).all(|s| *s >= 0.0), "MSE is non-negative");
    let a = auc(&sb, &ss);
    assert!(a >= 0.9, "AUC {a}");
}

#[test]
fn rmm_autoencoder_scores_ln_mse_and_separates() {
    let (sb, ss) = train_and_score(
        r#"
[representation]
kind = "rmm"
variant = "atlas"
[model]
kind = "mlp"
hidden = [64, 32]
activation = "leaky-relu"
batchnorm = false
[detector]
kind = "autoencoder"
latent = 16
score = "ln-mse"
[train]
epochs = 6
batch_size = 256
seed = 3
optimizer = { lr = 1e-3 }
"#,
    );
    // ln of an MSE of RMM cells (mostly in [0, 1]): negative for well reconstructed events.
    assert!(sb.iter().any(|s| *s < 0.0), "{:?}", &sb[..5]);
    let a = auc(&sb, &ss);
    assert!(a >= 0.8, "AUC {a}");
}

#[test]
fn configuration_errors_name_the_problem() {
    let part = "[representation]\nkind = \"particles\"\n[model]\nkind = \"part\"\n[detector]\nkind = \"autoencoder\"\n";
    let config = RunConfig::from_toml(part, "t.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = train_run(&config, &events(50, 1.0, 1), dir.path()).unwrap_err().to_string();
    assert!(err.contains("model.kind = \"mlp\""), "{err}");
    let err = RunConfig::from_toml("[detector]\nkind = \"autoencoder\"\nlatent = 0\n", "t.toml", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("latent must be >= 1"), "{err}");
    let err = RunConfig::from_toml("[representation]\nkind = \"rmm\"\nvariant = \"cms\"\n", "t.toml", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("t.toml") && err.contains("cms"), "{err}");
}
