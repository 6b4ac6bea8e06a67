//! The VAE end to end on synthetic events: every score separates a boosted signal, training
//! is reproducible with the seed (the reparameterisation noise included), scoring is
//! deterministic and the run directory reloads to the same scores; the flow posteriors, the
//! contrastive term with annealing and the supervised latent head train through `train_run`.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use oddity_core::EventTable;
use oddity_detect::run::{RunConfig, TrainExtras, TrainedRun, train_run, train_run_with};

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

#[test]
fn flow_posteriors_train_reload_and_separate() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let background = events(1500, 1.0, 1);
    let signal = events(300, 4.0, 2);
    for posterior in ["{ kind = \"planar\", layers = 3 }", "{ kind = \"iaf\", layers = 2, hidden = [16, 16] }"] {
        let sets = ["data.device=\"cpu\"".to_owned(), format!("detector.posterior={posterior}")];
        let config = RunConfig::from_toml(VAE, "vae.toml", &sets).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let outcome = train_run(&config, &background, dir.path()).unwrap();
        let total = outcome.run.score(&signal).unwrap();
        let a = auc(&outcome.run.score(&outcome.test).unwrap(), &total);
        assert!(a >= 0.85, "{posterior}: AUC {a}");
        // The flow's tensors are saved with the VAE's and reload to the same scores.
        let run = TrainedRun::load(dir.path(), Some("cpu")).unwrap();
        assert_eq!(run.score(&signal).unwrap(), total, "{posterior}");
        // The log-det is a score of its own.
        std::fs::write(
            dir.path().join("config.resolved.toml"),
            config.to_toml().unwrap().replace("score = \"total\"", "score = \"logdet\""),
        )
        .unwrap();
        let logdet = TrainedRun::load(dir.path(), Some("cpu")).unwrap().score(&signal).unwrap();
        assert!(logdet.iter().all(|s| s.is_finite()), "{posterior}");
        assert!(logdet.iter().any(|&s| s != logdet[0]), "{posterior}: the log-det is constant");
    }
}

/// Background of two "generators": the second one's MET and pT are 30 % harder.
fn two_generators() -> (EventTable, Vec<usize>) {
    let mut t = events(700, 1.0, 11);
    let other = events(500, 1.3, 12);
    t.append(&other);
    (t, vec![700, 500])
}

#[test]
fn contrastive_vae_trains_with_file_labels_and_views() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (background, lengths) = two_generators();
    let signal = events(300, 4.0, 2);
    let anneal = "detector.anneal={ beta = { kind = \"linear\", start = 0.1, end = 0.3, epochs = 4 }, \
                  contrastive = { kind = \"trigger\", values = [0.0, 0.01], fraction = 0.5 } }";
    for loss in ["supcon", "nt-xent"] {
        let sets = [
            "data.device=\"cpu\"".to_owned(),
            format!("detector.contrastive={{ loss = \"{loss}\", weight = 0.01 }}"),
            anneal.to_owned(),
            "train.early_stopping=4".to_owned(),
        ];
        let config = RunConfig::from_toml(VAE, "vae.toml", &sets).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let extras = TrainExtras { file_lengths: Some(&lengths), ..TrainExtras::default() };
        let outcome = train_run_with(&config, &background, &extras, dir.path()).unwrap();
        let a = auc(&outcome.run.score(&outcome.test).unwrap(), &outcome.run.score(&signal).unwrap());
        assert!(a >= 0.85, "{loss}: AUC {a}");
        let member = &outcome.report.members[0];
        assert!(member["valid_contrastive"]["mean"].as_f64().is_some_and(f64::is_finite), "{loss}: {member}");
        // The linear β reached its end value after 4 epochs; the final β scores `total`.
        assert!((member["final_beta"].as_f64().unwrap() - 0.3).abs() < 1e-12, "{loss}: {member}");
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("model/vae.json")).unwrap()).unwrap();
        assert_eq!(saved["final_beta"].as_f64(), member["final_beta"].as_f64());
    }
    // SupCon over file labels needs the file lengths, and two labels.
    let sets = ["data.device=\"cpu\"".to_owned(), "detector.contrastive={ loss = \"supcon\" }".to_owned()];
    let config = RunConfig::from_toml(VAE, "vae.toml", &sets).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = train_run(&config, &background, dir.path()).unwrap_err().to_string();
    assert!(err.contains("events per background file"), "{err}");
    let one = TrainExtras { file_lengths: Some(&[1200]), ..TrainExtras::default() };
    let err = train_run_with(&config, &background, &one, dir.path()).unwrap_err().to_string();
    assert!(err.contains("at least two generator labels"), "{err}");
}

/// The VAE's run file with the latent head on top of the same VAE.
fn latent_head_toml() -> String {
    let vae = "kind = \"vae\"\nlatent = 5\nbeta = 0.1\n";
    assert!(VAE.contains(vae));
    VAE.replace(vae, "kind = \"latent-head\"\nsignals = [\"signal.csv\"]\n[detector.vae]\nlatent = 5\nbeta = 0.1\n")
}

#[test]
fn latent_head_is_supervised_and_learns_the_signal() {
    let _turn = TORCH_RNG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let background = events(1500, 1.0, 1);
    let labelled = events(300, 3.0, 5);
    let other = events(300, 3.0, 6);
    let config = RunConfig::from_toml(&latent_head_toml(), "head.toml", &["data.device=\"cpu\"".into()]).unwrap();
    assert!(config.detector.is_supervised());
    let dir = tempfile::tempdir().unwrap();
    let extras = TrainExtras { val_signals: Some(&labelled), ..TrainExtras::default() };
    let outcome = train_run_with(&config, &background, &extras, dir.path()).unwrap();
    let p = outcome.run.score(&other).unwrap();
    assert!(p.iter().all(|&v| (0.0..=1.0).contains(&v)));
    let a = auc(&outcome.run.score(&outcome.test).unwrap(), &p);
    assert!(a >= 0.9, "AUC {a}");
    assert!(outcome.report.warnings.iter().any(|w| w.contains("supervised")), "{:?}", outcome.report.warnings);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["supervised"], serde_json::Value::Bool(true));
    let run = TrainedRun::load(dir.path(), Some("cpu")).unwrap();
    assert_eq!(run.score(&other).unwrap(), p);
    // Without signal events the head cannot be trained.
    let err = train_run(&config, &background, tempfile::tempdir().unwrap().path()).unwrap_err().to_string();
    assert!(err.contains("no signal events"), "{err}");
}
