//! Golden values of the flow-posterior VAEs and of the contrastive terms against the PyTorch
//! reference (`tools/reference/vae_flow_reference.py`, outputs committed in
//! `tests/data/{vae_planar,vae_iaf,contrastive}.*`): with the same weights and the same ε, the
//! latent codes, Σ ln|det|, the single-sample KL term, the reconstruction and the per-event
//! and weighted VAE losses agree to 1e-5 relative in eval and training mode; SupCon and
//! NT-Xent agree on fixed embeddings.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used)]

mod golden;

use golden::{assert_close, data, io};
use oddity_detect::detectors::autoencoder::weighted_mean;
use oddity_detect::detectors::vae::{vae_loss_per_event, vae_pass};
use oddity_nn::autoencoder::Autoencoder;
use oddity_nn::contrastive::{nt_xent_per_view, supcon_per_anchor};
use oddity_nn::flow::posterior::{PosteriorConfig, PosteriorFlow};
use oddity_nn::{Activation, MlpConfig, weights};
use tch::nn::VarStore;
use tch::{Device, Kind};

fn check_case(case: &str, posterior: PosteriorConfig) {
    let encoder = MlpConfig { input_dim: 10, hidden: vec![8, 6], activation: Activation::Elu, ..Default::default() };
    let mut vs = VarStore::new(Device::Cpu);
    let net = Autoencoder::new(&vs.root(), &encoder, 3, true);
    let flow = PosteriorFlow::new(&(vs.root() / "flow"), &posterior, 3);
    weights::load(&mut vs, &data(&format!("{case}.weights.safetensors"))).unwrap();
    let t = io(case);
    let (x, eps) = (&t["x"], &t["eps"]);
    let beta = t["beta"].double_value(&[0]);
    for (train, mode) in [(false, "eval"), (true, "train")] {
        let pass = vae_pass(&net, flow.as_ref(), x, Some(eps), train);
        let key = |k: &str| format!("{k}_{mode}");
        assert_close(&pass.mu, &t[&key("mu")], &key("mu"));
        assert_close(&pass.logvar, &t[&key("logvar")], &key("logvar"));
        assert_close(&pass.zk, &t[&key("zk")], &key("zk"));
        assert_close(&pass.logdet, &t[&key("logdet")], &key("logdet"));
        assert_close(&pass.kl, &t[&key("kl")], &key("kl"));
        assert_close(&pass.recon, &t[&key("recon")], &key("recon"));
        let per_event = vae_loss_per_event(&pass, x, 1.0 - beta, beta);
        assert_close(&per_event, &t[&key("loss")], &key("loss"));
        assert_close(&weighted_mean(&per_event, &t["w"]), &t[&key("batch_loss")], &key("batch_loss"));
    }
}

#[test]
fn planar_vae_matches_pytorch() {
    check_case("vae_planar", PosteriorConfig::Planar { layers: 3 });
}

#[test]
fn iaf_vae_matches_pytorch() {
    check_case("vae_iaf", PosteriorConfig::Iaf { layers: 2, hidden: vec![12, 12] });
}

#[test]
fn supcon_and_nt_xent_match_pytorch() {
    let t = io("contrastive");
    let labels = t["labels"].to_kind(Kind::Int64);
    assert_close(&supcon_per_anchor(&t["z"], &labels, 0.07), &t["supcon"], "supcon");
    assert_close(&nt_xent_per_view(&t["z"], &t["z2"], 0.07), &t["nt_xent"], "nt_xent");
}
