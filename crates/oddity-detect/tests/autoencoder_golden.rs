//! Golden losses and scores of the autoencoder and the VAE against the PyTorch reference
//! (`tools/reference/ae_reference.py`, outputs committed in `tests/data/{ae,vae}.*`): the same
//! weights, exchanged as safetensors, give the same per-event MSE, ln MSE, KL, radius, total
//! scores and weighted batch losses to 1e-5 relative; the VAE's training loss with a fixed ε
//! matches in eval mode and in training mode (BatchNorm with batch statistics). The latent
//! classifier head on the VAE's μ gives the same balanced weights, logits, P(BSM) and loss.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

mod golden;

use golden::{assert_close, data, io};
use oddity_detect::detectors::autoencoder::weighted_mean;
use oddity_detect::detectors::latent_head::{balanced, build_head, head_loss};
use oddity_detect::detectors::vae::{VaeConfig, VaeLossForm, VaeScore, vae_loss_per_event, vae_pass};
use oddity_nn::autoencoder::{Autoencoder, mse_per_event};
use oddity_nn::{Activation, MlpConfig, weights};
use tch::nn::{Module, VarStore};
use tch::{Device, Kind, Tensor};

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

#[test]
fn latent_head_loss_matches_pytorch() {
    let t = io("latent_head");
    let (y, w) = (&t["y"], &t["w"]);
    // `balanced` takes the background weights, then the signal weights; the reference mixes
    // the labels, so split, balance and scatter back.
    let labels: Vec<f32> = y.try_into().unwrap();
    let weights: Vec<f64> = w.to_kind(Kind::Double).try_into().unwrap();
    let (mut bkg, mut sig) = (Vec::new(), Vec::new());
    for (&label, &weight) in labels.iter().zip(&weights) {
        if label > 0.5 { sig.push(weight) } else { bkg.push(weight) }
    }
    let flat = balanced(&bkg, &sig);
    let (mut b, mut s) = (flat[..bkg.len()].iter(), flat[bkg.len()..].iter());
    let w_bal: Vec<f64> = labels.iter().map(|&label| *if label > 0.5 { s.next() } else { b.next() }.unwrap()).collect();
    let w_bal = Tensor::from_slice(&w_bal).to_kind(Kind::Float);
    assert_close(&w_bal, &t["w_balanced"], "balanced weights");

    let (mut vs, head) = build_head(3, Device::Cpu);
    weights::load(&mut vs, &data("latent_head.weights.safetensors")).unwrap();
    let logit = head.forward(&t["mu"]).squeeze_dim(1);
    assert_close(&logit, &t["logit"], "logit");
    assert_close(&logit.sigmoid(), &t["p"], "P(BSM)");
    assert_close(&head_loss(&logit, y, &w_bal), &t["loss"], "head loss");
}
