//! Golden losses and scores of the autoencoder and the VAE against the PyTorch reference
//! (`tools/reference/ae_reference.py`, outputs committed in `tests/data/{ae,vae}.*`): the same
//! weights, exchanged as safetensors, give the same per-event MSE, ln MSE, KL, radius, total
//! scores and weighted batch losses to 1e-5 relative; the VAE's training loss with a fixed ε
//! matches in eval mode and in training mode (BatchNorm with batch statistics).

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use oddity_detect::detectors::autoencoder::weighted_mean;
use oddity_detect::detectors::vae::{VaeConfig, VaeLossForm, VaeScore, vae_loss_per_event, vae_pass};
use oddity_nn::autoencoder::{Autoencoder, mse_per_event};
use oddity_nn::{Activation, MlpConfig, weights};
use tch::nn::VarStore;
use tch::{Device, Tensor};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn io(case: &str) -> HashMap<String, Tensor> {
    Tensor::read_safetensors(data(&format!("{case}.io.safetensors"))).unwrap().into_iter().collect()
}

fn assert_close(got: &Tensor, want: &Tensor, what: &str) {
    let got: Vec<f64> = got.flatten(0, -1).to_kind(tch::Kind::Double).try_into().unwrap();
    let want: Vec<f64> = want.flatten(0, -1).to_kind(tch::Kind::Double).try_into().unwrap();
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 1e-5 * w.abs().max(1.0), "{what}[{k}]: oddity {g}, pytorch {w}");
    }
}

/// The reference network of `case` with its weights loaded.
fn network(case: &str, encoder: MlpConfig, latent: i64, variational: bool) -> (VarStore, Autoencoder) {
    let mut vs = VarStore::new(Device::Cpu);
    let net = Autoencoder::new(&vs.root(), &encoder, latent, variational);
    weights::load(&mut vs, &data(&format!("{case}.weights.safetensors"))).unwrap();
    (vs, net)
}

#[test]
fn autoencoder_mse_and_loss_match_pytorch() {
    let encoder = MlpConfig {
        input_dim: 10,
        hidden: vec![8, 5],
        batchnorm: false,
        activation: Activation::Tanh,
        ..Default::default()
    };
    let (_vs, net) = network("ae", encoder, 3, false);
    let t = io("ae");
    let out = net.forward_t(&t["x"], None, false);
    assert_close(&out.mu, &t["code"], "code");
    assert_close(&out.recon, &t["recon"], "recon");
    let mse = mse_per_event(&t["x"], &out.recon);
    assert_close(&mse, &t["mse"], "mse");
    assert_close(&mse.log(), &t["ln_mse"], "ln_mse");
    assert_close(&weighted_mean(&mse, &t["w"]), &t["loss"], "weighted loss");
}

#[test]
fn vae_scores_and_losses_match_pytorch() {
    let encoder = MlpConfig { input_dim: 10, hidden: vec![8, 6], activation: Activation::Elu, ..Default::default() };
    let (_vs, net) = network("vae", encoder, 3, true);
    let t = io("vae");
    let (x, eps) = (&t["x"], &t["eps"]);
    let beta = t["beta"].double_value(&[0]);
    let out = vae_pass(&net, None, x, None, false);
    assert_close(&out.mu, &t["mu"], "mu");
    assert_close(&out.logvar, &t["logvar"], "logvar");
    // Every score, decoding μ.
    for (score, loss_form, key) in [
        (VaeScore::Reco, VaeLossForm::DarkMachines, "reco"),
        (VaeScore::Kl, VaeLossForm::DarkMachines, "kl"),
        (VaeScore::Radius, VaeLossForm::DarkMachines, "radius"),
        (VaeScore::Total, VaeLossForm::DarkMachines, "total_darkmachines"),
        (VaeScore::Total, VaeLossForm::Standard, "total_standard"),
    ] {
        let config = VaeConfig { latent: 3, beta, loss_form, score, ..VaeConfig::default() };
        assert_close(&config.score_of(&out, x, beta), &t[key], key);
    }
    // The training loss with the reference's ε, in eval and in training mode.
    let config = VaeConfig { latent: 3, beta, ..VaeConfig::default() };
    for (train, mode) in [(false, "eval"), (true, "train")] {
        let per_event = vae_loss_per_event(&vae_pass(&net, None, x, Some(eps), train), x, config.reco_factor(), beta);
        assert_close(&per_event, &t[&format!("loss_eps_{mode}")], mode);
        assert_close(&weighted_mean(&per_event, &t["w"]), &t[&format!("batch_loss_eps_{mode}")], mode);
    }
}
