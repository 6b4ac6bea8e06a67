//! The VAE end to end on synthetic events: every score separates a boosted signal, training
//! is reproducible with the seed (the reparameterisation noise included), scoring is
//! deterministic and the run directory reloads to the same scores.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_detect::run::{RunConfig, TrainedRun, train_run};

mod common;

use common::{auc, events};

/// libtorch's random generator is global to the process: tests of this binary that train
/// take turns (nextest runs each test in its own process anyway).
static TORCH_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

const VAE: &str = r#"
[representation]
kind = "leading"
[model]
kind = "mlp"
hidden = [32, 16]
activation = "elu"
batchnorm = false
[detector]
kind = "vae"
latent = 5
beta = 0.1
[train]
epochs = 8
batch_size = 128
seed = 4
optimizer = { lr = 1e-3 }
"#;

#[test]
fn vae_is_reproducible_and_every_score_separates() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let background = events(1500, 1.0, 1);
    let signal = events(300, 4.0, 2);
    let dir = tempfile::tempdir().unwrap();
    let config = RunConfig::from_toml(VAE, "vae.toml", &["data.device=\"cpu\"".into()]).unwrap();
    let outcome = train_run(&config, &background, dir.path()).unwrap();
    let total = outcome.run.score(&signal).unwrap();
    // Scoring decodes μ: twice the same.
    assert_eq!(outcome.run.score(&signal).unwrap(), total);
    assert!(dir.path().join("model/vae.safetensors").exists());
    // The same seed trains the same network (ε included).
    let again = tempfile::tempdir().unwrap();
    let twin = train_run(&config, &background, again.path()).unwrap();
    assert_eq!(twin.run.score(&signal).unwrap(), total);
    // Every loss component is a score; each separates the boosted signal.
    for score in ["reco", "kl", "radius", "total"] {
        std::fs::write(
            dir.path().join("config.resolved.toml"),
            config.to_toml().unwrap().replace("score = \"total\"", &format!("score = \"{score}\"")),
        )
        .unwrap();
        let run = TrainedRun::load(dir.path(), Some("cpu")).unwrap();
        let (sb, ss) = (run.score(&outcome.test).unwrap(), run.score(&signal).unwrap());
        if score == "total" {
            assert_eq!(ss, total);
        }
        let a = auc(&sb, &ss);
        assert!(a >= 0.85, "{score}: AUC {a}");
    }
}

#[test]
fn standard_loss_form_trains() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let sets = ["data.device=\"cpu\"", "detector.loss_form=\"standard\"", "detector.beta=2.0", "train.epochs=2"];
    let config = RunConfig::from_toml(VAE, "vae.toml", &sets.map(str::to_owned)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outcome = train_run(&config, &events(400, 1.0, 1), dir.path()).unwrap();
    assert!(outcome.run.score(&outcome.test).unwrap().iter().all(|s| s.is_finite() && *s >= 0.0));
    let err = RunConfig::from_toml(VAE, "vae.toml", &["detector.beta=2.0".into()]).unwrap_err().to_string();
    assert!(err.contains("beta must be in [0, 1]"), "{err}");
}
